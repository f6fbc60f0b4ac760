// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables backend: netlink through libmnl + libnftnl, one transaction per command,
 * everything in table inet iptmon (see nft.h for the layout). Nothing outside that table is
 * read or written, except a read-only look at flowtables, whose offloaded packets bypass the
 * forward hook.
 */
/* Ours first: they bring netinet/in.h, which must precede linux/netfilter.h. */
#include "backend.h"
#include "nft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

enum { DIR_TX = 0, DIR_RX = 1 };

/* nft's own data type numbers, so that `nft list table inet iptmon` reads well. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_MARK 19
#define NFT_TYPE_BITS 6 /* nft's concatenation: type << 6 | subtype */
/* Elements per netlink message: keeps each message far below the build buffer. */
#define ELEMS_PER_MSG 256
#define MSGBUF_SIZE 65536
/*
 * Dumps fill replies up to the largest buffer we read with (the kernel caps it near 512 KiB):
 * a big buffer means few dump rounds, and the kernel restarts its object walk every round.
 */
#define NFT_RXBUF (512 * 1024)
/* Reads of the whole table, tried again while transactions keep interrupting them. */
#define NFT_READ_TRIES 16

static const char *const map_names[2][FAM_COUNT] = { { "tx4", "tx6" }, { "rx4", "rx6" } };
static const char *const host_map_names[FAM_COUNT] = { "host4", "host6" };
#define NFT_SALT_SET "key"

const char *nft_map_name(int dir, int fam)
{
	return map_names[dir][fam];
}

/*
 * nft's parser takes no ':' in an object name, so a saved `nft list ruleset` holding one
 * would not load (and with it the whole firewall): ':' is written '/', which names never
 * hold and nft reads back.
 */
void nft_counter_name(char *buf, size_t len, int dir, int fam, const char *host)
{
	int n = snprintf(buf, len, "%s_%s", map_names[dir][fam], host);

	for (char *p = buf + 4; n > 4 && *p; p++)
		if (*p == ':')
			*p = '/';
}

/* "tx4_pc" -> dir, fam, "pc" (into host); false for anything else. */
static bool parse_counter_name(const char *s, int *dir, int *fam, char host[NAME_SIZE])
{
	size_t len = strlen(s);

	if (len < 5 || len - 4 >= NAME_SIZE || s[3] != '_')
		return false;
	for (size_t i = 4; i <= len; i++)
		host[i - 4] = s[i] == '/' ? ':' : s[i];
	if (!name_is_valid(host))
		return false;
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < FAM_COUNT; f++)
			if (!strncmp(s, map_names[d][f], 3)) {
				*dir = d;
				*fam = f;
				return true;
			}
	return false;
}

/* ---- building messages ---- */

struct builder {
	struct buf *out;
	uint32_t *seq;
	char *tmp;
	int err;
	uint32_t genid; /* the generation the batch was built from; 0: none */
	const uint8_t *salt; /* the host maps' hash key */
};

static struct nlmsghdr *msg_start(struct builder *bd, uint16_t type, uint16_t flags)
{
	memset(bd->tmp, 0, MSGBUF_SIZE);
	return nftnl_nlmsg_build_hdr(bd->tmp, type, NFPROTO_INET, flags, (*bd->seq)++);
}

static void msg_end(struct builder *bd, struct nlmsghdr *nlh)
{
	if (!bd->err && buf_append(bd->out, (const char *)nlh, NLMSG_ALIGN(nlh->nlmsg_len)))
		bd->err = -ENOMEM;
}

static void batch_mark(struct builder *bd, bool begin)
{
	struct nlmsghdr *nlh;

	memset(bd->tmp, 0, MSGBUF_SIZE);
	nlh = begin ? nftnl_batch_begin(bd->tmp, (*bd->seq)++) : nftnl_batch_end(bd->tmp, (*bd->seq)++);
	/* The kernel refuses the whole batch (ERESTART) if the ruleset moved since the read. */
	if (begin && bd->genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(bd->genid));
	msg_end(bd, nlh);
}

static void put_table(struct builder *bd, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = msg_start(bd, type, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	msg_end(bd, nlh);
	nftnl_table_free(t);
}

static void put_chain(struct builder *bd)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_CHAIN);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_PRIORITY);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = msg_start(bd, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	msg_end(bd, nlh);
	nftnl_chain_free(c);
}

static void put_map(struct builder *bd, int dir, int fam, uint32_t max_hosts)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, map_names[dir][fam]);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_OBJECT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, fam == FAM_V4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, fam == FAM_V4 ? 4 : 16);
	nftnl_set_set_u32(s, NFTNL_SET_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(dir * 2 + fam + 1));
	if (max_hosts)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, max_hosts);
	nlh = msg_start(bd, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	msg_end(bd, nlh);
	nftnl_set_free(s);
}

/* host4/host6: name -> address, for reading one host without dumping them all. */
static void put_host_map(struct builder *bd, int fam, uint32_t max_hosts)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, host_map_names[fam]);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_MARK << NFT_TYPE_BITS | NFT_TYPE_MARK);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, NFT_NAME_KEY);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, fam == FAM_V4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, fam == FAM_V4 ? 4 : 16);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(5 + fam));
	if (max_hosts)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, max_hosts);
	nlh = msg_start(bd, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	msg_end(bd, nlh);
	nftnl_set_free(s);
}

/* Set "key" (new: true) or its one element, the host maps' hash key (false). */
static void put_salt(struct builder *bd, const uint8_t salt[NFT_SALT], bool new_set)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nlmsghdr *nlh;
	uint32_t t = NFT_TYPE_MARK;

	if (!s || !e) {
		if (s)
			nftnl_set_free(s);
		if (e)
			nftnl_set_elem_free(e);
		bd->err = -ENOMEM;
		return;
	}
	for (int i = 1; i < NFT_SALT / 4; i++)
		t = t << NFT_TYPE_BITS | NFT_TYPE_MARK;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, NFT_SALT_SET);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, t);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, NFT_SALT);
	nftnl_set_set_u32(s, NFTNL_SET_ID, 7);
	if (new_set) {
		nlh = msg_start(bd, NFT_MSG_NEWSET, NLM_F_CREATE);
		nftnl_set_nlmsg_build_payload(nlh, s);
		nftnl_set_elem_free(e);
	} else {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, salt, NFT_SALT);
		nftnl_set_elem_add(s, e);
		nlh = msg_start(bd, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	}
	msg_end(bd, nlh);
	nftnl_set_free(s);
}

