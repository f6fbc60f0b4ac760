// SPDX-License-Identifier: GPL-2.0-or-later
/* The host table, hosts files and dnsmasq's lease file. */
#include "hosts.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Hash indexes over names and addresses, so that reading 4000 hosts or upserting one stays
 * linear. Open addressing without deletions: anything but an append marks the index dirty,
 * and the next lookup rebuilds it.
 */
#define INDEX_MAX_HOSTS (1u << 24) /* an address entry holds the position in 24 bits */

struct hostindex {
	size_t nb;	   /* buckets per table, a power of two */
	size_t nnames, naddrs;
	uint32_t *names;   /* host position + 1, 0 = empty */
	uint32_t *addrs;   /* (host position + 1) << 8 | address slot, 0 = empty */
	bool dirty;
};

static void index_free(struct hostindex *x)
{
	if (!x)
		return;
	free(x->names);
	free(x->addrs);
	free(x);
}

static void index_dirty(const struct hostset *s)
{
	if (s->idx)
		s->idx->dirty = true;
}

static void index_put_name(struct hostindex *x, const struct hostset *s, size_t i)
{
	size_t m = x->nb - 1, b = fnv_hash(s->v[i].name, strlen(s->v[i].name)) & m;

	while (x->names[b])
		b = (b + 1) & m;
	x->names[b] = (uint32_t)(i + 1);
	x->nnames++;
}

static void index_put_addr(struct hostindex *x, const struct hostset *s, size_t i, unsigned int j)
{
	size_t m = x->nb - 1, b = addr_hash(&s->v[i].addrs[j]) & m;

	while (x->addrs[b])
		b = (b + 1) & m;
	x->addrs[b] = ((uint32_t)(i + 1) << 8) | j;
	x->naddrs++;
}

/* The index, current for s; NULL when memory ran out (callers fall back to scanning). */
static struct hostindex *index_get(const struct hostset *cs)
{
	struct hostset *s = (struct hostset *)cs; /* the index is a cache, not content */
	struct hostindex *x = s->idx;
	size_t want = 64, total = 0;

	if (x && !x->dirty)
		return x;
	for (size_t i = 0; i < s->n; i++) {
		total += s->v[i].naddrs;
		if (s->v[i].naddrs > 255)
			return NULL; /* past what an entry holds: callers scan */
	}
	if (s->n >= INDEX_MAX_HOSTS)
		return NULL;
	/* at most half full: probes stay short, and 4000 hosts take 48 KiB */
	while (want < (s->n + 1) * 2 || want < (total + HOST_MAX_ADDRS) * 2)
		want *= 2;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return NULL;
		s->idx = x;
	}
	if (x->nb != want) {
		free(x->names);
		free(x->addrs);
		x->names = malloc(want * sizeof(*x->names));
		x->addrs = malloc(want * sizeof(*x->addrs));
		if (!x->names || !x->addrs) {
			index_free(x);
			s->idx = NULL;
			return NULL;
		}
		x->nb = want;
	}
	memset(x->names, 0, x->nb * sizeof(*x->names));
	memset(x->addrs, 0, x->nb * sizeof(*x->addrs));
	x->nnames = x->naddrs = 0;
	for (size_t i = 0; i < s->n; i++) {
		index_put_name(x, s, i);
		for (unsigned int j = 0; j < s->v[i].naddrs; j++)
			index_put_addr(x, s, i, j);
	}
	x->dirty = false;
	return x;
}

bool host_has_addr(const struct host *h, const struct addr *a)
{
	for (unsigned int j = 0; h && j < h->naddrs; j++)
		if (addr_equal(&h->addrs[j], a))
			return true;
	return false;
}

void hostset_free(struct hostset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].addrs);
	free(s->v);
	index_free(s->idx);
	free(s->renames);
	s->v = NULL;
	s->idx = NULL;
	s->renames = NULL;
	s->n = s->cap = s->nrenames = s->addrs_dropped = 0;
}

