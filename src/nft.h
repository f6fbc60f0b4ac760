/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_NFT_H
#define IPTMON_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hosts.h"
#include "plan.h"
#include "run.h"

/*
 * iptmon's nftables objects, all in one table so that one transaction covers both families:
 *
 *   table inet iptmon {
 *     counter tx4_NAME / rx4_NAME / tx6_NAME / rx6_NAME     one per host, family, direction
 *     map tx4 { type ipv4_addr : counter }  map rx4 { ... }  map tx6 / rx6 (ipv6_addr)
 *     map host4 { type mark . mark : ipv4_addr }  map host6 (: ipv6_addr)
 *                                       64-bit keyed hash of a name -> its address
 *     set key { type mark . mark . mark . mark }  one element: the hash's random key
 *     chain forward { type filter hook forward priority -150; policy accept;
 *       meta nfproto ipv4 counter name ip daddr map @tx4
 *       meta nfproto ipv4 counter name ip saddr map @rx4
 *       meta nfproto ipv6 counter name ip6 daddr map @tx6
 *       meta nfproto ipv6 counter name ip6 saddr map @rx6 } }
 *
 * Each packet costs four hash lookups whatever the number of hosts; counters belong to hosts,
 * map elements point addresses at them, so a new address keeps the host's totals. The host
 * maps (never looked at by packets) let an event read just the hosts it touches, so an event
 * costs the same with 10 hosts or 10000.
 */
#define NFT_NAME_KEY 8 /* host map keys: a 64-bit keyed hash of the name, as "mark . mark" */
#define NFT_SALT 16    /* the hash's secret key: the one element of set "key" */
/*
 * The host map key of a name (what `nft list ruleset` prints and reads back): SipHash-2-4
 * of the name under the table's own random key, so nobody can choose a name whose key
 * clashes with another host's (a clash would make the kernel refuse every later batch).
 */
void nft_name_key(uint8_t key[NFT_NAME_KEY], const uint8_t salt[NFT_SALT], const char *host);
enum { NFT_MAP_HOST4 = 4, NFT_MAP_HOST6 = 5, NFT_MAPS = 6 };
#define NFT_TABLE "iptmon"
#define NFT_CHAIN "forward"
#define NFT_PRIORITY (-150) /* mangle's: before filter chains (0), after conntrack (-200) */

/* What read() found of the base objects. */
struct nft_base {
	bool table, chain, maps[NFT_MAPS]; /* tx4 tx6 rx4 rx6 (dir * 2 + fam), host4 host6 */
	unsigned int rules;
	uint32_t genid; /* the ruleset generation of the read; 0: unknown */
	bool salted;	/* set "key" holds the table's hash key; else the batch creates it */
	uint8_t salt[NFT_SALT];
};

/*
 * Appends to `out` the netlink messages (between BATCH_BEGIN and BATCH_END) that carry out
 * the plan `p` given what exists (`base`). `max_hosts` sizes the maps when they are created.
 * Exposed for unit tests, which parse the messages back.
 */
int nft_build_commit(struct buf *out, uint32_t *seq, const struct nft_base *base,
		     const struct plan *p, uint32_t max_hosts);
/* genid: the generation the batch is built from (NFNL_BATCH_GENID), 0 for none. */
int nft_build_flush(struct buf *out, uint32_t *seq, const struct nft_base *base,
		    const struct hostset *old);
int nft_build_remove(struct buf *out, uint32_t *seq, uint32_t genid);
/*
 * One line naming an active flowtable (in any table, any family), whose offloaded packets
 * no forward-hook counter sees; "" when there is none or nf_tables cannot be asked.
 */
void nft_flowtable_warning(char *out, size_t len);

/* "tx4_pc" for (DIR_TX, FAM_V4, "pc"); map names "tx4", "rx4", "tx6", "rx6". */
void nft_counter_name(char *buf, size_t len, int dir, int fam, const char *host);
const char *nft_map_name(int dir, int fam);

#endif
