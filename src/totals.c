// SPDX-License-Identifier: GPL-2.0-or-later
/* Monotonic per-host totals, accounting periods and their state file. */
#include "totals.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbuf.h"
#include "name.h"
#include "varint.h"

/* The eight counts as one array: the four byte counts, then the four packet counts. */
#define COUNTS_N (sizeof(struct counts) / sizeof(uint64_t))
_Static_assert(sizeof(struct counts) == COUNTS_N * sizeof(uint64_t), "counts without padding");

/* One host of a packed period at P: its name's id into *ID, its counts into V; the byte after. */
static const unsigned char *period_get(const unsigned char *p, uint32_t *id, uint64_t *v)
{
	uint64_t x;

	p = varint_get(p, &x); /* period_add wrote it */
	*id = (uint32_t)x;
	for (size_t k = 0; k < COUNTS_N; k++)
		p = varint_get(p, &v[k]);
	return p;
}

void period_rec_free(struct period_rec *r, struct npool *names)
{
	for (size_t pos = 0; pos < r->len;) {
		uint64_t v[COUNTS_N];
		uint32_t id;

		pos = (size_t)(period_get(r->buf + pos, &id, v) - r->buf);
		npool_unref(names, id);
	}
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = r->n = 0;
}

int period_add(struct period_rec *r, struct npool *names, const char *name,
	       const struct counts *c)
{
	size_t need = r->len + (1 + COUNTS_N) * VARINT_MAX;
	uint64_t v[COUNTS_N];
	unsigned char *p;
	uint32_t id;

	if (need > r->cap) {
		size_t cap = r->cap ? r->cap + r->cap / 2 : 256;

		if (cap < need)
			cap = need;
		p = realloc(r->buf, cap);
		if (!p)
			return -ENOMEM;
		r->buf = p;
		r->cap = cap;
	}
	if (npool_ref(names, name, &id))
		return -ENOMEM;
	memcpy(v, c, sizeof(v));
	p = varint_put(r->buf + r->len, id);
	for (size_t k = 0; k < COUNTS_N; k++)
		p = varint_put(p, v[k]);
	r->len = (size_t)(p - r->buf);
	r->n++;
	return 0;
}

bool period_next(const struct period_rec *r, const struct npool *names, size_t *pos,
		 const char **name, struct counts *c)
{
	uint64_t v[COUNTS_N];
	const unsigned char *p;
	uint32_t id;

	if (*pos >= r->len)
		return false;
	p = period_get(r->buf + *pos, &id, v);
	*name = npool_name(names, id);
	memcpy(c, v, sizeof(v));
	*pos = (size_t)(p - r->buf);
	return true;
}

void period_trim(struct period_rec *r)
{
	unsigned char *p;

	if (r->len && r->len < r->cap && (p = realloc(r->buf, r->len))) {
		r->buf = p;
		r->cap = r->len;
	}
}

void totals_free(struct totals *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].addrs);
	for (size_t i = 0; i < t->npast; i++)
		period_rec_free(&t->past[i], &t->hist.names);
	free(t->past);
	free(t->v);
	free(t->idx);
	history_free(&t->hist);
	if (t->file)
		close(t->file - 1);
	memset(t, 0, sizeof(*t));
}

static int idx_rebuild(struct totals *t, size_t want)
{
	size_t cap = 64;
	uint32_t *idx;

	while (cap < want * 2)
		cap *= 2;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = name_hash(t->v[i].name) & (cap - 1);

		while (idx[k])
			k = (k + 1) & (cap - 1);
		idx[k] = (uint32_t)i + 1;
	}
	free(t->idx);
	t->idx = idx;
	t->idx_cap = cap;
	return 0;
}

/* After entries moved: a new index, or none (the next totals_get() makes one). */
static void idx_refresh(struct totals *t)
{
	t->names_gen++;
	if (idx_rebuild(t, t->n)) {
		free(t->idx);
		t->idx = NULL;
		t->idx_cap = 0;
	}
}

struct total *totals_find(const struct totals *t, const char *name)
{
	if (!t->idx) { /* none yet, or it could not be made after a move */
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(t->v[i].name, name))
				return &t->v[i];
		return NULL;
	}
	for (size_t k = name_hash(name) & (t->idx_cap - 1); t->idx[k]; k = (k + 1) & (t->idx_cap - 1))
		if (!strcmp(t->v[t->idx[k] - 1].name, name))
			return &t->v[t->idx[k] - 1];
	return NULL;
}

