// SPDX-License-Identifier: GPL-2.0-or-later
/* Duplicate rules found by the iptables backends' reads (see dups.h). */
#include "dups.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void dups_reset(struct dups *d)
{
	if (d->marks)
		memset(d->marks, 0, d->nmarks);
	d->n = 0;
}

void dups_free(struct dups *d)
{
	free(d->marks);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int dups_mark(struct dups *d, const struct hostset *out, const struct host *h, unsigned int j,
	      int dir)
{
	size_t k = (size_t)(h - out->v) * HOST_MAX_ADDRS + j;
	struct dup *v;

	if (k >= d->nmarks) {
		size_t n = d->nmarks ? d->nmarks : 64 * HOST_MAX_ADDRS;
		unsigned char *m;

		while (n <= k)
			n *= 2;
		m = realloc(d->marks, n);
		if (!m)
			return -ENOMEM;
		memset(m + d->nmarks, 0, n - d->nmarks);
		d->marks = m;
		d->nmarks = n;
	}
	if (!(d->marks[k] & (1u << dir))) {
		d->marks[k] |= (unsigned char)(1u << dir);
		return 0;
	}
	if (d->marks[k] & (4u << dir))
		return 1; /* a third copy: recorded already */
	d->marks[k] |= (unsigned char)(4u << dir);
	v = realloc(d->v, (d->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->v = v;
	memcpy(v[d->n].name, h->name, NAME_SIZE);
	v[d->n].a = h->addrs[j];
	v[d->n++].dir = dir;
	return 1;
}
