// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/history.c: the ring, the days, their bounds, the state lines, the API. */
#include "testutil.h"
#include "statetext.h"
#include "jsoncheck.h"

#include <inttypes.h>

#include "history.h"
#include "totals.h"

#define T0 1767225600LL /* 2026-01-01 00:00:00 UTC, a whole slot */
#define DAY 86400LL

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* One poll in which NAME moved TX bytes to it and RX from it (IPv4 and IPv6 halves). */
static void delta(struct totals *t, const char *name, uint64_t tx, uint64_t rx)
{
	struct total *e = totals_get(t, name);

	assert_non_null(e);
	e->delta[FAM_V4][0] = tx / 2;
	e->delta[FAM_V6][0] = tx - tx / 2;
	e->delta[FAM_V4][1] = rx;
}

static void poll_at(struct totals *t, long long now)
{
	assert_int_equal(history_poll(&t->hist, t, (time_t)now), 0);
	for (size_t i = 0; i < t->n; i++)
		memset(&t->v[i].delta, 0, sizeof(t->v[i].delta));
}

static char *render(const struct totals *t, bool days, const char *arg, int want)
{
	char *body = NULL;
	size_t len = 0;

	assert_int_equal(history_render(t, days, arg, &body, &len), want);
	assert_non_null(body);
	assert_int_equal(strlen(body), len);
	if (!want)
		assert_true(json_valid(body));
	return body;
}

/* A closed slot's 12 bits: exact below 256, within 1/256 above, in order, bounded. */
static void test_pack(void **state)
{
	uint16_t prev = 0;

	(void)state;
	for (unsigned int v = 0; v < 256; v++)
		assert_true(hist_unpack(hist_pack(v)) == v);
	for (double v = 256; v < 2.75e11; v = v * 1.0007 + 1) {
		uint16_t p = hist_pack(v);
		double back = hist_unpack(p);

		assert_true(p >= prev && p <= HIST_PACK_MAX);
		/* half a step of the mantissa (1/256 of the value at most) and half a byte */
		assert_true(back - v <= v / 256 + 0.5 && v - back <= v / 256 + 0.5);
		prev = p;
	}
	/* every code unpacks to a distinct value, in order */
	for (unsigned int c = 1; c <= HIST_PACK_MAX; c++) {
		assert_true(hist_unpack((uint16_t)c) > hist_unpack((uint16_t)(c - 1)));
		assert_int_equal(hist_pack(hist_unpack((uint16_t)c)), c);
	}
	/* the largest: 255 << 30; past it, that */
	assert_true(hist_unpack(HIST_PACK_MAX) == 255.0 * (double)(1ULL << 30));
	assert_int_equal(hist_pack(255.0 * (double)(1ULL << 30)), HIST_PACK_MAX);
	assert_int_equal(hist_pack(2.749e11), HIST_PACK_MAX);
	assert_int_equal(hist_pack(1e300), HIST_PACK_MAX);
	assert_int_equal(hist_pack(-1), 0);
}

