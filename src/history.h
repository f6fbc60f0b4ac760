/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_HISTORY_H
#define IPTMON_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "name.h"
#include "npool.h"

/*
 * The daemon's history, bounded: each host's recent traffic in a ring of HIST_SLOTS slots of
 * HIST_SLOT_SECONDS (the last hour, in memory only), and per-day byte totals per host (local
 * days) for the current and the kept accounting periods, kept in the state file as
 * `day START NAME TX RX` lines. Bytes are summed over both families; tx is the host's
 * download, rx its upload. Bounds: at most HIST_MAX_HOSTS hosts (a host past it has no
 * history, its totals are kept as ever), HIST_MAX_DAYS days and HIST_MAX_ENTRIES host-days in
 * all (the oldest days go first).
 */
#define HIST_SLOTS 60
#define HIST_SLOT_SECONDS 60
#define HIST_MAX_HOSTS 4096
#define HIST_MAX_DAYS 1000
#define HIST_MAX_ENTRIES 65536

/*
 * A slot's bytes in 12 bits (hist_pack): up to 255 exactly, above within 1/256, rounded to the
 * nearest (a 5-bit exponent and a 7-bit mantissa after its leading one, up to 255 << 30,
 * 2.7e11 bytes a minute: 36 Gbit/s), three eighths of what a float took; a chart cannot show
 * the difference.
 */
#define HIST_PACK_MAX 0xfffu
uint16_t hist_pack(double bytes);
double hist_unpack(uint16_t v);

/* Bytes in each closed slot of a host's hour: tx and rx packed in 3 bytes, 180 B. */
typedef uint8_t hist_ring[HIST_SLOTS][3];

/*
 * A host's history: 20 B, and a ring only while it moved bytes in the last hour (a host
 * quiet for an hour gives its ring back): most of the hosts a router remembers, and all of
 * them when the daemon has just started, hold none.
 */
struct hist_host {
	uint32_t name;	/* its id in the history's names */
	uint32_t ring;	/* position + 1 of its ring in the history's rings; 0: none (all zero) */
	float now[2];	/* bytes in the newest slot, while it fills */
	uint32_t today; /* position + 1 in the newest day's entries; 0: none */
};

/*
 * A day's host-days. The newest day, while it fills, is an array (V); a day that has ended is
 * packed (BUF): each entry its host's index, then its tx and rx bytes, as LEB128 varints,
 * about 11 bytes where an entry takes 20 (HIST_MAX_ENTRIES of them: 1.25 MiB). A day that could
 * not be packed (memory ran out) stays an array. Once the daemon's state file holds it, an
 * ended day is on the file only (neither V nor BUF, N > 0): its `day` lines are read from
 * there when asked for (hist_day_read), by name. hist_day_read() reads any of the three.
 */
struct hist_day {
	long long start; /* local midnight */
	struct hist_ent {
		uint32_t host; /* index in hosts */
		/* bytes [tx, rx], each as two 32-bit halves (hist_ent_bytes): 20 B an entry, where
		 * two uint64_t after the index were padded to 24 */
		uint32_t half[2][2];
	} *v;
	unsigned char *buf;
	uint32_t n, cap; /* entries; entries allocated in v */
	uint32_t len;	 /* bytes in buf */
	/* its `day` lines in the state file (history.file; flen 0: not there): at most
	 * HIST_MAX_HOSTS lines of at most 130 bytes; SORTED: in strcmp() order of the names, as
	 * iptmon writes them (a file of an earlier iptmon may not be): a host's line is then
	 * found by a binary search */
	uint32_t flen : 31, sorted : 1;
	long long off;
};

static inline bool hist_day_on_file_only(const struct hist_day *d)
{
	return !d->v && !d->buf && d->n;
}

static inline uint64_t hist_ent_bytes(const struct hist_ent *e, int dir)
{
	return (uint64_t)e->half[dir][0] << 32 | e->half[dir][1];
}

