/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_PLAN_H
#define IPTMON_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "hosts.h"

/*
 * One change to the kernel, computed once for every backend: the steps that turn OLD (what
 * read() found) into WANT. Backends only translate the steps for their kernel; the journal
 * tells the daemon the facts it cannot see in counter values (created counters, renames).
 * Everything points into OLD and WANT, which must outlive the plan.
 */
struct plan_addr {
	const struct host *h; /* del: the host in OLD; add: the host in WANT (its counts) */
	const struct addr *a;
};

struct plan_host {
	const struct host *h; /* in WANT */
	const char *from;     /* a rename: the name it had in OLD, whose counts it carries */
};

struct plan {
	const struct hostset *old, *want; /* old may be NULL: nothing there */
	struct plan_addr *del, *add; /* addresses leaving a host, addresses joining one */
	size_t ndel, nadd;
	struct plan_host *created; /* hosts of WANT that OLD lacks: their counters are made */
	size_t ncreated;
	const struct host **gone; /* hosts of OLD that WANT lacks: their counters go */
	size_t ngone;
};

/* 0 or -ENOMEM (p is empty then). */
int plan_make(struct plan *p, const struct hostset *old, const struct hostset *want);
/* Nothing to do: the same hosts with the same addresses. */
bool plan_empty(const struct plan *p);
void plan_free(struct plan *p);

#endif
