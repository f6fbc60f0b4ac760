// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for src/nft.c's message builders, without a kernel: every batch is walked with
 * libmnl and each message parsed back with libnftnl, then checked against what nft.h says
 * table inet iptmon looks like (counter sets tx4 tx6 rx4 rx6 with a counter and a comment
 * per element, host maps host4 host6, set carry, set key, four lookup rules).
 */
#include "testutil.h"

/* Ours first: they bring netinet/in.h, which must precede linux/netfilter.h. */
#include "hosts.h"
#include "nft.h"
#include "run.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

enum { TX = 0, RX = 1 };

#define SEQ0 1000u
#define OBJNAME_SIZE 128
#define MAX_ELEMS_PER_MSG 256

/* nft's data type numbers for ipv4_addr, ipv6_addr and mark (nft's datatype.h). */
#define TYPE_IPADDR 7
#define TYPE_IP6ADDR 8
#define TYPE_MARK 19
#define MARK2 (TYPE_MARK << 6 | TYPE_MARK)

/* The slot of a direction and family in set carry, as nft.h numbers them. */
#define SLOT(dir, fam) ((dir) * 2 + (fam))

/* ---- a batch, parsed back ---- */

struct pelem {
	uint8_t key[NFT_SALT]; /* an address, a name hash, name hash . slot, or the hash key */
	uint32_t klen;
	uint8_t data[16]; /* host maps: the address */
	uint32_t dlen;
	bool has_udata;
	char comment[NAME_SIZE + 1]; /* user data TLV 0 (nft's element comment); "" if none */
	bool has_comment;
	unsigned int nexpr; /* the element's own expressions */
	bool has_counter;
	uint64_t pkts, bytes;
};

struct pmsg {
	uint16_t nltype; /* nlmsg_type as sent */
	uint16_t type;	 /* NFNL_MSG_TYPE(nltype); meaningless for batch markers */
	bool batch;
	uint16_t flags;
	uint32_t seq;
	uint8_t family;
	uint16_t res_id;
	bool has_genid; /* batch begin: NFNL_BATCH_GENID */
	uint32_t genid;
	char table[OBJNAME_SIZE];
	/* table, chain or set name; a rule's chain; the set of set elements */
	char name[OBJNAME_SIZE];
	/* chain */
	bool has_hook;
	uint32_t hooknum, policy;
	int32_t prio;
	char ctype[32];
	/* set */
	uint32_t set_flags, key_type, key_len, obj_type, data_type, data_len, set_id;
	bool has_desc, has_desc_size, has_obj_type, has_data, has_set_flags;
	unsigned int set_nexpr;
	char set_expr[4][16];
	/* rule */
	bool has_handle;
	unsigned int nexpr;
	char expr[8][16];
	uint32_t meta_key, meta_dreg, cmp_sreg, cmp_op, cmp_len, pl_dreg, pl_base, pl_off,
		pl_len, lookup_sreg, lookup_set_id, lookup_flags;
	bool lookup_has_dreg;
	uint8_t cmp_data;
	char lookup_set[32];
	/* set elements */
	bool has_elem_list;
	struct pelem *elems;
	size_t nelems;
};

struct parsed {
	struct pmsg *v;
	size_t n;
};

static void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].elems);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct pmsg *m = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	assert_non_null(name);
	if (m->nexpr < TU_ARRAY_SIZE(m->expr))
		copy_str(m->expr[m->nexpr], sizeof(m->expr[0]), name);
	m->nexpr++;
	if (!strcmp(name, "meta")) {
		m->meta_key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
		m->meta_dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG);
	} else if (!strcmp(name, "cmp")) {
		uint32_t len = 0;
		const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);

		m->cmp_sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG);
		m->cmp_op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
		m->cmp_len = len;
		m->cmp_data = d && len ? d[0] : 0xff;
	} else if (!strcmp(name, "payload")) {
		m->pl_dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG);
		m->pl_base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
		m->pl_off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
		m->pl_len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	} else if (!strcmp(name, "lookup")) {
		m->lookup_sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG);
		m->lookup_set_id = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SET_ID);
		m->lookup_has_dreg = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG);
		m->lookup_flags = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) ?
					  nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) :
					  0;
		copy_str(m->lookup_set, sizeof(m->lookup_set),
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	}
	return 0;
}

static int set_expr_cb(struct nftnl_expr *e, void *data)
{
	struct pmsg *m = data;

	if (m->set_nexpr < TU_ARRAY_SIZE(m->set_expr))
		copy_str(m->set_expr[m->set_nexpr], sizeof(m->set_expr[0]),
			 nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	m->set_nexpr++;
	return 0;
}

static int elem_expr_cb(struct nftnl_expr *x, void *data)
{
	struct pelem *pe = data;

	pe->nexpr++;
	if (!strcmp(nftnl_expr_get_str(x, NFTNL_EXPR_NAME), "counter")) {
		pe->has_counter = true;
		pe->pkts = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);
		pe->bytes = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

/* nft's user data: TLVs of type, length, value; the comment is type 0 with its NUL. */
static void parse_udata(struct pelem *pe, const uint8_t *p, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t t, l;

		assert_true(i + 2 <= len);
		t = p[i];
		l = p[i + 1];
		assert_true(i + 2 + l <= len);
		if (t == 0) { /* NFTNL_UDATA_SET_ELEM_COMMENT */
			assert_false(pe->has_comment);
			assert_true(l >= 1 && l <= NAME_SIZE);
			assert_int_equal(p[i + 2 + l - 1], '\0');
			memcpy(pe->comment, p + i + 2, l);
			assert_int_equal(strlen(pe->comment), l - 1u); /* no NUL inside */
			pe->has_comment = true;
		}
		i += 2u + l;
	}
	assert_int_equal(i, len); /* whole TLVs only */
}

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct pmsg *m = data;
	struct pelem *pe;
	uint32_t klen = 0;
	const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);

	m->elems = realloc(m->elems, (m->nelems + 1) * sizeof(*m->elems));
	assert_non_null(m->elems);
	pe = &m->elems[m->nelems++];
	memset(pe, 0, sizeof(*pe));
	assert_non_null(key);
	assert_true(klen == 4 || klen == 16 || klen == NFT_NAME_KEY || klen == NFT_CARRY_KEY);
	memcpy(pe->key, key, klen);
	pe->klen = klen;
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
		const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &pe->dlen);

		assert_true(pe->dlen <= sizeof(pe->data));
		memcpy(pe->data, d, pe->dlen);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
		uint32_t ulen = 0;
		const uint8_t *u = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);

		pe->has_udata = true;
		assert_non_null(u);
		parse_udata(pe, u, ulen);
	}
	assert_false(nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF)); /* iptmon 0.1's */
	assert_int_equal(nftnl_set_elem_expr_foreach(e, elem_expr_cb, pe), 0);
	return 0;
}

/*
 * libnftnl numbers the elements of a list 1, 2, 3... when it builds one (the kernel ignores
 * those types), but its parser wants NFTA_LIST_ELEM on every one, as the kernel sends them.
 * Renumbers a copy the kernel's way, so that the parser reads every element.
 */
static void normalize_elem_list(struct nlmsghdr *nlh)
{
	struct nlattr *attr, *el;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, attr) {
			assert_true(el->nla_type & NLA_F_NESTED);
			assert_true(mnl_attr_get_type(el) >= 1);
			el->nla_type = (uint16_t)((el->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM);
		}
	}
}

/* Whether the message has a top-level attribute of TYPE (what libnftnl may not report). */
static bool has_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(attr) == type)
			return true;
	return false;
}

static void parse_batch_begin(const struct nlmsghdr *nlh, struct pmsg *m)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		assert_int_equal(mnl_attr_get_type(attr), NFNL_BATCH_GENID);
		assert_int_equal(mnl_attr_get_payload_len(attr), 4);
		m->has_genid = true;
		m->genid = ntohl(mnl_attr_get_u32(attr));
	}
}

static void parse_set(const struct nlmsghdr *nlh, struct pmsg *m)
{
	struct nftnl_set *s = nftnl_set_alloc();

	assert_non_null(s);
	assert_true(nftnl_set_nlmsg_parse(nlh, s) >= 0);
	copy_str(m->table, sizeof(m->table), nftnl_set_get_str(s, NFTNL_SET_TABLE));
	copy_str(m->name, sizeof(m->name), nftnl_set_get_str(s, NFTNL_SET_NAME));
	m->has_set_flags = nftnl_set_is_set(s, NFTNL_SET_FLAGS);
	m->set_flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	m->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	m->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	m->set_id = nftnl_set_get_u32(s, NFTNL_SET_ID);
	m->has_obj_type = nftnl_set_is_set(s, NFTNL_SET_OBJ_TYPE);
	m->obj_type = nftnl_set_get_u32(s, NFTNL_SET_OBJ_TYPE);
	m->has_data = nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE);
	m->data_type = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
	m->data_len = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	m->has_desc_size = nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE);
	m->has_desc = has_attr(nlh, NFTA_SET_DESC);
	assert_int_equal(nftnl_set_expr_foreach(s, set_expr_cb, m), 0);
	nftnl_set_free(s);
}

static void parse_elems(const struct nlmsghdr *nlh, struct pmsg *m)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);

	assert_non_null(s);
	assert_non_null(copy);
	memcpy(copy, nlh, nlh->nlmsg_len);
	normalize_elem_list(copy);
	assert_true(nftnl_set_elems_nlmsg_parse(copy, s) >= 0);
	m->has_elem_list = has_attr(copy, NFTA_SET_ELEM_LIST_ELEMENTS);
	free(copy);
	copy_str(m->table, sizeof(m->table), nftnl_set_get_str(s, NFTNL_SET_TABLE));
	copy_str(m->name, sizeof(m->name), nftnl_set_get_str(s, NFTNL_SET_NAME));
	assert_int_equal(nftnl_set_elem_foreach(s, elem_cb, m), 0);
	nftnl_set_free(s);
}

static void parse_one(const struct nlmsghdr *nlh, struct pmsg *m)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	assert_true(nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(*g));
	m->nltype = nlh->nlmsg_type;
	m->type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	m->flags = nlh->nlmsg_flags;
	m->seq = nlh->nlmsg_seq;
	m->family = g->nfgen_family;
	m->res_id = ntohs(g->res_id);
	m->batch = nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END;
	if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN)
		parse_batch_begin(nlh, m);
	if (m->batch)
		return;
	assert_int_equal(NFNL_SUBSYS_ID(nlh->nlmsg_type), NFNL_SUBSYS_NFTABLES);

	switch (m->type) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		assert_non_null(t);
		assert_true(nftnl_table_nlmsg_parse(nlh, t) >= 0);
		copy_str(m->name, sizeof(m->name), nftnl_table_get_str(t, NFTNL_TABLE_NAME));
		copy_str(m->table, sizeof(m->table), m->name);
		nftnl_table_free(t);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_non_null(c);
		assert_true(nftnl_chain_nlmsg_parse(nlh, c) >= 0);
		copy_str(m->table, sizeof(m->table), nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
		copy_str(m->name, sizeof(m->name), nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		m->has_hook = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
		m->hooknum = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		m->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		m->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
		copy_str(m->ctype, sizeof(m->ctype), nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
		nftnl_chain_free(c);
		break;
	}
	case NFT_MSG_NEWSET:
		parse_set(nlh, m);
		break;
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		assert_non_null(r);
		assert_true(nftnl_rule_nlmsg_parse(nlh, r) >= 0);
		copy_str(m->table, sizeof(m->table), nftnl_rule_get_str(r, NFTNL_RULE_TABLE));
		copy_str(m->name, sizeof(m->name), nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		m->has_handle = nftnl_rule_is_set(r, NFTNL_RULE_HANDLE);
		assert_int_equal(nftnl_expr_foreach(r, expr_cb, m), 0);
		nftnl_rule_free(r);
		break;
	}
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		parse_elems(nlh, m);
		break;
	default:
		/* no counter objects (iptmon 0.1's), no set or chain deletions, nothing else */
		fail_msg("unexpected message type %u", m->type);
	}
}

