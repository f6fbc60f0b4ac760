// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the facts a command leaves for the daemon (src/journal.c) and what the
 * totals do with them: renames move totals, re-created counters start from zero, hosts
 * gone too long are forgotten, and the number remembered is bounded.
 */
#include "testutil.h"
#include "statetext.h"

#include "journal.h"
#include "totals.h"

static void put(struct hostset *s, const char *name, const char *as, uint64_t txb)
{
	struct addr a;
	struct host *h;

	assert_int_equal(addr_parse(&a, as), 0);
	assert_true(hostset_upsert(s, name, &a) >= 0);
	h = hostset_find(s, name);
	h->tx[FAM_V4] = (struct counter){ .bytes = txb, .packets = txb / 100 };
}

struct facts {
	char text[1024];
};

static void collect(void *ctx, const struct journal_fact *f)
{
	struct facts *x = ctx;
	size_t n = strlen(x->text);

	snprintf(x->text + n, sizeof(x->text) - n, "%s%s%s%s;",
		 f->kind == JOURNAL_NEW ? "new " : f->kind == JOURNAL_RENAME ? "rename " : "lost",
		 f->kind == JOURNAL_RENAME ? f->from : "", f->kind == JOURNAL_RENAME ? ">" : "",
		 f->kind == JOURNAL_LOST ? "" : f->name);
}

static void test_parse(void **state)
{
	static const char text[] = "new pc\nrename pc workstation\nlost\n"
				   "new\nnew a b\nrename x\nnew ../x\nbogus pc\nnew tv";
	struct facts x = { "" };

	(void)state;
	journal_parse(text, strlen(text), collect, &x);
	/* bad lines skipped; the last one needs no newline */
	assert_string_equal(x.text, "new pc;rename pc>workstation;lost;new tv;");
}

static void commit_facts(const struct config *c, const struct hostset *old,
			 const struct hostset *want)
{
	struct plan p;

	assert_int_equal(plan_make(&p, old, want), 0);
	journal_commit(c, &p);
	plan_free(&p);
}

/* The facts of a commit, written where the daemon reads them, and read back once. */
static void test_commit_facts(void **state)
{
	struct hostset old = { 0 }, want = { 0 };
	struct config c;
	struct facts x = { "" };
	char *dir = tu_mkdtemp(), *path;

	(void)state;
	config_defaults(&c);
	snprintf(c.run_dir, sizeof(c.run_dir), "%s", dir);
	put(&old, "pc", "192.168.1.10", 1000);
	put(&old, "tv", "192.168.1.11", 50);
	assert_int_equal(hostset_copy(&want, &old), 0);
	/* dnsmasq's rename of pc, twice in one change, and a new host */
	assert_int_equal(hostset_upsert_ex(&want, "desk", &old.v[0].addrs[0], true), 1);
	{
		struct addr a;

		assert_int_equal(addr_parse(&a, "192.168.1.10"), 0);
		assert_int_equal(hostset_upsert_ex(&want, "office", &a, true), 1);
		assert_int_equal(addr_parse(&a, "192.168.1.12"), 0);
		assert_true(hostset_upsert(&want, "phone", &a) >= 0);
	}
	commit_facts(&c, &old, &want);
	commit_facts(&c, &want, &want); /* no change: no fact */
	assert_int_equal(journal_take(&c, collect, &x), 0);
	assert_string_equal(x.text, "rename pc>office;new phone;");
	/* taken once: the journal is empty now */
	x.text[0] = '\0';
	assert_int_equal(journal_take(&c, collect, &x), 0);
	assert_string_equal(x.text, "");
	/* no run_dir (no daemon since boot): nothing is written, nothing fails */
	snprintf(c.run_dir, sizeof(c.run_dir), "%s/none", dir);
	commit_facts(&c, &old, &want);
	assert_int_equal(journal_take(&c, collect, &x), 0);
	/* a full journal says facts were lost, once */
	snprintf(c.run_dir, sizeof(c.run_dir), "%s", dir);
	path = tu_path(dir, JOURNAL_FILE);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		for (unsigned int i = 0; i < JOURNAL_MAX / 8; i++)
			fputs("new tv\n", f);
		fclose(f);
	}
	commit_facts(&c, &old, &want);
	commit_facts(&c, &old, &want);
	x.text[0] = '\0';
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_true((size_t)st.st_size <= JOURNAL_MAX + 5);
	}
	free(path);
	hostset_free(&old);
	hostset_free(&want);
	tu_rmtree(dir);
}