static void test_ring(void **state)
{
	struct totals t = { .has_rates = true, .dt_ms = 10000 };
	char *s;

	(void)state;
	delta(&t, "pc", 600, 60);
	poll_at(&t, T0 + 5);
	s = render(&t, false, NULL, 0);
	/* the newest slot, over the 10 s the poll covered: 60 and 6 bytes per second */
	assert_non_null(strstr(s, "\"start\": 1767222060, \"now\": 1767225605, \"poll_ms\": 10000"));
	assert_non_null(strstr(s, "\"name\": \"pc\", \"tx\": [0,0,0,"));
	assert_non_null(strstr(s, ",0,60], \"rx\": [0,"));
	assert_non_null(strstr(s, ",0,6]}"));
	free(s);
	/* the slot after it: the first is full now, 600 bytes over 60 s */
	delta(&t, "pc", 1200, 0);
	poll_at(&t, T0 + 65);
	s = render(&t, false, "pc", 0);
	assert_non_null(strstr(s, ",0,10,120], \"rx\": [0,"));
	free(s);
	assert_int_equal(t.hist.rings_used, 1);
	/* both directions of a closed slot, each its own 12 bits of the slot's 3 bytes */
	{
		char want[128];

		delta(&t, "big", 60 * 1000003ULL, 60 * 77777ULL);
		poll_at(&t, T0 + 75);
		poll_at(&t, T0 + 125);
		s = render(&t, false, "big", 0);
		snprintf(want, sizeof(want), ",0,%.0f,0], \"rx\": [0,",
			 hist_unpack(hist_pack(60 * 1000003.0)) / 60);
		assert_non_null(strstr(s, want));
		snprintf(want, sizeof(want), ",0,%.0f,0], \"days\"",
			 hist_unpack(hist_pack(60 * 77777.0)) / 60);
		assert_non_null(strstr(s, want));
		free(s);
		s = render(&t, false, "pc", 0); /* pc's slots as they were */
		assert_non_null(strstr(s, ",0,10,20,0], \"rx\": [0,"));
		assert_non_null(strstr(s, ",0,1,0,0], \"days\""));
		free(s);
		assert_int_equal(t.hist.rings_used, 2);
	}
	/* an hour and more later the ring is quiet: pc is in no list of recent hosts, and its
	 * ring is given back */
	t.has_rates = false;
	poll_at(&t, T0 + 2 * 3600);
	s = render(&t, false, NULL, 0);
	assert_non_null(strstr(s, "\"hosts\": []}"));
	free(s);
	assert_int_equal(t.hist.hosts[0].ring, 0);
	assert_int_equal(t.hist.rings_used, 0);
	s = render(&t, false, "pc", 0); /* a host without a ring: zeros */
	assert_non_null(strstr(s, "\"tx\": [0,0,0,"));
	assert_non_null(strstr(s, ",0,0], \"rx\": [0,"));
	free(s);
	/* a poll without rates (the first one after a start) counts in the day only */
	delta(&t, "pc", 1000, 0);
	poll_at(&t, T0 + 2 * 3600 + 10);
	s = render(&t, false, "pc", 0);
	assert_non_null(strstr(s, "\"days\": [{\"start\": 1767225600, \"tx_bytes\": 2800, \"rx_bytes\": 60}]"));
	assert_null(strstr(s, "1000"));
	free(s);
	totals_free(&t);
}

/* The rings: only the hosts that moved bytes in the last hour hold one; given back ones are
 * used again, and when half of them are free the array shrinks, each host keeping its own. */
static void test_rings(void **state)
{
	struct totals t = { .has_rates = true, .dt_ms = 10000 };
	char name[32];
	char *s;

	(void)state;
	for (int i = 0; i < 400; i++) { /* 400 hosts known, from their days */
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, 1000 + (uint64_t)i, 0);
	}
	t.has_rates = false; /* (the first poll after a start: no rates, no ring) */
	poll_at(&t, T0 + 5);
	assert_int_equal(t.hist.n, 400);
	assert_int_equal(t.hist.rings_used, 0);
	assert_null(t.hist.rings);
	t.has_rates = true;
	for (int i = 0; i < 400; i++) { /* all move bytes: 400 rings */
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, 1000 + (uint64_t)i, 0);
	}
	poll_at(&t, T0 + 15);
	assert_int_equal(t.hist.rings_used, 400);
	assert_true(t.hist.rings_cap >= 400 && t.hist.rings_cap <= 500);
	/* a minute later only every tenth moves: the others' rings hold one closed minute */
	for (int k = 1; k <= 59; k++) {
		for (int i = 0; i < 400; i += 10) {
			snprintf(name, sizeof(name), "h%d", i);
			delta(&t, name, 60 * (uint64_t)(i + 1), 0);
		}
		poll_at(&t, T0 + 5 + k * 60);
	}
	assert_int_equal(t.hist.rings_used, 400);
	/* the hour is over for the quiet ones: their rings go, the array shrinks */
	for (int i = 0; i < 400; i += 10) {
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, 60 * (uint64_t)(i + 1), 0);
	}
	poll_at(&t, T0 + 5 + 61 * 60);
	assert_int_equal(t.hist.rings_used, 40);
	assert_true(t.hist.rings_cap <= 40 + 10 + 16);
	/* each kept its own: h130's closed minutes are 131 bytes a second (the minute before
	 * this one had no poll), a quiet one's none */
	s = render(&t, false, "h130", 0);
	assert_non_null(strstr(s, "\"tx\": [131,131,"));
	assert_non_null(strstr(s, ",131,0,786], \"rx\""));
	free(s);
	s = render(&t, false, "h131", 0);
	assert_non_null(strstr(s, "\"tx\": [0,0,0,"));
	free(s);
	/* a quiet host moves bytes again: a ring again */
	delta(&t, "h131", 600, 0);
	poll_at(&t, T0 + 5 + 61 * 60 + 10);
	assert_int_equal(t.hist.rings_used, 41);
	s = render(&t, false, "h131", 0);
	assert_non_null(strstr(s, ",0,30], \"rx\"")); /* 600 B over the slot's 20 s of polls */
	free(s);
	totals_free(&t);
}

