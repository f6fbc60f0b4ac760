// SPDX-License-Identifier: GPL-2.0-or-later
/* Sanitising untrusted names and escaping them for output formats. */
#include "name.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

static bool name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == ':';
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Ends in what name_sanitize() appends: "_" + 8 lower-case hex digits. */
static bool has_hash_suffix(const char *s, size_t len)
{
	if (len < NAME_HASH_LEN || s[len - NAME_HASH_LEN] != '_')
		return false;
	for (size_t i = len - NAME_HASH_LEN + 1; i < len; i++)
		if (!is_hex_lower(s[i]))
			return false;
	return true;
}

uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

bool name_is_clean(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN || has_hash_suffix(s, len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return false;
	return true;
}

bool name_is_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return false;
	return true;
}

int name_sanitize(const char *raw, char out[NAME_SIZE])
{
	size_t o = 0;
	bool prev_bad = false;

	out[0] = '\0';
	if (!raw || !*raw || strcmp(raw, "*") == 0)
		return -ENOENT;
	if (name_is_clean(raw)) {
		memcpy(out, raw, strlen(raw) + 1);
		return 0;
	}
	for (const char *p = raw; *p && o < NAME_MAX_LEN - NAME_HASH_LEN; p++) {
		unsigned char c = (unsigned char)*p;

		if (name_char_ok(c)) {
			out[o++] = (char)c;
			prev_bad = false;
		} else if (!prev_bad) {
			out[o++] = '_';
			prev_bad = true;
		}
	}
	snprintf(out + o, NAME_SIZE - o, "_%08x", (unsigned int)name_hash(raw));
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_write_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", f);
			p++;
		} else if (*p == '\r') {
			fputs("\\r", f);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = utf8_seq_len(p)) > 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}
