// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recent rates and per-day totals per host, for the page and its API. Everything is bounded
 * (history.h); a poll allocates only when a day's entries or the rings need more room.
 */
#include "history.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "totals.h"
#include "varint.h"

static inline const char *host_name(const struct history *h, const struct hist_host *e)
{
	return npool_name(&h->names, e->name);
}

void history_free(struct history *h)
{
	for (uint32_t i = 0; i < h->ndays; i++) {
		free(h->days[i].v);
		free(h->days[i].buf);
	}
	free(h->days);
	free(h->aliases);
	free(h->hosts);
	free(h->rings);
	free(h->idx);
	npool_free(&h->names);
	memset(h, 0, sizeof(*h));
}

static uint32_t idx_size(uint32_t want)
{
	uint32_t cap = 64;

	while (cap < want * 2)
		cap *= 2;
	return cap;
}

/* Indexes the hosts into IDX (zeroed, CAP entries), which the history takes. */
static void idx_fill(struct history *h, uint32_t *idx, uint32_t cap)
{
	for (uint32_t i = 0; i < h->n; i++) {
		uint32_t k = name_hash(host_name(h, &h->hosts[i])) & (cap - 1);

		while (idx[k])
			k = (k + 1) & (cap - 1);
		idx[k] = i + 1;
	}
	free(h->idx);
	h->idx = idx;
	h->idx_cap = cap;
}

static int idx_rebuild(struct history *h, uint32_t want)
{
	uint32_t cap = idx_size(want);
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	idx_fill(h, idx, cap);
	return 0;
}

static struct hist_host *hist_find(const struct history *h, const char *name)
{
	if (!h->idx)
		return NULL;
	for (uint32_t k = name_hash(name) & (h->idx_cap - 1); h->idx[k]; k = (k + 1) & (h->idx_cap - 1))
		if (!strcmp(host_name(h, &h->hosts[h->idx[k] - 1]), name))
			return &h->hosts[h->idx[k] - 1];
	return NULL;
}

/* NAME's history, created if new; NULL past HIST_MAX_HOSTS (-ENOSPC) or out of memory. */
static struct hist_host *hist_get(struct history *h, const char *name, int *err)
{
	struct hist_host *e = hist_find(h, name);
	uint32_t k;

	*err = 0;
	if (e)
		return e;
	if (h->n >= HIST_MAX_HOSTS || !name_is_valid(name)) {
		*err = h->n >= HIST_MAX_HOSTS ? -ENOSPC : -EINVAL;
		return NULL;
	}
	*err = -ENOMEM;
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 16;
		struct hist_host *v = realloc(h->hosts, cap * sizeof(*v));

		if (!v)
			return NULL;
		h->hosts = v;
		h->cap = cap;
	}
	if ((h->n + 1) * 2 > h->idx_cap && idx_rebuild(h, h->n + 1))
		return NULL;
	e = &h->hosts[h->n];
	memset(e, 0, sizeof(*e));
	if (npool_ref(&h->names, name, &e->name))
		return NULL;
	*err = 0;
	for (k = name_hash(name) & (h->idx_cap - 1); h->idx[k]; k = (k + 1) & (h->idx_cap - 1))
		;
	h->idx[k] = ++h->n;
	return e;
}

uint16_t hist_pack(double bytes)
{
	uint64_t x, m;
	unsigned int k = 0;

	if (!(bytes > 0))
		return 0;
	if (bytes >= 274877906944.0) /* 2^38: past the largest, 255 << 30 */
		return HIST_PACK_MAX;
	x = (uint64_t)(bytes + 0.5);
	while (x >> k >= 256)
		k++;
	if (!k)
		return (uint16_t)x; /* exponent 0 and 1: the value itself */
	m = (x + (1ULL << (k - 1))) >> k; /* to the nearest */
	if (m == 256) {
		m = 128;
		k++;
	}
	if (k + 1 > 31)
		return HIST_PACK_MAX;
	return (uint16_t)((k + 1) << 7 | (unsigned int)(m - 128));
}

double hist_unpack(uint16_t v)
{
	unsigned int e = (v >> 7) & 31, m = v & 0x7f;

	return e ? (double)(128 + m) * (double)(1ULL << (e - 1)) : (double)m;
}

/* ---- the rings ---------------------------------------------------------------------- */

static uint8_t (*ring_of(const struct history *h, const struct hist_host *e))[3]
{
	return e->ring ? h->rings[e->ring - 1] : NULL;
}

/* A slot's packed bytes for DIR (tx: the first 12 bits, rx: the last 12). */
static uint16_t slot_get(const uint8_t *p, int dir)
{
	return dir ? (uint16_t)(p[1] >> 4 | p[2] << 4) : (uint16_t)(p[0] | (p[1] & 0xf) << 8);
}

static void slot_set(uint8_t *p, int dir, uint16_t v)
{
	if (dir) {
		p[1] = (uint8_t)((p[1] & 0xf) | (v & 0xf) << 4);
		p[2] = (uint8_t)(v >> 4);
	} else {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)((p[1] & 0xf0) | (v >> 8 & 0xf));
	}
}

