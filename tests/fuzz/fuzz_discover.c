// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host discovery's untrusted inputs: the lease and hosts files as discovery reads them
 * (disc_read_leases, disc_read_hosts, odhcpd's lease lines) and a neighbour message as the
 * kernel would send it (neigh_parse, after libmnl's own length check, as mnl_cb_run does).
 * Every name is valid, every MAC well-formed, every address of a family.
 */
#include "fuzz.h"

#include <libmnl/libmnl.h>

#include "discover.h"
#include "neigh.h"

static void check_names(const struct disc_names *n)
{
	for (size_t i = 0; i < n->leases.n; i++) {
		const struct lease *le = &n->leases.v[i];

		FZ_CHECK(le->addr.fam == FAM_V4 || le->addr.fam == FAM_V6, "family %d", le->addr.fam);
		FZ_CHECK(!le->mac[0] || fz_mac_ok(le->mac), "mac '%s'", le->mac);
		FZ_CHECK(!le->name[0] || name_is_valid(le->name), "name '%s'", le->name);
	}
	for (size_t i = 0; i < n->statics.n; i++) { /* each a valid name, found by its address */
		const char *name = n->statics.names + n->statics.v[i].name;

		FZ_CHECK(n->statics.v[i].name < n->statics.nlen, "name offset %u", n->statics.v[i].name);
		FZ_CHECK(name_is_valid(name), "name '%s'", name);
		FZ_CHECK(n->statics.v[i].a.fam == FAM_V4 || n->statics.v[i].a.fam == FAM_V6, "family %d",
			 n->statics.v[i].a.fam);
		FZ_CHECK(disc_static_name(n, &n->statics.v[i].a) == name, "address not found: '%s'", name);
	}
	for (size_t i = 0; i < n->nmacs; i++) {
		FZ_CHECK(fz_mac_ok(n->macs[i].mac), "mac '%s'", n->macs[i].mac);
		FZ_CHECK(name_is_valid(n->macs[i].name), "name '%s'", n->macs[i].name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct disc_names n = { 0 };
	const char *path = fz_file(data, size);
	unsigned int bad;
	void *buf;

	if (!cfg.interval)
		config_defaults(&cfg);
	FZ_CHECK(disc_read_leases(&n, path, &bad) == 0, "disc_read_leases failed");
	FZ_CHECK(disc_read_hosts(&n, &cfg, path, &bad) == 0, "disc_read_hosts failed");
	check_names(&n);
	disc_names_free(&n);
	/* The message in a block of exactly its size: ASan sees any read past it, whatever the
	 * earlier inputs left on the stack. */
	if (size >= sizeof(struct nlmsghdr) && (buf = malloc(size))) {
		const struct nlmsghdr *nlh = buf;
		struct neigh_msg m;

		memcpy(buf, data, size);
		if (mnl_nlmsg_ok(nlh, (int)size) && !neigh_parse(nlh, &m)) {
			FZ_CHECK(m.addr.fam == FAM_V4 || m.addr.fam == FAM_V6, "family %d", m.addr.fam);
			FZ_CHECK(!m.mac[0] || fz_mac_ok(m.mac), "mac '%s'", m.mac);
		}
		free(buf);
	}
	return 0;
}
