// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The iptables-legacy backend, in process through libiptc (libip4tc/libip6tc): the same
 * layout as ipt.c (mangle chains iptmon_tx/iptmon_rx off FORWARD, RETURN rules commented
 * tx_NAME/rx_NAME) without running iptables-save/-restore, so an event costs one table read
 * and one atomic table replace per family instead of two program starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_comment.h>

#include "backend.h"
#include "dups.h"

enum { DIR_TX = 0, DIR_RX = 1 };

static const char *const chain_name[2] = { "iptmon_tx", "iptmon_rx" };
static const char *const dir_prefix[2] = { "tx_", "rx_" };

/*
 * What iptables itself locks around table changes (see iptables -w): XTABLES_LOCKFILE when
 * set, as for iptables; else iptables' default, /run/xtables.lock; where there is no /run
 * (OpenWrt, whose iptables is built with --with-xt-lock-name=/var/run/xtables.lock), that.
 * iptmon waits for it at most XTABLES_LOCK_WAIT_MS.
 */
#define XTABLES_LOCK "/run/xtables.lock"
#define XTABLES_LOCK_NO_RUN "/var/run/xtables.lock"
#define XTABLES_LOCK_WAIT_MS 10000

/* The family-specific halves of libiptc behind one set of entry points. */
struct tc_ops {
	struct xtc_handle *(*init)(const char *table);
	void (*free)(struct xtc_handle *h);
	int (*is_chain)(const char *chain, struct xtc_handle *h);
	const void *(*first)(const char *chain, struct xtc_handle *h);
	const void *(*next)(const void *e, struct xtc_handle *h);
	const char *(*target)(const void *e, struct xtc_handle *h);
	int (*insert)(const char *chain, const void *e, unsigned int num, struct xtc_handle *h);
	int (*append)(const char *chain, const void *e, struct xtc_handle *h);
	int (*delete_num)(const char *chain, unsigned int num, struct xtc_handle *h);
	int (*flush)(const char *chain, struct xtc_handle *h);
	int (*create)(const char *chain, struct xtc_handle *h);
	int (*delete_chain)(const char *chain, struct xtc_handle *h);
	int (*commit)(struct xtc_handle *h);
	const char *(*strerror)(int err);
	/* Host rule: address, comment and counters, or false if e is not one. */
	bool (*parse)(const void *e, int dir, struct addr *a, const char **comment,
		      struct xt_counters *c);
	/* A bare jump (no matches, any address): the FORWARD -> iptmon_* rule. */
	bool (*bare)(const void *e);
	/* Builds a rule into buf (size TC_ENTRY_MAX); target is a chain or "RETURN". */
	void (*build)(void *buf, int dir, const struct addr *a, const char *comment,
		      const char *target, const struct counter *c);
};

#define MATCH_SIZE XT_ALIGN(sizeof(struct xt_entry_match) + sizeof(struct xt_comment_info))
#define TARGET_SIZE XT_ALIGN(sizeof(struct xt_standard_target))
#define TC_ENTRY_MAX (XT_ALIGN(sizeof(struct ip6t_entry)) + MATCH_SIZE + TARGET_SIZE)

static const char *match_comment(const unsigned char *base, unsigned int from, unsigned int to)
{
	const char *comment = NULL;
	int n = 0;

	while (from + sizeof(struct xt_entry_match) <= to) {
		const struct xt_entry_match *m = (const void *)(base + from);

		if (m->u.match_size < sizeof(*m) || from + m->u.match_size > to)
			return NULL;
		if (!strcmp(m->u.user.name, "comment") &&
		    m->u.match_size >= sizeof(*m) + sizeof(struct xt_comment_info)) {
			const struct xt_comment_info *ci = (const void *)m->data;

			if (memchr(ci->comment, '\0', sizeof(ci->comment)))
				comment = ci->comment;
		}
		n++;
		from += m->u.match_size;
	}
	return n == 1 ? comment : NULL;
}