/* Every element of a set out (a DELSETELEM naming no element). */
static void put_set_flush(struct builder *bd, const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nlh = msg_start(bd, NFT_MSG_DELSETELEM, 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	msg_end(bd, nlh);
	nftnl_set_free(s);
}

static void add_expr(struct builder *bd, struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		bd->err = -ENOMEM;
	else
		nftnl_rule_add_expr(r, e);
}

/* meta nfproto ipvX counter name ip[6] daddr|saddr map @txX|rxX */
static void put_rule(struct builder *bd, int dir, int fam)
{
	static const uint32_t off[2][FAM_COUNT] = { { 16, 24 }, { 12, 8 } };
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint8_t proto = fam == FAM_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	struct nftnl_expr *e;
	struct nlmsghdr *nlh;

	if (!r) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if ((e = nftnl_expr_alloc("meta"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	add_expr(bd, r, e);
	if ((e = nftnl_expr_alloc("cmp"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &proto, sizeof(proto));
	}
	add_expr(bd, r, e);
	if ((e = nftnl_expr_alloc("payload"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off[dir][fam]);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, fam == FAM_V4 ? 4 : 16);
	}
	add_expr(bd, r, e);
	if ((e = nftnl_expr_alloc("objref"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME, map_names[dir][fam]);
	}
	add_expr(bd, r, e);
	nlh = msg_start(bd, NFT_MSG_NEWRULE, NLM_F_APPEND | NLM_F_CREATE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_end(bd, nlh);
	nftnl_rule_free(r);
}

static void put_flush_chain(struct builder *bd)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nlh = msg_start(bd, NFT_MSG_DELRULE, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_end(bd, nlh);
	nftnl_rule_free(r);
}

static void put_counter(struct builder *bd, uint16_t type, const char *name,
			const struct counter *init)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (type == NFT_MSG_NEWOBJ && init && (init->packets || init->bytes)) {
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, init->packets);
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, init->bytes);
	}
	nlh = msg_start(bd, type, type == NFT_MSG_NEWOBJ ? NLM_F_CREATE : 0);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	msg_end(bd, nlh);
	nftnl_obj_free(o);
}

/* A host's four counters; new ones start from the host's counts (a rename keeps them). */
static void put_host_counters(struct builder *bd, uint16_t type, const struct host *h)
{
	char name[NAME_SIZE + 8];

	for (int d = 0; d < 2; d++)
		for (int f = 0; f < FAM_COUNT; f++) {
			nft_counter_name(name, sizeof(name), d, f, h->name);
			put_counter(bd, type, name, d == DIR_TX ? &h->tx[f] : &h->rx[f]);
		}
}

/* Elements waiting to be put into one map, in messages of ELEMS_PER_MSG. */
struct elems {
	struct nftnl_set *s;
	unsigned int n;
	uint16_t type;
	int dir, fam; /* dir 2: the host map of fam */
};

static const char *elems_map(const struct elems *el)
{
	return el->dir == 2 ? host_map_names[el->fam] : map_names[el->dir][el->fam];
}

/* SipHash-2-4 (Aumasson and Bernstein), 64-bit output. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                          \
	do {                                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                   \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                      \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                      \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                   \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t siphash24(const uint8_t k[16], const uint8_t *in, size_t len)
{
	uint64_t k0 = le64(k), k1 = le64(k + 8), m, b = (uint64_t)len << 56;
	uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * A hash, not the name itself: a key nft can print and read back (a saved `nft list ruleset`
 * must restore). Reads check the address it gives against the address maps, so a collision
 * or a hand-made element can only send an event to the full read, never to a wrong host.
 * Bytes in little-endian order, the same on every machine.
 */
void nft_name_key(uint8_t key[NFT_NAME_KEY], const uint8_t salt[NFT_SALT], const char *host)
{
	uint64_t h = siphash24(salt, (const uint8_t *)host, strlen(host));

	for (int i = 0; i < NFT_NAME_KEY; i++)
		key[i] = (uint8_t)(h >> (8 * i));
}

static void elems_flush(struct builder *bd, struct elems *el)
{
	struct nlmsghdr *nlh;

	if (!el->s || !el->n)
		return;
	nlh = msg_start(bd, el->type, el->type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, el->s);
	msg_end(bd, nlh);
	nftnl_set_free(el->s);
	el->s = NULL;
	el->n = 0;
}

static void elems_add(struct builder *bd, struct elems *el, const struct addr *a, const char *host)
{
	struct nftnl_set_elem *e;
	char name[NAME_SIZE + 8];

	if (!el->s) {
		el->s = nftnl_set_alloc();
		if (!el->s) {
			bd->err = -ENOMEM;
			return;
		}
		nftnl_set_set_str(el->s, NFTNL_SET_TABLE, NFT_TABLE);
		nftnl_set_set_str(el->s, NFTNL_SET_NAME, elems_map(el));
		nftnl_set_set_u32(el->s, NFTNL_SET_FAMILY, NFPROTO_INET);
	}
	e = nftnl_set_elem_alloc();
	if (!e) {
		bd->err = -ENOMEM;
		return;
	}
	if (el->dir == 2) {
		uint8_t key[NFT_NAME_KEY];

		nft_name_key(key, bd->salt, host);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, NFT_NAME_KEY);
		if (el->type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &a->u, a->fam == FAM_V4 ? 4 : 16);
	} else {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &a->u, a->fam == FAM_V4 ? 4 : 16);
	}
	if (el->type == NFT_MSG_NEWSETELEM && el->dir != 2) {
		nft_counter_name(name, sizeof(name), el->dir, el->fam, host);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_OBJREF, name);
	}
	nftnl_set_elem_add(el->s, e);
	if (++el->n == ELEMS_PER_MSG)
		elems_flush(bd, el);
}

/* The elements of one address of host NAME, in the maps dir 0, 1 and 2 of its family. */
static void elems_of_addr(struct builder *bd, struct elems el[3][FAM_COUNT], const struct addr *a,
			  const char *name, const bool maps[3])
{
	for (int d = 0; d < 3; d++)
		if (maps[d])
			elems_add(bd, &el[d][a->fam], a, name);
}

static void elems_done(struct builder *bd, struct elems el[3][FAM_COUNT])
{
	for (int d = 0; d < 3; d++)
		for (int f = 0; f < FAM_COUNT; f++) {
			elems_flush(bd, &el[d][f]);
			if (el[d][f].s)
				nftnl_set_free(el[d][f].s);
		}
}

static void elems_init(struct elems el[3][FAM_COUNT], uint16_t type)
{
	for (int d = 0; d < 3; d++)
		for (int f = 0; f < FAM_COUNT; f++)
			el[d][f] = (struct elems){ .type = type, .dir = d, .fam = f };
}

/*
 * The plan's address steps as map elements: in the address maps (dir 0, 1) and the host
 * maps (dir 2). map_new[dir][fam]: that map is made in this batch, so nothing comes out of
 * it and every address of `want` goes in, not just the plan's new ones.
 */
static void put_elems(struct builder *bd, uint16_t type, const struct plan *p,
		      const bool map_new[3][FAM_COUNT])
{
	struct elems el[3][FAM_COUNT];

	elems_init(el, type);
	if (type == NFT_MSG_DELSETELEM) {
		for (size_t i = 0; i < p->ndel; i++) {
			const struct addr *a = p->del[i].a;
			bool maps[3] = { !map_new[0][a->fam], !map_new[1][a->fam], !map_new[2][a->fam] };

			elems_of_addr(bd, el, a, p->del[i].h->name, maps);
		}
	} else {
		for (size_t i = 0; i < p->nadd; i++) {
			const struct addr *a = p->add[i].a;
			bool maps[3] = { !map_new[0][a->fam], !map_new[1][a->fam], !map_new[2][a->fam] };

			elems_of_addr(bd, el, a, p->add[i].h->name, maps);
		}
		for (size_t i = 0; i < p->want->n; i++) {
			const struct host *h = &p->want->v[i];

			for (unsigned int j = 0; j < h->naddrs; j++) {
				int f = h->addrs[j].fam;
				bool maps[3] = { map_new[0][f], map_new[1][f], map_new[2][f] };

				elems_of_addr(bd, el, &h->addrs[j], h->name, maps);
			}
		}
	}
	elems_done(bd, el);
}

static int builder_init(struct builder *bd, struct buf *out, uint32_t *seq,
			const struct nft_base *base)
{
	bd->out = out;
	bd->seq = seq;
	bd->err = 0;
	bd->genid = base ? base->genid : 0;
	bd->salt = base ? base->salt : NULL;
	bd->tmp = malloc(MSGBUF_SIZE);
	return bd->tmp ? 0 : -ENOMEM;
}

static int builder_done(struct builder *bd)
{
	free(bd->tmp);
	return bd->err;
}

int nft_build_commit(struct buf *out, uint32_t *seq, const struct nft_base *base,
		     const struct plan *p, uint32_t max_hosts)
{
	struct builder bd;
	bool map_new[3][FAM_COUNT];

	if (builder_init(&bd, out, seq, base))
		return -ENOMEM;
	batch_mark(&bd, true);
	if (!base->table)
		put_table(&bd, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (!base->chain)
		put_chain(&bd);
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < FAM_COUNT; f++) {
			map_new[d][f] = !base->maps[d * 2 + f];
			if (map_new[d][f])
				put_map(&bd, d, f, max_hosts);
		}
	for (int f = 0; f < FAM_COUNT; f++) {
		map_new[2][f] = !base->maps[NFT_MAP_HOST4 + f];
		if (map_new[2][f])
			put_host_map(&bd, f, max_hosts);
	}
	if (!base->salted) {
		/* A new hash key (or the first: tables of iptmon 0.1 had none): every host map
		 * element is made again under it; the key itself goes last. */
		put_salt(&bd, base->salt, true);
		for (int f = 0; f < FAM_COUNT; f++)
			if (!map_new[2][f]) {
				put_set_flush(&bd, host_map_names[f]);
				map_new[2][f] = true;
			}
	}
	if (base->rules != 4) {
		if (base->rules)
			put_flush_chain(&bd);
		for (int f = 0; f < FAM_COUNT; f++)
			for (int d = 0; d < 2; d++)
				put_rule(&bd, d, f);
	}
	/* Addresses go before the counters they point at, new counters before their addresses. */
	put_elems(&bd, NFT_MSG_DELSETELEM, p, map_new);
	for (size_t i = 0; i < p->ngone; i++)
		put_host_counters(&bd, NFT_MSG_DELOBJ, p->gone[i]);
	for (size_t i = 0; i < p->ncreated; i++)
		put_host_counters(&bd, NFT_MSG_NEWOBJ, p->created[i].h); /* a rename's carry counts */
	put_elems(&bd, NFT_MSG_NEWSETELEM, p, map_new);
	if (!base->salted)
		put_salt(&bd, base->salt, false);
	batch_mark(&bd, false);
	return builder_done(&bd);
}

int nft_build_flush(struct buf *out, uint32_t *seq, const struct nft_base *base,
		    const struct hostset *old)
{
	struct builder bd;

	if (builder_init(&bd, out, seq, base))
		return -ENOMEM;
	batch_mark(&bd, true);
	{
		struct elems el[3][FAM_COUNT];
		const bool all[3] = { true, true, true };

		elems_init(el, NFT_MSG_DELSETELEM);
		for (size_t i = 0; i < old->n; i++)
			for (unsigned int j = 0; j < old->v[i].naddrs; j++)
				elems_of_addr(&bd, el, &old->v[i].addrs[j], old->v[i].name, all);
		elems_done(&bd, el);
	}
	for (size_t i = 0; i < old->n; i++)
		put_host_counters(&bd, NFT_MSG_DELOBJ, &old->v[i]);
	batch_mark(&bd, false);
	return builder_done(&bd);
}

int nft_build_remove(struct buf *out, uint32_t *seq, uint32_t genid)
{
	struct builder bd;
	struct nft_base base = { .genid = genid };

	if (builder_init(&bd, out, seq, &base))
		return -ENOMEM;
	batch_mark(&bd, true);
	put_table(&bd, NFT_MSG_DELTABLE, 0);
	batch_mark(&bd, false);
	return builder_done(&bd);
}

/* ---- talking to the kernel ---- */

struct nft {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint32_t max_hosts;
	bool have_base;
	struct nft_base base;
	char *rxbuf;
	size_t rxlen;
	unsigned long long resets, read_retries; /* for tests and health metrics */
	bool intr; /* a dump since the flag was cleared was interrupted */
};

static struct nft *P(struct backend *b)
{
	return b->priv;
}

static int nl_open(struct backend *b)
{
	struct nft *n = P(b);
	int one = 1;

	if (n->nl)
		return 0;
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		snprintf(b->err, sizeof(b->err), "cannot open a netfilter netlink socket: %s",
			 strerror(err));
		if (n->nl)
			mnl_socket_close(n->nl);
		n->nl = NULL;
		return -err;
	}
	/* The kernel's own words on why it refused a batch; errors without the whole request. */
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	{
		int rcv = 2 * NFT_RXBUF;

		if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
			       sizeof(rcv)) < 0)
			setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUF, &rcv,
				   sizeof(rcv));
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	return 0;
}