/*
 * Parses a whole batch and checks its envelope: BATCH_BEGIN first, BATCH_END last, no
 * other markers, sequence numbers from SEQ0 upward, family inet everywhere but the
 * markers (which name nf_tables in res_id), every message inside table iptmon, the
 * generation (NFNL_BATCH_GENID) in the batch begin exactly when there is one.
 */
static void parse_batch_genid(struct parsed *p, const struct buf *b, uint32_t seq_after,
			      uint32_t genid)
{
	const struct nlmsghdr *nlh = (const void *)b->p;
	int left = (int)b->len;

	memset(p, 0, sizeof(*p));
	assert_non_null(b->p);
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		p->v = realloc(p->v, (p->n + 1) * sizeof(*p->v));
		assert_non_null(p->v);
		memset(&p->v[p->n], 0, sizeof(p->v[0]));
		parse_one(nlh, &p->v[p->n++]);
	}
	assert_int_equal(left, 0); /* nothing but whole messages */
	assert_true(p->n >= 2);
	assert_int_equal(p->v[0].nltype, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(p->v[p->n - 1].nltype, NFNL_MSG_BATCH_END);
	assert_int_equal(p->v[0].seq, SEQ0);
	assert_int_equal(seq_after, p->v[p->n - 1].seq + 1);
	assert_int_equal(p->v[0].has_genid, genid != 0);
	assert_int_equal(p->v[0].genid, genid);
	for (size_t i = 0; i < p->n; i++) {
		const struct pmsg *m = &p->v[i];

		if (i)
			assert_int_equal(m->seq, p->v[i - 1].seq + 1);
		assert_true(m->flags & NLM_F_REQUEST);
		if (i == 0 || i == p->n - 1) {
			assert_true(m->batch);
			assert_int_equal(m->res_id, NFNL_SUBSYS_NFTABLES);
			continue;
		}
		assert_false(m->batch);
		assert_int_equal(m->family, NFPROTO_INET);
		assert_string_equal(m->table, NFT_TABLE);
	}
}

static void parse_batch(struct parsed *p, const struct buf *b, uint32_t seq_after)
{
	parse_batch_genid(p, b, seq_after, 0);
}

static void assert_elem_msgs_sane(const struct parsed *p);

/* The plan from OLD to WANT, built and parsed back; CARRIES and MOVED as nft.h says. */
static void commit_ex(struct parsed *p, const struct nft_base *base, const struct hostset *old,
		      const struct hostset *want, const struct nft_carries *carries,
		      struct nft_movedset *moved)
{
	struct buf b = { 0 };
	uint32_t seq = SEQ0;
	struct plan pl;

	assert_int_equal(plan_make(&pl, old, want), 0);
	assert_int_equal(nft_build_commit(&b, &seq, base, &pl, carries, moved), 0);
	plan_free(&pl);
	parse_batch_genid(p, &b, seq, base->genid);
	buf_free(&b);
	assert_elem_msgs_sane(p);
}

static void commit(struct parsed *p, const struct nft_base *base, const struct hostset *old,
		   const struct hostset *want)
{
	commit_ex(p, base, old, want, NULL, NULL);
}

/* ---- queries ---- */

static unsigned int count(const struct parsed *p, uint16_t type)
{
	unsigned int n = 0;

	for (size_t i = 1; i + 1 < p->n; i++)
		n += p->v[i].type == type;
	return n;
}

/* Position of the first/last message of TYPE (named NAME unless NULL); -1 when none. */
static int first_of(const struct parsed *p, uint16_t type, const char *name)
{
	for (size_t i = 1; i + 1 < p->n; i++)
		if (p->v[i].type == type && (!name || !strcmp(p->v[i].name, name)))
			return (int)i;
	return -1;
}

static int last_of(const struct parsed *p, uint16_t type, const char *name)
{
	int last = -1;

	for (size_t i = 1; i + 1 < p->n; i++)
		if (p->v[i].type == type && (!name || !strcmp(p->v[i].name, name)))
			last = (int)i;
	return last;
}

static unsigned int count_named(const struct parsed *p, uint16_t type, const char *name)
{
	unsigned int n = 0;

	for (size_t i = 1; i + 1 < p->n; i++)
		n += p->v[i].type == type && !strcmp(p->v[i].name, name);
	return n;
}

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(&a, s))
		fail_msg("test setup: cannot parse address '%s'", s);
	return a;
}

enum { ANY = -1 }; /* echo: either way */

/*
 * How many elements with key KEY (KLEN bytes) messages of TYPE put into SET, with comment
 * NAME (any, or none, when NULL), in messages with NLM_F_ECHO (echo 1), without (0), or
 * either (ANY).
 */
static unsigned int elems_key(const struct parsed *p, uint16_t type, const char *set,
			      const void *key, uint32_t klen, const char *name, int echo)
{
	unsigned int n = 0;

	for (size_t i = 1; i + 1 < p->n; i++) {
		const struct pmsg *m = &p->v[i];

		if (m->type != type || strcmp(m->name, set))
			continue;
		if (echo != ANY && !!(m->flags & NLM_F_ECHO) != echo)
			continue;
		for (size_t j = 0; j < m->nelems; j++) {
			const struct pelem *e = &m->elems[j];

			if (e->klen == klen && !memcmp(e->key, key, klen) &&
			    (!name || !strcmp(e->comment, name)))
				n++;
		}
	}
	return n;
}

/* The one element with key KEY in messages of TYPE for SET (fails unless exactly one). */
static const struct pelem *elem_key(const struct parsed *p, uint16_t type, const char *set,
				    const void *key, uint32_t klen)
{
	const struct pelem *found = NULL;

	for (size_t i = 1; i + 1 < p->n; i++) {
		const struct pmsg *m = &p->v[i];

		if (m->type != type || strcmp(m->name, set))
			continue;
		for (size_t j = 0; j < m->nelems; j++)
			if (m->elems[j].klen == klen && !memcmp(m->elems[j].key, key, klen)) {
				if (found)
					fail_msg("set %s: a key twice in messages of type %u", set,
						 type);
				found = &m->elems[j];
			}
	}
	if (!found)
		fail_msg("set %s: no such key in messages of type %u", set, type);
	return found;
}

/* Elements of address ADDR in counter set SET (see elems_key). */
static unsigned int elems_of(const struct parsed *p, uint16_t type, const char *set,
			     const char *addr, const char *name, int echo)
{
	struct addr a = A(addr);

	return elems_key(p, type, set, &a.u, a.fam == FAM_V4 ? 4 : 16, name, echo);
}

static const struct pelem *elem_of(const struct parsed *p, uint16_t type, const char *set,
				   const char *addr)
{
	struct addr a = A(addr);

	return elem_key(p, type, set, &a.u, a.fam == FAM_V4 ? 4 : 16);
}

/* Every element of TYPE messages for SET. */
static size_t elems_total(const struct parsed *p, uint16_t type, const char *set)
{
	size_t n = 0;

	for (size_t i = 1; i + 1 < p->n; i++)
		if (p->v[i].type == type && !strcmp(p->v[i].name, set))
			n += p->v[i].nelems;
	return n;
}

static void add(struct hostset *s, const char *name, const char *addr)
{
	struct addr a = A(addr);

	assert_true(hostset_upsert(s, name, &a) >= 0);
}

static struct host *must_find(const struct hostset *s, const char *name)
{
	struct host *h = hostset_find(s, name);

	if (!h)
		fail_msg("host '%s' missing", name);
	return h;
}

static const char *const addr_sets[] = { "tx4", "rx4", "tx6", "rx6" };
static const char *const host_maps[FAM_COUNT] = { "host4", "host6" };
/* nft.h's base.sets order */
static const char *const all_sets[NFT_SETS] = { "tx4", "tx6", "rx4", "rx6",
						"host4", "host6", "carry" };

static const uint8_t zero_salt[NFT_SALT]; /* what complete() and zeroed bases hold */

/* Everything read() can find, in place. */
static struct nft_base complete(void)
{
	struct nft_base b = { .table = true, .chain = true, .rules = 4, .salted = true };

	for (int i = 0; i < NFT_SETS; i++)
		b.sets[i] = true;
	return b;
}

/*
 * How many host map elements NAME -> ADDR messages of TYPE hold, keys hashed under SALT
 * (the host map of ADDR's family; any data, or none, when ADDR is NULL: then FAM picks).
 */
static unsigned int host_elems_salt(const struct parsed *p, uint16_t type, const uint8_t *salt,
				    int fam, const char *name, const char *addr)
{
	uint8_t key[NFT_NAME_KEY];
	struct addr a = { 0 };
	uint32_t alen = 0;
	unsigned int n = 0;

	nft_name_key(key, salt, name);
	if (addr) {
		a = A(addr);
		fam = a.fam;
		alen = a.fam == FAM_V4 ? 4 : 16;
	}
	for (size_t i = 1; i + 1 < p->n; i++) {
		const struct pmsg *m = &p->v[i];

		if (m->type != type || strcmp(m->name, host_maps[fam]))
			continue;
		for (size_t j = 0; j < m->nelems; j++) {
			const struct pelem *e = &m->elems[j];

			if (e->klen != NFT_NAME_KEY || memcmp(e->key, key, NFT_NAME_KEY))
				continue;
			if (addr && (e->dlen != alen || memcmp(e->data, &a.u, alen)))
				continue;
			n++;
		}
	}
	return n;
}

static unsigned int host_elems_of(const struct parsed *p, uint16_t type, int fam,
				  const char *name, const char *addr)
{
	return host_elems_salt(p, type, zero_salt, fam, name, addr);
}

/* Set carry's key of NAME's SLOT: the name's hash, then the slot as a u32 (host order). */
static void carry_key(uint8_t key[NFT_CARRY_KEY], const uint8_t *salt, const char *name,
		      uint32_t slot)
{
	nft_name_key(key, salt, name);
	memcpy(key + NFT_NAME_KEY, &slot, 4);
}

/* Elements of set carry for NAME's SLOT (keys under the zero salt; see elems_key). */
static unsigned int carry_elems_of(const struct parsed *p, uint16_t type, const char *name,
				   int slot, int echo)
{
	uint8_t key[NFT_CARRY_KEY];

	carry_key(key, zero_salt, name, (uint32_t)slot);
	return elems_key(p, type, "carry", key, NFT_CARRY_KEY, NULL, echo);
}