static void fill_tail(unsigned char *base, unsigned int moff, const char *comment,
		      const char *target)
{
	struct xt_standard_target *t;
	unsigned int toff = moff;

	if (comment) {
		struct xt_entry_match *m = (void *)(base + moff);
		struct xt_comment_info *ci = (void *)m->data;

		m->u.match_size = MATCH_SIZE;
		strcpy(m->u.user.name, "comment");
		snprintf(ci->comment, sizeof(ci->comment), "%s", comment);
		toff += MATCH_SIZE;
	}
	t = (void *)(base + toff);
	t->target.u.target_size = TARGET_SIZE;
	/* libiptc maps "RETURN" and chain names to the right verdict or jump. */
	snprintf(t->target.u.user.name, sizeof(t->target.u.user.name), "%s", target);
}

/* ---- IPv4 ---- */

static const void *v4_first(const char *c, struct xtc_handle *h)
{
	return iptc_first_rule(c, h);
}

static const void *v4_next(const void *e, struct xtc_handle *h)
{
	return iptc_next_rule(e, h);
}

static const char *v4_target(const void *e, struct xtc_handle *h)
{
	return iptc_get_target(e, h);
}

static int v4_insert(const char *c, const void *e, unsigned int n, struct xtc_handle *h)
{
	return iptc_insert_entry(c, e, n, h);
}

static int v4_append(const char *c, const void *e, struct xtc_handle *h)
{
	return iptc_append_entry(c, e, h);
}

static bool v4_parse(const void *ev, int dir, struct addr *a, const char **comment,
		     struct xt_counters *c)
{
	const struct ipt_entry *e = ev;
	const struct in_addr *ad = dir == DIR_TX ? &e->ip.dst : &e->ip.src;
	const struct in_addr *mk = dir == DIR_TX ? &e->ip.dmsk : &e->ip.smsk;
	const struct in_addr *other = dir == DIR_TX ? &e->ip.smsk : &e->ip.dmsk;

	if (mk->s_addr != 0xffffffffu || other->s_addr || e->ip.proto || e->ip.iniface[0] ||
	    e->ip.outiface[0] || e->ip.invflags || e->ip.flags)
		return false;
	*comment = match_comment((const unsigned char *)e, sizeof(*e), e->target_offset);
	if (!*comment)
		return false;
	a->fam = FAM_V4;
	a->u.v4 = *ad;
	*c = e->counters;
	return true;
}

static bool v4_bare(const void *ev)
{
	const struct ipt_entry *e = ev;

	return e->target_offset == sizeof(*e) && !e->ip.smsk.s_addr && !e->ip.dmsk.s_addr &&
	       !e->ip.proto && !e->ip.iniface[0] && !e->ip.outiface[0] && !e->ip.invflags &&
	       !e->ip.flags;
}

static void v4_build(void *buf, int dir, const struct addr *a, const char *comment,
		     const char *target, const struct counter *c)
{
	struct ipt_entry *e = buf;
	unsigned int moff = XT_ALIGN(sizeof(*e));

	memset(buf, 0, TC_ENTRY_MAX);
	if (a) {
		if (dir == DIR_TX) {
			e->ip.dst = a->u.v4;
			e->ip.dmsk.s_addr = 0xffffffffu;
		} else {
			e->ip.src = a->u.v4;
			e->ip.smsk.s_addr = 0xffffffffu;
		}
	}
	e->target_offset = (unsigned short)(moff + (comment ? MATCH_SIZE : 0));
	e->next_offset = (unsigned short)(e->target_offset + TARGET_SIZE);
	if (c) {
		e->counters.pcnt = c->packets;
		e->counters.bcnt = c->bytes;
	}
	fill_tail(buf, moff, comment, target);
}

static const struct tc_ops tc_v4 = {
	.init = iptc_init,
	.free = iptc_free,
	.is_chain = iptc_is_chain,
	.first = v4_first,
	.next = v4_next,
	.target = v4_target,
	.insert = v4_insert,
	.append = v4_append,
	.delete_num = iptc_delete_num_entry,
	.flush = iptc_flush_entries,
	.create = iptc_create_chain,
	.delete_chain = iptc_delete_chain,
	.commit = iptc_commit,
	.strerror = iptc_strerror,
	.parse = v4_parse,
	.bare = v4_bare,
	.build = v4_build,
};

/* ---- IPv6 ---- */

static const void *v6_first(const char *c, struct xtc_handle *h)
{
	return ip6tc_first_rule(c, h);
}

static const void *v6_next(const void *e, struct xtc_handle *h)
{
	return ip6tc_next_rule(e, h);
}

static const char *v6_target(const void *e, struct xtc_handle *h)
{
	return ip6tc_get_target(e, h);
}

