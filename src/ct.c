// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-flow conntrack counters, read through ctnetlink with libmnl (see ct.h). */
#include "ct.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCT_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_acct"
#define RCVBUF_DEFAULT (4 << 20)
#define LOCAL_MAX 256
#define CT_BUF_SIZE 32768 /* one recv of a dump or of events (libmnl 1.0.5 lacks MNL_SOCKET_DUMP_SIZE) */

/*
 * One tracked flow: its last-seen counters under its key, a 64-bit hash of its id, family
 * and two ends (the ends themselves come with every dump entry and event: 56 bytes a flow).
 */
struct flow {
	uint64_t c[4];
	uint64_t key;
	uint32_t id, seen;
	uint8_t fam, proto, used;
};

/* One address's increase since the last ct_take() (open addressing on the address). */
struct acc {
	struct ct_delta d;
	bool used;
};

struct ct {
	struct mnl_socket *ev, *dump;
	char *buf; /* CT_BUF_SIZE bytes, for both sockets */
	uint32_t seq, dump_portid, gen;
	struct flow *f;
	size_t nf, capf;
	struct acc *acc;
	size_t nacc, capacc;
	struct ct_delta *out;
	size_t capout;
	const struct addrset *hosts; /* the addresses counted for (NULL: none) */
	struct addr local[LOCAL_MAX]; /* the router's own and broadcast addresses */
	size_t nlocal;
	bool overflowed;
	unsigned int fams; /* families conntrack listed a flow of (1 << FAM_V4, 1 << FAM_V6) */
	struct ct_stats st;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t flow_hash(uint32_t id, uint8_t fam, const uint8_t *e1, const uint8_t *e2)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)id << 8 | fam);

	h = hash_bytes(e1, 16, h * 0x100000001b3ULL);
	h = hash_bytes(e2, 16, h);
	return h ^ (h >> 29);
}

static void addr_bytes(uint8_t out[16], const struct addr *a)
{
	memset(out, 0, 16);
	if (a->fam == FAM_V4)
		memcpy(out, &a->u.v4, 4);
	else
		memcpy(out, &a->u.v6, 16);
}

static void bytes_addr(struct addr *a, int fam, const uint8_t in[16])
{
	memset(a, 0, sizeof(*a));
	a->fam = fam;
	if (fam == FAM_V4)
		memcpy(&a->u.v4, in, 4);
	else
		memcpy(&a->u.v6, in, 16);
}

/* ---- the flow table: linear probing, deletion by backward shift (no tombstones) ---- */

