/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_NAME_H
#define IPTMON_NAME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Host names end up in iptables comments ("tx_NAME"), collectd type instances (127 bytes),
 * nft object names, metric labels and file names. NAME_MAX_LEN keeps "tx_" + NAME well inside
 * every one of those limits.
 */
#define NAME_MAX_LEN 63
#define NAME_SIZE (NAME_MAX_LEN + 1)
#define NAME_HASH_LEN 9 /* "_" + 8 hex digits */

/*
 * Reduces an untrusted name to [A-Za-z0-9._:-]. A name that had to be changed (bad bytes,
 * too long, or one that looks like a hashed name) gets "_" + 8 hex digits of a hash of the
 * original bytes appended, so two different raw names never end as the same name.
 * Returns 0, or -ENOENT when there is no name at all (NULL, empty, "*").
 */
int name_sanitize(const char *raw, char out[NAME_SIZE]);
/* FNV-1a (32 bits) of s: the hash in NAME_xxxxxxxx. */
uint32_t name_hash(const char *s);

/* True when s is already a name name_sanitize() would return unchanged. */
bool name_is_clean(const char *s);

/* True when s is a name name_sanitize() can return (safe alphabet, length); hashed ones too. */
bool name_is_valid(const char *s);

/* Writes s as a JSON string, quotes included. Invalid UTF-8 becomes U+FFFD. */
void json_write_string(FILE *f, const char *s);

#endif