/* history_hour = off (or no HTTP server): the rings go at once, no poll takes one, the API
 * says so with empty rings; the days count on exactly as before. */
static void test_hour_off(void **state)
{
	struct totals t = { .has_rates = true, .dt_ms = 10000 };
	size_t with_rings;
	char name[32];
	char *s;

	(void)state;
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, 1000, 10);
	}
	poll_at(&t, T0 + 5);
	assert_int_equal(t.hist.rings_used, 100);
	s = render(&t, false, NULL, 0);
	assert_non_null(strstr(s, "\"poll_ms\": 10000, \"hour\": true, \"hosts\": [\n"));
	free(s);
	with_rings = history_memory(&t.hist);
	history_hour(&t.hist, false);
	assert_int_equal(t.hist.rings_used, 0);
	assert_null(t.hist.rings);
	assert_true(history_memory(&t.hist) + 100 * sizeof(hist_ring) <= with_rings);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, 1000, 10);
	}
	poll_at(&t, T0 + 15);
	assert_int_equal(t.hist.rings_used, 0);
	assert_null(t.hist.rings);
	s = render(&t, false, NULL, 0);
	assert_non_null(strstr(s, "\"poll_ms\": 10000, \"hour\": false, \"hosts\": []}"));
	free(s);
	s = render(&t, false, "h7", 0);
	assert_non_null(strstr(s, "\"hour\": false, \"host\": {\"name\": \"h7\", \"tx\": [], "
				  "\"rx\": [], \"days\": [{\"start\": 1767225600, \"tx_bytes\": 2000, "
				  "\"rx_bytes\": 20}]}}"));
	free(s);
	/* on again: rings from the next poll that moves bytes */
	history_hour(&t.hist, true);
	delta(&t, "h7", 600, 0);
	poll_at(&t, T0 + 25);
	assert_int_equal(t.hist.rings_used, 1);
	s = render(&t, false, "h7", 0);
	assert_non_null(strstr(s, "\"hour\": true, "));
	/* 600 B over the 10 s of the one poll since: the polls before it, with the hour off,
	 * are not the slot's */
	assert_non_null(strstr(s, ",0,60], \"rx\": [0,"));
	assert_non_null(strstr(s, "\"tx_bytes\": 2600, \"rx_bytes\": 20}]"));
	free(s);
	totals_free(&t);
}

