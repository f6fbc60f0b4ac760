/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_EXPORT_H
#define IPTMON_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hosts.h"

/* One counter snapshot and what every writer needs to label it. */
struct export_ctx {
	const struct hostset *hosts;
	const char *backend;
	const char *source;   /* json's "source": "kernel" when NULL */
	const char *counting; /* json's "counting": not said when NULL */
	const char *hostname; /* collectd's host field */
	int64_t now_ns;	      /* timestamp for formats that carry one */
	unsigned int interval; /* collectd: seconds between values, 0 = not said */
};

struct exporter_ops {
	const char *name;
	void (*write)(FILE *f, const struct export_ctx *x);
};

/* NULL-terminated: prometheus, influx, collectd, json. */
extern const struct exporter_ops *const exporters[];
const struct exporter_ops *exporter_find(const char *name);

/* The current accounting period's counts (gauges) and its start and end. */
void prom_period(FILE *f, const struct hostset *cur, long long start, long long end);

/*
 * The same Prometheus text in pieces, for a body written while it is sent (the daemon's
 * /metrics): each per-host metric's head, then its series a few hosts at a time.
 */
enum { PROM_BYTES, PROM_PACKETS, PROM_PERIOD_BYTES, PROM_PERIOD_PACKETS, PROM_FAMILY_COUNT };
struct prom_family {
	const char *metric, *type, *help;
	bool bytes;
};
extern const struct prom_family prom_families[PROM_FAMILY_COUNT];
void prom_family_head(FILE *f, const struct prom_family *p);
void prom_family_hosts(FILE *f, const struct prom_family *p, const struct hostset *s);
/* iptmon_hosts and iptmon_info (after the bytes and packets totals). */
void prom_summary(FILE *f, size_t nhosts, const char *backend);
/* iptmon_period_start_seconds and iptmon_period_end_seconds. */
void prom_period_bounds(FILE *f, long long start, long long end);

/* Escapers, one per format (exposed for golden tests). */
void prom_label_value(FILE *f, const char *s);
void influx_tag_value(FILE *f, const char *s);
void collectd_ident(FILE *f, const char *s);

#endif