static const struct pelem *carry_elem(const struct parsed *p, uint16_t type, const char *name,
				      int slot)
{
	uint8_t key[NFT_CARRY_KEY];

	carry_key(key, zero_salt, name, (uint32_t)slot);
	return elem_key(p, type, "carry", key, NFT_CARRY_KEY);
}

static void assert_counts(const struct pelem *e, uint64_t bytes, uint64_t pkts)
{
	assert_true(e->has_counter);
	assert_int_equal(e->bytes, bytes);
	assert_int_equal(e->pkts, pkts);
}

static void assert_counter_eq(const struct counter *c, uint64_t bytes, uint64_t pkts)
{
	assert_int_equal(c->bytes, bytes);
	assert_int_equal(c->packets, pkts);
}

/* The fixture hosts: pc (v4 + v6) and phone (v4), counters from zero. */
static void two_hosts(struct hostset *s)
{
	memset(s, 0, sizeof(*s));
	add(s, "pc", "192.168.88.101");
	add(s, "pc", "fd00::11");
	add(s, "phone", "192.168.88.102");
}

/* The same with counts as read() finds them: every value its own. */
static void two_hosts_counted(struct hostset *s)
{
	struct host *pc, *phone;

	two_hosts(s);
	pc = must_find(s, "pc");
	phone = must_find(s, "phone");
	pc->tx[FAM_V4] = (struct counter){ .bytes = 1000, .packets = 10 };
	pc->rx[FAM_V4] = (struct counter){ .bytes = 2000, .packets = 20 };
	pc->tx[FAM_V6] = (struct counter){ .bytes = 3000, .packets = 30 };
	pc->rx[FAM_V6] = (struct counter){ .bytes = 4000, .packets = 40 };
	phone->tx[FAM_V4] = (struct counter){ .bytes = 5000, .packets = 50 };
	phone->rx[FAM_V4] = (struct counter){ .bytes = 6000, .packets = 60 };
}

static void copy(struct hostset *dst, const struct hostset *src)
{
	assert_int_equal(hostset_copy(dst, src), 0);
}

/* WANT's host at ADDR renamed NAME (dnsmasq's `old` with a new name): counts kept. */
static void rename_at(struct hostset *want, const char *name, const char *addr)
{
	struct addr a = A(addr);

	assert_int_equal(hostset_upsert_ex(want, name, &a, true), 1);
	assert_int_equal(want->nrenames, 1);
}

static void carry_push(struct nft_carries *cs, const char *name, int slot, uint64_t bytes,
		       uint64_t pkts)
{
	struct nft_carry *c;

	cs->v = realloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
	assert_non_null(cs->v);
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->slot = (uint8_t)slot;
	c->c = (struct counter){ .bytes = bytes, .packets = pkts };
	cs->cap = cs->n;
}

static const struct nft_moved *moved_of(const struct nft_movedset *m, const char *from,
					const char *to, int slot)
{
	const struct nft_moved *found = NULL;

	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].from, from) && !strcmp(m->v[i].to, to) &&
		    m->v[i].slot == slot) {
			if (found)
				fail_msg("moved %s -> %s slot %d twice", from, to, slot);
			found = &m->v[i];
		}
	if (!found)
		fail_msg("moved %s -> %s slot %d missing", from, to, slot);
	return found;
}

static bool is_counter_set(const char *name)
{
	for (size_t i = 0; i < TU_ARRAY_SIZE(addr_sets); i++)
		if (!strcmp(name, addr_sets[i]))
			return true;
	return false;
}

/*
 * Every element message as nft.h says: each element in exactly one message, none empty
 * or above ELEMS_PER_MSG; keys of the set's length; additions with NLM_F_CREATE and
 * NLM_F_EXCL (an element made by hand is refused, not silently kept), a counter set's and
 * carry's with the host's name as comment and one counter expression, a host map's with
 * its address and nothing else; carry's keys of a host's slot 0..3; deletions with the
 * key alone, NLM_F_ECHO only on the counter sets (their final counters come back).
 */
static void assert_elem_msgs_sane(const struct parsed *p)
{
	for (size_t i = 1; i + 1 < p->n; i++) {
		const struct pmsg *m = &p->v[i];
		bool counter_set = is_counter_set(m->name), host_map = !strncmp(m->name, "host", 4);
		bool carry = !strcmp(m->name, "carry");
		uint32_t klen;

		if (m->type != NFT_MSG_NEWSETELEM && m->type != NFT_MSG_DELSETELEM)
			continue;
		if (!strcmp(m->name, "key")) {
			/* the host maps' hash key: one element of 16 bytes, nothing else */
			assert_int_equal(m->type, NFT_MSG_NEWSETELEM);
			assert_int_equal(m->nelems, 1);
			assert_int_equal(m->elems[0].klen, NFT_SALT);
			assert_int_equal(m->elems[0].dlen, 0);
			assert_false(m->elems[0].has_udata);
			assert_int_equal(m->elems[0].nexpr, 0);
			continue;
		}
		if (!counter_set && !host_map && !carry)
			fail_msg("message %zu: elements of unknown set %s", i, m->name);
		if (m->nelems < 1 || m->nelems > MAX_ELEMS_PER_MSG)
			fail_msg("message %zu: %zu elements of set %s", i, m->nelems, m->name);
		klen = host_map ? NFT_NAME_KEY : carry ? NFT_CARRY_KEY : m->name[2] == '4' ? 4 : 16;
		if (m->type == NFT_MSG_NEWSETELEM) {
			assert_int_equal(m->flags & (NLM_F_CREATE | NLM_F_EXCL),
					 NLM_F_CREATE | NLM_F_EXCL);
			assert_false(m->flags & NLM_F_ECHO);
		} else {
			assert_false(m->flags & (NLM_F_CREATE | NLM_F_EXCL));
			if (!counter_set)
				assert_false(m->flags & NLM_F_ECHO);
		}
		for (size_t j = 0; j < m->nelems; j++) {
			const struct pelem *e = &m->elems[j];

			assert_int_equal(e->klen, klen);
			if (carry) {
				uint32_t slot;

				/* a host's slot dir * 2 + fam, nothing else (no census) */
				memcpy(&slot, e->key + NFT_NAME_KEY, 4);
				assert_in_range(slot, 0, 3);
			}
			if (m->type == NFT_MSG_DELSETELEM) {
				assert_int_equal(e->dlen, 0);
				assert_false(e->has_udata);
				assert_int_equal(e->nexpr, 0);
			} else if (host_map) {
				/* user data only as the count of a host's addresses (> 1) */
				assert_int_equal(e->dlen, m->name[4] == '4' ? 4 : 16);
				assert_true(!e->has_udata || (e->has_comment && atoi(e->comment) > 1));
				assert_int_equal(e->nexpr, 0);
			} else {
				assert_int_equal(e->dlen, 0);
				assert_true(e->has_comment);
				assert_true(name_is_valid(e->comment));
				assert_int_equal(e->nexpr, 1);
				assert_true(e->has_counter);
			}
		}
	}
}

/* Every deletion of a host's element before every addition (a key may leave and come
 * back in one batch). */
static void assert_deletions_first(const struct parsed *p)
{
	int last_del = -1, first_new = -1;

	for (size_t i = 1; i + 1 < p->n; i++) {
		const struct pmsg *m = &p->v[i];

		if (m->type != NFT_MSG_DELSETELEM && m->type != NFT_MSG_NEWSETELEM)
			continue;
		if (!strcmp(m->name, "key"))
			continue;
		if (m->type == NFT_MSG_DELSETELEM)
			last_del = (int)i;
		else if (first_new < 0)
			first_new = (int)i;
	}
	if (last_del > 0 && first_new > 0)
		assert_true(last_del < first_new);
}

/* ---- names ---- */

/* Host map keys: SipHash-2-4 under the table's key (the reference vector for an empty
 * message), little-endian; another table's key gives another hash. */
static void test_name_key(void **state)
{
	uint8_t salt[NFT_SALT], key[NFT_NAME_KEY], other[NFT_NAME_KEY];
	static const uint8_t want[NFT_NAME_KEY] = { 0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72 };

	(void)state;
	for (int i = 0; i < NFT_SALT; i++)
		salt[i] = (uint8_t)i;
	nft_name_key(key, salt, "");
	assert_memory_equal(key, want, sizeof(want));
	nft_name_key(key, salt, "pc");
	salt[0] ^= 1;
	nft_name_key(other, salt, "pc");
	assert_memory_not_equal(key, other, sizeof(key));
	nft_name_key(other, salt, "pd");
	nft_name_key(key, salt, "pc");
	assert_memory_not_equal(key, other, sizeof(key));
}

/* Set names; iptmon 0.1's counter object names (still read, to rebuild its tables). */
static void test_names(void **state)
{
	char buf[OBJNAME_SIZE];

	nft_counter_name(buf, sizeof(buf), TX, FAM_V4, "pc");
	assert_string_equal(buf, "tx4_pc");
	nft_counter_name(buf, sizeof(buf), RX, FAM_V6, "pc");
	assert_string_equal(buf, "rx6_pc");
	nft_counter_name(buf, sizeof(buf), RX, FAM_V4, "phone");
	assert_string_equal(buf, "rx4_phone");
	nft_counter_name(buf, sizeof(buf), TX, FAM_V6, "a.b-c:d_e");
	/* nft -f takes no ':' in an object name: a saved ruleset must load */
	assert_string_equal(buf, "tx6_a.b-c/d_e");
	/* a short buffer is cut, never overrun */
	memset(buf, 'Z', sizeof(buf));
	nft_counter_name(buf, 5, TX, FAM_V4, "pc");
	assert_string_equal(buf, "tx4_");
	assert_int_equal(buf[5], 'Z');

	assert_string_equal(nft_map_name(TX, FAM_V4), "tx4");
	assert_string_equal(nft_map_name(RX, FAM_V4), "rx4");
	assert_string_equal(nft_map_name(TX, FAM_V6), "tx6");
	assert_string_equal(nft_map_name(RX, FAM_V6), "rx6");
}

/* The longest name, and one with ':', go whole into the elements' comments. */
static void test_long_name_round_trip(void **state)
{
	struct nft_base base = complete();
	char host[NAME_SIZE], name[NAME_SIZE + 8];
	struct hostset want = { 0 };
	struct parsed p;

	memset(host, 'h', NAME_MAX_LEN);
	host[NAME_MAX_LEN] = '\0';
	assert_true(name_is_valid(host));
	nft_counter_name(name, sizeof(name), RX, FAM_V6, host);
	assert_int_equal(strlen(name), 67);
	assert_memory_equal(name, "rx6_", 4);
	assert_string_equal(name + 4, host);

	add(&want, host, "192.168.88.101");
	add(&want, host, "fd00::11");
	add(&want, "a.b-c:d_e", "192.168.88.102");
	commit(&p, &base, NULL, &want);
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < FAM_COUNT; f++)
			assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, nft_map_name(d, f),
						  f == FAM_V4 ? "192.168.88.101" : "fd00::11", host,
						  ANY),
					 1);
	assert_int_equal(strlen(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.101")->comment),
			 NAME_MAX_LEN);
	/* a comment is no object name: ':' stays ':' */
	assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.102", "a.b-c:d_e",
				  ANY),
			 1);
	/* the host maps' key holds the whole name */
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, host, "192.168.88.101"), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, host, "fd00::11"), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "a.b-c:d_e", "192.168.88.102"),
			 1);
	parsed_free(&p);
	hostset_free(&want);
}

