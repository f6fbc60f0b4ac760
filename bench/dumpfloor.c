// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's share of a read, as a floor: dumps every element of the named sets of table
 * inet TABLE REPS times through one netlink socket (libmnl), counting messages and nothing
 * else, and prints the CPU (user+sys) per round in ms. What iptmon does on top (parsing,
 * hosts, output, start-up) is what `iptmon metrics --kernel` costs beyond this.
 * Usage: dumpfloor TABLE REPS SET...
 */
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static int count(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(long *)data;
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *nl, const char *table, const char *set, unsigned int seq,
		long *msgs)
{
	static char buf[65536];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	ssize_t n;
	int ret = 0;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		if ((ret = mnl_cb_run(buf, (size_t)n, seq, 0, count, msgs)) <= MNL_CB_STOP)
			break;
	return ret < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct rusage ru;
	long msgs = 0;
	int reps = argc > 2 ? atoi(argv[2]) : 0;

	if (argc < 4 || reps < 1 || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "usage: dumpfloor TABLE REPS SET... (as root)\n");
		return 2;
	}
	for (int r = 0; r < reps; r++)
		for (int i = 3; i < argc; i++)
			if (dump(nl, argv[1], argv[i], (unsigned int)(r * argc + i), &msgs)) {
				perror("dumpfloor");
				return 1;
			}
	getrusage(RUSAGE_SELF, &ru);
	printf("%.3f\n", ((double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3) / reps);
	mnl_socket_close(nl);
	return 0;
}
