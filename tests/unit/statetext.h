/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file's text for a set of totals, for the tests that read it back or look in it. */
#ifndef IPTMON_TEST_STATETEXT_H
#define IPTMON_TEST_STATETEXT_H

#include "testutil.h"
#include "totals.h"

/* totals_write() into a string (free it). */
static inline char *tu_state_text(const struct totals *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(totals_write(f, t, false), 0);
	fclose(f);
	return buf;
}

/* What the daemon does after a poll with snapshot S: totals_attach() of a copy of it (S is
 * kept: attaching takes its address arrays). */
static inline void tu_attach(struct totals *t, const struct hostset *s)
{
	struct hostset c;

	assert_int_equal(hostset_copy(&c, s), 0);
	totals_attach(t, &c);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.v[i].naddrs, 0); /* taken */
	hostset_free(&c);
}

/* totals_forget() after tu_attach(S). */
static inline size_t tu_forget(struct totals *t, const struct hostset *s, int64_t now,
			       unsigned int forget_after, unsigned int max, uint64_t *lost)
{
	tu_attach(t, s);
	return totals_forget(t, now, forget_after, max, lost);
}

/* The Ith host of closed period P (asserted to be there), its name in *NAME if not NULL. */
static inline struct counts tu_was(const struct totals *t, size_t p, size_t i, const char **name)
{
	const struct period_rec *r = &t->past[p];
	struct counts c = { 0 };
	const char *nm = NULL;
	size_t pos = 0;

	for (size_t k = 0; k <= i; k++)
		assert_true(period_next(r, &t->hist.names, &pos, &nm, &c));
	if (name)
		*name = nm;
	return c;
}

/* Each total, history host and host of a closed period holds one reference to its name, and
 * the pool holds nothing else (npool.h): no name leaks, none goes while held. */
static inline void tu_refs(const struct totals *t)
{
	const struct npool *p = &t->hist.names;
	uint64_t held = 0, want = t->n + t->hist.n + t->hist.naliases;
	uint32_t live = 0;

	for (size_t k = 0; k < t->npast; k++)
		if (!period_on_file_only(&t->past[k])) /* (one on the file holds no name) */
			want += t->past[k].n;
	for (size_t i = 0; i < t->n; i++)
		assert_true(npool_find(p, t->v[i].name) >= 0);
	for (uint32_t i = 0; i < t->hist.n; i++)
		assert_non_null(npool_name(p, t->hist.hosts[i].name));
	for (size_t k = 0; k < t->npast; k++) {
		struct counts c;
		const char *nm;
		size_t pos = 0;

		while (period_next(&t->past[k], p, &pos, &nm, &c))
			assert_non_null(nm);
	}
	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i]) {
			held += p->refs[i];
			live++;
		}
	assert_int_equal(live, p->live);
	assert_int_equal(held, want);
}

#endif