/* E gets a ring (all zero) if it has none. 0 or -ENOMEM. */
static int ring_take(struct history *h, struct hist_host *e)
{
	uint32_t i;

	if (e->ring)
		return 0;
	if (h->rings_free) {
		i = h->rings_free - 1;
		memcpy(&h->rings_free, h->rings[i], sizeof(h->rings_free));
	} else {
		if (h->rings_top == h->rings_cap) {
			/* by a quarter: a ring is 180 B, thousands of them most of a megabyte */
			uint32_t cap = h->rings_cap < 16 ? 16 : h->rings_cap + h->rings_cap / 4;

			if (cap > HIST_MAX_HOSTS) /* (a ring is a host's: never more) */
				cap = HIST_MAX_HOSTS;
			hist_ring *v = realloc(h->rings, (size_t)cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			h->rings = v;
			h->rings_cap = cap;
		}
		i = h->rings_top++;
	}
	memset(h->rings[i], 0, sizeof(h->rings[i]));
	e->ring = i + 1;
	h->rings_used++;
	return 0;
}

static void ring_give(struct history *h, struct hist_host *e)
{
	if (!e->ring)
		return;
	memcpy(h->rings[e->ring - 1], &h->rings_free, sizeof(h->rings_free));
	h->rings_free = e->ring;
	e->ring = 0;
	h->rings_used--;
}

/* Half of the rings free: the held ones packed at the front of an array a quarter larger than
 * they need (a failed allocation leaves them where they are). */
static void rings_shrink(struct history *h)
{
	uint32_t cap = h->rings_used + h->rings_used / 4 + 16, k = 0;
	hist_ring *v;

	if (h->rings_used * 2 >= h->rings_top || cap >= h->rings_cap)
		return;
	v = malloc((size_t)cap * sizeof(*v));
	if (!v)
		return;
	for (uint32_t i = 0; i < h->n; i++) {
		struct hist_host *e = &h->hosts[i];

		if (!e->ring)
			continue;
		memcpy(v[k], h->rings[e->ring - 1], sizeof(v[k]));
		e->ring = ++k;
	}
	free(h->rings);
	h->rings = v;
	h->rings_cap = cap;
	h->rings_top = k;
	h->rings_free = 0;
}

static bool ring_zero(const uint8_t (*r)[3])
{
	static const hist_ring zero;

	return !r || !memcmp(r, zero, sizeof(zero));
}

void history_hour(struct history *h, bool on)
{
	if (h->hour_off == !on)
		return;
	h->hour_off = !on;
	if (on)
		return;
	for (uint32_t i = 0; i < h->n; i++) { /* (the whole array goes: no free list) */
		h->hosts[i].now[0] = h->hosts[i].now[1] = 0;
		h->hosts[i].ring = 0;
	}
	h->slot_ms = 0; /* the newest slot's bytes went: on again, it covers the polls after */
	free(h->rings);
	h->rings = NULL;
	h->rings_cap = h->rings_top = h->rings_free = h->rings_used = 0;
}

/* The ring moves on to slot S (absolute): the newest slot closes into it, the slots it skips
 * are zeroed; a ring left all zero is given back. */
static void ring_advance(struct history *h, long long s)
{
	long long from = h->slot + 1;

	if (s == h->slot)
		return;
	if (s < h->slot || s - h->slot >= HIST_SLOTS || !h->slot)
		from = s - HIST_SLOTS + 1; /* the clock went back, or a long gap: all of it */
	for (uint32_t i = 0; i < h->n; i++) {
		struct hist_host *e = &h->hosts[i];
		uint8_t (*r)[3] = ring_of(h, e);

		if (r) { /* (bytes in the newest slot come with a ring: history_poll) */
			if (from == h->slot + 1)
				for (int d = 0; d < 2; d++)
					slot_set(r[h->slot % HIST_SLOTS], d, hist_pack(e->now[d]));
			for (long long k = from; k <= s; k++)
				memset(r[k % HIST_SLOTS], 0, sizeof(r[0]));
			if (ring_zero(r))
				ring_give(h, e);
		}
		e->now[0] = e->now[1] = 0;
	}
	rings_shrink(h);
	h->slot = s;
	h->slot_ms = 0;
}

static void local_day(time_t now, long long *start, long long *end)
{
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*start = (long long)mktime(&tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*end = (long long)mktime(&tm);
}

bool hist_day_next(const struct hist_day *d, size_t *pos, uint32_t *host, uint64_t b[2])
{
	const unsigned char *p;
	uint64_t x;

	if (!d->buf && !d->v)
		return false;
	if (!d->buf) {
		if (*pos >= d->n)
			return false;
		*host = d->v[*pos].host;
		b[0] = hist_ent_bytes(&d->v[*pos], 0);
		b[1] = hist_ent_bytes(&d->v[*pos], 1);
		++*pos;
		return true;
	}
	if (*pos >= d->len)
		return false;
	p = varint_get(d->buf + *pos, &x); /* day_pack wrote it */
	*host = (uint32_t)x;
	p = varint_get(p, &b[0]);
	p = varint_get(p, &b[1]);
	*pos = (size_t)(p - d->buf);
	return true;
}

int file_run_line(struct file_run *r, char **line, size_t *len)
{
	if (r->held) {
		r->buf[r->a] = r->save;
		r->held = false;
	}
	for (;;) {
		char *nl = memchr(r->buf + r->a, '\n', r->b - r->a);
		size_t room;
		ssize_t got;

		if (nl) {
			*line = r->buf + r->a;
			*len = (size_t)(nl + 1 - *line);
			r->a += *len;
			r->save = r->buf[r->a]; /* (at most buf[sizeof(buf) - 1]) */
			r->buf[r->a] = '\0';
			r->held = true;
			return 1;
		}
		if (!r->left)
			return r->a == r->b ? 0 : -ESTALE;
		memmove(r->buf, r->buf + r->a, r->b - r->a);
		r->b -= r->a;
		r->a = 0;
		room = sizeof(r->buf) - 1 - r->b; /* (a byte kept for the NUL after a line) */
		if (!room)
			return -ESTALE; /* no line is that long */
		if ((long long)room > r->left)
			room = (size_t)r->left;
		do
			got = pread(r->fd, r->buf + r->b, room, (off_t)r->off);
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return -ESTALE;
		r->b += (size_t)got;
		r->off += got;
		r->left -= got;
	}
}

/* A decimal number without sign; the position after it in *end. */
static int read_u64(const char *s, uint64_t *v, const char **end)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &e, 10);
	if (errno)
		return -EINVAL;
	*end = e;
	return 0;
}

