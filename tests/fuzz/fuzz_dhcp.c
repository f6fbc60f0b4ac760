// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsmasq's --dhcp-script call (src/dhcp.c): argv (ACTION MAC|DUID IP [HOSTNAME]) and the
 * DNSMASQ_MAC / DNSMASQ_OLD_HOSTNAME environment, all chosen by a DHCP client or dnsmasq.
 * Input: NUL-separated argv[0..3], DNSMASQ_MAC, DNSMASQ_OLD_HOSTNAME, then a lease file.
 * A parsed event has a known action, an address, a MAC empty or canonical, a name empty or
 * valid; the name it is counted under is always a valid name.
 */
#include "fuzz.h"

#include <errno.h>

#include "dhcp.h"

static const char *env_mac, *env_old;

static const char *fake_getenv(const char *k)
{
	if (!strcmp(k, "DNSMASQ_MAC"))
		return env_mac;
	if (!strcmp(k, "DNSMASQ_OLD_HOSTNAME"))
		return env_old;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[7], out[NAME_SIZE];
	int n = fz_split(data, size, f, 7), argc = n < 4 ? n : 4, ret;
	struct event ev;
	struct leases l;
	struct hostset cur = { 0 }, statics = { 0 };
	const char *lease_text = f[6] ? f[6] : "";

	env_mac = f[4];
	env_old = f[5];
	ret = event_parse(&ev, argc, f, fake_getenv);
	FZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOENT, "event_parse gave %d", ret);
	if (ret)
		goto out;
	FZ_CHECK(ev.kind >= EV_ADD && ev.kind <= EV_ARP_DEL, "kind %d", ev.kind);
	FZ_CHECK(ev.addr.fam == FAM_V4 || ev.addr.fam == FAM_V6, "family");
	FZ_CHECK(!ev.mac[0] || fz_mac_ok(ev.mac), "mac '%s'", ev.mac);
	FZ_CHECK(!ev.name[0] || name_is_valid(ev.name), "name '%s'", ev.name);
	FZ_CHECK(!ev.rename_pending || (ev.kind == EV_OLD && !ev.name[0]), "rename_pending");
	if (leases_read(&l, fz_file((const uint8_t *)lease_text, strlen(lease_text))))
		goto out;
	/* a host holding the event's name elsewhere, and a static host of that name */
	if (ev.name[0]) {
		struct addr other;

		addr_parse(&other, ev.addr.fam == FAM_V4 ? "192.0.2.1" : "2001:db8::1");
		hostset_upsert(&cur, ev.name, &other);
		if (ev.mac[0] && ev.mac[16] & 1)
			hostset_upsert(&statics, ev.name, &other);
	}
	ret = event_resolve_name(&ev, &l, &cur, &statics, out);
	FZ_CHECK(ret == 0 || ret == 1, "event_resolve_name gave %d", ret);
	FZ_CHECK(ret == 1 ? event_is_arp(ev.kind) : name_is_valid(out), "counted as '%s'", out);
	hostset_free(&cur);
	hostset_free(&statics);
	leases_free(&l);
out:
	free(f[0]);
	return 0;
}