static size_t flow_slot(const struct ct *c, const struct ct_msg *m, uint64_t key, bool *found)
{
	size_t mask = c->capf - 1, i = key & mask;

	for (; c->f[i].used; i = (i + 1) & mask) {
		const struct flow *f = &c->f[i];

		if (f->key == key && f->id == m->id && f->fam == m->fam && f->proto == m->proto) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

/* The table moved into CAP slots (a power of two, above the flows it holds). */
static int flows_rehash(struct ct *c, size_t cap)
{
	struct flow *nf = calloc(cap, sizeof(*nf));

	if (!nf)
		return -ENOMEM;
	for (size_t i = 0; i < c->capf; i++) {
		const struct flow *f = &c->f[i];
		size_t k;

		if (!f->used)
			continue;
		for (k = f->key & (cap - 1); nf[k].used;
		     k = (k + 1) & (cap - 1))
			;
		nf[k] = *f;
	}
	free(c->f);
	c->f = nf;
	c->capf = cap;
	return 0;
}

static int flows_grow(struct ct *c)
{
	return flows_rehash(c, c->capf ? c->capf * 2 : 1024);
}

static void flow_remove(struct ct *c, size_t i)
{
	size_t mask = c->capf - 1, j = i;

	c->f[i].used = 0;
	c->nf--;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!c->f[j].used)
			return;
		home = c->f[j].key & mask;
		/* j's entry may move to i when its home is not cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			c->f[i] = c->f[j];
			c->f[j].used = 0;
			i = j;
		}
	}
}

/* A table mostly empty after many flows ended gives its memory back (failing that, keeps it). */
static void flows_shrink(struct ct *c)
{
	if (c->capf > 1024 && c->nf * 8 < c->capf)
		flows_rehash(c, c->capf / 4);
}

/* ---- the increases per address ---- */

static size_t acc_slot(const struct ct *c, const struct addr *a)
{
	uint8_t b[16];
	size_t mask = c->capacc - 1, i;

	addr_bytes(b, a);
	for (i = hash_bytes(b, 16, 0xcbf29ce484222325ULL ^ (uint64_t)a->fam) & mask;
	     c->acc[i].used && !addr_equal(&c->acc[i].d.a, a); i = (i + 1) & mask)
		;
	return i;
}

static int acc_add(struct ct *c, const struct addr *a, int dir, uint64_t bytes, uint64_t packets)
{
	size_t i;

	if (!bytes && !packets)
		return 0;
	if ((c->nacc + 1) * 2 > c->capacc) {
		size_t cap = c->capacc ? c->capacc * 2 : 64;
		struct acc *old = c->acc, *na = calloc(cap, sizeof(*na));
		size_t oldcap = c->capacc;

		if (!na)
			return -ENOMEM;
		c->acc = na;
		c->capacc = cap;
		for (size_t k = 0; k < oldcap; k++)
			if (old[k].used)
				c->acc[acc_slot(c, &old[k].d.a)] = old[k];
		free(old);
	}
	i = acc_slot(c, a);
	if (!c->acc[i].used) {
		memset(&c->acc[i], 0, sizeof(c->acc[i]));
		c->acc[i].used = true;
		c->acc[i].d.a = *a;
		c->nacc++;
	}
	c->acc[i].d.c[dir].bytes += bytes;
	c->acc[i].d.c[dir].packets += packets;
	return 0;
}

/* An increase of a flow: E1 receives the reply direction (tx) and sent the original one
 * (rx); E2 the other way round. */
static int count(struct ct *c, int fam, const uint8_t *e1, const uint8_t *e2, const uint64_t d[4])
{
	struct addr a1, a2;

	if (!c->hosts)
		return 0;
	bytes_addr(&a1, fam, e1);
	bytes_addr(&a2, fam, e2);
	if (addrset_has(c->hosts, &a1) &&
	    (acc_add(c, &a1, 0, d[2], d[3]) || acc_add(c, &a1, 1, d[0], d[1])))
		return -ENOMEM;
	if (addrset_has(c->hosts, &a2) &&
	    (acc_add(c, &a2, 0, d[0], d[1]) || acc_add(c, &a2, 1, d[2], d[3])))
		return -ENOMEM;
	return 0;
}

/* ---- the router's own addresses ---- */

static bool is_local(const struct ct *c, const struct addr *a)
{
	if (a->fam == FAM_V4) {
		uint32_t v = ntohl(a->u.v4.s_addr);

		if (v == 0xffffffffu || (v >> 28) == 0xe || (v >> 24) == 127 || v == 0)
			return true;
	} else if (a->u.v6.s6_addr[0] == 0xff || IN6_IS_ADDR_LOOPBACK(&a->u.v6) ||
		   IN6_IS_ADDR_UNSPECIFIED(&a->u.v6)) {
		return true;
	}
	for (size_t i = 0; i < c->nlocal; i++)
		if (addr_equal(&c->local[i], a))
			return true;
	return false;
}

static void local_add(struct ct *c, const struct sockaddr *sa)
{
	struct addr a = { 0 };

	if (!sa || c->nlocal >= LOCAL_MAX)
		return;
	if (sa->sa_family == AF_INET) {
		a.fam = FAM_V4;
		a.u.v4 = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a.fam = FAM_V6;
		a.u.v6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	} else {
		return;
	}
	c->local[c->nlocal++] = a;
}

/* The addresses of the router's interfaces and their broadcast addresses; the old set is
 * kept when they cannot be read. */
static void locals_read(struct ct *c)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	c->nlocal = 0;
	for (i = ifa; i; i = i->ifa_next) {
		local_add(c, i->ifa_addr);
		if (i->ifa_flags & IFF_BROADCAST)
			local_add(c, i->ifa_broadaddr);
	}
	freeifaddrs(ifa);
}

/* ---- parsing ---- */

struct pctx {
	const struct nlattr **tb;
	int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct pctx *p = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, p->max) < 0)
		return MNL_CB_OK; /* newer kernels: skip what we do not know */
	p->tb[type] = a;
	return MNL_CB_OK;
}

