// SPDX-License-Identifier: GPL-2.0-or-later
/* dnsmasq's --dhcp-script calling convention turned into host events. */
#include "dhcp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const actions[] = {
	[EV_ADD] = "add",	  [EV_OLD] = "old",	    [EV_DEL] = "del",
	[EV_ARP_ADD] = "arp-add", [EV_ARP_OLD] = "arp-old", [EV_ARP_DEL] = "arp-del",
};

int event_kind_parse(const char *action)
{
	for (int i = 0; i < (int)(sizeof(actions) / sizeof(actions[0])); i++)
		if (!strcmp(action, actions[i]))
			return i;
	return -1;
}

bool event_is_arp(enum event_kind k)
{
	return k == EV_ARP_ADD || k == EV_ARP_OLD || k == EV_ARP_DEL;
}

bool event_is_delete(enum event_kind k)
{
	return k == EV_DEL || k == EV_ARP_DEL;
}

int event_parse(struct event *ev, int argc, char *const argv[],
		const char *(*getenv_fn)(const char *))
{
	const char *env_mac;
	int kind;

	memset(ev, 0, sizeof(*ev));
	if (argc < 3)
		return -EINVAL;
	kind = event_kind_parse(argv[0]);
	if (kind < 0)
		return -ENOENT;
	ev->kind = (enum event_kind)kind;
	if (addr_parse(&ev->addr, argv[2]))
		return -EINVAL;
	env_mac = getenv_fn("DNSMASQ_MAC");
	if (event_is_arp(ev->kind) || ev->addr.fam == FAM_V4) {
		/* Neighbour events and DHCPv4 leases: argv[1] is the MAC. */
		if (mac_parse(ev->mac, argv[1]) && (!env_mac || mac_parse(ev->mac, env_mac)))
			ev->mac[0] = '\0';
	} else {
		/* DHCPv6: argv[1] is the client's DUID; dnsmasq gives the MAC in DNSMASQ_MAC,
		 * but not on replays and releases, where a DUID-LLT/-LL still holds it. */
		if ((!env_mac || mac_parse(ev->mac, env_mac)) && duid_mac(ev->mac, argv[1]))
			ev->mac[0] = '\0';
	}
	if (argc >= 4 && !event_is_arp(ev->kind) && name_sanitize(argv[3], ev->name))
		ev->name[0] = '\0';
	if (ev->kind == EV_OLD && !ev->name[0]) {
		const char *old = getenv_fn("DNSMASQ_OLD_HOSTNAME");

		ev->rename_pending = old && *old;
	}
	return 0;
}

/* The MAC a lease gives for any of the host's addresses, or NULL. */
static const char *host_lease_mac(const struct host *h, const struct leases *l)
{
	for (unsigned int j = 0; j < h->naddrs; j++) {
		const struct lease *le = leases_find_addr(l, &h->addrs[j]);

		if (le && le->mac[0])
			return le->mac;
	}
	return NULL;
}

int event_names(const struct event *ev, const struct leases *l, char base[NAME_SIZE],
		char alt[NAME_SIZE])
{
	const char *ln;

	alt[0] = '\0';
	if (ev->name[0]) {
		strcpy(base, ev->name);
	} else if ((ln = leases_name_for(l, ev->mac, &ev->addr))) {
		strcpy(base, ln);
	} else if (event_is_arp(ev->kind)) {
		return 1;
	} else {
		addr_format(&ev->addr, base, NAME_SIZE);
	}
	if (ev->mac[0])
		snprintf(alt, NAME_SIZE, "%.*s_%08x", NAME_MAX_LEN - NAME_HASH_LEN, base,
			 (unsigned int)name_hash(ev->mac));
	return 0;
}

int event_resolve_name(const struct event *ev, const struct leases *l, const struct hostset *cur,
		       const struct hostset *statics, char out[NAME_SIZE])
{
	char base[NAME_SIZE], alt[NAME_SIZE];
	const struct host *holder;
	const char *holder_mac;

	if (event_names(ev, l, base, alt))
		return 1;
	strcpy(out, base);
	if (!alt[0])
		return 0;
	if (hostset_find(cur, alt)) {
		strcpy(out, alt);
		return 0;
	}
	holder = hostset_find(cur, base);
	if (!holder || hostset_find_addr(cur, &ev->addr) == holder)
		return 0;
	/* A static host's name is not for any DHCP client that asks for it. */
	if (statics && hostset_find(statics, base)) {
		strcpy(out, alt);
		return 0;
	}
	holder_mac = host_lease_mac(holder, l);
	if (holder_mac && strcmp(holder_mac, ev->mac))
		strcpy(out, alt);
	return 0;
}
