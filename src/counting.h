/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_COUNTING_H
#define IPTMON_COUNTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "ct.h"
#include "hosts.h"
#include "totals.h"

/*
 * The daemon's counting mode (configuration key `counting`): the forward hook's counters
 * (what the backend reads), or conntrack's per-flow counters (ct.h), or auto: conntrack while
 * an active flowtable exists. Hosts and addresses always come from the backend.
 *
 * The totals' `last` values stay the forward hook's counters in every mode: a conntrack poll
 * hands totals_update() last + the conntrack increase (so it adds exactly that), then puts the
 * kernel's values back into `last`. So journal facts, reboots, a daemon restart and a switch
 * of mode (either way, at a restart or in a running daemon) keep working as they do with the
 * forward hook alone, and a poll that cannot read conntrack counts what the forward hook saw.
 */
enum { COUNTING_AUTO, COUNTING_FORWARD, COUNTING_CONNTRACK };

struct counting {
	struct ct *ct;	     /* open only while conntrack counts: no socket, no memory else */
	bool active;	     /* the last poll counted from conntrack */
	bool failing;	     /* conntrack could not be used (said once) */
	bool flowtable;	     /* auto: an active flowtable was found (said once per change) */
	bool said;	     /* the run_dir file says `active` */
	bool fam_said[FAM_COUNT]; /* a family conntrack does not track was said */
	int64_t dumped_ms;	    /* CLOCK_MONOTONIC of the last dump */
	int64_t overflow_logged_ms; /* CLOCK_MONOTONIC of the last overflow line; 0: none */
	struct counter (*kern)[2][FAM_COUNT]; /* the backend's counters per snapshot host */
	size_t nkern;
	struct addrset between; /* the last poll's host addresses: events until the next count for them */
	void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* 0, or -EINVAL for a bad `counting` value. */
int counting_parse(const char *s);
const char *counting_name(int mode);

void counting_init(struct counting *k,
		   void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2))));
void counting_free(struct counting *k);
/*
 * Before totals_update(): SNAP holds the backend's counters; in conntrack mode they are
 * replaced as said above. Never fails: without conntrack the forward hook's counters stay.
 */
void counting_before(struct counting *k, const struct config *cfg, struct hostset *snap,
		     const struct totals *t);
/* After totals_update(): the forward hook's values back into SNAP and the totals' `last`. */
void counting_after(struct counting *k, struct hostset *snap, struct totals *t);
/* The conntrack event socket (-1 when none) and what to do when it is readable. */
int counting_fd(const struct counting *k);
void counting_io(struct counting *k);
/* The Prometheus lines saying how the daemon counts (appended to its health metrics). */
void counting_metrics(FILE *f, const struct counting *k);

/* run_dir/iptmon.counting: "conntrack" or "forward", what the daemon's last poll used. */
void counting_path(char *buf, size_t len, const struct config *cfg);
/* What it says, "forward" when there is none. */
const char *counting_read(const struct config *cfg);

#endif
