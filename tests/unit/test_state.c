// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/state.c: what is found at the state path, saving, the locks. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "state.h"
#include "statetext.h"

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

/* /api/days's answer for PERIOD (asserted to be one). */
static char *days_of(const struct totals *t, const char *period)
{
	char *body = NULL;
	size_t len = 0;

	assert_int_equal(history_render(t, true, period, &body, &len), 0);
	return body;
}

static void check_same(const struct totals *t, const struct totals *ref)
{
	char *a = tu_state_text(t), *b = tu_state_text(ref), arg[8];

	assert_string_equal(a, b);
	free(a);
	free(b);
	for (size_t p = 0; p <= ref->npast; p++) {
		snprintf(arg, sizeof(arg), "%zu", p);
		a = days_of(t, arg);
		b = days_of(ref, arg);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	tu_refs(t);
}

/* The process's open files. */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Lines of PATH that start with PREFIX. */
static int lines_with(const char *path, const char *prefix)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return n;
}

/*
 * The older closed periods stay in the state file, not in memory: after a write and after a
 * load only the previous one is in memory, and the state file, the views and /api/days give
 * what the same totals all in memory give, whatever happens to the file's path meanwhile.
 */
static void test_periods_on_file(void **state)
{
	struct fixture *fx = *state;
	struct config c;
	struct totals t = { 0 }, ref, u;
	struct period_spec spec = { .mday = 1 };
	char msg[600], path[PATH_MAX + 32], other[PATH_MAX + 40], *text, *body = NULL;
	size_t len = 0;
	FILE *f;
	unsigned int bad;
	int fds;

	cfg_in(&c, fx->dir);
	t.period_start = 1767225600; /* 2026-01-01 UTC */
	t.period_end = 1769904000;
	t.stamp = t.period_start + 5;
	assert_non_null(t.past = calloc(5, sizeof(*t.past)));
	t.npast = 5;
	for (size_t p = 0; p < 5; p++) {
		t.past[p].end = p ? t.past[p - 1].start : t.period_start;
		t.past[p].start = t.past[p].end - 2592000;
		for (unsigned int i = 0; i < 40 + p; i++) {
			struct counts k = { 0 };
			char name[32];

			snprintf(name, sizeof(name), i % 7 ? "host-%u" : "Laptop_%u.lan", i * 3 + (unsigned int)p);
			k.bytes[0][0] = (uint64_t)i << (p * 8);
			k.bytes[1][1] = i * 1000003ULL + p;
			k.packets[0][1] = p;
			assert_int_equal(period_add(&t.past[p], &t.hist.names, name, &k), 0);
		}
	}
	assert_non_null(totals_get(&t, "pc"));
	totals_find(&t, "pc")->cur.bytes[0][0] = 77;
	text = tu_state_text(&t);
	f = fmemopen(text, strlen(text), "r");
	assert_int_equal(totals_read(f, &ref, &bad), 0); /* all in memory */
	fclose(f);
	free(text);

	/* written: the previous period stays, the older ones leave memory */
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_non_null(t.past[0].buf);
	for (size_t p = 1; p < 5; p++) {
		assert_true(period_on_file_only(&t.past[p]));
		assert_int_equal(t.past[p].n, 40 + p);
	}
	assert_int_equal(t.hist.names.live, 41); /* pc and the previous period's 40 */
	check_same(&t, &ref);
	assert_string_equal(msg, "");
	/* the path replaced by another file, then gone: the periods come from the file kept */
	state_path(path, sizeof(path), &c);
	snprintf(other, sizeof(other), "%s.other", path);
	tu_write_file(other, "iptmon-state 3\nend\n");
	assert_int_equal(rename(other, path), 0);
	check_same(&t, &ref);
	assert_int_equal(unlink(path), 0);
	check_same(&t, &ref);
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	check_same(&t, &ref);
	/* the live file: the previous period only */
	assert_int_equal(state_write_live(&c, &t, msg, sizeof(msg)), 0);
	state_live_path(path, sizeof(path), &c);
	assert_int_equal(lines_with(path, "past "), 1);
	assert_int_equal(lines_with(path, "was "), 40);
	{ /* and no kernel values: not a state to count on from (set aside, said, if it is one) */
		char st[PATH_MAX + 32], cmd[2 * PATH_MAX + 128];
		struct config c2 = c;

		snprintf(c2.state_dir, sizeof(c2.state_dir), "%s/state2", fx->dir);
		assert_int_equal(mkdir(c2.state_dir, 0700), 0);
		state_path(st, sizeof(st), &c2);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, st);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(state_load(&c2, &u, msg, sizeof(msg)), 1);
		assert_non_null(strstr(msg, "is a live file, not a state file: set aside as "));
		assert_int_equal(u.n, 0);
		assert_int_equal(access(st, F_OK), -1);
		totals_free(&u);
		msg[0] = '\0';
	}

	/* loaded: the same */
	assert_int_equal(state_load(&c, &u, msg, sizeof(msg)), 0);
	assert_non_null(u.past[0].buf);
	for (size_t p = 1; p < 5; p++)
		assert_true(period_on_file_only(&u.past[p]));
	check_same(&u, &ref);

	/* a period closes: the old previous one stays in memory until the next write */
	assert_int_equal(totals_roll(&u, &spec, (time_t)t.period_end + 10, 5), 1);
	assert_int_equal(totals_roll(&ref, &spec, (time_t)t.period_end + 10, 5), 1);
	assert_non_null(u.past[1].buf);
	check_same(&u, &ref);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_true(period_on_file_only(&u.past[1]));
	check_same(&u, &ref);
	state_path(path, sizeof(path), &c);
	assert_int_equal(lines_with(path, "past "), 5);

	/* touched: nothing lost */
	assert_int_equal(utimensat(AT_FDCWD, path, NULL, 0), 0);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(u.periods_lost, 0);
	check_same(&u, &ref);
	/* a write that fails (a directory at the path): no fd left behind, nothing lost */
	fds = fd_count();
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(fd_count(), fds);
	check_same(&u, &ref);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(fd_count(), fds);
	check_same(&u, &ref);

	/* written over in place by another program, the same size, the time put back: the
	 * period whose last line changed, and the older ones, are lost (no gap), counted; the
	 * rest is written and loads */
	{
		struct stat st;
		size_t flen = (size_t)u.past[2].flen, at = flen - 1;
		char *all = malloc(flen);
		int wfd = open(path, O_RDWR);

		assert_int_equal(stat(path, &st), 0);
		assert_true(wfd >= 0);
		assert_non_null(all);
		assert_int_equal(pread(wfd, all, flen, (off_t)u.past[2].off), (ssize_t)flen);
		while (at && all[at - 1] != '\n') /* its last line */
			at--;
		assert_true(at > 0);
		assert_memory_equal(all + at, "was ", 4);
		free(all);
		at += (size_t)u.past[2].off;
		assert_int_equal(pwrite(wfd, "wax ", 4, (off_t)at), 4);
		close(wfd);
		assert_int_equal(utimensat(AT_FDCWD, path, (struct timespec[]){ st.st_atim, st.st_mtim }, 0), 0);
	}
	/* (past[2] is period 3: read up to its last line, the names taken are given back) */
	assert_int_equal(history_render(&u, true, "3", &body, &len), -ESTALE);
	assert_null(body);
	body = days_of(&u, "2"); /* the newer one on the file still reads */
	free(body);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(u.periods_lost, 3);
	assert_int_equal(u.npast, 2);
	while (ref.npast > 2)
		period_rec_free(&ref.past[--ref.npast], &ref.hist.names);
	check_same(&u, &ref);
	assert_int_equal(lines_with(path, "past "), 2);
	{
		struct totals back;

		assert_int_equal(state_load(&c, &back, msg, sizeof(msg)), 0);
		assert_int_equal(back.npast, 2);
		check_same(&back, &ref);
		totals_free(&back);
	}
	/* written over with something shorter: the same, for the one left on the file */
	tu_write_file(path, "iptmon-state 3\nend\n");
	assert_int_equal(history_render(&u, true, "2", &body, &len), -ESTALE);
	assert_null(body);
	body = days_of(&u, "1");
	free(body);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(u.periods_lost, 4);
	assert_int_equal(u.npast, 1);
	assert_int_equal(lines_with(path, "past "), 1);
	assert_int_equal(lines_with(path, "was "), u.past[0].n);
	tu_refs(&u);

	totals_free(&u);
	totals_free(&ref);
	totals_free(&t);
}

