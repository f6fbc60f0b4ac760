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

#include <endian.h>
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
#include <libnftnl/udata.h>
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
 * What one recv() can return: the kernel fills a dump's replies 32 KiB at a time whatever
 * the buffer (and restarts its walk of the set for each), echoes and acks are smaller.
 */
#define NFT_RXBUF (64 * 1024)
/* The socket's queue: every echo and ack of a batch waits there until it is read. */
#define NFT_RCVQUEUE (1024 * 1024)
/* Reads of the whole table, tried again while transactions keep interrupting them. */
#define NFT_READ_TRIES 16

static const char *const map_names[2][FAM_COUNT] = { { "tx4", "tx6" }, { "rx4", "rx6" } };
static const char *const set_names[NFT_SETS] = { "tx4", "tx6", "rx4", "rx6",
						 "host4", "host6", "carry" };
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

/* A set of table inet iptmon; idx in base.sets order. */
static void put_set(struct builder *bd, int idx)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_expr *ctr = NULL;
	struct nlmsghdr *nlh;
	uint32_t mark2 = NFT_TYPE_MARK << NFT_TYPE_BITS | NFT_TYPE_MARK;

	if (!s) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[idx]);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(idx + 1));
	if (idx < 4 || idx == NFT_SET_CARRY) {
		/* Every element gets a counter of its own. */
		ctr = nftnl_expr_alloc("counter");
		if (!ctr) {
			nftnl_set_free(s);
			bd->err = -ENOMEM;
			return;
		}
		nftnl_set_add_expr(s, ctr);
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	}
	if (idx < 4) {
		int fam = idx % 2;

		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, fam == FAM_V4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, fam == FAM_V4 ? 4 : 16);
	} else if (idx == NFT_SET_CARRY) {
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, mark2 << NFT_TYPE_BITS | NFT_TYPE_MARK);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, NFT_CARRY_KEY);
	} else {
		/* host4/host6: name -> address, for reading one host without dumping them all. */
		int fam = idx - NFT_SET_HOST4;

		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, mark2);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, NFT_NAME_KEY);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE,
				  fam == FAM_V4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, fam == FAM_V4 ? 4 : 16);
	}
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
	nftnl_set_set_u32(s, NFTNL_SET_ID, NFT_SETS + 1);
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

/* meta nfproto ipvX ip[6] daddr|saddr @txX|rxX: the lookup bumps the element's counter */
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
	if ((e = nftnl_expr_alloc("lookup"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map_names[dir][fam]);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)(dir * 2 + fam + 1));
	}
	add_expr(bd, r, e);
	nlh = msg_start(bd, NFT_MSG_NEWRULE, NLM_F_APPEND | NLM_F_CREATE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_end(bd, nlh);
	nftnl_rule_free(r);
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

/*
 * Elements waiting to go into one set, in messages of ELEMS_PER_MSG. ECHO: the kernel sends
 * the deleted elements back as they were at the commit (their final counters).
 */
struct elems {
	struct nftnl_set *s;
	unsigned int n;
	uint16_t type, flags;
	int idx; /* base.sets order */
};

static void elems_flush(struct builder *bd, struct elems *el)
{
	struct nlmsghdr *nlh;

	if (!el->s || !el->n)
		return;
	/* EXCL: an element already there (made by hand) is refused, not silently kept. */
	nlh = msg_start(bd, el->type,
			(uint16_t)(el->flags |
				   (el->type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE | NLM_F_EXCL : 0)));
	nftnl_set_elems_nlmsg_build_payload(nlh, el->s);
	msg_end(bd, nlh);
	nftnl_set_free(el->s);
	el->s = NULL;
	el->n = 0;
}

/* nft's element comment: user data TLV 0 (NFTNL_UDATA_SET_ELEM_COMMENT), NUL included. */
static void elem_comment(struct nftnl_set_elem *e, const char *name)
{
	uint8_t ud[2 + NAME_SIZE];
	size_t len = strlen(name) + 1;

	ud[0] = NFTNL_UDATA_SET_ELEM_COMMENT;
	ud[1] = (uint8_t)len;
	memcpy(ud + 2, name, len);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, ud, (uint32_t)(2 + len));
}

static void elem_counter(struct builder *bd, struct nftnl_set_elem *e, const struct counter *c)
{
	struct nftnl_expr *x = nftnl_expr_alloc("counter");

	if (!x) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_expr_set_u64(x, NFTNL_EXPR_CTR_PACKETS, c->packets);
	nftnl_expr_set_u64(x, NFTNL_EXPR_CTR_BYTES, c->bytes);
	nftnl_set_elem_add_expr(e, x);
}

