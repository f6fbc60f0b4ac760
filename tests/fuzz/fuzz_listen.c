// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The `listen` key (listen_parse, src/http.c): an accepted value is an IPv4 or IPv6 socket
 * address with a port 1-65535, and writing it back as ADDR:PORT or [ADDR]:PORT parses to the
 * same socket address.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size), host[INET6_ADDRSTRLEN], back[INET6_ADDRSTRLEN + 16];
	struct sockaddr_storage ss, ss2;

	if (!listen_parse(s, &ss)) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			FZ_CHECK(ntohs(a->sin_port) >= 1, "'%s': port 0", s);
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			snprintf(back, sizeof(back), "%s:%u", host, ntohs(a->sin_port));
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			FZ_CHECK(ss.ss_family == AF_INET6, "'%s': family %d", s, ss.ss_family);
			FZ_CHECK(ntohs(a->sin6_port) >= 1, "'%s': port 0", s);
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			snprintf(back, sizeof(back), "[%s]:%u", host, ntohs(a->sin6_port));
		}
		FZ_CHECK(!listen_parse(back, &ss2) && !memcmp(&ss, &ss2, sizeof(ss)),
			 "'%s' written back as '%s' parses differently", s, back);
	}
	free(s);
	return 0;
}