static void test_days_and_state(void **state)
{
	struct totals t = { .period_start = T0, .period_end = T0 + 31 * DAY, .stamp = T0 + DAY }, u;
	unsigned int bad;
	char *a, *b, *s;
	FILE *f;

	(void)state;
	/* pc's download crosses 2^32 within the day (an entry keeps 32-bit halves) */
	delta(&t, "pc", 4294967295u, 10);
	delta(&t, "phone", 5, 0);
	poll_at(&t, T0 + 3600);
	delta(&t, "pc", 100, 10);
	poll_at(&t, T0 + 7200);
	delta(&t, "phone", 7, 1);
	poll_at(&t, T0 + DAY + 1);
	assert_int_equal(t.hist.ndays, 2);
	a = tu_state_text(&t);
	assert_non_null(strstr(a, "day 1767225600 pc 4294967395 20\nday 1767225600 phone 5 0\n"
				  "day 1767312000 phone 7 1\nend\n"));
	/* the live file has no days */
	{
		char *buf = NULL;
		size_t len = 0;

		f = open_memstream(&buf, &len);
		assert_int_equal(totals_write(f, &t, true), 0);
		fclose(f);
		assert_null(strstr(buf, "day "));
		free(buf);
	}
	/* read back: the same file, and the same answers */
	f = fmemopen(a, strlen(a), "r");
	assert_int_equal(totals_read(f, &u, &bad), 0);
	fclose(f);
	b = tu_state_text(&u);
	assert_string_equal(a, b);
	s = render(&u, true, "current", 0);
	assert_non_null(strstr(s, "{\"start\": 1767312000, \"hosts\": [{\"name\": \"phone\", \"tx_bytes\": 7, \"rx_bytes\": 1}]}"));
	free(s);
	/* and a day goes on after a restart: today's entries grow, none doubles */
	delta(&u, "phone", 3, 0);
	poll_at(&u, T0 + DAY + 100);
	free(b);
	b = tu_state_text(&u);
	assert_non_null(strstr(b, "day 1767312000 phone 10 1\nend\n"));
	free(a);
	free(b);
	totals_free(&t);
	totals_free(&u);
}

/*
 * A day that has ended is packed: entries read back exactly (varint edges, 2^32 and up),
 * the state file is what it was, and compaction moves host indexes down inside a packed day
 * (from two bytes to one).
 */
static int by_line(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_days_packed(void **state)
{
	static const uint64_t vals[] = { 0,	    1,		 127,		  128,
					 16383,	    16384,	 4294967295ULL,	  4294967296ULL,
					 1ULL << 35, (1ULL << 62) + 12345 };
	struct totals t = { .period_start = T0, .period_end = T0 + 31 * DAY, .stamp = T0 + 3 * DAY }, u;
	char name[16], line[128], *want = NULL, *a, *b, *s;
	size_t wlen = 0, mem_array;
	unsigned int bad;
	FILE *w, *f;

	(void)state;
	for (int i = 0; i < 150; i++) { /* day 0: hosts that go with it */
		snprintf(name, sizeof(name), "g%d", i);
		delta(&t, name, 5, 5);
	}
	poll_at(&t, T0 + 50);
	for (int i = 0; i < 150; i++) { /* day 1: the hosts that stay, at indexes 150 to 299 */
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, vals[i % TU_ARRAY_SIZE(vals)], (uint64_t)i + 1);
	}
	poll_at(&t, T0 + DAY + 50);
	mem_array = history_memory(&t.hist);
	delta(&t, "h0", 1, 1);
	poll_at(&t, T0 + 2 * DAY + 50); /* day 2 opens: day 1 is packed */
	assert_int_equal(t.hist.ndays, 3);
	assert_null(t.hist.days[1].v);
	assert_non_null(t.hist.days[1].buf);
	assert_int_equal(t.hist.days[1].n, 150);
	/* 150 entries: 2-byte indexes, 1 to 9 bytes of tx, 1 or 2 of rx; the array took 20 each */
	assert_true(t.hist.days[1].len < 150 * 12);
	assert_true(history_memory(&t.hist) < mem_array);
	/* the period starts at day 1: day 0 and its hosts go, the others move down */
	t.period_start = T0 + DAY;
	poll_at(&t, T0 + 2 * DAY + 60);
	assert_int_equal(t.hist.ndays, 2);
	assert_int_equal(t.hist.n, 150);
	{ /* every index in the packed day is one of the 150, in the order the hosts came */
		size_t pos = 0;
		uint32_t host, k = 0;
		uint64_t by[2];

		while (hist_day_next(&t.hist.days[0], &pos, &host, by))
			assert_int_equal(host, k++);
		assert_int_equal(k, 150);
		assert_true(t.hist.days[0].len < 150 * 12);
	}
	w = open_memstream(&want, &wlen);
	assert_non_null(w);
	{ /* a day's lines in the order of the names (h0, h1, h10, h100, h101, ...) */
		char lines[150][80];

		for (int i = 0; i < 150; i++)
			snprintf(lines[i], sizeof(lines[i]), "day %lld h%d %" PRIu64 " %d\n",
				 T0 + DAY, i, vals[i % TU_ARRAY_SIZE(vals)], i + 1);
		qsort(lines, 150, sizeof(lines[0]), by_line);
		for (int i = 0; i < 150; i++)
			fputs(lines[i], w);
	}
	fprintf(w, "day %lld h0 1 1\nend\n", T0 + 2 * DAY);
	fclose(w);
	a = tu_state_text(&t);
	assert_non_null(strstr(a, want));
	/* read back: the same file */
	f = fmemopen(a, strlen(a), "r");
	assert_int_equal(totals_read(f, &u, &bad), 0);
	fclose(f);
	assert_non_null(u.hist.days[0].buf);
	b = tu_state_text(&u);
	assert_string_equal(a, b);
	/* and the API reads the packed day */
	s = render(&u, true, "current", 0);
	snprintf(line, sizeof(line), "{\"name\": \"h9\", \"tx_bytes\": %" PRIu64 ", \"rx_bytes\": 10}, ",
		 vals[9]);
	assert_non_null(strstr(s, line));
	free(s);
	s = render(&u, false, "h7", 0);
	snprintf(line, sizeof(line), "\"days\": [{\"start\": %lld, \"tx_bytes\": %" PRIu64 ", \"rx_bytes\": 8}]",
		 T0 + DAY, vals[7]);
	assert_non_null(strstr(s, line));
	free(s);
	free(want);
	free(a);
	free(b);
	totals_free(&t);
	totals_free(&u);
}

