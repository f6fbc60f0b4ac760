/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by the cmocka unit tests: scratch directories, temp files, capturing
 * a FILE * into a string, and an independent FNV-1a for checking hashed names.
 * Everything is static inline: each test is one translation unit.
 */
#ifndef IPTMON_TESTUTIL_H
#define IPTMON_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Independent FNV-1a 32 of the raw bytes, to check name suffixes against. */
static inline uint32_t tu_fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/*
 * Call first in main(): unbuffered stdout keeps cmocka's stdout and stderr lines in order
 * when run.sh reads both from one pipe.
 */
static inline void tu_init(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
}

/* Creates a scratch directory; returns its malloc'ed path (fails the test on error). */
static inline char *tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	assert_true(asprintf(&path, "%s/iptmon-unit.XXXXXX", tmp) > 0);
	assert_non_null(mkdtemp(path));
	return path;
}

static inline int tu_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a scratch directory and everything in it, then frees the path. */
static inline void tu_rmtree(char *dir)
{
	if (!dir)
		return;
	nftw(dir, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* DIR/NAME in a malloc'ed string. */
static inline char *tu_path(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Writes CONTENT to PATH (created or truncated); fails the test on error. */
static inline void tu_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Writes CONTENT to DIR/NAME and returns the malloc'ed path. */
static inline char *tu_write_in(const char *dir, const char *name, const char *content)
{
	char *p = tu_path(dir, name);

	tu_write_file(p, content);
	return p;
}

/* Capturing what a function writes to a FILE *. */
struct tu_capture {
	FILE *f;
	char *buf;
	size_t len;
};

static inline FILE *tu_capture_open(struct tu_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

/* Closes the stream; the text stays in c->buf (free it with tu_capture_free). */
static inline const char *tu_capture_close(struct tu_capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	assert_non_null(c->buf);
	return c->buf;
}

static inline void tu_capture_free(struct tu_capture *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

/* Counts non-overlapping occurrences of NEEDLE in HAY. */
static inline unsigned int tu_count(const char *hay, const char *needle)
{
	unsigned int n = 0;
	size_t nl = strlen(needle);

	for (const char *p = hay; nl && (p = strstr(p, needle)); p += nl)
		n++;
	return n;
}

/* A cmocka fixture holding a scratch directory (setup/teardown for tests that write files). */
struct fixture {
	char *dir;
};

static inline int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->dir = tu_mkdtemp();
	*state = fx;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *fx = *state;

	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

#endif