static int v6_insert(const char *c, const void *e, unsigned int n, struct xtc_handle *h)
{
	return ip6tc_insert_entry(c, e, n, h);
}

static int v6_append(const char *c, const void *e, struct xtc_handle *h)
{
	return ip6tc_append_entry(c, e, h);
}

static bool all_ones(const struct in6_addr *m)
{
	for (int i = 0; i < 16; i++)
		if (m->s6_addr[i] != 0xff)
			return false;
	return true;
}

static bool all_zero(const struct in6_addr *m)
{
	return IN6_IS_ADDR_UNSPECIFIED(m);
}

static bool v6_parse(const void *ev, int dir, struct addr *a, const char **comment,
		     struct xt_counters *c)
{
	const struct ip6t_entry *e = ev;
	const struct in6_addr *ad = dir == DIR_TX ? &e->ipv6.dst : &e->ipv6.src;
	const struct in6_addr *mk = dir == DIR_TX ? &e->ipv6.dmsk : &e->ipv6.smsk;
	const struct in6_addr *other = dir == DIR_TX ? &e->ipv6.smsk : &e->ipv6.dmsk;

	if (!all_ones(mk) || !all_zero(other) || e->ipv6.proto || e->ipv6.iniface[0] ||
	    e->ipv6.outiface[0] || e->ipv6.invflags || e->ipv6.flags)
		return false;
	*comment = match_comment((const unsigned char *)e, sizeof(*e), e->target_offset);
	if (!*comment)
		return false;
	a->fam = FAM_V6;
	a->u.v6 = *ad;
	*c = e->counters;
	return true;
}

static bool v6_bare(const void *ev)
{
	const struct ip6t_entry *e = ev;

	return e->target_offset == sizeof(*e) && all_zero(&e->ipv6.smsk) &&
	       all_zero(&e->ipv6.dmsk) && !e->ipv6.proto && !e->ipv6.iniface[0] &&
	       !e->ipv6.outiface[0] && !e->ipv6.invflags && !e->ipv6.flags;
}

static void v6_build(void *buf, int dir, const struct addr *a, const char *comment,
		     const char *target, const struct counter *c)
{
	struct ip6t_entry *e = buf;
	unsigned int moff = XT_ALIGN(sizeof(*e));

	memset(buf, 0, TC_ENTRY_MAX);
	if (a) {
		if (dir == DIR_TX) {
			e->ipv6.dst = a->u.v6;
			memset(&e->ipv6.dmsk, 0xff, sizeof(e->ipv6.dmsk));
		} else {
			e->ipv6.src = a->u.v6;
			memset(&e->ipv6.smsk, 0xff, sizeof(e->ipv6.smsk));
		}
	}
	e->target_offset = (unsigned short)(moff + (comment ? MATCH_SIZE : 0));
	e->next_offset = (unsigned short)(e->target_offset + TARGET_SIZE);
	if (c) {
		e->counters.pcnt = c->packets;
		e->counters.bcnt = c->bytes;
	}
	fill_tail(buf, moff, comment, target);
}

static const struct tc_ops tc_v6 = {
	.init = ip6tc_init,
	.free = ip6tc_free,
	.is_chain = ip6tc_is_chain,
	.first = v6_first,
	.next = v6_next,
	.target = v6_target,
	.insert = v6_insert,
	.append = v6_append,
	.delete_num = ip6tc_delete_num_entry,
	.flush = ip6tc_flush_entries,
	.create = ip6tc_create_chain,
	.delete_chain = ip6tc_delete_chain,
	.commit = ip6tc_commit,
	.strerror = ip6tc_strerror,
	.parse = v6_parse,
	.bare = v6_bare,
	.build = v6_build,
};

static const struct tc_ops *const tc_fam[FAM_COUNT] = { &tc_v4, &tc_v6 };

/* ---- the backend ---- */

struct iptc {
	struct xtc_handle *h[FAM_COUNT];
	int xt_lock;
	struct dups dups[FAM_COUNT]; /* duplicate rules found by the last read */
};

static struct iptc *P(struct backend *b)
{
	return b->priv;
}