/* A poll at NOW in which host-I moved I + 1 bytes each way, for I < N (history_poll). */
static void day_poll(struct totals *t, unsigned int n, long long now)
{
	char name[32];

	for (unsigned int i = 0; i < n; i++) {
		struct total *e;

		snprintf(name, sizeof(name), "host-%u", i);
		assert_non_null(e = totals_get(t, name));
		e->delta[FAM_V4][0] = i + 1;
		e->delta[FAM_V6][1] = (uint64_t)i << 33 | 5;
	}
	assert_int_equal(history_poll(&t->hist, t, (time_t)now), 0);
	for (size_t i = 0; i < t->n; i++)
		memset(&t->v[i].delta, 0, sizeof(t->v[i].delta));
}

/* check_same, and /api/history's days for each of NAMES (its hour is not in the file). */
static void check_hosts(const struct totals *t, const struct totals *ref, const char *const *names)
{
	check_same(t, ref);
	for (; *names; names++) {
		char *a = NULL, *b = NULL;
		size_t la = 0, lb = 0;

		int ret = history_render(ref, false, *names, &b, &lb);

		assert_int_equal(history_render(t, false, *names, &a, &la), ret);
		if (ret) { /* (a host neither knows: "desk" before the rename) */
			assert_string_equal(a, b);
			free(a);
			free(b);
			continue;
		}
		assert_non_null(strstr(a, "\"days\": ["));
		assert_non_null(strstr(b, "\"days\": ["));
		assert_string_equal(strstr(a, "\"days\": ["), strstr(b, "\"days\": ["));
		free(a);
		free(b);
	}
}

