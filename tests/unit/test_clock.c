// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for clocks: period boundaries where local midnight repeats or a day is skipped
 * (a property over many dates and zones), periods that only roll forward, and a wall clock
 * behind the state's newest time treated as not yet set.
 */
#include "testutil.h"
#include "statetext.h"

#include <sys/stat.h>
#include <time.h>

#include "period.h"
#include "totals.h"

static const char *const zones[] = { "America/Havana", "Pacific/Apia", "Europe/Berlin",
				     "Australia/Lord_Howe", "America/Sao_Paulo", "UTC" };

static void use_zone(const char *zone)
{
	char path[256];
	struct stat st;

	/* Without tzdata every zone is UTC and this test would prove nothing: fail loudly. */
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	if (stat(path, &st) < 0)
		fail_msg("%s missing: install tzdata (apt-get install tzdata)", path);
	setenv("TZ", zone, 1);
	tzset();
}

static time_t utc(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };

	return timegm(&tm);
}

/* The local calendar day of T as one number, for comparing. */
static long local_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

struct walk {
	unsigned long periods, bad;
	char first[256];
};

static void bad(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->bad++) {
		va_start(ap, fmt);
		vsnprintf(w->first, sizeof(w->first), fmt, ap);
		va_end(ap);
	}
}

/*
 * Every period from FROM to TO, one after the other: it holds the instant asked about, it is
 * not empty, the next one starts where it ends, the instants inside and at its last second
 * give the same period, and it starts on a local day change (the first instant of a day).
 */
static void walk(struct walk *w, const struct period_spec *p, time_t from, time_t to)
{
	time_t s, e, s2, e2, t = from;

	while (t < to) {
		period_bounds(p, t, &s, &e);
		w->periods++;
		if (!(s <= t && t < e)) {
			bad(w, "at %lld: [%lld, %lld) does not hold it", (long long)t, (long long)s,
			    (long long)e);
			t += 3600;
			continue;
		}
		period_bounds(p, e - 1, &s2, &e2);
		if (s2 != s || e2 != e)
			bad(w, "[%lld, %lld): its last second gives [%lld, %lld)", (long long)s,
			    (long long)e, (long long)s2, (long long)e2);
		period_bounds(p, s + (e - s) / 2, &s2, &e2);
		if (s2 != s || e2 != e)
			bad(w, "[%lld, %lld): its middle gives [%lld, %lld)", (long long)s,
			    (long long)e, (long long)s2, (long long)e2);
		if (local_day(s - 1) >= local_day(s))
			bad(w, "[%lld, %lld) starts inside a local day", (long long)s, (long long)e);
		period_bounds(p, e, &s2, &e2);
		if (s2 != e)
			bad(w, "[%lld, %lld) is followed by [%lld, %lld)", (long long)s, (long long)e,
			    (long long)s2, (long long)e2);
		t = e;
	}
}

static void property(const char *spec, time_t from, time_t to)
{
	struct period_spec p;

	assert_int_equal(period_parse(&p, spec), 0);
	for (size_t z = 0; z < TU_ARRAY_SIZE(zones); z++) {
		struct walk w = { 0 };

		use_zone(zones[z]);
		walk(&w, &p, from, to);
		if (w.bad)
			fail_msg("%s, period_start %s: %lu bad of %lu periods; first: %s", zones[z],
				 spec, w.bad, w.periods, w.first);
		assert_true(w.periods > 10);
	}
}

static void test_property_monthly(void **state)
{
	(void)state;
	property("1", utc(1995, 1, 1), utc(2035, 1, 1));
	property("15", utc(1995, 1, 1), utc(2035, 1, 1));
	property("31", utc(1995, 1, 1), utc(2035, 1, 1));
}

static void test_property_days(void **state)
{
	(void)state;
	property("2000-01-01/1", utc(2008, 1, 1), utc(2016, 1, 1));
	property("2011-12-28/1", utc(2016, 1, 1), utc(2031, 1, 1));
	property("2024-03-10/7", utc(1995, 1, 1), utc(2035, 1, 1));
	property("2011-12-30/3", utc(2005, 1, 1), utc(2020, 1, 1));
}