/* One element: KEY; for additions DATA (host maps), NAME as comment and counts C. */
static void elems_put(struct builder *bd, struct elems *el, const void *key, uint32_t klen,
		      const struct addr *data, const char *name, const struct counter *c)
{
	struct nftnl_set_elem *e;

	if (!el->s) {
		el->s = nftnl_set_alloc();
		if (!el->s) {
			bd->err = -ENOMEM;
			return;
		}
		nftnl_set_set_str(el->s, NFTNL_SET_TABLE, NFT_TABLE);
		nftnl_set_set_str(el->s, NFTNL_SET_NAME, set_names[el->idx]);
		nftnl_set_set_u32(el->s, NFTNL_SET_FAMILY, NFPROTO_INET);
	}
	e = nftnl_set_elem_alloc();
	if (!e) {
		bd->err = -ENOMEM;
		return;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
	if (el->type == NFT_MSG_NEWSETELEM) {
		if (data)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &data->u,
					   data->fam == FAM_V4 ? 4 : 16);
		if (name)
			elem_comment(e, name);
		if (c)
			elem_counter(bd, e, c);
	}
	nftnl_set_elem_add(el->s, e);
	if (++el->n == ELEMS_PER_MSG)
		elems_flush(bd, el);
}

static void carry_key(uint8_t key[NFT_CARRY_KEY], const uint8_t *salt, const char *name, int slot)
{
	uint32_t s = (uint32_t)slot;

	nft_name_key(key, salt, name);
	memcpy(key + NFT_NAME_KEY, &s, 4);
}

/* The element changes of one batch, deletions first (a key may leave and come back). */
struct change {
	struct builder *bd;
	struct elems el[NFT_SETS];
	uint16_t type;
	const struct nft_carries *carries;
	struct nft_movedset *moved;
};

static void change_init(struct change *ch, struct builder *bd, uint16_t type,
			const struct nft_carries *carries, struct nft_movedset *moved)
{
	ch->bd = bd;
	ch->type = type;
	ch->carries = carries;
	ch->moved = moved;
	for (int i = 0; i < NFT_SETS; i++)
		ch->el[i] = (struct elems){ .type = type, .idx = i };
}

static void change_done(struct change *ch)
{
	for (int i = 0; i < NFT_SETS; i++) {
		elems_flush(ch->bd, &ch->el[i]);
		if (ch->el[i].s)
			nftnl_set_free(ch->el[i].s);
	}
}

static const struct nft_carry *carry_of(const struct nft_carries *cs, const char *name, int slot)
{
	for (size_t i = 0; cs && i < cs->n; i++)
		if (cs->v[i].slot == slot && !strcmp(cs->v[i].name, name))
			return &cs->v[i];
	return NULL;
}

static const struct counter *count_of(const struct host *h, int slot)
{
	return slot / 2 == DIR_TX ? &h->tx[slot % 2] : &h->rx[slot % 2];
}

static bool counter_zero(const struct counter *c)
{
	return !c->bytes && !c->packets;
}

static const struct addr *first_addr(const struct host *h, int fam)
{
	for (unsigned int j = 0; h && j < h->naddrs; j++)
		if (h->addrs[j].fam == fam)
			return &h->addrs[j];
	return NULL;
}

/* Whether H (in WANT) holds other addresses of FAM than O (in OLD). */
static bool fam_differs(const struct host *h, const struct host *o, int fam)
{
	for (unsigned int j = 0; j < h->naddrs; j++)
		if (h->addrs[j].fam == fam && !host_has_addr(o, &h->addrs[j]))
			return true;
	for (unsigned int j = 0; j < o->naddrs; j++)
		if (o->addrs[j].fam == fam && !host_has_addr(h, &o->addrs[j]))
			return true;
	return false;
}

/* Out of the kernel: every element of host O in family FAM, its host map and carries. */
static void del_fam(struct change *ch, const struct host *o, int fam, bool echo)
{
	uint8_t key[NFT_CARRY_KEY];

	for (unsigned int j = 0; j < o->naddrs; j++) {
		const struct addr *a = &o->addrs[j];

		if (a->fam != fam)
			continue;
		for (int d = 0; d < 2; d++) {
			struct elems *el = &ch->el[d * 2 + fam];

			if (echo && !(el->flags & NLM_F_ECHO)) {
				elems_flush(ch->bd, el); /* elements of one message share its flags */
				el->flags |= NLM_F_ECHO;
			}
			elems_put(ch->bd, el, &a->u, fam == FAM_V4 ? 4 : 16, NULL, NULL, NULL);
		}
	}
	if (first_addr(o, fam)) {
		nft_name_key(key, ch->bd->salt, o->name);
		elems_put(ch->bd, &ch->el[NFT_SET_HOST4 + fam], key, NFT_NAME_KEY, NULL, NULL, NULL);
	}
	for (int d = 0; d < 2; d++)
		if (carry_of(ch->carries, o->name, d * 2 + fam)) {
			carry_key(key, ch->bd->salt, o->name, d * 2 + fam);
			elems_put(ch->bd, &ch->el[NFT_SET_CARRY], key, NFT_CARRY_KEY, NULL, NULL, NULL);
		}
}

