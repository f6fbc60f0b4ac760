// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/totals.c: monotonic totals and the state file. */
#include "testutil.h"
#include "statetext.h"

#include "totals.h"

static void snap_set(struct hostset *s, const char *name, uint64_t txb, uint64_t rxb)
{
	char as[32];
	struct addr a;
	struct host *h;

	/* one address per name */
	snprintf(as, sizeof(as), "10.0.%u.%u", tu_fnv1a(name) % 250, (unsigned int)strlen(name));
	assert_int_equal(addr_parse(&a, as), 0);
	h = hostset_find(s, name);
	if (!h) {
		assert_true(hostset_upsert(s, name, &a) >= 0);
		h = hostset_find(s, name);
	}
	h->tx[FAM_V4] = (struct counter){ .bytes = txb, .packets = txb / 100 };
	h->rx[FAM_V4] = (struct counter){ .bytes = rxb, .packets = rxb / 100 };
}

static void test_monotonic(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 };

	(void)state;
	snap_set(&s, "pc", 1000, 500);
	assert_int_equal(totals_update(&t, &s, "boot-a"), 0);
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][0], 1000);
	snap_set(&s, "pc", 1500, 700);
	totals_update(&t, &s, "boot-a");
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][0], 1500);
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][1], 700);
	/* the counter was recreated: what it has now is added, nothing subtracted */
	snap_set(&s, "pc", 200, 0);
	totals_update(&t, &s, "boot-a");
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][0], 1700);
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][1], 700);
	assert_int_equal(totals_find(&t, "pc")->all.packets[FAM_V4][0], 15 + 2);
	/* a host that is gone keeps its totals */
	hostset_free(&s);
	snap_set(&s, "phone", 10, 10);
	totals_update(&t, &s, "boot-a");
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][0], 1700);
	assert_int_equal(totals_find(&t, "phone")->all.bytes[FAM_V4][0], 10);
	/* a new boot: every counter is new, even one above the last value */
	snap_set(&s, "phone", 5000, 10);
	totals_update(&t, &s, "boot-b");
	assert_int_equal(totals_find(&t, "phone")->all.bytes[FAM_V4][0], 5010);
	assert_string_equal(t.boot_id, "boot-b");
	hostset_free(&s);
	totals_free(&t);
}

static int read_str(const char *text, struct totals *t, unsigned int *bad)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = totals_read(f, t, bad);
	fclose(f);
	return ret;
}

/* A total keeps the last poll's bytes (not its packets): the rates, the live file's delta
 * line read back, a rename adding them up. */
static void test_delta_bytes(void **state)
{
	struct hostset s = { 0 }, v = { 0 };
	struct totals t = { 0 }, u;
	unsigned int bad;
	char *live = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snap_set(&s, "pc", 1000, 500);
	snap_set(&s, "laptop", 100, 0);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	snap_set(&s, "pc", 3000, 900);
	snap_set(&s, "laptop", 150, 0);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	t.has_rates = true;
	t.dt_ms = 1000;
	assert_int_equal(totals_find(&t, "pc")->delta[FAM_V4][0], 2000);
	assert_int_equal(totals_find(&t, "pc")->delta[FAM_V4][1], 400);
	assert_int_equal(totals_view(&t, VIEW_ALL, &v), 0);
	assert_true(hostset_find(&v, "pc")->rate[FAM_V4][0] == 2000.0f);
	assert_true(hostset_find(&v, "pc")->rate[FAM_V4][1] == 400.0f);
	hostset_free(&v);
	f = open_memstream(&live, &len);
	assert_int_equal(totals_write(f, &t, true), 0);
	fclose(f);
	assert_non_null(strstr(live, "\ndelta pc 2000 0 400 0 0 0 0 0\n"));
	/* the live file: no kernel values (`last`), said by its `live` line */
	assert_non_null(strstr(live, "\nlive\nhost pc - 3000 30 900 9 0 0 0 0\n"));
	assert_int_equal(read_str(live, &u, &bad), 0);
	assert_true(u.live);
	assert_int_equal(totals_find(&u, "pc")->all.bytes[FAM_V4][0], 3000);
	assert_int_equal(totals_find(&u, "pc")->last.bytes[FAM_V4][0], 0);
	assert_int_equal(totals_find(&u, "pc")->delta[FAM_V4][0], 2000);
	assert_int_equal(totals_find(&u, "pc")->delta[FAM_V4][1], 400);
	assert_int_equal(totals_rename(&u, "pc", "laptop"), 1);
	assert_int_equal(totals_find(&u, "laptop")->delta[FAM_V4][0], 2050);
	assert_int_equal(totals_find(&u, "laptop")->delta[FAM_V4][1], 400);
	free(live);
	hostset_free(&s);
	totals_free(&t);
	totals_free(&u);
}

