/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DAEMON_H
#define IPTMON_DAEMON_H

#include <stddef.h>

#include "backend.h"
#include "config.h"

/*
 * `iptmon daemon`: polls the backend's counters every `interval` seconds into monotonic
 * per-host totals and accounting periods, kept in state_dir/iptmon.state (written every
 * `commit_interval`, when a period closes and on exit), served over HTTP, pushed to InfluxDB
 * and collectd. Foreground, one loop; TERM/INT save and exit, HUP builds the configuration
 * again as start-up did: from CFGPATH (NULL: the default path) and the NOVERRIDES
 * "--KEY=VALUE" OVERRIDES, which must live as long as the daemon. Returns an exit code.
 */
int daemon_run(struct config *cfg, const char *cfgpath, int noverrides, char *const *overrides,
	       const struct backend_ops *ops, struct backend *be);
/* 1 when a daemon holds run_dir's pid lock (its files: src/state.h). */
int daemon_running(const struct config *cfg);

#endif