/* "day START NAME TX RX\n": 0 or -EINVAL. */
static int day_line(const char *line, long long *start, char name[NAME_SIZE], uint64_t b[2])
{
	const char *p = line + 4;
	uint64_t s;
	size_t nl;

	if (strncmp(line, "day ", 4) || read_u64(p, &s, &p) || *p++ != ' ')
		return -EINVAL;
	nl = strcspn(p, " \n");
	if (!nl || nl >= NAME_SIZE || p[nl] != ' ')
		return -EINVAL;
	memcpy(name, p, nl);
	name[nl] = '\0';
	p += nl + 1;
	if (!name_is_valid(name) || read_u64(p, &b[0], &p) || *p++ != ' ' ||
	    read_u64(p, &b[1], &p) || strcmp(p, "\n") || s > (uint64_t)INT64_MAX)
		return -EINVAL;
	*start = (long long)s;
	return 0;
}

/* The host a line of a day on the file only names: by the name it had when the file was
 * written (an alias), else by its name. NULL: none (a host the history did not keep). */
static const struct hist_host *host_on_file(const struct history *h, const char *name)
{
	for (uint32_t i = 0; i < h->naliases; i++)
		if (!strcmp(npool_name(&h->names, h->aliases[i].name), name))
			return &h->hosts[h->aliases[i].host];
	return hist_find(h, name);
}

void hist_day_begin(const struct history *h, const struct hist_day *d, struct hist_iter *it)
{
	it->pos = 0;
	it->n = 0;
	if (hist_day_on_file_only(d))
		file_run_init(&it->run, h->file - 1, d->off, d->flen);
}

int hist_day_read(const struct history *h, const struct hist_day *d, struct hist_iter *it,
		  uint32_t *host, uint64_t b[2])
{
	char *line, name[NAME_SIZE];
	const struct hist_host *e;
	long long start;
	size_t len;
	int ret;

	if (!hist_day_on_file_only(d))
		return hist_day_next(d, &it->pos, host, b);
	if (!h->file)
		return -ESTALE;
	for (;;) {
		ret = file_run_line(&it->run, &line, &len);
		if (ret <= 0)
			return ret || it->n == d->n ? ret : -ESTALE;
		if (day_line(line, &start, name, b) || start != d->start)
			return -ESTALE;
		if ((e = host_on_file(h, name))) { /* (one the history did not keep: skipped) */
			if (++it->n > d->n)
				return -ESTALE;
			*host = (uint32_t)(e - h->hosts);
			return 1;
		}
	}
}

/* A line of day D on the file only: with EXACT the one that starts at AT, else the first that
 * starts after AT; read into BUF (SIZE: over two lines' most, 2 x 130 bytes), its start in *S
 * and its end in *E, day_line() of it into NAME, B. 1; 0 when no line starts there; -ESTALE
 * when the file does not give one of D's lines there. */
static int line_at(int fd, const struct hist_day *d, long long at, bool exact, char *buf,
		   size_t size, long long *s, long long *e, char name[NAME_SIZE], uint64_t b[2])
{
	long long end = d->off + d->flen, start;
	size_t want = (long long)size - 1 < end - at ? size - 1 : (size_t)(end - at);
	ssize_t got;
	char *p = buf, *nl;

	do
		got = pread(fd, buf, want, (off_t)at);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)want)
		return -ESTALE;
	buf[got] = '\0';
	if (!exact) {
		if (!(nl = memchr(buf, '\n', (size_t)got)))
			return -ESTALE;
		p = nl + 1;
	}
	if (p == buf + got)
		return 0;
	if (!(nl = memchr(p, '\n', (size_t)(buf + got - p))))
		return -ESTALE;
	nl[1] = '\0';
	if (day_line(p, &start, name, b) || start != d->start)
		return -ESTALE;
	*s = at + (p - buf);
	*e = *s + (nl + 1 - p);
	return 1;
}

/*
 * WANT's line of day D, on the file only and sorted: its bytes into B. A binary search, each
 * line it reads checked, and the day's first and last lines too (a file written over in
 * place: -ESTALE). 1, 0 when the day has no such line, -ESTALE.
 */
static int day_find(const struct history *h, const struct hist_day *d, const char *want,
		    uint64_t b[2])
{
	char buf[2 * 132 + 8], name[NAME_SIZE];
	long long lo = d->off, hi = d->off + d->flen, s, e;
	int fd = h->file - 1, ret, c;

	if (!h->file)
		return -ESTALE;
	/* the ends: the first line, and the lines that start in the last 130 bytes (a line's
	 * most) to the run's end */
	ret = line_at(fd, d, lo, true, buf, sizeof(buf), &s, &e, name, b);
	if (ret > 0 && hi - lo > 130)
		ret = line_at(fd, d, hi - 131, false, buf, sizeof(buf), &s, &e, name, b);
	while (ret > 0 && e < hi)
		ret = line_at(fd, d, e, true, buf, sizeof(buf), &s, &e, name, b);
	if (ret <= 0)
		return ret ? ret : -ESTALE;
	/* WANT's line, if any, starts in [lo, hi); lo is a line's start */
	while (hi - lo > (long long)sizeof(buf)) {
		long long mid = lo + (hi - lo) / 2;

		if ((ret = line_at(fd, d, mid, false, buf, sizeof(buf), &s, &e, name, b)) < 0)
			return ret;
		if (!ret || s >= hi) {
			hi = mid + 1;
			continue;
		}
		if (!(c = strcmp(name, want)))
			return 1;
		if (c < 0)
			lo = e;
		else
			hi = s;
	}
	for (; lo < hi; lo = e) {
		if ((ret = line_at(fd, d, lo, true, buf, sizeof(buf), &s, &e, name, b)) <= 0)
			return ret ? ret : -ESTALE;
		if (!(c = strcmp(name, want)))
			return 1;
		if (c > 0)
			break;
	}
	return 0;
}

