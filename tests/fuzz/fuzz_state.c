// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file (totals_read, totals_write): whatever totals_read() accepts holds only valid
 * names and MACs, and what it gives, written and read again, reads back without error and
 * writes the very same bytes (nothing lost, nothing changed, on the second trip either).
 */
#include "fuzz.h"

#include "totals.h"

static char *write_state(const struct totals *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	FZ_CHECK(totals_write(f, t, true) == 0, "totals_write failed");
	if (fclose(f))
		abort();
	return buf;
}

static int read_state(const char *buf, size_t len, struct totals *t, unsigned int *bad)
{
	FILE *f = fmemopen((void *)buf, len, "r");
	int ret;

	if (!f) { /* fmemopen refuses an empty buffer */
		f = fopen("/dev/null", "re");
		if (!f)
			abort();
	}
	ret = totals_read(f, t, bad);
	fclose(f);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct totals t1, t2;
	unsigned int bad;
	char *w1, *w2;
	size_t l1, l2;

	if (read_state((const char *)data, size, &t1, &bad))
		return 0;
	for (size_t i = 0; i < t1.n; i++) {
		FZ_CHECK(name_is_valid(t1.v[i].name), "host '%s'", t1.v[i].name);
		FZ_CHECK(!t1.v[i].mac[0] || fz_mac_ok(t1.v[i].mac), "mac '%s'", t1.v[i].mac);
	}
	for (size_t p = 0; p < t1.npast; p++) {
		FZ_CHECK(t1.past[p].start <= t1.past[p].end, "past period ends before it starts");
		const char *name;
		struct counts c;
		size_t pos = 0, n = 0;

		while (period_next(&t1.past[p], &t1.hist.names, &pos, &name, &c)) {
			FZ_CHECK(name_is_valid(name), "past host '%s'", name);
			n++;
		}
		FZ_CHECK(n == t1.past[p].n && pos == t1.past[p].len, "past period: %zu hosts of %zu",
			 n, t1.past[p].n);
	}
	w1 = write_state(&t1, &l1);
	FZ_CHECK(read_state(w1, l1, &t2, &bad) == 0, "what was written does not read (line %u):\n%s",
		 bad, w1);
	w2 = write_state(&t2, &l2);
	FZ_CHECK(l1 == l2 && !memcmp(w1, w2, l1), "read, written, read again differs:\n%s\n---\n%s",
		 w1, w2);
	free(w1);
	free(w2);
	totals_free(&t1);
	totals_free(&t2);
	return 0;
}
