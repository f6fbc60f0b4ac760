// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/npool.c: names kept once, by reference, against a plain model. */
#include "testutil.h"

#include "name.h"
#include "npool.h"

#define NAMES 600

/* Every name the model holds is found at its id with its text; the others are not found. */
static void check(const struct npool *p, const unsigned int *refs, const uint32_t *ids)
{
	char nm[32];
	uint32_t live = 0;

	for (unsigned int i = 0; i < NAMES; i++) {
		snprintf(nm, sizeof(nm), "n%u", i);
		if (!refs[i]) {
			assert_int_equal(npool_find(p, nm), -1);
			continue;
		}
		live++;
		assert_int_equal(npool_find(p, nm), ids[i]);
		assert_string_equal(npool_name(p, ids[i]), nm);
		assert_int_equal(p->refs[ids[i]], refs[i]);
	}
	assert_int_equal(p->live, live);
}

/* Random references and releases, many more than the index holds at first (it grows), with
 * names going and coming (deletion from the probe runs, ids used again). */
static void test_model(void **state)
{
	static unsigned int refs[NAMES];
	static uint32_t ids[NAMES];
	struct npool p = { 0 };
	uint32_t seed = 12345, id;
	char nm[32];

	(void)state;
	for (int step = 0; step < 200000; step++) {
		unsigned int i;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % NAMES;
		snprintf(nm, sizeof(nm), "n%u", i);
		if ((seed >> 28) & 1 || !refs[i]) {
			assert_int_equal(npool_ref(&p, nm, &id), 0);
			if (refs[i])
				assert_int_equal(id, ids[i]); /* held: the same id */
			ids[i] = id;
			refs[i]++;
		} else {
			npool_unref(&p, ids[i]);
			refs[i]--;
		}
		if (step % 4999 == 0)
			check(&p, refs, ids);
	}
	check(&p, refs, ids);
	/* every id held is one name's: none given twice */
	for (unsigned int i = 0; i < NAMES; i++)
		for (unsigned int j = i + 1; refs[i] && j < NAMES; j++)
			assert_true(!refs[j] || ids[i] != ids[j]);
	/* all released: nothing held, the ids used again rather than new ones */
	for (unsigned int i = 0; i < NAMES; i++)
		while (refs[i]) {
			npool_unref(&p, ids[i]);
			refs[i]--;
		}
	check(&p, refs, ids);
	assert_true(p.n <= NAMES);
	{
		uint32_t ids_before = p.n;

		assert_int_equal(npool_ref(&p, "again", &id), 0);
		assert_int_equal(p.n, ids_before); /* an id given back, not a new one */
	}
	npool_free(&p);
}

/* One name taken and released again and again: one id, and memory that does not grow. */
static void test_churn(void **state)
{
	struct npool p = { 0 };
	uint32_t id, first;
	size_t mem;

	(void)state;
	assert_int_equal(npool_ref(&p, "phone", &first), 0);
	npool_unref(&p, first);
	mem = npool_memory(&p);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(npool_ref(&p, "phone", &id), 0);
		assert_int_equal(id, first);
		npool_unref(&p, id);
	}
	assert_int_equal(npool_memory(&p), mem);
	assert_int_equal(p.live, 0);
	npool_free(&p);
}

/* The next name after *K whose slot in an index of 64 is SLOT. */
static void name_at(unsigned int *k, uint32_t slot, char nm[32])
{
	do
		snprintf(nm, 32, "w%u", (*k)++);
	while ((name_hash(nm) & 63) != slot);
}

/* A probe run that wraps around the end of the index: a name in slot 62, two whose slot is 63
 * (one of them in slot 0). The first goes: the wrapped one stays where it is and is found;
 * or the second goes: the wrapped one moves back to 63 and is found. */
static void test_wrap(void **state)
{
	struct npool p = { 0 };
	char a[32], b[32], c[32];
	unsigned int k = 0;
	uint32_t ia, ib, ic;

	(void)state;
	name_at(&k, 62, a);
	name_at(&k, 63, b);
	name_at(&k, 63, c);
	assert_int_equal(npool_ref(&p, a, &ia), 0);
	assert_int_equal(npool_ref(&p, b, &ib), 0);
	assert_int_equal(npool_ref(&p, c, &ic), 0);
	assert_int_equal(p.idx_cap, 64);
	assert_int_equal(p.idx[0], ic + 1); /* (the run wrapped) */
	npool_unref(&p, ia);
	assert_int_equal(npool_find(&p, b), ib);
	assert_int_equal(npool_find(&p, c), ic);
	assert_int_equal(npool_find(&p, a), -1);
	npool_free(&p);
	assert_int_equal(npool_ref(&p, a, &ia), 0);
	assert_int_equal(npool_ref(&p, b, &ib), 0);
	assert_int_equal(npool_ref(&p, c, &ic), 0);
	npool_unref(&p, ib);
	assert_int_equal(npool_find(&p, c), ic);
	assert_int_equal(p.idx[63], ic + 1);
	assert_int_equal(p.idx[0], 0);
	assert_int_equal(npool_find(&p, b), -1);
	npool_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