static int fail(struct backend *b, int fam, const char *what)
{
	int err = errno ? errno : EINVAL;

	snprintf(b->err, sizeof(b->err), "%s (%s): %s", what, fam == FAM_V4 ? "IPv4" : "IPv6",
		 tc_fam[fam]->strerror(err));
	return -err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd's lock until the deadline: 0, -EBUSY past it, or -errno. */
static int flock_until(int fd, long long deadline)
{
	struct timespec nap = { 0, 1000000 };

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -errno;
		if (now_ms() >= deadline)
			return -EBUSY;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 64000000)
			nap.tv_nsec *= 2;
	}
	return 0;
}

/*
 * Shares iptables' own lock, so `iptables -w` and iptmon take turns. Like iptables, iptmon
 * does not touch the tables without it: a lock that cannot be opened or taken is an error.
 */
static const char *xt_lock_path(void)
{
	const char *path = getenv("XTABLES_LOCKFILE");
	struct stat st;

	if (path && *path)
		return path;
	return stat("/run", &st) == 0 && S_ISDIR(st.st_mode) ? XTABLES_LOCK : XTABLES_LOCK_NO_RUN;
}

static int xt_lock(struct backend *b)
{
	const char *path = xt_lock_path();
	struct iptc *p = P(b);
	int fd, ret;

	if (p->xt_lock >= 0)
		return 0;
	fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(b->err, sizeof(b->err), "cannot open iptables' lock %s: %s", path,
			 strerror(errno));
		return ret;
	}
	ret = flock_until(fd, now_ms() + XTABLES_LOCK_WAIT_MS);
	if (ret) {
		if (ret == -EBUSY)
			snprintf(b->err, sizeof(b->err),
				 "cannot take iptables' lock %s: another program has held it for %d s",
				 path, XTABLES_LOCK_WAIT_MS / 1000);
		else
			snprintf(b->err, sizeof(b->err), "cannot take iptables' lock %s: %s", path,
				 strerror(-ret));
		close(fd);
		return ret;
	}
	p->xt_lock = fd;
	return 0;
}

static int handle(struct backend *b, int fam, struct xtc_handle **out)
{
	struct iptc *p = P(b);

	if (!p->h[fam]) {
		int ret = xt_lock(b);

		if (ret)
			return ret;
		errno = 0;
		p->h[fam] = tc_fam[fam]->init("mangle");
		if (!p->h[fam])
			return fail(b, fam, "cannot read table mangle");
	}
	*out = p->h[fam];
	return 0;
}

/* Frees a family's snapshot; with none left, iptables' lock goes too (others may write). */
static void drop_handle(struct backend *b, int fam)
{
	struct iptc *p = P(b);

	if (p->h[fam])
		tc_fam[fam]->free(p->h[fam]);
	p->h[fam] = NULL;
	if (!p->h[FAM_V4] && !p->h[FAM_V6] && p->xt_lock >= 0) {
		close(p->xt_lock);
		p->xt_lock = -1;
	}
}

static bool host_rule(const struct tc_ops *o, const void *e, int dir, struct xtc_handle *h,
		      struct addr *a, const char **name, struct xt_counters *c)
{
	const char *t = o->target(e, h);

	if (!t || strcmp(t, "RETURN") || !o->parse(e, dir, a, name, c) ||
	    strncmp(*name, dir_prefix[dir], 3) || !name_is_valid(*name + 3))
		return false;
	*name += 3;
	return true;
}

static int iptc_read(struct backend *b, unsigned int fams, struct hostset *out)
{
	memset(out, 0, sizeof(*out));
	b->base_missing = false;
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		const struct tc_ops *o = tc_fam[fam];
		struct xtc_handle *h;
		int ret;

		if (!(fams & (1u << fam)))
			continue;
		drop_handle(b, fam); /* a fresh snapshot */
		dups_reset(&P(b)->dups[fam]);
		ret = handle(b, fam, &h);
		if (ret) {
			hostset_free(out);
			return ret;
		}
		for (int d = 0; d < 2; d++) {
			if (!o->is_chain(chain_name[d], h)) {
				b->base_missing = true;
				continue;
			}
			for (const void *e = o->first(chain_name[d], h); e; e = o->next(e, h)) {
				struct xt_counters c;
				const char *name;
				struct counter *dst;
				struct addr a;
				struct host *hs;

				if (!host_rule(o, e, d, h, &a, &name, &c))
					continue;
				hs = hostset_add_addr(out, name, &a);
				if (!hs) {
					hostset_free(out);
					return -ENOMEM;
				}
				dst = d == DIR_TX ? &hs->tx[fam] : &hs->rx[fam];
				for (unsigned int j = 0; j < hs->naddrs; j++) {
					if (!addr_equal(&hs->addrs[j], &a))
						continue;
					/* A duplicate never counts: the first RETURNs. */
					if (dups_mark(&P(b)->dups[fam], out, hs, j, d) > 0)
						continue;
					dst->bytes += c.bcnt;
					dst->packets += c.pcnt;
				}
			}
		}
	}
	/* A snapshot, not a hold: commit takes its own (iptmon's lock keeps it current). */
	for (int fam = 0; fam < FAM_COUNT; fam++)
		drop_handle(b, fam);
	return 0;
}