static int nested(const struct nlattr *a, const struct nlattr **tb, int max)
{
	struct pctx p = { tb, max };

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	return mnl_attr_parse_nested(a, attr_cb, &p) < 0 ? -EINVAL : 0;
}

/* A tuple's source address and protocol. */
static int tuple_src(const struct nlattr *t, int fam, struct addr *src, uint8_t *proto)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	const struct nlattr *s;

	if (nested(t, tb, CTA_TUPLE_MAX) || !tb[CTA_TUPLE_IP] ||
	    nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX))
		return -EINVAL;
	memset(src, 0, sizeof(*src));
	src->fam = fam;
	s = ip[fam == FAM_V4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC];
	if (!s || mnl_attr_get_payload_len(s) != (fam == FAM_V4 ? 4u : 16u))
		return -EINVAL;
	memcpy(fam == FAM_V4 ? (void *)&src->u.v4 : (void *)&src->u.v6, mnl_attr_get_payload(s),
	       mnl_attr_get_payload_len(s));
	if (proto && tb[CTA_TUPLE_PROTO] && !nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX) &&
	    pr[CTA_PROTO_NUM] && mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]) >= 1)
		*proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	return 0;
}

static bool counters(const struct nlattr *a, uint64_t *bytes, uint64_t *packets)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1];

	if (!a || nested(a, tb, CTA_COUNTERS_MAX) || !tb[CTA_COUNTERS_BYTES] ||
	    !tb[CTA_COUNTERS_PACKETS] || mnl_attr_get_payload_len(tb[CTA_COUNTERS_BYTES]) != 8 ||
	    mnl_attr_get_payload_len(tb[CTA_COUNTERS_PACKETS]) != 8)
		return false;
	*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
	*packets = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	return true;
}

int ct_parse(const void *msg, struct ct_msg *m)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[CTA_MAX + 1];
	const struct nfgenmsg *g;
	struct pctx p = { tb, CTA_MAX };

	memset(m, 0, sizeof(*m));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*g) ||
	    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return -EINVAL;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family == AF_INET)
		m->fam = FAM_V4;
	else if (g->nfgen_family == AF_INET6)
		m->fam = FAM_V6;
	else
		return -EINVAL;
	memset(tb, 0, sizeof(tb));
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, &p) < 0 || !tb[CTA_TUPLE_ORIG] ||
	    !tb[CTA_TUPLE_REPLY])
		return -EINVAL;
	if (tuple_src(tb[CTA_TUPLE_ORIG], m->fam, &m->e1, &m->proto) ||
	    tuple_src(tb[CTA_TUPLE_REPLY], m->fam, &m->e2, NULL))
		return -EINVAL;
	if (tb[CTA_ID] && mnl_attr_get_payload_len(tb[CTA_ID]) == 4)
		m->id = ntohl(mnl_attr_get_u32(tb[CTA_ID]));
	m->counters = counters(tb[CTA_COUNTERS_ORIG], &m->c[0], &m->c[1]) &&
		      counters(tb[CTA_COUNTERS_REPLY], &m->c[2], &m->c[3]);
	return 0;
}

/* ---- events and dumps ---- */

/* A flow seen (dump) or ended (destroy): its increase since last seen is counted. */
static int flow_seen(struct ct *c, const struct ct_msg *m, bool destroyed, bool baseline)
{
	uint8_t e1[16], e2[16];
	uint64_t d[4], key;
	bool found;
	size_t i;

	c->fams |= 1u << m->fam;
	if (!m->counters)
		return 0; /* begun while accounting was off: it never counts */
	if (is_local(c, &m->e1) || is_local(c, &m->e2))
		return 0; /* the router's own traffic: the forward hook never sees it */
	addr_bytes(e1, &m->e1);
	addr_bytes(e2, &m->e2);
	if (!destroyed && (c->nf + 1) * 5 > c->capf * 4 && flows_grow(c)) /* load <= 0.8 */
		return -ENOMEM;
	key = flow_hash(m->id, m->fam, e1, e2);
	i = c->capf ? flow_slot(c, m, key, &found) : (found = false, 0);
	for (int k = 0; k < 4; k++) {
		uint64_t last = found ? c->f[i].c[k] : 0;

		/* Counters only grow; one that went down belongs to a new flow under the same key. */
		d[k] = m->c[k] >= last ? m->c[k] - last : m->c[k];
	}
	if (baseline)
		memset(d, 0, sizeof(d));
	if (count(c, m->fam, e1, e2, d))
		return -ENOMEM;
	if (destroyed) {
		if (found)
			flow_remove(c, i);
		return 0;
	}
	if (!found) {
		memset(&c->f[i], 0, sizeof(c->f[i]));
		c->f[i].used = 1;
		c->f[i].id = m->id;
		c->f[i].fam = m->fam;
		c->f[i].proto = m->proto;
		c->f[i].key = key;
		c->nf++;
	}
	memcpy(c->f[i].c, m->c, sizeof(m->c));
	c->f[i].seen = c->gen;
	return 0;
}

