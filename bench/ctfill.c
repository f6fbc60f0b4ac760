// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/ctfill FROM TO HOSTS: inserts conntrack entries FROM..TO-1 through ctnetlink, in
 * batches: UDP flows from 10.0.x.y (host-1..host-HOSTS of bench/lib.sh's write_hosts, so
 * that iptmon attributes them to counted hosts) to 198.51.100.2:53, source port from the
 * entry's number, 600 s timeout. What `conntrack -I` does one process per entry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static void tuple(struct nlmsghdr *nlh, int type, uint32_t src, uint32_t dst, uint16_t sport,
		  uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

int main(int argc, char **argv)
{
	static char buf[1 << 16], rx[1 << 16];
	struct mnl_socket *nl;
	unsigned long from, to, hosts, i, errs = 0;
	uint32_t seq = (uint32_t)time(NULL), dst;

	if (argc != 4) {
		fprintf(stderr, "usage: ctfill FROM TO HOSTS\n");
		return 1;
	}
	from = strtoul(argv[1], NULL, 10);
	to = strtoul(argv[2], NULL, 10);
	hosts = strtoul(argv[3], NULL, 10);
	inet_pton(AF_INET, "198.51.100.2", &dst);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: netlink");
		return 1;
	}
	{ /* room for a batch's acks */
		int sz = 4 << 20;

		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	}
	for (i = from; i < to;) {
		size_t len = 0, n = 0;

		for (; i < to && n < 128 && len + 512 < sizeof(buf); i++, n++) {
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);
			struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
			unsigned long h = i % hosts + 1; /* host-h: 10.(h/65536).(h/256).(h%256) */
			uint32_t src = htonl(10u << 24 | (uint32_t)(h / 65536 % 256) << 16 |
					     (uint32_t)(h / 256 % 256) << 8 | (uint32_t)(h % 256));
			uint16_t sport = (uint16_t)(1024 + i / hosts % 60000);

			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
			nlh->nlmsg_seq = ++seq;
			g->nfgen_family = AF_INET;
			g->version = NFNETLINK_V0;
			g->res_id = 0;
			tuple(nlh, CTA_TUPLE_ORIG, src, dst, sport, 53);
			tuple(nlh, CTA_TUPLE_REPLY, dst, src, 53, sport);
			mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(600));
			mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_SEEN_REPLY));
			len += nlh->nlmsg_len;
		}
		if (mnl_socket_sendto(nl, buf, len) < 0) {
			perror("ctfill: send");
			return 1;
		}
		while (n) { /* one ack (or error) per entry */
			ssize_t r = mnl_socket_recvfrom(nl, rx, sizeof(rx));
			int rem = (int)r;

			if (r < 0) {
				perror("ctfill: recv");
				return 1;
			}
			for (struct nlmsghdr *h = (struct nlmsghdr *)rx; mnl_nlmsg_ok(h, rem);
			     h = mnl_nlmsg_next(h, &rem)) {
				if (h->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

					errs += e->error != 0;
					if (e->error && errs == 1)
						fprintf(stderr, "ctfill: %s\n", strerror(-e->error));
					n--;
				}
			}
		}
	}
	if (errs)
		fprintf(stderr, "ctfill: %lu entries refused\n", errs);
	return errs ? 1 : 0;
}
