// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Accounting periods (src/period.c): period_start as the configuration gives it, in one of
 * several zones (midnight skipped or repeated by DST, a day skipped whole, half-hour DST), at
 * any instant from 1970 to about 2500. Input: a zone byte, 5 bytes of time, then the spec.
 * Properties: the period holds the instant and is not empty; the next period starts where it
 * ends, the previous one ends where it starts (contiguous, strictly increasing); its first and
 * last seconds are in it.
 */
#include "fuzz.h"

#include "period.h"

static const char *const zones[] = {
	"UTC",		  "Europe/Berlin",    "America/Havana",	  "Pacific/Apia",
	"Australia/Lord_Howe", "America/Santiago", "America/Sao_Paulo", "Asia/Tehran",
	"Pacific/Chatham", "Africa/Casablanca",
};

static void same(const struct period_spec *p, time_t at, time_t s, time_t e, const char *what,
		 const char *spec, const char *zone)
{
	time_t s2, e2;

	period_bounds(p, at, &s2, &e2);
	FZ_CHECK(s2 == s && e2 == e, "%s %s: [%lld, %lld) but %s (%lld) is in [%lld, %lld)", zone,
		 spec, (long long)s, (long long)e, what, (long long)at, (long long)s2,
		 (long long)e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int cur = -1;
	struct period_spec p;
	const char *zone;
	time_t now = 0, s, e, s2, e2;
	char *spec;
	int z;

	if (size < 6)
		return 0;
	z = data[0] % (int)(sizeof(zones) / sizeof(zones[0]));
	zone = zones[z];
	for (int i = 1; i < 6; i++)
		now = now << 8 | data[i];
	now %= 16725225600LL; /* before 2500-01-01 */
	spec = fz_str(data + 6, size - 6);
	if (period_parse(&p, spec))
		goto out;
	FZ_CHECK((p.mday >= 1 && p.mday <= 31 && !p.days) || (!p.mday && p.days >= 1),
		 "'%s': mday %d days %u", spec, p.mday, p.days);
	if (z != cur) {
		setenv("TZ", zone, 1);
		tzset();
		cur = z;
	}
	period_bounds(&p, now, &s, &e);
	FZ_CHECK(s <= now && now < e, "%s %s: %lld not in [%lld, %lld)", zone, spec,
		 (long long)now, (long long)s, (long long)e);
	period_bounds(&p, e, &s2, &e2);
	FZ_CHECK(s2 == e && e2 > e, "%s %s: [%lld, %lld) then [%lld, %lld)", zone, spec,
		 (long long)s, (long long)e, (long long)s2, (long long)e2);
	if (s > 0) {
		period_bounds(&p, s - 1, &s2, &e2);
		FZ_CHECK(e2 == s && s2 < s, "%s %s: [%lld, %lld) then [%lld, %lld)", zone, spec,
			 (long long)s2, (long long)e2, (long long)s, (long long)e);
	}
	same(&p, s, s, e, "its first second", spec, zone);
	same(&p, e - 1, s, e, "its last second", spec, zone);
out:
	free(spec);
	return 0;
}
