/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden bytes for the unit tests that pin what reaches the kernel (test_golden_*.c).
 *
 * A golden array holds the bytes as a little-endian machine with 8-byte aligned 64-bit
 * integers (x86_64, arm64, armhf) builds them. Each test first turns its output into that
 * form by byte-swapping the fields the kernel reads in host order (netlink and attribute
 * headers, struct fields), which is a no-op on little-endian machines; everything else,
 * network-order values included, is compared as it is. So on s390x (big-endian) a value
 * written in the wrong byte order, and on armhf (32-bit) a size or offset that depends on
 * the word size, fails the comparison: `make cross-check ARCH=s390x|armhf` runs these tests.
 *
 * When a layout changes on purpose: GOLDEN_DUMP=1 build/tests/test_golden_nft prints every
 * array as C, on a little-endian machine; paste them in and say why in the commit.
 */
#ifndef IPTMON_GOLDEN_H
#define IPTMON_GOLDEN_H

#include "testutil.h"

/* Turns the host-order integer of size n (2, 4 or 8) at p into little-endian, in place. */
static inline void golden_to_le(void *p, size_t n)
{
	if (n != 2 && n != 4 && n != 8)
		fail_msg("golden_to_le: size %zu", n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t i = 0; i < n / 2; i++) {
		unsigned char *b = p, t = b[i];

		b[i] = b[n - 1 - i];
		b[n - 1 - i] = t;
	}
#endif
}

static inline void golden_dump(const char *name, const unsigned char *b, size_t n)
{
	printf("static const unsigned char %s[%zu] = {", name, n);
	for (size_t i = 0; i < n; i++)
		printf("%s0x%02x,", i % 12 ? " " : "\n\t", b[i]);
	printf("\n};\n");
}

/*
 * Compares canonical bytes with a golden array; on a difference, names the first differing
 * offset and shows the bytes around it.
 */
static inline void golden_check(const char *name, const unsigned char *got, size_t n,
				const unsigned char *want, size_t wn)
{
	size_t i;

	if (getenv("GOLDEN_DUMP")) {
		golden_dump(name, got, n);
		return;
	}
	for (i = 0; i < n && i < wn; i++)
		if (got[i] != want[i])
			break;
	if (i == n && n == wn)
		return;
	fprintf(stderr, "%s: %zu bytes, golden %zu; first difference at offset %zu\n", name, n,
		wn, i);
	for (size_t j = i >= 16 ? i - 16 : 0; j < i + 16 && (j < n || j < wn); j++)
		fprintf(stderr, "  %4zu: got %s%02x golden %s%02x%s\n", j, j < n ? "" : "--",
			j < n ? got[j] : 0, j < wn ? "" : "--", j < wn ? want[j] : 0,
			j == i ? "   <--" : "");
	fail_msg("%s differs from its golden bytes", name);
}

#endif