/* A closed period packed to the byte (period_trim) takes the longest name and the longest
 * counts next: the room reserved for them is enough (ASan sees it when it is not). */
static void test_period_reserve(void **state)
{
	struct period_rec r = { 0 };
	struct npool names = { 0 };
	struct counts c, got;
	char nm[NAME_SIZE];
	const char *name;
	size_t pos = 0;

	(void)state;
	memset(&c, 0xff, sizeof(c));
	assert_int_equal(period_add(&r, &names, "a", &c), 0);
	period_trim(&r);
	assert_int_equal(r.cap, r.len);
	memset(nm, 'x', NAME_MAX_LEN);
	nm[NAME_MAX_LEN] = '\0';
	assert_int_equal(period_add(&r, &names, nm, &c), 0);
	assert_true(period_next(&r, &names, &pos, &name, &got));
	assert_true(period_next(&r, &names, &pos, &name, &got));
	assert_string_equal(name, nm);
	assert_memory_equal(&got, &c, sizeof(c));
	assert_false(period_next(&r, &names, &pos, &name, &got));
	period_rec_free(&r, &names);
	assert_int_equal(names.live, 0); /* the record's references went with it */
	npool_free(&names);
}

static void test_state_round_trip(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 }, u;
	unsigned int bad;
	char *text, *again;

	(void)state;
	snap_set(&s, "pc", 1000, 500);
	snap_set(&s, "Living.Room_TV-2", 3, 4);
	totals_update(&t, &s, "e394b081-754f-4025-bcb3-72e2e8de76ca");
	text = tu_state_text(&t);
	assert_non_null(strstr(text, "iptmon-state 3\nboot e394b081-754f-4025-bcb3-72e2e8de76ca\n"));
	/* all time, then the kernel's last values: tx4 rx4 tx6 rx6, bytes and packets each */
	assert_non_null(strstr(text, "host pc - 1000 10 500 5 0 0 0 0 1000 10 500 5 0 0 0 0\n"));
	assert_non_null(strstr(text, "cur pc 1000 10 500 5 0 0 0 0\n"));
	assert_int_equal(read_str(text, &u, &bad), 0);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.boot_id, t.boot_id);
	again = tu_state_text(&u);
	assert_string_equal(again, text);
	free(again);
	free(text);
	hostset_free(&s);
	totals_free(&t);
	totals_free(&u);
}

/*
 * Every kind of line the writer builds, read and written back to the byte: a state file and
 * a live file (no kernel values, "dt", "delta"), with MACs and without, a family unused
 * (zeros), numbers of one digit to the largest 64-bit value, gone and current-period lines,
 * closed periods.
 */