/*
 * Into the kernel: host H's elements of family FAM. The first address starts from the
 * host's count, the others from zero; a host with no address of the family keeps its
 * count in a carry element.
 */
static void add_fam(struct change *ch, const struct host *h, int fam)
{
	const struct addr *a1 = first_addr(h, fam);
	static const struct counter zero;
	uint8_t key[NFT_CARRY_KEY];

	for (unsigned int j = 0; j < h->naddrs; j++) {
		const struct addr *a = &h->addrs[j];

		if (a->fam != fam)
			continue;
		for (int d = 0; d < 2; d++)
			elems_put(ch->bd, &ch->el[d * 2 + fam], &a->u, fam == FAM_V4 ? 4 : 16, NULL,
				  h->name, a == a1 ? count_of(h, d * 2 + fam) : &zero);
	}
	if (a1) {
		/* The host map holds one address; a host with more says how many (an event then
		 * reads every host, as it cannot read this one whole through the map). */
		char many[12] = "";
		unsigned int n = 0;

		for (unsigned int j = 0; j < h->naddrs; j++)
			n += h->addrs[j].fam == fam;
		if (n > 1)
			snprintf(many, sizeof(many), "%u", n);
		nft_name_key(key, ch->bd->salt, h->name);
		elems_put(ch->bd, &ch->el[NFT_SET_HOST4 + fam], key, NFT_NAME_KEY, a1,
			  many[0] ? many : NULL, NULL);
		return;
	}
	for (int d = 0; d < 2; d++)
		if (!counter_zero(count_of(h, d * 2 + fam))) {
			carry_key(key, ch->bd->salt, h->name, d * 2 + fam);
			elems_put(ch->bd, &ch->el[NFT_SET_CARRY], key, NFT_CARRY_KEY, NULL, h->name,
				  count_of(h, d * 2 + fam));
		}
}

/* What the kernel should echo for O's elements of FAM going on as host H's counts. */
static void note_moved(struct change *ch, const struct host *h, const struct host *o, int fam)
{
	struct nft_movedset *m = ch->moved;

	if (!m || !first_addr(o, fam))
		return;
	for (int d = 0; d < 2; d++) {
		int slot = d * 2 + fam;
		const struct nft_carry *c = carry_of(ch->carries, o->name, slot);
		struct nft_moved *v = realloc(m->v, (m->n + 1) * sizeof(*v)), *x;

		if (!v) {
			ch->bd->err = -ENOMEM;
			return;
		}
		m->v = v;
		x = &v[m->n++];
		memset(x, 0, sizeof(*x));
		snprintf(x->from, sizeof(x->from), "%s", o->name);
		snprintf(x->to, sizeof(x->to), "%s", h->name);
		x->slot = (uint8_t)slot;
		x->read = *count_of(o, slot);
		if (c) { /* the elements held the count less the carry */
			x->read.bytes -= c->c.bytes < x->read.bytes ? c->c.bytes : x->read.bytes;
			x->read.packets -= c->c.packets < x->read.packets ? c->c.packets : x->read.packets;
		}
		if (!first_addr(h, fam))
			x->carry = *count_of(h, slot);
	}
}

/* Host H (WANT) that was O (OLD, NULL: new) in family FAM: made again if anything differs. */
static void change_fam(struct change *ch, const struct host *h, const struct host *o, int fam)
{
	bool renamed = o && strcmp(o->name, h->name);

	if (o && !renamed && !fam_differs(h, o, fam))
		return;
	if (!o && !first_addr(h, fam) && counter_zero(count_of(h, fam)) &&
	    counter_zero(count_of(h, 2 + fam)))
		return;
	if (ch->type == NFT_MSG_DELSETELEM) {
		if (o) {
			note_moved(ch, h, o, fam);
			del_fam(ch, o, fam, true);
		}
	} else {
		add_fam(ch, h, fam);
	}
}

/* Whether OLD's host NAME lives on under another name (then it is not gone). */
static bool renamed_to(const struct plan *p, const char *name)
{
	for (size_t k = 0; k < p->ncreated; k++)
		if (p->created[k].from && !strcmp(p->created[k].from, name))
			return true;
	return false;
}

