// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `iptmon metrics`: one counter snapshot written as Prometheus text exposition, InfluxDB line
 * protocol, collectd PUTVAL lines (the identifiers of collectd's iptables plugin, so that the
 * shell tool's dashboards read it) or JSON. Every name is escaped for its format.
 */
#include "export.h"

#include <string.h>

#include "lbuf.h"
#include "name.h"
#include "show.h"

static const char *const fam_label[FAM_COUNT] = { "ipv4", "ipv6" };

/* A family is reported for a host that has an address in it or has counted in it. */
static bool fam_reported(const struct host *h, int fam)
{
	for (unsigned int j = 0; j < h->naddrs; j++)
		if (h->addrs[j].fam == fam)
			return true;
	return h->tx[fam].packets || h->rx[fam].packets;
}

/* S with the characters in SPECIAL handed to ONE, the runs between them copied whole. */
static void lb_runs(struct lbuf *l, const char *s, const char *special,
		    void (*one)(struct lbuf *, char))
{
	while (*s) {
		size_t n = strcspn(s, special);

		lb_mem(l, s, n);
		s += n;
		if (*s)
			one(l, *s++);
	}
}

static void prom_one(struct lbuf *l, char c)
{
	if (c == '\n') {
		lb_mem(l, "\\n", 2);
		return;
	}
	lb_c(l, '\\');
	lb_c(l, c);
}

static void lb_prom(struct lbuf *l, const char *s)
{
	lb_c(l, '"');
	lb_runs(l, s, "\\\"\n", prom_one);
	lb_c(l, '"');
}

static void influx_one(struct lbuf *l, char c)
{
	if (c == '\n' || c == '\r' || c == '\t') {
		lb_c(l, '_'); /* line protocol has no escape for these */
		return;
	}
	lb_c(l, '\\');
	lb_c(l, c);
}

static void lb_influx(struct lbuf *l, const char *s)
{
	lb_runs(l, s, ", =\\\n\r\t", influx_one);
}

/* Inside collectd's quoted identifier: backslash-escape quotes and backslashes; '/' and
 * control characters would break the identifier's structure, so they become '_'. */
static void collectd_one(struct lbuf *l, char c)
{
	if (c == '"' || c == '\\') {
		lb_c(l, '\\');
		lb_c(l, c);
		return;
	}
	lb_c(l, '_');
}

static void lb_collectd(struct lbuf *l, const char *s)
{
	/* '"', '\\', '/', every control character (strcspn's set cannot hold NUL: none needed) */
	static const char special[] = "\"\\/\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
				      "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b"
				      "\x1c\x1d\x1e\x1f\x7f";

	lb_runs(l, s, special, collectd_one);
}

static void escaped(FILE *f, void (*esc)(struct lbuf *, const char *), const char *s)
{
	struct lbuf l = { .f = f };

	esc(&l, s);
	lb_flush(&l);
}

void prom_label_value(FILE *f, const char *s)
{
	escaped(f, lb_prom, s);
}

void influx_tag_value(FILE *f, const char *s)
{
	escaped(f, lb_influx, s);
}

void collectd_ident(FILE *f, const char *s)
{
	escaped(f, lb_collectd, s);
}

static const char *const dir_label[2] = { "tx", "rx" };

/* One series: a host's counter in one family and direction (0 tx, 1 rx). */
typedef void series_fn(FILE *f, const void *arg, const struct host *h, int fam, int dir,
		       const struct counter *c);

/* Every series every format writes, in one order: by host, reported families, tx then rx. */
static void each_series(FILE *f, const struct hostset *s, series_fn *fn, const void *arg)
{
	for (size_t i = 0; i < s->n; i++)
		for (int fam = 0; fam < FAM_COUNT; fam++) {
			const struct host *h = &s->v[i];

			if (!fam_reported(h, fam))
				continue;
			fn(f, arg, h, fam, 0, &h->tx[fam]);
			fn(f, arg, h, fam, 1, &h->rx[fam]);
		}
}

struct prom_arg {
	const char *metric;
	bool bytes;
};

static void prom_series(FILE *f, const void *arg, const struct host *h, int fam, int dir,
			const struct counter *c)
{
	const struct prom_arg *a = arg;
	struct lbuf l = { .f = f };

	lb_s(&l, a->metric);
	lb_s(&l, "{host=");
	lb_prom(&l, h->name);
	lb_s(&l, ",mac=");
	lb_prom(&l, h->mac);
	lb_s(&l, ",family=\"");
	lb_s(&l, fam_label[fam]);
	lb_s(&l, "\",direction=\"");
	lb_s(&l, dir_label[dir]);
	lb_s(&l, "\"} ");
	lb_u64(&l, a->bytes ? c->bytes : c->packets);
	lb_c(&l, '\n');
	lb_flush(&l);
}

const struct prom_family prom_families[PROM_FAMILY_COUNT] = {
	{ "iptmon_host_bytes_total", "counter",
	  "Bytes counted per host, family and direction (tx: to the host, rx: from the host).", true },
	{ "iptmon_host_packets_total", "counter", "Packets counted per host, family and direction.",
	  false },
	{ "iptmon_host_period_bytes", "gauge", "Bytes counted in the current accounting period.",
	  true },
	{ "iptmon_host_period_packets", "gauge",
	  "Packets counted in the current accounting period.", false },
};

void prom_family_head(FILE *f, const struct prom_family *p)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", p->metric, p->help, p->metric, p->type);
}

void prom_family_hosts(FILE *f, const struct prom_family *p, const struct hostset *s)
{
	struct prom_arg a = { p->metric, p->bytes };

	each_series(f, s, prom_series, &a);
}

