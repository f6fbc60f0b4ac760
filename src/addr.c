// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing and classifying IPv4/IPv6 addresses. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int addr_family_af(int fam)
{
	return fam == FAM_V6 ? AF_INET6 : AF_INET;
}

int addr_parse(struct addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (!s || !*s || strlen(s) >= ADDR_STRLEN)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->fam = FAM_V4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->fam = FAM_V6;
		return 0;
	}
	return -EINVAL;
}

int prefix_parse(struct prefix *p, const char *s)
{
	char buf[ADDR_STRLEN + 8];
	const char *slash;
	char *end;
	unsigned long len;
	int ret;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(s, '/');
	if (slash)
		buf[slash - s] = '\0';
	ret = addr_parse(&p->addr, buf);
	if (ret)
		return ret;
	p->len = p->addr.fam == FAM_V4 ? 32 : 128;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || slash[1] == '-' || slash[1] == '+' || len > p->len)
			return -EINVAL;
		p->len = (unsigned int)len;
	}
	return 0;
}

const char *addr_format(const struct addr *a, char *buf, size_t len)
{
	if (!inet_ntop(addr_family_af(a->fam), &a->u, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	if (a->fam != b->fam)
		return false;
	if (a->fam == FAM_V4)
		return a->u.v4.s_addr == b->u.v4.s_addr;
	return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
}

bool prefix_contains(const struct prefix *p, const struct addr *a)
{
	const uint8_t *x, *y;
	unsigned int bytes, bits;

	if (p->addr.fam != a->fam)
		return false;
	x = (const uint8_t *)&p->addr.u;
	y = (const uint8_t *)&a->u;
	bytes = p->len / 8;
	bits = p->len % 8;
	if (memcmp(x, y, bytes))
		return false;
	if (bits) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));
		if ((x[bytes] & mask) != (y[bytes] & mask))
			return false;
	}
	return true;
}

bool addr_is_uncountable(const struct addr *a)
{
	if (a->fam == FAM_V4) {
		uint32_t h = ntohl(a->u.v4.s_addr);
		return (h >> 24) == 127 ||		/* loopback */
		       (h >> 16) == 0xa9fe ||		/* 169.254/16 link-local */
		       (h >> 28) == 0xe ||		/* multicast */
		       h == 0 || h == 0xffffffffu;	/* unspecified, broadcast */
	}
	const uint8_t *b = a->u.v6.s6_addr;
	return IN6_IS_ADDR_LOOPBACK(&a->u.v6) || IN6_IS_ADDR_UNSPECIFIED(&a->u.v6) ||
	       IN6_IS_ADDR_LINKLOCAL(&a->u.v6) || b[0] == 0xff ||
	       IN6_IS_ADDR_V4MAPPED(&a->u.v6);
}

uint32_t fnv_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

uint32_t addr_hash(const struct addr *a)
{
	return fnv_hash(&a->u, a->fam == FAM_V4 ? 4 : 16) + (uint32_t)a->fam;
}

int addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->fam != b->fam)
		return a->fam < b->fam ? -1 : 1;
	return memcmp(&a->u, &b->u, a->fam == FAM_V4 ? 4 : 16);
}

static int addr_qcmp(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

void addrset_sort(struct addrset *s)
{
	size_t n = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), addr_qcmp);
	for (size_t i = 1; i < s->n; i++)
		if (addr_cmp(&s->v[i], &s->v[n]))
			s->v[++n] = s->v[i];
	s->n = n + 1;
}

bool addrset_has(const struct addrset *s, const struct addr *a)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&s->v[mid], a);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void addrset_free(struct addrset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