/* Room for N hosts: exactly N when asked (hostset_reserve), else doubling (appends). */
static int hostset_room(struct hostset *s, size_t n, bool exact)
{
	struct host *v;
	size_t cap;

	if (n <= s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	if (exact)
		cap = n;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

int hostset_reserve(struct hostset *s, size_t n)
{
	return hostset_room(s, n, true);
}

int hostset_copy(struct hostset *dst, const struct hostset *src)
{
	memset(dst, 0, sizeof(*dst));
	if (hostset_reserve(dst, src->n))
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		struct host *h = &dst->v[dst->n];

		*h = src->v[i];
		h->addrs = NULL;
		if (host_set_addrs(h, src->v[i].addrs, src->v[i].naddrs)) {
			hostset_free(dst);
			return -ENOMEM;
		}
		dst->n++;
	}
	return 0;
}

int host_set_addrs(struct host *h, const struct addr *a, unsigned int n)
{
	struct addr *v = NULL;

	if (n && !(v = malloc(n * sizeof(*v))))
		return -ENOMEM;
	if (n)
		memcpy(v, a, n * sizeof(*v));
	free(h->addrs);
	h->addrs = v;
	h->naddrs = n;
	return 0;
}

struct host *hostset_find(const struct hostset *s, const char *name)
{
	struct hostindex *x = index_get(s);

	if (!x) {
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->v[i].name, name))
				return &s->v[i];
		return NULL;
	}
	for (size_t m = x->nb - 1, b = fnv_hash(name, strlen(name)) & m; x->names[b];
	     b = (b + 1) & m)
		if (!strcmp(s->v[x->names[b] - 1].name, name))
			return &s->v[x->names[b] - 1];
	return NULL;
}

struct host *hostset_find_addr(const struct hostset *s, const struct addr *a)
{
	struct hostindex *x = index_get(s);

	if (!x) {
		for (size_t i = 0; i < s->n; i++)
			for (unsigned int j = 0; j < s->v[i].naddrs; j++)
				if (addr_equal(&s->v[i].addrs[j], a))
					return &s->v[i];
		return NULL;
	}
	for (size_t m = x->nb - 1, b = addr_hash(a) & m; x->addrs[b]; b = (b + 1) & m) {
		struct host *h = &s->v[(x->addrs[b] >> 8) - 1];

		if (addr_equal(&h->addrs[x->addrs[b] & 0xff], a))
			return h;
	}
	return NULL;
}

struct host *hostset_ensure(struct hostset *s, const char *name)
{
	struct host *h = hostset_find(s, name);

	return h ? h : hostset_append(s, name);
}

struct host *hostset_append(struct hostset *s, const char *name)
{
	size_t len = strlen(name);
	struct host *h;

	if (len >= NAME_SIZE || hostset_room(s, s->n + 1, false))
		return NULL;
	h = &s->v[s->n++];
	memset(h, 0, sizeof(*h));
	memcpy(h->name, name, len + 1);
	if (s->idx && !s->idx->dirty) { /* a built index kept (a view's set has none) */
		if ((s->idx->nnames + 1) * 2 <= s->idx->nb && s->n <= INDEX_MAX_HOSTS - 1)
			index_put_name(s->idx, s, s->n - 1);
		else
			s->idx->dirty = true;
	}
	return h;
}

