// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD for the namespace tests: the wall clock (time(), clock_gettime() of the
 * CLOCK_REALTIME family) of one process shifted by the seconds written in the file named by
 * $CLOCKSHIFT_FILE, re-read at every call, so a test can step a daemon's clock back and forth
 * without touching the machine's. Monotonic clocks are left alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int clock_gettime(clockid_t id, struct timespec *ts);
time_t time(time_t *t);

static long long shift(void)
{
	const char *path = getenv("CLOCKSHIFT_FILE");
	long long s = 0;
	FILE *f;

	if (!path || !(f = fopen(path, "re")))
		return 0;
	if (fscanf(f, "%lld", &s) != 1)
		s = 0;
	fclose(f);
	return s;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int ret;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	ret = real(id, ts);
	if (!ret && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)shift();
	return ret;
}

time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