typedef int (*dump_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * The transport's recovery. A socket that saw any error may still hold replies of the
 * request that failed (the rest of an interrupted dump, late acks): it is closed, and the
 * next request opens a new one, so no later request ever reads a stale reply.
 */
static void nl_reset(struct backend *b)
{
	struct nft *n = P(b);

	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
	n->resets++;
}

/*
 * A dump the kernel flags as interrupted (NLM_F_DUMP_INTR: a transaction, in any table,
 * committed between two of its chunks) is read to its end all the same, and the read it
 * belongs to is judged by read_consistent(): libmnl would stop at the flag and leave the
 * rest of the dump queued.
 */
static void mark_intr(struct nft *n, ssize_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)n->rxbuf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nlh->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;
			n->intr = true;
		}
}

/* One request, every reply through cb; 0 or -errno. Any error resets the socket. */
static int talk_once(struct backend *b, struct nlmsghdr *req, dump_cb cb, void *data)
{
	struct nft *n = P(b);
	uint32_t seq = req->nlmsg_seq;
	int ret;

	if (mnl_socket_sendto(n->nl, req, req->nlmsg_len) < 0)
		goto fail;
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(n->nl, n->rxbuf, n->rxlen);

		if (len < 0)
			goto fail;
		mark_intr(n, len);
		ret = mnl_cb_run(n->rxbuf, (size_t)len, seq, n->portid, cb, data);
		if (ret < 0)
			goto fail;
		if (ret == MNL_CB_STOP)
			return 0;
	}