static uint64_t all_tx(const struct totals *t, const char *name)
{
	const struct total *e = totals_find(t, name);

	return e ? e->all.bytes[FAM_V4][0] : 0;
}

/* A rename moves the total; the kernel's carried counter goes on from the old last value. */
static void test_rename(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 };

	(void)state;
	put(&s, "pc", "10.0.0.1", 1000);
	put(&s, "tv", "10.0.0.2", 70);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	/* traffic, then the rename: the new counters carry 1500 */
	assert_int_equal(totals_rename(&t, "pc", "desk"), 1);
	assert_null(totals_find(&t, "pc"));
	tu_refs(&t);
	assert_int_equal(npool_find(&t.hist.names, "pc"), -1); /* its name went with it */
	hostset_free(&s);
	put(&s, "desk", "10.0.0.1", 1500);
	put(&s, "tv", "10.0.0.2", 70);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_int_equal(all_tx(&t, "desk"), 1500);
	assert_int_equal(all_tx(&t, "pc"), 0);
	/* onto a name with a total: one total */
	assert_int_equal(totals_rename(&t, "desk", "tv"), 1);
	assert_int_equal(all_tx(&t, "tv"), 1570);
	assert_int_equal(t.n, 1);
	tu_refs(&t);
	assert_int_equal(t.hist.names.live, 1);
	hostset_free(&s);
	put(&s, "tv", "10.0.0.1", 1600);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_int_equal(all_tx(&t, "tv"), 1670);
	/* unknown names: nothing moves */
	assert_int_equal(totals_rename(&t, "nobody", "x"), 0);
	tu_refs(&t);
	hostset_free(&s);
	totals_free(&t);
}

/* Counters made anew at zero: what they hold next is all new, even above the old value. */
static void test_restarted(void **state)
{
	struct hostset s = { 0 };
	struct totals t = { 0 };

	(void)state;
	put(&s, "pc", "10.0.0.1", 10280);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	totals_restarted(&t, "pc");
	s.v[0].tx[FAM_V4].bytes = 10280; /* deleted, added, the same traffic again */
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_int_equal(all_tx(&t, "pc"), 20560);
	hostset_free(&s);
	totals_free(&t);
}

/* Gone hosts leave the all-time view after forget_after, the totals when their period
 * ends; beyond the bound the longest gone go at once. */