/* ---- commit: the base ---- */

static void assert_rule(const struct pmsg *m, int dir, int fam)
{
	static const uint32_t off[2][FAM_COUNT] = { { 16, 24 }, { 12, 8 } };

	assert_string_equal(m->name, NFT_CHAIN);
	assert_false(m->has_handle);
	/* no counter of the rule's own: the lookup bumps the element's */
	assert_int_equal(m->nexpr, 4);
	assert_string_equal(m->expr[0], "meta");
	assert_string_equal(m->expr[1], "cmp");
	assert_string_equal(m->expr[2], "payload");
	assert_string_equal(m->expr[3], "lookup");
	assert_int_equal(m->meta_key, NFT_META_NFPROTO);
	/* one register carries the value from each expression to the next */
	assert_int_equal(m->cmp_sreg, m->meta_dreg);
	assert_int_equal(m->pl_dreg, m->meta_dreg);
	assert_int_equal(m->lookup_sreg, m->pl_dreg);
	assert_int_equal(m->cmp_op, NFT_CMP_EQ);
	assert_int_equal(m->cmp_len, 1);
	assert_int_equal(m->cmp_data, fam == FAM_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	assert_int_equal(m->pl_base, NFT_PAYLOAD_NETWORK_HEADER);
	assert_int_equal(m->pl_off, off[dir][fam]);
	assert_int_equal(m->pl_len, fam == FAM_V4 ? 4 : 16);
	/* a plain membership test: no map (no data register), not inverted */
	assert_string_equal(m->lookup_set, nft_map_name(dir, fam));
	assert_int_equal(m->lookup_set_id, SLOT(dir, fam) + 1);
	assert_false(m->lookup_has_dreg);
	assert_int_equal(m->lookup_flags, 0);
}

/*
 * The base objects of a whole build, after a DELTABLE when the table was there (DELTABLE
 * is then the first message): table, chain, the seven sets, set "key", four rules. Checks
 * every property of each and returns the index of the last rule.
 */
static int assert_base_built(const struct parsed *p, bool deltable)
{
	bool seen_rule[2][FAM_COUNT] = { { false } };
	int i, t = deltable ? 2 : 1;

	assert_int_equal(count(p, NFT_MSG_DELTABLE), deltable ? 1 : 0);
	if (deltable)
		assert_int_equal(first_of(p, NFT_MSG_DELTABLE, NFT_TABLE), 1);
	assert_int_equal(count(p, NFT_MSG_NEWTABLE), 1);
	assert_int_equal(first_of(p, NFT_MSG_NEWTABLE, NFT_TABLE), t);

	/* chain */
	assert_int_equal(count(p, NFT_MSG_NEWCHAIN), 1);
	i = first_of(p, NFT_MSG_NEWCHAIN, NFT_CHAIN);
	assert_true(i > t);
	assert_true(p->v[i].has_hook);
	assert_int_equal(p->v[i].hooknum, NF_INET_FORWARD);
	assert_int_equal(p->v[i].prio, -150);
	assert_string_equal(p->v[i].ctype, "filter");
	assert_int_equal(p->v[i].policy, NF_ACCEPT);

	/* no set has a size, nor any description (a size preallocates the hash buckets) */
	assert_int_equal(count(p, NFT_MSG_NEWSET), NFT_SETS + 1);
	for (size_t k = 1; k + 1 < p->n; k++) {
		const struct pmsg *m = &p->v[k];

		if (m->type != NFT_MSG_NEWSET)
			continue;
		assert_true((int)k > t);
		assert_false(m->has_desc_size);
		assert_false(m->has_desc);
		assert_false(m->set_flags & (NFT_SET_OBJECT | NFT_SET_TIMEOUT | NFT_SET_EVAL));
		assert_false(m->has_obj_type);
		assert_true(m->flags & NLM_F_CREATE);
	}
	/* the counter sets: an address with a counter per element; ids 1..4 for the rules */
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < FAM_COUNT; f++) {
			const char *set = nft_map_name(d, f);

			assert_int_equal(count_named(p, NFT_MSG_NEWSET, set), 1);
			i = first_of(p, NFT_MSG_NEWSET, set);
			assert_int_equal(p->v[i].key_len, f == FAM_V4 ? 4 : 16);
			assert_int_equal(p->v[i].key_type,
					 f == FAM_V4 ? TYPE_IPADDR : TYPE_IP6ADDR);
			assert_int_equal(p->v[i].set_flags, 0);
			assert_false(p->v[i].has_data);
			assert_int_equal(p->v[i].set_nexpr, 1);
			assert_string_equal(p->v[i].set_expr[0], "counter");
			assert_int_equal(p->v[i].set_id, SLOT(d, f) + 1);
		}
	/* the host maps: name hash -> address */
	for (int f = 0; f < FAM_COUNT; f++) {
		assert_int_equal(count_named(p, NFT_MSG_NEWSET, host_maps[f]), 1);
		i = first_of(p, NFT_MSG_NEWSET, host_maps[f]);
		assert_int_equal(p->v[i].set_flags, NFT_SET_MAP);
		assert_int_equal(p->v[i].key_type, MARK2);
		assert_int_equal(p->v[i].key_len, NFT_NAME_KEY);
		assert_true(p->v[i].has_data);
		assert_int_equal(p->v[i].data_type, f == FAM_V4 ? TYPE_IPADDR : TYPE_IP6ADDR);
		assert_int_equal(p->v[i].data_len, f == FAM_V4 ? 4 : 16);
		assert_int_equal(p->v[i].set_nexpr, 0);
	}
	/* set carry: name hash . slot, a counter per element */
	assert_int_equal(count_named(p, NFT_MSG_NEWSET, "carry"), 1);
	i = first_of(p, NFT_MSG_NEWSET, "carry");
	assert_int_equal(p->v[i].key_type, MARK2 << 6 | TYPE_MARK);
	assert_int_equal(p->v[i].key_len, NFT_CARRY_KEY);
	assert_int_equal(p->v[i].set_flags, 0);
	assert_false(p->v[i].has_data);
	assert_int_equal(p->v[i].set_nexpr, 1);
	assert_string_equal(p->v[i].set_expr[0], "counter");
	/* the host maps' hash key: set "key" (mark . mark . mark . mark) */
	assert_int_equal(count_named(p, NFT_MSG_NEWSET, "key"), 1);
	i = first_of(p, NFT_MSG_NEWSET, "key");
	assert_int_equal(p->v[i].key_type, (MARK2 << 6 | TYPE_MARK) << 6 | TYPE_MARK);
	assert_int_equal(p->v[i].key_len, NFT_SALT);
	assert_false(p->v[i].has_data);
	assert_int_equal(p->v[i].set_nexpr, 0);

	/* rules: after the chain and the sets they name, one per direction and family */
	assert_int_equal(count(p, NFT_MSG_NEWRULE), 4);
	for (size_t k = 1; k + 1 < p->n; k++) {
		const struct pmsg *m = &p->v[k];
		int dir = -1, fam = -1;

		if (m->type != NFT_MSG_NEWRULE)
			continue;
		assert_true(m->flags & NLM_F_APPEND);
		assert_true((int)k > first_of(p, NFT_MSG_NEWCHAIN, NULL));
		assert_true((int)k > last_of(p, NFT_MSG_NEWSET, NULL));
		for (int d = 0; d < 2; d++)
			for (int f = 0; f < FAM_COUNT; f++)
				if (!strcmp(m->lookup_set, nft_map_name(d, f))) {
					dir = d;
					fam = f;
				}
		assert_true(dir >= 0);
		assert_false(seen_rule[dir][fam]);
		seen_rule[dir][fam] = true;
		assert_rule(m, dir, fam);
	}
	/* every element after every set and rule */
	assert_true(first_of(p, NFT_MSG_NEWSETELEM, NULL) > last_of(p, NFT_MSG_NEWRULE, NULL));
	assert_int_equal(count(p, NFT_MSG_DELSETELEM), 0);
	return last_of(p, NFT_MSG_NEWRULE, NULL);
}

/* The hash key's element: SALT, the last message of the batch. */
static void assert_salt_elem(const struct parsed *p, const uint8_t *salt)
{
	const struct pmsg *m = &p->v[p->n - 2];

	assert_int_equal(m->type, NFT_MSG_NEWSETELEM);
	assert_string_equal(m->name, "key");
	assert_int_equal(m->nelems, 1);
	assert_memory_equal(m->elems[0].key, salt, NFT_SALT);
	assert_int_equal(count_named(p, NFT_MSG_NEWSETELEM, "key"), 1);
}

