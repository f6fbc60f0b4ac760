/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_BACKEND_H
#define IPTMON_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "hosts.h"
#include "plan.h"

#define FAMS_V4 (1u << FAM_V4)
#define FAMS_V6 (1u << FAM_V6)
#define FAMS_ALL (FAMS_V4 | FAMS_V6)

/* What every backend instance has; the rest is the backend's own (priv). */
struct backend {
	const struct backend_ops *ops;
	char err[512];     /* one line: why the last call failed */
	char warning[256]; /* scratch for a one-line warning */
	/* Set by read(): iptmon's base objects (table, chains, jumps) are missing in part or
	 * whole, e.g. deleted by `nft flush ruleset` or a firewall stop. */
	bool base_missing;
	void *priv;
};

/*
 * The only door to the kernel. The kernel holds the truth: read() returns the counted hosts
 * with their counters; commit() carries out a plan (plan.h: what read() returned, `old`,
 * turned into `want`) in one transaction per family, creating iptmon's base objects if they
 * are missing. Backends translate the plan's steps; none computes a change of its own. Every function
 * returns 0 or -errno and leaves a one-line reason in the backend's error text; none prints.
 */
struct backend_ops {
	const char *name;
	/*
	 * A host may hold several addresses of a family and is counted once at all of them
	 * (nft: an element per address, the host's count their sum). Else one address per
	 * family: a second iptables rule of a family would count the host's history twice.
	 */
	bool many_addrs;
	/* Optional: 0 when the backend can work on this system (what `auto` asks nft). */
	int (*probe)(const struct config *c);
	int (*open)(struct backend **b, const struct config *c);
	void (*close)(struct backend *b);
	int (*read)(struct backend *b, unsigned int fams, struct hostset *out);
	/*
	 * Optional: just the hosts named and the hosts holding the addresses given, each whole
	 * (all addresses, all counters), enough for commit() of a change among them.
	 * -EAGAIN: use read() (the base objects need more than a small change).
	 */
	int (*read_some)(struct backend *b, const char *const *names, size_t nnames,
			 const struct addr *addrs, size_t naddrs, struct hostset *out);
	int (*commit)(struct backend *b, unsigned int fams, const struct plan *p);
	/* Drop every counted host, keep the base objects. */
	int (*flush)(struct backend *b, unsigned int fams);
	/* Remove everything iptmon made; nothing else. */
	int (*remove)(struct backend *b, unsigned int fams);
};

/* The backend for a `backend` value ("auto" probes); NULL for unknown names. */
const struct backend_ops *backend_find(const struct config *c);

extern const struct backend_ops ipt_ops_default, ipt_ops_nft;
extern const struct backend_ops iptc_ops_legacy;
extern const struct backend_ops nft_ops;

#endif
