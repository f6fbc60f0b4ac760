// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/ctlib POLLS HOSTS: CPU per dump of the conntrack table and resident memory, read the
 * way iptmon reads it (src/ct.c: libmnl, a flow table of last-seen counters, increases per
 * host address) or, built with -DWITH_NFCT, through libnetfilter_conntrack (parsing each
 * entry into a struct nf_conntrack and reading the same attributes, keeping nothing). Prints
 * "cpu_ms_per_dump rss_kib flows".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#ifdef WITH_NFCT
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#else
#include "ct.h"
#endif

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = atol(line + 6);
	if (f)
		fclose(f);
	return v;
}

#ifdef WITH_NFCT
static unsigned long seen;
static unsigned long long sum;

static int cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	(void)type;
	(void)data;
	sum += nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES) +
	       nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES) + nfct_get_attr_u32(ct, ATTR_ID) +
	       nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC) + nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);
	seen++;
	return NFCT_CB_CONTINUE;
}
#endif

int main(int argc, char **argv)
{
	int polls = argc > 1 ? atoi(argv[1]) : 10;
	double t0;
	unsigned long flows = 0;
#ifdef WITH_NFCT
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	uint32_t fam = AF_UNSPEC;

	if (!h || nfct_callback_register(h, NFCT_T_ALL, cb, NULL) < 0) {
		perror("nfct_open");
		return 1;
	}
	nfct_query(h, NFCT_Q_DUMP, &fam); /* warm-up, as the first poll */
	t0 = cpu_ms();
	for (int i = 0; i < polls; i++) {
		seen = 0;
		if (nfct_query(h, NFCT_Q_DUMP, &fam) < 0) {
			perror("nfct_query");
			return 1;
		}
	}
	flows = seen;
#else
	struct hostset hosts = { 0 };
	struct addrset set;
	int nhosts = argc > 2 ? atoi(argv[2]) : 100;
	struct ct *c;
	char err[256];
	bool acct, over;
	size_t lost, n;

	for (int i = 1; i <= nhosts; i++) {
		char name[32], a[32];
		struct addr ad;

		snprintf(name, sizeof(name), "host-%d", i);
		snprintf(a, sizeof(a), "10.%d.%d.%d", i / 65536 % 256, i / 256 % 256, i % 256);
		addr_parse(&ad, a);
		hostset_add_addr(&hosts, name, &ad);
	}
	if (hostset_addrset(&hosts, &set)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	if (ct_open(&c, 0, NULL, &acct, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ct_poll(c, &set, true, &over, &lost, err, sizeof(err)); /* the baseline */
	ct_take(c, &n);
	t0 = cpu_ms();
	for (int i = 0; i < polls; i++) {
		if (ct_poll(c, &set, false, &over, &lost, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		ct_take(c, &n);
	}
	{
		struct ct_stats st;

		ct_stats(c, &st);
		flows = st.flows;
	}
	ct_close(c);
	hostset_free(&hosts);
#endif
	printf("%.2f %ld %lu\n", (cpu_ms() - t0) / polls, rss_kib(), flows);
	return 0;
}
