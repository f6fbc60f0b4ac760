/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DUPS_H
#define IPTMON_DUPS_H

#include <stdbool.h>
#include <stddef.h>

#include "hosts.h"

/*
 * The iptables backends' own scratch while they read: which (host, address, direction)
 * rules were read already, and the duplicates found (only the first copy of a rule counts:
 * it RETURNs). A commit that keeps the address repairs its duplicates. Kept by the backend,
 * not in the host table every backend shares.
 */
struct dup {
	char name[NAME_SIZE];
	struct addr a;
	int dir;
};

struct dups {
	unsigned char *marks; /* per host of the read, per address: bit dir = read once */
	size_t nmarks;
	struct dup *v;
	size_t n;
};

/* A new read: nothing marked, no duplicates. */
void dups_reset(struct dups *d);
void dups_free(struct dups *d);
/*
 * The rule of host H (in the set being read, OUT) for its address J and direction DIR was
 * just read: 0 when it is the first, 1 when a duplicate (recorded), -ENOMEM.
 */
int dups_mark(struct dups *d, const struct hostset *out, const struct host *h, unsigned int j,
	      int dir);

#endif