/* A packed entry at P: host, tx, rx (hist_day); the byte after. */
static unsigned char *ent_put(unsigned char *p, uint32_t host, uint64_t tx, uint64_t rx)
{
	p = varint_put(p, host);
	p = varint_put(p, tx);
	return varint_put(p, rx);
}

/* A day that has ended, packed (hist_day); left an array, without slack, when memory ran out. */
static void day_pack(struct hist_day *d)
{
	size_t len = 0;
	unsigned char *buf, *p;

	if (hist_day_on_file_only(d))
		return;
	if (d->buf || !d->n) {
		free(d->v);
		d->v = NULL;
		d->cap = 0;
		return;
	}
	for (uint32_t j = 0; j < d->n; j++)
		len += varint_len(d->v[j].host) + varint_len(hist_ent_bytes(&d->v[j], 0)) +
		       varint_len(hist_ent_bytes(&d->v[j], 1));
	if (!(buf = malloc(len))) {
		struct hist_ent *v = realloc(d->v, d->n * sizeof(*v));

		if (v) {
			d->v = v;
			d->cap = d->n;
		}
		return;
	}
	p = buf;
	for (uint32_t j = 0; j < d->n; j++)
		p = ent_put(p, d->v[j].host, hist_ent_bytes(&d->v[j], 0), hist_ent_bytes(&d->v[j], 1));
	free(d->v);
	d->v = NULL;
	d->cap = 0;
	d->buf = buf;
	d->len = (uint32_t)len;
}

/* The day's host indexes through MAP, which never moves one up (compact): a packed entry is
 * written back where it was read, never longer. */
static void day_remap(struct hist_day *d, const uint32_t *map)
{
	unsigned char *w = d->buf;
	size_t pos = 0;
	uint64_t b[2];
	uint32_t host;

	if (!d->buf) {
		for (uint32_t j = 0; d->v && j < d->n; j++)
			d->v[j].host = map[d->v[j].host];
		return; /* (a day on the file only names its hosts) */
	}
	while (hist_day_next(d, &pos, &host, b))
		w = ent_put(w, map[host], b[0], b[1]);
	if ((size_t)(w - d->buf) < d->len) { /* shorter: the bytes freed go back */
		unsigned char *p = realloc(d->buf, (size_t)(w - d->buf));

		d->len = (uint32_t)(w - d->buf);
		if (p)
			d->buf = p;
	}
}

/* Drops the N oldest days (hosts stay where they are: callers may hold one). */
static void drop_days(struct history *h, uint32_t n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++) {
		h->entries -= h->days[i].n;
		free(h->days[i].v);
		free(h->days[i].buf);
	}
	memmove(h->days, h->days + n, (h->ndays - n) * sizeof(*h->days));
	h->ndays -= n;
	if (!h->ndays)
		for (uint32_t i = 0; i < h->n; i++)
			h->hosts[i].today = 0;
	h->compact = true;
}

static bool ring_quiet(const struct history *h, const struct hist_host *e)
{
	return ring_zero(ring_of(h, e)) && !e->now[0] && !e->now[1];
}

/* Hosts left with no day and a quiet ring go. */
static void compact(struct history *h)
{
	uint32_t *map, *idx = NULL, w = 0, cap;
	bool *used;

	used = calloc(h->n ? h->n : 1, sizeof(*used));
	map = calloc(h->n ? h->n : 1, sizeof(*map));
	if (!used || !map) /* the hosts stay: no harm but memory; tried again next poll */
		goto out;
	for (uint32_t d = 0; d < h->ndays; d++) {
		struct hist_iter it;
		uint64_t b[2];
		uint32_t host;
		int ret;

		hist_day_begin(h, &h->days[d], &it);
		while ((ret = hist_day_read(h, &h->days[d], &it, &host, b)) > 0)
			used[host] = true;
		if (ret) { /* a day the state file no longer gives: the hosts stay, and no poll
			    * reads the file again for it (the next state write finds it out and
			    * drops the day, which asks for a compaction again) */
			h->compact = false;
			goto out;
		}
	}
	for (uint32_t i = 0; i < h->n; i++)
		if ((used[i] = used[i] || !ring_quiet(h, &h->hosts[i])))
			map[i] = w++;
	cap = idx_size(w);
	if (w != h->n && !(idx = calloc(cap, sizeof(*idx))))
		goto out;
	if (idx) {
		for (uint32_t i = 0; i < h->n; i++)
			if (used[i]) {
				h->hosts[map[i]] = h->hosts[i];
			} else {
				ring_give(h, &h->hosts[i]); /* (all zero) */
				npool_unref(&h->names, h->hosts[i].name);
			}
		for (uint32_t d = 0; d < h->ndays; d++)
			day_remap(&h->days[d], map);
		uint32_t k = 0;

		for (uint32_t i = 0; i < h->naliases; i++) {
			struct hist_alias a = h->aliases[i];

			if (used[a.host])
				h->aliases[k++] = (struct hist_alias){ a.name, map[a.host] };
			else
				npool_unref(&h->names, a.name);
		}
		h->naliases = k;
		h->n = w;
		idx_fill(h, idx, cap);
		h->reindexed++;
	}
	h->compact = false;
out:
	free(used);
	free(map);
}

/* Opens the day starting at START (after the newest one). */
static int day_open(struct history *h, long long start, long long end)
{
	if (h->ndays == HIST_MAX_DAYS)
		drop_days(h, 1);
	if (h->ndays == h->days_cap) {
		uint32_t cap = h->days_cap ? h->days_cap * 2 : 8;
		struct hist_day *v = realloc(h->days, cap * sizeof(*v));

		if (!v)
			return -ENOMEM; /* (the newest day stays an array: day_add goes on into it) */
		h->days = v;
		h->days_cap = cap;
	}
	if (h->ndays)
		day_pack(&h->days[h->ndays - 1]);
	h->days[h->ndays++] = (struct hist_day){ .start = start };
	h->day_end = end;
	for (uint32_t i = 0; i < h->n; i++)
		h->hosts[i].today = 0;
	return 0;
}