static void test_state_text_exact(void **state)
{
	static const char *const text[2] = {
		"iptmon-state 3\nboot -\nperiod 1793000000 1795600000\ntime 1796670000\n"
		"host a - 1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n"
		"cur a 1 2 3 4 0 0 0 0\n"
		"host b.x_y-9 02:00:00:00:aa:01 18446744073709551615 9 0 0 1099511627776 3 "
		"0 0 0 0 0 0 0 0 0 0\n"
		"gone b.x_y-9 1796600000\n"
		"host c - 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
		"past 1790400000 1793000000\nwas a 10 1 20 2 0 0 0 0\n"
		"was c 0 0 0 0 30 3 40 4\n"
		"end\n",
		"iptmon-state 3\nboot 0123abcd\nperiod 1793000000 1795600000\ntime 1796670000\n"
		"dt 10000\nlive\n"
		"host a - 1 2 3 4 0 0 0 0\n"
		"cur a 1 2 3 4 0 0 0 0\n"
		"delta a 7 0 8 0 0 0 0 0\n"
		"host b 02:00:00:00:aa:01 0 0 0 0 9999999999 99 12345678901234567890 1\n"
		"gone b 1796600000\n"
		"cur b 0 0 0 0 9999999999 99 0 0\n"
		"past 1790400000 1793000000\nwas b 10 1 20 2 0 0 0 0\n"
		"end\n",
	};

	(void)state;
	for (int live = 0; live < 2; live++) {
		struct totals t = { 0 };
		unsigned int bad = 0;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		if (read_str(text[live], &t, &bad))
			fail_msg("text %d: line %u not read", live, bad);
		assert_non_null(f = open_memstream(&buf, &len));
		assert_int_equal(totals_write(f, &t, live), 0);
		fclose(f);
		assert_string_equal(buf, text[live]);
		free(buf);
		totals_free(&t);
	}
}

static void test_state_damaged(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
	} bad[] = {
		{ "", 1 },
		{ "garbage\n", 1 },
		{ "iptmon-state 4\nend\n", 1 },
		{ "iptmon-state 3\ntime -1\nend\n", 2 },
		{ "iptmon-state 0\nend\n", 1 },
		{ "iptmon-state 2\nhost pc - 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\nend\n", 2 },	 /* 15 numbers */
		{ "iptmon-state 2\nhost pc - 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\nend\n", 2 }, /* 17 */
		{ "iptmon-state 2\nhost pc zz:bb:cc:dd:ee:ff 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 2\nhost pc - 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"
		  "host pc - 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\nend\n", 3 }, /* a name twice */
		{ "iptmon-state 2\ncur pc 1 1 1 1 1 1 1 1\nend\n", 2 },	/* no such host */
		{ "iptmon-state 2\nwas pc 1 1 1 1 1 1 1 1\nend\n", 2 },	/* no period open */
		{ "iptmon-state 2\nperiod 10 5\nend\n", 2 },
		{ "iptmon-state 2\nhost pc - 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 18446744073709551616\nend\n", 2 },
		{ "iptmon-state 2\nhost pc - 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 -1\nend\n", 2 },
		{ "iptmon-state 1\nboot -\nhost pc ipv4 tx 1 1 1 1\n", 4 }, /* truncated: no end */
		{ "iptmon-state 1\nhost pc ipv4 tx 1 1 1", 2 },		    /* torn line */
		{ "iptmon-state 1\nhost p$c ipv4 tx 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nhost pc ipv5 tx 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nhost pc ipv4 up 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nhost pc ipv4 tx x 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nend\nhost pc ipv4 tx 1 1 1 1\n", 3 },
	};
	struct totals t;
	unsigned int line;

	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		assert_int_equal(read_str(bad[i].text, &t, &line), -EINVAL);
		assert_int_equal(line, bad[i].line);
		assert_null(t.v);
	}
	assert_int_equal(read_str("iptmon-state 1\nboot -\nend\n", &t, &line), 0);
	assert_int_equal(t.n, 0);
	assert_string_equal(t.boot_id, "");
	totals_free(&t);
}

