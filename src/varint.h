/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_VARINT_H
#define IPTMON_VARINT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Unsigned LEB128, for what is kept packed in memory (closed periods, closed days): seven
 * bits a byte, low bits first, the top bit set on every byte but the last; at most
 * VARINT_MAX bytes for 64 bits.
 */
#define VARINT_MAX 10

static inline size_t varint_len(uint64_t v)
{
	size_t n = 1;

	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

/* Writes V at P; returns the byte after it. */
static inline unsigned char *varint_put(unsigned char *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		*p++ = (unsigned char)(v | 0x80);
	*p++ = (unsigned char)v;
	return p;
}

/* Reads one at P, which varint_put() wrote (not bounded: never for untrusted bytes); returns
 * the byte after it. */
static inline const unsigned char *varint_get(const unsigned char *p, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned int sh = 0;; sh += 7) {
		if (sh < 64)
			x |= (uint64_t)(*p & 0x7f) << sh;
		if (!(*p++ & 0x80))
			break;
	}
	*v = x;
	return p;
}

#endif