/* PERIOD_START at NOW in ZONE is exactly [START, END). */
static void exact(const char *zone, const char *spec, time_t now, time_t start, time_t end)
{
	struct period_spec p;
	time_t s, e;

	use_zone(zone);
	assert_int_equal(period_parse(&p, spec), 0);
	period_bounds(&p, now, &s, &e);
	if (s != start || e != end)
		fail_msg("%s %s at %lld: [%lld, %lld), want [%lld, %lld)", zone, spec,
			 (long long)now, (long long)s, (long long)e, (long long)start,
			 (long long)end);
}

static void test_exact(void **state)
{
	(void)state;
	/* Apia skipped 2011-12-30: the day from the 29th ends at the 31st's midnight (+14) */
	exact("Pacific/Apia", "2011-12-28/1", 1325152800 + 43200, 1325152800, 1325239200);
	/* the skipped day's period is empty: the next one starts where the 29th ends */
	exact("Pacific/Apia", "2011-12-28/1", 1325239200, 1325239200, 1325239200 + 86400);
	/* Havana 2013-03-10: midnight skipped, the day starts at 01:00 CDT */
	exact("America/Havana", "2013-03-01/1", 1362891600 + 3600, 1362891600, 1362974400);
	exact("America/Havana", "2013-03-01/1", 1362891599, 1362891600 - 86400, 1362891600);
	/* Havana 2013-11-03: midnight twice; the day starts at the first */
	exact("America/Havana", "2013-11-01/1", 1383454800, 1383451200, 1383541200);
	exact("America/Havana", "2013-11-01/1", 1383451200 + 1800, 1383451200, 1383541200);
	exact("America/Havana", "3", 1383451200 + 1800, 1383451200, 1386046800);
	/* Lord Howe moves by 30 min at 02:00: a day of 23.5 h */
	exact("Australia/Lord_Howe", "2026-10-01/1", 1791034200 + 20000, 1791034200, 1791118800);
	/* Berlin: local midnights across the March change */
	exact("Europe/Berlin", "1", 1772319600 + 86400 * 20, 1772319600, 1774994400);
}

static void snap_pc(struct hostset *s, uint64_t tx)
{
	struct host *h = hostset_ensure(s, "pc");

	assert_non_null(h);
	h->tx[FAM_V4].bytes = tx;
}

/*
 * A clock behind the current period (a router booting before NTP) neither re-bases the
 * period into the past nor, once corrected, hands the real period's counts to a bogus one.
 */
static void test_roll_forward_only(void **state)
{
	struct period_spec p;
	struct hostset s = { 0 };
	struct totals t = { 0 };
	const time_t nov = 1793491200, dec = 1796083200; /* 2026-11-01, 2026-12-01 UTC */

	(void)state;
	use_zone("UTC");
	assert_int_equal(period_parse(&p, "1"), 0);
	snap_pc(&s, 1000);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_int_equal(totals_roll(&t, &p, nov + 86400 * 20, 3), 0);
	assert_int_equal(t.period_start, nov);
	assert_int_equal(t.period_end, dec);
	/* the clock jumps back months (a reboot before NTP): the period stays */
	assert_int_equal(totals_roll(&t, &p, utc(2026, 8, 15), 3), 0);
	assert_int_equal(t.period_start, nov);
	assert_int_equal(t.period_end, dec);
	assert_int_equal(t.npast, 0);
	snap_pc(&s, 1500);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	/* corrected: still November, with all of its counts */
	assert_int_equal(totals_roll(&t, &p, nov + 86400 * 21, 3), 0);
	assert_int_equal(t.period_start, nov);
	assert_int_equal(t.npast, 0);
	assert_int_equal(totals_find(&t, "pc")->cur.bytes[FAM_V4][0], 1500);
	/* December: November closes with 1500 */
	assert_int_equal(totals_roll(&t, &p, dec + 10, 3), 1);
	assert_int_equal(t.npast, 1);
	assert_int_equal(t.past[0].start, nov);
	assert_int_equal(t.past[0].end, dec);
	assert_int_equal(tu_was(&t, 0, 0, NULL).bytes[FAM_V4][0], 1500);
	assert_int_equal(t.period_start, dec);
	hostset_free(&s);
	totals_free(&t);
}

