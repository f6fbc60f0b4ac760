/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_LBUF_H
#define IPTMON_LBUF_H

#include <stdio.h>
#include <string.h>

/*
 * A line is built in memory and written with one fwrite(): fprintf's format parsing and
 * stdio's per-call locking were most of the cost of a daemon's push at thousands of hosts.
 * Text goes in by runs (memcpy), not a byte at a time: at 4000 hosts the InfluxDB batch alone
 * is 8000 lines a poll, and the live file 4000 hosts' lines (export.c, totals.c).
 */
struct lbuf {
	FILE *f;
	size_t n;
	char b[512];
};

static inline void lb_flush(struct lbuf *l)
{
	fwrite(l->b, 1, l->n, l->f);
	l->n = 0;
}

static inline void lb_mem_split(struct lbuf *l, const char *p, size_t n)
{
	while (n) {
		size_t k;

		if (l->n == sizeof(l->b))
			lb_flush(l);
		k = sizeof(l->b) - l->n;
		if (k > n)
			k = n;
		memcpy(l->b + l->n, p, k);
		l->n += k;
		p += k;
		n -= k;
	}
}

/* Inlined: most pieces are a few bytes of a constant, and fit (-O2: 17 % of a poll's
 * instructions at 4000 hosts; not under -Os, where it would cost 2 KB of code). */
#ifdef __OPTIMIZE_SIZE__
#define LB_INLINE static inline
#else
#define LB_INLINE static inline __attribute__((always_inline))
#endif
LB_INLINE void lb_mem(struct lbuf *l, const char *p, size_t n)
{
	if (n <= sizeof(l->b) - l->n) {
		memcpy(l->b + l->n, p, n);
		l->n += n;
	} else {
		lb_mem_split(l, p, n);
	}
}

static inline void lb_c(struct lbuf *l, char c)
{
	if (l->n == sizeof(l->b))
		lb_flush(l);
	l->b[l->n++] = c;
}

LB_INLINE void lb_s(struct lbuf *l, const char *s)
{
	lb_mem(l, s, strlen(s));
}

/* V's decimal digits at the end of T (24 bytes); where they start. */
static inline char *u64_digits(char t[24], unsigned long long v)
{
	char *p = t + 24;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

static inline void lb_u64(struct lbuf *l, unsigned long long v)
{
	char t[24], *p = u64_digits(t, v);

	lb_mem(l, p, (size_t)(t + sizeof(t) - p));
}

/* The same for a signed V, its '-' included, at the end of T (25 bytes). */
static inline char *i64_digits(char t[25], long long v)
{
	char *p;

	if (v >= 0)
		return u64_digits(t + 1, (unsigned long long)v);
	p = u64_digits(t + 1, 0ULL - (unsigned long long)v);
	*--p = '-';
	return p;
}

static inline void lb_i64(struct lbuf *l, long long v)
{
	char t[25], *p = i64_digits(t, v);

	lb_mem(l, p, (size_t)(t + sizeof(t) - p));
}

#endif