/* Two counted hosts' elements from their counts: exactly these, nothing else. */
static void assert_two_hosts_added(const struct parsed *p, const uint8_t *salt)
{
	assert_int_equal(elems_of(p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.101", "pc", ANY), 1);
	assert_counts(elem_of(p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.101"), 1000, 10);
	assert_counts(elem_of(p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.101"), 2000, 20);
	assert_counts(elem_of(p, NFT_MSG_NEWSETELEM, "tx6", "fd00::11"), 3000, 30);
	assert_counts(elem_of(p, NFT_MSG_NEWSETELEM, "rx6", "fd00::11"), 4000, 40);
	assert_counts(elem_of(p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.102"), 5000, 50);
	assert_counts(elem_of(p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.102"), 6000, 60);
	assert_int_equal(elems_of(p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.101", "pc", ANY), 1);
	assert_int_equal(elems_of(p, NFT_MSG_NEWSETELEM, "tx6", "fd00::11", "pc", ANY), 1);
	assert_int_equal(elems_of(p, NFT_MSG_NEWSETELEM, "rx6", "fd00::11", "pc", ANY), 1);
	assert_int_equal(elems_of(p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.102", "phone", ANY), 1);
	assert_int_equal(elems_of(p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.102", "phone", ANY), 1);
	assert_int_equal(host_elems_salt(p, NFT_MSG_NEWSETELEM, salt, 0, "pc", "192.168.88.101"),
			 1);
	assert_int_equal(host_elems_salt(p, NFT_MSG_NEWSETELEM, salt, 0, "pc", "fd00::11"), 1);
	assert_int_equal(host_elems_salt(p, NFT_MSG_NEWSETELEM, salt, 0, "phone", "192.168.88.102"),
			 1);
	assert_int_equal(elems_total(p, NFT_MSG_NEWSETELEM, "tx4"), 2);
	assert_int_equal(elems_total(p, NFT_MSG_NEWSETELEM, "rx4"), 2);
	assert_int_equal(elems_total(p, NFT_MSG_NEWSETELEM, "tx6"), 1);
	assert_int_equal(elems_total(p, NFT_MSG_NEWSETELEM, "rx6"), 1);
	assert_int_equal(elems_total(p, NFT_MSG_NEWSETELEM, "host4"), 2);
	assert_int_equal(elems_total(p, NFT_MSG_NEWSETELEM, "host6"), 1);
}

static void test_commit_empty_base(void **state)
{
	struct nft_base base = { 0 };
	struct hostset old = { 0 }, want;
	struct parsed p;
	size_t nmsgs;

	two_hosts_counted(&want);
	commit(&p, &base, &old, &want);
	assert_base_built(&p, false);
	/* the hosts' elements, each starting from its host's counts */
	assert_two_hosts_added(&p, zero_salt);
	/* phone has no IPv6 address and no IPv6 counts: no carry, nor anything else there */
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 0);
	assert_salt_elem(&p, zero_salt);
	/* one message per set with elements (tx4 tx6 rx4 rx6 host4 host6) and nothing else */
	nmsgs = 2 + 1 + 1 + NFT_SETS + 1 + 4 + 6 + 1;
	assert_int_equal(p.n, nmsgs);
	parsed_free(&p);

	/* no `old` at all is the same as an empty one */
	commit(&p, &base, NULL, &want);
	assert_int_equal(p.n, nmsgs);
	assert_two_hosts_added(&p, zero_salt);
	parsed_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* A complete base: element changes only. */
static void test_commit_complete_base(void **state)
{
	struct nft_base base = complete();
	struct hostset old = { 0 }, want;
	struct parsed p;

	two_hosts_counted(&want);
	commit(&p, &base, &old, &want);
	assert_int_equal(count(&p, NFT_MSG_NEWTABLE) + count(&p, NFT_MSG_DELTABLE), 0);
	assert_int_equal(count(&p, NFT_MSG_NEWCHAIN), 0);
	assert_int_equal(count(&p, NFT_MSG_NEWSET), 0);
	assert_int_equal(count(&p, NFT_MSG_NEWRULE), 0);
	assert_two_hosts_added(&p, zero_salt);
	/* nothing deleted, nothing carried; the hash key stays */
	assert_int_equal(count(&p, NFT_MSG_DELSETELEM), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 0);
	assert_int_equal(count_named(&p, NFT_MSG_NEWSETELEM, "key"), 0);
	/* tx4 tx6 rx4 rx6 host4 host6 */
	assert_int_equal(p.n, 2 + 6);
	parsed_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/*
 * Anything missing or old in the base: the table made again whole in one transaction,
 * DELTABLE first when there is one, every host of WANT from its counts (the hosts gone go
 * with the old table, and pc's carry read from it: pc has an IPv4 address, its elements
 * start from its whole count), the hash key last. Nothing deleted element by element.
 */
static void check_rebuild(const struct nft_base *base, const char *what)
{
	struct hostset old, want;
	struct parsed p;
	struct nft_movedset moved = { 0 };
	struct nft_carries carries = { 0 };

	print_message("rebuild: %s\n", what);
	two_hosts_counted(&old);
	add(&old, "tv", "192.168.88.120"); /* gone */
	two_hosts_counted(&want);
	carry_push(&carries, "pc", SLOT(TX, FAM_V4), 100, 1);
	commit_ex(&p, base, &old, &want, &carries, &moved);
	assert_base_built(&p, base->table);
	assert_two_hosts_added(&p, base->salt);
	assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.120", NULL, ANY), 0);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "pc", SLOT(TX, FAM_V4), ANY), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 0);
	assert_salt_elem(&p, base->salt);
	/* one element message per set but carry, which gets none */
	assert_int_equal(p.n, (base->table ? 1 : 0) + 2 + 1 + 1 + NFT_SETS + 1 + 4 + 6 + 1);
	/* nothing moves between hosts: the old elements go with the table */
	assert_int_equal(moved.n, 0);
	parsed_free(&p);
	free(moved.v);
	free(carries.v);
	hostset_free(&old);
	hostset_free(&want);
}

static void test_commit_rebuild(void **state)
{
	static const unsigned int damaged[] = { 0, 1, 2, 3, 5, 8 };
	struct nft_base base;
	char what[64];

	for (size_t k = 0; k < TU_ARRAY_SIZE(damaged); k++) {
		base = complete();
		base.rules = damaged[k];
		snprintf(what, sizeof(what), "%u rules", damaged[k]);
		check_rebuild(&base, what);
	}
	for (int i = 0; i < NFT_SETS; i++) {
		base = complete();
		base.sets[i] = false;
		snprintf(what, sizeof(what), "set %s missing", all_sets[i]);
		check_rebuild(&base, what);
	}
	base = complete();
	base.chain = false;
	base.rules = 0;
	check_rebuild(&base, "no chain");
	/* iptmon 0.1's table: counter objects and maps of addresses to them */
	base = complete();
	base.old_layout = true;
	check_rebuild(&base, "iptmon 0.1");
	/* a table without its hash key: a new key, and the host maps refilled under it */
	base = complete();
	base.salted = false;
	for (int i = 0; i < NFT_SALT; i++)
		base.salt[i] = (uint8_t)(0xa0 + i);
	check_rebuild(&base, "no hash key");
	/* nothing at all: no DELTABLE */
	memset(&base, 0, sizeof(base));
	check_rebuild(&base, "no table");
}

/*
 * iptmon 0.1's table (read from its counter objects): rebuilt, DELTABLE first, every host's
 * counts kept, those of a family a host has no address in kept in set carry.
 */
static void test_commit_old_layout(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct parsed p;

	base.old_layout = true;
	two_hosts_counted(&old);
	/* phone's IPv6 counters of 0.1 count on, though it has no IPv6 address now */
	must_find(&old, "phone")->tx[FAM_V6] = (struct counter){ .bytes = 700, .packets = 7 };
	must_find(&old, "phone")->rx[FAM_V6] = (struct counter){ .bytes = 800, .packets = 8 };
	copy(&want, &old);
	commit(&p, &base, &old, &want);
	assert_int_equal(p.v[1].type, NFT_MSG_DELTABLE);
	assert_base_built(&p, true);
	assert_two_hosts_added(&p, zero_salt);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "phone", SLOT(TX, FAM_V6), ANY), 1);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "phone", SLOT(TX, FAM_V6)), 700, 7);
	assert_string_equal(carry_elem(&p, NFT_MSG_NEWSETELEM, "phone", SLOT(TX, FAM_V6))->comment,
			    "phone");
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "phone", SLOT(RX, FAM_V6)), 800, 8);
	/* pc has addresses of both families: no carry */
	for (int s = 0; s < 4; s++)
		assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "pc", s, ANY), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 2);
	parsed_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* No change to make: an empty batch. */
static void test_commit_unchanged(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct parsed p;

	two_hosts(&old);
	two_hosts_counted(&want);
	/* counters read from the kernel differ: still nothing to send */
	commit(&p, &base, &old, &want);
	assert_int_equal(p.n, 2);
	parsed_free(&p);
	/* the same set on both sides */
	commit(&p, &base, &want, &want);
	assert_int_equal(p.n, 2);
	parsed_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* ---- commit: hosts ---- */

/*
 * pc's IPv4 address changes: its v4 elements deleted with NLM_F_ECHO (the kernel answers
 * with their final counters), the new ones from pc's counts, with its name; the host map
 * entry replaced; nothing else moves.
 */
static void test_commit_address_change(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct parsed p;
	const struct nft_moved *mv;

	two_hosts_counted(&old);
	copy(&want, &old);
	add(&want, "pc", "192.168.88.103");
	assert_int_equal(must_find(&want, "pc")->naddrs, 2);
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_deletions_first(&p);

	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "tx4", "192.168.88.101", NULL, 1), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx4", "192.168.88.101", NULL, 1), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.103", "pc", ANY), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.103", "pc", ANY), 1);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.103"), 1000, 10);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.103"), 2000, 20);
	/* the host map: pc's v4 entry replaced */
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "pc", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "pc", "192.168.88.103"), 1);
	/* nothing else moves: not the v6, not phone, no carry */
	for (size_t m = 0; m < TU_ARRAY_SIZE(addr_sets); m++) {
		bool v4 = addr_sets[m][2] == '4';

		assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, addr_sets[m]), v4 ? 1 : 0);
		assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, addr_sets[m]), v4 ? 1 : 0);
	}
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host4"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "host4"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host6"), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "host6"), 0);
	assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, "carry") +
				 count_named(&p, NFT_MSG_NEWSETELEM, "carry"),
			 0);
	assert_int_equal(p.n, 2 + 3 + 3);
	/* what the kernel's echo is matched against: pc's v4 counts, going on in pc */
	assert_int_equal(moved.n, 2);
	mv = moved_of(&moved, "pc", "pc", SLOT(TX, FAM_V4));
	assert_counter_eq(&mv->read, 1000, 10);
	assert_counter_eq(&mv->echoed, 0, 0);
	assert_counter_eq(&mv->carry, 0, 0);
	mv = moved_of(&moved, "pc", "pc", SLOT(RX, FAM_V4));
	assert_counter_eq(&mv->read, 2000, 20);
	assert_counter_eq(&mv->carry, 0, 0);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&want);

	/* with a carry read for pc's tx4: it goes, folded into the new element's count */
	{
		struct nft_carries carries = { 0 };

		memset(&moved, 0, sizeof(moved));
		must_find(&old, "pc")->tx[FAM_V4] = (struct counter){ 1100, 11 };
		carry_push(&carries, "pc", SLOT(TX, FAM_V4), 100, 1);
		copy(&want, &old);
		add(&want, "pc", "192.168.88.103");
		commit_ex(&p, &base, &old, &want, &carries, &moved);
		assert_deletions_first(&p);
		assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "pc", SLOT(TX, FAM_V4), 0),
				 1);
		assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
		assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 0);
		assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.103"), 1100, 11);
		/* the elements held the count less the carry */
		assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(TX, FAM_V4))->read, 1000, 10);
		assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(RX, FAM_V4))->read, 2000, 20);
		parsed_free(&p);
		free(moved.v);
		free(carries.v);
		hostset_free(&want);
	}
	hostset_free(&old);
}

/*
 * A rename (dnsmasq's `old` with a new name): the old name's elements deleted with
 * NLM_F_ECHO, once; the same addresses added back under the new name with the same counts.
 */
