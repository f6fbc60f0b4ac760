/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_HOSTS_H
#define IPTMON_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "name.h"

#define HOST_MAX_ADDRS 8
#define MAC_SIZE 18

struct counter {
	uint64_t bytes, packets;
};

/* One counted host: what the kernel holds, plus the MAC when a lease tells it. */
struct host {
	char name[NAME_SIZE];
	char mac[MAC_SIZE]; /* "" when unknown */
	unsigned int naddrs; /* (here: in the MAC's padding, 8 bytes a host less) */
	/* Allocated to fit (most hosts have one or two): a set owns its hosts' arrays, so hosts
	 * are copied with hostset_copy(), never by assignment. */
	struct addr *addrs;
	struct counter tx[FAM_COUNT], rx[FAM_COUNT];
	float rate[FAM_COUNT][2]; /* bytes per second [fam][tx, rx], daemon views only */
};

struct hostindex;

/* A host renamed inside a set (a device's new name): the plan's rename step. */
struct rename {
	char from[NAME_SIZE], to[NAME_SIZE];
};

struct hostset {
	struct host *v;
	size_t n, cap;
	struct hostindex *idx; /* name and address lookups; rebuilt lazily */
	struct rename *renames; /* in the order they were made; hostset_copy() drops them */
	size_t nrenames;
	/* Addresses read from the kernel past HOST_MAX_ADDRS of one host (only a hand-made
	 * ruleset has them: iptmon keeps one per family): not seen, so said once per read. */
	size_t addrs_dropped;
	char addrs_dropped_host[NAME_SIZE];
};

void hostset_free(struct hostset *s);
/* Whether host h (may be NULL) has address a. */
bool host_has_addr(const struct host *h, const struct addr *a);
int hostset_copy(struct hostset *dst, const struct hostset *src);
/* Room for N hosts (a reader that knows the count spares the doublings' copies). */
int hostset_reserve(struct hostset *s, size_t n);
/* H's addresses become a copy of the N at A. 0 or -ENOMEM (H unchanged). */
int host_set_addrs(struct host *h, const struct addr *a, unsigned int n);
struct host *hostset_find(const struct hostset *s, const char *name);
struct host *hostset_find_addr(const struct hostset *s, const struct addr *a);
/* NAME's host, created (without addresses) if new; NULL when out of memory. */
struct host *hostset_ensure(struct hostset *s, const char *name);
/* A host named NAME added without looking for one: for a set the caller knows has none of
 * that name (a view of the totals, whose names are unique). NULL: out of memory or too long. */
struct host *hostset_append(struct hostset *s, const char *name);
/* Drops hosts without addresses; returns how many. */
size_t hostset_prune_empty(struct hostset *s);
/* Appends an address to NAME's host (created if new), as read from the kernel. */
struct host *hostset_add_addr(struct hostset *s, const char *name, const struct addr *a);
/*
 * The counting policy: NAME gets address A, which no other host keeps; NAME keeps one address
 * per family (a new one replaces the old, the counters stay with the host). Hosts left without
 * addresses are dropped. Returns 1 if the set changed, 0 if not, -errno.
 */
int hostset_upsert(struct hostset *s, const char *name, const struct addr *a);
/*
 * The same; with inherit, a NAME that is new and takes an address another host holds is that
 * host renamed: it keeps all its addresses and counters (dnsmasq's rename: an `old` with a
 * new name, sent for each of the device's leases).
 */
int hostset_upsert_ex(struct hostset *s, const char *name, const struct addr *a, bool inherit);
/*
 * For backends that count a host at any number of addresses (backend_ops.many_addrs):
 * NAME (created if new) gets address A besides those it has, A taken from any other host
 * (hosts left without addresses are dropped). 1 if the set changed, 0 if not, -ENOSPC
 * (NAME holds HOST_MAX_ADDRS already: nothing changed), -ENOMEM.
 */
int hostset_put_addr(struct hostset *s, const char *name, const struct addr *a);
/* Likewise: NAME's addresses become exactly the N (1..HOST_MAX_ADDRS) at A. */
int hostset_set_addrs(struct hostset *s, const char *name, const struct addr *a, unsigned int n);
/* Drops address A (and its host when that was its last address). Returns 1 if changed. */
int hostset_del_addr(struct hostset *s, const struct addr *a);
void hostset_sort(struct hostset *s);
/* Removes the host at position i (order not kept). */
void hostset_remove_at(struct hostset *s, size_t i);
/* Every address of S's hosts into OUT (sorted, a new array; empty for none). 0 or -ENOMEM. */
int hostset_addrset(const struct hostset *s, struct addrset *out);
/* Same names with the same addresses (counters and MACs are not compared). */
bool hostset_same(const struct hostset *a, const struct hostset *b);

/* "aa:bb:cc:dd:ee:ff" in any case -> lower case; -EINVAL for anything else. */
int mac_parse(char out[MAC_SIZE], const char *s);

/* The MAC inside a DUID-LLT or DUID-LL of an Ethernet interface ("00:01:00:01:..."). */
int duid_mac(char out[MAC_SIZE], const char *duid);

/* Fills in the MACs of S's hosts from the lease file (by address, else by name). */
void hostset_attach_macs(struct hostset *s, const char *lease_file);

/* Whether an address is counted at all under this configuration. */
bool addr_countable(const struct config *c, const struct addr *a);

struct lease {
	char mac[MAC_SIZE]; /* for DHCPv6 leases, from the client's DUID when it holds one */
	struct addr addr;
	char name[NAME_SIZE]; /* sanitised, "" when the lease has none */
	long long expires;     /* epoch seconds, 0 = never */
};

struct leases {
	struct lease *v;
	size_t n, cap;
};

void leases_free(struct leases *l);
/* dnsmasq's lease file. A missing file is an empty set (dnsmasq has not written one yet). */
int leases_read(struct leases *l, const char *path);
int leases_parse_line(struct lease *out, const char *line);
const struct lease *leases_find_mac(const struct leases *l, const char *mac);
const struct lease *leases_find_addr(const struct leases *l, const struct addr *a);
/* A named lease for MAC, else for A: the name dnsmasq knows for this device. */
const char *leases_name_for(const struct leases *l, const char *mac, const struct addr *a);

/*
 * Static hosts from the blank-separated list of files/globs: first name of every non-comment
 * line; uncountable addresses skipped. warn() is told about unreadable files named explicitly.
 */
int statics_read(struct hostset *out, const struct config *c,
		 void (*warn)(const char *path, int err));
int statics_parse_line(const char *line, char *addr_out, size_t alen, char *name_out,
		       size_t nlen);

#endif
