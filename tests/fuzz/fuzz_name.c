// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Names from DHCP clients (src/name.c): name_sanitize() keeps the promised alphabet and length,
 * leaves clean names alone, marks every changed name with the hash of the raw bytes, and is a
 * fixed point; json_write_string() writes a JSON string with no raw control character, no
 * unescaped quote or backslash, only valid UTF-8, that decodes back to the input when the
 * input was valid UTF-8. The exporters' escapers (src/export.c) hold their formats too:
 * a Prometheus label value decodes back and has no raw newline; an InfluxDB tag value has no
 * line break or tab and no unescaped ',', ' ' or '='; a collectd identifier part has no
 * control byte, no '/' and no unescaped quote.
 */
#include "fuzz.h"

#include <errno.h>

#include "export.h"
#include "name.h"

static bool alphabet_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-' || *s == ':'))
			return false;
	return true;
}

static void check_sanitize(const char *raw)
{
	char out[NAME_SIZE], again[NAME_SIZE], suffix[NAME_HASH_LEN + 1];
	size_t len;
	int ret = name_sanitize(raw, out);

	if (!*raw || !strcmp(raw, "*")) {
		FZ_CHECK(ret == -ENOENT && !out[0], "'%s' gave %d '%s'", raw, ret, out);
		return;
	}
	FZ_CHECK(ret == 0, "'%s' gave %d", raw, ret);
	len = strlen(out);
	FZ_CHECK(len >= 1 && len <= NAME_MAX_LEN, "length %zu", len);
	FZ_CHECK(alphabet_ok(out), "'%s' outside [A-Za-z0-9._:-]", out);
	FZ_CHECK(name_is_valid(out), "'%s' not valid", out);
	if (name_is_clean(raw)) {
		FZ_CHECK(!strcmp(out, raw), "clean '%s' changed to '%s'", raw, out);
	} else {
		snprintf(suffix, sizeof(suffix), "_%08x", (unsigned int)name_hash(raw));
		FZ_CHECK(len >= NAME_HASH_LEN && !strcmp(out + len - NAME_HASH_LEN, suffix),
			 "changed name '%s' lacks the hash %s", out, suffix);
		FZ_CHECK(!name_is_clean(out), "hashed '%s' counts as clean", out);
	}
	/* sanitising a sanitised name changes nothing only for clean ones; it stays valid */
	FZ_CHECK(name_sanitize(out, again) == 0 && name_is_valid(again), "'%s' again", out);
	if (name_is_clean(out))
		FZ_CHECK(!strcmp(again, out), "'%s' not a fixed point", out);
}

/* Decodes one UTF-8 sequence at s (already checked by the caller's decoder); 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, *cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, *cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, *cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && *cp < 0x800) || (k == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return k;
}

static void check_json(const char *raw)
{
	char *buf = NULL, *dec;
	size_t blen = 0, d = 0, n = strlen(raw), i;
	bool raw_utf8 = true;
	FILE *f = open_memstream(&buf, &blen);
	uint32_t cp;

	if (!f)
		abort();
	json_write_string(f, raw);
	if (fclose(f))
		abort();
	for (i = 0; i < n;) { /* is the input valid UTF-8? */
		size_t k = utf8_len((const unsigned char *)raw + i, n - i, &cp);

		if (!k) {
			raw_utf8 = false;
			break;
		}
		i += k;
	}
	FZ_CHECK(blen >= 2 && buf[0] == '"' && buf[blen - 1] == '"', "not quoted: %s", buf);
	dec = malloc(blen * 4 + 1);
	if (!dec)
		abort();
	for (i = 1; i < blen - 1;) {
		unsigned char c = (unsigned char)buf[i];
		size_t k;

		FZ_CHECK(c >= 0x20 && c != 0x7f, "raw control byte 0x%02x in %s", c, buf);
		FZ_CHECK(c != '"', "unescaped quote in %s", buf);
		if (c == '\\') {
			char e = buf[i + 1];

			FZ_CHECK(i + 1 < blen - 1, "dangling backslash in %s", buf);
			if (e == 'u') {
				unsigned int u;

				FZ_CHECK(i + 5 < blen - 1 && sscanf(buf + i + 2, "%4x", &u) == 1,
					 "bad \\u in %s", buf);
				if (u == 0xfffd) {
					memcpy(dec + d, "\xef\xbf\xbd", 3);
					d += 3;
				} else {
					FZ_CHECK(u < 0x20 || u == 0x7f, "needless \\u%04x", u);
					dec[d++] = (char)u;
				}
				i += 6;
				continue;
			}
			FZ_CHECK(e == '"' || e == '\\' || e == 'n' || e == 't' || e == 'r',
				 "unknown escape \\%c", e);
			dec[d++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
			i += 2;
			continue;
		}
		k = utf8_len((const unsigned char *)buf + i, blen - 1 - i, &cp);
		FZ_CHECK(k, "invalid UTF-8 at %zu in %s", i, buf);
		memcpy(dec + d, buf + i, k);
		d += k;
		i += k;
	}
	if (raw_utf8)
		FZ_CHECK(d == n && !memcmp(dec, raw, n), "does not decode back: %s", buf);
	free(dec);
	free(buf);
}

typedef void escape_fn(FILE *f, const char *s);

static char *escaped(escape_fn *fn, const char *raw, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	fn(f, raw);
	if (fclose(f))
		abort();
	return buf;
}

static void check_exporters(const char *raw)
{
	size_t len, d = 0, n = strlen(raw);
	char *out = escaped(prom_label_value, raw, &len), *dec = malloc(len + 1);

	if (!dec)
		abort();
	FZ_CHECK(len >= 2 && out[0] == '"' && out[len - 1] == '"' && !memchr(out, '\n', len),
		 "prometheus: %s", out);
	for (size_t i = 1; i < len - 1; i++) {
		FZ_CHECK(out[i] != '"', "prometheus: unescaped quote: %s", out);
		if (out[i] == '\\') {
			i++;
			FZ_CHECK(i < len - 1 && (out[i] == '\\' || out[i] == '"' || out[i] == 'n'),
				 "prometheus: bad escape: %s", out);
			dec[d++] = out[i] == 'n' ? '\n' : out[i];
		} else {
			dec[d++] = out[i];
		}
	}
	FZ_CHECK(d == n && !memcmp(dec, raw, n), "prometheus: does not decode back: %s", out);
	free(dec);
	free(out);

	out = escaped(influx_tag_value, raw, &len);
	for (size_t i = 0; i < len; i++) {
		FZ_CHECK(out[i] != '\n' && out[i] != '\r' && out[i] != '\t', "influx: line break");
		if (out[i] == '\\') {
			i++;
			FZ_CHECK(i < len && strchr(", =\\", out[i]), "influx: lone backslash: %s", out);
		} else {
			FZ_CHECK(!strchr(", =", out[i]), "influx: unescaped '%c': %s", out[i], out);
		}
	}
	free(out);

	out = escaped(collectd_ident, raw, &len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		FZ_CHECK(c >= 0x20 && c != 0x7f && c != '/', "collectd: byte 0x%02x: %s", c, out);
		if (c == '\\') {
			i++;
			FZ_CHECK(i < len && (out[i] == '"' || out[i] == '\\'), "collectd: %s", out);
		} else {
			FZ_CHECK(c != '"', "collectd: unescaped quote: %s", out);
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fz_str(data, size);

	check_sanitize(raw);
	check_json(raw);
	check_exporters(raw);
	free(raw);
	return 0;
}