/* Deletes every rule of chain for (a, name), or every one of them but the first. */
static int delete_rules(struct backend *b, int fam, struct xtc_handle *h, int dir,
			const struct addr *a, const char *name, bool keep_first)
{
	const struct tc_ops *o = tc_fam[fam];
	bool kept;

again:
	kept = false; /* each scan starts over: the copy kept is the first one found */
	if (!o->is_chain(chain_name[dir], h))
		return 0;
	{
		unsigned int num = 0;

		for (const void *e = o->first(chain_name[dir], h); e; e = o->next(e, h)) {
			struct xt_counters c;
			const char *n;
			struct addr ea;

			num++;
			if (!host_rule(o, e, dir, h, &ea, &n, &c) || !addr_equal(&ea, a) ||
			    (name && strcmp(n, name)))
				continue;
			if (keep_first && !kept) {
				kept = true;
				continue;
			}
			errno = 0;
			if (!o->delete_num(chain_name[dir], num - 1, h))
				return fail(b, fam, "cannot delete rule");
			goto again;
		}
	}
	return 0;
}

/* Chains, and exactly one jump to each from FORWARD, tx first. */
static int ensure_base(struct backend *b, int fam, struct xtc_handle *h, bool *changed)
{
	const struct tc_ops *o = tc_fam[fam];
	unsigned char buf[TC_ENTRY_MAX];

	for (int d = 0; d < 2; d++)
		if (!o->is_chain(chain_name[d], h)) {
			errno = 0;
			if (!o->create(chain_name[d], h))
				return fail(b, fam, "cannot create chain");
			*changed = true;
		}
	for (int d = 1; d >= 0; d--) {
		unsigned int num = 0, seen = 0;

	rescan:
		num = seen = 0;
		for (const void *e = o->first("FORWARD", h); e; e = o->next(e, h)) {
			const char *t = o->target(e, h);

			num++;
			if (!t || strcmp(t, chain_name[d]) || !o->bare(e))
				continue;
			if (++seen > 1) {
				errno = 0;
				if (!o->delete_num("FORWARD", num - 1, h))
					return fail(b, fam, "cannot delete duplicate jump");
				*changed = true;
				goto rescan;
			}
		}
		if (!seen) {
			o->build(buf, d, NULL, NULL, chain_name[d], NULL);
			errno = 0;
			if (!o->insert("FORWARD", buf, 0, h))
				return fail(b, fam, "cannot insert jump");
			*changed = true;
		}
	}
	return 0;
}

static int commit_handle(struct backend *b, int fam, struct xtc_handle *h)
{
	errno = 0;
	if (!tc_fam[fam]->commit(h)) {
		int ret = fail(b, fam, "cannot commit");

		drop_handle(b, fam);
		return ret;
	}
	drop_handle(b, fam);
	return 0;
}