static void ent_add(struct hist_ent *x, int dir, uint64_t v)
{
	v += hist_ent_bytes(x, dir);
	x->half[dir][0] = (uint32_t)(v >> 32);
	x->half[dir][1] = (uint32_t)v;
}

/* Adds bytes to host E's entry in the newest day. */
static int day_add(struct history *h, struct hist_host *e, uint64_t tx, uint64_t rx)
{
	struct hist_day *d;

	if (!e->today) {
		if (h->entries >= HIST_MAX_ENTRIES && h->ndays > 1)
			drop_days(h, 1);
		d = &h->days[h->ndays - 1];
		if (h->entries >= HIST_MAX_ENTRIES) {
			h->dropped++;
			return 0;
		}
		if (d->n == d->cap) {
			uint32_t cap = d->cap ? d->cap * 2 : 8;
			struct hist_ent *v = realloc(d->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			d->v = v;
			d->cap = cap;
		}
		d->v[d->n] = (struct hist_ent){ .host = (uint32_t)(e - h->hosts) };
		e->today = ++d->n;
		h->entries++;
	}
	d = &h->days[h->ndays - 1];
	ent_add(&d->v[e->today - 1], 0, tx);
	ent_add(&d->v[e->today - 1], 1, rx);
	return 0;
}

/* The oldest day the totals still keep a period for (0: all). */
static long long keep_from(const struct totals *t)
{
	return t->npast ? t->past[t->npast - 1].start : t->period_start;
}

static void prune(struct history *h, long long from)
{
	uint32_t n = 0;

	while (from && n < h->ndays && h->days[n].start < from)
		n++;
	drop_days(h, n);
	if (h->compact)
		compact(h);
}

int history_poll(struct history *h, const struct totals *t, time_t now)
{
	bool hour = t->has_rates && !h->hour_off; /* the ring takes this poll's bytes */
	long long ds, de;
	int ret = 0;

	ring_advance(h, (long long)now / HIST_SLOT_SECONDS);
	if (hour && t->dt_ms > 0)
		h->slot_ms += t->dt_ms;
	h->now = now;
	local_day(now, &ds, &de);
	if (!h->ndays || ds > h->days[h->ndays - 1].start) {
		if (day_open(h, ds, de))
			return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct total *e = &t->v[i];
		uint64_t b[2] = { 0, 0 };
		struct hist_host *hh;
		int err;

		for (int f = 0; f < FAM_COUNT; f++)
			for (int d = 0; d < 2; d++)
				b[d] += e->delta[f][d];
		if (!b[0] && !b[1])
			continue;
		hh = hist_get(h, e->name, &err);
		if (!hh) {
			if (err == -ENOMEM)
				return err;
			h->dropped++;
			continue;
		}
		/* Out of memory for its ring: the day still counts it (the hour is approximate
		 * anyway, the days are exact), and the poll says so. */
		if (hour && ring_take(h, hh)) {
			ret = -ENOMEM;
		} else if (hour) {
			hh->now[0] += (float)b[0];
			hh->now[1] += (float)b[1];
		}
		if (day_add(h, hh, b[0], b[1]))
			return -ENOMEM;
	}
	prune(h, keep_from(t));
	return ret;
}

/* A day's entry as history_write() sorts it. */
struct wline {
	const char *name;
	uint64_t b[2];
};

static int by_wname(const void *a, const void *b)
{
	return strcmp(((const struct wline *)a)->name, ((const struct wline *)b)->name);
}

/* Day D's entries into V (room for D's N) in the order of their names, *N of them (the
 * state file's order, and /api/days'): sorted only when they do not read in that order (the
 * newest day, one packed, one with a host renamed since the state file was written). */
static int day_sorted(const struct history *h, const struct hist_day *d, struct wline *v,
		      uint32_t *n)
{
	struct hist_iter it;
	bool sorted = true;
	uint64_t b[2];
	uint32_t host;
	int ret;

	*n = 0;
	hist_day_begin(h, d, &it);
	while ((ret = hist_day_read(h, d, &it, &host, b)) > 0) {
		if (*n == d->n)
			return -ESTALE; /* (more than it holds: not a day iptmon kept) */
		v[*n] = (struct wline){ host_name(h, &h->hosts[host]), { b[0], b[1] } };
		if (*n && strcmp(v[*n - 1].name, v[*n].name) >= 0)
			sorted = false;
		++*n;
	}
	if (!ret && !sorted)
		qsort(v, *n, sizeof(*v), by_wname);
	return ret;
}

static int day_write(FILE *f, const struct history *h, const struct hist_day *d, struct wline *v)
{
	uint32_t n;
	int ret = day_sorted(h, d, v, &n);

	for (uint32_t i = 0; !ret && i < n; i++)
		fprintf(f, "day %lld %s %" PRIu64 " %" PRIu64 "\n", d->start, v[i].name, v[i].b[0],
			v[i].b[1]);
	return ret;
}

/* Room for the entries of the largest of H's days: NULL when out of memory. */
static struct wline *wlines(const struct history *h)
{
	uint32_t most = 1;

	for (uint32_t d = 0; d < h->ndays; d++)
		if (h->days[d].n > most)
			most = h->days[d].n;
	return malloc(most * sizeof(struct wline));
}

int history_write(FILE *f, const struct history *h, long long *offs)
{
	struct wline *v = h->ndays ? wlines(h) : NULL;
	int ret = h->ndays && !v ? -ENOMEM : 0;

	for (uint32_t d = 0; d < h->ndays && !ret; d++) {
		off_t at = 0, end;

		if (offs && (at = ftello(f)) < 0)
			ret = -EIO;
		else if (!(ret = day_write(f, h, &h->days[d], v)) && offs) {
			if ((end = ftello(f)) < 0)
				ret = -EIO;
			offs[2 * d] = (long long)at;
			offs[2 * d + 1] = (long long)(end - at);
		}
	}
	free(v);
	return ret ? ret : ferror(f) ? -EIO : 0;
}

/* An ended day, once the file it was read from or written to holds it: freed (its N stay). */
static void day_to_file(struct hist_day *d)
{
	if (!d->flen || !d->n)
		return;
	free(d->v);
	free(d->buf);
	d->v = NULL;
	d->buf = NULL;
	d->cap = d->len = 0;
}

int history_read_line(struct history *h, const char *line, long long at, long long end)
{
	char name[NAME_SIZE];
	uint64_t b[2];
	long long start;
	struct hist_host *e;
	struct hist_day *d;
	int err;

	if (day_line(line, &start, name, b))
		return -EINVAL;
	if (h->ndays && start < h->days[h->ndays - 1].start)
		return -EINVAL;
	if (!h->ndays || start > h->days[h->ndays - 1].start) {
		long long ds, de;

		if (at >= 0 && h->ndays) /* the day before: on the file only */
			day_to_file(&h->days[h->ndays - 1]);
		local_day((time_t)start, &ds, &de);
		if (day_open(h, start, de))
			return -ENOMEM;
		h->days[h->ndays - 1].sorted = 1;
		h->prev[0] = '\0';
	}
	d = &h->days[h->ndays - 1];
	if (at >= 0) { /* its lines: one run */
		if (!d->flen)
			d->off = at;
		else if (at != d->off + d->flen)
			return -EINVAL;
		if (end - d->off > INT32_MAX)
			return -EINVAL; /* (more lines than a day has hosts) */
		d->flen = (uint32_t)(end - d->off);
	}
	if (strcmp(h->prev, name) >= 0)
		d->sorted = 0; /* (an earlier iptmon's file) */
	memcpy(h->prev, name, sizeof(name));
	e = hist_get(h, name, &err);
	if (!e)
		return err == -ENOMEM ? err : 0; /* past the bounds: not kept, not an error */
	if (e->today)
		return -EINVAL; /* a name twice in one day: not a file iptmon wrote */
	return day_add(h, e, b[0], b[1]);
}

void history_on_file(struct history *h, int fd, const long long *offs)
{
	h->file = fd + 1;
	for (uint32_t d = 0; d < h->ndays; d++) {
		h->days[d].off = offs[2 * d];
		h->days[d].flen = offs[2 * d + 1] > INT32_MAX ? 0 : (uint32_t)offs[2 * d + 1];
		h->days[d].sorted = 1; /* (history_write sorts) */
		if (d + 1 < h->ndays)
			day_to_file(&h->days[d]);
	}
	for (uint32_t i = 0; i < h->naliases; i++)
		npool_unref(&h->names, h->aliases[i].name);
	free(h->aliases);
	h->aliases = NULL;
	h->naliases = 0;
}

/* Whether day D reads to its end. */
static bool day_readable(const struct history *h, const struct hist_day *d)
{
	struct hist_iter it;
	uint64_t b[2];
	uint32_t host;
	int ret;

	hist_day_begin(h, d, &it);
	while ((ret = hist_day_read(h, d, &it, &host, b)) > 0)
		;
	return !ret;
}

size_t history_drop_on_file(struct history *h)
{
	uint32_t n = h->ndays;

	while (n && day_readable(h, &h->days[n - 1]))
		n--;
	/* the newest one the file no longer gives, and every older one: no gap in the days */
	drop_days(h, n);
	h->days_lost += n;
	return n;
}

size_t history_memory(const struct history *h)
{
	size_t m = (size_t)h->cap * sizeof(*h->hosts) + (size_t)h->idx_cap * sizeof(*h->idx) +
		   (size_t)h->days_cap * sizeof(*h->days) + npool_memory(&h->names) +
		   (size_t)h->rings_cap * sizeof(*h->rings) + h->naliases * sizeof(*h->aliases);

	for (uint32_t d = 0; d < h->ndays; d++)
		m += (size_t)h->days[d].cap * sizeof(*h->days[d].v) + h->days[d].len;
	return m;
}

/* ---- the API ------------------------------------------------------------------------------ */

/* The ring as bytes per second, oldest slot first; the newest one over what polls covered. */
static void json_ring(FILE *f, const struct history *h, const struct hist_host *e, int dir)
{
	fputc('[', f);
	for (int i = 0; i < HIST_SLOTS && !h->hour_off; i++) {
		long long s = ((h->slot - HIST_SLOTS + 1 + i) % HIST_SLOTS + HIST_SLOTS) % HIST_SLOTS;
		bool newest = i == HIST_SLOTS - 1;
		double secs = newest ? (double)h->slot_ms / 1000.0 : HIST_SLOT_SECONDS;
		const uint8_t (*r)[3] = e ? ring_of(h, e) : NULL;
		double v = e && secs > 0 ? (newest ? e->now[dir] : r ? hist_unpack(slot_get(r[s], dir)) : 0) / secs
					 : 0;

		fprintf(f, i ? ",%.0f" : "%.0f", v);
	}
	fputc(']', f);
}

static void json_recent_host(FILE *f, const struct history *h, const struct hist_host *e,
			     const char *name)
{
	fputs("{\"name\": ", f);
	json_write_string(f, name);
	fputs(", \"tx\": ", f);
	json_ring(f, h, e, 0);
	fputs(", \"rx\": ", f);
	json_ring(f, h, e, 1);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void json_day(FILE *f, const struct hist_day *d, const uint64_t b[2], bool *first)
{
	fprintf(f, "%s{\"start\": %lld, \"tx_bytes\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 "}",
		*first ? "" : ", ", d->start, b[0], b[1]);
	*first = false;
}

/* /api/history's head, and with NAME the whole of that host's body (small: a ring and its
 * days); -ENOENT for a NAME neither the totals nor the history know. */
static int recent_head(FILE *f, const struct history *h, const struct totals *t,
		       const char *name)
{
	const struct hist_host *e = name ? hist_find(h, name) : NULL;
	bool first = true;

	if (name && !e && !totals_find(t, name))
		return -ENOENT;
	fprintf(f,
		"{\"slot_seconds\": %d, \"start\": %lld, \"now\": %lld, \"poll_ms\": %lld, "
		"\"hour\": %s, ",
		HIST_SLOT_SECONDS, (h->slot - HIST_SLOTS + 1) * HIST_SLOT_SECONDS, h->now,
		t->has_rates ? (long long)t->dt_ms : 0, h->hour_off ? "false" : "true");
	if (name) {
		const char **as = NULL; /* the names E has on the file, in order */
		uint32_t nas = 0;
		int ret = 0;

		fputs("\"host\": ", f);
		json_recent_host(f, h, e, name);
		fputs(", \"days\": [", f);
		if (e && !(as = malloc((h->naliases + 1) * sizeof(*as))))
			return -ENOMEM;
		for (uint32_t i = 0; e && i <= h->naliases; i++) {
			const char *n = i < h->naliases ? npool_name(&h->names, h->aliases[i].name)
							: host_name(h, e);

			if (host_on_file(h, n) == e)
				as[nas++] = n;
		}
		if (nas > 1)
			qsort(as, nas, sizeof(*as), by_str);
		for (uint32_t d = 0; e && d < h->ndays && !ret; d++) {
			const struct hist_day *day = &h->days[d];
			struct hist_iter it;
			uint64_t b[2];
			uint32_t host;

			if (hist_day_on_file_only(day) && day->sorted) {
				for (uint32_t i = 0; i < nas && ret >= 0; i++)
					if ((ret = day_find(h, day, as[i], b)) > 0)
						json_day(f, day, b, &first);
				ret = ret < 0 ? ret : 0;
				continue;
			}
			hist_day_begin(h, day, &it);
			while ((ret = hist_day_read(h, day, &it, &host, b)) > 0)
				if (&h->hosts[host] == e)
					json_day(f, day, b, &first);
		}
		free(as);
		if (ret)
			return ret;
		fputs("]}}\n", f);
		return 0;
	}
	fputs("\"hosts\": [", f);
	return 0;
}

/* /api/history's next hosts (at most HIST_PIECE_HOSTS of those with a ring) after the
 * cursor's: 1 while more follow, 0 with the end of the body written. A compaction since the
 * last piece moved the hosts down (in the same order): the cursor finds its place again by
 * the name it wrote last. */
static int recent_next(FILE *f, const struct history *h, struct hist_cursor *c)
{
	unsigned int n = 0;

	if (c->gen != h->reindexed) {
		const struct hist_host *e = c->after[0] ? hist_find(h, c->after) : NULL;

		c->pos = e ? (uint32_t)(e - h->hosts) + 1 : c->after[0] ? h->n : 0;
		c->gen = h->reindexed;
	}
	for (; c->pos < h->n && n < HIST_PIECE_HOSTS; c->pos++) {
		const struct hist_host *e = &h->hosts[c->pos];

		if (ring_quiet(h, e))
			continue;
		fputs(c->any ? ",\n  " : "\n  ", f);
		json_recent_host(f, h, e, host_name(h, e));
		fputc('}', f);
		snprintf(c->after, sizeof(c->after), "%s", host_name(h, e));
		c->any = true;
		n++;
	}
	if (c->pos < h->n)
		return 1;
	fputs("]}\n", f);
	return 0;
}

struct talker {
	const char *name;
	uint64_t b[2];
};

static int by_volume(const void *a, const void *b)
{
	const struct talker *x = a, *y = b;
	uint64_t vx = x->b[0] + x->b[1], vy = y->b[0] + y->b[1];

	return vx < vy ? 1 : vx > vy ? -1 : strcmp(x->name, y->name);
}

/* "current" 0, "previous" 1, N; -EINVAL past the periods kept. */
static int period_index(const struct totals *t, const char *s, size_t *out)
{
	uint64_t n;
	const char *end;

	if (!s || !strcmp(s, "current"))
		n = 0;
	else if (!strcmp(s, "previous"))
		n = 1;
	else if (read_u64(s, &n, &end) || *end || (end - s) > 4)
		return -EINVAL;
	if (n > t->npast)
		return -EINVAL;
	*out = (size_t)n;
	return 0;
}

static void json_talkers(FILE *f, const struct talker *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
		json_write_string(f, v[i].name);
		fprintf(f, ", \"tx_bytes\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 "}", v[i].b[0],
			v[i].b[1]);
	}
}

