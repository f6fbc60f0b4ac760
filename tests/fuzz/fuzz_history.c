// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The history in the state file (history_read_line, history_write) and its API: whatever
 * totals_read() accepts, written as the state file (with its `day` lines) and read again,
 * writes the very same bytes; the days it holds are in order, within the bounds, and each
 * entry names a host of the history; /api/days and /api/history answer valid JSON or a
 * one-line 400 for any period or host argument. Read back keeping only the previous period
 * in memory (the daemon's way: the older ones and the days before the newest stay on the
 * file), it writes the same bytes again and answers /api/days and /api/history the same.
 */
#include "fuzz.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "history.h"
#include "totals.h"

static char *write_state(const struct totals *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	FZ_CHECK(totals_write(f, t, false) == 0, "totals_write failed");
	if (fclose(f))
		abort();
	return buf;
}

static int read_state(const char *buf, size_t len, struct totals *t, unsigned int *bad)
{
	FILE *f = len ? fmemopen((void *)buf, len, "r") : fopen("/dev/null", "re");
	int ret;

	if (!f)
		abort();
	ret = totals_read(f, t, bad);
	fclose(f);
	return ret;
}

/* The days in order and within the bounds, each entry a host of the history; ended days
 * packed, or (ON_FILE) on the file only. */
static void check_bounds(const struct history *h, bool on_file)
{
	size_t entries = 0;

	FZ_CHECK(h->n <= HIST_MAX_HOSTS && h->ndays <= HIST_MAX_DAYS, "bounds: %u hosts, %u days",
		 h->n, h->ndays);
	for (uint32_t d = 0; d < h->ndays; d++) {
		FZ_CHECK(!d || h->days[d - 1].start < h->days[d].start, "days out of order");
		struct hist_iter it;
		uint64_t b[2];
		uint32_t host, n = 0;
		int ret;

		FZ_CHECK(d == h->ndays - 1 || !h->days[d].n ||
				 (on_file ? hist_day_on_file_only(&h->days[d]) : !h->days[d].v),
			 "an ended day not %s", on_file ? "on the file only" : "packed");
		FZ_CHECK(on_file || !hist_day_on_file_only(&h->days[d]), "a day on no file");
		hist_day_begin(h, &h->days[d], &it);
		while ((ret = hist_day_read(h, &h->days[d], &it, &host, b)) > 0) {
			FZ_CHECK(host < h->n, "entry of no host");
			n++;
		}
		FZ_CHECK(!ret, "day %u: %d", d, ret);
		FZ_CHECK(n == h->days[d].n, "day %u: %u entries read, %u kept", d, n, h->days[d].n);
		entries += h->days[d].n;
	}
	FZ_CHECK(entries == h->entries && entries <= HIST_MAX_ENTRIES, "entries %zu / %zu", entries,
		 h->entries);
}

/* Each total, history host and host of a closed period holds one reference to its name. */
static void check_refs(const struct totals *t)
{
	const struct npool *p = &t->hist.names;
	uint64_t held = 0, want = t->hist.n + t->n + t->hist.naliases;
	uint32_t live = 0;

	for (size_t k = 0; k < t->npast; k++)
		if (!period_on_file_only(&t->past[k]))
			want += t->past[k].n;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i]) {
			FZ_CHECK(p->refs[i] > 0 && npool_find(p, p->v[i]) == i, "name %u", i);
			held += p->refs[i];
			live++;
		}
	FZ_CHECK(live == p->live && held == want, "names: %u live (%u), %llu references (%llu)",
		 live, p->live, (unsigned long long)held, (unsigned long long)want);
}

/* W (LEN bytes) read as the daemon reads its state file: from a file, the closed periods
 * before the previous one left on it. */
static void read_on_file(const char *w, size_t len, struct totals *t)
{
	int fd = memfd_create("state", MFD_CLOEXEC), fd2;
	unsigned int bad;
	FILE *f;

	if (fd < 0 || (len && write(fd, w, len) != (ssize_t)len) || lseek(fd, 0, SEEK_SET) ||
	    (fd2 = dup(fd)) < 0 || !(f = fdopen(fd2, "r")))
		abort();
	FZ_CHECK(totals_read_keep(f, t, &bad, PERIODS_IN_MEMORY, fd) == 0,
		 "what was written does not read kept on file (line %u)", bad);
	fclose(f);
	for (size_t p = PERIODS_IN_MEMORY; p < t->npast; p++)
		FZ_CHECK(!t->past[p].buf, "period %zu in memory", p);
	check_bounds(&t->hist, true);
}

/* An API answer: 0 and a body, or -EINVAL and one line; the body (free it). */
static char *check_render(const struct totals *t, bool days, const char *arg)
{
	char *body = NULL;
	size_t len = 0;
	int ret = history_render(t, days, arg, &body, &len);

	FZ_CHECK(ret == 0 || ret == -EINVAL, "render: %d", ret);
	FZ_CHECK(body && strlen(body) == len && len && body[len - 1] == '\n', "render: body");
	if (ret)
		FZ_CHECK(strchr(body, '\n') == body + len - 1, "400 of more than a line: %s", body);
	else
		FZ_CHECK(body[0] == '{', "render: %s", body);
	return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct totals t1, t2, t3;
	unsigned int bad;
	char *w1, *w2, *w3, *b2, *b3, *r2, *r3, arg[32];
	size_t l3;
	size_t l1, l2, split = 0;

	/* the last line, when it starts with '?', is the API argument */
	for (size_t i = size; i > 0; i--)
		if (data[i - 1] == '\n' && i < size && data[i] == '?') {
			split = i;
			break;
		}
	if (read_state((const char *)data, split ? split : size, &t1, &bad))
		return 0;
	check_bounds(&t1.hist, false);
	check_refs(&t1);
	w1 = write_state(&t1, &l1);
	FZ_CHECK(read_state(w1, l1, &t2, &bad) == 0, "what was written does not read (line %u):\n%s",
		 bad, w1);
	w2 = write_state(&t2, &l2);
	FZ_CHECK(l1 == l2 && !memcmp(w1, w2, l1), "read, written, read again differs:\n%s\n---\n%s",
		 w1, w2);
	snprintf(arg, sizeof(arg), "%.*s", split ? (int)(size - split - 1) : 0,
		 split ? (const char *)data + split + 1 : "");
	b2 = check_render(&t2, true, split ? arg : NULL);
	r2 = check_render(&t2, false, split ? arg : NULL);
	check_refs(&t2);
	read_on_file(w1, l1, &t3);
	check_refs(&t3);
	w3 = write_state(&t3, &l3);
	FZ_CHECK(l1 == l3 && !memcmp(w1, w3, l1), "kept on file, written again differs:\n%s\n---\n%s",
		 w1, w3);
	b3 = check_render(&t3, true, split ? arg : NULL);
	FZ_CHECK(!strcmp(b2, b3), "/api/days from the file differs:\n%s\n---\n%s", b2, b3);
	r3 = check_render(&t3, false, split ? arg : NULL);
	FZ_CHECK(!strcmp(r2, r3), "/api/history from the file differs:\n%s\n---\n%s", r2, r3);
	free(b2);
	free(b3);
	free(r2);
	free(r3);
	free(w1);
	free(w2);
	free(w3);
	totals_free(&t1);
	totals_free(&t2);
	totals_free(&t3);
	return 0;
}