static int commit_fam(struct backend *b, int fam, const struct plan *p)
{
	const struct tc_ops *o = tc_fam[fam];
	unsigned char buf[TC_ENTRY_MAX];
	struct xtc_handle *h;
	bool changed = false;
	int ret = handle(b, fam, &h);

	if (ret)
		return ret;
	ret = ensure_base(b, fam, h, &changed);
	for (size_t i = 0; !ret && i < p->ndel; i++) {
		if (p->del[i].a->fam != fam)
			continue;
		for (int d = 0; d < 2 && !ret; d++)
			ret = delete_rules(b, fam, h, d, p->del[i].a, p->del[i].h->name, false);
		changed = true;
	}
	/* Duplicates of a rule that stays go; one copy stays (found by read()). */
	for (size_t i = 0; !ret && i < P(b)->dups[fam].n; i++) {
		const struct dup *x = &P(b)->dups[fam].v[i];

		if (!host_has_addr(hostset_find(p->want, x->name), &x->a))
			continue;
		ret = delete_rules(b, fam, h, x->dir, &x->a, x->name, true);
		changed = true;
	}
	for (size_t i = 0; !ret && i < p->nadd; i++) {
		const struct host *hs = p->add[i].h;
		const struct addr *a = p->add[i].a;

		if (a->fam != fam)
			continue;
		for (int d = 0; d < 2 && !ret; d++) {
			char comment[NAME_SIZE + 3];

			snprintf(comment, sizeof(comment), "%s%s", dir_prefix[d], hs->name);
			/* A host at a new address (or a renamed one) keeps its counts. */
			o->build(buf, d, a, comment, "RETURN",
				 d == DIR_TX ? &hs->tx[fam] : &hs->rx[fam]);
			errno = 0;
			if (!o->append(chain_name[d], buf, h))
				ret = fail(b, fam, "cannot add rule");
		}
		changed = true;
	}
	if (ret) {
		drop_handle(b, fam);
		return ret;
	}
	if (!changed) {
		drop_handle(b, fam);
		return 0;
	}
	return commit_handle(b, fam, h);
}

static int iptc_commit_op(struct backend *b, unsigned int fams, const struct plan *p)
{
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		int ret;

		if (!(fams & (1u << fam)))
			continue;
		ret = commit_fam(b, fam, p);
		if (ret)
			return ret;
	}
	return 0;
}

static int flush_or_remove(struct backend *b, unsigned int fams, bool remove)
{
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		const struct tc_ops *o = tc_fam[fam];
		struct xtc_handle *h;
		bool changed = false;
		int ret;

		if (!(fams & (1u << fam)))
			continue;
		drop_handle(b, fam);
		ret = handle(b, fam, &h);
		if (ret)
			return ret;
		if (remove) {
		rescan:
			{
				unsigned int num = 0;

				for (const void *e = o->first("FORWARD", h); e; e = o->next(e, h)) {
					const char *t = o->target(e, h);

					num++;
					if (t && (!strcmp(t, chain_name[0]) ||
						  !strcmp(t, chain_name[1]))) {
						errno = 0;
						if (!o->delete_num("FORWARD", num - 1, h)) {
							drop_handle(b, fam);
							return fail(b, fam, "cannot delete jump");
						}
						changed = true;
						goto rescan;
					}
				}
			}
		}
		for (int d = 0; d < 2; d++) {
			if (!o->is_chain(chain_name[d], h))
				continue;
			errno = 0;
			if (!o->flush(chain_name[d], h) ||
			    (remove && !o->delete_chain(chain_name[d], h))) {
				ret = fail(b, fam, remove ? "cannot remove chain" : "cannot flush chain");
				drop_handle(b, fam);
				return ret;
			}
			changed = true;
		}
		if (!changed) {
			drop_handle(b, fam);
			continue;
		}
		ret = commit_handle(b, fam, h);
		if (ret)
			return ret;
	}
	return 0;
}

static int iptc_flush_op(struct backend *b, unsigned int fams)
{
	return flush_or_remove(b, fams, false);
}

static int iptc_remove_op(struct backend *b, unsigned int fams)
{
	return flush_or_remove(b, fams, true);
}

static int iptc_open(struct backend **out, const struct config *c)
{
	struct backend *b = calloc(1, sizeof(*b));
	struct iptc *p = calloc(1, sizeof(*p));

	(void)c;
	if (!b || !p) {
		free(b);
		free(p);
		return -ENOMEM;
	}
	p->xt_lock = -1;
	b->priv = p;
	*out = b;
	return 0;
}

static void iptc_close(struct backend *b)
{
	if (!b)
		return;
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		drop_handle(b, fam);
		dups_free(&P(b)->dups[fam]);
	}
	free(b->priv);
	free(b);
}

const struct backend_ops iptc_ops_legacy = {
	.name = "iptables-legacy",
	.open = iptc_open,
	.close = iptc_close,
	.read = iptc_read,
	.commit = iptc_commit_op,
	.flush = iptc_flush_op,
	.remove = iptc_remove_op,
};
