/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_ADDR_H
#define IPTMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { FAM_V4 = 0, FAM_V6 = 1, FAM_COUNT = 2 };

struct addr {
	int fam; /* FAM_V4 or FAM_V6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

struct prefix {
	struct addr addr;
	unsigned int len;
};

#define ADDR_STRLEN INET6_ADDRSTRLEN

/* Parses a bare address (no brackets, no prefix length, no zone). */
int addr_parse(struct addr *a, const char *s);
/* Parses ADDR/LEN (LEN optional: full length). */
int prefix_parse(struct prefix *p, const char *s);
const char *addr_format(const struct addr *a, char *buf, size_t len);
bool addr_equal(const struct addr *a, const struct addr *b);
bool prefix_contains(const struct prefix *p, const struct addr *a);
/* Addresses that are never counted: loopback, link-local, multicast, unspecified. */
bool addr_is_uncountable(const struct addr *a);
int addr_family_af(int fam);
/* FNV-1a of N bytes at P, folded: the hash tables' (hosts.c, discover.c). */
uint32_t fnv_hash(const void *p, size_t n);
uint32_t addr_hash(const struct addr *a);
/* Orders addresses: by family, then by their bytes (a v4 address's first 4 only). */
int addr_cmp(const struct addr *a, const struct addr *b);

/* A set of addresses, sorted (addr_cmp): the hosts' addresses the conntrack mode counts for
 * between two polls, 20 B each where a snapshot took 176 B and more per host. */
struct addrset {
	struct addr *v;
	size_t n;
};

/* Sorts the N addresses at S->v (duplicates removed). */
void addrset_sort(struct addrset *s);
bool addrset_has(const struct addrset *s, const struct addr *a);
void addrset_free(struct addrset *s);

#endif
