// SPDX-License-Identifier: GPL-2.0-or-later
/* Host names kept once, by reference (npool.h). */
#include "npool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

void npool_free(struct npool *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	free(p->refs);
	free(p->idx);
	memset(p, 0, sizeof(*p));
}

static uint32_t slot_of(const struct npool *p, const char *name)
{
	return name_hash(name) & (p->idx_cap - 1);
}

int64_t npool_find(const struct npool *p, const char *name)
{
	if (!p->idx)
		return -1;
	for (uint32_t k = slot_of(p, name); p->idx[k]; k = (k + 1) & (p->idx_cap - 1))
		if (!strcmp(p->v[p->idx[k] - 1], name))
			return p->idx[k] - 1;
	return -1;
}

static void idx_put(struct npool *p, uint32_t id)
{
	uint32_t k = slot_of(p, p->v[id]);

	while (p->idx[k])
		k = (k + 1) & (p->idx_cap - 1);
	p->idx[k] = id + 1;
}

/* An index of CAP slots (a power of two) for the names held. */
static int idx_grow(struct npool *p, uint32_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	free(p->idx);
	p->idx = idx;
	p->idx_cap = cap;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i])
			idx_put(p, i);
	return 0;
}

/* Takes ID out of the index: linear probing's deletion, each later entry of the run moved
 * back into the hole unless its own slot lies between the hole and where it is. */
static void idx_del(struct npool *p, uint32_t id)
{
	uint32_t m = p->idx_cap - 1, hole = slot_of(p, p->v[id]);

	while (p->idx[hole] != id + 1)
		hole = (hole + 1) & m;
	for (uint32_t j = (hole + 1) & m; p->idx[j]; j = (j + 1) & m) {
		uint32_t home = slot_of(p, p->v[p->idx[j] - 1]);

		/* stays when home is cyclically in (hole, j] */
		if (hole <= j ? (hole < home && home <= j) : (hole < home || home <= j))
			continue;
		p->idx[hole] = p->idx[j];
		hole = j;
	}
	p->idx[hole] = 0;
}

int npool_ref(struct npool *p, const char *name, uint32_t *id)
{
	int64_t found = npool_find(p, name);
	size_t len;
	uint32_t i;
	char *s;

	if (found >= 0) {
		*id = (uint32_t)found;
		p->refs[*id]++;
		return 0;
	}
	if ((p->live + 1) * 2 > p->idx_cap &&
	    idx_grow(p, p->idx_cap ? p->idx_cap * 2 : 64))
		return -ENOMEM;
	if (!p->free && p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap + p->cap / 2 : 16;
		char **v = realloc(p->v, cap * sizeof(*v));
		uint32_t *refs;

		if (!v)
			return -ENOMEM;
		p->v = v;
		if (!(refs = realloc(p->refs, cap * sizeof(*refs))))
			return -ENOMEM;
		p->refs = refs;
		p->cap = cap;
	}
	len = strlen(name) + 1;
	if (!(s = malloc(len)))
		return -ENOMEM;
	memcpy(s, name, len);
	if (p->free) {
		i = p->free - 1;
		p->free = p->refs[i];
	} else {
		i = p->n++;
	}
	p->v[i] = s;
	p->refs[i] = 1;
	p->live++;
	idx_put(p, i);
	*id = i;
	return 0;
}

void npool_unref(struct npool *p, uint32_t id)
{
	if (--p->refs[id])
		return;
	idx_del(p, id);
	free(p->v[id]);
	p->v[id] = NULL;
	p->refs[id] = p->free;
	p->free = id + 1;
	p->live--;
}

size_t npool_memory(const struct npool *p)
{
	size_t m = (size_t)p->cap * (sizeof(*p->v) + sizeof(*p->refs)) +
		   (size_t)p->idx_cap * sizeof(*p->idx);

	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i])
			m += strlen(p->v[i]) + 1;
	return m;
}
