// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/influx.c's queue bound (an https:// URL: libcurl's path, whose transfer
 * is never run: influx_run is not called, so the first batch stays "being sent" and nothing
 * touches the network). src/hpost.c, the plain http:// path: test_hpost.c. */
#include "testutil.h"

#include "push.h"

static char *batch(size_t len)
{
	char *b = malloc(len);

	assert_non_null(b);
	memset(b, 'x', len);
	return b;
}

static void test_queue_bound(void **state)
{
	char err[256];
	struct influx *ix = influx_new("https://127.0.0.1:9/write?db=x", "", 200, false, err, sizeof(err));

	(void)state;
	assert_non_null(ix);
	influx_push(ix, batch(100), 100); /* sent at once: in flight */
	influx_push(ix, batch(100), 100);
	assert_int_equal(influx_queued(ix), 200);
	assert_int_equal(influx_dropped(ix), 0);
	/* over 200: the oldest waiting one goes, not the one in flight nor the newest */
	influx_push(ix, batch(100), 100);
	assert_int_equal(influx_queued(ix), 200);
	assert_int_equal(influx_dropped(ix), 1);
	/* one batch bigger than the bound still waits (never the newest) */
	influx_push(ix, batch(500), 500);
	assert_int_equal(influx_queued(ix), 600);
	assert_int_equal(influx_dropped(ix), 2);
	influx_free(ix);
}

/* The batch's first byte names it: 'A' + its push number. */
static char *named(int k)
{
	char *b = batch(10);

	b[0] = (char)('A' + k);
	return b;
}

/*
 * A long outage: never more than INFLUX_MAX_BATCHES batches (and never over max_queue), the
 * outage's first point and the newest kept, the ones between spread evenly (no gap between
 * kept points more than twice the even spacing).
 */
static void test_queue_thinned(void **state)
{
	char err[256];
	struct influx *ix = influx_new("https://127.0.0.1:9/write?db=x", "", 1 << 20, false, err, sizeof(err));
	int pushes = 2 + 4 * INFLUX_MAX_BATCHES, prev = -1, maxgap = 0;
	size_t len;

	(void)state;
	assert_non_null(ix);
	for (int k = 0; k < pushes; k++) {
		influx_push(ix, named(k), 10);
		assert_true(influx_batches(ix) <= INFLUX_MAX_BATCHES);
		assert_true(influx_queued(ix) == influx_batches(ix) * 10);
	}
	assert_int_equal(influx_batches(ix), INFLUX_MAX_BATCHES);
	assert_int_equal(influx_dropped(ix), pushes - INFLUX_MAX_BATCHES);
	assert_int_equal((unsigned char)influx_batch(ix, 0, &len)[0], 'A'); /* the outage's first (in flight here) */
	assert_int_equal((unsigned char)influx_batch(ix, INFLUX_MAX_BATCHES - 1, &len)[0],
			 'A' + pushes - 1);
	for (size_t i = 1; i < INFLUX_MAX_BATCHES; i++) {
		int k = (unsigned char)influx_batch(ix, i, &len)[0] - 'A';

		assert_true(k > prev);
		if (prev >= 0 && k - prev > maxgap)
			maxgap = k - prev;
		prev = k;
	}
	assert_true(maxgap <= 2 * (pushes - 2) / (INFLUX_MAX_BATCHES - 2));
	influx_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_queue_thinned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