/* Room for CAP totals (CAP > t->cap); 0 or -ENOMEM (nothing changed). */
static int totals_room(struct totals *t, size_t cap)
{
	struct total *v = realloc(t->v, cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->v = v;
	t->cap = cap;
	return 0;
}

/* A total's reference to its name given back (the total goes, or takes another name). */
static void name_drop(struct totals *t, const char *name)
{
	int64_t id = npool_find(&t->hist.names, name);

	if (id >= 0) /* (always: the total held it) */
		npool_unref(&t->hist.names, (uint32_t)id);
}

/* The total at position I goes (order not kept; the caller refreshes the index). */
static void total_drop(struct totals *t, size_t i)
{
	name_drop(t, t->v[i].name);
	free(t->v[i].addrs);
	t->v[i] = t->v[--t->n];
}

struct total *totals_get(struct totals *t, const char *name)
{
	struct total *e = totals_find(t, name);
	uint32_t id;
	size_t k;

	if (e)
		return e;
	if (!name_is_valid(name) || t->n >= UINT32_MAX - 1)
		return NULL;
	/* by a quarter, not double: at 320 bytes a total, doubling left up to half of a
	 * megabyte unused at thousands of hosts (the big block is in its own mapping: realloc()
	 * moves it with mremap(), not a copy) */
	if (t->n == t->cap && totals_room(t, t->cap < 64 ? 64 : t->cap + t->cap / 4))
		return NULL;
	if ((t->n + 1) * 2 > t->idx_cap && idx_rebuild(t, t->n + 1))
		return NULL;
	e = &t->v[t->n];
	memset(e, 0, sizeof(*e));
	if (npool_ref(&t->hist.names, name, &id))
		return NULL;
	e->name = npool_name(&t->hist.names, id);
	for (k = name_hash(name) & (t->idx_cap - 1); t->idx[k]; k = (k + 1) & (t->idx_cap - 1))
		;
	t->idx[k] = (uint32_t)++t->n;
	t->names_gen++;
	return e;
}

/* Down: the counter was recreated, all of it is new. Returns the increase. */
static uint64_t fold(uint64_t *last, uint64_t cur)
{
	uint64_t d = cur < *last ? cur : cur - *last;

	*last = cur;
	return d;
}

static void add_counts(struct counts *dst, const struct counts *d)
{
	for (int f = 0; f < FAM_COUNT; f++)
		for (int r = 0; r < 2; r++) {
			dst->bytes[f][r] += d->bytes[f][r];
			dst->packets[f][r] += d->packets[f][r];
		}
}

int totals_update(struct totals *t, const struct hostset *snap, const char *boot_id)
{
	bool new_boot = boot_id && *boot_id && t->boot_id[0] && strcmp(boot_id, t->boot_id);

	for (size_t i = 0; i < t->n; i++) {
		/* A new boot: every counter was recreated, whatever its value. */
		if (new_boot)
			memset(&t->v[i].last, 0, sizeof(t->v[i].last));
		memset(&t->v[i].delta, 0, sizeof(t->v[i].delta));
	}
	if (boot_id && *boot_id)
		snprintf(t->boot_id, sizeof(t->boot_id), "%s", boot_id);
	/* More hosts in the kernel than room (the daemon's first poll, say): room for exactly
	 * them at once, not by quarters (at least as many totals as hosts will be needed). */
	if (snap->n > t->cap && snap->n < UINT32_MAX - 1 && totals_room(t, snap->n))
		return -ENOMEM;
	for (size_t i = 0; i < snap->n; i++) {
		const struct host *h = &snap->v[i];
		struct total *e = totals_get(t, h->name);
		struct counts d;

		if (!e)
			return -ENOMEM;
		if (h->mac[0])
			memcpy(e->mac, h->mac, sizeof(e->mac));
		for (int f = 0; f < FAM_COUNT; f++) {
			d.bytes[f][0] = fold(&e->last.bytes[f][0], h->tx[f].bytes);
			d.packets[f][0] = fold(&e->last.packets[f][0], h->tx[f].packets);
			d.bytes[f][1] = fold(&e->last.bytes[f][1], h->rx[f].bytes);
			d.packets[f][1] = fold(&e->last.packets[f][1], h->rx[f].packets);
		}
		memcpy(e->delta, d.bytes, sizeof(e->delta));
		add_counts(&e->all, &d);
		add_counts(&e->cur, &d);
	}
	return 0;
}

void totals_attach(struct totals *t, struct hostset *snap)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].addrs);
		t->v[i].addrs = NULL;
		t->v[i].naddrs = 0;
		t->v[i].present = false;
	}
	for (size_t i = 0; i < snap->n; i++) {
		struct host *h = &snap->v[i];
		struct total *e = totals_find(t, h->name);

		if (!e)
			continue;
		e->present = true;
		if (h->mac[0])
			memcpy(e->mac, h->mac, sizeof(e->mac));
		e->naddrs = (unsigned char)h->naddrs; /* at most HOST_MAX_ADDRS */
		e->addrs = h->addrs;
		h->addrs = NULL;
		h->naddrs = 0;
	}
}

size_t totals_present(const struct totals *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].present;
	return n;
}

static bool counts_zero(const struct counts *c)
{
	static const struct counts zero;

	return !memcmp(c, &zero, sizeof(zero));
}