static void test_state_v1(void **state)
{
	struct totals t;
	unsigned int line;
	const char *v1 = "iptmon-state 1\nboot b1\nhost pc ipv4 tx 1000 10 900 9\n"
			 "host pc ipv6 rx 7 1 7 1\nend\n";

	(void)state;
	assert_int_equal(read_str(v1, &t, &line), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].all.bytes[FAM_V4][0], 1000);
	assert_int_equal(t.v[0].last.bytes[FAM_V4][0], 900);
	assert_int_equal(t.v[0].all.packets[FAM_V6][1], 1);
	assert_int_equal(t.period_end, 0);
	totals_free(&t);
}

/* Periods: what a poll adds goes to the current one; closing keeps at most KEPT. */
static void test_periods(void **state)
{
	struct period_spec p;
	struct hostset s = { 0 };
	struct totals t = { 0 }, u;
	struct hostset v;
	unsigned int bad;
	char *text, *again;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(period_parse(&p, "1"), 0);
	snap_set(&s, "pc", 1000, 500);
	totals_update(&t, &s, "b");
	assert_int_equal(totals_roll(&t, &p, 1795714883 /* 2026-11-26 */, 2), 0);
	assert_int_equal(t.period_start, 1793491200); /* 2026-11-01 00:00 UTC */
	assert_int_equal(t.period_end, 1796083200);   /* 2026-12-01 */
	assert_int_equal(totals_find(&t, "pc")->cur.bytes[FAM_V4][0], 1000);
	/* into December: November closes with its counts */
	assert_int_equal(totals_roll(&t, &p, 1796083200, 2), 1);
	assert_int_equal(t.npast, 1);
	assert_int_equal(t.past[0].start, 1793491200);
	assert_int_equal(t.past[0].n, 1);
	assert_int_equal(tu_was(&t, 0, 0, NULL).bytes[FAM_V4][0], 1000);
	assert_int_equal(totals_find(&t, "pc")->cur.bytes[FAM_V4][0], 0);
	snap_set(&s, "pc", 1300, 500);
	totals_update(&t, &s, "b");
	assert_int_equal(totals_find(&t, "pc")->cur.bytes[FAM_V4][0], 300);
	assert_int_equal(totals_find(&t, "pc")->all.bytes[FAM_V4][0], 1300);
	/* views */
	tu_attach(&t, &s);
	assert_int_equal(totals_view(&t, VIEW_PREVIOUS, &v), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.v[0].tx[FAM_V4].bytes, 1000);
	assert_int_equal(v.v[0].naddrs, 1); /* the address from the snapshot */
	hostset_free(&v);
	assert_int_equal(totals_view(&t, VIEW_CURRENT, &v), 0);
	assert_int_equal(v.v[0].tx[FAM_V4].bytes, 300);
	hostset_free(&v);
	/* months pass: at most 2 kept, newest first; an idle month closes empty */
	assert_int_equal(totals_roll(&t, &p, 1798761600 /* 2027-01-01 */, 2), 1);
	assert_int_equal(totals_roll(&t, &p, 1801440000 /* 2027-02-01 */, 2), 1);
	assert_int_equal(t.npast, 2);
	assert_int_equal(t.past[0].start, 1798761600);
	assert_int_equal(t.past[0].n, 0);
	assert_int_equal(tu_was(&t, 1, 0, NULL).bytes[FAM_V4][0], 300);
	tu_refs(&t);
	/* the file keeps it all */
	text = tu_state_text(&t);
	assert_int_equal(read_str(text, &u, &bad), 0);
	assert_int_equal(u.npast, 2);
	assert_int_equal(u.period_start, 1801440000);
	again = tu_state_text(&u);
	assert_string_equal(again, text);
	free(again);
	free(text);
	/* fewer kept after a configuration change */
	tu_refs(&u);
	assert_int_equal(totals_roll(&u, &p, 1801440001, 1), 0);
	assert_int_equal(u.npast, 1);
	tu_refs(&u);
	totals_free(&u);
	hostset_free(&s);
	totals_free(&t);
}