/* The plan's changes, as elements of type ch->type. fresh: the sets are new (all of WANT). */
static void put_changes(struct change *ch, const struct plan *p, bool fresh)
{
	const struct hostset *want = p->want;

	for (size_t i = 0; !fresh && i < p->ngone; i++)
		if (ch->type == NFT_MSG_DELSETELEM && !renamed_to(p, p->gone[i]->name))
			for (int f = 0; f < FAM_COUNT; f++)
				del_fam(ch, p->gone[i], f, false);
	for (size_t i = 0; i < want->n; i++) {
		const struct host *h = &want->v[i], *o = NULL;

		if (!fresh) {
			o = p->old ? hostset_find(p->old, h->name) : NULL;
			for (size_t k = 0; !o && k < p->ncreated; k++)
				if (p->created[k].h == h && p->created[k].from)
					o = hostset_find(p->old, p->created[k].from);
		}
		for (int f = 0; f < FAM_COUNT; f++)
			change_fam(ch, h, o, f);
	}
	change_done(ch);
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

/* Whether the table is whole and in this layout: changes are then made element by element. */
static bool base_complete(const struct nft_base *base)
{
	for (int i = 0; i < NFT_SETS; i++)
		if (!base->sets[i])
			return false;
	return base->table && base->chain && base->rules == 4 && base->salted && !base->old_layout;
}

/*
 * A table that is missing, damaged, of iptmon 0.1 or without its hash key is made again
 * whole in the same transaction (its old self deleted first), every host of WANT starting
 * from its counts; else only the elements the plan touches change.
 */
int nft_build_commit(struct buf *out, uint32_t *seq, const struct nft_base *base,
		     const struct plan *p, const struct nft_carries *carries,
		     struct nft_movedset *moved)
{
	struct builder bd;
	struct change ch;
	bool fresh = !base_complete(base);

	if (builder_init(&bd, out, seq, base))
		return -ENOMEM;
	batch_mark(&bd, true);
	if (fresh) {
		if (base->table)
			put_table(&bd, NFT_MSG_DELTABLE, 0);
		put_table(&bd, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		put_chain(&bd);
		for (int i = 0; i < NFT_SETS; i++)
			put_set(&bd, i);
		put_salt(&bd, base->salt, true);
		for (int f = 0; f < FAM_COUNT; f++)
			for (int d = 0; d < 2; d++)
				put_rule(&bd, d, f);
	} else {
		change_init(&ch, &bd, NFT_MSG_DELSETELEM, carries, moved);
		put_changes(&ch, p, false);
	}
	change_init(&ch, &bd, NFT_MSG_NEWSETELEM, carries, NULL);
	put_changes(&ch, p, fresh);
	if (fresh)
		put_salt(&bd, base->salt, false);
	batch_mark(&bd, false);
	return builder_done(&bd);
}

int nft_build_makeup(struct buf *out, uint32_t *seq, const struct nft_base *base,
		     const struct nft_movedset *moved)
{
	struct builder bd;
	struct change del, add;
	size_t n = 0;

	for (size_t i = 0; i < moved->n; i++) {
		const struct nft_moved *m = &moved->v[i];

		n += m->echoed.bytes > m->read.bytes || m->echoed.packets > m->read.packets;
	}
	if (!n)
		return 0;
	if (builder_init(&bd, out, seq, base))
		return -ENOMEM;
	bd.genid = 0; /* after the commit it makes up for: the generation has moved, by design */
	batch_mark(&bd, true);
	change_init(&del, &bd, NFT_MSG_DELSETELEM, NULL, NULL);
	change_init(&add, &bd, NFT_MSG_NEWSETELEM, NULL, NULL);
	for (size_t i = 0; i < moved->n; i++) {
		const struct nft_moved *m = &moved->v[i];
		struct counter c = m->carry;
		uint8_t key[NFT_CARRY_KEY];

		if (m->echoed.bytes <= m->read.bytes && m->echoed.packets <= m->read.packets)
			continue;
		carry_key(key, bd.salt, m->to, m->slot);
		if (!counter_zero(&c))
			elems_put(&bd, &del.el[NFT_SET_CARRY], key, NFT_CARRY_KEY, NULL, NULL, NULL);
		if (m->echoed.bytes > m->read.bytes)
			c.bytes += m->echoed.bytes - m->read.bytes;
		if (m->echoed.packets > m->read.packets)
			c.packets += m->echoed.packets - m->read.packets;
		elems_put(&bd, &add.el[NFT_SET_CARRY], key, NFT_CARRY_KEY, NULL, m->to, &c);
	}
	change_done(&del);
	change_done(&add);
	batch_mark(&bd, false);
	return builder_done(&bd);
}

/* Every host out: the elements of every set but the hash key's. */
int nft_build_flush(struct buf *out, uint32_t *seq, const struct nft_base *base,
		    const struct hostset *old)
{
	struct builder bd;

	(void)old;
	if (builder_init(&bd, out, seq, base))
		return -ENOMEM;
	batch_mark(&bd, true);
	for (int i = 0; i < NFT_SETS; i++)
		put_set_flush(&bd, set_names[i]);
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
	struct nft_carries carries; /* the carry elements of the last read */
	struct nft_movedset *echo;  /* where send_batch() puts the deleted elements echoed */
	char *rxbuf;
	size_t rxlen;
	unsigned long long resets, read_retries; /* for tests and health metrics */
	size_t last_n; /* hosts of the last whole read: the next one reserves as many */
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
		int rcv = NFT_RCVQUEUE;

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

/*
 * Asked by the daemon every poll (counting = auto): its socket is kept for the next time, not
 * opened and bound again each poll (that was a tenth of a 10-host poll). A failed request
 * replaces the socket (talk()), so a kept one never holds a stale reply.
 */
void nft_flowtable_warning(char *out, size_t len)
{
	static struct backend *b;
	static struct config c; /* in .bss: a const initialiser put 20 KB of zeros in the binary */

	out[0] = '\0';
	c.max_hosts = 1;
	if (!b && nft_open(&b, &c))
		return;
	if (!nl_open(b) && !read_flowtables(b))
		snprintf(out, len, "%s", b->warning);
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

/* ---- reading elements: parsed straight from the netlink attributes ---- */

/*
 * Where the elements of one dump (or one GET) go. A counter element adds its address and
 * counts to the host its comment names; a carry element its counts (and it is kept in
 * carries). peek: only the name of the first element is wanted.
 */
struct ereader {
	struct hostset *out;
	struct nft_carries *carries;
	int idx; /* base.sets order */
	int err;
	bool peek, found;
	char name[NAME_SIZE];
	const char *only; /* elements of other hosts are not taken (found stays false) */
};

/* The attributes nested in A by type (NFTA_SET_ELEM_MAX is the largest of the tables used),
 * as mnl_attr_parse_nested() with a table callback would, inline: 8000 elements a poll. */
static int nest_table(const struct nlattr *a, const struct nlattr **tb)
{
	const struct nlattr *x;

	mnl_attr_for_each_nested(x, a) {
		uint16_t t = mnl_attr_get_type(x);

		if (t <= NFTA_SET_ELEM_MAX)
			tb[t] = x;
	}
	return 0;
}

/* An element's comment (nft's user data TLV 0) into name; false if none or not a name. */
static bool udata_name(const struct nlattr *a, char name[NAME_SIZE])
{
	const uint8_t *p = mnl_attr_get_payload(a);
	uint16_t len = mnl_attr_get_payload_len(a);

	for (uint16_t i = 0; i + 2 <= len && i + 2 + p[i + 1] <= len; i += (uint16_t)(2 + p[i + 1])) {
		uint8_t l = p[i + 1];

		if (p[i] != NFTNL_UDATA_SET_ELEM_COMMENT)
			continue;
		if (!l || l > NAME_SIZE || p[i + 2 + l - 1] != '\0')
			return false;
		memcpy(name, p + i + 2, l);
		return name_is_valid(name);
	}
	return false;
}

/* A counter expression's values (NFTA_SET_ELEM_EXPR or one of NFTA_SET_ELEM_EXPRESSIONS). */
static bool expr_counter(const struct nlattr *x, struct counter *c)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 }, *cb[NFTA_SET_ELEM_MAX + 1] = { 0 };

	if (nest_table(x, tb) < 0 || !tb[NFTA_EXPR_NAME] ||
	    !tb[NFTA_EXPR_DATA] || strcmp(mnl_attr_get_str(tb[NFTA_EXPR_NAME]), "counter") ||
	    nest_table(tb[NFTA_EXPR_DATA], cb) < 0 ||
	    !cb[NFTA_COUNTER_BYTES] || !cb[NFTA_COUNTER_PACKETS] ||
	    mnl_attr_get_payload_len(cb[NFTA_COUNTER_BYTES]) != 8 ||
	    mnl_attr_get_payload_len(cb[NFTA_COUNTER_PACKETS]) != 8)
		return false;
	c->bytes = be64toh(mnl_attr_get_u64(cb[NFTA_COUNTER_BYTES]));
	c->packets = be64toh(mnl_attr_get_u64(cb[NFTA_COUNTER_PACKETS]));
	return true;
}

static bool elem_counter_of(const struct nlattr *const *tb, struct counter *c)
{
	const struct nlattr *x;

	if (tb[NFTA_SET_ELEM_EXPR])
		return expr_counter(tb[NFTA_SET_ELEM_EXPR], c);
	if (tb[NFTA_SET_ELEM_EXPRESSIONS])
		mnl_attr_for_each_nested(x, tb[NFTA_SET_ELEM_EXPRESSIONS])
			if (expr_counter(x, c))
				return true;
	return false;
}

static const void *elem_key(const struct nlattr *const *tb, uint16_t *len)
{
	const struct nlattr *vb[NFTA_SET_ELEM_MAX + 1] = { 0 };

	if (!tb[NFTA_SET_ELEM_KEY] || nest_table(tb[NFTA_SET_ELEM_KEY], vb) < 0 ||
	    !vb[NFTA_DATA_VALUE])
		return NULL;
	*len = mnl_attr_get_payload_len(vb[NFTA_DATA_VALUE]);
	return mnl_attr_get_payload(vb[NFTA_DATA_VALUE]);
}

static void counter_add(struct counter *to, const struct counter *c)
{
	to->bytes += c->bytes;
	to->packets += c->packets;
}

static int carry_push(struct nft_carries *cs, const char *name, int slot, const struct counter *c)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 8;
		struct nft_carry *v = realloc(cs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cs->v = v;
		cs->cap = cap;
	}
	memset(&cs->v[cs->n], 0, sizeof(cs->v[0]));
	memcpy(cs->v[cs->n].name, name, strlen(name) + 1);
	cs->v[cs->n].slot = (uint8_t)slot;
	cs->v[cs->n++].c = *c;
	return 0;
}

/* One element of set r->idx. Elements that are not iptmon's (hand-made) are left out. */
static void read_elem(struct ereader *r, const struct nlattr *el)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 };
	struct counter c = { 0 };
	char name[NAME_SIZE];
	const uint8_t *key;
	uint16_t klen = 0;
	struct host *h;

	if (nest_table(el, tb) < 0 || !tb[NFTA_SET_ELEM_USERDATA] ||
	    !udata_name(tb[NFTA_SET_ELEM_USERDATA], name) || !(key = elem_key(tb, &klen)))
		return;
	if (r->peek) {
		if (!r->found)
			memcpy(r->name, name, sizeof(name));
		r->found = true;
		return;
	}
	if (r->only && strcmp(name, r->only))
		return;
	if (!elem_counter_of(tb, &c))
		return;
	if (r->idx < 4) {
		struct addr a = { .fam = r->idx % 2 };

		if (klen != (a.fam == FAM_V4 ? 4 : 16))
			return;
		memcpy(&a.u, key, klen);
		/* The rx sets hold the tx sets' addresses: found by address, not by name. The tx
		 * sets come first and hold an address once: nothing to look up there. */
		h = r->idx / 2 == DIR_RX ? hostset_find_addr(r->out, &a) : NULL;
		if (!h || strcmp(h->name, name))
			h = hostset_add_addr(r->out, name, &a);
		if (h)
			counter_add(r->idx / 2 == DIR_TX ? &h->tx[a.fam] : &h->rx[a.fam], &c);
	} else {
		uint32_t slot;

		if (klen != NFT_CARRY_KEY)
			return;
		memcpy(&slot, key + NFT_NAME_KEY, 4);
		if (slot > 3)
			return;
		h = hostset_ensure(r->out, name);
		if (h) {
			counter_add(slot / 2 == DIR_TX ? &h->tx[slot % 2] : &h->rx[slot % 2], &c);
			if (carry_push(r->carries, name, (int)slot, &c))
				h = NULL;
		}
	}
	r->found = true;
	if (!h)
		r->err = -ENOMEM;
}