bool totals_clock_set(const struct totals *t, time_t now)
{
	return (long long)now >= TOTALS_CLOCK_FLOOR && (long long)now >= t->stamp;
}

int totals_roll(struct totals *t, const struct period_spec *p, time_t now, unsigned int kept)
{
	struct period_rec rec = { .start = t->period_start, .end = t->period_end };
	time_t s, e;
	int closed = 0;

	while (t->npast > kept)
		period_rec_free(&t->past[--t->npast], &t->hist.names);
	if (!totals_clock_set(t, now))
		return 0;
	t->stamp = now;
	if (t->period_end && now >= t->period_end) {
		if (kept) {
			for (size_t i = 0; i < t->n; i++)
				if (!counts_zero(&t->v[i].cur) &&
				    period_add(&rec, &t->hist.names, t->v[i].name, &t->v[i].cur)) {
					period_rec_free(&rec, &t->hist.names);
					return -ENOMEM;
				}
			period_trim(&rec);
			if (t->npast < kept) {
				struct period_rec *past = realloc(t->past, (t->npast + 1) * sizeof(*past));

				if (!past) {
					period_rec_free(&rec, &t->hist.names);
					return -ENOMEM;
				}
				t->past = past;
				t->npast++;
			} else {
				period_rec_free(&t->past[t->npast - 1], &t->hist.names);
			}
			memmove(t->past + 1, t->past, (t->npast - 1) * sizeof(*t->past));
			t->past[0] = rec;
		}
		for (size_t i = 0; i < t->n;) {
			memset(&t->v[i].cur, 0, sizeof(t->v[i].cur));
			/* a forgotten host stayed for this period's counts only */
			if (t->v[i].forgotten) {
				total_drop(t, i);
				continue;
			}
			i++;
		}
		idx_refresh(t);
		closed = 1;
	}
	if (!t->period_end || closed) {
		period_bounds(p, now, &s, &e);
		/* Forward only: after a change of period_start the new one may not overlap. */
		if (closed && s < t->period_end)
			s = (time_t)t->period_end;
		t->period_start = s;
		t->period_end = e;
	}
	return closed;
}

double totals_rate(const struct totals *t, uint64_t delta)
{
	return t->has_rates && t->dt_ms > 0 ? (double)delta * 1000.0 / (double)t->dt_ms : 0;
}

/* H gets counts C, and E's addresses and MAC (E may be NULL). */
static int view_host(struct host *h, const struct counts *c, const struct total *e)
{
	for (int f = 0; f < FAM_COUNT; f++) {
		h->tx[f] = (struct counter){ c->bytes[f][0], c->packets[f][0] };
		h->rx[f] = (struct counter){ c->bytes[f][1], c->packets[f][1] };
	}
	if (e && e->naddrs && host_set_addrs(h, e->addrs, e->naddrs))
		return -ENOMEM;
	if (e && e->mac[0])
		memcpy(h->mac, e->mac, MAC_SIZE);
	return 0;
}

/* Whether E is in the all-time or the current view. */
static bool view_wants(const struct total *e, enum view which)
{
	if (which == VIEW_CURRENT)
		return !counts_zero(&e->cur) || e->present;
	return which != VIEW_ALL || !e->forgotten;
}

/* E's host in that view, with its rates, added to OUT; 0 or -ENOMEM. */
static int view_add(const struct totals *t, const struct total *e, enum view which,
		    struct hostset *out)
{
	struct host *h = hostset_append(out, e->name); /* the totals' names are unique */

	if (!h || view_host(h, which == VIEW_CURRENT ? &e->cur : &e->all, e))
		return -ENOMEM;
	for (int f = 0; f < FAM_COUNT; f++)
		for (int d = 0; d < 2; d++)
			h->rate[f][d] = (float)totals_rate(t, e->delta[f][d]);
	return 0;
}

int totals_view(const struct totals *t, enum view which, struct hostset *out)
{
	memset(out, 0, sizeof(*out));
	if (which == VIEW_PREVIOUS) {
		const struct period_rec *p = t->npast ? &t->past[0] : NULL;
		const char *name;
		struct counts c;
		size_t pos = 0;

		while (p && period_next(p, &t->hist.names, &pos, &name, &c)) {
			struct host *h = hostset_ensure(out, name);
			const struct total *e = totals_find(t, name);

			if (!h || view_host(h, &c, e))
				goto nomem;
		}
		hostset_sort(out);
		return 0;
	}
	for (size_t i = 0; i < t->n; i++)
		if (view_wants(&t->v[i], which) && view_add(t, &t->v[i], which, out))
			goto nomem;
	hostset_sort(out);
	return 0;
nomem:
	hostset_free(out);
	return -ENOMEM;
}

/* One candidate of a view's slice: a name and what its host is made from. */
struct pick {
	const char *name;
	const struct counts *c; /* NULL in the previous period's view: its host at pos */
	const struct total *e;	/* addresses and MAC (NULL: none) */
	bool rates;		/* E's (not in the previous period's view) */
	size_t pos;
};