/* A rename moves a host's history and its name's references: the old name goes with its
 * last, one held by a history of its own stays. */
static void test_rename_names(void **state)
{
	struct totals t = { .period_start = T0, .period_end = T0 + 31 * DAY };
	char *s;

	(void)state;
	delta(&t, "pc", 100, 1);
	delta(&t, "tv", 5, 5);
	poll_at(&t, T0 + 50);
	assert_int_equal(t.hist.n, 2);
	tu_refs(&t);
	assert_int_equal(totals_rename(&t, "pc", "desk"), 1);
	tu_refs(&t);
	assert_int_equal(npool_find(&t.hist.names, "pc"), -1);
	s = render(&t, false, "desk", 0);
	assert_non_null(strstr(s, "\"tx_bytes\": 100, \"rx_bytes\": 1}"));
	free(s);
	/* onto a host with a history of its own: one total, two histories */
	assert_int_equal(totals_rename(&t, "desk", "tv"), 1);
	tu_refs(&t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.hist.n, 2);
	assert_int_equal(t.hist.names.refs[npool_find(&t.hist.names, "desk")], 1);
	assert_int_equal(t.hist.names.refs[npool_find(&t.hist.names, "tv")], 2);
	totals_free(&t);
}

static void test_bad_lines(void **state)
{
	static const char *const bad[] = {
		"day 200 pc 1 1\nday 100 pc 1 1\n", /* days out of order */
		"day 100 pc 1 1\nday 100 pc 2 2\n", /* a name twice in a day */
		"day 100 p<c 1 1\n",
		"day 100 pc 1\n",
		"day 100 pc 1 1 1\n",
		"day 100 pc -1 1\n",
		"day -100 pc 1 1\n",
		"day 100 pc 1 99999999999999999999999\n",
		"day  100 pc 1 1\n",
		"day 100 pc 1 1 \n",
	};
	char text[256];
	struct totals t;
	unsigned int line;

	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		FILE *f;

		snprintf(text, sizeof(text), "iptmon-state 2\nboot -\nperiod 0 0\n%send\n", bad[i]);
		f = fmemopen(text, strlen(text), "r");
		assert_int_equal(totals_read(f, &t, &line), -EINVAL);
		fclose(f);
		assert_true(line >= 4);
	}
}

