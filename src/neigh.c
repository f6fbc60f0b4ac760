// SPDX-License-Identifier: GPL-2.0-or-later
/* The neighbour table over rtnetlink (see neigh.h). */
#include "neigh.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NEIGH_RCVBUF (4 << 20) /* a burst of thousands of neighbours fits */

struct neigh {
	struct mnl_socket *nl;
	unsigned int seq;
	char buf[32768]; /* more than a page: the kernel fills what it can */
};

struct attrs {
	const struct nlattr *dst, *lladdr;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *x = data;

	/* Unknown attributes (newer kernels) are skipped, known ones checked. */
	switch (mnl_attr_get_type(a)) {
	case NDA_DST:
		x->dst = a;
		break;
	case NDA_LLADDR:
		x->lladdr = a;
		break;
	}
	return MNL_CB_OK;
}

int neigh_parse(const struct nlmsghdr *nlh, struct neigh_msg *out)
{
	const struct ndmsg *nd;
	struct attrs x = { 0 };
	const unsigned char *m;
	uint16_t len;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return 1;
	/* libmnl's mnl_nlmsg_ok() compares the length as an int, so one above INT_MAX passes it
	 * (and mnl_cb_run with it): the kernel never sends one, a fuzzer did. */
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) || nlh->nlmsg_len > INT_MAX)
		return -EINVAL;
	nd = mnl_nlmsg_get_payload(nlh);
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return 1;
	if (mnl_attr_parse(nlh, sizeof(*nd), attr_cb, &x) < 0)
		return -EINVAL;
	if (!x.dst)
		return 1;
	len = mnl_attr_get_payload_len(x.dst);
	if (nd->ndm_family == AF_INET && len == 4) {
		out->addr.fam = FAM_V4;
		memcpy(&out->addr.u.v4, mnl_attr_get_payload(x.dst), 4);
	} else if (nd->ndm_family == AF_INET6 && len == 16) {
		out->addr.fam = FAM_V6;
		memcpy(&out->addr.u.v6, mnl_attr_get_payload(x.dst), 16);
	} else {
		return -EINVAL;
	}
	if (x.lladdr && mnl_attr_get_payload_len(x.lladdr) == 6) {
		m = mnl_attr_get_payload(x.lladdr);
		snprintf(out->mac, sizeof(out->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			 m[2], m[3], m[4], m[5]);
	} else if (x.lladdr) {
		return 1; /* not Ethernet-like */
	}
	out->ifindex = nd->ndm_ifindex;
	out->state = nd->ndm_state;
	out->deleted = nlh->nlmsg_type == RTM_DELNEIGH;
	return 0;
}

int neigh_open(struct neigh **np)
{
	struct neigh *n = calloc(1, sizeof(*n));
	int fd, sz = NEIGH_RCVBUF, ret;

	if (!n)
		return -ENOMEM;
	n->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!n->nl || mnl_socket_bind(n->nl, 1u << (RTNLGRP_NEIGH - 1), MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	fd = mnl_socket_get_fd(n->nl);
	/* FORCE works for root past rmem_max; else the plain one, capped by the kernel. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;
	n->seq = (unsigned int)time(NULL);
	*np = n;
	return 0;
fail:
	ret = -errno;
	neigh_close(n);
	return ret ? ret : -EIO;
}

void neigh_close(struct neigh *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n);
}

int neigh_fd(const struct neigh *n)
{
	return mnl_socket_get_fd(n->nl);
}

int neigh_dump(struct neigh *n)
{
	char buf[NLMSG_SPACE(sizeof(struct ndmsg))] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++n->seq;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_UNSPEC;
	return mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

struct run {
	void (*fn)(void *ctx, const struct neigh_msg *m);
	void *ctx;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run *r = data;
	struct neigh_msg m;

	if (!neigh_parse(nlh, &m))
		r->fn(r->ctx, &m);
	return MNL_CB_OK;
}

int neigh_read(struct neigh *n, void (*fn)(void *ctx, const struct neigh_msg *m), void *ctx)
{
	struct run r = { fn, ctx };

	/* Bounded: a storm of changes must not keep the daemon's loop from its other work
	 * (the socket stays readable, the loop comes back). */
	for (int i = 0; i < 256; i++) {
		ssize_t len = mnl_socket_recvfrom(n->nl, n->buf, sizeof(n->buf));

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		/* Errors in a dump's answer (NLMSG_ERROR) end that answer, not the reading. */
		mnl_cb_run(n->buf, (size_t)len, 0, 0, msg_cb, &r);
	}
	return 0;
}
