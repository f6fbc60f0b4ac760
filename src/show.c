// SPDX-License-Identifier: GPL-2.0-or-later
/* `iptmon show`: the per-host table and its JSON form. */
#include "show.h"

#include <string.h>

#include "name.h"

const char *human_bytes(unsigned long long v, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%llu B", v);
		return buf;
	}
	/* Rounded to one decimal: 1048575 B is "1.0 MiB", not "1024.0 KiB". */
	while (d >= 1023.95 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

static void host_addrs(const struct host *h, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int j = 0; j < h->naddrs && o < len; j++) {
		char as[ADDR_STRLEN];
		int n = snprintf(buf + o, len - o, "%s%s", j ? "," : "",
				 addr_format(&h->addrs[j], as, sizeof(as)));

		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static unsigned long long sum(const struct counter c[FAM_COUNT], bool bytes)
{
	return bytes ? c[0].bytes + c[1].bytes : c[0].packets + c[1].packets;
}

void show_table(FILE *f, const char *backend, const struct hostset *s, bool exact)
{
	int wname = 4, waddr = 9;
	char addrs[HOST_MAX_ADDRS * (ADDR_STRLEN + 1) + 2];

	fprintf(f, "backend: %s, counters read from the kernel; tx = to the host (download), "
		   "rx = from the host (upload)\n",
		backend);
	for (size_t i = 0; i < s->n; i++) {
		int n = (int)strlen(s->v[i].name);

		if (n > wname)
			wname = n;
		host_addrs(&s->v[i], addrs, sizeof(addrs));
		n = (int)strlen(addrs);
		if (n > waddr)
			waddr = n;
	}
	fprintf(f, "%-*s  %-17s  %-*s  %12s  %10s  %12s  %10s\n", wname, "HOST", "MAC", waddr,
		"ADDRESSES", "TX BYTES", "TX PKTS", "RX BYTES", "RX PKTS");
	for (size_t i = 0; i < s->n; i++) {
		const struct host *h = &s->v[i];
		char tx[32], rx[32];
		unsigned long long txb = sum(h->tx, true), rxb = sum(h->rx, true);

		host_addrs(h, addrs, sizeof(addrs));
		if (exact) {
			snprintf(tx, sizeof(tx), "%llu", txb);
			snprintf(rx, sizeof(rx), "%llu", rxb);
		} else {
			human_bytes(txb, tx, sizeof(tx));
			human_bytes(rxb, rx, sizeof(rx));
		}
		fprintf(f, "%-*s  %-17s  %-*s  %12s  %10llu  %12s  %10llu\n", wname, h->name,
			h->mac[0] ? h->mac : "-", waddr, addrs, tx, sum(h->tx, false), rx,
			sum(h->rx, false));
	}
	if (!s->n)
		fprintf(f, "(no hosts counted)\n");
}

static void json_counters(FILE *f, const struct host *h, int fam)
{
	fprintf(f, "{\"tx_bytes\": %llu, \"tx_packets\": %llu, \"rx_bytes\": %llu, \"rx_packets\": %llu}",
		(unsigned long long)h->tx[fam].bytes, (unsigned long long)h->tx[fam].packets,
		(unsigned long long)h->rx[fam].bytes, (unsigned long long)h->rx[fam].packets);
}

void show_json(FILE *f, const char *backend, const struct hostset *s)
{
	fputs("{\"backend\": ", f);
	json_write_string(f, backend);
	fputs(", \"source\": \"kernel\", \"hosts\": [", f);
	for (size_t i = 0; i < s->n; i++) {
		const struct host *h = &s->v[i];

		fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
		json_write_string(f, h->name);
		fputs(", \"mac\": ", f);
		if (h->mac[0])
			json_write_string(f, h->mac);
		else
			fputs("null", f);
		fputs(", \"addresses\": [", f);
		for (unsigned int j = 0; j < h->naddrs; j++) {
			char as[ADDR_STRLEN];

			if (j)
				fputs(", ", f);
			json_write_string(f, addr_format(&h->addrs[j], as, sizeof(as)));
		}
		fputs("], \"ipv4\": ", f);
		json_counters(f, h, FAM_V4);
		fputs(", \"ipv6\": ", f);
		json_counters(f, h, FAM_V6);
		fputs("}", f);
	}
	fputs(s->n ? "\n]}\n" : "]}\n", f);
}