static void test_prune(void **state)
{
	struct totals t = { .period_start = T0, .period_end = T0 + 10 * DAY };
	struct counts was = { 0 };
	char *s;

	(void)state;
	for (int d = 0; d < 5; d++) {
		delta(&t, d < 2 ? "gone" : "pc", 1000, 1);
		poll_at(&t, T0 + d * DAY + 50);
	}
	assert_int_equal(t.hist.ndays, 5);
	assert_int_equal(t.hist.n, 2);
	/* a period closed and none is kept: the days before the current period go, and "gone"
	 * with them */
	t.period_start = T0 + 3 * DAY;
	poll_at(&t, T0 + 4 * DAY + 100);
	assert_int_equal(t.hist.ndays, 2);
	assert_int_equal(t.hist.n, 1);
	assert_string_equal(npool_name(&t.hist.names, t.hist.hosts[0].name), "pc");
	/* gone's history gave its name back: only its total holds it now */
	assert_true(npool_find(&t.hist.names, "gone") >= 0);
	assert_int_equal(t.hist.names.refs[npool_find(&t.hist.names, "gone")], 1);
	assert_int_equal(t.hist.names.live, 2);
	s = render(&t, false, "pc", 0);
	assert_non_null(strstr(s, "\"days\": [{\"start\": 1767484800, \"tx_bytes\": 1000, \"rx_bytes\": 1}, "
				  "{\"start\": 1767571200, \"tx_bytes\": 1000, \"rx_bytes\": 1}]"));
	free(s);
	/* a kept period keeps its days: the previous one starts at T0 + DAY */
	t.past = calloc(1, sizeof(*t.past));
	assert_non_null(t.past);
	t.past[0] = (struct period_rec){ .start = T0 + 3 * DAY - 7 * DAY, .end = T0 + 3 * DAY };
	was.bytes[FAM_V4][0] = 42;
	assert_int_equal(period_add(&t.past[0], &t.hist.names, "old", &was), 0);
	/* more hosts after it, each with its own counts (v6 and packets too) */
	was.bytes[FAM_V4][0] = 0;
	was.bytes[FAM_V6][1] = 900;
	was.bytes[FAM_V4][1] = 7;
	was.packets[FAM_V4][0] = 5;
	assert_int_equal(period_add(&t.past[0], &t.hist.names, "older", &was), 0);
	memset(&was, 0, sizeof(was));
	was.bytes[FAM_V6][0] = 5000000000ULL;
	assert_int_equal(period_add(&t.past[0], &t.hist.names, "big", &was), 0);
	t.npast = 1;
	delta(&t, "pc", 1, 1);
	poll_at(&t, T0 + 4 * DAY + 200);
	assert_int_equal(t.hist.ndays, 2);
	s = render(&t, true, "previous", 0);
	assert_non_null(strstr(s, "\"period\": {\"index\": 1, \"start\": 1766880000, \"end\": 1767484800}"));
	assert_non_null(strstr(s, "\"hosts\": [\n  {\"name\": \"big\", \"tx_bytes\": 5000000000, \"rx_bytes\": 0},\n"
				  "  {\"name\": \"older\", \"tx_bytes\": 0, \"rx_bytes\": 907},\n"
				  "  {\"name\": \"old\", \"tx_bytes\": 42, \"rx_bytes\": 0}],\n\"days\": []}"));
	free(s);
	totals_free(&t);
}

