// SPDX-License-Identifier: GPL-2.0-or-later
/* The facts a command leaves for the daemon (see journal.h). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static void journal_path(char *buf, size_t len, const struct config *c)
{
	snprintf(buf, len, "%s/%s", c->run_dir, JOURNAL_FILE);
}

static int append(int fd, const struct buf *b)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size >= JOURNAL_MAX)
		return 0; /* full: its last line says facts were lost */
	if ((size_t)st.st_size + b->len >= JOURNAL_MAX)
		return write(fd, "lost\n", 5) == 5 ? 0 : -EIO;
	return write(fd, b->p, b->len) == (ssize_t)b->len ? 0 : -EIO;
}

void journal_commit(const struct config *c, const struct plan *p)
{
	char path[PATH_MAX + 32];
	struct buf b = { 0 };
	int fd;

	for (size_t i = 0; i < p->ncreated; i++) {
		const struct plan_host *h = &p->created[i];

		if (h->from)
			buf_printf(&b, "rename %s %s\n", h->from, h->h->name);
		else
			buf_printf(&b, "new %s\n", h->h->name);
	}
	if (!b.len)
		goto out;
	journal_path(path, sizeof(path), c);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd >= 0) {
		append(fd, &b);
		close(fd);
	}
out:
	buf_free(&b);
}

/* "WORD" at s: the rest of the line after it and one blank, or NULL. */
static const char *word(const char *s, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - s) > n && !memcmp(s, w, n) && s[n] == ' ' ? s + n + 1 : NULL;
}

/* A name up to a blank or the end; false when it is not one iptmon makes. */
static bool take_name(const char **s, const char *end, char out[NAME_SIZE])
{
	const char *e = memchr(*s, ' ', (size_t)(end - *s));
	size_t n = (size_t)((e ? e : end) - *s);

	if (n == 0 || n >= NAME_SIZE)
		return false;
	memcpy(out, *s, n);
	out[n] = '\0';
	*s = e ? e + 1 : end;
	return name_is_valid(out);
}

void journal_parse(const char *text, size_t len,
		   void (*fn)(void *ctx, const struct journal_fact *f), void *ctx)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *r;
		struct journal_fact f = { 0 };

		if ((size_t)(e - p) == 4 && !memcmp(p, "lost", 4)) {
			f.kind = JOURNAL_LOST;
			fn(ctx, &f);
		} else if ((r = word(p, e, "new")) && take_name(&r, e, f.name) && r == e) {
			f.kind = JOURNAL_NEW;
			fn(ctx, &f);
		} else if ((r = word(p, e, "rename")) && take_name(&r, e, f.from) &&
			   take_name(&r, e, f.name) && r == e) {
			f.kind = JOURNAL_RENAME;
			fn(ctx, &f);
		}
		p = nl ? nl + 1 : end;
	}
}

int journal_take(const struct config *c, void (*fn)(void *ctx, const struct journal_fact *f),
		 void *ctx)
{
	char path[PATH_MAX + 32];
	struct buf b = { 0 };
	char chunk[4096];
	ssize_t n;
	int fd, ret = 0;

	journal_path(path, sizeof(path), c);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < 2 * JOURNAL_MAX)
		if (buf_append(&b, chunk, (size_t)n)) {
			ret = -ENOMEM;
			break;
		}
	if (n < 0)
		ret = -errno;
	if (!ret && ftruncate(fd, 0) < 0)
		ret = -errno;
	close(fd);
	if (!ret)
		journal_parse(b.p ? b.p : "", b.len, fn, ctx);
	buf_free(&b);
	return ret;
}
