// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's push buffers (membuf.h), gzip-compressed or not. */
#include "membuf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dl.h"

/*
 * Level 1 with a 4 KiB window and memLevel 5: zlib's state is 16 + 16 KiB (its default,
 * 15 and 8, takes 256 KiB) and level 1 is the fastest. A batch's redundancy is within a
 * line and between neighbouring lines (the measurement, tag keys, the timestamp), so the
 * small window costs little: 4000 hosts' lines with random counters and MACs gave 267 KB
 * here against 289 KB with the default window (and 245 KB at level 6, three times slower).
 */
#define GZ_LEVEL 1
#define GZ_WINDOW_BITS (12 + 16) /* + 16: a gzip header and trailer, not zlib's */
#define GZ_MEM_LEVEL 5

static const struct z_api *Z;

bool membuf_gzip_ok(char *err, size_t errlen)
{
	if (!Z)
		Z = z_api(err, errlen);
	return Z != NULL;
}

struct grow {
	char **buf;
	size_t *len, cap;
	bool *failed;
	z_stream *z; /* gzip: what is written goes through it */
};

/* Room for NEED more bytes and the NUL; 0 or -1 (failed set). */
static int room(struct grow *g, size_t need)
{
	size_t cap;
	char *b;

	if (*g->len + need + 1 <= g->cap)
		return 0;
	cap = g->cap + g->cap / 2;
	if (cap < *g->len + need + 1)
		cap = *g->len + need + 1;
	if (!(b = realloc(*g->buf, cap))) {
		*g->failed = true;
		return -1;
	}
	*g->buf = b;
	g->cap = cap;
	return 0;
}

/* N bytes at P through deflate (FLUSH: Z_NO_FLUSH, or Z_FINISH to end the member); 0 or -1. */
static int squeeze(struct grow *g, const char *p, size_t n, int flush)
{
	z_stream *z = g->z;
	int rc;

	do {
		uInt in = n > UINT_MAX ? UINT_MAX : (uInt)n;

		z->next_in = (Bytef *)(uintptr_t)p;
		z->avail_in = in;
		p += in;
		n -= in;
		for (;;) {
			size_t out;

			if (g->cap - 1 - *g->len < 64 && room(g, 4096))
				return -1;
			out = g->cap - 1 - *g->len;
			z->next_out = (Bytef *)*g->buf + *g->len;
			z->avail_out = out > UINT_MAX ? UINT_MAX : (uInt)out;
			rc = Z->deflate(z, n ? Z_NO_FLUSH : flush);
			*g->len = (size_t)((char *)z->next_out - *g->buf);
			if (rc == Z_STREAM_END)
				break;
			if (rc != Z_OK && rc != Z_BUF_ERROR) {
				*g->failed = true;
				return -1;
			}
			/* all taken and nothing pending (Z_FINISH: until the member's end) */
			if ((n || flush != Z_FINISH) && !z->avail_in && z->avail_out)
				break;
		}
	} while (n);
	(*g->buf)[*g->len] = '\0';
	return 0;
}

/* (0 on error, never negative: fopencookie's contract) */
static ssize_t grow_write(void *cookie, const char *p, size_t n)
{
	struct grow *g = cookie;

	if (*g->failed)
		return 0;
	if (g->z)
		return squeeze(g, p, n, Z_NO_FLUSH) ? 0 : (ssize_t)n;
	if (room(g, n))
		return 0;
	memcpy(*g->buf + *g->len, p, n);
	*g->len += n;
	(*g->buf)[*g->len] = '\0';
	return (ssize_t)n;
}

static int grow_close(void *cookie)
{
	struct grow *g = cookie;

	if (g->z) {
		if (!*g->failed)
			squeeze(g, NULL, 0, Z_FINISH);
		Z->deflate_end(g->z);
		free(g->z);
	}
	free(g);
	return 0;
}

FILE *membuf_open(char **buf, size_t *len, size_t hint, bool *failed, bool gzip)
{
	static const cookie_io_functions_t io = { .write = grow_write, .close = grow_close };
	struct grow *g = calloc(1, sizeof(*g));
	FILE *f = NULL;

	*len = 0;
	*failed = false;
	*buf = malloc(hint + 1);
	if (!*buf && hint > 4096) { /* the hint is the last push's: this one may be smaller */
		hint = 4096;
		*buf = malloc(hint + 1);
	}
	if (!g || !*buf || (gzip && (!Z || !(g->z = calloc(1, sizeof(*g->z))))))
		goto fail;
	**buf = '\0';
	g->buf = buf;
	g->len = len;
	g->cap = hint + 1;
	g->failed = failed;
	if (g->z && Z->deflate_init2(g->z, GZ_LEVEL, Z_DEFLATED, GZ_WINDOW_BITS, GZ_MEM_LEVEL,
				     Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof(z_stream)) != Z_OK) {
		free(g->z);
		g->z = NULL;
		goto fail;
	}
	if ((f = fopencookie(g, "w", io)))
		return f;
	if (g->z)
		Z->deflate_end(g->z);
fail:
	if (g)
		free(g->z);
	free(g);
	free(*buf);
	*buf = NULL;
	return NULL;
}