fail:
	ret = errno ? -errno : -EIO;
	/* -ENOENT answers a GET of a missing object; the socket is clean after it. */
	if (ret != -ENOENT)
		nl_reset(b);
	return ret;
}

/*
 * One request on a clean socket. An interrupted dump (NLM_F_DUMP_INTR: a transaction
 * committed meanwhile; EINTR from libmnl) comes back as -EINTR and the caller retries the
 * whole read it belongs to (read_consistent()). 0 or -errno (-ENOENT: no such object).
 */
static int talk(struct backend *b, struct nlmsghdr *req, dump_cb cb, void *data)
{
	int ret = nl_open(b);

	if (ret)
		return ret;
	req->nlmsg_seq = P(b)->seq++;
	return talk_once(b, req, cb, data);
}

struct gen_ctx {
	uint32_t id;
	bool found;
};

static int gen_attr(const struct nlattr *a, void *data)
{
	struct gen_ctx *g = data;

	if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
		g->id = ntohl(mnl_attr_get_u32(a));
		g->found = true;
	}
	return MNL_CB_OK;
}

static int cb_gen(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr, data);
	return MNL_CB_OK;
}

/* The ruleset generation: it moves with every committed transaction. */
static int get_gen(struct backend *b, uint32_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct gen_ctx g = { 0 };
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, 0);
	int ret = talk(b, nlh, cb_gen, &g);

	if (!ret && !g.found)
		ret = -EPROTO;
	*gen = g.id;
	return ret;
}

static struct nlmsghdr *request(struct backend *b, char *buf, uint16_t type, uint16_t family,
				uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(buf, type, family, flags, P(b)->seq++);
}

static int cb_exists(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(bool *)data = true;
	return MNL_CB_OK;
}

static int cb_count(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(unsigned int *)data)++;
	return MNL_CB_OK;
}

static int cb_counter(const struct nlmsghdr *nlh, void *data)
{
	struct hostset *out = data;
	struct nftnl_obj *o = nftnl_obj_alloc();
	const char *name;
	char host[NAME_SIZE];
	struct host *h;
	int dir, fam, ret = MNL_CB_OK;

	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) < 0)
		goto out;
	name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
	if (!name || nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER ||
	    !parse_counter_name(name, &dir, &fam, host))
		goto out;
	h = hostset_ensure(out, host);
	if (!h) {
		errno = ENOMEM;
		ret = MNL_CB_ERROR;
		goto out;
	}
	if (dir == DIR_TX) {
		h->tx[fam].packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		h->tx[fam].bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	} else {
		h->rx[fam].packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		h->rx[fam].bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	}
out:
	nftnl_obj_free(o);
	return ret;
}

struct elem_ctx {
	struct hostset *out;
	int dir, fam;
	int err;
};

static int elem_one(struct nftnl_set_elem *e, void *data)
{
	struct elem_ctx *ctx = data;
	const char *ref = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF);
	const void *key;
	uint32_t klen = 0;
	char host[NAME_SIZE];
	struct addr a = { .fam = ctx->fam };
	int dir, fam;

	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	if (!ref || !key || klen != (ctx->fam == FAM_V4 ? 4u : 16u) ||
	    !parse_counter_name(ref, &dir, &fam, host) || dir != ctx->dir || fam != ctx->fam)
		return 0;
	memcpy(&a.u, key, klen);
	/* Only addresses of hosts whose counters exist (all of them do, unless tampered with). */
	if (hostset_find(ctx->out, host) && !hostset_add_addr(ctx->out, host, &a))
		ctx->err = -ENOMEM;
	return 0;
}

static int cb_elems(const struct nlmsghdr *nlh, void *data)
{
	struct elem_ctx *ctx = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) >= 0)
		nftnl_set_elem_foreach(s, elem_one, ctx);
	nftnl_set_free(s);
	return ctx->err ? MNL_CB_ERROR : MNL_CB_OK;
}

struct flow_ctx {
	char *warn;
	size_t len;
};