/* Keeps the MAX smallest names after AFTER in P (sorted, *n of them). */
static void pick_add(struct pick *p, size_t *n, size_t max, const char *after, struct pick c)
{
	size_t lo = 0, hi = *n;

	if (!max || strcmp(c.name, after) <= 0 ||
	    (*n == max && strcmp(c.name, p[*n - 1].name) >= 0))
		return;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(p[mid].name, c.name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n < max)
		(*n)++;
	memmove(&p[lo + 1], &p[lo], (*n - 1 - lo) * sizeof(*p));
	p[lo] = c;
}

int totals_view_after(const struct totals *t, enum view which, const char *after, size_t max,
		      struct hostset *out, size_t *total)
{
	struct pick *p = calloc(max ? max : 1, sizeof(*p));
	size_t n = 0, all = 0;

	memset(out, 0, sizeof(*out));
	if (!p)
		return -ENOMEM;
	if (which == VIEW_PREVIOUS) {
		const struct period_rec *r = t->npast ? &t->past[0] : NULL;
		size_t pos = 0, at = 0;
		const char *name;
		struct counts c;

		while (r && period_next(r, &t->hist.names, &pos, &name, &c)) {
			const struct total *e = totals_find(t, name);

			pick_add(p, &n, max, after, (struct pick){ name, NULL, e, false, at });
			at = pos;
			all++;
		}
	} else {
		for (size_t i = 0; i < t->n; i++) {
			const struct total *e = &t->v[i];

			if (!view_wants(e, which))
				continue;
			pick_add(p, &n, max, after,
				 (struct pick){ e->name, which == VIEW_CURRENT ? &e->cur : &e->all, e,
						true, 0 });
			all++;
		}
	}
	if (total)
		*total = all;
	for (size_t i = 0; i < n; i++) {
		struct host *h = hostset_ensure(out, p[i].name);
		struct counts prev;
		const char *name;

		if (!p[i].c) { /* the previous period's: decoded again from where it was */
			size_t pos = p[i].pos;

			if (!period_next(&t->past[0], &t->hist.names, &pos, &name, &prev))
				memset(&prev, 0, sizeof(prev)); /* (it was read there a moment ago) */
			p[i].c = &prev;
		}
		if (!h || view_host(h, p[i].c, p[i].e)) {
			free(p);
			hostset_free(out);
			return -ENOMEM;
		}
		for (int f = 0; p[i].rates && f < FAM_COUNT; f++)
			for (int d = 0; d < 2; d++)
				h->rate[f][d] = (float)totals_rate(t, p[i].e->delta[f][d]);
	}
	free(p);
	return 0;
}

struct order_key {
	const char *name;
	uint32_t i;
};

static int order_cmp(const void *a, const void *b)
{
	return strcmp(((const struct order_key *)a)->name, ((const struct order_key *)b)->name);
}

int totals_order(const struct totals *t, uint32_t **order)
{
	struct order_key *k = malloc((t->n ? t->n : 1) * sizeof(*k));
	uint32_t *o = malloc((t->n ? t->n : 1) * sizeof(*o));

	if (!k || !o) {
		free(k);
		free(o);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++)
		k[i] = (struct order_key){ t->v[i].name, (uint32_t)i };
	qsort(k, t->n, sizeof(*k), order_cmp);
	for (size_t i = 0; i < t->n; i++)
		o[i] = k[i].i;
	free(k);
	free(*order);
	*order = o;
	return 0;
}

