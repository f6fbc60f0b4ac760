/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_EXPORT_H
#define IPTMON_EXPORT_H

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

/* Escapers, one per format (exposed for golden tests). */
void prom_label_value(FILE *f, const char *s);
void influx_tag_value(FILE *f, const char *s);
void collectd_ident(FILE *f, const char *s);

#endif
