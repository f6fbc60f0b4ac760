// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/pktfill LAN WAN ROUTER_LAN_MAC ROUTER_WAN_MAC HOSTS: traffic for every counted host,
 * so that a benchmark's daemon holds what a busy router's does (rates, the hour's history,
 * the day's entries). For host-1..host-HOSTS of bench/lib.sh's write_hosts (10.0.x.y), one
 * UDP packet out through LAN from the host to 198.51.100.2 (its upload) and one in through
 * WAN from 198.51.100.2 to the host (its download), written as whole frames on packet
 * sockets, so that no address of the sender's namespace is needed. Run in the namespace
 * that holds the other ends of the router's two links.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct frame {
	struct ether_header eth;
	struct iphdr ip;
	struct udphdr udp;
	char payload[32];
} __attribute__((packed));

static int open_on(const char *ifname, struct sockaddr_ll *to, const char *mac)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	unsigned int m[6];

	if (fd < 0)
		return -1;
	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
		close(fd);
		return -1;
	}
	memset(to, 0, sizeof(*to));
	to->sll_family = AF_PACKET;
	to->sll_ifindex = (int)if_nametoindex(ifname);
	to->sll_halen = 6;
	for (int i = 0; i < 6; i++)
		to->sll_addr[i] = (unsigned char)m[i];
	if (!to->sll_ifindex) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t csum(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t s = 0;
	uint16_t w;

	for (; len > 1; len -= 2, b += 2) {
		memcpy(&w, b, 2); /* (the header may sit unaligned in the packed frame) */
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int send_one(int fd, const struct sockaddr_ll *to, uint32_t src, uint32_t dst)
{
	struct frame f = { 0 };

	memcpy(f.eth.ether_dhost, to->sll_addr, 6);
	f.eth.ether_shost[0] = 0x02;
	f.eth.ether_shost[5] = 0x77;
	f.eth.ether_type = htons(ETHERTYPE_IP);
	f.ip.version = 4;
	f.ip.ihl = 5;
	f.ip.ttl = 64;
	f.ip.protocol = IPPROTO_UDP;
	f.ip.tot_len = htons(sizeof(f) - sizeof(f.eth));
	f.ip.saddr = src;
	f.ip.daddr = dst;
	f.ip.check = csum((const unsigned char *)&f + sizeof(f.eth), sizeof(f.ip));
	f.udp.source = htons(40000);
	f.udp.dest = htons(9);
	f.udp.len = htons(sizeof(f.udp) + sizeof(f.payload));
	return sendto(fd, &f, sizeof(f), 0, (const struct sockaddr *)to, sizeof(*to)) ==
			       (ssize_t)sizeof(f) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_ll lan, wan;
	int lfd, wfd, n;
	uint32_t server = inet_addr("198.51.100.2");

	if (argc != 6 || (n = atoi(argv[5])) <= 0) {
		fprintf(stderr, "usage: pktfill LAN WAN ROUTER_LAN_MAC ROUTER_WAN_MAC HOSTS\n");
		return 2;
	}
	lfd = open_on(argv[1], &lan, argv[3]);
	wfd = open_on(argv[2], &wan, argv[4]);
	if (lfd < 0 || wfd < 0) {
		perror("pktfill: packet socket");
		return 1;
	}
	for (int i = 1; i <= n; i++) {
		uint32_t host = htonl(10u << 24 | (uint32_t)(i / 65536 % 256) << 16 |
				      (uint32_t)(i / 256 % 256) << 8 | (uint32_t)(i % 256));

		if (send_one(lfd, &lan, host, server) || send_one(wfd, &wan, server, host)) {
			perror("pktfill: send");
			return 1;
		}
	}
	close(lfd);
	close(wfd);
	return 0;
}