/*
 * The lines of a run of bytes of a file, one at a time, read with pread() (no file offset is
 * shared with anyone): the state file's closed periods and days on the file only.
 */
struct file_run {
	int fd;
	long long off, left; /* where the next read starts; bytes of the run not read yet */
	size_t a, b;	     /* buf[a, b): read, not yet taken */
	bool held;	     /* buf[a] holds a NUL put after the last line: SAVE was there */
	char save;
	char buf[4096];
};

static inline void file_run_init(struct file_run *r, int fd, long long off, long long len)
{
	r->fd = fd;
	r->off = off;
	r->left = len;
	r->a = r->b = 0;
	r->held = false;
}

/* The next line, '\n' and all, NUL-terminated in place (valid until the next call): 1; 0 at
 * the end of the run; -ESTALE when the file no longer gives it (shorter, unreadable, a line
 * of over 4094 bytes, a run that does not end with a line). */
int file_run_line(struct file_run *r, char **line, size_t *len);

/* Reading a day's entries (hist_day_begin, then hist_day_read until it gives 0). */
struct hist_iter {
	size_t pos;	     /* in memory: where the next entry is */
	uint32_t n;	     /* on the file: entries read */
	struct file_run run; /* on the file */
};

struct history;

void hist_day_begin(const struct history *h, const struct hist_day *d, struct hist_iter *it);
/*
 * The next entry of day D into *HOST and B[tx, rx]: 1; 0 at the end; -ESTALE for a day on the
 * file only that the file no longer gives (written over, shorter, unreadable, another count
 * of entries). A line of the file names its host as the history named it when the file was
 * written (history_rename keeps the old name until the next write).
 */
int hist_day_read(const struct history *h, const struct hist_day *d, struct hist_iter *it,
		  uint32_t *host, uint64_t b[2]);

/* The entry at *POS (0: the first) of day D in memory into *HOST and B[tx, rx], *POS moved
 * past it; false at the end (a day on the file only has none). */
bool hist_day_next(const struct hist_day *d, size_t *pos, uint32_t *host, uint64_t b[2]);

struct history {
	/* The names of its hosts, and of the hosts of the totals' closed periods (totals.h): each
	 * kept once */
	struct npool names;
	struct hist_host *hosts;
	uint32_t n, cap;
	/* The rings of the hosts that moved bytes in the last hour, in one array (a ring in a
	 * block of its own took 16 B more): TOP handed out, FREE the first given back (position
	 * + 1, the next one's kept in its first bytes), USED held now. It shrinks when half of
	 * it is free. */
	hist_ring *rings;
	uint32_t rings_cap, rings_top, rings_free, rings_used;
	uint32_t *idx; /* open addressing on the name: position + 1, 0 = empty */
	uint32_t idx_cap;
	struct hist_day *days; /* oldest first */
	uint32_t ndays, days_cap;
	size_t entries;
	long long slot;	   /* absolute number (time / HIST_SLOT_SECONDS) of the newest slot */
	int64_t slot_ms;   /* how much of the newest slot the polls in it covered */
	long long now;	   /* the last poll */
	long long day_end; /* end of the newest day */
	unsigned long long dropped; /* host-days not kept (bounds) */
	bool compact;		    /* days went: drop the hosts left with nothing */
	bool hour_off;		    /* no rings kept (history_hour) */
	int file; /* the state file's fd + 1 (the totals' file: not the history's to close) */
	/* Renames since the state file was written: a day on the file only names a host by the
	 * name it had then. The first alias of a name holds. */
	struct hist_alias {
		uint32_t name; /* an id in names, one reference */
		uint32_t host; /* index in hosts */
	} *aliases;
	uint32_t naliases;
	size_t days_lost; /* days the state file no longer gave (history_drop_on_file) */
	char prev[NAME_SIZE]; /* reading a state file: the name of the day's last line */
	unsigned long reindexed; /* moves whenever a compaction moves hosts down */
};

