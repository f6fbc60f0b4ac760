// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/period.c: period_start parsing and period boundaries. */
#include "testutil.h"

#include "period.h"

static time_t at(const char *s) /* "YYYY-MM-DD HH:MM" local */
{
	struct tm tm = { 0 };

	assert_non_null(strptime(s, "%Y-%m-%d %H:%M", &tm));
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void check(const char *spec, const char *now, const char *start, const char *end)
{
	struct period_spec p;
	time_t s, e;

	assert_int_equal(period_parse(&p, spec), 0);
	period_bounds(&p, at(now), &s, &e);
	if (s != at(start) || e != at(end))
		fail_msg("%s at %s: got %ld..%ld, want %s..%s", spec, now, (long)s, (long)e, start,
			 end);
}

static void test_parse(void **state)
{
	static const char *const bad[] = { "", "0", "32", "-1", "1x", " 1", "2026-02-30/7",
					   "2026-01-01/0", "2026-01-01", "2026-13-01/7",
					   "2026-01-01/7x", "1969-12-31/1", "15 ", "abc" };
	struct period_spec p;

	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++)
		if (period_parse(&p, bad[i]) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(period_parse(&p, "31"), 0);
	assert_int_equal(p.mday, 31);
	assert_int_equal(period_parse(&p, "2024-02-29/14"), 0);
	assert_int_equal(p.days, 14);
}

static void test_monthly(void **state)
{
	(void)state;
	check("1", "2026-11-26 17:00", "2026-11-01 00:00", "2026-12-01 00:00");
	check("1", "2026-12-31 23:59", "2026-12-01 00:00", "2027-01-01 00:00");
	check("15", "2026-11-14 23:59", "2026-10-15 00:00", "2026-11-15 00:00");
	check("15", "2026-11-15 00:00", "2026-11-15 00:00", "2026-12-15 00:00");
	check("15", "2026-01-03 10:00", "2025-12-15 00:00", "2026-01-15 00:00");
	/* past a month's end: its last day */
	check("31", "2026-02-28 12:00", "2026-02-28 00:00", "2026-03-31 00:00");
	check("31", "2026-02-27 12:00", "2026-01-31 00:00", "2026-02-28 00:00");
	check("30", "2024-02-29 00:00", "2024-02-29 00:00", "2024-03-30 00:00");
	check("31", "2026-04-30 08:00", "2026-04-30 00:00", "2026-05-31 00:00");
}

static void test_every(void **state)
{
	(void)state;
	check("2026-01-05/7", "2026-01-05 00:00", "2026-01-05 00:00", "2026-01-12 00:00");
	check("2026-01-05/7", "2026-01-11 23:59", "2026-01-05 00:00", "2026-01-12 00:00");
	check("2026-01-05/7", "2026-11-26 17:00", "2026-11-23 00:00", "2026-11-30 00:00");
	check("2026-01-05/7", "2025-12-30 12:00", "2025-12-29 00:00", "2026-01-05 00:00");
	check("2026-01-01/1", "2026-06-10 13:00", "2026-06-10 00:00", "2026-06-11 00:00");
	check("2026-01-01/30", "2026-03-02 00:00", "2026-03-02 00:00", "2026-04-01 00:00");
}

/*
 * Selects time zone ZONE, or skips the calling test, loudly, when its file is missing: glibc
 * silently takes an unknown zone for UTC, and every DST check would then pass for nothing.
 * tzdata is in tests/deps.sh.
 */
static void use_zone(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if (access(path, R_OK)) {
		print_error("SKIPPED: time zone file %s missing (install tzdata): the zone checks "
			    "did not run\n",
			    path);
		skip();
	}
	setenv("TZ", zone, 1);
	tzset();
}

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Across daylight saving time, periods still start at local midnight. */
static void test_dst(void **state)
{
	(void)state;
	use_zone("Europe/Berlin");
	/* the zone is really in force: 2026-07-01 12:00 local is 10:00 UTC */
	assert_int_equal(at("2026-07-01 12:00"), 1782900000);
	check("2026-03-23/7", "2026-04-01 12:00", "2026-03-30 00:00", "2026-04-06 00:00");
	check("1", "2026-10-31 23:30", "2026-10-01 00:00", "2026-11-01 00:00");
	check("2026-10-20/7", "2026-10-27 00:30", "2026-10-27 00:00", "2026-11-03 00:00");
	use_utc();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_monthly),
		cmocka_unit_test(test_every),
		cmocka_unit_test(test_dst),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