struct run_ctx {
	struct ct *c;
	bool destroyed, baseline;
	int err;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run_ctx *r = data;
	struct ct_msg m;

	if (ct_parse(nlh, &m))
		return MNL_CB_OK; /* not ours to judge: skipped */
	if (r->destroyed) {
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_DELETE)
			return MNL_CB_OK;
		r->c->st.events++;
	}
	r->err = flow_seen(r->c, &m, r->destroyed, r->baseline);
	return r->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static void read_events(struct ct *c, bool baseline)
{
	struct run_ctx r = { .c = c, .destroyed = true, .baseline = baseline };

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(c->ev), c->buf, CT_BUF_SIZE, MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			c->overflowed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		/* events are not answers: sequence 0, any port */
		mnl_cb_run(c->buf, (size_t)n, 0, 0, msg_cb, &r);
	}
}

void ct_read_events(struct ct *c)
{
	read_events(c, false);
}

static int dump(struct ct *c, bool baseline, char *err, size_t errlen)
{
	struct run_ctx r = { .c = c, .baseline = baseline };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf);
	struct nfgenmsg *g;
	uint32_t seq = ++c->seq;
	int ret;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC; /* both families */
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	if (mnl_socket_sendto(c->dump, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot ask conntrack for its flows: %s", strerror(errno));
		return ret;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(c->dump, c->buf, CT_BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read conntrack's flows: %s", strerror(errno));
			return ret;
		}
		ret = mnl_cb_run(c->buf, (size_t)n, seq, c->dump_portid, msg_cb, &r);
		if (ret < 0) {
			ret = r.err ? r.err : -errno;
			snprintf(err, errlen, "cannot read conntrack's flows: %s", strerror(-ret));
			/* the rest of the dump would wait in the socket: a fresh one next time */
			return ret;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
	c->st.dumps++;
	return 0;
}

int ct_poll(struct ct *c, const struct addrset *hosts, bool baseline, bool *overflowed,
	    size_t *lost, char *err, size_t errlen)
{
	const struct addrset *between = c->hosts;
	int ret;

	*overflowed = false;
	*lost = 0;
	locals_read(c);
	c->hosts = hosts;
	/* At a baseline, flows that ended before the dump may have begun before the daemon. */
	read_events(c, baseline);
	c->gen++;
	ret = dump(c, baseline, err, errlen);
	if (ret) {
		/* A dump cut short: replies may still be queued, so the socket is made anew. */
		struct mnl_socket *s = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

		if (s && !mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID)) {
			mnl_socket_close(c->dump);
			c->dump = s;
			c->dump_portid = mnl_socket_get_portid(s);
		} else if (s) {
			mnl_socket_close(s);
		}
		c->hosts = between;
		return ret;
	}
	/* Flows that ended while the dump ran: their events are queued by now. */
	ct_read_events(c);
	/*
	 * A flow the dump did not list has ended; its destroy event was read above, unless the
	 * socket overflowed and the kernel dropped it: then its last counts are lost.
	 */
	for (size_t i = 0; i < c->capf;) {
		if (c->f[i].used && c->f[i].seen != c->gen) {
			flow_remove(c, i); /* an entry may have moved into i: look again */
			++*lost;
			continue;
		}
		i++;
	}
	if (c->overflowed) {
		c->st.overflows++;
		c->st.lost_flows += *lost;
	}
	*overflowed = c->overflowed;
	c->overflowed = false;
	c->hosts = between;
	flows_shrink(c);
	return 0;
}

void ct_poll_events(struct ct *c, const struct addrset *hosts)
{
	const struct addrset *between = c->hosts;

	c->hosts = hosts;
	read_events(c, false);
	c->hosts = between;
}

const struct ct_delta *ct_take(struct ct *c, size_t *n)
{
	size_t k = 0;

	*n = 0;
	if (c->nacc > c->capout) {
		struct ct_delta *o = realloc(c->out, c->nacc * sizeof(*o));

		if (!o)
			return NULL;
		c->out = o;
		c->capout = c->nacc;
	}
	for (size_t i = 0; i < c->capacc; i++)
		if (c->acc[i].used)
			c->out[k++] = c->acc[i].d;
	*n = k;
	if (c->capacc > 4096 && k * 8 < c->capacc) {
		free(c->acc); /* a burst of addresses is over: their room is given back */
		c->acc = NULL;
		c->capacc = 0;
	} else if (c->acc) {
		memset(c->acc, 0, c->capacc * sizeof(*c->acc));
	}
	c->nacc = 0;
	return c->out;
}

unsigned int ct_families(const struct ct *c)
{
	return c->fams;
}

void ct_set_hosts(struct ct *c, const struct addrset *hosts)
{
	c->hosts = hosts;
}

void ct_stats(const struct ct *c, struct ct_stats *out)
{
	*out = c->st;
	out->flows = c->nf;
	out->mem = c->capf * sizeof(*c->f) + c->capacc * sizeof(*c->acc) +
		   c->capout * sizeof(*c->out) + CT_BUF_SIZE;
}

/* ---- set-up ---- */

/* Accounting on (conntrack counts bytes per flow only with it). */
static int acct_enable(const char *path, bool *switched, char *err, size_t errlen)
{
	char v[8] = "";
	int fd = open(path, O_RDWR | O_CLOEXEC), werr = fd < 0 ? errno : 0;
	ssize_t n;

	*switched = false;
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC); /* on already is fine read-only */
	if (fd < 0) {
		werr = errno;
		snprintf(err, errlen, "conntrack is not available (%s: %s)", path, strerror(werr));
		return -werr;
	}
	n = pread(fd, v, sizeof(v) - 1, 0);
	if (n > 0 && v[0] == '1') {
		close(fd);
		return 0;
	}
	if (!werr && pwrite(fd, "1\n", 2, 0) != 2)
		werr = errno ? errno : EIO;
	close(fd);
	if (werr) {
		snprintf(err, errlen, "conntrack accounting is off and cannot be switched on (%s: %s)",
			 path, strerror(werr));
		return -werr;
	}
	*switched = true;
	return 0;
}

