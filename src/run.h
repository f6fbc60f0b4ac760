/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_RUN_H
#define IPTMON_RUN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *p;
	size_t len, cap;
};

/* CLOCK_MONOTONIC in milliseconds. */
int64_t mono_ms(void);
/* "iptmon: PREFIX" and the message, a line on stderr (the daemon's log). */
void log_line(const char *prefix, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog_line(const char *prefix, const char *fmt, va_list ap);

void buf_free(struct buf *b);
int buf_append(struct buf *b, const char *s, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How long a child may run before it is killed: 30 s, unless run_set_timeout() says (0: 30 s). */
#define RUN_TIMEOUT_MS 30000
void run_set_timeout(unsigned int ms);

/*
 * Runs argv[0] (searched in PATH) with no shell, in a process group of its own, with no
 * signal blocked and every signal at its default action: feeds `in` to its stdin, collects its
 * stdout in `out` (may be NULL) and the first line of its stderr in err. Returns 0 when it
 * exited 0, -ENOENT when it cannot be run, -EIO when it failed, -ETIMEDOUT when it ran longer
 * than the bound (it and its process group are then killed); err always says why.
 */
int run_program(char *const argv[], const struct buf *in, struct buf *out, char *err,
		size_t errlen);

#endif