static int host_append_addr(struct hostset *s, struct host *h, const struct addr *a)
{
	struct addr *v = realloc(h->addrs, (h->naddrs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	h->addrs = v;
	h->addrs[h->naddrs++] = *a;
	if (s->idx && !s->idx->dirty) {
		if ((s->idx->naddrs + 1) * 2 <= s->idx->nb && s->n <= INDEX_MAX_HOSTS - 1)
			index_put_addr(s->idx, s, (size_t)(h - s->v), h->naddrs - 1);
		else
			s->idx->dirty = true;
	}
	return 0;
}

struct host *hostset_add_addr(struct hostset *s, const char *name, const struct addr *a)
{
	struct host *h = hostset_ensure(s, name);

	if (!h)
		return NULL;
	for (unsigned int j = 0; j < h->naddrs; j++)
		if (addr_equal(&h->addrs[j], a))
			return h;
	if (h->naddrs < HOST_MAX_ADDRS) {
		if (host_append_addr(s, h, a))
			return NULL;
	} else if (!s->addrs_dropped++) {
		memcpy(s->addrs_dropped_host, h->name, sizeof(s->addrs_dropped_host));
	}
	return h;
}

static void host_drop_addr(struct hostset *s, struct host *h, unsigned int j)
{
	memmove(&h->addrs[j], &h->addrs[j + 1], (h->naddrs - j - 1) * sizeof(h->addrs[0]));
	h->naddrs--;
	index_dirty(s);
}

void hostset_remove_at(struct hostset *s, size_t i)
{
	free(s->v[i].addrs);
	s->v[i] = s->v[--s->n];
	index_dirty(s);
}

size_t hostset_prune_empty(struct hostset *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n;)
		if (!s->v[i].naddrs) {
			hostset_remove_at(s, i);
			n++;
		} else {
			i++;
		}
	return n;
}

/* A host other than `except` that holds address A, or NULL. */
static struct host *find_other_holder(const struct hostset *s, const struct addr *a,
				      const char *except)
{
	struct hostindex *x = index_get(s);

	if (!x) {
		for (size_t i = 0; i < s->n; i++)
			for (unsigned int j = 0; j < s->v[i].naddrs; j++)
				if (addr_equal(&s->v[i].addrs[j], a) &&
				    (!except || strcmp(s->v[i].name, except)))
					return &s->v[i];
		return NULL;
	}
	for (size_t m = x->nb - 1, b = addr_hash(a) & m; x->addrs[b]; b = (b + 1) & m) {
		struct host *h = &s->v[(x->addrs[b] >> 8) - 1];

		if (addr_equal(&h->addrs[x->addrs[b] & 0xff], a) && (!except || strcmp(h->name, except)))
			return h;
	}
	return NULL;
}

/* Takes address A away from every host that holds it but `except`; 1 if any did. */
static int take_addr(struct hostset *s, const struct addr *a, const char *except)
{
	struct host *h;
	int changed = 0;

	while ((h = find_other_holder(s, a, except))) {
		for (unsigned int j = 0; j < h->naddrs; j++)
			if (addr_equal(&h->addrs[j], a)) {
				host_drop_addr(s, h, j);
				break;
			}
		if (!h->naddrs)
			hostset_remove_at(s, (size_t)(h - s->v));
		changed = 1;
	}
	return changed;
}

int hostset_del_addr(struct hostset *s, const struct addr *a)
{
	return take_addr(s, a, NULL);
}

int hostset_upsert(struct hostset *s, const char *name, const struct addr *a)
{
	return hostset_upsert_ex(s, name, a, false);
}

int hostset_upsert_ex(struct hostset *s, const char *name, const struct addr *a, bool inherit)
{
	struct host *h, *donor;
	bool have = false;
	int changed;

	donor = inherit && !hostset_find(s, name) ? find_other_holder(s, a, name) : NULL;
	if (donor) {
		/*
		 * A rename: the device holding A is now called NAME. It moves whole, all its
		 * addresses (a dual-stack host's other family too) and all its counts.
		 */
		struct rename *r;

		if (strlen(name) >= NAME_SIZE)
			return -EINVAL;
		r = realloc(s->renames, (s->nrenames + 1) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->renames = r;
		r += s->nrenames++;
		memcpy(r->from, donor->name, sizeof(r->from));
		memcpy(r->to, name, strlen(name) + 1);
		memcpy(donor->name, name, strlen(name) + 1);
		index_dirty(s);
		return 1;
	}
	changed = take_addr(s, a, name);

	h = hostset_ensure(s, name);
	if (!h)
		return -ENOMEM;
	for (unsigned int j = 0; j < h->naddrs;) {
		if (addr_equal(&h->addrs[j], a)) {
			have = true;
			j++;
		} else if (h->addrs[j].fam == a->fam) {
			host_drop_addr(s, h, j);
			changed = 1;
		} else {
			j++;
		}
	}
	if (!have) {
		if (h->naddrs >= HOST_MAX_ADDRS)
			return -ENOSPC;
		if (host_append_addr(s, h, a))
			return -ENOMEM;
		changed = 1;
	}
	return changed;
}

int hostset_put_addr(struct hostset *s, const char *name, const struct addr *a)
{
	struct host *h = hostset_find(s, name);

	if (host_has_addr(h, a))
		return 0;
	if (h && h->naddrs >= HOST_MAX_ADDRS)
		return -ENOSPC;
	take_addr(s, a, name); /* may drop a host: h is looked up again */
	h = hostset_ensure(s, name);
	if (!h || host_append_addr(s, h, a))
		return -ENOMEM;
	return 1;
}

int hostset_set_addrs(struct hostset *s, const char *name, const struct addr *a, unsigned int n)
{
	struct host *h;
	int changed = 0;
	bool same;

	if (!n || n > HOST_MAX_ADDRS)
		return n ? -ENOSPC : -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		changed |= take_addr(s, &a[i], name);
	h = hostset_ensure(s, name);
	if (!h)
		return -ENOMEM;
	same = h->naddrs == n;
	for (unsigned int i = 0; i < n && same; i++)
		same = host_has_addr(h, &a[i]);
	if (same)
		return changed;
	if (host_set_addrs(h, a, n))
		return -ENOMEM;
	index_dirty(s);
	return 1;
}

static int host_cmp(const void *a, const void *b)
{
	return strcmp(((const struct host *)a)->name, ((const struct host *)b)->name);
}

void hostset_sort(struct hostset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), host_cmp);
	index_dirty(s);
}

