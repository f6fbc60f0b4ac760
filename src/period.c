// SPDX-License-Identifier: GPL-2.0-or-later
/* Accounting period boundaries. Pure: time zone from the environment, no other state. */
#include "period.h"

#include <ctype.h>
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

/* Local midnight of year y (since 1900), month m (may be out of 0-11), day d (may overflow). */
static time_t midnight(int y, int m, int d)
{
	struct tm tm = { 0 };

	tm.tm_year = y;
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return mktime(&tm);
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
	return midnight(y, m, mday < days_in_month(y, m) ? mday : days_in_month(y, m));
}

void period_bounds(const struct period_spec *p, time_t now, time_t *start, time_t *end)
{
	struct tm tm;

	localtime_r(&now, &tm);
	if (!p->days) {
		int mday = p->mday ? p->mday : 1;
		time_t s = month_start(mday, tm.tm_year, tm.tm_mon);

		if (now < s) {
			*start = month_start(mday, tm.tm_year, tm.tm_mon - 1);
			*end = s;
		} else {
			*start = s;
			*end = month_start(mday, tm.tm_year, tm.tm_mon + 1);
		}
		return;
	}
	/* Every N days: count whole days from the anchor by calendar, so DST does not drift. */
	{
		time_t a = midnight(p->anchor_y, p->anchor_m, p->anchor_d);
		long long k = (long long)((double)(now - a) / 86400.0 / p->days);
		time_t s;

		if (now < a)
			k -= 1;
		for (;;) { /* settle k so that start <= now < end */
			s = midnight(p->anchor_y, p->anchor_m, p->anchor_d + (int)(k * p->days));
			if (s > now) {
				k--;
				continue;
			}
			if (midnight(p->anchor_y, p->anchor_m, p->anchor_d + (int)((k + 1) * p->days)) <=
			    now) {
				k++;
				continue;
			}
			break;
		}
		*start = s;
		*end = midnight(p->anchor_y, p->anchor_m, p->anchor_d + (int)((k + 1) * p->days));
	}
}
