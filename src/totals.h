/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_TOTALS_H
#define IPTMON_TOTALS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "history.h"
#include "hosts.h"
#include "period.h"

#define STATE_MAGIC "iptmon-state"
#define STATE_VERSION 3 /* 1 and 2 are still read */

/* Eight counts in the state file's order: [fam][dir] bytes then packets. */
struct counts {
	uint64_t bytes[FAM_COUNT][2], packets[FAM_COUNT][2]; /* [fam][tx=0, rx=1] */
};

/*
 * Monotonic per-host totals built from kernel counters, which start over whenever a rule or
 * counter is recreated (a reload, a flush, a reboot). A counter that went down was
 * recreated: its new value is added, nothing is ever subtracted.
 */
struct total {
	const char *name;    /* in t->hist.names, one reference: never moves while held */
	char mac[MAC_SIZE];
	bool forgotten;	     /* gone too long: only in the current period's view until it ends */
	bool present;	     /* in the kernel at the last totals_attach() */
	unsigned char naddrs;
	struct addr *addrs;  /* its addresses then (the views'): the snapshot's, taken over */
	struct counts all;   /* since the state began */
	struct counts last;  /* the kernel's values at the last poll */
	struct counts cur;   /* the current accounting period */
	uint64_t delta[FAM_COUNT][2]; /* bytes the last poll added (rates: / totals.dt_ms) */
	int64_t gone_since;  /* wall-clock seconds since when the kernel has no counters for it */
};

/*
 * A closed accounting period: the hosts that counted in it, packed, since a year of periods
 * is kept for every host: each host is its name's id in the history's name pool (npool.h,
 * one reference each), then its eight counts (the byte counts, then the packet counts), all
 * LEB128 varints: about 30 bytes where a fixed record took 128.
 * Closed periods never change; period_next() reads them in the order they were added.
 */
struct period_rec {
	long long start, end;
	unsigned char *buf;
	size_t len, cap, n; /* bytes used, bytes allocated, hosts */
	/* Where its `was` lines are in the state file totals.file holds (flen 0: not there). A
	 * period on the file and not in memory (buf NULL, n > 0) is read from there when asked
	 * for: the daemon keeps only the newest PERIODS_IN_MEMORY in memory. */
	long long off, flen;
};

/* Closed periods the daemon keeps in memory (the previous one: show, metrics, the views);
 * older ones stay in the state file, read when /api/days asks for one. */
#define PERIODS_IN_MEMORY 1

static inline bool period_on_file_only(const struct period_rec *r)
{
	return !r->buf && r->n;
}

/* Appends a host, its name held in NAMES; 0 or -ENOMEM (the record unchanged). */
int period_add(struct period_rec *r, struct npool *names, const char *name,
	       const struct counts *c);
/* The host at *POS (0: the first) into *NAME (inside NAMES: valid while R is) and *C, *POS
 * moved past it; false at the end. */
bool period_next(const struct period_rec *r, const struct npool *names, size_t *pos,
		 const char **name, struct counts *c);
/* Gives back its memory and its names' references. */
void period_rec_free(struct period_rec *r, struct npool *names);
/* Gives back the room allocated past the last host (a record is complete). */
void period_trim(struct period_rec *r);

struct totals {
	struct total *v;
	size_t n, cap;
	uint32_t *idx; /* open addressing on the name: position + 1, 0 = empty */
	size_t idx_cap;
	unsigned long names_gen; /* moves whenever a total comes, goes or is renamed */
	char boot_id[40]; /* the boot the last values come from */
	long long period_start, period_end; /* current period; 0 = not yet set */
	long long stamp; /* the newest wall-clock time the totals saw; 0 = none */
	struct period_rec *past;	    /* newest first */
	size_t npast;
	int file;	/* the state file's fd + 1 (periods on it only are read from it); 0: none */
	size_t periods_lost; /* closed periods the state file no longer gave (drop_on_file) */
	int64_t dt_ms; /* time the last poll's deltas took to build up; 0 = no rates */
	bool has_rates;
	/* read from the daemon's live file, which does not carry the kernel's values (`last`):
	 * for show and metrics, not a state to count on from */
	bool live;
	struct history hist; /* recent rates and per-day totals (history.h), the daemon's */
};

void totals_free(struct totals *t);
struct total *totals_find(const struct totals *t, const char *name);
/* NAME's total, created if new; NULL on a bad name or out of memory. */
struct total *totals_get(struct totals *t, const char *name);
/* Folds one kernel snapshot in (MACs too); boot_id "" when unknown. 0 or -ENOMEM. */
int totals_update(struct totals *t, const struct hostset *snap, const char *boot_id);
/*
 * After a poll's snapshot was folded in (totals_update): which hosts are in the kernel and at
 * which addresses, for the views, the forgetting and a rebuild. SNAP's address arrays are
 * taken over (its hosts are left without addresses: free it next), so the daemon keeps no
 * snapshot between polls. MACs SNAP knows are copied. Hosts of SNAP the totals do not have are
 * not taken.
 */