static int cb_flowtable(const struct nlmsghdr *nlh, void *data)
{
	struct flow_ctx *ctx = data;
	struct nftnl_flowtable *ft = nftnl_flowtable_alloc();
	static const char *const fams[] = { [NFPROTO_INET] = "inet", [NFPROTO_IPV4] = "ip",
					    [NFPROTO_IPV6] = "ip6", [NFPROTO_BRIDGE] = "bridge",
					    [NFPROTO_NETDEV] = "netdev", [NFPROTO_ARP] = "arp" };

	if (!ft)
		return MNL_CB_ERROR;
	if (nftnl_flowtable_nlmsg_parse(nlh, ft) >= 0 && !ctx->warn[0]) {
		uint32_t f = nftnl_flowtable_get_u32(ft, NFTNL_FLOWTABLE_FAMILY);
		const char *fs = f < sizeof(fams) / sizeof(fams[0]) && fams[f] ? fams[f] : "?";

		snprintf(ctx->warn, ctx->len,
			 "flowtable %s in table %s %s is active: packets it offloads skip the "
			 "forward hook and are not counted",
			 nftnl_flowtable_get_str(ft, NFTNL_FLOWTABLE_NAME), fs,
			 nftnl_flowtable_get_str(ft, NFTNL_FLOWTABLE_TABLE));
	}
	nftnl_flowtable_free(ft);
	return MNL_CB_OK;
}

static int get_one(struct backend *b, uint16_t type, void (*fill)(struct nlmsghdr *, void *),
		   void *obj, uint16_t flags, dump_cb cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(b, buf, type, NFPROTO_INET, flags);

	if (fill)
		fill(nlh, obj);
	return talk(b, nlh, cb, data);
}

static void fill_table(struct nlmsghdr *nlh, void *obj)
{
	nftnl_table_nlmsg_build_payload(nlh, obj);
}

static void fill_chain(struct nlmsghdr *nlh, void *obj)
{
	nftnl_chain_nlmsg_build_payload(nlh, obj);
}

static void fill_rule(struct nlmsghdr *nlh, void *obj)
{
	nftnl_rule_nlmsg_build_payload(nlh, obj);
}

static void fill_obj(struct nlmsghdr *nlh, void *obj)
{
	nftnl_obj_nlmsg_build_payload(nlh, obj);
}

static void fill_set(struct nlmsghdr *nlh, void *obj)
{
	nftnl_set_nlmsg_build_payload(nlh, obj);
}

static void fill_elems(struct nlmsghdr *nlh, void *obj)
{
	nftnl_set_elems_nlmsg_build_payload(nlh, obj);
}

static int read_flowtables(struct backend *b)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_ctx ctx = { b->warning, sizeof(b->warning) };
	struct nlmsghdr *nlh = request(b, buf, NFT_MSG_GETFLOWTABLE, NFPROTO_UNSPEC, NLM_F_DUMP);

	b->warning[0] = '\0';
	return talk(b, nlh, cb_flowtable, &ctx);
}

static int nft_open(struct backend **out, const struct config *c);
static void nft_close(struct backend *b);

void nft_flowtable_warning(char *out, size_t len)
{
	struct config c = { .max_hosts = 1 };
	struct backend *b;

	out[0] = '\0';
	if (nft_open(&b, &c))
		return;
	if (!nl_open(b) && !read_flowtables(b))
		snprintf(out, len, "%s", b->warning);
	nft_close(b);
}

static int salt_elem(struct nftnl_set_elem *e, void *data)
{
	struct nft_base *base = data;
	uint32_t len = 0;
	const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

	if (k && len == NFT_SALT) {
		memcpy(base->salt, k, NFT_SALT);
		base->salted = true;
	}
	return 0;
}

static int cb_salt(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) >= 0)
		nftnl_set_elem_foreach(s, salt_elem, data);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* The host maps' hash key into base (salted = false when set "key" is missing or empty). */
static int read_salt(struct backend *b, struct nftnl_set *s)
{
	int ret;

	P(b)->base.salted = false;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, NFT_SALT_SET);
	ret = get_one(b, NFT_MSG_GETSETELEM, fill_elems, s, NLM_F_DUMP, cb_salt, &P(b)->base);
	return ret == -ENOENT ? 0 : ret;
}

static bool base_complete(const struct nft_base *base);

/* The nftnl objects a read fills its requests from, made once per read. */
struct reqs {
	struct nftnl_table *t;
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	struct nftnl_obj *o;
	struct nftnl_set *s;
};

static void reqs_free(struct reqs *q)
{
	if (q->t)
		nftnl_table_free(q->t);
	if (q->c)
		nftnl_chain_free(q->c);
	if (q->r)
		nftnl_rule_free(q->r);
	if (q->o)
		nftnl_obj_free(q->o);
	if (q->s)
		nftnl_set_free(q->s);
}

