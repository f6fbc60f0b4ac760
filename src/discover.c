// SPDX-License-Identifier: GPL-2.0-or-later
/* Host discovery's decisions (see discover.h): no I/O but reading the name files. */
#include "discover.h"

#include <ctype.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct disc_nb {
	struct addr addr;
	char mac[MAC_SIZE];
	char prev[MAC_SIZE]; /* the MAC it had before it moved, until disc_applied() */
	int64_t seen;	     /* last time healthy (ms) */
	int64_t bad_since;   /* when it went stale, failed or was deleted (ms) */
	bool bad;
	bool counted; /* by the last committed decision */
	bool done;    /* past its grace and acted on, but a file keeps it counted: kept to know
		       * whose the address was */
};

/* States in which the kernel believes the neighbour is there. */
#define NUD_HEALTHY (NUD_REACHABLE | NUD_PERMANENT | NUD_NOARP | NUD_DELAY | NUD_PROBE)

/* ---- the name files ------------------------------------------------------------------ */

static void statics_free(struct disc_statics *s)
{
	free(s->v);
	free(s->names);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}

const char *disc_static_name(const struct disc_names *n, const struct addr *a)
{
	const struct disc_statics *s = &n->statics;

	if (!s->nb)
		return NULL;
	for (size_t m = s->nb - 1, b = addr_hash(a) & m; s->idx[b]; b = (b + 1) & m)
		if (addr_equal(&s->v[s->idx[b] - 1].a, a))
			return s->names + s->v[s->idx[b] - 1].name;
	return NULL;
}

static void statics_index(struct disc_statics *s, size_t i)
{
	size_t m = s->nb - 1, b = addr_hash(&s->v[i].a) & m;

	while (s->idx[b])
		b = (b + 1) & m;
	s->idx[b] = (uint32_t)(i + 1);
}

/* NAME for A (not there yet); 0 or -ENOMEM (nothing changed). */
static int statics_add(struct disc_statics *s, const struct addr *a, const char *name)
{
	size_t len = strlen(name) + 1;

	if (s->n >= UINT32_MAX - 1 || s->nlen + len > UINT32_MAX)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct disc_static *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (s->nlen + len > s->ncap) {
		size_t cap = s->ncap ? s->ncap * 2 : 256;
		char *p;

		while (cap < s->nlen + len)
			cap *= 2;
		if (!(p = realloc(s->names, cap)))
			return -ENOMEM;
		s->names = p;
		s->ncap = cap;
	}
	if ((s->n + 1) * 2 > s->nb) {
		size_t nb = s->nb ? s->nb * 2 : 32;
		uint32_t *idx = calloc(nb, sizeof(*idx));

		if (!idx)
			return -ENOMEM;
		free(s->idx);
		s->idx = idx;
		s->nb = nb;
		for (size_t i = 0; i < s->n; i++)
			statics_index(s, i);
	}
	s->v[s->n] = (struct disc_static){ *a, (uint32_t)s->nlen };
	memcpy(s->names + s->nlen, name, len);
	s->nlen += len;
	statics_index(s, s->n++);
	return 0;
}

void disc_names_free(struct disc_names *n)
{
	leases_free(&n->leases);
	statics_free(&n->statics);
	free(n->macs);
	n->macs = NULL;
	n->nmacs = 0;
}

static int split(char *s, char **f, int max)
{
	int n = 0;

	while (n < max) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		f[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static bool all_of(const char *s, int (*is)(int))
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is((unsigned char)*s))
			return false;
	return true;
}

int disc_parse_lease(const char *line, struct lease *out, bool *used)
{
	char buf[1024], *f[5];
	struct addr a;
	int n;

	*used = false;
	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	n = split(buf, f, 5);
	if (n == 0 || (n == 2 && !strcmp(f[0], "duid")))
		return 0; /* blank, or dnsmasq's own DUID */
	/* EXPIRY MAC|IAID ADDRESS NAME|* [CLIENT-ID|DUID]: a line cut short is not a lease */
	if (n < 4 || !all_of(f[0], isdigit) || strlen(f[0]) > 18 || addr_parse(&a, f[2]))
		return -EINVAL;
	if (a.fam == FAM_V6 && !all_of(f[1], isxdigit))
		return -EINVAL;
	if (leases_parse_line(out, line))
		return -EINVAL;
	*used = true;
	return 0;
}

/* "001122..." (an even number of hex digits) as "00:11:22:..."; -EINVAL otherwise. */
static int hex_colons(const char *hex, char *out, size_t len)
{
	size_t n = strlen(hex), o = 0;

	if (!n || n % 2 || !all_of(hex, isxdigit) || n / 2 * 3 > len)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		out[o++] = hex[i];
		out[o++] = hex[i + 1];
		out[o++] = i + 2 < n ? ':' : '\0';
	}
	return 0;
}

