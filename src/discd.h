/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DISCD_H
#define IPTMON_DISCD_H

#include <stdint.h>

#include "backend.h"
#include "config.h"

/*
 * Host discovery in the daemon: the neighbour table (neigh.c), the lease and hosts files
 * (inotify), and the changes they call for (discover.c) applied through change.c, batched:
 * a burst of neighbours is one transaction. One file descriptor for the daemon's poll.
 * Logs its own lines on stderr ("iptmon: discover: ...").
 */
struct discd;

/* NULL after one log line saying why not. cfg, ops and be must outlive it. */
struct discd *discd_open(const struct config *cfg, const struct backend_ops *ops,
			 struct backend *be);
void discd_close(struct discd *dd);
int discd_fd(const struct discd *dd);
/* Whatever is ready on discd_fd(): neighbours, file changes, a batch due. */
void discd_run(struct discd *dd);
/* The daemon's poll tick: neighbours whose grace ran out, watches still missing, and
 * counted neighbours missing from SNAP (the poll's read; NULL when it failed). */
void discd_tick(struct discd *dd, const struct hostset *snap);
/* For the daemon's health metrics. */
size_t discd_neighbours(const struct discd *dd);
unsigned long long discd_commits(const struct discd *dd);

#endif
