// SPDX-License-Identifier: GPL-2.0-or-later
/* The change from what the kernel holds to what is wanted, as steps (see plan.h). */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Grows *v by one element of size sz; NULL when out of memory. */
static void *push(void **v, size_t *n, size_t sz)
{
	char *p = realloc(*v, (*n + 1) * sz);

	if (!p)
		return NULL;
	*v = p;
	return p + (*n)++ * sz;
}

/* The name WANT's host NAME had in OLD, following WANT's renames back; NULL if none. */
static const char *renamed_from(const struct hostset *old, const struct hostset *want,
				const char *name)
{
	const char *cur = name;

	for (size_t i = want->nrenames; i-- > 0;)
		if (!strcmp(want->renames[i].to, cur))
			cur = want->renames[i].from;
	return cur != name && old && hostset_find(old, cur) && !hostset_find(want, cur) ? cur : NULL;
}

int plan_make(struct plan *p, const struct hostset *old, const struct hostset *want)
{
	memset(p, 0, sizeof(*p));
	p->old = old;
	p->want = want;
	for (size_t i = 0; old && i < old->n; i++) {
		const struct host *h = &old->v[i];
		const struct host *w = hostset_find(want, h->name);

		if (!w) {
			const struct host **g = push((void **)&p->gone, &p->ngone, sizeof(*p->gone));

			if (!g)
				goto nomem;
			*g = h;
		}
		for (unsigned int j = 0; j < h->naddrs; j++) {
			struct plan_addr *s;

			if (host_has_addr(w, &h->addrs[j]))
				continue;
			s = push((void **)&p->del, &p->ndel, sizeof(*p->del));
			if (!s)
				goto nomem;
			*s = (struct plan_addr){ h, &h->addrs[j] };
		}
	}
	for (size_t i = 0; i < want->n; i++) {
		const struct host *h = &want->v[i];
		const struct host *was = old ? hostset_find(old, h->name) : NULL;

		if (!was) {
			struct plan_host *c = push((void **)&p->created, &p->ncreated,
						   sizeof(*p->created));

			if (!c)
				goto nomem;
			*c = (struct plan_host){ h, renamed_from(old, want, h->name) };
		}
		for (unsigned int j = 0; j < h->naddrs; j++) {
			struct plan_addr *s;

			if (host_has_addr(was, &h->addrs[j]))
				continue;
			s = push((void **)&p->add, &p->nadd, sizeof(*p->add));
			if (!s)
				goto nomem;
			*s = (struct plan_addr){ h, &h->addrs[j] };
		}
	}
	return 0;
nomem:
	plan_free(p);
	return -ENOMEM;
}

bool plan_empty(const struct plan *p)
{
	return !p->ndel && !p->nadd && !p->ncreated && !p->ngone;
}

void plan_free(struct plan *p)
{
	free(p->del);
	free(p->add);
	free(p->created);
	free(p->gone);
	memset(p, 0, sizeof(*p));
}
