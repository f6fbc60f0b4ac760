/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_JOURNAL_H
#define IPTMON_JOURNAL_H

#include <stddef.h>

#include "config.h"
#include "plan.h"

/*
 * What a running daemon cannot tell from counter values alone, told by the command that
 * changed the kernel: whose counters a commit created at zero (a host added, or added again
 * after a delete, a flush or a lost table), and whose it created carrying another host's
 * counts (a rename). One line per fact in run_dir/iptmon.journal, appended right after the
 * commit while the command holds lock_file; the daemon reads its snapshot and the journal
 * under the same lock, so the two always agree.
 */
#define JOURNAL_FILE "iptmon.journal"
#define JOURNAL_MAX (256u * 1024) /* bytes; past it one "lost" line, then nothing */

enum journal_kind { JOURNAL_NEW, JOURNAL_RENAME, JOURNAL_LOST };

struct journal_fact {
	enum journal_kind kind;
	char name[NAME_SIZE]; /* NEW: the host; RENAME: the new name */
	char from[NAME_SIZE]; /* RENAME: the old name */
};

/*
 * The facts of a plan that was committed: for each host it created, NEW, or RENAME when it
 * is an old host under a new name. Only when run_dir exists (a daemon ran since boot);
 * failures are silent: the daemon then falls back on counter values.
 */
void journal_commit(const struct config *c, const struct plan *p);
/* The facts in the text of a journal, in order, into fn; unparsable lines are skipped. */
void journal_parse(const char *text, size_t len,
		   void (*fn)(void *ctx, const struct journal_fact *f), void *ctx);
/* Every fact in the journal into fn, then the journal is emptied. 0 or -errno. */
int journal_take(const struct config *c, void (*fn)(void *ctx, const struct journal_fact *f),
		 void *ctx);

#endif