size_t totals_order_after(const struct totals *t, const uint32_t *order, const char *after)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(t->v[order[mid]].name, after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int totals_view_at(const struct totals *t, enum view which, const uint32_t *order, size_t *pos,
		   size_t max, struct hostset *out)
{
	memset(out, 0, sizeof(*out));
	for (; *pos < t->n && out->n < max; ++*pos) {
		const struct total *e = &t->v[order[*pos]];

		if (view_wants(e, which) && view_add(t, e, which, out)) {
			hostset_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

/* " V" for each of the 8 counts: the live file is written every poll, up to 24 numbers a
 * host, half of them a family's that the host does not use (zeros: written as such). */
static void lb_counts(struct lbuf *l, const struct counts *c)
{
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		if (!(c->bytes[fam][0] | c->bytes[fam][1] | c->packets[fam][0] | c->packets[fam][1])) {
			lb_mem(l, " 0 0 0 0", 8);
			continue;
		}
		for (int d = 0; d < 2; d++) {
			lb_c(l, ' ');
			lb_u64(l, c->bytes[fam][d]);
			lb_c(l, ' ');
			lb_u64(l, c->packets[fam][d]);
		}
	}
}

/* "TAG NAME COUNTS\n" */
static void lb_named_counts(struct lbuf *l, const char *tag, const char *name,
			    const struct counts *c)
{
	lb_s(l, tag);
	lb_s(l, name);
	lb_counts(l, c);
	lb_c(l, '\n');
}

static int period_from_file(const struct totals *t, const struct period_rec *r, FILE *out,
			    struct period_rec *into, struct npool *names);

int totals_write(FILE *f, const struct totals *t, bool rates)
{
	return totals_write_offs(f, t, rates, NULL);
}

int totals_write_offs(FILE *f, const struct totals *t, bool rates, long long *offs)
{
	/* the live file: the previous period only (show's), not a year of them every poll */
	size_t np = rates && t->npast > 1 ? 1 : t->npast;
	int ret;

	fprintf(f, "%s %d\nboot %s\nperiod %lld %lld\ntime %lld\n", STATE_MAGIC, STATE_VERSION,
		t->boot_id[0] ? t->boot_id : "-", t->period_start, t->period_end, t->stamp);
	if (rates && t->has_rates)
		fprintf(f, "dt %" PRId64 "\n", t->dt_ms);
	if (rates) /* the live file: its readers want no kernel values (a quarter of its bytes) */
		fputs("live\n", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct total *e = &t->v[i];
		struct counts d = { 0 }; /* the last poll's bytes (its packets are not kept: 0) */
		struct lbuf l = { .f = f }; /* a host's lines in one fwrite */

		lb_s(&l, "host ");
		lb_s(&l, e->name);
		lb_c(&l, ' ');
		lb_s(&l, e->mac[0] ? e->mac : "-");
		lb_counts(&l, &e->all);
		if (!rates)
			lb_counts(&l, &e->last);
		lb_c(&l, '\n');
		if (e->gone_since) {
			lb_s(&l, "gone ");
			lb_s(&l, e->name);
			lb_c(&l, ' ');
			lb_i64(&l, (long long)e->gone_since);
			lb_c(&l, '\n');
		}
		if (!counts_zero(&e->cur))
			lb_named_counts(&l, "cur ", e->name, &e->cur);
		memcpy(d.bytes, e->delta, sizeof(d.bytes));
		if (rates && t->has_rates && !counts_zero(&d))
			lb_named_counts(&l, "delta ", e->name, &d);
		lb_flush(&l);
	}
	for (size_t p = 0; p < np; p++) {
		const struct period_rec *r = &t->past[p];
		const char *name;
		struct counts c;
		size_t pos = 0;
		off_t at = 0;
		struct lbuf l = { .f = f }; /* the period's lines, flushed before ftello() */

		fprintf(f, "past %lld %lld\n", r->start, r->end);
		if (offs && (at = ftello(f)) < 0)
			return -EIO;
		if (period_on_file_only(r) && (ret = period_from_file(t, r, f, NULL, NULL)))
			return ret;
		while (period_next(r, &t->hist.names, &pos, &name, &c))
			lb_named_counts(&l, "was ", name, &c);
		lb_flush(&l);
		if (offs) {
			off_t end = ftello(f);

			if (end < 0)
				return -EIO;
			offs[2 * p] = (long long)at;
			offs[2 * p + 1] = (long long)(end - at);
		}
	}
	if (!rates && (ret = history_write(f, &t->hist, offs ? offs + 2 * t->npast : NULL)))
		return ret;
	fputs("end\n", f);
	return ferror(f) ? -EIO : 0;
}

/* " n n n n n n n n" exactly; returns what follows, NULL when malformed. */
static const char *counts_at(const char *s, struct counts *c)
{
	for (int fam = 0; fam < FAM_COUNT; fam++)
		for (int d = 0; d < 2; d++)
			for (int k = 0; k < 2; k++) {
				char *end;
				uint64_t v;

				if (*s != ' ' || s[1] < '0' || s[1] > '9')
					return NULL;
				errno = 0;
				v = strtoull(s + 1, &end, 10);
				if (errno)
					return NULL;
				if (k)
					c->packets[fam][d] = v;
				else
					c->bytes[fam][d] = v;
				s = end;
			}
	return s;
}

/* The counts, then the line's end. */
static int read_counts(const char *s, struct counts *c)
{
	s = counts_at(s, c);
	return s && *s == '\n' ? 0 : -EINVAL;
}

/* "WORD NAME" then counts: the named word, a valid name; *rest after the name. */
static int read_name(const char *line, const char *word, char name[NAME_SIZE], const char **rest)
{
	size_t wl = strlen(word), nl;

	if (strncmp(line, word, wl) || line[wl] != ' ')
		return -EINVAL;
	line += wl + 1;
	nl = strcspn(line, " \n");
	if (!nl || nl >= NAME_SIZE)
		return -EINVAL;
	memcpy(name, line, nl);
	name[nl] = '\0';
	*rest = line + nl;
	return name_is_valid(name) ? 0 : -EINVAL;
}

/* Version 1: "host NAME ipv4|ipv6 tx|rx bytes packets last_bytes last_packets". */
static int read_v1_host(struct totals *t, const char *line)
{
	char name[NAME_SIZE + 1], fam[8], dir[8];
	uint64_t v[4];
	struct total *e;
	int fi, di;

	if (sscanf(line, "host %64s %7s %7s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, name,
		   fam, dir, &v[0], &v[1], &v[2], &v[3]) != 7 || !name_is_valid(name))
		return -EINVAL;
	fi = !strcmp(fam, "ipv4") ? 0 : !strcmp(fam, "ipv6") ? 1 : -1;
	di = !strcmp(dir, "tx") ? 0 : !strcmp(dir, "rx") ? 1 : -1;
	if (fi < 0 || di < 0)
		return -EINVAL;
	e = totals_get(t, name);
	if (!e)
		return -ENOMEM;
	e->all.bytes[fi][di] = v[0];
	e->all.packets[fi][di] = v[1];
	e->last.bytes[fi][di] = v[2];
	e->last.packets[fi][di] = v[3];
	return 0;
}

/* Where totals_read_keep() is in its file. */
struct reader {
	size_t past_cap;
	size_t hot;	   /* closed periods kept in memory; the rest stay on the file */
	bool keep;	   /* the file stays readable (an fd): periods may stay on it */
	long long at, end; /* the line's offset in the file, the next one's */
};

/* "past START END": a closed period begins (its "was" lines follow). */
static int read_past(struct totals *t, long long a, long long b, struct reader *rd)
{
	if (a < 0 || b < a)
		return -EINVAL;
	if (t->npast == rd->past_cap) {
		size_t cap = rd->past_cap ? rd->past_cap * 2 : 16;
		struct period_rec *p = realloc(t->past, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->past = p;
		rd->past_cap = cap;
	}
	t->past[t->npast++] = (struct period_rec){ .start = a, .end = b, .off = rd->end };
	return 0;
}

/* "was NAME counts": a host of the last closed period read; past the first HOT periods, only
 * checked and counted (its lines must follow each other: they are read back as one run). */
static int read_was(struct totals *t, const char *name, const char *rest, struct reader *rd)
{
	struct period_rec *p = t->npast ? &t->past[t->npast - 1] : NULL;
	struct counts c = { 0 };
	int ret;

	if (!p)
		return -EINVAL;
	ret = read_counts(rest, &c);
	if (ret)
		return ret;
	if (!rd->keep || t->npast <= rd->hot)
		return period_add(p, &t->hist.names, name, &c);
	if (rd->at != p->off + p->flen)
		return -EINVAL; /* not one run after its `past` line: not a file iptmon wrote */
	p->flen = rd->end - p->off;
	p->n++;
	return 0;
}

/* "host NAME MAC all-counts last-counts": a host's total; in a live file, without the last. */
static int read_host(struct totals *t, const char *name, const char *rest)
{
	size_t ml = strcspn(rest + 1, " \n");
	struct counts all, last = { 0 };
	const char *after;
	char mac[MAC_SIZE + 1], lower[MAC_SIZE];
	struct total *e;

	if (*rest != ' ' || !ml || ml > MAC_SIZE - 1)
		return -EINVAL;
	memcpy(mac, rest + 1, ml);
	mac[ml] = '\0';
	after = counts_at(rest + 1 + ml, &all);
	if (!after || (t->live ? strcmp(after, "\n") != 0 : read_counts(after, &last) != 0))
		return -EINVAL;
	if (strcmp(mac, "-") && mac_parse(lower, mac))
		return -EINVAL;
	if (totals_find(t, name))
		return -EINVAL; /* a name twice: not a file iptmon wrote */
	e = totals_get(t, name);
	if (!e)
		return -ENOMEM;
	if (strcmp(mac, "-"))
		memcpy(e->mac, lower, sizeof(e->mac));
	e->all = all;
	e->last = last;
	return 0;
}

/* "cur", "delta" and "gone" lines: more of a host read before. */
static int read_host_more(struct totals *t, const char *line)
{
	char name[NAME_SIZE];
	const char *rest;
	struct total *e;
	long long a;
	int len = 0;

	if (!read_name(line, "cur", name, &rest)) {
		e = totals_find(t, name);
		return e ? read_counts(rest, &e->cur) : -EINVAL;
	}
	if (!read_name(line, "delta", name, &rest)) {
		struct counts d;

		e = totals_find(t, name);
		if (!e || read_counts(rest, &d))
			return -EINVAL;
		memcpy(e->delta, d.bytes, sizeof(e->delta));
		return 0;
	}
	if (!read_name(line, "gone", name, &rest)) {
		e = totals_find(t, name);
		if (!e || sscanf(rest, " %lld%n", &a, &len) != 1 || rest[len] != '\n' || a <= 0)
			return -EINVAL;
		e->gone_since = a;
		return 0;
	}
	return -EINVAL;
}

static int read_line(struct totals *t, const char *line, int version, struct reader *rd)
{
	char name[NAME_SIZE], boot[40];
	const char *rest;
	long long a, b;
	int len = 0;

	if (sscanf(line, "boot %39s", boot) == 1) {
		snprintf(t->boot_id, sizeof(t->boot_id), "%s", strcmp(boot, "-") ? boot : "");
		return 0;
	}
	if (version == 1)
		return read_v1_host(t, line);
	if (sscanf(line, "period %lld %lld%n", &a, &b, &len) == 2 && line[len] == '\n') {
		if (a < 0 || b < a)
			return -EINVAL;
		t->period_start = a;
		t->period_end = b;
		return 0;
	}
	if (sscanf(line, "time %lld%n", &a, &len) == 1 && line[len] == '\n' && a >= 0) {
		t->stamp = a;
		return 0;
	}
	if (sscanf(line, "dt %lld%n", &a, &len) == 1 && line[len] == '\n' && a > 0) {
		t->dt_ms = a;
		t->has_rates = true;
		return 0;
	}
	if (!strcmp(line, "live\n")) {
		if (t->n || t->live)
			return -EINVAL; /* (before the hosts, once) */
		t->live = true;
		return 0;
	}
	if (sscanf(line, "past %lld %lld%n", &a, &b, &len) == 2 && line[len] == '\n')
		return read_past(t, a, b, rd);
	if (!read_name(line, "was", name, &rest))
		return read_was(t, name, rest, rd);
	if (!read_name(line, "host", name, &rest))
		return read_host(t, name, rest);
	if (!strncmp(line, "day ", 4))
		return history_read_line(&t->hist, line, rd->keep ? rd->at : -1, rd->end);
	return read_host_more(t, line);
}

int totals_read(FILE *f, struct totals *t, unsigned int *bad_line)
{
	return totals_read_keep(f, t, bad_line, (size_t)-1, -1);
}

int totals_read_keep(FILE *f, struct totals *t, unsigned int *bad_line, size_t hot, int fd)
{
	char line[1024];
	unsigned int n = 0;
	int version = 0, ret;
	bool ended = false;
	struct reader rd = { .hot = hot, .keep = fd >= 0 };

	memset(t, 0, sizeof(*t));
	*bad_line = 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		rd.at = rd.end;
		rd.end += (long long)strlen(line);
		if (!strchr(line, '\n') || ended)
			goto bad;
		if (n == 1) {
			if (sscanf(line, STATE_MAGIC " %d", &version) != 1 || version < 1 ||
			    version > STATE_VERSION)
				goto bad;
			continue;
		}
		if (!strcmp(line, "end\n")) {
			ended = true;
			continue;
		}
		ret = read_line(t, line, version, &rd);
		if (ret == -ENOMEM) {
			totals_free(t);
			return ret;
		}
		if (ret)
			goto bad;
	}
	if (!ended) { /* truncated: a torn write is not a state */
		n++;
		goto bad;
	}
	if (!t->stamp) /* before version 3: the period's start was seen on the wall clock */
		t->stamp = t->period_start;
	for (size_t p = 0; p < t->npast; p++)
		period_trim(&t->past[p]);
	if (fd >= 0)
		t->file = t->hist.file = fd + 1;
	return 0;
bad:
	*bad_line = n;
	totals_free(t);
	return -EINVAL;
}

void totals_on_file(struct totals *t, int fd, const long long *offs, size_t hot)
{
	if (t->file)
		close(t->file - 1);
	t->file = fd + 1;
	history_on_file(&t->hist, fd, offs + 2 * t->npast);
	for (size_t p = 0; p < t->npast; p++) {
		struct period_rec *r = &t->past[p];
		size_t n = r->n;

		r->off = offs[2 * p];
		r->flen = offs[2 * p + 1];
		if (p >= hot && r->buf) {
			period_rec_free(r, &t->hist.names);
			r->n = n; /* on the file only */
		}
	}
}

/*
 * A closed period on the state file only, read back (pread: no file offset shared), each
 * line checked as totals_read_keep() checked it, then written to OUT and/or added to INTO
 * (names in NAMES). 0; -ESTALE when the file no longer gives what it gave (written over,
 * shorter, unreadable); -ENOMEM; -EIO when OUT cannot be written.
 */
static int period_from_file(const struct totals *t, const struct period_rec *r, FILE *out,
			    struct period_rec *into, struct npool *names)
{
	struct file_run run;
	char name[NAME_SIZE], *line;
	const char *rest;
	struct counts c;
	size_t len, n = 0;
	int ret;

	if (!t->file)
		return -ESTALE;
	file_run_init(&run, t->file - 1, r->off, r->flen);
	while ((ret = file_run_line(&run, &line, &len)) > 0) {
		if (read_name(line, "was", name, &rest) || read_counts(rest, &c))
			return -ESTALE;
		if (out && fwrite(line, 1, len, out) != len)
			return -EIO;
		if (into && period_add(into, names, name, &c))
			return -ENOMEM;
		n++;
	}
	return ret || n == r->n ? ret : -ESTALE;
}

size_t totals_drop_on_file(struct totals *t)
{
	size_t p = 0, n = t->npast;

	while (p < n && (!period_on_file_only(&t->past[p]) ||
			 !period_from_file(t, &t->past[p], NULL, NULL, NULL)))
		p++;
	/* the first one the file no longer gives, and every older one: no gap in the periods */
	for (size_t k = p; k < n; k++)
		period_rec_free(&t->past[k], &t->hist.names);
	t->npast = p;
	t->periods_lost += n - p;
	return n - p + history_drop_on_file(&t->hist);
}

int totals_past_load(const struct totals *t, size_t p, struct period_rec *out,
		     struct npool *names)
{
	int ret;

	*out = (struct period_rec){ .start = t->past[p].start, .end = t->past[p].end };
	ret = period_from_file(t, &t->past[p], NULL, out, names);
	if (ret) {
		period_rec_free(out, names);
		npool_free(names);
	} else {
		period_trim(out);
	}
	return ret;
}

/* Drops the total at position i (order not kept); the index is rebuilt. */
static void totals_remove_at(struct totals *t, size_t i)
{
	total_drop(t, i);
	idx_refresh(t);
}

/* E is in the kernel with F's addresses too (as many as a host holds; without memory for
 * them, its own). */
static void addrs_merge(struct total *e, struct total *f)
{
	struct addr *v;
	unsigned int n = e->naddrs;

	e->present = true;
	if (!n) {
		free(e->addrs);
		e->addrs = f->addrs;
		e->naddrs = f->naddrs;
		f->addrs = NULL;
		return;
	}
	v = realloc(e->addrs, (n + f->naddrs) * sizeof(*v));
	if (!v)
		return;
	for (unsigned int i = 0; i < f->naddrs && n < HOST_MAX_ADDRS; i++) {
		unsigned int j = 0;

		while (j < n && !addr_equal(&v[j], &f->addrs[i]))
			j++;
		if (j == n)
			v[n++] = f->addrs[i];
	}
	e->addrs = v;
	e->naddrs = (unsigned char)n;
}

int totals_rename(struct totals *t, const char *from, const char *to)
{
	struct total *f = totals_find(t, from), *e;
	uint32_t id;

	if (!f || !strcmp(from, to))
		return 0;
	if (!name_is_valid(to))
		return -EINVAL;
	/* TO's reference first: nothing has changed when there is no memory for it */
	if (npool_ref(&t->hist.names, to, &id))
		return -ENOMEM;
	if (history_rename(&t->hist, from, to) < 0) {
		npool_unref(&t->hist.names, id);
		return -ENOMEM;
	}
	e = totals_find(t, to);
	if (!e) {
		name_drop(t, f->name);
		f->name = npool_name(&t->hist.names, id);
		idx_refresh(t);
		return 1;
	}
	npool_unref(&t->hist.names, id); /* (E holds TO) */
	/* The new name counted before: one device now, so one total. */
	add_counts(&e->all, &f->all);
	add_counts(&e->cur, &f->cur);
	for (int fam = 0; fam < FAM_COUNT; fam++)
		for (int d = 0; d < 2; d++)
			e->delta[fam][d] += f->delta[fam][d];
	e->last = f->last;
	if (f->mac[0])
		memcpy(e->mac, f->mac, sizeof(e->mac));
	if (f->present) /* the kernel's host is TO's now (a rebuild before the next poll) */
		addrs_merge(e, f);
	totals_remove_at(t, (size_t)(f - t->v));
	return 1;
}

void totals_restarted(struct totals *t, const char *name)
{
	struct total *e = totals_find(t, name);

	if (e)
		memset(&e->last, 0, sizeof(e->last));
}

size_t totals_forget(struct totals *t, int64_t now, unsigned int forget_after, unsigned int max,
		     uint64_t *lost_bytes)
{
	size_t dropped = 0;

	*lost_bytes = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct total *e = &t->v[i];

		if (e->present)
			e->gone_since = 0;
		else if (!e->gone_since)
			e->gone_since = now;
		e->forgotten = e->gone_since && forget_after &&
			       now - e->gone_since >= (int64_t)forget_after;
	}
	while (t->n > max) {
		size_t victim = t->n;

		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].gone_since &&
			    (victim == t->n || t->v[i].gone_since < t->v[victim].gone_since))
				victim = i;
		if (victim == t->n)
			break; /* every host is in the kernel: nothing may go */
		for (int f = 0; f < FAM_COUNT; f++)
			*lost_bytes += t->v[victim].cur.bytes[f][0] + t->v[victim].cur.bytes[f][1];
		total_drop(t, victim);
		dropped++;
	}
	if (dropped)
		idx_refresh(t);
	return dropped;
}
