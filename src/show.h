/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_SHOW_H
#define IPTMON_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "hosts.h"

/* "2026-11-01 00:00", local time. */
const char *show_local_time(long long t, char *buf, size_t len);
/* "1.5 KiB" style, IEC units. */
const char *human_bytes(unsigned long long v, char *buf, size_t len);
/* Where the numbers come from, and which period they cover. */
struct show_info {
	const char *backend;
	const char *source;	/* JSON "source": "kernel", "daemon", "state" */
	const char *source_desc; /* the table's words for it */
	const char *period;	/* NULL: all time; "current", "previous" */
	long long period_start, period_end;
	bool rates; /* hosts carry rates */
	const char *counting; /* "forward" or "conntrack": what counted (NULL: not said) */
};

void show_table(FILE *f, const char *backend, const struct hostset *s, bool exact);
void show_json(FILE *f, const char *backend, const struct hostset *s);
void show_table_ex(FILE *f, const struct show_info *in, const struct hostset *s, bool exact);
void show_json_ex(FILE *f, const struct show_info *in, const struct hostset *s);
/* show_json_ex() in pieces: the head, the hosts a few at a time (FIRST: none before them), the
 * tail (ANY: a host was written). */
void show_json_head(FILE *f, const struct show_info *in);
void show_json_hosts(FILE *f, const struct show_info *in, const struct hostset *s, bool first);
void show_json_tail(FILE *f, bool any);

#endif