static int reqs_init(struct reqs *q)
{
	*q = (struct reqs){ nftnl_table_alloc(), nftnl_chain_alloc(), nftnl_rule_alloc(),
			    nftnl_obj_alloc(), nftnl_set_alloc() };
	if (!q->t || !q->c || !q->r || !q->o || !q->s) {
		reqs_free(q);
		return -ENOMEM;
	}
	nftnl_table_set_str(q->t, NFTNL_TABLE_NAME, NFT_TABLE);
	nftnl_table_set_u32(q->t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(q->c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(q->c, NFTNL_CHAIN_NAME, NFT_CHAIN);
	nftnl_rule_set_str(q->r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(q->r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	nftnl_obj_set_str(q->o, NFTNL_OBJ_TABLE, NFT_TABLE);
	nftnl_obj_set_u32(q->o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_set_set_str(q->s, NFTNL_SET_TABLE, NFT_TABLE);
	return 0;
}

/* A fresh read: nothing known of the base or the hosts; the requests' objects made. */
static int read_start(struct backend *b, struct reqs *q, struct hostset *out)
{
	memset(out, 0, sizeof(*out));
	memset(&P(b)->base, 0, sizeof(P(b)->base));
	P(b)->have_base = false;
	return reqs_init(q);
}

/* The table, the chain and its rule count into base; -ENOENT: no table of ours yet. */
static int read_table(struct backend *b, struct reqs *q)
{
	struct nft_base *base = &P(b)->base;
	int ret = get_one(b, NFT_MSG_GETTABLE, fill_table, q->t, NLM_F_ACK, cb_exists,
			  &base->table);

	if (ret)
		return ret;
	ret = get_one(b, NFT_MSG_GETCHAIN, fill_chain, q->c, NLM_F_ACK, cb_exists, &base->chain);
	if (ret == -ENOENT)
		return 0;
	if (!ret)
		ret = get_one(b, NFT_MSG_GETRULE, fill_rule, q->r, NLM_F_DUMP, cb_count,
			      &base->rules);
	return ret;
}

/* Whether maps FROM..TO-1 (base->maps order) exist. */
static int read_maps_exist(struct backend *b, struct reqs *q, int from, int to)
{
	int ret = 0;

	for (int i = from; i < to && !ret; i++) {
		nftnl_set_set_str(q->s, NFTNL_SET_NAME, i < 4 ? map_names[i / 2][i % 2] :
								host_map_names[i - 4]);
		ret = get_one(b, NFT_MSG_GETSET, fill_set, q->s, NLM_F_ACK, cb_exists,
			      &P(b)->base.maps[i]);
		if (ret == -ENOENT)
			ret = 0;
	}
	return ret;
}

/* Every counter object, then every element of the four address maps. */
static int read_hosts(struct backend *b, struct reqs *q, struct hostset *out)
{
	int ret = get_one(b, NFT_MSG_GETOBJ, fill_obj, q->o, NLM_F_DUMP, cb_counter, out);

	for (int d = 0; d < 2 && !ret; d++)
		for (int f = 0; f < FAM_COUNT && !ret; f++) {
			struct elem_ctx ctx = { out, d, f, 0 };

			nftnl_set_set_str(q->s, NFTNL_SET_NAME, map_names[d][f]);
			ret = get_one(b, NFT_MSG_GETSETELEM, fill_elems, q->s, NLM_F_DUMP,
				      cb_elems, &ctx);
			if (!ret)
				P(b)->base.maps[d * 2 + f] = true;
			else if (ret == -ENOENT)
				ret = 0;
		}
	return ret;
}

static int read_all_once(struct backend *b, const void *arg, struct hostset *out)
{
	struct reqs q;
	int ret = read_start(b, &q, out);

	(void)arg;
	if (!ret)
		ret = read_table(b, &q);
	if (ret == -ENOENT) {
		P(b)->have_base = true; /* nothing of ours yet */
		b->base_missing = true;
		reqs_free(&q);
		return 0;
	}
	if (!ret)
		ret = read_hosts(b, &q, out);
	if (!ret)
		ret = read_maps_exist(b, &q, NFT_MAP_HOST4, NFT_MAPS);
	if (!ret)
		ret = read_salt(b, q.s);
	reqs_free(&q);
	if (ret) {
		snprintf(b->err, sizeof(b->err), "cannot read table inet %s: %s", NFT_TABLE,
			 strerror(-ret));
		hostset_free(out);
		return ret;
	}
	P(b)->have_base = true;
	b->base_missing = !base_complete(&P(b)->base);
	return 0;
}

/* ---- reading a few hosts: what an event needs, whatever the number of hosts ---- */

struct one_elem {
	int fam;
	bool found;
	struct addr addr;	 /* host maps: the element's data */
	char ref[NAME_SIZE + 8]; /* address maps: the counter it points at */
};

static int one_elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct one_elem *x = data;
	uint32_t len = 0;
	const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	const char *ref = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF);

	if (d && len == (x->fam == FAM_V4 ? 4u : 16u)) {
		x->addr.fam = x->fam;
		memcpy(&x->addr.u, d, len);
		x->found = true;
	} else if (ref && strlen(ref) < sizeof(x->ref)) {
		strcpy(x->ref, ref);
		x->found = true;
	}
	return 0;
}

static int cb_one_elem(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) >= 0)
		nftnl_set_elem_foreach(s, one_elem_cb, data);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* One element of one map by its key; 0 (x->found tells) or -errno. */
static int get_elem(struct backend *b, const char *map, const void *key, uint32_t klen,
		    struct one_elem *x)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	int ret;

	if (!s || !e) {
		if (s)
			nftnl_set_free(s);
		if (e)
			nftnl_set_elem_free(e);
		return -ENOMEM;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, map);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
	nftnl_set_elem_add(s, e);
	ret = get_one(b, NFT_MSG_GETSETELEM, fill_elems, s, NLM_F_ACK, cb_one_elem, x);
	nftnl_set_free(s);
	return ret == -ENOENT ? 0 : ret;
}

/* Host NAME, whole, into out (nothing if it has no counters). */
static int load_host(struct backend *b, const char *name, struct hostset *out)
{
	struct nftnl_obj *o;
	char cname[NAME_SIZE + 8];
	uint8_t key[NFT_NAME_KEY];
	int ret = 0;

	if (!name_is_valid(name) || hostset_find(out, name))
		return 0;
	o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_TABLE);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	for (int d = 0; d < 2 && !ret; d++)
		for (int f = 0; f < FAM_COUNT && !ret; f++) {
			nft_counter_name(cname, sizeof(cname), d, f, name);
			nftnl_obj_set_str(o, NFTNL_OBJ_NAME, cname);
			ret = get_one(b, NFT_MSG_GETOBJ, fill_obj, o, NLM_F_ACK, cb_counter, out);
		}
	nftnl_obj_free(o);
	if (ret == -ENOENT) /* a host has all four counters or none */
		return hostset_find(out, name) ? -EAGAIN : 0;
	nft_name_key(key, P(b)->base.salt, name);
	for (int f = 0; f < FAM_COUNT && !ret; f++) {
		struct one_elem x = { .fam = f }, check = { .fam = f };
		char want[NAME_SIZE + 8];

		ret = get_elem(b, host_map_names[f], key, NFT_NAME_KEY, &x);
		if (ret || !x.found)
			continue;
		/* The address must point back at this host's counter, else read everything. */
		ret = get_elem(b, map_names[DIR_TX][f], &x.addr.u, f == FAM_V4 ? 4 : 16, &check);
		nft_counter_name(want, sizeof(want), DIR_TX, f, name);
		if (!ret && (!check.found || strcmp(check.ref, want)))
			ret = -EAGAIN;
		if (!ret && !hostset_add_addr(out, name, &x.addr))
			ret = -ENOMEM;
	}
	return ret;
}

struct some {
	const char *const *names;
	size_t nnames;
	const struct addr *addrs;
	size_t naddrs;
};