/* 5000 names through the hash index, found again after the file. */
/* A closed period's packed hosts: every count back exactly, at the varints' edges too. */
static void test_period_packed(void **state)
{
	static const uint64_t edge[] = { 0, 1, 127, 128, 16383, 16384, (1ULL << 32) - 1,
					 (1ULL << 56) + 3, UINT64_MAX - 1, UINT64_MAX };
	struct period_rec r = { 0 }, r2 = { 0 };
	struct npool names = { 0 };
	struct counts c, got;
	const char *name;
	char nm[NAME_SIZE];
	size_t pos = 0, n = 0;

	(void)state;
	for (size_t i = 0; i < 1000; i++) {
		snprintf(nm, sizeof(nm), "host-%zu", i);
		for (int f = 0; f < FAM_COUNT; f++)
			for (int d = 0; d < 2; d++) {
				c.bytes[f][d] = edge[(i + (size_t)f * 2 + (size_t)d) % 10];
				c.packets[f][d] = edge[(i * 7 + (size_t)f + (size_t)d * 3) % 10] ^ i;
			}
		assert_int_equal(period_add(&r, &names, nm, &c), 0);
		if (i % 2) /* a second period holds every other name too */
			assert_int_equal(period_add(&r2, &names, nm, &c), 0);
	}
	assert_int_equal(names.live, 1000);
	period_trim(&r);
	assert_int_equal(r.n, 1000);
	assert_int_equal(r.cap, r.len);
	while (period_next(&r, &names, &pos, &name, &got)) {
		snprintf(nm, sizeof(nm), "host-%zu", n);
		assert_string_equal(name, nm);
		for (int f = 0; f < FAM_COUNT; f++)
			for (int d = 0; d < 2; d++) {
				assert_true(got.bytes[f][d] == edge[(n + (size_t)f * 2 + (size_t)d) % 10]);
				assert_true(got.packets[f][d] ==
					    (edge[(n * 7 + (size_t)f + (size_t)d * 3) % 10] ^ n));
			}
		n++;
	}
	assert_int_equal(n, 1000);
	assert_int_equal(pos, r.len);
	/* the first period goes: the names the second holds stay, the others go */
	period_rec_free(&r, &names);
	assert_int_equal(names.live, 500);
	for (pos = 0, n = 1; period_next(&r2, &names, &pos, &name, &got); n += 2) {
		snprintf(nm, sizeof(nm), "host-%zu", n);
		assert_string_equal(name, nm);
	}
	assert_int_equal(n, 1001);
	assert_int_equal(npool_find(&names, "host-2"), -1);
	period_rec_free(&r2, &names);
	assert_int_equal(names.live, 0);
	npool_free(&names);
}

/* The previous period's view in slices, as the daemon streams it: each host once, in name
 * order, with its own counts, whatever order the period holds them in. */
