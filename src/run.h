/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_RUN_H
#define IPTMON_RUN_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

void buf_free(struct buf *b);
int buf_append(struct buf *b, const char *s, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Runs argv[0] (searched in PATH) with no shell: feeds `in` to its stdin, collects its stdout
 * in `out` (may be NULL) and the first line of its stderr in err. Returns 0 when it exited 0,
 * -ENOENT when it cannot be run, -EIO when it failed (err says why).
 */
int run_program(char *const argv[], const struct buf *in, struct buf *out, char *err,
		size_t errlen);

#endif