static uint64_t sum_dir(const struct counts *c, int dir)
{
	uint64_t s = 0;

	for (int f = 0; f < FAM_COUNT; f++)
		s += c->bytes[f][dir];
	return s;
}

/* /api/days' head: the period, the periods, the period's hosts (its talkers), and the
 * bounds the days must be in into CUR; -EINVAL for a bad PERIOD (nothing written). */
static int days_head(FILE *f, const struct totals *t, const char *period,
		     struct hist_cursor *cur)
{
	const struct npool *names = &t->hist.names;
	const struct period_rec *r = NULL;
	struct period_rec disk = { 0 };
	struct npool disk_names = { 0 };
	size_t idx, n = 0, cap;
	long long start, end;
	struct talker *v;
	int ret;

	if (period_index(t, period, &idx))
		return -EINVAL;
	if (idx && period_on_file_only(r = &t->past[idx - 1])) {
		/* an older period: read from the state file for this answer only */
		ret = totals_past_load(t, idx - 1, &disk, &disk_names);
		if (ret)
			return ret;
		r = &disk;
		names = &disk_names;
	}
	start = idx ? r->start : t->period_start;
	end = idx ? r->end : t->period_end;
	cap = idx ? r->n : t->n;
	v = calloc(cap ? cap : 1, sizeof(*v));
	if (!v) {
		period_rec_free(&disk, &disk_names);
		npool_free(&disk_names);
		return -ENOMEM;
	}
	for (size_t i = 0, pos = 0; i < cap; i++) {
		struct talker k = { NULL, { 0, 0 } };
		const struct counts *c;
		struct counts was;

		if (idx) {
			if (!period_next(r, names, &pos, &k.name, &was))
				break; /* (n hosts were added: n are read) */
			c = &was;
		} else {
			k.name = t->v[i].name;
			c = &t->v[i].cur;
		}
		k.b[0] = sum_dir(c, 0);
		k.b[1] = sum_dir(c, 1);
		if (k.b[0] || k.b[1])
			v[n++] = k;
	}
	qsort(v, n, sizeof(*v), by_volume);
	fprintf(f, "{\"period\": {\"index\": %zu, \"start\": %lld, \"end\": %lld}, \"periods\": [",
		idx, start, end);
	for (size_t p = 0; p <= t->npast; p++)
		fprintf(f, "%s{\"index\": %zu, \"start\": %lld, \"end\": %lld}", p ? ", " : "", p,
			p ? t->past[p - 1].start : t->period_start,
			p ? t->past[p - 1].end : t->period_end);
	fputs("],\n\"hosts\": [", f);
	json_talkers(f, v, n);
	free(v);
	period_rec_free(&disk, &disk_names);
	npool_free(&disk_names);
	fputs("],\n\"days\": [", f);
	cur->start = start;
	cur->end = end;
	cur->day = LLONG_MIN;
	return 0;
}

