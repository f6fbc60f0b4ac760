/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_TOTALS_H
#define IPTMON_TOTALS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hosts.h"

#define STATE_MAGIC "iptmon-state"
#define STATE_VERSION 1

/*
 * Monotonic per-host totals built from kernel counters, which start over whenever a rule or
 * counter is recreated (a reload, a flush, a reboot). A counter that went down was
 * recreated: its new value is added, nothing is ever subtracted.
 */
struct total {
	char name[NAME_SIZE];
	uint64_t bytes[FAM_COUNT][2], packets[FAM_COUNT][2];	    /* [fam][tx=0, rx=1] */
	uint64_t last_bytes[FAM_COUNT][2], last_packets[FAM_COUNT][2]; /* kernel, last poll */
};

struct totals {
	struct total *v;
	size_t n, cap;
	char boot_id[40]; /* the boot the last_* values come from */
};

void totals_free(struct totals *t);
struct total *totals_find(const struct totals *t, const char *name);
/* Folds one kernel snapshot in; boot_id "" when unknown. 0 or -ENOMEM. */
int totals_update(struct totals *t, const struct hostset *snap, const char *boot_id);
/* The state file: versioned text, every name checked on the way in. */
int totals_write(FILE *f, const struct totals *t);
/* 0, -EINVAL for a file that is not a valid state file (line in *bad_line), -ENOMEM. */
int totals_read(FILE *f, struct totals *t, unsigned int *bad_line);

#endif