int ct_open(struct ct **out, int rcvbuf, const char *acct_path, bool *acct_on, char *err,
	    size_t errlen)
{
	struct ct *c = calloc(1, sizeof(*c));
	int ret, size = rcvbuf > 0 ? rcvbuf : RCVBUF_DEFAULT;

	*out = NULL;
	*acct_on = false;
	if (!c || !(c->buf = malloc(CT_BUF_SIZE))) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->ev = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	c->dump = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!c->ev || !c->dump ||
	    mnl_socket_bind(c->ev, 1u << (NFNLGRP_CONNTRACK_DESTROY - 1), MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(c->dump, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		snprintf(err, errlen, "conntrack is not available (ctnetlink: %s)", strerror(errno));
		goto fail;
	}
	/* Room for a burst of ended flows between two reads (FORCE: beyond rmem_max, as root). */
	if (setsockopt(mnl_socket_get_fd(c->ev), SOL_SOCKET, rcvbuf > 0 ? SO_RCVBUF : SO_RCVBUFFORCE,
		       &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(c->ev), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	c->dump_portid = mnl_socket_get_portid(c->dump);
	c->seq = (uint32_t)time(NULL);
	ret = acct_enable(acct_path ? acct_path : ACCT_SYSCTL, acct_on, err, errlen);
	if (ret)
		goto fail;
	*out = c;
	return 0;
fail:
	ct_close(c);
	return ret ? ret : -EIO;
}

void ct_close(struct ct *c)
{
	if (!c)
		return;
	if (c->ev)
		mnl_socket_close(c->ev);
	if (c->dump)
		mnl_socket_close(c->dump);
	free(c->buf);
	free(c->f);
	free(c->acc);
	free(c->out);
	free(c);
}

int ct_fd(const struct ct *c)
{
	return mnl_socket_get_fd(c->ev);
}