/*
 * The days of history before the newest stay in the state file, not in memory: after a write
 * and after a load only the newest day is in memory, and the state file, /api/days and
 * /api/history give what the same history all in memory gives, through renames (a day on the
 * file names the host as it was named then) and a file written over by another program.
 */
static void test_days_on_file(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = { "host-0", "host-3", "desk", "host-9", NULL };
	const long long t0 = 1767225600; /* 2026-01-01 UTC */
	struct totals t = { 0 }, ref, u;
	char msg[600], path[PATH_MAX + 32], *text;
	unsigned int bad;
	struct config c;
	FILE *f;

	setenv("TZ", "UTC", 1);
	tzset();
	cfg_in(&c, fx->dir);
	state_path(path, sizeof(path), &c);
	t.period_start = t0;
	t.period_end = t0 + 31 * 86400;
	for (unsigned int d = 0; d < 5; d++)
		day_poll(&t, 6 + d, t0 + d * 86400 + 100);
	t.stamp = t0 + 4 * 86400 + 100;
	assert_int_equal(t.hist.ndays, 5);
	text = tu_state_text(&t);
	assert_non_null(f = fmemopen(text, strlen(text), "r"));
	assert_int_equal(totals_read(f, &ref, &bad), 0); /* all in memory */
	fclose(f);
	free(text);

	/* written: the newest day stays, the older ones leave memory */
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	for (unsigned int d = 0; d < 4; d++) {
		assert_true(hist_day_on_file_only(&t.hist.days[d]));
		assert_int_equal(t.hist.days[d].n, 6 + d);
	}
	assert_non_null(t.hist.days[4].v);
	check_hosts(&t, &ref, names);
	assert_int_equal(lines_with(path, "day "), 6 + 7 + 8 + 9 + 10);

	/* renamed: the days on the file follow it (an alias until the next write), and a new
	 * host of the old name has only its own */
	assert_int_equal(totals_rename(&t, "host-3", "desk"), 1);
	assert_int_equal(totals_rename(&ref, "host-3", "desk"), 1);
	assert_int_equal(t.hist.naliases, 1);
	assert_int_equal(ref.hist.naliases, 0);
	day_poll(&t, 4, t0 + 4 * 86400 + 200);
	day_poll(&ref, 4, t0 + 4 * 86400 + 200);
	check_hosts(&t, &ref, names);
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_int_equal(t.hist.naliases, 0);
	check_hosts(&t, &ref, names);
	assert_int_equal(lines_with(path, "day 1767484800 desk "), 1);	/* (day 3, from the file) */
	assert_int_equal(lines_with(path, "day 1767484800 host-3 "), 0);

	/* loaded: the same; a day ends, the day before leaves memory at the next write */
	assert_int_equal(state_load(&c, &u, msg, sizeof(msg)), 0);
	for (unsigned int d = 0; d < 4; d++)
		assert_true(hist_day_on_file_only(&u.hist.days[d]));
	assert_non_null(u.hist.days[4].v);
	check_hosts(&u, &ref, names);
	day_poll(&u, 3, t0 + 5 * 86400 + 100);
	day_poll(&ref, 3, t0 + 5 * 86400 + 100);
	u.stamp = ref.stamp = t0 + 5 * 86400 + 100;
	assert_non_null(u.hist.days[4].buf);
	check_hosts(&u, &ref, names);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_true(hist_day_on_file_only(&u.hist.days[4]));
	check_hosts(&u, &ref, names);

	/* written over in place by another program: the day whose line changed and the older
	 * ones are lost (no gap), counted, said; the rest is written and loads */
	{
		char *all = malloc(u.hist.days[2].flen);
		int wfd = open(path, O_RDWR);
		char *body = NULL;
		size_t len = 0;

		assert_true(wfd >= 0);
		assert_non_null(all);
		assert_int_equal(pread(wfd, all, u.hist.days[2].flen, (off_t)u.hist.days[2].off),
				 (ssize_t)u.hist.days[2].flen);
		assert_memory_equal(all, "day ", 4);
		free(all);
		assert_int_equal(pwrite(wfd, "dax ", 4, (off_t)u.hist.days[2].off), 4);
		close(wfd);
		assert_int_equal(history_render(&u, true, "current", &body, &len), -ESTALE);
		assert_null(body);
		assert_int_equal(history_render(&u, false, "host-0", &body, &len), -ESTALE);
		assert_null(body);
	}
	{ /* a compaction then keeps every host, and is not tried again every poll */
		uint32_t hosts = u.hist.n;

		u.hist.compact = true;
		assert_int_equal(history_poll(&u.hist, &u, (time_t)(t0 + 5 * 86400 + 200)), 0);
		assert_false(u.hist.compact);
		assert_int_equal(u.hist.n, hosts);
	}
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_int_equal(u.hist.days_lost, 3);
	assert_int_equal(u.hist.ndays, 3);
	assert_int_equal(u.hist.entries, 9 + 11 + 3); /* (day 4: host-3 and desk) */
	assert_int_equal(lines_with(path, "day "), 9 + 11 + 3);
	history_free(&ref.hist);
	memset(&ref.hist, 0, sizeof(ref.hist));
	text = tu_state_text(&u); /* (reads days 3 and 4 from the file) */
	{
		struct totals back;

		assert_int_equal(state_load(&c, &back, msg, sizeof(msg)), 0);
		assert_int_equal(back.hist.ndays, 3);
		free(tu_state_text(&back));
		tu_refs(&back);
		totals_free(&back);
	}
	free(text);
	tu_refs(&u);
	totals_free(&u);
	totals_free(&ref);
	totals_free(&t);
}