int hostset_addrset(const struct hostset *s, struct addrset *out)
{
	size_t n = 0;

	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].naddrs;
	if (!n)
		return 0;
	out->v = malloc(n * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		for (unsigned int j = 0; j < s->v[i].naddrs; j++)
			out->v[out->n++] = s->v[i].addrs[j];
	addrset_sort(out);
	return 0;
}

bool hostset_same(const struct hostset *a, const struct hostset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct host *h = hostset_find(b, a->v[i].name);

		if (!h || h->naddrs != a->v[i].naddrs)
			return false;
		for (unsigned int j = 0; j < h->naddrs; j++)
			if (!hostset_find_addr(b, &a->v[i].addrs[j]) ||
			    hostset_find_addr(b, &a->v[i].addrs[j]) != h)
				return false;
	}
	return true;
}

int mac_parse(char out[MAC_SIZE], const char *s)
{
	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':' && s[i] != '-')
				return -EINVAL;
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)s[i]))
				return -EINVAL;
			out[i] = (char)tolower((unsigned char)s[i]);
		}
	}
	out[17] = '\0';
	return 0;
}

int duid_mac(char out[MAC_SIZE], const char *duid)
{
	unsigned char b[64];
	size_t n = 0, off;
	const char *p = duid;

	while (*p && n < sizeof(b)) {
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EINVAL;
		b[n++] = (unsigned char)strtoul((char[]){ p[0], p[1], '\0' }, NULL, 16);
		p += 2;
		if (*p == ':') {
			if (!p[1])
				return -EINVAL;
			p++;
		} else if (*p) {
			return -EINVAL;
		}
	}
	if (*p || n < 4 || b[2] != 0 || b[3] != 1) /* hardware type 1: Ethernet */
		return -EINVAL;
	if (b[0] == 0 && b[1] == 1)
		off = 8; /* DUID-LLT: type, hw type, time, address */
	else if (b[0] == 0 && b[1] == 3)
		off = 4; /* DUID-LL: type, hw type, address */
	else
		return -EINVAL;
	if (n != off + 6)
		return -EINVAL;
	snprintf(out, MAC_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x", b[off], b[off + 1], b[off + 2],
		 b[off + 3], b[off + 4], b[off + 5]);
	return 0;
}

bool addr_countable(const struct config *c, const struct addr *a)
{
	if (addr_is_uncountable(a))
		return false;
	if (c->has_ula && prefix_contains(&c->ula, a))
		return false;
	return true;
}

