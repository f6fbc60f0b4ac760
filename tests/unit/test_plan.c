// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/plan.c: one change, computed once for every backend. */
#include "testutil.h"

#include "plan.h"

static struct addr A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(&a, s), 0);
	return a;
}

static void put(struct hostset *s, const char *name, const char *as)
{
	struct addr a = A(as);

	assert_true(hostset_upsert(s, name, &a) >= 0);
}

/* "del NAME ADDR;" ... "add ...;" "new NAME[<FROM];" "gone NAME;" in the plan's order. */
static void describe(const struct plan *p, char *out, size_t len)
{
	char as[ADDR_STRLEN];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->ndel; i++) {
		addr_format(p->del[i].a, as, sizeof(as));
		n += (size_t)snprintf(out + n, len - n, "del %s %s;", p->del[i].h->name, as);
	}
	for (size_t i = 0; i < p->nadd; i++) {
		addr_format(p->add[i].a, as, sizeof(as));
		n += (size_t)snprintf(out + n, len - n, "add %s %s;", p->add[i].h->name, as);
	}
	for (size_t i = 0; i < p->ncreated; i++)
		n += (size_t)snprintf(out + n, len - n, "new %s%s%s;", p->created[i].h->name,
				      p->created[i].from ? "<" : "",
				      p->created[i].from ? p->created[i].from : "");
	for (size_t i = 0; i < p->ngone; i++)
		n += (size_t)snprintf(out + n, len - n, "gone %s;", p->gone[i]->name);
}

static void test_steps(void **state)
{
	struct hostset old = { 0 }, want = { 0 };
	struct plan p;
	char d[512];

	(void)state;
	put(&old, "pc", "10.0.0.1");
	put(&old, "pc", "fd00::1");
	put(&old, "tv", "10.0.0.2");
	put(&old, "cam", "10.0.0.3");
	assert_int_equal(hostset_copy(&want, &old), 0);
	/* nothing changed: an empty plan */
	assert_int_equal(plan_make(&p, &old, &want), 0);
	assert_true(plan_empty(&p));
	plan_free(&p);
	/* pc moves to a new IPv4 address; cam goes; tv is renamed (dnsmasq's old); phone is new */
	put(&want, "pc", "10.0.0.9");
	{
		struct addr a = A("10.0.0.3");

		assert_int_equal(hostset_del_addr(&want, &a), 1);
		a = A("10.0.0.2");
		assert_int_equal(hostset_upsert_ex(&want, "telly", &a, true), 1);
	}
	put(&want, "phone", "10.0.0.4");
	assert_int_equal(plan_make(&p, &old, &want), 0);
	assert_false(plan_empty(&p));
	describe(&p, d, sizeof(d));
	assert_string_equal(d, "del pc 10.0.0.1;del tv 10.0.0.2;del cam 10.0.0.3;"
			       "add pc 10.0.0.9;add telly 10.0.0.2;add phone 10.0.0.4;"
			       "new telly<tv;new phone;gone tv;gone cam;");
	assert_ptr_equal(p.old, &old);
	assert_ptr_equal(p.want, &want);
	plan_free(&p);
	/* nothing in the kernel yet (old NULL): everything is new, nothing is a rename */
	assert_int_equal(plan_make(&p, NULL, &want), 0);
	assert_int_equal(p.ndel + p.ngone, 0);
	assert_int_equal(p.ncreated, want.n);
	for (size_t i = 0; i < p.ncreated; i++)
		assert_null(p.created[i].from);
	plan_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* A rename whose old name comes back in the same change is no rename: the old host stays. */
static void test_rename_back(void **state)
{
	struct hostset old = { 0 }, want = { 0 };
	struct plan p;
	char d[512];
	struct addr a = A("10.0.0.2"), b = A("10.0.0.5");

	(void)state;
	put(&old, "tv", "10.0.0.2");
	assert_int_equal(hostset_copy(&want, &old), 0);
	assert_int_equal(hostset_upsert_ex(&want, "telly", &a, true), 1);
	assert_true(hostset_upsert(&want, "tv", &b) >= 0);
	assert_int_equal(plan_make(&p, &old, &want), 0);
	describe(&p, d, sizeof(d));
	assert_string_equal(d, "del tv 10.0.0.2;add telly 10.0.0.2;add tv 10.0.0.5;new telly;");
	plan_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* Addresses past the bound of one host, as only a hand-made ruleset has them, are counted
 * and named so that the commands and the daemon can say so. */
static void test_addrs_dropped(void **state)
{
	struct hostset s = { 0 };
	char as[32];

	(void)state;
	for (int i = 1; i <= HOST_MAX_ADDRS + 3; i++) {
		struct addr a;

		snprintf(as, sizeof(as), "10.0.0.%d", i);
		a = A(as);
		assert_non_null(hostset_add_addr(&s, "many", &a));
	}
	assert_int_equal(hostset_find(&s, "many")->naddrs, HOST_MAX_ADDRS);
	assert_int_equal(s.addrs_dropped, 3);
	assert_string_equal(s.addrs_dropped_host, "many");
	hostset_free(&s);
	assert_int_equal(s.addrs_dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_rename_back),
		cmocka_unit_test(test_addrs_dropped),
	};

	tu_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