/* The name of host I of test_days_search: of 2 to 40 characters, in no order. */
static void search_name(unsigned int i, char *name, size_t size)
{
	switch (i * 7919u % 4) {
	case 0:
		snprintf(name, size, "n%u", i);
		break;
	case 1:
		snprintf(name, size, "host-%u-of-a-long-name-%u", i, i * 31u);
		break;
	case 2:
		snprintf(name, size, "%c%u", 'a' + (int)(i % 26), i);
		break;
	default:
		snprintf(name, size, "Z%u.lan", i);
	}
}

static void search_poll(struct totals *t, unsigned int n, long long now)
{
	char name[48];

	for (unsigned int i = 0; i < n; i++) {
		struct total *e;

		search_name(i, name, sizeof(name));
		assert_non_null(e = totals_get(t, name));
		e->delta[FAM_V4][0] = (uint64_t)now % 1000 + i + 1;
		e->delta[FAM_V6][1] = (uint64_t)i << 33 | 5;
	}
	assert_int_equal(history_poll(&t->hist, t, (time_t)now), 0);
	for (size_t i = 0; i < t->n; i++)
		memset(&t->v[i].delta, 0, sizeof(t->v[i].delta));
}

/* /api/history?host= of T and REF the same for every host of test_days_search, a few more
 * than the days have, and names no one has. */