static int cb_read_elems(const struct nlmsghdr *nlh, void *data)
{
	struct ereader *r = data;
	const struct nlattr *a, *el;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
			read_elem(r, el);
	}
	return r->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/* ---- reading the table ---- */

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
		memset(q, 0, sizeof(*q)); /* the caller frees it again */
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

static void carries_clear(struct nft_carries *cs)
{
	cs->n = 0;
}

/* A fresh read: nothing known of the base or the hosts; the requests' objects made. */
static int read_start(struct backend *b, struct reqs *q, struct hostset *out)
{
	memset(out, 0, sizeof(*out));
	memset(&P(b)->base, 0, sizeof(P(b)->base));
	carries_clear(&P(b)->carries);
	P(b)->have_base = false;
	if (P(b)->last_n) /* best effort: the set grows as needed anyway */
		(void)hostset_reserve(out, P(b)->last_n + P(b)->last_n / 64 + 16);
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

/* One set of the dump of the table's sets: which of ours it is, of which layout. */
static int cb_set(const struct nlmsghdr *nlh, void *data)
{
	struct nft_base *base = data;
	struct nftnl_set *s = nftnl_set_alloc();
	const char *name;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) >= 0 && (name = nftnl_set_get_str(s, NFTNL_SET_NAME)))
		for (int i = 0; i < NFT_SETS; i++) {
			if (strcmp(name, set_names[i]))
				continue;
			base->sets[i] = true;
			/* iptmon 0.1's tx4..rx6 were maps of addresses to counter objects. */
			if (i < 4 && (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_OBJECT))
				base->old_layout = true;
		}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* Which sets exist, and whether they are of iptmon 0.1's layout: one dump of the table's. */
