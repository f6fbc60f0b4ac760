/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_NPOOL_H
#define IPTMON_NPOOL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Host names kept once. A year of closed periods and the history name the same hosts again
 * and again: each refers to a name by its id, a small number (a varint of one or two bytes in
 * a packed period, where the name took its length and a NUL), and the name is stored once.
 * Every reference holds a count; a name goes with its last one and its id is used again.
 * Its text never moves while it is held (npool_name() may be kept that long).
 */
struct npool {
	char **v;	   /* by id: the name (malloc'd), NULL for a free id */
	uint32_t *refs;	   /* by id: the references; a free id: the next free id + 1 (0: none) */
	uint32_t n, cap;   /* ids handed out (held or free), allocated */
	uint32_t free;	   /* the first free id + 1; 0: none */
	uint32_t live;	   /* names held */
	uint32_t *idx;	   /* open addressing on the name: id + 1, 0 = empty */
	uint32_t idx_cap;  /* a power of two, at least twice live */
};

/* NAME's id into *ID, with one reference more (the name added if new). 0 or -ENOMEM. */
int npool_ref(struct npool *p, const char *name, uint32_t *id);
/* One reference to ID less; the name goes with its last. */
void npool_unref(struct npool *p, uint32_t id);
/* The id of NAME (-1 when the pool has none), without a reference. */
int64_t npool_find(const struct npool *p, const char *name);

static inline const char *npool_name(const struct npool *p, uint32_t id)
{
	return p->v[id];
}

/* Bytes of memory the pool holds (the names as allocated: their length and a NUL). */
size_t npool_memory(const struct npool *p);
void npool_free(struct npool *p);

#endif