int disc_parse_odhcpd(const char *line, struct disc_mac_name *out)
{
	char buf[1024], *f[9], colons[200], *end;
	int n;

	/* "# IFACE DUID|MAC IAID|ipv4 HOSTNAME VALID ASSIGNED LENGTH [ADDR/LEN...]" */
	if (strlen(line) >= sizeof(buf) || line[0] != '#' || line[1] != ' ')
		return 1;
	strcpy(buf, line + 2);
	n = split(buf, f, 9);
	if (n < 7 || !all_of(f[1], isxdigit) || (strcmp(f[2], "ipv4") && !all_of(f[2], isxdigit)))
		return 1;
	strtoll(f[4], &end, 10);
	if (*end || !all_of(f[6], isdigit))
		return 1;
	if (!strcmp(f[3], "-") || !strncmp(f[3], "broken\\x20", 10))
		return 1; /* no name, or one odhcpd itself called broken */
	if (hex_colons(f[1], colons, sizeof(colons)))
		return 1;
	if (!strcmp(f[2], "ipv4") ? mac_parse(out->mac, colons) : duid_mac(out->mac, colons))
		return 1;
	return name_sanitize(f[3], out->name) ? 1 : 0;
}

/* Lines of FILE, each complete one into fn; a last one without its newline counts bad. */
static int read_lines(const char *path, int (*fn)(void *ctx, const char *line), void *ctx,
		      unsigned int *bad)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "re");
	int ret = 0;

	*bad = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		if (len == 0 || line[len - 1] != '\n') {
			*bad += len > 0; /* half-written: the writer is not done with it */
			continue;
		}
		ret = fn(ctx, line);
		if (ret > 0) {
			++*bad;
			ret = 0;
		}
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	return ret;
}

static int lease_line(void *ctx, const char *line)
{
	struct leases *l = ctx;
	struct lease le;
	bool used;

	if (disc_parse_lease(line, &le, &used))
		return 1;
	if (!used)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct lease *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = le;
	return 0;
}

int disc_read_leases(struct disc_names *n, const char *path, unsigned int *bad)
{
	return read_lines(path, lease_line, &n->leases, bad);
}

struct hosts_ctx {
	struct disc_names *n;
	const struct config *c;
};

static int hosts_line(void *ctx, const char *line)
{
	struct hosts_ctx *x = ctx;
	char as[256], ns[1024], name[NAME_SIZE];
	const char *p = line + strspn(line, " \t");
	struct disc_mac_name mn;
	struct addr a;

	if (*p == '#') {
		if (!disc_parse_odhcpd(p, &mn)) {
			struct disc_mac_name *v = realloc(x->n->macs, (x->n->nmacs + 1) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			x->n->macs = v;
			v[x->n->nmacs++] = mn;
		}
		return 0;
	}
	if (!p[strspn(p, " \t\r\n")])
		return 0;
	if (statics_parse_line(line, as, sizeof(as), ns, sizeof(ns)) || addr_parse(&a, as) ||
	    name_sanitize(ns, name))
		return 1;
	if (!addr_countable(x->c, &a) || disc_static_name(x->n, &a))
		return 0; /* the first name of an address is its name */
	return statics_add(&x->n->statics, &a, name);
}

int disc_read_hosts(struct disc_names *n, const struct config *c, const char *path,
		    unsigned int *bad)
{
	struct hosts_ctx x = { n, c };

	return read_lines(path, hosts_line, &x, bad);
}

void disc_mac_name(const char *mac, char out[NAME_SIZE])
{
	size_t o = strlen(DISC_MAC_PREFIX);

	memcpy(out, DISC_MAC_PREFIX, o);
	for (const char *p = mac; *p && o < NAME_SIZE - 1; p++)
		if (*p != ':')
			out[o++] = *p;
	out[o] = '\0';
}

/* ---- the neighbours ------------------------------------------------------------------ */

void disc_init(struct disc *d, const struct config *cfg)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
}

void disc_free(struct disc *d)
{
	free(d->v);
	disc_names_free(&d->names);
	memset(d, 0, sizeof(*d));
}

void disc_set_names(struct disc *d, struct disc_names *n)
{
	disc_names_free(&d->names);
	d->names = *n;
	memset(n, 0, sizeof(*n));
}

size_t disc_count(const struct disc *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += !d->v[i].done;
	return n;
}