static void test_commit_rename(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct nft_carries carries = { 0 };
	struct parsed p;
	const struct nft_moved *mv;

	two_hosts_counted(&old);
	copy(&want, &old);
	rename_at(&want, "laptop", "192.168.88.102");
	assert_null(hostset_find(&want, "phone"));
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_deletions_first(&p);

	for (int d = 0; d < 2; d++) {
		const char *set = nft_map_name(d, FAM_V4);

		/* deleted once, with echo: never also as a host gone */
		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.102", NULL, 1),
				 1);
		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.102", NULL, 0),
				 0);
		assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, set, "192.168.88.102", "laptop",
					  ANY),
				 1);
		assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, set), 1);
		assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, set), 1);
	}
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.102"), 5000, 50);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.102"), 6000, 60);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "phone", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "laptop", "192.168.88.102"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host4"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "host4"), 1);
	/* pc untouched; nothing carried */
	for (size_t m = 0; m < TU_ARRAY_SIZE(addr_sets); m++)
		if (addr_sets[m][2] == '6')
			assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, addr_sets[m]) +
						 elems_total(&p, NFT_MSG_NEWSETELEM, addr_sets[m]),
					 0);
	assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, "carry") +
				 count_named(&p, NFT_MSG_NEWSETELEM, "carry"),
			 0);
	assert_int_equal(moved.n, 2);
	mv = moved_of(&moved, "phone", "laptop", SLOT(TX, FAM_V4));
	assert_counter_eq(&mv->read, 5000, 50);
	assert_counter_eq(&mv->carry, 0, 0);
	mv = moved_of(&moved, "phone", "laptop", SLOT(RX, FAM_V4));
	assert_counter_eq(&mv->read, 6000, 60);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&want);

	/* phone with IPv6 counts but no IPv6 address (a carry): the carry goes under the new
	 * name too, with no echo to wait for (no packet bumps a carry element) */
	memset(&moved, 0, sizeof(moved));
	must_find(&old, "phone")->tx[FAM_V6] = (struct counter){ .bytes = 700, .packets = 7 };
	carry_push(&carries, "phone", SLOT(TX, FAM_V6), 700, 7);
	copy(&want, &old);
	rename_at(&want, "laptop", "192.168.88.102");
	commit_ex(&p, &base, &old, &want, &carries, &moved);
	assert_deletions_first(&p);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "phone", SLOT(TX, FAM_V6), 0), 1);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "laptop", SLOT(TX, FAM_V6)), 700, 7);
	assert_string_equal(carry_elem(&p, NFT_MSG_NEWSETELEM, "laptop", SLOT(TX, FAM_V6))->comment,
			    "laptop");
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 1);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.102"), 5000, 50);
	assert_int_equal(moved.n, 2); /* the v4 slots only */
	assert_counter_eq(&moved_of(&moved, "phone", "laptop", SLOT(TX, FAM_V4))->carry, 0, 0);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&want);
	must_find(&old, "phone")->tx[FAM_V6] = (struct counter){ 0 };
	carries.n = 0;

	/* pc (both families, a carry in tx6) renamed desktop */
	memset(&moved, 0, sizeof(moved));
	carry_push(&carries, "pc", SLOT(TX, FAM_V6), 300, 3);
	copy(&want, &old);
	rename_at(&want, "desktop", "fd00::11");
	commit_ex(&p, &base, &old, &want, &carries, &moved);
	assert_deletions_first(&p);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "tx4", "192.168.88.101", NULL, 1), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx6", "fd00::11", NULL, 1), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, "tx6", "fd00::11", "desktop", ANY), 1);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.101"), 1000, 10);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.101"), 2000, 20);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx6", "fd00::11"), 3000, 30);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx6", "fd00::11"), 4000, 40);
	assert_string_equal(elem_of(&p, NFT_MSG_NEWSETELEM, "rx6", "fd00::11")->comment, "desktop");
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "pc", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V6, "pc", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "desktop", "192.168.88.101"), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "desktop", "fd00::11"), 1);
	/* pc's carry goes (without echo: set carry is no counter set); desktop's elements
	 * hold it now */
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "pc", SLOT(TX, FAM_V6), 0), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 0);
	assert_int_equal(moved.n, 4);
	assert_counter_eq(&moved_of(&moved, "pc", "desktop", SLOT(TX, FAM_V4))->read, 1000, 10);
	assert_counter_eq(&moved_of(&moved, "pc", "desktop", SLOT(RX, FAM_V4))->read, 2000, 20);
	assert_counter_eq(&moved_of(&moved, "pc", "desktop", SLOT(TX, FAM_V6))->read, 2700, 27);
	assert_counter_eq(&moved_of(&moved, "pc", "desktop", SLOT(RX, FAM_V6))->read, 4000, 40);
	parsed_free(&p);
	free(moved.v);
	free(carries.v);
	hostset_free(&old);
	hostset_free(&want);
}

/*
 * pc loses its only IPv6 address and keeps its IPv4 one: its v6 elements deleted with
 * echo, its v6 counts kept in set carry (what the echo adds on top goes there too).
 */
static void test_commit_lose_family(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct parsed p;
	struct addr v6 = A("fd00::11");
	const struct pelem *e;

	two_hosts_counted(&old);
	copy(&want, &old);
	assert_int_equal(hostset_del_addr(&want, &v6), 1);
	assert_int_equal(must_find(&want, "pc")->naddrs, 1);
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_deletions_first(&p);

	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "tx6", "fd00::11", NULL, 1), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx6", "fd00::11", NULL, 1), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V6, "pc", NULL), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "tx6") +
				 elems_total(&p, NFT_MSG_NEWSETELEM, "rx6") +
				 elems_total(&p, NFT_MSG_NEWSETELEM, "host6"),
			 0);
	e = carry_elem(&p, NFT_MSG_NEWSETELEM, "pc", SLOT(TX, FAM_V6));
	assert_counts(e, 3000, 30);
	assert_string_equal(e->comment, "pc");
	e = carry_elem(&p, NFT_MSG_NEWSETELEM, "pc", SLOT(RX, FAM_V6));
	assert_counts(e, 4000, 40);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 2);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 0);
	/* the v4 side untouched */
	for (size_t m = 0; m < TU_ARRAY_SIZE(addr_sets); m++)
		if (addr_sets[m][2] == '4')
			assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, addr_sets[m]) +
						 elems_total(&p, NFT_MSG_NEWSETELEM, addr_sets[m]),
					 0);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host4") +
				 elems_total(&p, NFT_MSG_NEWSETELEM, "host4"),
			 0);
	assert_int_equal(moved.n, 2);
	assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(TX, FAM_V6))->read, 3000, 30);
	assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(TX, FAM_V6))->carry, 3000, 30);
	assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(RX, FAM_V6))->carry, 4000, 40);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&want);

	/* nothing received over IPv6: one carry element only */
	memset(&moved, 0, sizeof(moved));
	must_find(&old, "pc")->rx[FAM_V6] = (struct counter){ 0 };
	copy(&want, &old);
	assert_int_equal(hostset_del_addr(&want, &v6), 1);
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "pc", SLOT(TX, FAM_V6), ANY), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 1);
	assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(RX, FAM_V6))->carry, 0, 0);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&old);
	hostset_free(&want);
}

/*
 * phone, counted in set carry for IPv6 (it had an address once), gets one again: the carry
 * goes and the new elements start from phone's whole count; nothing was echoed, so nothing
 * is to be made up.
 */
static void test_commit_regain_family(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct nft_carries carries = { 0 };
	struct parsed p;

	two_hosts_counted(&old);
	must_find(&old, "phone")->tx[FAM_V6] = (struct counter){ .bytes = 700, .packets = 7 };
	carry_push(&carries, "phone", SLOT(TX, FAM_V6), 700, 7);
	copy(&want, &old);
	add(&want, "phone", "fd00::12");
	commit_ex(&p, &base, &old, &want, &carries, &moved);
	assert_deletions_first(&p);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "phone", SLOT(TX, FAM_V6), 0), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 0);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx6", "fd00::12"), 700, 7);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx6", "fd00::12"), 0, 0);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "phone", "fd00::12"), 1);
	/* no counter set element deleted, the v4 side untouched */
	for (size_t m = 0; m < TU_ARRAY_SIZE(addr_sets); m++)
		assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, addr_sets[m]), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "tx4") +
				 elems_total(&p, NFT_MSG_NEWSETELEM, "host4"),
			 0);
	assert_int_equal(moved.n, 0);
	assert_int_equal(p.n, 2 + 1 + 3);
	parsed_free(&p);
	free(carries.v);
	hostset_free(&old);
	hostset_free(&want);
}

/* An address passes from phone to pc (both stay): each one's v4 elements made again from
 * its own counts, the address deleted once (with echo) before it is added under pc. */
static void test_commit_address_moves(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct parsed p;

	two_hosts_counted(&old);
	copy(&want, &old);
	add(&want, "phone", "192.168.88.103"); /* first: a host left without address goes */
	add(&want, "pc", "192.168.88.102");
	assert_int_equal(want.n, 2);
	assert_int_equal(must_find(&want, "phone")->tx[FAM_V4].bytes, 5000);
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_deletions_first(&p);
	for (int d = 0; d < 2; d++) {
		const char *set = nft_map_name(d, FAM_V4);

		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.101", NULL, 1),
				 1);
		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.102", NULL, 1),
				 1);
		assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, set), 2);
		assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, set, "192.168.88.102", "pc", ANY),
				 1);
		assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, set, "192.168.88.103", "phone",
					  ANY),
				 1);
		assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, set), 2);
	}
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.102"), 1000, 10);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.103"), 5000, 50);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "pc", "192.168.88.102"), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "phone", "192.168.88.103"), 1);
	assert_int_equal(moved.n, 4);
	assert_counter_eq(&moved_of(&moved, "pc", "pc", SLOT(TX, FAM_V4))->read, 1000, 10);
	assert_counter_eq(&moved_of(&moved, "phone", "phone", SLOT(RX, FAM_V4))->read, 6000, 60);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&old);
	hostset_free(&want);
}

/* Hosts gone: every element of theirs deleted, without echo (nobody counts on); a carry of
 * theirs too; nothing added. */
static void test_commit_host_removed(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want = { 0 };
	struct nft_movedset moved = { 0 };
	struct nft_carries carries = { 0 };
	struct parsed p;

	two_hosts_counted(&old);
	add(&old, "phone", "fd00::12"); /* phone with both families */
	add(&old, "tv", "192.168.88.120");
	must_find(&old, "tv")->tx[FAM_V6] = (struct counter){ .bytes = 700, .packets = 7 };
	carry_push(&carries, "tv", SLOT(TX, FAM_V6), 700, 7);
	add(&want, "pc", "192.168.88.101");
	add(&want, "pc", "fd00::11");
	commit_ex(&p, &base, &old, &want, &carries, &moved);

	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "tx4", "192.168.88.102", NULL, 0), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx4", "192.168.88.102", NULL, 0), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "tx6", "fd00::12", NULL, 0), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx6", "fd00::12", NULL, 0), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "tx4", "192.168.88.120", NULL, 0), 1);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx4", "192.168.88.120", NULL, 0), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "phone", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V6, "phone", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "tv", NULL), 1);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "tv", SLOT(TX, FAM_V6), 0), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "tx4"), 2);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "rx4"), 2);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "tx6"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "rx6"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host4"), 2);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host6"), 1);
	for (size_t i = 1; i + 1 < p.n; i++)
		assert_false(p.v[i].flags & NLM_F_ECHO);
	/* nothing added: one deletion per set, tv's carry the only one of set carry */
	assert_int_equal(count(&p, NFT_MSG_NEWSETELEM), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
	for (int i = 0; i < NFT_SETS; i++)
		assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, all_sets[i]), 1);
	assert_int_equal(p.n, 2 + NFT_SETS);
	assert_int_equal(moved.n, 0);
	assert_deletions_first(&p);
	parsed_free(&p);
	free(carries.v);
	hostset_free(&old);
	hostset_free(&want);
}

