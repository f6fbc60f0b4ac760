// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The iptables backend through iptables-save/-restore (for iptables-nft, which has no library,
 * and for an `iptables` of unknown kind; iptc.c does iptables-legacy in process): chains iptmon_tx/iptmon_rx in table mangle, jumped to from FORWARD,
 * one RETURN rule per host address with comment tx_NAME/rx_NAME. It reads with
 * iptables-save -c and changes with one iptables-restore --noflush batch per family, so a
 * command's changes land whole or not at all and no shell ever sees a name.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "dups.h"
#include "run.h"

enum { DIR_TX = 0, DIR_RX = 1 };

static const char *const chain_name[2] = { "iptmon_tx", "iptmon_rx" };
static const char *const dir_prefix[2] = { "tx_", "rx_" };
static const char *const dir_match[2] = { "-d", "-s" };

struct ipt_flavor {
	const char *name;
	const char *save[FAM_COUNT];
	const char *restore[FAM_COUNT];
};

static const struct ipt_flavor flavor_default = {
	"iptables", { "iptables-save", "ip6tables-save" }, { "iptables-restore", "ip6tables-restore" }
};
static const struct ipt_flavor flavor_nft = {
	"iptables-nft",
	{ "iptables-nft-save", "ip6tables-nft-save" },
	{ "iptables-nft-restore", "ip6tables-nft-restore" },
};

struct famstate {
	bool read;
	bool chain[2];
	unsigned int jumps[2];
	struct buf fixups;   /* -D lines for duplicate rules found while reading */
	struct buf jumps_del; /* -D lines for every FORWARD rule jumping to our chains */
	struct dups dups;     /* duplicate rules found by the last read */
};

struct ipt {
	const struct ipt_flavor *fl;
	struct famstate st[FAM_COUNT];
};

static struct ipt *P(struct backend *b)
{
	return b->priv;
}

/* Splits an iptables-save line into tokens, undoing its "..." quoting. */
static int tokenize(char *s, char **tok, int max)
{
	int n = 0;

	while (*s) {
		char *o;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -E2BIG;
		tok[n++] = o = s;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				*o++ = *s++;
			}
			if (*s == '"')
				s++;
		} else {
			while (*s && *s != ' ' && *s != '\t' && *s != '\n')
				*o++ = *s++;
		}
		if (*s)
			s++;
		*o = '\0';
	}
	return n;
}

static int parse_counters(const char *s, struct counter *c)
{
	unsigned long long p, b;

	if (sscanf(s, "[%llu:%llu]", &p, &b) != 2)
		return -EINVAL;
	c->packets = p;
	c->bytes = b;
	return 0;
}

static int chain_index(const char *s)
{
	for (int d = 0; d < 2; d++)
		if (!strcmp(s, chain_name[d]))
			return d;
	return -1;
}

/* "ADDR/32" or "ADDR/128" (full length only). */
static int parse_host_addr(const char *s, int fam, struct addr *a)
{
	struct prefix p;

	if (prefix_parse(&p, s) || p.addr.fam != fam || p.len != (fam == FAM_V4 ? 32u : 128u))
		return -EINVAL;
	*a = p.addr;
	return 0;
}

static int append_rule(struct buf *o, const char *op, int dir, int fam, const struct addr *a,
		       const char *name, const struct counter *c)
{
	char as[ADDR_STRLEN];

	if (c && buf_printf(o, "[%llu:%llu] ", (unsigned long long)c->packets,
			    (unsigned long long)c->bytes))
		return -ENOMEM;
	return buf_printf(o, "%s %s %s %s/%u -m comment --comment %s%s -j RETURN\n", op,
			  chain_name[dir], dir_match[dir], addr_format(a, as, sizeof(as)),
			  fam == FAM_V4 ? 32u : 128u, dir_prefix[dir], name);
}

/* "-A FORWARD ... -j iptmon_tx|rx": a jump to our chains (tok[i] is "-A"). */
static void parse_jump(struct famstate *st, char **tok, int n, int i)
{
	int dir;

	if (strcmp(tok[n - 2], "-j") || (dir = chain_index(tok[n - 1])) < 0)
		return;
	if (n - i == 4)
		st->jumps[dir]++;
	/* Any jump to our chains goes with them on remove (re-quoted for restore). */
	buf_printf(&st->jumps_del, "-D");
	for (int k = i + 1; k < n; k++)
		buf_printf(&st->jumps_del, strpbrk(tok[k], " \t\"'") ? " \"%s\"" : " %s", tok[k]);
	buf_printf(&st->jumps_del, "\n");
}

