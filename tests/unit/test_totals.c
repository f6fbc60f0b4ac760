// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/totals.c: monotonic totals and the state file. */
#include "testutil.h"

#include "totals.h"

static void snap_set(struct hostset *s, const char *name, uint64_t txb, uint64_t rxb)
{
	char as[32];
	struct addr a;
	struct host *h;

	/* one address per name */
	snprintf(as, sizeof(as), "10.0.%u.%u", tu_fnv1a(name) % 250, (unsigned int)strlen(name));
	assert_int_equal(addr_parse(&a, as), 0);
	h = hostset_find(s, name);
	if (!h) {
		assert_true(hostset_upsert(s, name, &a) >= 0);
		h = hostset_find(s, name);
	}
	h->tx[FAM_V4] = (struct counter){ .bytes = txb, .packets = txb / 100 };
	h->rx[FAM_V4] = (struct counter){ .bytes = rxb, .packets = rxb / 100 };
}

static void test_monotonic(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 };

	(void)state;
	snap_set(&s, "pc", 1000, 500);
	assert_int_equal(totals_update(&t, &s, "boot-a"), 0);
	assert_int_equal(totals_find(&t, "pc")->bytes[FAM_V4][0], 1000);
	snap_set(&s, "pc", 1500, 700);
	totals_update(&t, &s, "boot-a");
	assert_int_equal(totals_find(&t, "pc")->bytes[FAM_V4][0], 1500);
	assert_int_equal(totals_find(&t, "pc")->bytes[FAM_V4][1], 700);
	/* the counter was recreated: what it has now is added, nothing subtracted */
	snap_set(&s, "pc", 200, 0);
	totals_update(&t, &s, "boot-a");
	assert_int_equal(totals_find(&t, "pc")->bytes[FAM_V4][0], 1700);
	assert_int_equal(totals_find(&t, "pc")->bytes[FAM_V4][1], 700);
	assert_int_equal(totals_find(&t, "pc")->packets[FAM_V4][0], 15 + 2);
	/* a host that is gone keeps its totals */
	hostset_free(&s);
	snap_set(&s, "phone", 10, 10);
	totals_update(&t, &s, "boot-a");
	assert_int_equal(totals_find(&t, "pc")->bytes[FAM_V4][0], 1700);
	assert_int_equal(totals_find(&t, "phone")->bytes[FAM_V4][0], 10);
	/* a new boot: every counter is new, even one above the last value */
	snap_set(&s, "phone", 5000, 10);
	totals_update(&t, &s, "boot-b");
	assert_int_equal(totals_find(&t, "phone")->bytes[FAM_V4][0], 5010);
	assert_string_equal(t.boot_id, "boot-b");
	hostset_free(&s);
	totals_free(&t);
}

static char *write_str(const struct totals *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(totals_write(f, t), 0);
	fclose(f);
	return buf;
}

static int read_str(const char *text, struct totals *t, unsigned int *bad)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = totals_read(f, t, bad);
	fclose(f);
	return ret;
}

static void test_state_round_trip(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 }, u;
	unsigned int bad;
	char *text, *again;

	(void)state;
	snap_set(&s, "pc", 1000, 500);
	snap_set(&s, "Living.Room_TV-2", 3, 4);
	totals_update(&t, &s, "e394b081-754f-4025-bcb3-72e2e8de76ca");
	text = write_str(&t);
	assert_non_null(strstr(text, "iptmon-state 1\nboot e394b081-754f-4025-bcb3-72e2e8de76ca\n"));
	assert_non_null(strstr(text, "host pc ipv4 tx 1000 10 1000 10\n"));
	assert_non_null(strstr(text, "host pc ipv4 rx 500 5 500 5\n"));
	assert_int_equal(read_str(text, &u, &bad), 0);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.boot_id, t.boot_id);
	again = write_str(&u);
	assert_string_equal(again, text);
	free(again);
	free(text);
	hostset_free(&s);
	totals_free(&t);
	totals_free(&u);
}

static void test_state_damaged(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
	} bad[] = {
		{ "", 1 },
		{ "garbage\n", 1 },
		{ "iptmon-state 2\nend\n", 1 },
		{ "iptmon-state 1\nboot -\nhost pc ipv4 tx 1 1 1 1\n", 4 }, /* truncated: no end */
		{ "iptmon-state 1\nhost pc ipv4 tx 1 1 1", 2 },		    /* torn line */
		{ "iptmon-state 1\nhost p$c ipv4 tx 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nhost pc ipv5 tx 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nhost pc ipv4 up 1 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nhost pc ipv4 tx x 1 1 1\nend\n", 2 },
		{ "iptmon-state 1\nend\nhost pc ipv4 tx 1 1 1 1\n", 3 },
	};
	struct totals t;
	unsigned int line;

	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		assert_int_equal(read_str(bad[i].text, &t, &line), -EINVAL);
		assert_int_equal(line, bad[i].line);
		assert_null(t.v);
	}
	assert_int_equal(read_str("iptmon-state 1\nboot -\nend\n", &t, &line), 0);
	assert_int_equal(t.n, 0);
	assert_string_equal(t.boot_id, "");
	totals_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_damaged),
	};

	tu_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
