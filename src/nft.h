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
 *     set tx4 { type ipv4_addr; counter; }    an element per address: its counter, and the
 *     set rx4 { ... }  set tx6 / rx6 (ipv6_addr)    name of its host as the element's comment
 *     map host4 { type mark . mark : ipv4_addr }  map host6 (: ipv6_addr)
 *                                       64-bit keyed hash of a name -> its address
 *     set carry { type mark . mark . mark; counter; }   name hash . dir*2+fam -> counts of
 *                                       a family a host has no address in, or made up
 *     set key { type mark . mark . mark . mark }  one element: the hash's random key
 *     chain forward { type filter hook forward priority -150; policy accept;
 *       meta nfproto ipv4 ip daddr @tx4   meta nfproto ipv4 ip saddr @rx4
 *       meta nfproto ipv6 ip6 daddr @tx6  meta nfproto ipv6 ip6 saddr @rx6 } }
 *
 * Each packet costs four hash lookups whatever the number of hosts; the lookup bumps the
 * element's own counter. No set is created with a size: a size makes the kernel allocate
 * its hash buckets up front (megabytes), while unsized sets grow with their elements.
 * A host's count is the sum of its elements' counters and its carry elements. When a host
 * changes address or name its elements are made again, the new one starting from the
 * host's count; the kernel echoes the deleted elements' final counters, and what they
 * counted between the read and the commit goes into the host's carry. The host maps (never
 * looked at by packets) let an event read just the hosts it touches, so an event costs the
 * same with 10 hosts or 10000. Tables of iptmon 0.1 (named counter objects, maps of
 * addresses to them) are rebuilt in this layout by the first change, counts kept.
 */
#define NFT_NAME_KEY 8 /* host map keys: a 64-bit keyed hash of the name, as "mark . mark" */
#define NFT_SALT 16    /* the hash's secret key: the one element of set "key" */
/*
 * The host map key of a name (what `nft list ruleset` prints and reads back): SipHash-2-4
 * of the name under the table's own random key, so nobody can choose a name whose key
 * clashes with another host's (a clash would make the kernel refuse every later batch).
 */
void nft_name_key(uint8_t key[NFT_NAME_KEY], const uint8_t salt[NFT_SALT], const char *host);
/* The sets, in base.sets order: tx4 tx6 rx4 rx6 (dir * 2 + fam), host4 host6, carry. */
enum { NFT_SET_HOST4 = 4, NFT_SET_HOST6 = 5, NFT_SET_CARRY = 6, NFT_SETS = 7 };
#define NFT_CARRY_KEY (NFT_NAME_KEY + 4) /* name hash . slot (dir * 2 + fam, a u32) */
#define NFT_TABLE "iptmon"
#define NFT_CHAIN "forward"
#define NFT_PRIORITY (-150) /* mangle's: before filter chains (0), after conntrack (-200) */

/* What read() found of the base objects. */
struct nft_base {
	bool table, chain, sets[NFT_SETS];
	bool old_layout; /* iptmon 0.1's counter objects and maps: rebuilt by the next commit */
	unsigned int rules;
	uint32_t genid; /* the ruleset generation of the read; 0: unknown */
	bool salted;	/* set "key" holds the table's hash key; else the batch creates it */
	uint8_t salt[NFT_SALT];
	bool full; /* the read was of every host */
};

/* A carry element as read: host NAME's counts of slot dir * 2 + fam. */
struct nft_carry {
	char name[NAME_SIZE];
	uint8_t slot;
	struct counter c;
};

struct nft_carries {
	struct nft_carry *v;
	size_t n, cap;
};

/*
 * A commit deletes the elements of host FROM in one slot while its counts go on in host TO
 * (a new address, a new name): what they held at the read (`read`) is what TO starts from,
 * and what the kernel echoes at the commit (`echoed`) tells what they counted meanwhile.
 * `carry`: the carry element the batch made for TO in that slot (zero: none).
 */
struct nft_moved {
	char from[NAME_SIZE], to[NAME_SIZE];
	uint8_t slot;
	struct counter read, echoed, carry;
};

struct nft_movedset {
	struct nft_moved *v;
	size_t n;
};

/*
 * Appends to `out` the netlink messages (between BATCH_BEGIN and BATCH_END) that carry out
 * the plan `p` given what exists (`base`) and the carry elements read with it (`carries`,
 * NULL: none). What the batch moves from host to host goes into `moved` (may be NULL).
 * Exposed for unit tests, which parse the messages back.
 */
int nft_build_commit(struct buf *out, uint32_t *seq, const struct nft_base *base,
		     const struct plan *p, const struct nft_carries *carries,
		     struct nft_movedset *moved);
/* The carry elements that make up what `moved` counted between read and commit; 0 and
 * an empty `out` when there is nothing to make up. */
int nft_build_makeup(struct buf *out, uint32_t *seq, const struct nft_base *base,
		     const struct nft_movedset *moved);
/* genid: the generation the batch is built from (NFNL_BATCH_GENID), 0 for none. */
int nft_build_flush(struct buf *out, uint32_t *seq, const struct nft_base *base,
		    const struct hostset *old);
int nft_build_remove(struct buf *out, uint32_t *seq, uint32_t genid);
/*
 * One line naming an active flowtable (in any table, any family), whose offloaded packets
 * no forward-hook counter sees; "" when there is none or nf_tables cannot be asked.
 */
void nft_flowtable_warning(char *out, size_t len);

/* Set names "tx4", "rx4", "tx6", "rx6". */
const char *nft_map_name(int dir, int fam);
/* iptmon 0.1's counter object names: "tx4_pc" for (DIR_TX, FAM_V4, "pc"). */
void nft_counter_name(char *buf, size_t len, int dir, int fam, const char *host);

#endif