/* The hosts named and the hosts holding the addresses, each whole. */
static int load_some(struct backend *b, const struct some *x, struct hostset *out)
{
	int ret = 0;

	for (size_t i = 0; i < x->nnames && !ret; i++)
		ret = load_host(b, x->names[i], out);
	for (size_t i = 0; i < x->naddrs && !ret; i++) {
		const struct addr *a = &x->addrs[i];
		struct one_elem e = { .fam = a->fam };
		char host[NAME_SIZE];
		int dir, fam;

		ret = get_elem(b, map_names[DIR_TX][a->fam], &a->u, a->fam == FAM_V4 ? 4 : 16, &e);
		if (!ret && e.found && parse_counter_name(e.ref, &dir, &fam, host))
			ret = load_host(b, host, out);
	}
	return ret;
}

static int read_some_once(struct backend *b, const void *arg, struct hostset *out)
{
	struct reqs q;
	int ret = read_start(b, &q, out);

	if (!ret)
		ret = read_table(b, &q);
	if (ret == -ENOENT) {
		P(b)->have_base = true; /* nothing of ours yet: nobody to read */
		reqs_free(&q);
		return 0;
	}
	if (!ret)
		ret = read_maps_exist(b, &q, 0, NFT_MAPS);
	if (!ret)
		ret = read_salt(b, q.s);
	reqs_free(&q);
	if (!ret && !base_complete(&P(b)->base))
		ret = -EAGAIN; /* a damaged or older table: the whole read and commit mend it */
	if (!ret)
		ret = load_some(b, arg, out);
	if (!ret) {
		P(b)->have_base = true;
		return 0;
	}
	if (ret != -EAGAIN)
		snprintf(b->err, sizeof(b->err), "cannot read table inet %s: %s", NFT_TABLE,
			 strerror(-ret));
	hostset_free(out);
	return ret;
}

/*
 * A read made of several requests is one consistent picture if no transaction committed
 * in between: it is bracketed by the ruleset generation. The generation moves with every
 * transaction in any table, so under a storm of unrelated ones (a firewall script, a busy
 * dnsmasq with nftsets) nearly every read is bracketed by two generations; then it is done
 * again, and taken once two reads in a row found the same hosts with the same addresses
 * (only counter values changed: our table was not touched). Bounded; a short pause between
 * tries lets a burst pass. The generation at the end of the taken read goes into the next
 * batch, so that the kernel refuses a commit built on a read that is stale by then.
 */
static int read_consistent(struct backend *b, int (*once)(struct backend *, const void *,
							   struct hostset *),
			   const void *arg, struct hostset *out)
{
	struct nft *n = P(b);
	struct hostset prev = { 0 };
	bool have_prev = false;
	int ret = 0;

	for (int i = 0; i < NFT_READ_TRIES; i++) {
		uint32_t g1 = 0, g2 = 0;

		if (i) {
			struct timespec ts = { 0, (long)(i < 5 ? i : 5) * 1000000L };

			n->read_retries++;
			nanosleep(&ts, NULL);
		}
		n->intr = false;
		ret = get_gen(b, &g1);
		if (!ret)
			ret = once(b, arg, out);
		if (!ret)
			ret = get_gen(b, &g2);
		if (!ret && ((g1 == g2 && !n->intr) || (have_prev && hostset_same(&prev, out)))) {
			n->base.genid = g2;
			hostset_free(&prev);
			return 0;
		}
		hostset_free(&prev);
		have_prev = false;
		if (ret == -EINTR)
			continue; /* an interrupted single request: try again */
		if (ret)
			break;
		prev = *out; /* keep this read to compare with the next one */
		memset(out, 0, sizeof(*out));
		have_prev = true;
		ret = -EINTR;
	}
	hostset_free(&prev);
	n->have_base = false;
	if (ret == -EINTR)
		snprintf(b->err, sizeof(b->err),
			 "cannot read table inet %s: it changed during each of %d reads",
			 NFT_TABLE, NFT_READ_TRIES);
	else if (ret && ret != -EAGAIN && !b->err[0])
		snprintf(b->err, sizeof(b->err), "cannot read table inet %s: %s", NFT_TABLE,
			 strerror(-ret));
	return ret;
}

static int nft_read(struct backend *b, unsigned int fams, struct hostset *out)
{
	(void)fams; /* one table holds both families: always read whole */
	b->err[0] = '\0';
	return read_consistent(b, read_all_once, NULL, out);
}

static int nft_read_some(struct backend *b, const char *const *names, size_t nnames,
			 const struct addr *addrs, size_t naddrs, struct hostset *out)
{
	struct some arg = { names, nnames, addrs, naddrs };

	b->err[0] = '\0';
	return read_consistent(b, read_some_once, &arg, out);
}

/* What the batch message with this sequence number was doing, for error messages. */
static void describe(const struct buf *batch, uint32_t seq, char *out, size_t len)
{
	const struct nlmsghdr *nlh = (const void *)batch->p;
	int left = (int)batch->len;

	snprintf(out, len, "a change");
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);

		if (nlh->nlmsg_seq != seq)
			continue;
		if (type == NFT_MSG_NEWOBJ || type == NFT_MSG_DELOBJ) {
			struct nftnl_obj *o = nftnl_obj_alloc();

			if (o && nftnl_obj_nlmsg_parse(nlh, o) >= 0)
				snprintf(out, len, "%s counter %s",
					 type == NFT_MSG_NEWOBJ ? "adding" : "deleting",
					 nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
			nftnl_obj_free(o);
		} else if (type == NFT_MSG_NEWSETELEM || type == NFT_MSG_DELSETELEM) {
			struct nftnl_set *s = nftnl_set_alloc();

			if (s && nftnl_set_elems_nlmsg_parse(nlh, s) >= 0)
				snprintf(out, len, "%s addresses of map %s",
					 type == NFT_MSG_NEWSETELEM ? "adding" : "deleting",
					 nftnl_set_get_str(s, NFTNL_SET_NAME));
			nftnl_set_free(s);
		} else if (type == NFT_MSG_NEWTABLE || type == NFT_MSG_NEWCHAIN ||
			   type == NFT_MSG_NEWSET || type == NFT_MSG_NEWRULE) {
			snprintf(out, len, "creating table inet %s", NFT_TABLE);
		} else if (type == NFT_MSG_DELTABLE) {
			snprintf(out, len, "deleting table inet %s", NFT_TABLE);
		}
		return;
	}
}