/* One metric, every reported host and family, tx then rx. */
static void prom_metric(FILE *f, const struct hostset *s, const struct prom_family *p)
{
	prom_family_head(f, p);
	prom_family_hosts(f, p, s);
}

void prom_summary(FILE *f, size_t nhosts, const char *backend)
{
	fputs("# HELP iptmon_hosts Hosts counted.\n# TYPE iptmon_hosts gauge\n", f);
	fprintf(f, "iptmon_hosts %zu\n", nhosts);
	fputs("# HELP iptmon_info The backend counting.\n# TYPE iptmon_info gauge\n", f);
	fputs("iptmon_info{backend=", f);
	prom_label_value(f, backend);
	fputs("} 1\n", f);
}

static void write_prometheus(FILE *f, const struct export_ctx *x)
{
	prom_metric(f, x->hosts, &prom_families[PROM_BYTES]);
	prom_metric(f, x->hosts, &prom_families[PROM_PACKETS]);
	prom_summary(f, x->hosts->n, x->backend);
}

void prom_period_bounds(FILE *f, long long start, long long end)
{
	fputs("# HELP iptmon_period_start_seconds Start of the current accounting period (Unix time).\n"
	      "# TYPE iptmon_period_start_seconds gauge\n", f);
	fprintf(f, "iptmon_period_start_seconds %lld\n", start);
	fputs("# HELP iptmon_period_end_seconds End of the current accounting period (Unix time).\n"
	      "# TYPE iptmon_period_end_seconds gauge\n", f);
	fprintf(f, "iptmon_period_end_seconds %lld\n", end);
}

void prom_period(FILE *f, const struct hostset *cur, long long start, long long end)
{
	prom_metric(f, cur, &prom_families[PROM_PERIOD_BYTES]);
	prom_metric(f, cur, &prom_families[PROM_PERIOD_PACKETS]);
	prom_period_bounds(f, start, end);
}

/* A push's timestamp, the same on every line: formatted once a write (the daemon writes a
 * push 64 hosts at a time), not once a line. */
struct influx_arg {
	const char *ts;
	size_t tslen;
};

static void influx_point(FILE *f, const void *arg, const struct host *h, int fam, int dir,
			 const struct counter *c)
{
	const struct influx_arg *a = arg;
	struct lbuf l = { .f = f };

	lb_s(&l, "iptmon,host=");
	lb_influx(&l, h->name);
	if (h->mac[0]) { /* an empty tag value is not allowed */
		lb_s(&l, ",mac=");
		lb_influx(&l, h->mac);
	}
	lb_s(&l, ",family=");
	lb_s(&l, fam_label[fam]);
	lb_s(&l, ",direction=");
	lb_s(&l, dir_label[dir]);
	lb_s(&l, " bytes=");
	lb_u64(&l, c->bytes);
	lb_s(&l, "i,packets=");
	lb_u64(&l, c->packets);
	lb_s(&l, "i ");
	lb_mem(&l, a->ts, a->tslen);
	lb_c(&l, '\n');
	lb_flush(&l);
}

static void write_influx(FILE *f, const struct export_ctx *x)
{
	char t[25], *p = i64_digits(t, (long long)x->now_ns);
	struct influx_arg a = { p, (size_t)(t + sizeof(t) - p) };

	each_series(f, x->hosts, influx_point, &a);
}

/* Bytes then packets, as collectd's iptables plugin names them. */
static void collectd_putvals(FILE *f, const void *arg, const struct host *h, int fam, int dir,
			     const struct counter *c)
{
	static const char *const plugin[FAM_COUNT] = { "iptables", "ip6tables" };
	const struct export_ctx *x = arg;
	struct lbuf l = { .f = f };

	for (int t = 0; t < 2; t++) {
		lb_s(&l, "PUTVAL \"");
		lb_collectd(&l, x->hostname);
		lb_c(&l, '/');
		lb_s(&l, plugin[fam]);
		lb_s(&l, "-mangle-iptmon_");
		lb_s(&l, dir_label[dir]);
		lb_s(&l, t ? "/ipt_packets-" : "/ipt_bytes-");
		lb_s(&l, dir_label[dir]);
		lb_c(&l, '_');
		lb_collectd(&l, h->name);
		lb_s(&l, "\" ");
		if (x->interval) {
			lb_s(&l, "interval=");
			lb_u64(&l, x->interval);
			lb_c(&l, ' ');
		}
		lb_i64(&l, (long long)(x->now_ns / 1000000000));
		lb_c(&l, ':');
		lb_u64(&l, t ? c->packets : c->bytes);
		lb_c(&l, '\n');
	}
	lb_flush(&l);
}

static void write_collectd(FILE *f, const struct export_ctx *x)
{
	each_series(f, x->hosts, collectd_putvals, x);
}

static void write_json(FILE *f, const struct export_ctx *x)
{
	struct show_info in = { .backend = x->backend, .source = x->source ? x->source : "kernel",
				.counting = x->counting };

	show_json_ex(f, &in, x->hosts);
}

static const struct exporter_ops prometheus_ops = { "prometheus", write_prometheus };
static const struct exporter_ops influx_ops = { "influx", write_influx };
static const struct exporter_ops collectd_ops = { "collectd", write_collectd };
static const struct exporter_ops json_ops = { "json", write_json };

const struct exporter_ops *const exporters[] = { &prometheus_ops, &influx_ops, &collectd_ops,
						 &json_ops, NULL };

const struct exporter_ops *exporter_find(const char *name)
{
	for (size_t i = 0; exporters[i]; i++)
		if (!strcmp(exporters[i]->name, name))
			return exporters[i];
	return NULL;
}
