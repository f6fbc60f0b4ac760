// SPDX-License-Identifier: GPL-2.0-or-later
/* `iptmon show`: the per-host table and its JSON form. */
#include "show.h"

#include <string.h>
#include <time.h>

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

const char *show_local_time(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, len, "%lld", t);
	return buf;
}

static const char *human_rate(double r, char *buf, size_t len)
{
	human_bytes((unsigned long long)(r + 0.5), buf, len);
	if (strlen(buf) + 3 < len)
		strcat(buf, "/s");
	return buf;
}

static double rate_sum(const struct host *h, int dir)
{
	return (double)h->rate[FAM_V4][dir] + (double)h->rate[FAM_V6][dir];
}

void show_table(FILE *f, const char *backend, const struct hostset *s, bool exact)
{
	struct show_info in = { .backend = backend, .source = "kernel" };

	show_table_ex(f, &in, s, exact);
}

void show_table_ex(FILE *f, const struct show_info *in, const struct hostset *s, bool exact)
{
	int wname = 4, waddr = 9;
	char addrs[HOST_MAX_ADDRS * (ADDR_STRLEN + 1) + 2];

	fprintf(f, "backend: %s, %s; tx = to the host (download), rx = from the host (upload)\n",
		in->backend, in->source_desc ? in->source_desc : "counters read from the kernel");
	if (in->counting)
		fprintf(f, "counting: %s\n",
			strcmp(in->counting, "conntrack") ?
				"forward (the forward hook's counters)" :
				"conntrack (per-flow counters, offloaded flows included)");
	if (in->period && !in->period_end) {
		fprintf(f, "period: %s (none has closed yet)\n", in->period);
	} else if (in->period) {
		char a[40], b[40];

		fprintf(f, "period: %s, %s to %s (local time)\n", in->period,
			show_local_time(in->period_start, a, sizeof(a)),
			show_local_time(in->period_end, b, sizeof(b)));
	}
	for (size_t i = 0; i < s->n; i++) {
		int n = (int)strlen(s->v[i].name);

		if (n > wname)
			wname = n;
		host_addrs(&s->v[i], addrs, sizeof(addrs));
		n = (int)strlen(addrs);
		if (n > waddr)
			waddr = n;
	}
	fprintf(f, "%-*s  %-17s  %-*s  %12s  %10s  %12s  %10s", wname, "HOST", "MAC", waddr,
		"ADDRESSES", "TX BYTES", "TX PKTS", "RX BYTES", "RX PKTS");
	fputs(in->rates ? "  TX RATE       RX RATE\n" : "\n", f);
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
		fprintf(f, "%-*s  %-17s  %-*s  %12s  %10llu  %12s  %10llu", wname, h->name,
			h->mac[0] ? h->mac : "-", waddr, addrs, tx, sum(h->tx, false), rx,
			sum(h->rx, false));
		if (in->rates) {
			char tr[40], rr[40];

			fprintf(f, "  %-12s  %s", human_rate(rate_sum(h, 0), tr, sizeof(tr)),
				human_rate(rate_sum(h, 1), rr, sizeof(rr)));
		}
		fputc('\n', f);
	}
	if (!s->n)
		fprintf(f, "(no hosts counted)\n");
}

static void json_counters(FILE *f, const struct host *h, int fam, bool rates)
{
	fprintf(f, "{\"tx_bytes\": %llu, \"tx_packets\": %llu, \"rx_bytes\": %llu, \"rx_packets\": %llu",
		(unsigned long long)h->tx[fam].bytes, (unsigned long long)h->tx[fam].packets,
		(unsigned long long)h->rx[fam].bytes, (unsigned long long)h->rx[fam].packets);
	if (rates)
		fprintf(f, ", \"tx_bytes_per_s\": %.1f, \"rx_bytes_per_s\": %.1f",
			(double)h->rate[fam][0], (double)h->rate[fam][1]);
	fputc('}', f);
}

void show_json(FILE *f, const char *backend, const struct hostset *s)
{
	struct show_info in = { .backend = backend, .source = "kernel" };

	show_json_ex(f, &in, s);
}

void show_json_head(FILE *f, const struct show_info *in)
{
	fputs("{\"backend\": ", f);
	json_write_string(f, in->backend);
	fputs(", \"source\": ", f);
	json_write_string(f, in->source);
	if (in->counting) {
		fputs(", \"counting\": ", f);
		json_write_string(f, in->counting);
	}
	if (in->period) {
		fputs(", \"period\": {\"name\": ", f);
		json_write_string(f, in->period);
		fprintf(f, ", \"start\": %lld, \"end\": %lld}", in->period_start, in->period_end);
	}
	fputs(", \"hosts\": [", f);
}

void show_json_hosts(FILE *f, const struct show_info *in, const struct hostset *s, bool first)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct host *h = &s->v[i];

		fputs(i || !first ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
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
		json_counters(f, h, FAM_V4, in->rates);
		fputs(", \"ipv6\": ", f);
		json_counters(f, h, FAM_V6, in->rates);
		fputs("}", f);
	}
}

void show_json_tail(FILE *f, bool any)
{
	fputs(any ? "\n]}\n" : "]}\n", f);
}

void show_json_ex(FILE *f, const struct show_info *in, const struct hostset *s)
{
	show_json_head(f, in);
	show_json_hosts(f, in, s, true);
	show_json_tail(f, s->n > 0);
}