static int read_sets_exist(struct backend *b, struct reqs *q)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int ret;

	(void)q;
	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	ret = get_one(b, NFT_MSG_GETSET, fill_set, s, NLM_F_DUMP, cb_set, &P(b)->base);
	nftnl_set_free(s);
	return ret == -ENOENT ? 0 : ret;
}

/* iptmon 0.1's table: every counter object, then every element of its four maps. */
static int read_hosts_old(struct backend *b, struct reqs *q, struct hostset *out)
{
	int ret = get_one(b, NFT_MSG_GETOBJ, fill_obj, q->o, NLM_F_DUMP, cb_counter, out);

	for (int d = 0; d < 2 && !ret; d++)
		for (int f = 0; f < FAM_COUNT && !ret; f++) {
			struct elem_ctx ctx = { out, d, f, 0 };

			nftnl_set_set_str(q->s, NFTNL_SET_NAME, map_names[d][f]);
			ret = get_one(b, NFT_MSG_GETSETELEM, fill_elems, q->s, NLM_F_DUMP,
				      cb_elems, &ctx);
			if (ret == -ENOENT)
				ret = 0;
		}
	return ret;
}

/* Every element of the counter sets and of set carry. */
static int read_hosts(struct backend *b, struct reqs *q, struct hostset *out)
{
	int ret = 0;

	for (int i = 0; i < NFT_SETS && !ret; i++) {
		struct ereader r = { .out = out, .carries = &P(b)->carries, .idx = i };

		if ((i >= 4 && i != NFT_SET_CARRY) || !P(b)->base.sets[i])
			continue;
		nftnl_set_set_str(q->s, NFTNL_SET_NAME, set_names[i]);
		ret = get_one(b, NFT_MSG_GETSETELEM, fill_elems, q->s, NLM_F_DUMP, cb_read_elems, &r);
		if (!ret && r.err)
			ret = r.err;
		if (ret == -ENOENT)
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
		P(b)->base.full = true;
		b->base_missing = true;
		reqs_free(&q);
		return 0;
	}
	if (!ret)
		ret = read_sets_exist(b, &q);
	if (!ret)
		ret = P(b)->base.old_layout ? read_hosts_old(b, &q, out) : read_hosts(b, &q, out);
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
	P(b)->base.full = true;
	P(b)->last_n = out->n;
	/* iptmon 0.1's table is whole, only older: the next change converts it. */
	b->base_missing = !base_complete(&P(b)->base) && !P(b)->base.old_layout;
	return 0;
}

