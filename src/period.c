// SPDX-License-Identifier: GPL-2.0-or-later
/* Accounting period boundaries. Pure: time zone from the environment, no other state. */
#include "period.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int days_in_month(int y, int m) /* m 0-11, y since 1900 */
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int yy = y + 1900;

	if (m == 1 && ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0))
		return 29;
	return d[m];
}

int period_parse(struct period_spec *p, const char *s)
{
	unsigned int y, m, d, n;
	char tail;
	int len = 0;

	memset(p, 0, sizeof(*p));
	if (sscanf(s, "%4u-%2u-%2u/%u%n%c", &y, &m, &d, &n, &len, &tail) == 4 && !s[len] &&
	    isdigit((unsigned char)s[0])) {
		if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
		    (int)d > days_in_month((int)y - 1900, (int)m - 1) || n < 1 || n > 3660)
			return -EINVAL;
		p->days = n;
		p->anchor_y = (int)y - 1900;
		p->anchor_m = (int)m - 1;
		p->anchor_d = (int)d;
		return 0;
	}
	if (sscanf(s, "%2u%n%c", &d, &len, &tail) == 1 && !s[len] && isdigit((unsigned char)s[0]) &&
	    d >= 1 && d <= 31) {
		p->mday = (int)d;
		return 0;
	}
	return -EINVAL;
}

/* A calendar day as one ordered number. */
static long long day_key(int y, int m, int d)
{
	return ((long long)y * 12 + m) * 32 + d;
}

static bool local_tm(time_t t, struct tm *tm)
{
	return localtime_r(&t, tm) != NULL;
}

static long gmtoff_at(time_t t)
{
	struct tm tm;

	return local_tm(t, &tm) ? tm.tm_gmtoff : 0;
}

/*
 * The start of local day y (since 1900), m, d (both may be out of range): the first instant
 * whose local date is that day or later. Where midnight is skipped the day starts when the
 * clock jumps; where it repeats, at the first one; a day skipped whole (Pacific/Apia,
 * 2011-12-30) starts where the next one does, so its period is empty and never holds an
 * instant. Non-decreasing in the day, which keeps periods contiguous.
 */
static time_t day_start(int y, int m, int d)
{
	struct tm u = { .tm_year = y, .tm_mon = m, .tm_mday = d }, tm;
	long long want;
	time_t mid, t;

	mid = timegm(&u); /* the day's 00:00 in UTC; u is now normalised */
	want = day_key(u.tm_year, u.tm_mon, u.tm_mday);
	/* Well before the day in every zone (offsets stay within 15 h of UTC). */
	t = mid - 30 * 3600;
	for (int i = 0; i < 16; i++) {
		long off = gmtoff_at(t);
		time_t c = mid - off, lo = t, hi = c; /* 00:00 on the wall clock, at offset off */

		if (gmtoff_at(c) == off)
			return c; /* no change of offset on the way: midnight itself */
		while (hi - lo > 1) { /* the first instant at another offset */
			time_t x = lo + (hi - lo) / 2;

			if (gmtoff_at(x) == off)
				lo = x;
			else
				hi = x;
		}
		if (!local_tm(hi, &tm) || day_key(tm.tm_year, tm.tm_mon, tm.tm_mday) >= want)
			return hi; /* the clock jumped over midnight: the day starts there */
		t = hi;
	}
	return t;
}

/* The month's start day: mday, or the month's last day when it is shorter. */
static time_t month_start(int mday, int y, int m)
{
	while (m < 0) {
		m += 12;
		y--;
	}
	while (m > 11) {
		m -= 12;
		y++;
	}
	return day_start(y, m, mday < days_in_month(y, m) ? mday : days_in_month(y, m));
}

/* The range NOW is taken in: the years period_parse accepts, with room for a period. */
#define PERIOD_MIN_TIME -2208988800LL /* 1900-01-01 */
#define PERIOD_MAX_TIME 253370764800LL /* 9998-12-31 */

void period_bounds(const struct period_spec *p, time_t now, time_t *start, time_t *end)
{
	struct tm tm;
	long long t = (long long)now; /* a 32-bit time_t is always inside */

	if (t < PERIOD_MIN_TIME)
		now = (time_t)PERIOD_MIN_TIME;
	if (t > PERIOD_MAX_TIME)
		now = (time_t)PERIOD_MAX_TIME;
	if (!p->days) {
		int mday = p->mday ? p->mday : 1, y, m;

		if (!local_tm(now, &tm)) {
			*start = now;
			*end = now + 1;
			return;
		}
		y = tm.tm_year;
		m = tm.tm_mon;
		/* Settle on the month whose start is at or before NOW and the next one's after. */
		while (month_start(mday, y, m) > now)
			m--;
		while (month_start(mday, y, m + 1) <= now)
			m++;
		*start = month_start(mday, y, m);
		*end = month_start(mday, y, m + 1);
		return;
	}
	/* Every N days: count whole days from the anchor by calendar, so DST does not drift. */
	{
		time_t a = day_start(p->anchor_y, p->anchor_m, p->anchor_d);
		long long k = (long long)((double)(now - a) / 86400.0 / p->days);

		if (now < a)
			k -= 1;
		while (day_start(p->anchor_y, p->anchor_m, p->anchor_d + (int)(k * p->days)) > now)
			k--;
		while (day_start(p->anchor_y, p->anchor_m, p->anchor_d + (int)((k + 1) * p->days)) <=
		       now)
			k++;
		*start = day_start(p->anchor_y, p->anchor_m, p->anchor_d + (int)(k * p->days));
		*end = day_start(p->anchor_y, p->anchor_m, p->anchor_d + (int)((k + 1) * p->days));
	}
}