/* /api/days' next day (of the period the head wrote) after the cursor's: 1 while more may
 * follow, 0 with the end of the body written, -errno. By the days' starts: a poll since the
 * last piece (a day begun, the oldest dropped) changes nothing before it. */
static int days_next(FILE *f, const struct history *h, struct hist_cursor *c)
{
	struct wline *w;
	uint32_t k;
	int ret;

	for (uint32_t d = 0; d < h->ndays; d++) {
		const struct hist_day *day = &h->days[d];

		if (day->start <= c->day || day->start < c->start || (c->end && day->start >= c->end))
			continue;
		if (!(w = malloc((day->n ? day->n : 1) * sizeof(*w))))
			return -ENOMEM;
		if ((ret = day_sorted(h, day, w, &k))) {
			free(w);
			return ret;
		}
		fprintf(f, "%s{\"start\": %lld, \"hosts\": [", c->any ? ",\n  " : "\n  ",
			day->start);
		for (uint32_t i = 0; i < k; i++) {
			fputs(i ? ", {\"name\": " : "{\"name\": ", f);
			json_write_string(f, w[i].name);
			fprintf(f, ", \"tx_bytes\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 "}",
				w[i].b[0], w[i].b[1]);
		}
		fputs("]}", f);
		free(w);
		c->day = day->start;
		c->any = true;
		return 1;
	}
	fputs("]}\n", f);
	return 0;
}

