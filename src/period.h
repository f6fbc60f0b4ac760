/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_PERIOD_H
#define IPTMON_PERIOD_H

#include <time.h>

/*
 * Accounting periods, in local time: monthly from a day of the month (a day past a month's
 * end means its last day), or every N days from a date. Periods start at local midnight.
 */
struct period_spec {
	int mday;	   /* 1-31: monthly; 0 when days is set */
	unsigned int days; /* every N days from anchor */
	int anchor_y, anchor_m, anchor_d;
};

/* "15" or "2026-01-05/7"; 0 or -EINVAL. */
int period_parse(struct period_spec *p, const char *s);
/* The period holding NOW: [*start, *end). */
void period_bounds(const struct period_spec *p, time_t now, time_t *start, time_t *end);

#endif