/* A host's rule in our chain DIR, counted into OUT (a duplicate only noted for repair). */
static void count_rule(struct famstate *st, int fam, int dir, const struct addr *a,
		       const char *name, const struct counter *c, struct hostset *out)
{
	struct host *h = hostset_add_addr(out, name, a);
	struct counter *dst;

	if (!h)
		return;
	for (unsigned int j = 0; j < h->naddrs; j++) {
		if (!addr_equal(&h->addrs[j], a))
			continue;
		if (dups_mark(&st->dups, out, h, j, dir) > 0) {
			/*
			 * A duplicate: only the first copy counts (it RETURNs). -D takes the first
			 * match, so the next commit deletes every copy and re-adds one carrying
			 * the counted copy's counts (see commit_fam).
			 */
			append_rule(&st->fixups, "-D", dir, fam, a, h->name, NULL);
			return;
		}
	}
	dst = dir == DIR_TX ? &h->tx[fam] : &h->rx[fam];
	dst->bytes += c->bytes;
	dst->packets += c->packets;
}

static void parse_line(struct backend *b, int fam, char *line, struct hostset *out)
{
	struct famstate *st = &P(b)->st[fam];
	char *tok[32], *comment;
	struct counter c = { 0, 0 };
	struct addr a;
	int n, i = 0, dir;

	if (line[0] == ':') {
		char name[64];

		if (sscanf(line, ":%63s", name) == 1 && (dir = chain_index(name)) >= 0)
			st->chain[dir] = true;
		return;
	}
	n = tokenize(line, tok, 32);
	if (n < 2)
		return;
	if (tok[0][0] == '[') {
		if (parse_counters(tok[0], &c))
			return;
		i = 1;
	}
	if (n - i < 2 || strcmp(tok[i], "-A"))
		return;
	if (!strcmp(tok[i + 1], "FORWARD")) {
		parse_jump(st, tok, n, i);
		return;
	}
	dir = chain_index(tok[i + 1]);
	/* Ours exactly: -A CHAIN -d|-s ADDR -m comment --comment X -j RETURN, nothing else. */
	if (dir < 0 || n - i != 10 || strcmp(tok[i + 2], dir_match[dir]) ||
	    strcmp(tok[i + 4], "-m") || strcmp(tok[i + 5], "comment") ||
	    strcmp(tok[i + 6], "--comment") || strcmp(tok[i + 8], "-j"))
		return;
	comment = tok[i + 7];
	if (strcmp(tok[i + 9], "RETURN") || strncmp(comment, dir_prefix[dir], 3) ||
	    !name_is_valid(comment + 3) || parse_host_addr(tok[i + 3], fam, &a))
		return; /* not ours: left alone */
	count_rule(st, fam, dir, &a, comment + 3, &c, out);
}

static int ipt_read_fam(struct backend *b, int fam, struct hostset *out)
{
	char *argv[] = { (char *)P(b)->fl->save[fam], "-c", "-t", "mangle", NULL };
	struct famstate *st = &P(b)->st[fam];
	struct buf o = { 0 };
	char *line, *next;
	int ret;

	struct dups dups = st->dups; /* kept across reads: its buffers are reused */

	buf_free(&st->fixups);
	buf_free(&st->jumps_del);
	memset(st, 0, sizeof(*st));
	dups_reset(&dups);
	st->dups = dups;
	ret = run_program(argv, NULL, &o, b->err, sizeof(b->err));
	if (ret) {
		buf_free(&o);
		return ret;
	}
	for (line = o.p; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		parse_line(b, fam, line, out);
	}
	buf_free(&o);
	st->read = true;
	return 0;
}

static int ipt_read(struct backend *b, unsigned int fams, struct hostset *out)
{
	memset(out, 0, sizeof(*out));
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		int ret;

		if (!(fams & (1u << fam)))
			continue;
		ret = ipt_read_fam(b, fam, out);
		if (ret) {
			hostset_free(out);
			return ret;
		}
	}
	b->base_missing = false;
	for (int fam = 0; fam < FAM_COUNT; fam++)
		for (int d = 0; d < 2; d++)
			if ((fams & (1u << fam)) && (!P(b)->st[fam].chain[d] || !P(b)->st[fam].jumps[d]))
				b->base_missing = true;
	return 0;
}

/* Base objects: both chains, exactly one jump to each from FORWARD (tx first). */
static int emit_base(struct buf *o, const struct famstate *st)
{
	int ret = 0;

	for (int d = 0; d < 2; d++)
		if (!st->chain[d])
			ret |= buf_printf(o, ":%s - [0:0]\n", chain_name[d]);
	for (int d = 1; d >= 0; d--) {
		if (!st->jumps[d])
			ret |= buf_printf(o, "-I FORWARD 1 -j %s\n", chain_name[d]);
		for (unsigned int k = 1; k < st->jumps[d]; k++)
			ret |= buf_printf(o, "-D FORWARD -j %s\n", chain_name[d]);
	}
	return ret ? -ENOMEM : 0;
}

static int apply(struct backend *b, int fam, const struct buf *body)
{
	char *argv[] = { (char *)P(b)->fl->restore[fam], "--noflush", "--counters", "-w", NULL };
	struct buf in = { 0 };
	int ret;

	if (buf_printf(&in, "*mangle\n") || buf_append(&in, body->p, body->len) ||
	    buf_printf(&in, "COMMIT\n")) {
		buf_free(&in);
		return -ENOMEM;
	}
	ret = run_program(argv, &in, NULL, b->err, sizeof(b->err));
	buf_free(&in);
	return ret;
}