static struct disc_nb *find(const struct disc *d, const struct addr *a)
{
	for (size_t i = 0; i < d->n; i++)
		if (addr_equal(&d->v[i].addr, a))
			return &d->v[i];
	return NULL;
}

static bool expired(const struct disc *d, const struct disc_nb *nb, int64_t now_ms)
{
	return nb->bad && now_ms - nb->bad_since >= (int64_t)d->cfg->discover_grace * 1000;
}

/* A device's own MAC: not a group address (broadcast, multicast), not all zeroes. */
static bool unicast_mac(const char *mac)
{
	return mac[0] && !(strtoul((char[]){ mac[0], mac[1], '\0' }, NULL, 16) & 1) &&
	       strcmp(mac, "00:00:00:00:00:00");
}

int disc_update(struct disc *d, const struct neigh_msg *m, int64_t now_ms)
{
	struct disc_nb *nb = find(d, &m->addr);
	bool healthy = !m->deleted && (m->state & NUD_HEALTHY) && unicast_mac(m->mac);
	bool was_expired;
	int changed = 0;

	if (!nb) {
		/* New: a neighbour the kernel holds a MAC for, living or stale. */
		if (m->deleted || !unicast_mac(m->mac) || !(m->state & (NUD_HEALTHY | NUD_STALE)) ||
		    !addr_countable(d->cfg, &m->addr))
			return 0;
		if (d->n == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 64;
			struct disc_nb *v = realloc(d->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			d->v = v;
			d->cap = cap;
		}
		nb = &d->v[d->n++];
		memset(nb, 0, sizeof(*nb));
		nb->addr = m->addr;
		strcpy(nb->mac, m->mac);
		nb->seen = now_ms;
		nb->bad = !healthy;
		nb->bad_since = healthy ? 0 : now_ms;
		return 1;
	}
	was_expired = expired(d, nb, now_ms);
	if (!m->deleted && unicast_mac(m->mac) && strcmp(m->mac, nb->mac)) {
		if (!nb->prev[0])
			strcpy(nb->prev, nb->mac);
		strcpy(nb->mac, m->mac);
		changed = 1;
		if (was_expired) { /* another device where one was gone: its own grace */
			nb->done = false;
			nb->seen = now_ms;
			nb->bad = !healthy;
			nb->bad_since = healthy ? 0 : now_ms;
			return changed;
		}
	}
	if (healthy) {
		nb->bad = false;
		nb->bad_since = 0;
		nb->seen = now_ms;
		nb->done = false;
		changed |= was_expired;
	} else if (!nb->bad) {
		nb->bad = true;
		nb->bad_since = now_ms;
	}
	return changed;
}

int disc_expired(const struct disc *d, int64_t now_ms)
{
	for (size_t i = 0; i < d->n; i++)
		if (!d->v[i].done && expired(d, &d->v[i], now_ms))
			return 1;
	return 0;
}

void disc_mark(struct disc *d, const struct hostset *want)
{
	for (size_t i = 0; i < d->n; i++)
		d->v[i].counted = hostset_find_addr(want, &d->v[i].addr) != NULL;
}

int disc_missing(const struct disc *d, const struct hostset *snap, int64_t now_ms)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].counted && !expired(d, &d->v[i], now_ms) &&
		    !hostset_find_addr(snap, &d->v[i].addr))
			return 1;
	return 0;
}

void disc_applied(struct disc *d, int64_t now_ms)
{
	for (size_t i = 0; i < d->n;) {
		struct disc_nb *nb = &d->v[i];

		nb->prev[0] = '\0';
		if (expired(d, nb, now_ms) && !nb->counted) {
			*nb = d->v[--d->n];
			continue;
		}
		nb->done = expired(d, nb, now_ms);
		i++;
	}
}

/* ---- the decision -------------------------------------------------------------------- */

static bool lease_active(const struct lease *le, time_t now)
{
	return le->expires == 0 || le->expires > (long long)now;
}

static const char *name_for_mac(const struct disc *d, const char *mac, time_t now)
{
	const struct leases *l = &d->names.leases;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].name[0] && !strcmp(l->v[i].mac, mac) && lease_active(&l->v[i], now))
			return l->v[i].name;
	for (size_t i = 0; i < d->names.nmacs; i++)
		if (!strcmp(d->names.macs[i].mac, mac))
			return d->names.macs[i].name;
	return NULL;
}

/* A lease of another MAC's is that device's name, not this one's. */
static const char *name_for_addr(const struct disc *d, const struct addr *a, const char *mac,
				 time_t now)
{
	const struct leases *l = &d->names.leases;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].name[0] && addr_equal(&l->v[i].addr, a) && lease_active(&l->v[i], now) &&
		    (!l->v[i].mac[0] || !strcmp(l->v[i].mac, mac)))
			return l->v[i].name;
	return disc_static_name(&d->names, a);
}

