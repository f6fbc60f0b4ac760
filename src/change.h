/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_CHANGE_H
#define IPTMON_CHANGE_H

#include "backend.h"
#include "config.h"
#include "hosts.h"

/*
 * Every change to iptmon's kernel objects goes one way, whoever makes it (a command, the
 * daemon's host discovery): under lock_file, read what the kernel holds, compute what is
 * wanted, commit one plan, append its journal facts. The daemon reads its counters and the
 * journal under the same lock, so the kernel, the journal and the totals always agree.
 */

/* Read, compute and commit again at most this often when the kernel refuses a stale read. */
#define CHANGE_TRIES 8

/* lock_file opened and flock()ed: the descriptor (close it to unlock), or -errno. A process
 * must not hold it twice: a second flock() on another descriptor of the file would block. */
int change_lock(const struct config *c);

/* One transaction turning OLD into WANT, then its facts in the journal. 0; -ERESTART when
 * the kernel refused a commit built on a read made stale meanwhile (read again); -errno
 * (the backend's err says why, but for -ENOMEM). */
int change_commit(const struct config *c, const struct backend_ops *ops, struct backend *be,
		  const struct hostset *old, const struct hostset *want);

/*
 * Under the lock: read every host, want = a copy without empty hosts, fn(ctx, old, want)
 * changes want (0; 1 for no change at all; -errno stops), commit; all again on -ERESTART,
 * up to CHANGE_TRIES times. 1 when a transaction was committed, 0 when nothing was to
 * change, or -errno.
 */
int change_apply(const struct config *c, const struct backend_ops *ops, struct backend *be,
		 int (*fn)(void *ctx, const struct hostset *old, struct hostset *want), void *ctx);

#endif