static int ensure_read(struct backend *b, int fam)
{
	struct hostset tmp;
	int ret;

	if (P(b)->st[fam].read)
		return 0;
	ret = ipt_read(b, 1u << fam, &tmp);
	hostset_free(&tmp);
	return ret;
}

static int commit_fam(struct backend *b, int fam, const struct plan *p)
{
	struct famstate *st = &P(b)->st[fam];
	struct buf o = { 0 };
	int ret = ensure_read(b, fam);

	if (ret)
		return ret;
	ret = emit_base(&o, st);
	if (!ret && st->fixups.len)
		ret = buf_append(&o, st->fixups.p, st->fixups.len);
	for (size_t i = 0; !ret && i < p->ndel; i++)
		for (int d = 0; d < 2 && !ret && p->del[i].a->fam == fam; d++)
			ret = append_rule(&o, "-D", d, fam, p->del[i].a, p->del[i].h->name, NULL);
	/* Kept, but it had duplicates: the last copy goes, one comes back counted. */
	for (size_t i = 0; !ret && i < st->dups.n; i++) {
		const struct dup *x = &st->dups.v[i];
		const struct host *h = p->old ? hostset_find(p->old, x->name) : NULL;

		if (!h || !host_has_addr(hostset_find(p->want, x->name), &x->a))
			continue;
		ret = append_rule(&o, "-D", x->dir, fam, &x->a, x->name, NULL);
		if (!ret)
			ret = append_rule(&o, "-A", x->dir, fam, &x->a, x->name,
					  x->dir == DIR_TX ? &h->tx[fam] : &h->rx[fam]);
	}
	for (size_t i = 0; !ret && i < p->nadd; i++) {
		const struct host *h = p->add[i].h;

		if (p->add[i].a->fam != fam)
			continue;
		/* A host at a new address (or a renamed one) keeps its counts. */
		ret = append_rule(&o, "-A", DIR_TX, fam, p->add[i].a, h->name, &h->tx[fam]);
		if (!ret)
			ret = append_rule(&o, "-A", DIR_RX, fam, p->add[i].a, h->name, &h->rx[fam]);
	}
	if (!ret && o.len)
		ret = apply(b, fam, &o);
	if (!ret)
		st->read = false; /* what we knew is stale now */
	buf_free(&o);
	return ret;
}

static int ipt_commit(struct backend *b, unsigned int fams, const struct plan *p)
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

static int ipt_flush_or_remove(struct backend *b, unsigned int fams, bool remove)
{
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		struct famstate *st = &P(b)->st[fam];
		struct buf o = { 0 };
		int ret = 0;

		if (!(fams & (1u << fam)))
			continue;
		ret = ensure_read(b, fam);
		if (ret)
			return ret;
		if (remove && st->jumps_del.len)
			ret |= buf_append(&o, st->jumps_del.p, st->jumps_del.len);
		for (int d = 0; d < 2; d++)
			if (st->chain[d])
				ret |= buf_printf(&o, "-F %s\n", chain_name[d]);
		for (int d = 0; d < 2 && remove; d++)
			if (st->chain[d])
				ret |= buf_printf(&o, "-X %s\n", chain_name[d]);
		if (ret)
			ret = -ENOMEM;
		else if (o.len)
			ret = apply(b, fam, &o);
		buf_free(&o);
		st->read = false;
		if (ret)
			return ret;
	}
	return 0;
}

static int ipt_flush(struct backend *b, unsigned int fams)
{
	return ipt_flush_or_remove(b, fams, false);
}

static int ipt_remove(struct backend *b, unsigned int fams)
{
	return ipt_flush_or_remove(b, fams, true);
}

static int open_flavor(struct backend **out, const struct ipt_flavor *fl)
{
	struct backend *b = calloc(1, sizeof(*b));
	struct ipt *p = calloc(1, sizeof(*p));

	if (!b || !p) {
		free(b);
		free(p);
		return -ENOMEM;
	}
	p->fl = fl;
	b->priv = p;
	*out = b;
	return 0;
}

static void ipt_close(struct backend *b)
{
	if (!b)
		return;
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		buf_free(&P(b)->st[fam].fixups);
		buf_free(&P(b)->st[fam].jumps_del);
		dups_free(&P(b)->st[fam].dups);
	}
	free(b->priv);
	free(b);
}

#define IPT_OPS(sym, flv, label)                                                                    \
	static int sym##_open(struct backend **b, const struct config *c)                     \
	{                                                                                     \
		(void)c;                                                                      \
		return open_flavor(b, &flv);                                                  \
	}                                                                                     \
	const struct backend_ops sym = {                                                      \
		.name = label,                                                                \
		.open = sym##_open,                                                           \
		.close = ipt_close,                                                           \
		.read = ipt_read,                                                             \
		.commit = ipt_commit,                                                         \
		.flush = ipt_flush,                                                           \
		.remove = ipt_remove,                                                         \
	}

IPT_OPS(ipt_ops_default, flavor_default, "iptables");
IPT_OPS(ipt_ops_nft, flavor_nft, "iptables-nft");