/* A host gone and a rename in one batch: each deleted once, only the rename echoed. */
static void test_commit_gone_and_rename(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct parsed p;
	int last_plain = -1, first_echo = -1;

	two_hosts_counted(&old);
	add(&old, "tv", "192.168.88.120");
	copy(&want, &old);
	hostset_remove_at(&want, (size_t)(must_find(&want, "tv") - want.v));
	rename_at(&want, "laptop", "192.168.88.102");
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_deletions_first(&p);
	for (int d = 0; d < 2; d++) {
		const char *set = nft_map_name(d, FAM_V4);

		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.120", NULL, 0),
				 1);
		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.120", NULL, 1),
				 0);
		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.102", NULL, 1),
				 1);
		assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, set, "192.168.88.102", NULL, 0),
				 0);
		assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, set), 2);
		assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, set), 1);
	}
	/* a message's elements share its flags: the plain ones in messages of their own */
	for (size_t i = 1; i + 1 < p.n; i++) {
		if (p.v[i].type != NFT_MSG_DELSETELEM || !is_counter_set(p.v[i].name))
			continue;
		if (p.v[i].flags & NLM_F_ECHO) {
			if (first_echo < 0)
				first_echo = (int)i;
		} else {
			last_plain = (int)i;
		}
	}
	assert_true(last_plain > 0 && first_echo > 0);
	/* tx4 rx4 plain, tx4 rx4 echoed, host4; nothing of set carry */
	assert_int_equal(count(&p, NFT_MSG_DELSETELEM) -
				 count_named(&p, NFT_MSG_DELSETELEM, "host4"),
			 4);
	assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, "carry") +
				 count_named(&p, NFT_MSG_NEWSETELEM, "carry"),
			 0);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "tv", NULL), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "phone", NULL), 1);
	/* only the rename goes on: tv is no source of anything */
	assert_int_equal(moved.n, 2);
	for (size_t i = 0; i < moved.n; i++) {
		assert_string_equal(moved.v[i].from, "phone");
		assert_string_equal(moved.v[i].to, "laptop");
	}
	parsed_free(&p);
	free(moved.v);
	hostset_free(&old);
	hostset_free(&want);
}

/*
 * New hosts: elements from their counts (zero for a host never seen; restored counts, say
 * after `iptmon flush` and a state file, for another), counts of a family without an
 * address in set carry, nothing for a family without address or counts.
 */
static void test_commit_new_hosts(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct parsed p;
	struct host *nas;

	two_hosts_counted(&old);
	copy(&want, &old);
	add(&want, "tv", "192.168.88.120");
	add(&want, "nas", "192.168.88.130");
	nas = must_find(&want, "nas");
	nas->tx[FAM_V4] = (struct counter){ .bytes = 9000, .packets = 90 };
	nas->rx[FAM_V6] = (struct counter){ .bytes = 100, .packets = 1 };
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	assert_deletions_first(&p);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.120"), 0, 0);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.120"), 0, 0);
	assert_string_equal(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.120")->comment,
			    "tv");
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.130"), 9000, 90);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "192.168.88.130"), 0, 0);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "tv", "192.168.88.120"), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "nas", "192.168.88.130"), 1);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "nas", SLOT(RX, FAM_V6)), 100, 1);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "nas", SLOT(TX, FAM_V6), ANY), 0);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "tv", SLOT(TX, FAM_V6), ANY), 0);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_NEWSETELEM, "tv", SLOT(RX, FAM_V6), ANY), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "tx4"), 2);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "tx6") +
				 elems_total(&p, NFT_MSG_NEWSETELEM, "rx6") +
				 elems_total(&p, NFT_MSG_NEWSETELEM, "host6"),
			 0);
	/* a carry of nas's, nothing else there */
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 1);
	/* nothing deleted (no element deletion for a new host), nothing moved */
	assert_int_equal(count(&p, NFT_MSG_DELSETELEM), 0);
	assert_int_equal(moved.n, 0);
	parsed_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* Two addresses of one family (a hand-made ruleset, read back): the first address holds
 * the host's count, the other starts from zero; the host map points at the first. */
static void test_commit_two_addrs(void **state)
{
	struct nft_base base = complete();
	struct hostset want = { 0 };
	struct addr a1 = A("192.168.88.101"), a2 = A("192.168.88.111");
	struct host *h;
	struct parsed p;

	assert_non_null(hostset_add_addr(&want, "pc", &a1));
	h = hostset_add_addr(&want, "pc", &a2);
	assert_non_null(h);
	assert_int_equal(h->naddrs, 2);
	h->tx[FAM_V4] = (struct counter){ .bytes = 1000, .packets = 10 };
	commit(&p, &base, NULL, &want);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.101"), 1000, 10);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.111"), 0, 0);
	assert_string_equal(elem_of(&p, NFT_MSG_NEWSETELEM, "tx4", "192.168.88.111")->comment,
			    "pc");
	assert_int_equal(host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, "pc", "192.168.88.101"), 1);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "host4"), 1);
	/* the host map's element says pc has 2 addresses: an event must read every host */
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].type == NFT_MSG_NEWSETELEM && !strcmp(p.v[i].name, "host4")) {
			assert_true(p.v[i].elems[0].has_comment);
			assert_string_equal(p.v[i].elems[0].comment, "2");
		}
	parsed_free(&p);
	hostset_free(&want);
}

#define MANY 600

static void many_name(char *name, size_t len, const char *prefix, int i)
{
	snprintf(name, len, "%s%d", prefix, i);
}

static void many_addr(char *as, size_t len, int i)
{
	snprintf(as, len, "10.0.%d.%d", i / 250, i % 250 + 1);
}

/* Each message of TYPE for SET: at most ELEMS_PER_MSG elements, NLM_F_ECHO as ECHO says. */
static void assert_split(const struct parsed *p, uint16_t type, const char *set, int echo,
			 unsigned int min_msgs)
{
	unsigned int n = 0;

	for (size_t i = 1; i + 1 < p->n; i++) {
		const struct pmsg *m = &p->v[i];

		if (m->type != type || strcmp(m->name, set))
			continue;
		n++;
		assert_true(m->nelems <= MAX_ELEMS_PER_MSG);
		if (echo != ANY)
			assert_int_equal(!!(m->flags & NLM_F_ECHO), echo);
	}
	assert_true(n >= min_msgs);
}

static void test_commit_many_hosts(void **state)
{
	struct nft_base base = complete();
	struct hostset none = { 0 }, want = { 0 }, renamed;
	struct nft_movedset moved = { 0 };
	struct parsed p;
	char name[32], as[32];

	for (int i = 0; i < MANY; i++) {
		many_name(name, sizeof(name), "h", i);
		many_addr(as, sizeof(as), i);
		add(&want, name, as);
		must_find(&want, name)->rx[FAM_V4] = (struct counter){ .bytes = (uint64_t)i * 100,
								       .packets = (uint64_t)i };
	}
	assert_int_equal(want.n, MANY);
	commit(&p, &base, &none, &want);
	/* 600 elements in each of three sets: three messages each */
	assert_split(&p, NFT_MSG_NEWSETELEM, "tx4", ANY, 3);
	assert_split(&p, NFT_MSG_NEWSETELEM, "rx4", ANY, 3);
	assert_split(&p, NFT_MSG_NEWSETELEM, "host4", ANY, 3);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "tx4"), MANY);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "rx4"), MANY);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "host4"), MANY);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "tx6"), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "rx6"), 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "host6"), 0);
	for (int i = 0; i < MANY; i++) {
		many_name(name, sizeof(name), "h", i);
		many_addr(as, sizeof(as), i);
		for (int d = 0; d < 2; d++)
			if (elems_of(&p, NFT_MSG_NEWSETELEM, nft_map_name(d, FAM_V4), as, name,
				     ANY) != 1)
				fail_msg("%s of %s: not exactly once in %s", as, name,
					 nft_map_name(d, FAM_V4));
		assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", as), (uint64_t)i * 100,
			      (uint64_t)i);
		if (host_elems_of(&p, NFT_MSG_NEWSETELEM, 0, name, as) != 1)
			fail_msg("%s -> %s: not exactly once in host4", name, as);
	}
	/* 3 messages for each of tx4 rx4 host4, and nothing else */
	assert_int_equal(p.n, 2 + 9);
	parsed_free(&p);

	/* every one renamed: deletions with echo, split the same way */
	copy(&renamed, &want);
	for (int i = 0; i < MANY; i++) {
		struct addr a;

		many_name(name, sizeof(name), "r", i);
		many_addr(as, sizeof(as), i);
		a = A(as);
		assert_int_equal(hostset_upsert_ex(&renamed, name, &a, true), 1);
	}
	base = complete();
	commit_ex(&p, &base, &want, &renamed, NULL, &moved);
	assert_deletions_first(&p);
	assert_split(&p, NFT_MSG_DELSETELEM, "tx4", 1, 3);
	assert_split(&p, NFT_MSG_DELSETELEM, "rx4", 1, 3);
	assert_split(&p, NFT_MSG_DELSETELEM, "host4", 0, 3);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "tx4"), MANY);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "rx4"), MANY);
	assert_int_equal(elems_of(&p, NFT_MSG_NEWSETELEM, "rx4", "10.0.2.100", "r599", ANY), 1);
	assert_counts(elem_of(&p, NFT_MSG_NEWSETELEM, "rx4", "10.0.2.100"), 59900, 599);
	assert_int_equal(moved.n, 2 * MANY);
	assert_counter_eq(&moved_of(&moved, "h599", "r599", SLOT(RX, FAM_V4))->read, 59900, 599);
	assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, "carry") +
				 count_named(&p, NFT_MSG_NEWSETELEM, "carry"),
			 0);
	parsed_free(&p);
	free(moved.v);

	/* and all of them going away: deletions split the same way, without echo */
	base = complete();
	commit(&p, &base, &want, &none);
	assert_split(&p, NFT_MSG_DELSETELEM, "tx4", 0, 3);
	assert_split(&p, NFT_MSG_DELSETELEM, "rx4", 0, 3);
	assert_split(&p, NFT_MSG_DELSETELEM, "host4", 0, 3);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "tx4"), MANY);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "rx4"), MANY);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "host4"), MANY);
	assert_int_equal(elems_of(&p, NFT_MSG_DELSETELEM, "rx4", "10.0.2.100", NULL, 0), 1);
	assert_int_equal(host_elems_of(&p, NFT_MSG_DELSETELEM, FAM_V4, "h599", NULL), 1);
	/* nothing added; 3 messages for each of tx4 rx4 host4, and nothing else */
	assert_int_equal(count(&p, NFT_MSG_NEWSETELEM), 0);
	assert_int_equal(p.n, 2 + 9);
	parsed_free(&p);
	hostset_free(&none);
	hostset_free(&want);
	hostset_free(&renamed);
}

/* ---- making up what moved elements counted between read and commit ---- */

static void moved_push(struct nft_movedset *m, const char *from, const char *to, int slot,
		       struct counter read, struct counter echoed, struct counter carry)
{
	struct nft_moved *x;

	m->v = realloc(m->v, (m->n + 1) * sizeof(*m->v));
	assert_non_null(m->v);
	x = &m->v[m->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->from, sizeof(x->from), "%s", from);
	snprintf(x->to, sizeof(x->to), "%s", to);
	x->slot = (uint8_t)slot;
	x->read = read;
	x->echoed = echoed;
	x->carry = carry;
}

#define C(b, p) ((struct counter){ .bytes = (b), .packets = (p) })

static void makeup(struct parsed *p, const struct nft_base *base, const struct nft_movedset *m)
{
	struct buf b = { 0 };
	uint32_t seq = SEQ0;

	assert_int_equal(base->genid, 0); /* see test_makeup_after_commit_genid */
	assert_int_equal(nft_build_makeup(&b, &seq, base, m), 0);
	parse_batch(p, &b, seq);
	buf_free(&b);
	assert_elem_msgs_sane(p);
}