static void test_bounds(void **state)
{
	struct totals t = { 0 };
	char name[32];

	(void)state;
	/* hosts: past HIST_MAX_HOSTS a host has no history (its totals are not touched) */
	for (int i = 0; i < HIST_MAX_HOSTS + 10; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		delta(&t, name, 1, 1);
	}
	poll_at(&t, T0);
	assert_int_equal(t.hist.n, HIST_MAX_HOSTS);
	assert_int_equal(t.hist.dropped, 10);
	/* host-days: at most HIST_MAX_ENTRIES, the oldest days go first */
	for (int d = 1; d <= HIST_MAX_ENTRIES / HIST_MAX_HOSTS + 1; d++) {
		for (int i = 0; i < HIST_MAX_HOSTS; i++) {
			snprintf(name, sizeof(name), "h%d", i);
			delta(&t, name, 1, 1);
		}
		poll_at(&t, T0 + d * DAY);
		assert_true(t.hist.entries <= HIST_MAX_ENTRIES);
	}
	assert_int_equal(t.hist.entries, HIST_MAX_ENTRIES);
	assert_int_equal(t.hist.days[0].start, T0 + 2 * DAY);
	/* the bound the README gives: a host 20 B, its ring 180 B, 8 of index, a name at most 98
	 * (its id's slots, 64 of text), the days, a packed host-day 23 B at most, the newest day
	 * 20 B a host */
	assert_int_equal(sizeof(struct hist_host), 20);
	assert_int_equal(sizeof(hist_ring), 180);
	assert_int_equal(sizeof(struct hist_ent), 20);
	assert_true(sizeof(struct hist_day) <= 48); /* (40 with 32-bit pointers) */
	assert_true(history_memory(&t.hist) <= (20u + 180 + 8 + 98 + 20) * HIST_MAX_HOSTS +
							  48u * 1024 + 23u * HIST_MAX_ENTRIES);
	/* 1.5 MiB (2680 KiB with 20 B a host-day and names in the hosts), the totals' names too */
	assert_true(history_memory(&t.hist) < 1600u << 10);
	totals_free(&t);
	/* days: at most HIST_MAX_DAYS */
	memset(&t, 0, sizeof(t));
	for (int d = 0; d < HIST_MAX_DAYS + 5; d++) {
		delta(&t, "pc", 1, 1);
		poll_at(&t, T0 + d * DAY);
	}
	assert_int_equal(t.hist.ndays, HIST_MAX_DAYS);
	assert_int_equal(t.hist.days[0].start, T0 + 5 * DAY);
	totals_free(&t);
}

static void test_api_errors(void **state)
{
	struct totals t = { .period_start = T0, .period_end = T0 + DAY };
	static const char *const periods[] = { "", "2", "-1", "x", "current ", "1x", "00001",
					       "18446744073709551617" };
	char *s;

	(void)state;
	delta(&t, "pc", 1, 1);
	poll_at(&t, T0 + 1);
	for (size_t i = 0; i < TU_ARRAY_SIZE(periods); i++) {
		s = render(&t, true, periods[i], -EINVAL);
		assert_string_equal(s, "unknown period: current, previous or 0 to 0\n");
		free(s);
	}
	s = render(&t, true, "previous", -EINVAL);
	free(s);
	s = render(&t, false, "nosuch", -EINVAL);
	assert_string_equal(s, "unknown host\n");
	free(s);
	s = render(&t, false, "", -EINVAL);
	free(s);
	/* a host the totals know without any history has an empty one */
	assert_non_null(totals_get(&t, "quiet"));
	s = render(&t, false, "quiet", 0);
	assert_non_null(strstr(s, "\"days\": []}}"));
	free(s);
	s = render(&t, true, "0", 0);
	free(s);
	s = render(&t, true, NULL, 0);
	free(s);
	totals_free(&t);
}

/* Every piece of /api/history (DAYS false) or /api/days for ARG from a zeroed cursor, into one
 * string; *PIECES: how many were asked for. Between the first AFTER pieces and the rest,
 * BETWEEN(T) is run (a poll). */
static char *pieces(struct totals *t, bool days, const char *arg, int after,
		    void (*between)(struct totals *t), int *npieces)
{
	struct hist_cursor c = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret, n = 0;

	assert_non_null(f);
	do {
		if (n == after && between)
			between(t);
		ret = history_piece(f, t, days, arg, &c);
		n++;
	} while (ret > 0);
	assert_int_equal(ret, 0);
	assert_int_equal(fclose(f), 0);
	assert_true(json_valid(buf));
	*npieces = n;
	return buf;
}