static void search_same(const struct totals *t, const struct totals *ref)
{
	static const char *const more[] = { "a", "zzzz", "n", "host-1-of-a-long-name-30", "desk",
					    "first", "Z0.lan", NULL };
	char name[48];

	for (unsigned int i = 0; i < 760; i++) {
		char *a = NULL, *b = NULL;
		size_t la = 0, lb = 0;

		search_name(i, name, sizeof(name));
		assert_int_equal(history_render(t, false, name, &a, &la),
				 history_render(ref, false, name, &b, &lb));
		assert_non_null(a);
		assert_non_null(b);
		/* (the hour's ring is not in the file: the days, and the host found or not) */
		assert_string_equal(strstr(a, "\"days\"") ? strstr(a, "\"days\"") : a,
				    strstr(b, "\"days\"") ? strstr(b, "\"days\"") : b);
		free(a);
		free(b);
	}
	check_hosts(t, ref, more); /* (and the state's text and /api/days) */
}

/* Whether each day's lines in the file at PATH are in the order of their names. */
static bool file_days_sorted(const char *path)
{
	char line[256], name[128], pname[128] = "";
	long long day, pday = -1;
	bool ok = true;
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "day %lld %127s", &day, name) != 2)
			continue;
		if (day == pday && strcmp(pname, name) >= 0)
			ok = false;
		pday = day;
		snprintf(pname, sizeof(pname), "%s", name);
	}
	fclose(f);
	return ok;
}

/*
 * A host's days on the file are found by a binary search of each day's lines, which iptmon
 * writes in the order of the names: for every host of days of up to 700 hosts (names of 2 to
 * 40 characters), hosts renamed since the write, and names no day has, /api/history?host=
 * gives what the same history all in memory gives. A state file of an earlier iptmon, its
 * days' lines in another order, is read through and written sorted. A day's last line
 * written over in place is found out.
 */