static void test_forget(void **state)
{
	struct hostset s = { 0 }, v = { 0 };
	struct totals t = { 0 }, back = { 0 };
	struct period_spec p;
	unsigned int bad = 0;
	uint64_t lost;
	char *text;
	FILE *f;

	(void)state;
	assert_int_equal(period_parse(&p, "1"), 0);
	put(&s, "pc", "10.0.0.1", 100);
	put(&s, "tv", "10.0.0.2", 200);
	put(&s, "cam", "10.0.0.3", 300);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	assert_int_equal(totals_roll(&t, &p, 1800000000, 12), 0); /* past TOTALS_CLOCK_FLOOR */
	for (size_t i = 0; i < t.n; i++)
		t.v[i].cur = t.v[i].all;
	assert_int_equal(tu_forget(&t, &s, 1000, 600, 10, &lost), 0);
	/* tv goes at 1000, cam at 1100 */
	hostset_free(&s);
	put(&s, "pc", "10.0.0.1", 100);
	put(&s, "cam", "10.0.0.3", 300);
	assert_int_equal(tu_forget(&t, &s, 1000, 600, 10, &lost), 0);
	hostset_free(&s);
	put(&s, "pc", "10.0.0.1", 100);
	assert_int_equal(tu_forget(&t, &s, 1100, 600, 10, &lost), 0);
	assert_int_equal(totals_find(&t, "tv")->gone_since, 1000);
	assert_int_equal(totals_find(&t, "cam")->gone_since, 1100);
	assert_false(totals_find(&t, "tv")->forgotten);
	/* the state file keeps when they went */
	text = tu_state_text(&t);
	assert_non_null(strstr(text, "gone tv 1000\n"));
	f = fmemopen(text, strlen(text), "r");
	assert_int_equal(totals_read(f, &back, &bad), 0);
	fclose(f);
	assert_int_equal(totals_find(&back, "cam")->gone_since, 1100);
	assert_int_equal(totals_find(&back, "pc")->gone_since, 0);
	free(text);
	totals_free(&back);
	/* 600 s later tv is forgotten: not in the all-time view, still in the period's */
	assert_int_equal(tu_forget(&t, &s, 1600, 600, 10, &lost), 0);
	assert_true(totals_find(&t, "tv")->forgotten);
	assert_false(totals_find(&t, "cam")->forgotten);
	assert_int_equal(totals_view(&t, VIEW_ALL, &v), 0);
	assert_null(hostset_find(&v, "tv"));
	assert_non_null(hostset_find(&v, "cam"));
	hostset_free(&v);
	assert_int_equal(totals_view(&t, VIEW_CURRENT, &v), 0);
	assert_non_null(hostset_find(&v, "tv"));
	hostset_free(&v);
	/* back in the kernel: remembered again */
	put(&s, "tv", "10.0.0.2", 200);
	assert_int_equal(tu_forget(&t, &s, 1700, 600, 10, &lost), 0);
	assert_false(totals_find(&t, "tv")->forgotten);
	assert_int_equal(totals_find(&t, "tv")->gone_since, 0);
	hostset_free(&s);
	put(&s, "pc", "10.0.0.1", 100);
	assert_int_equal(tu_forget(&t, &s, 1800, 600, 10, &lost), 0);
	assert_int_equal(tu_forget(&t, &s, 2500, 600, 10, &lost), 0);
	assert_true(totals_find(&t, "tv")->forgotten && totals_find(&t, "cam")->forgotten);
	/* the period ends: the forgotten go, their counts stay in the closed period */
	assert_int_equal(totals_roll(&t, &p, 2000000000, 12), 1);
	assert_int_equal(t.n, 1);
	assert_non_null(totals_find(&t, "pc"));
	assert_int_equal(t.npast, 1);
	assert_int_equal(t.past[0].n, 3);
	tu_refs(&t); /* tv and cam: the closed period holds their names */
	assert_int_equal(t.hist.names.live, 3);
	totals_free(&t);
	hostset_free(&s);

	/* the bound: present hosts never go, the longest gone first */
	put(&s, "a", "10.0.0.1", 1);
	put(&s, "b", "10.0.0.2", 2);
	put(&s, "c", "10.0.0.3", 3);
	put(&s, "d", "10.0.0.4", 4);
	assert_int_equal(totals_update(&t, &s, "b"), 0);
	for (size_t i = 0; i < t.n; i++)
		t.v[i].cur = t.v[i].all;
	assert_int_equal(tu_forget(&t, &s, 10, 0, 2, &lost), 0);
	hostset_free(&s);
	put(&s, "a", "10.0.0.1", 1);
	put(&s, "b", "10.0.0.2", 2);
	put(&s, "c", "10.0.0.3", 3);
	assert_int_equal(tu_forget(&t, &s, 20, 0, 2, &lost), 1);
	assert_int_equal(lost, 4); /* d, the only one gone */
	assert_null(totals_find(&t, "d"));
	assert_int_equal(t.n, 3);
	hostset_free(&s);
	put(&s, "a", "10.0.0.1", 1);
	assert_int_equal(tu_forget(&t, &s, 30, 0, 2, &lost), 1);
	assert_int_equal(t.n, 2);
	assert_non_null(totals_find(&t, "a"));
	assert_int_equal(tu_forget(&t, &s, 40, 0, 1, &lost), 1);
	assert_int_equal(t.n, 1);
	assert_non_null(totals_find(&t, "a"));
	tu_refs(&t); /* the names of those dropped went with them */
	assert_int_equal(t.hist.names.live, 1);
	hostset_free(&s);
	totals_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_commit_facts),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_restarted),
		cmocka_unit_test(test_forget),
	};

	tu_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
