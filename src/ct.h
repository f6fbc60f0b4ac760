/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_CT_H
#define IPTMON_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hosts.h"

/*
 * Per-host byte and packet counts from conntrack's per-flow counters (ctnetlink through
 * libmnl), for routers whose flowtables carry established flows past the forward hook.
 *
 * A flow's two ends as the forward hook sees them are its original source (E1) and its reply
 * source (E2): NAT rewrites the other two addresses. Like the forward hook's counters, a host
 * holding E1 gets the original direction as rx and the reply direction as tx; a host holding
 * E2 the other way round (a port-forwarded server). Flows with an end on the router itself
 * (or a broadcast or multicast end) are not forwarded and never counted.
 *
 * Each flow's last-seen counters are kept, keyed by conntrack id and ends, so that every byte
 * is counted once: a dump per poll gives the live flows' increase, destroy events
 * (NFNLGRP_CONNTRACK_DESTROY, carrying final counters with nf_conntrack_acct on) the rest of
 * the flows that ended, including those that began and ended between two polls.
 * Every function returns 0 or -errno and prints nothing.
 */
struct ct;

/* Per address increase since the last ct_take(): [0] = tx (to the address), [1] = rx. */
struct ct_delta {
	struct addr a;
	struct counter c[2];
};

struct ct_stats {
	size_t flows;			 /* flows tracked now */
	size_t mem;			 /* bytes of the flow table and the pending increases */
	unsigned long long events;	 /* destroy events read */
	unsigned long long overflows;	 /* times the event socket overflowed (ENOBUFS) */
	unsigned long long lost_flows;	 /* flows whose final counts were lost that way */
	unsigned long long dumps;	 /* dumps read */
};

/*
 * The event socket (receive buffer RCVBUF bytes; 0: 4 MiB) and conntrack accounting (the
 * sysctl at ACCT_PATH; NULL: /proc/sys/net/netfilter/nf_conntrack_acct):
 * *acct_on is set when net.netfilter.nf_conntrack_acct was 0 and was switched on here.
 * -EPROTONOSUPPORT/-ENOENT: no conntrack; -EACCES/-EROFS/-EPERM: accounting cannot be
 * switched on. ERR says which.
 */
int ct_open(struct ct **out, int rcvbuf, const char *acct_path, bool *acct_on, char *err,
	    size_t errlen);
void ct_close(struct ct *c);
/* The destroy event socket, for poll(): call ct_read_events() when it is readable. */
int ct_fd(const struct ct *c);
/* Reads the queued destroy events (never blocks); their flows' increases wait for ct_take. */
void ct_read_events(struct ct *c);
/*
 * One poll, counting for the addresses in HOSTS (the hosts'): the events queued, a dump of the live flows,
 * the events queued meanwhile. With
 * baseline (the first poll, or the first after conntrack was away) the live flows' counters
 * are only remembered, not counted. *lost gets the flows whose final counts were lost since
 * the last poll (the event socket overflowed: *overflowed set), 0 otherwise.
 */
int ct_poll(struct ct *c, const struct addrset *hosts, bool baseline, bool *overflowed,
	    size_t *lost, char *err, size_t errlen);
/*
 * A poll without a dump (conntrack_dump_interval): only the flows that ended count now, the
 * live ones at the next dump; an overflow waits for that dump too.
 */
void ct_poll_events(struct ct *c, const struct addrset *hosts);
/* The addresses ended flows read between polls count for (the caller keeps the set alive;
 * ct_poll's own HOSTS count for that poll). */
void ct_set_hosts(struct ct *c, const struct addrset *hosts);
/*
 * The increases gathered since the last call, per address of a counted host (as the hosts
 * were when each was read); the array is the module's, valid until the next call into it.
 */
const struct ct_delta *ct_take(struct ct *c, size_t *n);
void ct_stats(const struct ct *c, struct ct_stats *out);
/*
 * The families conntrack listed any flow of since ct_open (1 << FAM_V4 | 1 << FAM_V6): in a
 * network namespace conntrack tracks a family only once some rule needs it (NAT, `ct state`).
 */
unsigned int ct_families(const struct ct *c);

/* Parsing of one ctnetlink message, exposed for unit tests. */
struct ct_msg {
	uint32_t id;
	uint8_t fam, proto; /* FAM_V4/FAM_V6, IPPROTO_* */
	bool counters;	    /* CTA_COUNTERS_* present (accounting on when the flow began) */
	struct addr e1, e2; /* original source, reply source */
	uint64_t c[4];	    /* original bytes, packets; reply bytes, packets */
};
/* 0, or -EINVAL for a message that is not a conntrack entry with both tuples. */
int ct_parse(const void *nlh, struct ct_msg *m);

#endif