void totals_attach(struct totals *t, struct hostset *snap);
/* Hosts in the kernel at the last totals_attach(). */
size_t totals_present(const struct totals *t);
/* Wall-clock times before this (2025-01-01) are a clock not yet set (a router before NTP). */
#define TOTALS_CLOCK_FLOOR 1735689600LL
/* Whether NOW can be trusted: not before the floor, not behind the newest time seen. */
bool totals_clock_set(const struct totals *t, time_t now);
/*
 * Closes the current period when NOW is past its end (its counts become the newest past
 * period, at most KEPT are kept) and opens the one holding NOW; periods only roll forward.
 * A clock not yet set (totals_clock_set) changes nothing: counts go on into the current
 * period. Returns 1 when a period closed, 0 when not, -ENOMEM.
 */
int totals_roll(struct totals *t, const struct period_spec *p, time_t now, unsigned int kept);
/* The state file: versioned text, every name checked on the way in. With rates, the live
 * file `show` reads: it also carries each host's last per-second rates, and not the
 * kernel's values at the last poll (`last`), which its readers do not want: a `live` line
 * says so, and state_load() does not take such a file for a state. */
int totals_write(FILE *f, const struct totals *t, bool rates);
/*
 * The same, telling where each closed period's `was` lines went: OFFS (2 × (npast +
 * hist.ndays), may be NULL) gets each one's offset and length in F, then each day's (its
 * `day` lines). Periods and days on the state file only are copied from it, every line
 * checked (-ESTALE when it no longer gives them). The live file (RATES) carries the previous
 * period only (what `show` reads), and no days.
 */
int totals_write_offs(FILE *f, const struct totals *t, bool rates, long long *offs);
/* 0, -EINVAL for a file that is not a valid state file (line in *bad_line), -ENOMEM. */
int totals_read(FILE *f, struct totals *t, unsigned int *bad_line);
/*
 * The same, keeping only the newest HOT closed periods and the newest day in memory: the
 * older ones are checked, then left on F (their place noted), and FD (F's, duplicated by the
 * caller) is kept in T to read them from; FD < 0: all in memory. F is read from its start.
 */
int totals_read_keep(FILE *f, struct totals *t, unsigned int *bad_line, size_t hot, int fd);
/* After the state file was written with totals_write_offs(OFFS): FD (that file's, taken
 * over) is where the periods and days are now; the periods past the newest HOT and the days
 * but the newest leave memory. */
void totals_on_file(struct totals *t, int fd, const long long *offs, size_t hot);
/* When totals_write_offs or totals_past_load gave -ESTALE (the file was written over by
 * another program, or cannot be read): from the first period on the file only that it no
 * longer gives, the periods are dropped (older ones too: no gap), counted in periods_lost;
 * the same for the days (history_drop_on_file, hist.days_lost); how many of both. */
size_t totals_drop_on_file(struct totals *t);
/* Closed period P (t->past[P]) read into OUT (zeroed first), its names in NAMES (empty at
 * first): for one on the file only. 0, or -ENOMEM, -ESTALE (the file no longer gives it)
 * with OUT and NAMES freed. */
int totals_past_load(const struct totals *t, size_t p, struct period_rec *out,
		     struct npool *names);
enum view { VIEW_ALL, VIEW_CURRENT, VIEW_PREVIOUS };

/*
 * The hosts as outputs show them: counts from the totals (all time, the current period or
 * the previous one), addresses and MACs as the last totals_attach() left them, rates
 * from the last poll. Sorted by name. 0 or -ENOMEM.
 */
int totals_view(const struct totals *t, enum view which, struct hostset *out);
/*
 * A slice of the same view, for a body written while it is sent: at most MAX hosts, the
 * first ones whose names sort after AFTER ("": from the first), in order; *TOTAL (may be
 * NULL) gets how many hosts the whole view has. Costs one pass over the totals, no copy of
 * them. 0 or -ENOMEM.
 */
int totals_view_after(const struct totals *t, enum view which, const char *after, size_t max,
		      struct hostset *out, size_t *total);
/*
 * The totals' positions sorted by name into *ORDER (replaced; valid until the totals change:
 * the next poll), the first position in it whose name sorts after AFTER, and the all-time or
 * current view (not the previous period's) read along it: from *POS on, at most MAX hosts,
 * *POS moved past them. A streamed body costs one pass over the totals this way. 0 or -ENOMEM.
 */
int totals_order(const struct totals *t, uint32_t **order);
size_t totals_order_after(const struct totals *t, const uint32_t *order, const char *after);
int totals_view_at(const struct totals *t, enum view which, const uint32_t *order, size_t *pos,
		   size_t max, struct hostset *out);
/*
 * Facts from the kernel's side (journal.c): FROM's counters now count under TO (a rename;
 * the kernel carried them over), so FROM's total becomes TO's (added to it when TO has one).
 * 1 when moved, 0 when FROM has no total, -errno.
 */
int totals_rename(struct totals *t, const char *from, const char *to);
/* NAME's kernel counters were created anew at zero: the next value is all new. */
void totals_restarted(struct totals *t, const char *name);
/*
 * After a poll at NOW: hosts present (totals_attach) are not gone, the others gone since NOW
 * unless gone already. Hosts gone FORGET_AFTER seconds or more (0: never) are forgotten: they leave the
 * all-time view, and the totals when the current period closes. Beyond MAX hosts the
 * longest gone are dropped whole; *lost_bytes gets what they held of the current period.
 * Returns how many were dropped.
 */
size_t totals_forget(struct totals *t, int64_t now, unsigned int forget_after, unsigned int max,
		     uint64_t *lost_bytes);
/* Rate of one counter delta in units per second (0 without rates). */
double totals_rate(const struct totals *t, uint64_t delta);

#endif
