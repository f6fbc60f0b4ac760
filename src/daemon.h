/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DAEMON_H
#define IPTMON_DAEMON_H

#include "backend.h"
#include "config.h"

/*
 * `iptmon daemon`: polls the backend's counters every `interval` seconds into monotonic
 * per-host totals, kept in state_dir/iptmon.state (written every `commit_interval` and on
 * exit). Foreground, one loop; TERM/INT save and exit, HUP re-reads the configuration.
 * Returns an exit code.
 */
int daemon_run(struct config *cfg, const char *cfgpath, const struct backend_ops *ops,
	       struct backend *be);

#endif
