// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/influx.c's queue bound (no transfer is ever run: influx_run is not
 * called, so the first batch stays "being sent" and nothing touches the network). */
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
	struct influx *ix = influx_new("http://127.0.0.1:9/write?db=x", "", 200, err, sizeof(err));

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