void leases_free(struct leases *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Splits up to max blank-separated fields in place. */
static int split_fields(char *s, char **f, int max)
{
	int n = 0;

	while (n < max) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s)
			break;
		f[n++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

int leases_parse_line(struct lease *out, const char *line)
{
	char buf[1024], *f[5] = { NULL };

	memset(out, 0, sizeof(*out));
	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	if (split_fields(buf, f, 5) < 3 || !strcmp(f[0], "duid"))
		return -EINVAL;
	if (addr_parse(&out->addr, f[2]))
		return -EINVAL;
	out->expires = strtoll(f[0], NULL, 10);
	if (out->addr.fam == FAM_V4 && mac_parse(out->mac, f[1]))
		out->mac[0] = '\0';
	if (out->addr.fam == FAM_V6 && (!f[4] || duid_mac(out->mac, f[4])))
		out->mac[0] = '\0';
	if (f[3] && name_sanitize(f[3], out->name))
		out->name[0] = '\0';
	return 0;
}

int leases_read(struct leases *l, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(l, 0, sizeof(*l));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) >= 0) {
		struct lease le;

		if (leases_parse_line(&le, line))
			continue;
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 64;
			struct lease *v = realloc(l->v, ncap * sizeof(*v));

			if (!v) {
				free(line);
				fclose(f);
				leases_free(l);
				return -ENOMEM;
			}
			l->v = v;
			l->cap = ncap;
		}
		l->v[l->n++] = le;
	}
	free(line);
	fclose(f);
	return 0;
}

const struct lease *leases_find_mac(const struct leases *l, const char *mac)
{
	if (!mac || !*mac)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].mac, mac) && l->v[i].name[0])
			return &l->v[i];
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].mac, mac))
			return &l->v[i];
	return NULL;
}

const struct lease *leases_find_addr(const struct leases *l, const struct addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (addr_equal(&l->v[i].addr, a))
			return &l->v[i];
	return NULL;
}

const char *leases_name_for(const struct leases *l, const char *mac, const struct addr *a)
{
	const struct lease *le = leases_find_mac(l, mac);

	if (le && le->name[0])
		return le->name;
	le = a ? leases_find_addr(l, a) : NULL;
	if (le && le->name[0])
		return le->name;
	return NULL;
}

int statics_parse_line(const char *line, char *addr_out, size_t alen, char *name_out,
		       size_t nlen)
{
	char buf[4096], *f[2], *hash;

	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	if (split_fields(buf, f, 2) < 2 || strlen(f[0]) >= alen || strlen(f[1]) >= nlen)
		return -EINVAL;
	strcpy(addr_out, f[0]);
	strcpy(name_out, f[1]);
	return 0;
}

static int statics_read_file(struct hostset *out, const struct config *c, const char *path,
			     bool explicit, void (*warn)(const char *, int))
{
	char as[256], ns[1024], name[NAME_SIZE], *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (explicit && warn)
			warn(path, errno);
		return 0;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct addr a;

		if (statics_parse_line(line, as, sizeof(as), ns, sizeof(ns)))
			continue;
		if (addr_parse(&a, as) || !addr_countable(c, &a) || name_sanitize(ns, name))
			continue;
		if (hostset_upsert(out, name, &a) < 0) {
			free(line);
			fclose(f);
			return -ENOMEM;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int statics_read(struct hostset *out, const struct config *c,
		 void (*warn)(const char *path, int err))
{
	char list[sizeof(c->hosts_files)], *f[64];
	int n, ret = 0;

	memset(out, 0, sizeof(*out));
	strcpy(list, c->hosts_files);
	n = split_fields(list, f, 64);
	for (int i = 0; i < n && !ret; i++) {
		glob_t g;

		if (!strpbrk(f[i], "*?[")) {
			ret = statics_read_file(out, c, f[i], true, warn);
			continue;
		}
		if (glob(f[i], 0, NULL, &g) == 0) {
			for (size_t j = 0; j < g.gl_pathc && !ret; j++)
				ret = statics_read_file(out, c, g.gl_pathv[j], false, warn);
			globfree(&g);
		}
	}
	return ret;
}

void hostset_attach_macs(struct hostset *s, const char *lease_file)
{
	struct leases leases = { 0 };

	if (leases_read(&leases, lease_file) == 0) {
		for (size_t i = 0; i < s->n; i++) {
			struct host *h = &s->v[i];

			for (unsigned int j = 0; j < h->naddrs && !h->mac[0]; j++) {
				const struct lease *le = leases_find_addr(&leases, &h->addrs[j]);

				if (le && le->mac[0])
					strcpy(h->mac, le->mac);
			}
			for (size_t k = 0; k < leases.n && !h->mac[0]; k++)
				if (leases.v[k].mac[0] && !strcmp(leases.v[k].name, h->name))
					strcpy(h->mac, leases.v[k].mac);
		}
	}
	leases_free(&leases);
}