/* A lease or a hosts file still gives the address: it stays counted. */
static bool given(const struct disc *d, const struct addr *a, time_t now)
{
	const struct leases *l = &d->names.leases;

	for (size_t i = 0; i < l->n; i++)
		if (addr_equal(&l->v[i].addr, a) && lease_active(&l->v[i], now))
			return true;
	return disc_static_name(&d->names, a) != NULL;
}

/* Which of a device's addresses it is counted at: leased to it, then living, then stale. */
static int rank(const struct disc *d, const struct disc_nb *nb, time_t now)
{
	const struct leases *l = &d->names.leases;
	int r = !nb->bad;

	for (size_t i = 0; i < l->n; i++)
		if (addr_equal(&l->v[i].addr, &nb->addr) && !strcmp(l->v[i].mac, nb->mac) &&
		    lease_active(&l->v[i], now))
			return r + 2;
	return r;
}

/* Host h is known to be another device's: by its MAC-derived name, or a lease of one of its
 * addresses. */
static bool foreign(const struct disc *d, const struct host *h, const char *mac, time_t now)
{
	const struct leases *l = &d->names.leases;
	char own[NAME_SIZE];

	disc_mac_name(mac, own);
	if (!strncmp(h->name, DISC_MAC_PREFIX, strlen(DISC_MAC_PREFIX)) &&
	    strlen(h->name) == strlen(own) && strcmp(h->name, own))
		return true;
	for (unsigned int j = 0; j < h->naddrs; j++)
		for (size_t i = 0; i < l->n; i++)
			if (addr_equal(&l->v[i].addr, &h->addrs[j]) && l->v[i].mac[0] &&
			    strcmp(l->v[i].mac, mac) && lease_active(&l->v[i], now))
				return true;
	return false;
}

/* Host h is another device than MAC's: one of its addresses is another MAC's, none MAC's. */
static bool other_device(const struct disc *d, const struct host *h, const char *mac)
{
	bool other = false;

	for (unsigned int j = 0; j < h->naddrs; j++) {
		const struct disc_nb *nb = find(d, &h->addrs[j]);

		if (nb && !strcmp(nb->mac, mac))
			return false;
		other |= nb != NULL;
	}
	return other;
}

/* The name device MAC (neighbours g[0..n)) counts under; *held: an address of it counted
 * under another name that is to become this one (a rename), or NULL. */
static void device_name(const struct disc *d, const struct hostset *want,
			const struct disc_nb *const *g, size_t n, time_t now, char name[NAME_SIZE],
			const struct addr **held)
{
	const char *mac = g[0]->mac, *src = name_for_mac(d, mac, now);
	const struct host *holder = NULL, *h;
	char alt[NAME_SIZE];

	*held = NULL;
	for (size_t i = 0; i < n && !src; i++)
		src = name_for_addr(d, &g[i]->addr, mac, now);
	/* Counted already (not at an address just taken from another device, nor under a name
	 * known to be another device's): that host. */
	for (size_t i = 0; i < n && !holder; i++) {
		h = g[i]->prev[0] ? NULL : hostset_find_addr(want, &g[i]->addr);
		if (h && !foreign(d, h, mac, now)) {
			holder = h;
			*held = &g[i]->addr;
		}
	}
	if (!src) {
		if (holder)
			snprintf(name, NAME_SIZE, "%s", holder->name);
		else
			disc_mac_name(mac, name);
		*held = NULL;
		return;
	}
	snprintf(name, NAME_SIZE, "%s", src);
	/* Another device has the name: this one gets NAME_<hash of its MAC>, as events do. */
	snprintf(alt, sizeof(alt), "%.*s_%08x", NAME_MAX_LEN - NAME_HASH_LEN, src,
		 (unsigned int)name_hash(mac));
	h = hostset_find(want, name);
	if (hostset_find(want, alt) || (h && h != holder && other_device(d, h, mac)))
		snprintf(name, NAME_SIZE, "%s", alt);
	if (holder && !strcmp(holder->name, name))
		*held = NULL;
}

/* One address a device may be counted at, and how much it wants to be. */
struct cand {
	struct addr addr;
	int rank;
	bool held; /* counted at already */
	int64_t seen;
};

static int by_want(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (a->rank != b->rank)
		return b->rank - a->rank;
	if (a->held != b->held)
		return b->held - a->held;
	return a->seen < b->seen ? 1 : a->seen > b->seen ? -1 : 0;
}

