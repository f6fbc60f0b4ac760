// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsmasq's lease file (leases_parse_line, leases_read): each lease has an address, a MAC
 * that is empty or lower-case xx:xx:xx:xx:xx:xx, a name that is empty or valid; the lookups
 * return leases of the set and names that are valid.
 */
#include "fuzz.h"

#include "hosts.h"

static void check_lease(const struct lease *le)
{
	FZ_CHECK(le->addr.fam == FAM_V4 || le->addr.fam == FAM_V6, "family %d", le->addr.fam);
	FZ_CHECK(!le->mac[0] || fz_mac_ok(le->mac), "mac '%s'", le->mac);
	FZ_CHECK(!le->name[0] || name_is_valid(le->name), "name '%s'", le->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_str(data, size), *save = NULL;
	struct leases l;
	struct lease one;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!leases_parse_line(&one, line))
			check_lease(&one);
	free(text);
	FZ_CHECK(leases_read(&l, fz_file(data, size)) == 0, "leases_read failed");
	for (size_t i = 0; i < l.n; i++) {
		const char *name = leases_name_for(&l, l.v[i].mac, &l.v[i].addr);
		const struct lease *by_addr = leases_find_addr(&l, &l.v[i].addr);

		check_lease(&l.v[i]);
		FZ_CHECK(by_addr && addr_equal(&by_addr->addr, &l.v[i].addr), "lookup by address");
		FZ_CHECK(!name || name_is_valid(name), "name '%s'", name);
	}
	leases_free(&l);
	return 0;
}