static void test_makeup(void **state)
{
	struct nft_base base = complete();
	struct nft_movedset m = { 0 };
	struct buf b = { 0 };
	uint32_t seq = SEQ0;
	struct parsed p;

	/* nothing counted meanwhile, or less (a counter the kernel echoes lower): nothing */
	moved_push(&m, "phone", "laptop", SLOT(TX, FAM_V4), C(5000, 50), C(5000, 50), C(0, 0));
	moved_push(&m, "pc", "pc", SLOT(RX, FAM_V4), C(2000, 20), C(1900, 19), C(0, 0));
	assert_int_equal(nft_build_makeup(&b, &seq, &base, &m), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(seq, SEQ0);
	buf_free(&b);
	/* nothing moved at all: nothing either */
	{
		struct nft_movedset none = { 0 };

		assert_int_equal(nft_build_makeup(&b, &seq, &base, &none), 0);
		assert_int_equal(b.len, 0);
	}

	/* laptop's elements counted 600 bytes, 6 packets more than read: a new carry */
	moved_push(&m, "phone", "laptop", SLOT(RX, FAM_V4), C(6000, 60), C(6600, 66), C(0, 0));
	/* pc lost its IPv6 address: its carry made by the commit grows (out and in again) */
	moved_push(&m, "pc", "pc", SLOT(TX, FAM_V6), C(3000, 30), C(3100, 31), C(3000, 30));
	/* bytes alone moved */
	moved_push(&m, "tv", "tv", SLOT(TX, FAM_V4), C(10, 1), C(74, 1), C(0, 0));
	makeup(&p, &base, &m);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "laptop", SLOT(RX, FAM_V4)), 600, 6);
	assert_string_equal(carry_elem(&p, NFT_MSG_NEWSETELEM, "laptop", SLOT(RX, FAM_V4))->comment,
			    "laptop");
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "laptop", SLOT(RX, FAM_V4), ANY),
			 0);
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "pc", SLOT(TX, FAM_V6), 0), 1);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "pc", SLOT(TX, FAM_V6)), 3100, 31);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "tv", SLOT(TX, FAM_V4)), 64, 0);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 3);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
	/* set carry only, the deletion before the additions */
	assert_int_equal(p.n, 2 + 2);
	assert_int_equal(p.v[1].type, NFT_MSG_DELSETELEM);
	assert_int_equal(p.v[2].type, NFT_MSG_NEWSETELEM);
	assert_string_equal(p.v[1].name, "carry");
	assert_string_equal(p.v[2].name, "carry");
	parsed_free(&p);
	free(m.v);
}

/* The carry keys of a makeup are hashed under the table's key, as the commit's are. */
static void test_makeup_salted(void **state)
{
	struct nft_base base = complete();
	struct nft_movedset m = { 0 };
	uint8_t key[NFT_CARRY_KEY];
	struct parsed p;

	for (int i = 0; i < NFT_SALT; i++)
		base.salt[i] = (uint8_t)(i * 7 + 1);
	moved_push(&m, "pc", "pc", SLOT(RX, FAM_V6), C(1, 1), C(2, 2), C(0, 0));
	makeup(&p, &base, &m);
	carry_key(key, base.salt, "pc", SLOT(RX, FAM_V6));
	assert_counts(elem_key(&p, NFT_MSG_NEWSETELEM, "carry", key, NFT_CARRY_KEY), 1, 1);
	parsed_free(&p);
	free(m.v);
}

/*
 * The whole round: a commit renames phone laptop and pc loses its IPv6 address; the kernel
 * echoes the deleted elements with what they counted since the read; the makeup puts just
 * that difference into the hosts' carries.
 */
static void test_commit_then_makeup(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct addr v6 = A("fd00::11");
	struct parsed p;

	two_hosts_counted(&old);
	copy(&want, &old);
	rename_at(&want, "laptop", "192.168.88.102");
	assert_int_equal(hostset_del_addr(&want, &v6), 1);
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	parsed_free(&p);
	assert_int_equal(moved.n, 4);
	/* the echo: each deleted element's final counter */
	for (size_t i = 0; i < moved.n; i++)
		moved.v[i].echoed = moved.v[i].read;
	for (size_t i = 0; i < moved.n; i++)
		if (moved.v[i].slot == SLOT(TX, FAM_V4) || moved.v[i].slot == SLOT(RX, FAM_V6)) {
			moved.v[i].echoed.bytes += 1500;
			moved.v[i].echoed.packets += 1;
		}
	makeup(&p, &base, &moved);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "laptop", SLOT(TX, FAM_V4)), 1500, 1);
	/* pc's rx6 carry, made by the commit with 4000/40, is made again with the difference */
	assert_int_equal(carry_elems_of(&p, NFT_MSG_DELSETELEM, "pc", SLOT(RX, FAM_V6), 0), 1);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "pc", SLOT(RX, FAM_V6)), 5500, 41);
	assert_int_equal(elems_total(&p, NFT_MSG_NEWSETELEM, "carry"), 2);
	assert_int_equal(elems_total(&p, NFT_MSG_DELSETELEM, "carry"), 1);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&old);
	hostset_free(&want);
}

/* ---- the batch's generation ---- */

/*
 * nft_commit() builds the makeup from the base of the read the commit was built on, right
 * after that commit moved the ruleset generation. A batch naming the read's generation
 * (NFNL_BATCH_GENID) is refused whole by the kernel (-ERESTART: seen in a namespace with
 * these very builders), so a makeup carrying it never lands: what the moved elements
 * counted between read and commit is lost, every time, silently. The makeup must not name
 * the read's generation.
 */
static void test_makeup_after_commit_genid(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct nft_movedset moved = { 0 };
	struct parsed p;
	struct buf b = { 0 };
	uint32_t seq = SEQ0;

	base.genid = 41; /* the read's */
	two_hosts_counted(&old);
	copy(&want, &old);
	add(&want, "pc", "192.168.88.103");
	commit_ex(&p, &base, &old, &want, NULL, &moved);
	parsed_free(&p);
	assert_int_equal(moved.n, 2);
	moved.v[0].echoed = moved.v[0].read;
	moved.v[0].echoed.bytes += 100;
	assert_int_equal(nft_build_makeup(&b, &seq, &base, &moved), 0);
	parse_batch_genid(&p, &b, seq, 0);
	buf_free(&b);
	assert_counts(carry_elem(&p, NFT_MSG_NEWSETELEM, "pc", moved.v[0].slot), 100, 0);
	parsed_free(&p);
	free(moved.v);
	hostset_free(&old);
	hostset_free(&want);
}

static void test_genid(void **state)
{
	struct nft_base base = complete();
	struct hostset old, want;
	struct parsed p;
	struct buf b = { 0 };
	uint32_t seq = SEQ0;

	two_hosts(&old);
	two_hosts(&want);
	add(&want, "tv", "192.168.88.120");
	base.genid = 0xfedcba98;
	commit(&p, &base, &old, &want); /* parse_batch_genid checks it */
	parsed_free(&p);
	base.genid = 0;
	commit(&p, &base, &old, &want);
	parsed_free(&p);
	base.genid = 5;
	assert_int_equal(nft_build_flush(&b, &seq, &base, &old), 0);
	parse_batch_genid(&p, &b, seq, 5);
	buf_free(&b);
	parsed_free(&p);
	seq = SEQ0;
	assert_int_equal(nft_build_remove(&b, &seq, 6), 0);
	parse_batch_genid(&p, &b, seq, 6);
	buf_free(&b);
	parsed_free(&p);
	hostset_free(&old);
	hostset_free(&want);
}

/* ---- flush and remove ---- */

/* Every set emptied by one DELSETELEM naming no element (the kernel's set flush); the hash
 * key and the base stay. */
static void test_flush(void **state)
{
	struct nft_base base = complete();
	struct hostset old;
	struct parsed p;
	struct buf b = { 0 };
	uint32_t seq = SEQ0;

	for (int round = 0; round < 2; round++) {
		if (round)
			memset(&old, 0, sizeof(old));
		else
			two_hosts_counted(&old);
		seq = SEQ0;
		assert_int_equal(nft_build_flush(&b, &seq, &base, &old), 0);
		parse_batch(&p, &b, seq);
		buf_free(&b);
		assert_int_equal(p.n, 2 + NFT_SETS);
		for (int i = 0; i < NFT_SETS; i++) {
			const struct pmsg *m = &p.v[1 + i];

			assert_int_equal(m->type, NFT_MSG_DELSETELEM);
			assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, all_sets[i]), 1);
			assert_false(m->has_elem_list);
			assert_int_equal(m->nelems, 0);
			assert_false(m->flags & (NLM_F_ECHO | NLM_F_CREATE | NLM_F_EXCL));
		}
		assert_int_equal(count_named(&p, NFT_MSG_DELSETELEM, "key"), 0);
		parsed_free(&p);
		hostset_free(&old);
	}
}

static void test_remove(void **state)
{
	struct parsed p;
	struct buf b = { 0 };
	uint32_t seq = SEQ0;

	assert_int_equal(nft_build_remove(&b, &seq, 0), 0);
	parse_batch(&p, &b, seq);
	buf_free(&b);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.v[1].type, NFT_MSG_DELTABLE);
	assert_string_equal(p.v[1].name, NFT_TABLE);
	assert_int_equal(seq, SEQ0 + 3);
	parsed_free(&p);
}

/* Batches append to what the buffer holds; sequence numbers carry on. */
static void test_batches_append(void **state)
{
	struct buf b = { 0 };
	uint32_t seq = SEQ0;
	const struct nlmsghdr *nlh;
	int left, n = 0;
	uint32_t last = 0;

	assert_int_equal(nft_build_remove(&b, &seq, 0), 0);
	assert_int_equal(nft_build_remove(&b, &seq, 0), 0);
	assert_int_equal(seq, SEQ0 + 6);
	nlh = (const void *)b.p;
	left = (int)b.len;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), n++) {
		if (n)
			assert_true(nlh->nlmsg_seq > last);
		last = nlh->nlmsg_seq;
	}
	assert_int_equal(left, 0);
	assert_int_equal(n, 6);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_key),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_long_name_round_trip),
		cmocka_unit_test(test_commit_empty_base),
		cmocka_unit_test(test_commit_complete_base),
		cmocka_unit_test(test_commit_rebuild),
		cmocka_unit_test(test_commit_old_layout),
		cmocka_unit_test(test_commit_unchanged),
		cmocka_unit_test(test_commit_address_change),
		cmocka_unit_test(test_commit_rename),
		cmocka_unit_test(test_commit_lose_family),
		cmocka_unit_test(test_commit_regain_family),
		cmocka_unit_test(test_commit_address_moves),
		cmocka_unit_test(test_commit_host_removed),
		cmocka_unit_test(test_commit_gone_and_rename),
		cmocka_unit_test(test_commit_new_hosts),
		cmocka_unit_test(test_commit_two_addrs),
		cmocka_unit_test(test_commit_many_hosts),
		cmocka_unit_test(test_makeup),
		cmocka_unit_test(test_makeup_salted),
		cmocka_unit_test(test_commit_then_makeup),
		cmocka_unit_test(test_makeup_after_commit_genid),
		cmocka_unit_test(test_genid),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_batches_append),
	};

	tu_init();
	return cmocka_run_group_tests_name("nft", tests, NULL, NULL);
}
