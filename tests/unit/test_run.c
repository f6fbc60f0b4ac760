// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/run.c: the child's signal state, its time bound, its pipes. */
#include "testutil.h"

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "run.h"

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The value of "KEY:\t..." in a /proc/PID/status text. */
static void status_field(const char *status, const char *key, char *val, size_t len)
{
	const char *p = strstr(status, key);

	assert_non_null(p);
	p += strlen(key);
	p += strspn(p, " \t");
	snprintf(val, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/* As the daemon runs: TERM, INT, HUP blocked (its signalfd), PIPE ignored. */
static void test_child_signal_state(void **state)
{
	char *const argv[] = { "cat", "/proc/self/status", NULL };
	struct buf out = { 0 };
	sigset_t mask, old;
	char err[256], blk[64], ign[64];
	void (*oldpipe)(int), (*oldusr2)(int);
	unsigned long long ignored;

	(void)state;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	oldpipe = signal(SIGPIPE, SIG_IGN);
	oldusr2 = signal(SIGUSR2, SIG_IGN);
	assert_int_equal(run_program(argv, NULL, &out, err, sizeof(err)), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, oldpipe);
	signal(SIGUSR2, oldusr2);
	status_field(out.p, "SigBlk:", blk, sizeof(blk));
	status_field(out.p, "SigIgn:", ign, sizeof(ign));
	assert_string_equal(blk, "0000000000000000");
	/* Every signal a program can use at its default: glibc's posix_spawn leaves its own two
	 * internal ones (32 and 33, below SIGRTMIN, used by no other program) ignored. */
	ignored = strtoull(ign, NULL, 16);
	for (int sig = 32; sig < SIGRTMIN; sig++)
		ignored &= ~(1ULL << (sig - 1));
	assert_int_equal(ignored, 0);
	buf_free(&out);
}

/* A process that is gone, or a zombie no one reaps (a container's init may not). */
static bool dead(long pid)
{
	char path[64], stat[512];
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(stat, sizeof(stat), f);
	fclose(f);
	if (!p || !(p = strrchr(stat, ')')))
		return true;
	bool z = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	return z;
}

/* A hung child is killed at the bound, and what it started with it (its process group). */
static void test_hung_child_killed(void **state)
{
	char *const argv[] = { "sh", "-c", "sleep 60 & echo $!; exec sleep 60", NULL };
	struct buf out = { 0 };
	char err[256];
	long long t0, took;
	long grandchild;
	int i;

	(void)state;
	run_set_timeout(500);
	t0 = ms_now();
	assert_int_equal(run_program(argv, NULL, &out, err, sizeof(err)), -ETIMEDOUT);
	took = ms_now() - t0;
	run_set_timeout(0);
	assert_true(took >= 450 && took < 3000);
	assert_string_equal(err, "sh did not finish within 500 ms: killed");
	assert_non_null(out.p);
	grandchild = strtol(out.p, NULL, 10);
	assert_true(grandchild > 1);
	for (i = 0; i < 200 && !dead(grandchild); i++)
		usleep(10000);
	assert_true(dead(grandchild));
	buf_free(&out);
}

/* One that closes its pipes but does not exit is bounded too. */
static void test_silent_hung_child_killed(void **state)
{
	char *const argv[] = { "sh", "-c", "exec >&- 2>&-; exec sleep 60", NULL };
	char err[256];
	long long t0, took;

	(void)state;
	run_set_timeout(300);
	t0 = ms_now();
	assert_int_equal(run_program(argv, NULL, NULL, err, sizeof(err)), -ETIMEDOUT);
	took = ms_now() - t0;
	run_set_timeout(0);
	assert_true(took >= 250 && took < 3000);
	assert_string_equal(err, "sh did not finish within 300 ms: killed");
}

static void test_pipes_and_failures(void **state)
{
	char *const cat[] = { "cat", NULL };
	char *const fails[] = { "sh", "-c", "echo 'bad thing' >&2; echo more >&2; exit 3", NULL };
	char *const quiet[] = { "sh", "-c", "exit 4", NULL };
	char *const missing[] = { "iptmon-no-such-program", NULL };
	struct buf in = { 0 }, out = { 0 };
	char err[256];

	(void)state;
	for (int i = 0; i < 20000; i++) /* more than a pipe holds, both ways */
		assert_int_equal(buf_printf(&in, "line %d\n", i), 0);
	assert_int_equal(run_program(cat, &in, &out, err, sizeof(err)), 0);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.p, in.p, in.len);
	assert_string_equal(err, "");
	assert_int_equal(run_program(fails, NULL, NULL, err, sizeof(err)), -EIO);
	assert_string_equal(err, "sh: bad thing");
	assert_int_equal(run_program(quiet, NULL, NULL, err, sizeof(err)), -EIO);
	assert_string_equal(err, "sh failed (exit 4)");
	assert_int_equal(run_program(missing, NULL, NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot run iptmon-no-such-program: No such file or directory");
	buf_free(&in);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_signal_state),
		cmocka_unit_test(test_hung_child_killed),
		cmocka_unit_test(test_silent_hung_child_killed),
		cmocka_unit_test(test_pipes_and_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
