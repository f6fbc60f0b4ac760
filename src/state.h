/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_STATE_H
#define IPTMON_STATE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "totals.h"

/*
 * The daemon's files: state_dir/iptmon.state (the totals, written rarely and durably),
 * state_dir/iptmon.state.lock (held while a daemon owns the state), run_dir/iptmon.live (the
 * totals after every poll, for `show`) and run_dir/iptmon.pid (tells the CLI a daemon runs).
 * Every function returns 0 or -errno and prints nothing; messages go to ERR/MSG.
 */
void state_path(char *buf, size_t len, const struct config *cfg);
void state_live_path(char *buf, size_t len, const struct config *cfg);
void state_pid_path(char *buf, size_t len, const struct config *cfg);

/* A state or live file for reading: a regular file only (no link followed, no FIFO waited
 * on, no device opened); NULL with errno (EINVAL for anything but a regular file). */
FILE *state_fopen(const char *path);

/*
 * Loads the state into T (zeroed first). 0: loaded, or there is none; 1: the file was
 * damaged or not a regular file and was set aside under a new name (never overwritten), MSG
 * says so; -ENOMEM, or -errno when it cannot be read or set aside (MSG says why).
 */
int state_load(const struct config *cfg, struct totals *t, char *msg, size_t msglen);

/* The totals through a temporary file and a rename: the state file fsynced with its
 * directory, the live file (tmpfs) not. 0 or -errno (ERR says what failed). The state file
 * written, T keeps it open and its closed periods past PERIODS_IN_MEMORY leave memory (the
 * file gives them from then on); state_load() does the same. Written over by another
 * program meanwhile (or unreadable), that file no longer gives them: those it does not give
 * are dropped (t->periods_lost counts them) and the rest is written. */
int state_write(const struct config *cfg, struct totals *t, char *err, size_t errlen);
int state_write_live(const struct config *cfg, const struct totals *t, char *err, size_t errlen);

/*
 * The daemon's locks, held for its life: an flock on state_dir's lock file (no second
 * daemon on the same state, whatever happens to run_dir), then on run_dir's pid file. Each
 * holds the pid. FDS gets both; -EWOULDBLOCK when another daemon holds one (ERR names it
 * and its pid), another -errno when a directory or file cannot be made.
 */
int state_lock(const struct config *cfg, int fds[2], char *err, size_t errlen);

#endif