static void test_previous_slices(void **state)
{
	static const char *const names[] = { "m", "c", "x", "a", "q", "b", "z" };
	struct totals t = { 0 };
	struct hostset v;
	char after[NAME_SIZE] = "", seen[64] = "";
	size_t total = 0, got;

	(void)state;
	t.past = calloc(1, sizeof(*t.past));
	assert_non_null(t.past);
	t.npast = 1;
	for (size_t i = 0; i < 7; i++) {
		struct counts c = { 0 };

		c.bytes[FAM_V4][0] = 1000 + i;
		c.packets[FAM_V6][1] = (uint64_t)names[i][0];
		assert_int_equal(period_add(&t.past[0], &t.hist.names, names[i], &c), 0);
	}
	do {
		assert_int_equal(totals_view_after(&t, VIEW_PREVIOUS, after, 3, &v, &total), 0);
		assert_int_equal(total, 7);
		for (size_t i = 0; i < v.n; i++) {
			size_t k = 0;

			while (strcmp(names[k], v.v[i].name))
				k++;
			assert_int_equal(v.v[i].tx[FAM_V4].bytes, 1000 + k);
			assert_int_equal(v.v[i].rx[FAM_V6].packets, (uint64_t)names[k][0]);
			strcat(seen, v.v[i].name);
			snprintf(after, sizeof(after), "%s", v.v[i].name);
		}
		got = v.n;
		hostset_free(&v);
	} while (got);
	assert_string_equal(seen, "abcmqxz");
	/* and whole: every host with its own counts, sorted */
	assert_int_equal(totals_view(&t, VIEW_PREVIOUS, &v), 0);
	assert_int_equal(v.n, 7);
	for (size_t i = 0; i < v.n; i++) {
		size_t k = 0;

		while (strcmp(names[k], v.v[i].name))
			k++;
		assert_int_equal(v.v[i].name[0], "abcmqxz"[i]);
		assert_int_equal(v.v[i].tx[FAM_V4].bytes, 1000 + k);
		assert_int_equal(v.v[i].rx[FAM_V6].packets, (uint64_t)names[k][0]);
	}
	hostset_free(&v);
	totals_free(&t);
}

/* The daemon keeps no snapshot between polls: the totals take its addresses, and the views,
 * the forgetting and a rebuild read them there. */
