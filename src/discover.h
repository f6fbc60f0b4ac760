/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DISCOVER_H
#define IPTMON_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "hosts.h"
#include "neigh.h"

/*
 * Host discovery's decisions, without I/O: which devices the neighbour table shows, what
 * each is called, and how the counted hosts change. discd.c feeds it and applies it.
 *
 * A device is a MAC; its addresses are the neighbours with that MAC. Its name is, first
 * found: the name of an active dnsmasq lease for the MAC, odhcpd's name for the MAC, the
 * name of an active lease for one of its addresses, a hosts file's name for one of them,
 * the name of the host already counting one of them (given by the dnsmasq hook, say), and
 * else DISC_MAC_PREFIX followed by the twelve hex digits of the MAC ("mac-0200000088ab").
 * A device counts one address per family, as iptables hosts do: the one it has while that
 * one lives, else the newest. With `many` (a backend that counts a host at any number of
 * addresses, nft) it counts every address it keeps: its neighbours living or within their
 * grace and the addresses a file gives its host, up to HOST_MAX_ADDRS: the best of each
 * family first, then leased before living before stale, those it is counted at already
 * first, the newest first.
 */
#define DISC_MAC_PREFIX "mac-"

/* The names the lease and hosts files give. */
struct disc_mac_name {
	char mac[MAC_SIZE];
	char name[NAME_SIZE];
};

/*
 * The hosts files' names by address, compact (a router's hosts file may name thousands of
 * addresses): each address with its name's offset in one arena, and an index on the
 * address. A hostset here cost 230 bytes an address (counters and all); this ~50.
 */
struct disc_statics {
	struct disc_static {
		struct addr a;
		uint32_t name; /* offset in names */
	} *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
	uint32_t *idx; /* position + 1, 0 = empty; at most half full */
	size_t nb;     /* buckets, a power of two (0: none yet) */
};

struct disc_names {
	struct leases leases;	  /* dnsmasq's lease file */
	struct disc_statics statics; /* hosts files: address -> name, the first name given */
	struct disc_mac_name *macs; /* odhcpd's lease lines in a hosts file: MAC -> name */
	size_t nmacs;
};

void disc_names_free(struct disc_names *n);
/*
 * dnsmasq's lease file into n->leases; *bad counts the lines skipped as malformed (a last
 * line without its newline is half-written: skipped too). A missing file is empty. 0 or
 * -errno (-ENOMEM; other read errors).
 */
int disc_read_leases(struct disc_names *n, const char *path, unsigned int *bad);
/* One hosts file (odhcpd's included) into n->statics and n->macs, likewise. */
int disc_read_hosts(struct disc_names *n, const struct config *c, const char *path,
		    unsigned int *bad);
/* One line of each: 0 (used, or a comment/blank), -EINVAL (malformed). For tests. */
int disc_parse_lease(const char *line, struct lease *out, bool *used);
int disc_parse_odhcpd(const char *line, struct disc_mac_name *out);

/* The name a hosts file gives address A, NULL when none. */
const char *disc_static_name(const struct disc_names *n, const struct addr *a);

/* The MAC-derived name of MAC ("aa:bb:..."), into out. */
void disc_mac_name(const char *mac, char out[NAME_SIZE]);

struct disc_nb; /* one neighbour address */

struct disc {
	const struct config *cfg; /* ula_prefix, discover_grace */
	bool many;		  /* backend_ops.many_addrs: every address, not one per family */
	struct disc_nb *v;
	size_t n, cap;
	struct disc_names names;
};

void disc_init(struct disc *d, const struct config *cfg);
void disc_free(struct disc *d);
/* Replaces the names (taken over: *n is emptied). */
void disc_set_names(struct disc *d, struct disc_names *n);
/*
 * A neighbour message (already filtered by interface). 1 when the counted hosts may have to
 * change (a new address, an address with another MAC, one back after its grace), 0 when
 * not (a state change within the grace), -ENOMEM.
 */
int disc_update(struct disc *d, const struct neigh_msg *m, int64_t now_ms);
/* 1 when a neighbour's grace ran out since the last disc_applied() (its address goes). */
int disc_expired(const struct disc *d, int64_t now_ms);
/*
 * The change: WANT (a copy of what the kernel holds, OLD) gets every living device under
 * its name, and loses the addresses whose grace ran out unless a lease or a hosts file
 * still gives them. Renames keep counts (hostset_upsert_ex). Pure: may run again on a new
 * read. now: wall clock seconds (lease expiry). 0 or -ENOMEM.
 */
int disc_decide(const struct disc *d, const struct hostset *old, struct hostset *want,
		int64_t now_ms, time_t now);
/* Which neighbours WANT (what disc_decide() made) counts: disc_missing() checks on them. */
void disc_mark(struct disc *d, const struct hostset *want);
/* 1 when a living neighbour that was counted is not in SNAP (the kernel's hosts): someone
 * (a flush, reload-hosts, a lease's del) took it away; counting it again is due. */
int disc_missing(const struct disc *d, const struct hostset *snap, int64_t now_ms);
/* After a committed disc_decide(): moves are settled, neighbours past their grace dropped. */
void disc_applied(struct disc *d, int64_t now_ms);
/* Neighbours known (living or within their grace; not those only a file keeps counted). */
size_t disc_count(const struct disc *d);

#endif
