// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Addresses and prefixes (src/addr.c), as they come from leases, hosts files, dnsmasq and the
 * configuration: what parses formats back to a string that parses to the same address, a
 * prefix holds its own address, and its length is within the family's.
 */
#include "fuzz.h"

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size), buf[ADDR_STRLEN];
	struct addr a, b;
	struct prefix p;

	if (!addr_parse(&a, s)) {
		FZ_CHECK(a.fam == FAM_V4 || a.fam == FAM_V6, "family %d", a.fam);
		addr_format(&a, buf, sizeof(buf));
		FZ_CHECK(!addr_parse(&b, buf) && addr_equal(&a, &b), "'%s' -> '%s'", s, buf);
		(void)addr_is_uncountable(&a);
	}
	if (!prefix_parse(&p, s)) {
		FZ_CHECK(p.len <= (p.addr.fam == FAM_V4 ? 32u : 128u), "'%s': /%u", s, p.len);
		FZ_CHECK(prefix_contains(&p, &p.addr), "'%s' does not hold its address", s);
		FZ_CHECK(!strchr(s, '/') || strchr(s, '/')[1] != ' ', "'%s' accepted", s);
	}
	free(s);
	return 0;
}