struct totals;

void history_free(struct history *h);
/*
 * Folds the last poll's deltas (t->v[].delta) in at NOW: into the ring when the poll has
 * rates (t->has_rates, over t->dt_ms), and into NOW's day. Days before the oldest kept
 * period (t->past, t->period_start) are dropped. 0 or -ENOMEM.
 */
int history_poll(struct history *h, const struct totals *t, time_t now);
/*
 * The state file's `day` lines, oldest first (days on the file only are copied from it, each
 * line checked, under the hosts' names now); with OFFS, each day's offset and length in F at
 * OFFS[2 * d], OFFS[2 * d + 1]. 0, -ESTALE (a day on the file only that it no longer gives),
 * -EIO.
 */
int history_write(FILE *f, const struct history *h, long long *offs);
/*
 * One of them read back (0 or -EINVAL, -ENOMEM). Days must come in order; a name twice in
 * one day is an error. AT >= 0: the line is at AT in the file it is read from, the next one
 * at END, and that file stays readable (history.file, set by the caller): every day but the
 * newest stays on the file only, its lines one run.
 */
int history_read_line(struct history *h, const char *line, long long at, long long end);
/* After the state file FD was written with history_write(OFFS): every day but the newest is
 * on it only; the aliases go. */
void history_on_file(struct history *h, int fd, const long long *offs);
/* When history_write gave -ESTALE: from the newest day on the file only that the file no
 * longer gives, it and every older day are dropped (counted in days_lost). How many. */
size_t history_drop_on_file(struct history *h);

/*
 * The API's bodies (JSON; the schemas are in iptmon(8)) a piece at a time, never whole in
 * memory (at thousands of hosts they are megabytes: the daemon's HTTP streams them): the next
 * piece of /api/history (DAYS false; ARG NULL: every host's recent rates, else that host's,
 * with its days) or /api/days (ARG the period: "current", "previous" or N, 0 the current
 * period and N the Nth before it, NULL for the current one) from cursor C (zeroed at the
 * start) to F, C moved on: 1 while more follows, 0 after the last piece; -ENOENT for a host
 * neither the totals nor the history know, -EINVAL for any other period (then nothing is
 * written); -ENOMEM, -ESTALE. A poll between two pieces is seen by the pieces after it
 * (each host's ring, each day, from one poll). history_streams(): whether ARG is answered in
 * such pieces (a valid period; every host), not a 400 nor one host's body.
 */
#define HIST_PIECE_HOSTS 16
struct hist_cursor {
	int section;
	bool any;		/* something was written in the list */
	uint32_t pos;		/* /api/history: the next host's index ... */
	unsigned long gen;	/* ... while h->reindexed is this */
	char after[NAME_SIZE];	/* the last host written */
	long long start, end, day; /* /api/days: the period's bounds, the last day written */
};
int history_piece(FILE *f, const struct totals *t, bool days, const char *arg,
		  struct hist_cursor *c);
bool history_streams(const struct totals *t, bool days, const char *arg);
/*
 * The body of /api/history (DAYS false, ARG the host) or /api/days (ARG the period) from
 * t->hist, into a malloc'd *body; -EINVAL with a one-line *body for a bad ARG, -ENOMEM.
 */
int history_render(const struct totals *t, bool days, const char *arg, char **body, size_t *len);
/* Whether the hosts' last hour is kept (history_hour = on, and an HTTP server to read it):
 * turned off, every ring is given back at once and /api/history says "hour": false; the
 * days go on either way. */
void history_hour(struct history *h, bool on);
/* Bytes of memory the history holds now. */
size_t history_memory(const struct history *h);
/* A rename (journal.c's fact): FROM's ring and days go on under TO, unless TO has a history
 * of its own (then each keeps its own). 1 when moved, 0 when not, -ENOMEM. */
int history_rename(struct history *h, const char *from, const char *to);

#endif
