/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_NEIGH_H
#define IPTMON_NEIGH_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "hosts.h"

/* The kernel's neighbour table over rtnetlink: a dump, then every change (RTM_NEWNEIGH,
 * RTM_DELNEIGH). Only the I/O and the parsing; what a neighbour means is discover.c's. */

struct neigh_msg {
	int ifindex;
	struct addr addr;
	char mac[MAC_SIZE]; /* "" when the entry has no link-layer address */
	uint16_t state;	    /* NUD_* */
	bool deleted;	    /* RTM_DELNEIGH */
};

/* One netlink message: 0 with *out filled, 1 for a message that is not an IPv4/IPv6
 * neighbour of an Ethernet-like link (skipped), -EINVAL for a malformed one. */
int neigh_parse(const struct nlmsghdr *nlh, struct neigh_msg *out);

struct neigh;

/* A non-blocking socket subscribed to neighbour changes. 0 or -errno. */
int neigh_open(struct neigh **n);
void neigh_close(struct neigh *n);
int neigh_fd(const struct neigh *n);
/* Asks for every neighbour (both families); the answers come through neigh_read(). */
int neigh_dump(struct neigh *n);
/*
 * What is queued on the socket (up to 256 reads: call again while it is readable), each
 * neighbour into fn. 0 when done for now;
 * -ENOBUFS when the kernel dropped messages (the socket's buffer overran: dump again);
 * another -errno.
 */
int neigh_read(struct neigh *n, void (*fn)(void *ctx, const struct neigh_msg *m), void *ctx);

#endif