static void test_attach(void **state)
{
	struct hostset s = { 0 }, v = { 0 };
	struct totals t = { 0 };
	struct period_spec p;
	struct addr a6;
	struct total *pc, *tv;
	size_t total = 0, pos = 0;
	uint32_t *order = NULL;

	(void)state;
	assert_int_equal(period_parse(&p, "1"), 0);
	snap_set(&s, "pc", 1000, 500);
	snap_set(&s, "tv", 0, 0); /* in the kernel, nothing counted yet */
	assert_int_equal(addr_parse(&a6, "fd00::7"), 0);
	assert_non_null(hostset_add_addr(&s, "pc", &a6));
	memcpy(hostset_find(&s, "tv")->mac, "aa:bb:cc:dd:ee:ff", MAC_SIZE);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_non_null(hostset_ensure(&s, "stranger")); /* not in the totals: not taken */
	assert_int_equal(host_set_addrs(hostset_find(&s, "stranger"), &a6, 1), 0);
	pc = totals_find(&t, "pc");
	tv = totals_find(&t, "tv");
	assert_false(pc->present || tv->present);
	assert_int_equal(totals_present(&t), 0);
	totals_attach(&t, &s);
	assert_int_equal(totals_present(&t), 2);
	assert_true(pc->present && tv->present);
	assert_int_equal(pc->naddrs, 2);
	assert_true(addr_equal(&pc->addrs[1], &a6));
	assert_null(hostset_find(&s, "pc")->addrs); /* taken, not copied */
	assert_int_equal(hostset_find(&s, "pc")->naddrs, 0);
	assert_int_equal(hostset_find(&s, "stranger")->naddrs, 1);
	assert_string_equal(tv->mac, "aa:bb:cc:dd:ee:ff");
	/* the views: addresses and MACs from the totals */
	assert_int_equal(totals_view(&t, VIEW_ALL, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(hostset_find(&v, "pc")->naddrs, 2);
	assert_string_equal(hostset_find(&v, "tv")->mac, "aa:bb:cc:dd:ee:ff");
	hostset_free(&v);
	assert_int_equal(totals_view(&t, VIEW_CURRENT, &v), 0);
	assert_int_equal(v.n, 2); /* tv counted nothing but is in the kernel */
	hostset_free(&v);
	assert_int_equal(totals_view_after(&t, VIEW_ALL, "pc", 5, &v, &total), 0);
	assert_int_equal(total, 2);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.v[0].naddrs, 1);
	hostset_free(&v);
	assert_int_equal(totals_order(&t, &order), 0);
	assert_int_equal(totals_view_at(&t, VIEW_ALL, order, &pos, 5, &v), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[0].name, "pc");
	assert_int_equal(v.v[0].naddrs, 2);
	hostset_free(&v);
	free(order);
	/* the previous period's view: the addresses of its hosts that are still there */
	assert_int_equal(totals_roll(&t, &p, 1800000000, 12), 0);
	assert_int_equal(totals_roll(&t, &p, 1900000000, 12), 1);
	assert_int_equal(totals_view(&t, VIEW_PREVIOUS, &v), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.v[0].naddrs, 2);
	hostset_free(&v);
	hostset_free(&s);
	/* the next poll: tv left the kernel, pc has one address */
	snap_set(&s, "pc", 1000, 500);
	tu_attach(&t, &s);
	assert_true(pc->present);
	assert_false(tv->present);
	assert_int_equal(pc->naddrs, 1);
	assert_int_equal(tv->naddrs, 0);
	assert_null(tv->addrs);
	assert_int_equal(totals_present(&t), 1);
	assert_int_equal(totals_view(&t, VIEW_CURRENT, &v), 0);
	/* a new period, nothing counted yet: pc is in the kernel, tv is not */
	assert_int_equal(v.n, 1);
	assert_string_equal(v.v[0].name, "pc");
	hostset_free(&v);
	hostset_free(&s);
	/* a rename onto a host with addresses: TO has FROM's too (the kernel's host is TO's
	 * now, for a rebuild before the next poll) */
	snap_set(&s, "pc", 1000, 500);
	snap_set(&s, "tv", 10, 10);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	tu_attach(&t, &s);
	assert_int_equal(totals_rename(&t, "pc", "tv"), 1);
	assert_int_equal(t.n, 1);
	tv = totals_find(&t, "tv");
	assert_int_equal(tv->naddrs, 2);
	assert_true(addr_equal(&tv->addrs[0], &hostset_find(&s, "tv")->addrs[0]));
	assert_true(addr_equal(&tv->addrs[1], &hostset_find(&s, "pc")->addrs[0]));
	hostset_free(&s);
	/* onto a host gone from the kernel (`iptmon rename old laptop`, laptop remembered): the
	 * host is still in the kernel, under its new name, for a rebuild before the next poll */
	snap_set(&s, "old", 1, 1);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	tu_attach(&t, &s);
	assert_false(tv->present);
	assert_int_equal(totals_rename(&t, "old", "tv"), 1);
	tv = totals_find(&t, "tv");
	assert_true(tv->present);
	assert_int_equal(tv->naddrs, 1);
	assert_true(addr_equal(&tv->addrs[0], &hostset_find(&s, "old")->addrs[0]));
	assert_int_equal(totals_present(&t), 1);
	hostset_free(&s);
	totals_free(&t); /* (the sanitizer build: no address array left behind) */
}

static void test_many(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 }, u;
	unsigned int bad;
	char name[32], *text;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		struct host *h;

		snprintf(name, sizeof(name), "h%d", i);
		h = hostset_ensure(&s, name);
		h->tx[FAM_V6].bytes = (uint64_t)i;
	}
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_int_equal(t.n, 5000);
	text = tu_state_text(&t);
	assert_int_equal(read_str(text, &u, &bad), 0);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "h%d", i);
		assert_int_equal(totals_find(&u, name)->all.bytes[FAM_V6][0], i);
	}
	assert_null(totals_find(&u, "h5000"));
	free(text);
	totals_free(&u);
	totals_free(&t);
	hostset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_text_exact),
		cmocka_unit_test(test_state_damaged),
		cmocka_unit_test(test_state_v1),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_delta_bytes),
		cmocka_unit_test(test_period_reserve),
		cmocka_unit_test(test_period_packed),
		cmocka_unit_test(test_previous_slices),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_attach),
	};

	tu_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
