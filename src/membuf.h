/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_MEMBUF_H
#define IPTMON_MEMBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * A memory stream for one push, made with room for HINT bytes (the last push's size) and
 * grown by half with realloc(): open_memstream() doubles through malloc, copy and free,
 * which at thousands of hosts copied a push's megabyte twice a poll and held two copies at
 * its peak. *BUF is NUL-terminated (past *LEN) as open_memstream()'s.
 *
 * With GZIP what is written is stored as one gzip member, compressed as it comes (zlib,
 * loaded on first use: membuf_gzip_ok()), so the text itself is never held whole: line
 * protocol shrinks 7-10 times, with 38 KiB of zlib state while the stream is open.
 *
 * *FAILED is sticky: fclose() of a cookie stream tells only of its last flush, so a write
 * that failed midway (out of memory) is known by it. NULL on failure (nothing to free).
 */
FILE *membuf_open(char **buf, size_t *len, size_t hint, bool *failed, bool gzip);
/* Whether zlib can be loaded (once); false with ERR set when not. */
bool membuf_gzip_ok(char *err, size_t errlen);

#endif