/* How many times NEEDLE is in S. */
static int times_in(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* A poll the next day, and the period starting then: day 0 goes, and the hosts only it had
 * (the even ones: their hour is quiet) with it; the others move down (a compaction). */
static void next_day_period(struct totals *t)
{
	unsigned long was = t->hist.reindexed;

	t->period_start = T0 + 1 * DAY;
	for (int i = 1; i < 50; i += 2) {
		char name[16];

		snprintf(name, sizeof(name), "h%02d", i);
		delta(t, name, 7, 7);
	}
	poll_at(t, T0 + 3 * DAY + 60);
	assert_int_equal(t->hist.ndays, 3); /* days 1, 2 and 3 */
	assert_true(t->hist.reindexed != was);
}

/* Days 0 to 2: 50 hosts on day 0, the odd ones on days 1 and 2. */
static void three_days(struct totals *t)
{
	char name[16];

	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < 50; i++)
			if (d == 0 || i % 2) {
				snprintf(name, sizeof(name), "h%02d", i);
				delta(t, name, (uint64_t)(i + 1 + d), 2);
			}
		poll_at(t, T0 + d * DAY + 60);
	}
}

/*
 * The bodies a piece at a time (what the daemon streams): the pieces of one poll add up to
 * the rendered body, 16 hosts or one day each; a poll between two pieces (a new day, a
 * compaction that moves the hosts down) loses and doubles no host nor day.
 */
static void test_pieces(void **state)
{
	static const struct {
		bool days;
		const char *arg;
		int pieces;
	} cases[] = {
		{ false, NULL, 3 },	/* the head, 16 hosts, 9 hosts and the end */
		{ true, NULL, 5 },	/* the head, 3 days, the end */
		{ true, "0", 5 },
		{ false, "h03", 1 },	/* one host's: whole */
	};
	struct totals t = { .period_start = T0, .period_end = T0 + 40 * DAY, .has_rates = true,
			    .dt_ms = 10000 };
	char name[16], *a, *b;
	int n;

	(void)state;
	three_days(&t);
	for (size_t k = 0; k < TU_ARRAY_SIZE(cases); k++) {
		a = render(&t, cases[k].days, cases[k].arg, 0);
		b = pieces(&t, cases[k].days, cases[k].arg, -1, NULL, &n);
		assert_string_equal(a, b);
		assert_int_equal(n, cases[k].pieces);
		assert_true(history_streams(&t, cases[k].days, cases[k].arg) == (n > 1));
		free(a);
		free(b);
	}
	assert_false(history_streams(&t, true, "5"));
	assert_false(history_streams(&t, true, "x"));

	/* the hour's hosts, a compaction after the first 16 (h01 to h31): each once */
	b = pieces(&t, false, NULL, 2, next_day_period, &n);
	for (int i = 1; i < 50; i += 2) {
		snprintf(name, sizeof(name), "\"h%02d\"", i);
		assert_int_equal(times_in(b, name), 1);
	}
	assert_int_equal(times_in(b, "\"name\""), 25);
	free(b);
	totals_free(&t);

	/* the days, a day begun (and the oldest gone) after the first: each once, in order */
	memset(&t, 0, sizeof(t));
	t.period_start = T0;
	t.period_end = T0 + 40 * DAY;
	three_days(&t);
	b = pieces(&t, true, NULL, 2, next_day_period, &n);
	assert_int_equal(times_in(b, "{\"start\": "), 4); /* day 0 (written before), 1, 2, 3 */
	for (int d = 0; d < 4; d++) {
		char day[48];

		snprintf(day, sizeof(day), "{\"start\": %lld, \"hosts\"", T0 + d * DAY);
		assert_int_equal(times_in(b, day), 1);
	}
	assert_true(strstr(b, "{\"start\": 1767225600") < strstr(b, "{\"start\": 1767484800"));
	free(b);
	totals_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack),
		cmocka_unit_test_setup(test_ring, setup_utc),
		cmocka_unit_test_setup(test_pieces, setup_utc),
		cmocka_unit_test_setup(test_rings, setup_utc),
		cmocka_unit_test_setup(test_hour_off, setup_utc),
		cmocka_unit_test_setup(test_days_and_state, setup_utc),
		cmocka_unit_test_setup(test_days_packed, setup_utc),
		cmocka_unit_test_setup(test_rename_names, setup_utc),
		cmocka_unit_test_setup(test_bad_lines, setup_utc),
		cmocka_unit_test_setup(test_prune, setup_utc),
		cmocka_unit_test_setup(test_bounds, setup_utc),
		cmocka_unit_test_setup(test_api_errors, setup_utc),
	};

	tu_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