/* Every address the device keeps, up to HOST_MAX_ADDRS (see discover.h), for NAME. */
static int decide_many(const struct disc *d, struct hostset *want, const struct disc_nb *const *g,
		       size_t n, time_t now, const char *name)
{
	const struct host *h = hostset_find(want, name);
	struct cand *c = malloc((n + HOST_MAX_ADDRS) * sizeof(*c));
	struct addr pick[HOST_MAX_ADDRS];
	bool fam_done[FAM_COUNT] = { false }, *taken;
	unsigned int k = 0;
	size_t nc = 0;
	int ret;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		c[nc++] = (struct cand){ g[i]->addr, rank(d, g[i], now),
					 host_has_addr(h, &g[i]->addr), g[i]->seen };
	/* The host's other addresses that a lease or a hosts file gives (past their grace too). */
	for (unsigned int j = 0; h && j < h->naddrs; j++) {
		size_t i = 0;

		while (i < n && !addr_equal(&g[i]->addr, &h->addrs[j]))
			i++;
		if (i == n && given(d, &h->addrs[j], now))
			c[nc++] = (struct cand){ h->addrs[j], 2, true, 0 };
	}
	qsort(c, nc, sizeof(*c), by_want);
	taken = calloc(nc, sizeof(*taken));
	if (!taken) {
		free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nc && k < HOST_MAX_ADDRS; i++) /* the best of each family */
		if (!fam_done[c[i].addr.fam]) {
			fam_done[c[i].addr.fam] = taken[i] = true;
			pick[k++] = c[i].addr;
		}
	for (size_t i = 0; i < nc && k < HOST_MAX_ADDRS; i++)
		if (!taken[i])
			pick[k++] = c[i].addr;
	free(taken);
	free(c);
	ret = hostset_set_addrs(want, name, pick, k);
	return ret == -ENOMEM ? ret : 0;
}

static int decide_device(const struct disc *d, struct hostset *want,
			 const struct disc_nb *const *g, size_t n, time_t now)
{
	char name[NAME_SIZE];
	const struct addr *held;
	int ret;

	device_name(d, want, g, n, now, name, &held);
	/* A new name for a counted device: its host renamed, counts and all. */
	if (held && !hostset_find(want, name)) {
		ret = hostset_upsert_ex(want, name, held, true);
		if (ret < 0)
			return ret == -ENOMEM ? ret : 0;
	}
	if (d->many)
		return decide_many(d, want, g, n, now, name);
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		const struct disc_nb *best = NULL;
		const struct host *h = hostset_find(want, name);
		bool keep = false;

		for (size_t i = 0; i < n; i++)
			if (g[i]->addr.fam == fam &&
			    (!best || rank(d, g[i], now) > rank(d, best, now) ||
			     (rank(d, g[i], now) == rank(d, best, now) && g[i]->seen > best->seen)))
				best = g[i];
		if (!best)
			continue;
		/* The address it counts at stays while it lives (unless a leased or a living one
		 * is there instead of it), or while a file gives it. */
		for (unsigned int j = 0; h && j < h->naddrs && !keep; j++) {
			const struct disc_nb *nb;

			if (h->addrs[j].fam != fam)
				continue;
			nb = find(d, &h->addrs[j]);
			if (nb && !strcmp(nb->mac, g[0]->mac))
				keep = rank(d, nb, now) >= rank(d, best, now);
			else
				keep = given(d, &h->addrs[j], now);
		}
		if (keep)
			continue;
		ret = hostset_upsert_ex(want, name, &best->addr, false);
		if (ret == -ENOMEM)
			return ret;
	}
	return 0;
}

static int by_mac(const void *a, const void *b)
{
	return strcmp((*(const struct disc_nb *const *)a)->mac,
		      (*(const struct disc_nb *const *)b)->mac);
}

int disc_decide(const struct disc *d, const struct hostset *old, struct hostset *want,
		int64_t now_ms, time_t now)
{
	const struct disc_nb **g = malloc((d->n + 1) * sizeof(*g));
	size_t n = 0;
	int ret = 0;

	(void)old;
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		const struct disc_nb *nb = &d->v[i];

		if (!expired(d, nb, now_ms))
			g[n++] = nb;
		else if (!given(d, &nb->addr, now))
			hostset_del_addr(want, &nb->addr);
	}
	qsort(g, n, sizeof(*g), by_mac);
	for (size_t i = 0, k; !ret && i < n; i = k) {
		for (k = i + 1; k < n && !strcmp(g[k]->mac, g[i]->mac); k++)
			;
		ret = decide_device(d, want, g + i, k - i, now);
	}
	free(g);
	return ret;
}