int history_piece(FILE *f, const struct totals *t, bool days, const char *arg,
		  struct hist_cursor *c)
{
	int ret;

	if (c->section == 0) {
		ret = days ? days_head(f, t, arg, c) : recent_head(f, &t->hist, t, arg);
		if (ret)
			return ret;
		c->section = 1;
		c->gen = t->hist.reindexed;
		return days || !arg ? 1 : 0;
	}
	return days ? days_next(f, &t->hist, c) : recent_next(f, &t->hist, c);
}

bool history_streams(const struct totals *t, bool days, const char *arg)
{
	size_t idx;

	return days ? !period_index(t, arg, &idx) : !arg;
}

/* The whole body, its pieces one after the other. */
static int render_all(FILE *f, const struct totals *t, bool days, const char *arg)
{
	struct hist_cursor c = { 0 };
	int ret;

	while ((ret = history_piece(f, t, days, arg, &c)) > 0)
		;
	return ret;
}

int history_render(const struct totals *t, bool days, const char *arg, char **body, size_t *len)
{
	FILE *f = open_memstream(body, len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = render_all(f, t, days, arg);
	if (ret == -EINVAL || ret == -ENOENT) { /* nothing was written: the one line instead */
		if (days)
			fprintf(f, "unknown period: current, previous or 0 to %zu\n", t->npast);
		else
			fputs("unknown host\n", f);
		ret = -EINVAL;
	}
	if (fclose(f)) {
		free(*body);
		*body = NULL;
		return -ENOMEM;
	}
	if (ret && ret != -EINVAL) { /* -ENOMEM, -ESTALE: no answer */
		free(*body);
		*body = NULL;
	}
	return ret;
}

int history_rename(struct history *h, const char *from, const char *to)
{
	struct hist_host *e = hist_find(h, from);
	uint32_t cap = idx_size(h->n), *idx, id;
	bool alias = false;

	if (!e || hist_find(h, to))
		return 0; /* nothing to move, or TO has a history of its own: both stay */
	/* Days on the file only name it FROM until the next write: FROM an alias of it, unless
	 * FROM is one already (the first holds: it is the name the file has). */
	for (uint32_t d = 0; d < h->ndays && !alias; d++)
		alias = hist_day_on_file_only(&h->days[d]);
	for (uint32_t i = 0; alias && i < h->naliases; i++)
		alias = strcmp(npool_name(&h->names, h->aliases[i].name), from) != 0;
	if (alias) {
		struct hist_alias *v = realloc(h->aliases, (h->naliases + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->aliases = v;
	}
	if (!(idx = calloc(cap, sizeof(*idx))) || npool_ref(&h->names, to, &id)) {
		free(idx);
		return -ENOMEM;
	}
	if (alias) /* (FROM's reference goes to the alias) */
		h->aliases[h->naliases++] = (struct hist_alias){ e->name, (uint32_t)(e - h->hosts) };
	else
		npool_unref(&h->names, e->name);
	e->name = id;
	idx_fill(h, idx, cap);
	return 1;
}