/* The kernel's extended-ack text in an error reply, or NULL. */
static const char *ext_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	unsigned int off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, off)
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	return NULL;
}

/* Sends a whole batch in one sendmsg; the kernel applies all of it or none. */
static int send_batch(struct backend *b, const struct buf *batch)
{
	struct nft *n = P(b);
	int fd = mnl_socket_get_fd(n->nl), ret = 0;
	int sndbuf = (int)batch->len + 65536;

	/* A big init is one big message; let it through (root may exceed wmem_max). */
	if (batch->len > 100000 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (mnl_socket_sendto(n->nl, batch->p, batch->len) < 0) {
		ret = -errno;
		snprintf(b->err, sizeof(b->err), "cannot send the change to the kernel: %s",
			 strerror(errno));
		return ret;
	}
	/* The kernel handles the batch inside sendmsg: every reply is queued by now. */
	for (;;) {
		ssize_t len = recv(fd, n->rxbuf, n->rxlen, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)n->rxbuf;
		int left = (int)len;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* e.g. ENOBUFS: replies were lost, so was the news of what failed. */
			if (!ret) {
				ret = -errno;
				snprintf(b->err, sizeof(b->err),
					 "cannot read the kernel's answer to the change: %s",
					 strerror(errno));
			}
			break;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			char what[128];
			const char *msg;

			if (nlh->nlmsg_type != NLMSG_ERROR || !e->error || ret)
				continue;
			ret = e->error;
			describe(batch, nlh->nlmsg_seq, what, sizeof(what));
			msg = ext_ack_msg(nlh);
			snprintf(b->err, sizeof(b->err), "kernel refused %s: %s%s%s", what,
				 strerror(-e->error), msg ? ": " : "", msg ? msg : "");
		}
	}
	return ret;
}

static int ensure_base_read(struct backend *b)
{
	struct hostset tmp;
	int ret;

	if (P(b)->have_base)
		return 0;
	ret = nft_read(b, FAMS_ALL, &tmp);
	hostset_free(&tmp);
	return ret;
}

static bool base_complete(const struct nft_base *base)
{
	for (int i = 0; i < NFT_MAPS; i++)
		if (!base->maps[i])
			return false;
	return base->table && base->chain && base->rules == 4 && base->salted;
}

static int run_batch(struct backend *b, int (*build)(struct buf *, struct nft *, const void *,
						      const void *),
		     const void *x, const void *y)
{
	struct nft *n = P(b);
	struct buf batch = { 0 };
	int ret = build(&batch, n, x, y);

	if (ret)
		snprintf(b->err, sizeof(b->err), "cannot build the change: %s", strerror(-ret));
	else
		ret = send_batch(b, &batch);
	buf_free(&batch);
	n->have_base = false; /* stale now, whatever happened */
	return ret;
}

static int build_commit(struct buf *out, struct nft *n, const void *plan, const void *unused)
{
	(void)unused;
	return nft_build_commit(out, &n->seq, &n->base, plan, n->max_hosts);
}

static int nft_commit(struct backend *b, unsigned int fams, const struct plan *p)
{
	int ret = ensure_base_read(b);

	(void)fams;
	if (ret)
		return ret;
	if (base_complete(&P(b)->base) && p->old && plan_empty(p))
		return 0; /* nothing to do: no transaction at all */
	if (!P(b)->base.salted &&
	    getrandom(P(b)->base.salt, NFT_SALT, 0) != (ssize_t)NFT_SALT) {
		snprintf(b->err, sizeof(b->err), "cannot make a random hash key: %s",
			 strerror(errno));
		return -errno;
	}
	return run_batch(b, build_commit, p, NULL);
}

static int build_flush(struct buf *out, struct nft *n, const void *old, const void *unused)
{
	(void)unused;
	return nft_build_flush(out, &n->seq, &n->base, old);
}

static int nft_flush(struct backend *b, unsigned int fams)
{
	struct hostset cur;
	int ret = nft_read(b, fams, &cur);

	/* Complete the base first (an older table may lack the host maps). */
	if (!ret && P(b)->base.table && !base_complete(&P(b)->base)) {
		struct plan p;

		ret = plan_make(&p, &cur, &cur);
		if (!ret)
			ret = nft_commit(b, fams, &p);
		plan_free(&p);
		hostset_free(&cur);
		if (!ret)
			ret = nft_read(b, fams, &cur);
	}
	if (!ret && P(b)->base.table && cur.n)
		ret = run_batch(b, build_flush, &cur, NULL);
	hostset_free(&cur);
	return ret;
}

static int build_remove(struct buf *out, struct nft *n, const void *x, const void *y)
{
	(void)x;
	(void)y;
	return nft_build_remove(out, &n->seq, n->base.genid);
}

static int nft_remove(struct backend *b, unsigned int fams)
{
	struct hostset cur;
	int ret = nft_read(b, fams, &cur);

	if (!ret && P(b)->base.table)
		ret = run_batch(b, build_remove, NULL, NULL);
	hostset_free(&cur);
	return ret;
}

static int nft_open(struct backend **out, const struct config *c)
{
	struct backend *b = calloc(1, sizeof(*b));
	struct nft *n = calloc(1, sizeof(*n));

	if (!b || !n || !(n->rxbuf = malloc(NFT_RXBUF))) {
		if (n)
			free(n->rxbuf);
		free(b);
		free(n);
		return -ENOMEM;
	}
	n->rxlen = NFT_RXBUF;
	n->max_hosts = c->max_hosts;
	b->priv = n;
	*out = b;
	return 0;
}

static void nft_close(struct backend *b)
{
	if (!b)
		return;
	if (P(b)->nl)
		mnl_socket_close(P(b)->nl);
	free(P(b)->rxbuf);
	free(b->priv);
	free(b);
}

/* nf_tables is usable when a table dump works. */
static int nft_probe(const struct config *c)
{
	struct backend *b;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int n = 0;
	int ret = nft_open(&b, c);

	if (ret)
		return ret;
	ret = nl_open(b);
	if (!ret)
		ret = talk(b, request(b, buf, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP),
			   cb_count, &n);
	nft_close(b);
	return ret;
}

const struct backend_ops nft_ops = {
	.name = "nft",
	.probe = nft_probe,
	.open = nft_open,
	.close = nft_close,
	.read = nft_read,
	.read_some = nft_read_some,
	.commit = nft_commit,
	.flush = nft_flush,
	.remove = nft_remove,
};
