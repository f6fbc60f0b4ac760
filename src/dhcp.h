/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DHCP_H
#define IPTMON_DHCP_H

#include <stdbool.h>

#include "addr.h"
#include "hosts.h"
#include "name.h"

enum event_kind { EV_ADD, EV_OLD, EV_DEL, EV_ARP_ADD, EV_ARP_OLD, EV_ARP_DEL };

struct event {
	enum event_kind kind;
	char mac[MAC_SIZE]; /* "" when unknown (DHCPv6 without DNSMASQ_MAC) */
	struct addr addr;
	char name[NAME_SIZE]; /* sanitised hostname argument, "" when none */
	bool rename_pending;  /* nameless old with DNSMASQ_OLD_HOSTNAME */
};

/* Which event an action word names; -1 for anything else (ignored, per dnsmasq's contract). */
int event_kind_parse(const char *action);
bool event_is_arp(enum event_kind k);
bool event_is_delete(enum event_kind k);

/*
 * dnsmasq's calling convention: ACTION MAC|DUID IP [HOSTNAME], with DNSMASQ_MAC and
 * DNSMASQ_OLD_HOSTNAME from the environment (getenv_fn, for tests). -EINVAL for a bad address.
 */
int event_parse(struct event *ev, int argc, char *const argv[],
		const char *(*getenv_fn)(const char *));

/*
 * The names event_resolve_name() chooses between: the base name and, when the MAC is known,
 * the alternative NAME_<hash of MAC> ("" otherwise). 1 when an arp event has no name.
 */
int event_names(const struct event *ev, const struct leases *l, char base[NAME_SIZE],
		char alt[NAME_SIZE]);

/*
 * The name an add/old/arp event counts under: the hostname, else the lease file's name for
 * the MAC (or address), else the address itself (not for arp events: 1 = not counted). A
 * different device (MAC) asking for a name another counted host holds, or the name of a static
 * host (statics, may be NULL) at another address, gets NAME_<hash of its MAC>.
 */
int event_resolve_name(const struct event *ev, const struct leases *l, const struct hostset *cur,
		       const struct hostset *statics, char out[NAME_SIZE]);

#endif
