// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/state.c: what is found at the state path, saving, the locks. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "state.h"

static void cfg_in(struct config *c, const char *dir)
{
	config_defaults(c);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s/state", dir);
	snprintf(c->run_dir, sizeof(c->run_dir), "%s/run", dir);
}

/* How many entries of DIR start with PREFIX. */
static int count_prefix(const char *dir, const char *prefix)
{
	char cmd[PATH_MAX + 64], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -c '^%s' || true", dir, prefix);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	return atoi(out);
}

/* Saved, loaded back; none at all is a fresh start. */
static void test_save_load(void **state)
{
	struct fixture *fx = *state;
	struct config c;
	struct totals t = { 0 }, u;
	char msg[600], path[PATH_MAX + 32];

	cfg_in(&c, fx->dir);
	assert_int_equal(state_load(&c, &u, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_non_null(totals_get(&t, "pc"));
	totals_find(&t, "pc")->all.bytes[0][0] = 1234;
	t.period_start = 100;
	t.period_end = 200;
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0); /* makes state_dir */
	assert_int_equal(state_write_live(&c, &t, msg, sizeof(msg)), 0);
	assert_int_equal(state_load(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(totals_find(&u, "pc")->all.bytes[0][0], 1234);
	assert_int_equal(u.period_end, 200);
	totals_free(&u);
	state_live_path(path, sizeof(path), &c);
	assert_int_equal(access(path, R_OK), 0);
	/* a FIFO left at the temporary name is not opened (it would block) but replaced */
	state_path(path, sizeof(path), &c);
	strcat(path, ".tmp");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_int_equal(access(path, F_OK), -1);
	totals_free(&t);
}

/* What is at the state path and not a regular state file: set aside, one message. */
static void check_aside(const char *dir, const struct config *c, const char *why)
{
	char msg[600], sdir[PATH_MAX];
	struct totals t;
	int before;

	snprintf(sdir, sizeof(sdir), "%s", c->state_dir);
	before = count_prefix(sdir, "iptmon.state.bad-");
	assert_int_equal(state_load(c, &t, msg, sizeof(msg)), 1);
	if (!strstr(msg, why) || !strstr(msg, ": set aside as ") || !strstr(msg, "starting from zero"))
		fail_msg("message: %s", msg);
	assert_int_equal(t.n, 0);
	assert_int_equal(count_prefix(sdir, "iptmon.state.bad-"), before + 1);
	assert_int_equal(count_prefix(sdir, "iptmon.state$"), 0);
	(void)dir;
}

static void test_not_regular(void **state)
{
	struct fixture *fx = *state;
	struct config c;
	char path[PATH_MAX + 32], good[PATH_MAX + 32], msg[600];
	struct totals t = { 0 };

	cfg_in(&c, fx->dir);
	assert_int_equal(mkdir(c.state_dir, 0755), 0);
	state_path(path, sizeof(path), &c);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(state_fopen(path));
	assert_int_equal(errno, EINVAL);
	check_aside(fx->dir, &c, "is not a regular file (fifo)");
	assert_int_equal(mkdir(path, 0755), 0);
	check_aside(fx->dir, &c, "is not a regular file (directory)");
	/* a link, even to a good state file */
	snprintf(good, sizeof(good), "%s/good", fx->dir);
	assert_non_null(totals_get(&t, "pc"));
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_int_equal(rename(path, good), 0);
	assert_int_equal(symlink(good, path), 0);
	check_aside(fx->dir, &c, "is not a regular file (symbolic link)");
	/* damaged, as before */
	tu_write_file(path, "iptmon-state 2\nbogus\nend\n");
	check_aside(fx->dir, &c, "is damaged (line 2)");
	totals_free(&t);
}

/* One daemon per state_dir, even with run_dir gone; the pid in both lock files. */
static void test_lock(void **state)
{
	struct fixture *fx = *state;
	struct config c, other;
	char msg[600], cmd[PATH_MAX + 32], want[64];
	int fds[2], fds2[2];

	cfg_in(&c, fx->dir);
	assert_int_equal(state_lock(&c, fds, msg, sizeof(msg)), 0);
	/* run_dir removed: still refused, by state_dir's lock */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c.run_dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(state_lock(&c, fds2, msg, sizeof(msg)), -EWOULDBLOCK);
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	if (!strstr(msg, "another iptmon daemon runs with state_dir ") || !strstr(msg, want))
		fail_msg("message: %s", msg);
	/* another state_dir, the same run_dir: refused by the pid file's lock */
	cfg_in(&other, fx->dir);
	snprintf(other.state_dir, sizeof(other.state_dir), "%s/state2", fx->dir);
	snprintf(other.run_dir, sizeof(other.run_dir), "%s/run0", fx->dir);
	assert_int_equal(state_lock(&other, fds2, msg, sizeof(msg)), 0);
	close(fds2[0]);
	close(fds2[1]);
	snprintf(other.run_dir, sizeof(other.run_dir), "%s", c.run_dir);
	close(fds[1]);
	assert_int_equal(state_lock(&c, fds2, msg, sizeof(msg)), -EWOULDBLOCK);
	close(fds[0]);
	assert_int_equal(state_lock(&c, fds, msg, sizeof(msg)), 0);
	assert_int_equal(state_lock(&other, fds2, msg, sizeof(msg)), -EWOULDBLOCK);
	assert_non_null(strstr(msg, "another iptmon daemon runs with run_dir "));
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	tu_init();
	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