/* ---- reading a few hosts: what an event needs, whatever the number of hosts ---- */

struct one_elem {
	int fam;
	bool found, many; /* many: the host has more addresses of the family than this */
	struct addr addr; /* host maps: the element's data */
};

static int one_elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct one_elem *x = data;
	uint32_t len = 0;
	const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);

	if (d && len == (x->fam == FAM_V4 ? 4u : 16u)) {
		x->addr.fam = x->fam;
		memcpy(&x->addr.u, d, len);
		x->found = true;
		x->many = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA);
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

/* A GET of one element of set IDX by its key, through cb; -ENOENT is no error here. */
static int get_elem(struct backend *b, int idx, const void *key, uint32_t klen, dump_cb cb,
		    void *data)
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
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[idx]);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
	nftnl_set_elem_add(s, e);
	ret = get_one(b, NFT_MSG_GETSETELEM, fill_elems, s, NLM_F_ACK, cb, data);
	nftnl_set_free(s);
	return ret == -ENOENT ? 0 : ret;
}

/*
 * Host NAME, whole, into out (nothing if the host maps do not know it): per family its
 * address from the host map, that address's counters (whose comment must name the host,
 * else everything is read), and its carries.
 */
static int load_host(struct backend *b, const char *name, struct hostset *out)
{
	uint8_t key[NFT_CARRY_KEY];
	int ret = 0;

	if (!name_is_valid(name) || hostset_find(out, name))
		return 0;
	nft_name_key(key, P(b)->base.salt, name);
	for (int f = 0; f < FAM_COUNT && !ret; f++) {
		struct one_elem x = { .fam = f };

		ret = get_elem(b, NFT_SET_HOST4 + f, key, NFT_NAME_KEY, cb_one_elem, &x);
		if (!ret && x.many)
			ret = -EAGAIN; /* several addresses: only the whole read sees them all */
		for (int d = 0; d < 2 && !ret && x.found; d++) {
			struct ereader r = { .out = out, .carries = &P(b)->carries, .idx = d * 2 + f,
					     .only = name };
			uint32_t alen = f == FAM_V4 ? 4 : 16;

			ret = get_elem(b, d * 2 + f, &x.addr.u, alen, cb_read_elems, &r);
			if (!ret && !r.found)
				ret = -EAGAIN; /* not this host's: the host maps disagree */
			if (!ret)
				ret = r.err;
		}
	}
	if (ret || !hostset_find(out, name))
		return ret;
	for (int slot = 0; slot < 4 && !ret; slot++) {
		struct ereader r = { .out = out, .carries = &P(b)->carries, .idx = NFT_SET_CARRY };

		carry_key(key, P(b)->base.salt, name, slot);
		ret = get_elem(b, NFT_SET_CARRY, key, NFT_CARRY_KEY, cb_read_elems, &r);
		if (!ret)
			ret = r.err;
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
		struct ereader peek = { .peek = true };

		ret = get_elem(b, DIR_TX * 2 + a->fam, &a->u, a->fam == FAM_V4 ? 4 : 16,
			       cb_read_elems, &peek);
		if (!ret && peek.found)
			ret = load_host(b, peek.name, out);
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
		ret = read_sets_exist(b, &q);
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
	memset(out, 0, sizeof(*out)); /* empty, not unset, when the first request fails */
	b->err[0] = '\0';
	return read_consistent(b, read_all_once, NULL, out);
}

static int nft_read_some(struct backend *b, const char *const *names, size_t nnames,
			 const struct addr *addrs, size_t naddrs, struct hostset *out)
{
	struct some arg = { names, nnames, addrs, naddrs };

	memset(out, 0, sizeof(*out)); /* empty, not unset, when the first request fails */
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
				snprintf(out, len, "%s addresses of set %s",
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

/*
 * An element the kernel echoes as it deletes it, with its final counters: added to what
 * the moved entry of its host (comment) and set expects.
 */
static void read_echo(struct nft_movedset *m, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *el;
	int idx = -1;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t t = mnl_attr_get_type(a);

		if (t == NFTA_SET_ELEM_LIST_SET && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			for (int i = 0; i < 4; i++)
				if (!strcmp(mnl_attr_get_str(a), set_names[i]))
					idx = i;
		} else if (t == NFTA_SET_ELEM_LIST_ELEMENTS && idx >= 0) {
			mnl_attr_for_each_nested(el, a) {
				const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 };
				struct counter c;
				char name[NAME_SIZE];

				if (nest_table(el, tb) < 0 ||
				    !tb[NFTA_SET_ELEM_USERDATA] ||
				    !udata_name(tb[NFTA_SET_ELEM_USERDATA], name) ||
				    !elem_counter_of(tb, &c))
					continue;
				for (size_t i = 0; i < m->n; i++)
					if (m->v[i].slot == idx && !strcmp(m->v[i].from, name)) {
						counter_add(&m->v[i].echoed, &c);
						break;
					}
			}
		}
	}
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
	/* Room for every echo of its deleted elements (a few times the size of the requests),
	 * else the kernel drops them and with them the news of whether the batch went in. */
	if (batch->len * 8 > NFT_RCVQUEUE) {
		int rcv = (int)(batch->len * 8);

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
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

			if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM)) {
				if (n->echo)
					read_echo(n->echo, nlh);
				continue;
			}
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

static int build_commit(struct buf *out, struct nft *n, const void *plan, const void *moved)
{
	return nft_build_commit(out, &n->seq, &n->base, plan, &n->carries, (void *)moved);
}

/*
 * What the elements made again counted between the read and the commit, into their hosts'
 * carries: the commands hold the lock file through both transactions, so a daemon never
 * reads between them. Tried a few times; a failure loses only those packets' counts.
 */
static void makeup(struct backend *b, struct nft_movedset *moved)
{
	char err[sizeof(b->err)];

	memcpy(err, b->err, sizeof(err));
	for (int i = 0; i < 3; i++) {
		struct buf batch = { 0 };
		int ret = nft_build_makeup(&batch, &P(b)->seq, &P(b)->base, moved);

		if (!ret && batch.len)
			ret = send_batch(b, &batch);
		buf_free(&batch);
		if (!ret)
			break;
	}
	memcpy(b->err, err, sizeof(err));
}

/*
 * max_hosts, which the sets do not hold (they have no size): -ENOSPC when a change made on a
 * read of every host would leave more hosts than that, and more than there were. An event
 * reads only the hosts it touches and is not checked (dnsmasq bounds its leases itself:
 * dhcp-lease-max, 1000 by default).
 */
static int census(struct backend *b, const struct plan *p)
{
	size_t before = p->old ? p->old->n : 0;

	if (!P(b)->base.full || p->want->n <= P(b)->max_hosts || p->want->n <= before)
		return 0;
	snprintf(b->err, sizeof(b->err), "more than max_hosts = %u hosts", P(b)->max_hosts);
	return -ENOSPC;
}

static int nft_commit(struct backend *b, unsigned int fams, const struct plan *p)
{
	struct nft_movedset moved = { 0 };
	int ret = ensure_base_read(b);

	(void)fams;
	if (ret)
		return ret;
	if (base_complete(&P(b)->base) && p->old && plan_empty(p))
		return 0; /* nothing to do: no transaction at all */
	ret = census(b, p);
	if (ret)
		return ret;
	if (!P(b)->base.salted &&
	    getrandom(P(b)->base.salt, NFT_SALT, 0) != (ssize_t)NFT_SALT) {
		snprintf(b->err, sizeof(b->err), "cannot make a random hash key: %s",
			 strerror(errno));
		return -errno;
	}
	P(b)->echo = &moved;
	ret = run_batch(b, build_commit, p, &moved);
	P(b)->echo = NULL;
	if (!ret && moved.n)
		makeup(b, &moved);
	free(moved.v);
	return ret;
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
	free(P(b)->carries.v);
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
	.many_addrs = true,
	.probe = nft_probe,
	.open = nft_open,
	.close = nft_close,
	.read = nft_read,
	.read_some = nft_read_some,
	.commit = nft_commit,
	.flush = nft_flush,
	.remove = nft_remove,
};