/* A new period never starts before the one that closed ends, whatever the spec became. */
static void test_roll_after_spec_change(void **state)
{
	struct period_spec p;
	struct totals t = { 0 };
	const time_t nov15 = utc(2026, 11, 15), dec15 = utc(2026, 12, 15);

	(void)state;
	use_zone("UTC");
	assert_int_equal(period_parse(&p, "15"), 0);
	assert_int_equal(totals_roll(&t, &p, nov15 + 100, 3), 0);
	assert_int_equal(t.period_start, nov15);
	assert_int_equal(period_parse(&p, "1"), 0); /* a HUP: monthly from the 1st */
	assert_int_equal(totals_roll(&t, &p, dec15 + 100, 3), 1);
	assert_int_equal(t.past[0].end, dec15);
	assert_int_equal(t.period_start, dec15); /* not 2026-12-01: no overlap */
	assert_int_equal(t.period_end, utc(2027, 1, 1));
	totals_free(&t);
}

static void read_str(const char *text, struct totals *t)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	unsigned int bad_line;

	assert_non_null(f);
	if (totals_read(f, t, &bad_line))
		fail_msg("line %u of:\n%s", bad_line, text);
	fclose(f);
}

/*
 * The state keeps the newest wall-clock time it saw; a clock behind it (or before the
 * floor) is not yet set: no period opens, closes or moves until it is.
 */
static void test_clock_not_set(void **state)
{
	struct period_spec p;
	struct totals t = { 0 }, u;
	const time_t nov = 1793491200, dec = 1796083200;
	char *text;

	(void)state;
	use_zone("UTC");
	assert_int_equal(period_parse(&p, "1"), 0);
	assert_int_equal(totals_roll(&t, &p, nov + 86400 * 20, 3), 0);
	assert_int_equal(t.stamp, nov + 86400 * 20);
	assert_true(totals_clock_set(&t, nov + 86400 * 20));
	assert_false(totals_clock_set(&t, nov + 86400 * 19));
	/* the newest time is in the file, and read back */
	text = tu_state_text(&t);
	assert_non_null(strstr(text, "\ntime 1795219200\n"));
	read_str(text, &u);
	free(text);
	assert_int_equal(u.stamp, nov + 86400 * 20);
	/* a restart with the clock behind it: nothing moves, the stamp stays */
	assert_int_equal(totals_roll(&u, &p, nov + 86400 * 10, 3), 0);
	assert_int_equal(u.stamp, nov + 86400 * 20);
	assert_int_equal(u.period_start, nov);
	/* no period yet and a clock from before any release (1970 after a power cut): none opens */
	totals_free(&t);
	assert_false(totals_clock_set(&t, 86400));
	assert_int_equal(totals_roll(&t, &p, 86400, 3), 0);
	assert_int_equal(t.period_start, 0);
	assert_int_equal(t.period_end, 0);
	assert_int_equal(t.stamp, 0);
	/* set at last: the period opens */
	assert_int_equal(totals_roll(&t, &p, dec + 5, 3), 0);
	assert_int_equal(t.period_start, dec);
	/* an older state file (version 2, no time line): its period start stands for it */
	totals_free(&t);
	read_str("iptmon-state 2\nboot -\nperiod 1793491200 1796083200\nend\n", &u);
	assert_int_equal(u.stamp, 1793491200);
	assert_false(totals_clock_set(&u, 1793491199));
	text = tu_state_text(&u);
	assert_non_null(strstr(text, "\ntime 1793491200\n"));
	free(text);
	totals_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_property_monthly),
		cmocka_unit_test(test_property_days),
		cmocka_unit_test(test_roll_forward_only),
		cmocka_unit_test(test_roll_after_spec_change),
		cmocka_unit_test(test_clock_not_set),
	};

	tu_init();
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