static void test_days_search(void **state)
{
	struct fixture *fx = *state;
	const long long t0 = 1767225600; /* 2026-01-01 UTC */
	struct totals t = { 0 }, ref = { 0 }, u;
	char msg[600], path[PATH_MAX + 32], *text;
	struct config c;

	setenv("TZ", "UTC", 1);
	tzset();
	cfg_in(&c, fx->dir);
	state_path(path, sizeof(path), &c);
	t.period_start = ref.period_start = t0;
	t.period_end = ref.period_end = t0 + 31 * 86400;
	for (unsigned int d = 0; d < 4; d++) {
		search_poll(&t, 700 - 150 * d, t0 + d * 86400 + 100);
		search_poll(&ref, 700 - 150 * d, t0 + d * 86400 + 100);
	}
	t.stamp = ref.stamp = t0 + 3 * 86400 + 100;
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_true(file_days_sorted(path));
	for (unsigned int d = 0; d < 3; d++) {
		assert_true(hist_day_on_file_only(&t.hist.days[d]));
		assert_true(t.hist.days[d].sorted);
		assert_true(t.hist.days[d].flen > 8 * 1024); /* (a search, not a scan) */
	}
	search_same(&t, &ref);

	/* renamed since the write: found by the names the file has (aliases), in their order */
	assert_int_equal(totals_rename(&t, "n0", "zz-was-n0"), 1);
	assert_int_equal(totals_rename(&ref, "n0", "zz-was-n0"), 1);
	assert_int_equal(totals_rename(&t, "zz-was-n0", "a-was-zz"), 1);
	assert_int_equal(totals_rename(&ref, "zz-was-n0", "a-was-zz"), 1);
	assert_int_equal(totals_rename(&t, "Z1.lan", "n0"), 1); /* a name an alias has */
	assert_int_equal(totals_rename(&ref, "Z1.lan", "n0"), 1);
	assert_true(t.hist.naliases >= 2);
	{
		static const char *const renamed[] = { "n0", "zz-was-n0", "a-was-zz", "Z1.lan",
						       NULL };

		check_hosts(&t, &ref, renamed);
	}
	assert_int_equal(state_write(&c, &t, msg, sizeof(msg)), 0);
	assert_true(file_days_sorted(path));
	search_same(&t, &ref);

	/* an earlier iptmon's file: each day's lines the other way round */
	text = tu_state_text(&ref);
	{
		FILE *f = fopen(path, "we");
		char *line = text, *nl, *run = NULL;

		assert_non_null(f);
		for (; *line; line = nl + 1) {
			assert_non_null(nl = strchr(line, '\n'));
			if (!strncmp(line, "day ", 4) && !run)
				run = line;
			if (run && (strncmp(nl + 1, "day ", 4) || strncmp(nl + 1, run, 15))) {
				/* RUN to NL: one day's lines, written last first */
				for (char *e = nl + 1, *b; e > run; e = b) {
					for (b = e - 1; b > run && b[-1] != '\n'; b--)
						;
					fwrite(b, 1, (size_t)(e - b), f);
				}
				run = NULL;
			} else if (!run) {
				fwrite(line, 1, (size_t)(nl + 1 - line), f);
			}
		}
		assert_int_equal(fclose(f), 0);
	}
	assert_false(file_days_sorted(path));
	assert_int_equal(state_load(&c, &u, msg, sizeof(msg)), 0);
	for (unsigned int d = 0; d < 3; d++) {
		assert_true(hist_day_on_file_only(&u.hist.days[d]));
		assert_false(u.hist.days[d].sorted);
	}
	search_same(&u, &ref);
	assert_int_equal(state_write(&c, &u, msg, sizeof(msg)), 0);
	assert_true(file_days_sorted(path));
	for (unsigned int d = 0; d < 3; d++)
		assert_true(u.hist.days[d].sorted);
	search_same(&u, &ref);

	{ /* day 1's last line written over in place: the search checks the ends */
		const struct hist_day *d = &u.hist.days[1];
		char *all = malloc(d->flen), *b;
		int wfd = open(path, O_RDWR);
		char *body = NULL;
		size_t len = 0;

		assert_true(wfd >= 0);
		assert_non_null(all);
		assert_int_equal(pread(wfd, all, d->flen, (off_t)d->off), (ssize_t)d->flen);
		for (b = all + d->flen - 1; b > all && b[-1] != '\n'; b--)
			;
		assert_memory_equal(b, "day ", 4);
		assert_int_equal(pwrite(wfd, "dax ", 4, (off_t)d->off + (b - all)), 4);
		close(wfd);
		free(all);
		assert_int_equal(history_render(&u, false, "n4", &body, &len), -ESTALE);
		assert_null(body);
	}
	free(text);
	totals_free(&u);
	totals_free(&ref);
	totals_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periods_on_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_days_on_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_days_search, setup, teardown),
	};

	tu_init();
	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
