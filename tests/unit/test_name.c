// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/name.c: name_sanitize(), name_is_clean/valid(), json_write_string(). */
#include "testutil.h"

#include "name.h"

static bool only_safe_chars(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == ':' || *s == '-'))
			return false;
	return true;
}

/* "_" + 8 lower-case hex digits of FNV-1a 32 of RAW at the end of OUT. */
static void assert_hash_suffix(const char *out, const char *raw)
{
	char want[NAME_HASH_LEN + 1];
	size_t len = strlen(out);

	snprintf(want, sizeof(want), "_%08x", (unsigned int)tu_fnv1a(raw));
	assert_true(len >= NAME_HASH_LEN);
	assert_string_equal(out + len - NAME_HASH_LEN, want);
}

static void test_clean_names_unchanged(void **state)
{
	static const char *const clean[] = {
		"pc", "pc-laptop", "PC", "Living.Room_TV", "fd00::11", "192.168.88.101",
		"a", "x_y-z.w:v", "pc_0123ABCD", /* upper-case hex is no hash suffix */
		"pc_0123abc",			 /* 7 digits: no hash suffix */
		"pc_0123abcde",			 /* 9 digits: no hash suffix */
		"pc0123abcd",			 /* no underscore: no hash suffix */
		/* exactly NAME_MAX_LEN bytes */
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
	};
	char out[NAME_SIZE];

	assert_int_equal(strlen(clean[TU_ARRAY_SIZE(clean) - 1]), NAME_MAX_LEN);
	for (size_t i = 0; i < TU_ARRAY_SIZE(clean); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(name_sanitize(clean[i], out), 0);
		assert_string_equal(out, clean[i]);
		assert_true(name_is_clean(clean[i]));
		assert_true(name_is_valid(clean[i]));
	}
}

static void test_no_name(void **state)
{
	char out[NAME_SIZE];

	memset(out, 'X', sizeof(out));
	assert_int_equal(name_sanitize(NULL, out), -ENOENT);
	assert_string_equal(out, "");
	memset(out, 'X', sizeof(out));
	assert_int_equal(name_sanitize("", out), -ENOENT);
	assert_string_equal(out, "");
	memset(out, 'X', sizeof(out));
	assert_int_equal(name_sanitize("*", out), -ENOENT);
	assert_string_equal(out, "");

	/* Only the exact "*" means "no name". */
	assert_int_equal(name_sanitize("**", out), 0);
	assert_string_equal(out, "__27de7135");
	assert_int_equal(name_sanitize("*pc", out), 0);
	assert_true(name_is_valid(out));
}

/* Hostile and odd inputs; every one of them must be changed (and hashed). */
static const char *const hostile[] = {
	"a;rm -rf /",
	"$(reboot)",
	"`reboot`",
	"a|b",
	"a&b",
	"a&&b",
	"a||b",
	"a>b",
	"a<b",
	"a'b",
	"a\"b",
	"'",
	"\"",
	"\"; DROP TABLE hosts; --",
	"%n%s%x",
	"%s",
	"a\nb",
	"a\n",
	"\n",
	"a\tb",
	"a\rb",
	"a b",
	"a  b",
	" pc",
	"pc ",
	"a;b",
	"a\\b",
	"a/b",
	"../../etc/passwd",
	"a,b",
	"a=b",
	"a#b",
	"a{b}",
	"a[0]",
	"a\x01" "b",
	"a\x7f" "b",
	"J\xc3\xbcrgen's iPhone",
	"\xf0\x9f\x98\x80 phone",
	"\xf0\x9f\x98\x80",
	"\xf0\x9f\x98\x81",
	"\xff\xfe",
	"pc_0123abcd",
	"_0123abcd",
	"tx_pc_deadbeef",
};

static void test_hostile_names_safe(void **state)
{
	char out[NAME_SIZE], again[NAME_SIZE];

	for (size_t i = 0; i < TU_ARRAY_SIZE(hostile); i++) {
		assert_int_equal(name_sanitize(hostile[i], out), 0);
		if (!only_safe_chars(out))
			fail_msg("hostile[%zu]: '%s' has unsafe bytes", i, out);
		assert_true(strlen(out) > 0);
		assert_true(strlen(out) <= NAME_MAX_LEN);
		assert_true(name_is_valid(out));
		assert_false(name_is_clean(hostile[i]));
		assert_string_not_equal(out, hostile[i]);
		assert_hash_suffix(out, hostile[i]);
		/* deterministic */
		assert_int_equal(name_sanitize(hostile[i], again), 0);
		assert_string_equal(out, again);
	}
}

static void test_golden(void **state)
{
	static const struct {
		const char *in, *out;
	} g[] = {
		/* "a" + "_" for the bad byte + "_" + FNV-1a 32 of "a b" (0x10a3f9f2) */
		{ "a b", "a_b_10a3f9f2" },
		{ "a;b", "a_b_32c005f5" },
		/* runs of bad bytes become one "_" */
		{ "$(reboot)", "_reboot__5f8854b7" },
		{ "a;rm -rf /", "a_rm_-rf__d85eae02" },
		{ "%n%s%x", "_n_s_x_18aa571f" },
		/* the two bytes of "ü" are one run */
		{ "J\xc3\xbcrgen's iPhone", "J_rgen_s_iPhone_d6450275" },
		/* looks hashed already: hashed once more */
		{ "pc_0123abcd", "pc_0123abcd_3b93db65" },
		{ "_0123abcd", "_0123abcd_c2108e1a" },
		{ "pc", "pc" },
	};
	char out[NAME_SIZE];

	for (size_t i = 0; i < TU_ARRAY_SIZE(g); i++) {
		assert_int_equal(name_sanitize(g[i].in, out), 0);
		assert_string_equal(out, g[i].out);
	}
	/* The golden hashes are FNV-1a 32 of the raw bytes. */
	assert_int_equal(tu_fnv1a("a b"), 0x10a3f9f2u);
	assert_int_equal(tu_fnv1a(""), 2166136261u);
	assert_int_equal(tu_fnv1a("a"), 0xe40c292cu);
	assert_int_equal(tu_fnv1a("foobar"), 0xbf9cf968u);
}

static void test_hash_lookalike_gets_second_suffix(void **state)
{
	char out[NAME_SIZE], twice[NAME_SIZE];

	assert_false(name_is_clean("pc_0123abcd"));
	assert_true(name_is_valid("pc_0123abcd"));
	assert_int_equal(name_sanitize("pc_0123abcd", out), 0);
	assert_int_equal(strncmp(out, "pc_0123abcd_", 12), 0);
	assert_int_equal(strlen(out), strlen("pc_0123abcd") + NAME_HASH_LEN);
	assert_hash_suffix(out, "pc_0123abcd");

	/* A sanitised name never equals a clean one, even if fed back in. */
	assert_int_equal(name_sanitize(out, twice), 0);
	assert_string_not_equal(twice, out);
	assert_true(name_is_valid(twice));
}

static void test_long_names(void **state)
{
	char raw[301], out[NAME_SIZE], want[NAME_SIZE];

	/* 300 clean bytes: cut to fit, hash appended, exactly NAME_MAX_LEN long */
	memset(raw, 'a', 300);
	raw[300] = '\0';
	assert_int_equal(name_sanitize(raw, out), 0);
	assert_int_equal(strlen(out), NAME_MAX_LEN);
	snprintf(want, sizeof(want), "%.*s_%08x", NAME_MAX_LEN - NAME_HASH_LEN, raw,
		 (unsigned int)tu_fnv1a(raw));
	assert_string_equal(out, want);
	assert_true(name_is_valid(out));
	assert_true(only_safe_chars(out));

	/* The cut leaves the hash distinguishing names that differ after the cut. */
	raw[299] = 'b';
	assert_int_equal(name_sanitize(raw, want), 0);
	assert_int_equal(strlen(want), NAME_MAX_LEN);
	assert_string_not_equal(out, want);

	/* NAME_MAX_LEN + 1 clean bytes */
	raw[NAME_MAX_LEN + 1] = '\0';
	memset(raw, 'c', NAME_MAX_LEN + 1);
	assert_int_equal(name_sanitize(raw, out), 0);
	assert_int_equal(strlen(out), NAME_MAX_LEN);
	assert_hash_suffix(out, raw);

	/* 300 hostile bytes of mixed kinds */
	for (int i = 0; i < 300; i++)
		raw[i] = (i % 3 == 0) ? ';' : (i % 3 == 1) ? 'x' : ' ';
	raw[300] = '\0';
	assert_int_equal(name_sanitize(raw, out), 0);
	assert_true(strlen(out) <= NAME_MAX_LEN);
	assert_true(name_is_valid(out));
	assert_hash_suffix(out, raw);

	/* 300 bytes that are all bad */
	memset(raw, ';', 300);
	assert_int_equal(name_sanitize(raw, out), 0);
	assert_true(name_is_valid(out));
	assert_hash_suffix(out, raw);

	/* 300 bytes of 4-byte UTF-8 */
	for (int i = 0; i < 300; i += 4)
		memcpy(raw + i, "\xf0\x9f\x98\x80", 4);
	raw[300] = '\0';
	assert_int_equal(name_sanitize(raw, out), 0);
	assert_true(name_is_valid(out));
	assert_hash_suffix(out, raw);
}

static void test_pairwise_distinct(void **state)
{
	static const char *const extra[] = {
		"a_b", "a-b", "a.b", "a:b", "ab", "pc", "PC", "pc-laptop", "Pc", "pc_",
		"pc_0123abcd_3b93db65", /* what "pc_0123abcd" becomes */
		"a_b_10a3f9f2",		/* what "a b" becomes */
		"J_rgen_s_iPhone_d6450275",
	};
	size_t n = TU_ARRAY_SIZE(hostile) + TU_ARRAY_SIZE(extra);
	char (*out)[NAME_SIZE] = calloc(n, NAME_SIZE);
	const char **in = calloc(n, sizeof(*in));

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < TU_ARRAY_SIZE(hostile); i++)
		in[i] = hostile[i];
	for (size_t i = 0; i < TU_ARRAY_SIZE(extra); i++)
		in[TU_ARRAY_SIZE(hostile) + i] = extra[i];
	for (size_t i = 0; i < n; i++)
		assert_int_equal(name_sanitize(in[i], out[i]), 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			if (!strcmp(in[i], in[j]))
				continue;
			if (!strcmp(out[i], out[j]))
				fail_msg("'%s' and '%s' both became '%s'", in[i], in[j], out[i]);
		}
	free(out);
	free(in);
}

static void test_name_is_valid(void **state)
{
	char s[NAME_MAX_LEN + 2];

	assert_false(name_is_valid(""));
	assert_false(name_is_valid("a b"));
	assert_false(name_is_valid("a;b"));
	assert_false(name_is_valid("J\xc3\xbcrgen"));
	assert_false(name_is_valid("a\n"));
	assert_true(name_is_valid("pc_0123abcd"));
	assert_true(name_is_valid("fd00::11"));
	memset(s, 'a', NAME_MAX_LEN);
	s[NAME_MAX_LEN] = '\0';
	assert_true(name_is_valid(s));
	assert_true(name_is_clean(s));
	s[NAME_MAX_LEN] = 'a';
	s[NAME_MAX_LEN + 1] = '\0';
	assert_false(name_is_valid(s));
	assert_false(name_is_clean(s));
	assert_false(name_is_clean(""));
}

/* json_write_string(s) into a malloc'ed string. */
static char *json(const char *s)
{
	struct tu_capture c;

	json_write_string(tu_capture_open(&c), s);
	tu_capture_close(&c);
	return c.buf;
}

static void check_json(const char *in, const char *want)
{
	char *got = json(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_json_escapes(void **state)
{
	check_json("", "\"\"");
	check_json("pc", "\"pc\"");
	check_json("a\"b", "\"a\\\"b\"");
	check_json("a\\b", "\"a\\\\b\"");
	check_json("\"\\\"", "\"\\\"\\\\\\\"\"");
	check_json("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
	check_json("\x01", "\"\\u0001\"");
	check_json("\x08\x0c", "\"\\u0008\\u000c\"");
	check_json("\x1f", "\"\\u001f\"");
	check_json("a\x7f" "b", "\"a\\u007fb\"");
	check_json("/", "\"/\"");
	check_json("%n%s", "\"%n%s\"");
	check_json(" ~", "\" ~\"");
}

static void test_json_utf8_valid(void **state)
{
	static const char *const ok[] = {
		"J\xc3\xbcrgen's iPhone",	 /* U+00FC */
		"\xc2\x80",			 /* U+0080, smallest 2-byte */
		"\xdf\xbf",			 /* U+07FF */
		"\xe0\xa0\x80",			 /* U+0800, smallest 3-byte */
		"\xe2\x82\xac",			 /* U+20AC euro */
		"\xed\x9f\xbf",			 /* U+D7FF, below the surrogates */
		"\xee\x80\x80",			 /* U+E000, above the surrogates */
		"\xef\xbf\xbf",			 /* U+FFFF */
		"\xf0\x90\x80\x80",		 /* U+10000, smallest 4-byte */
		"\xf0\x9f\x98\x80 phone",	 /* emoji */
		"\xf4\x8f\xbf\xbf",		 /* U+10FFFF, the last code point */
	};
	char want[64];

	for (size_t i = 0; i < TU_ARRAY_SIZE(ok); i++) {
		snprintf(want, sizeof(want), "\"%s\"", ok[i]);
		check_json(ok[i], want);
	}
}

static void test_json_utf8_invalid(void **state)
{
	check_json("\xff", "\"\\ufffd\"");
	check_json("a\xff" "b", "\"a\\ufffdb\"");
	check_json("\xfe\xff", "\"\\ufffd\\ufffd\"");
	/* lone continuation bytes */
	check_json("\x80", "\"\\ufffd\"");
	check_json("\xbf" "a", "\"\\ufffda\"");
	/* truncated sequences, at the end and before ASCII */
	check_json("\xc3", "\"\\ufffd\"");
	check_json("\xc3(", "\"\\ufffd(\"");
	check_json("\xe2\x82", "\"\\ufffd\\ufffd\"");
	check_json("\xe2\x82z", "\"\\ufffd\\ufffdz\"");
	check_json("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	/* a truncated sequence before a quote must not swallow it */
	check_json("\xc3\"", "\"\\ufffd\\\"\"");
	/* overlong forms */
	check_json("\xc0\x80", "\"\\ufffd\\ufffd\"");
	check_json("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	check_json("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	check_json("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	check_json("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* UTF-16 surrogates */
	check_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	check_json("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	/* above U+10FFFF, and lead bytes that never start anything */
	check_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_json("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_json("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* valid after invalid resynchronises */
	check_json("\xff\xc3\xbc", "\"\\ufffd\xc3\xbc\"");
}

/* Every single byte: output is ASCII-safe JSON, never a raw control or stray byte. */
static void test_json_every_byte(void **state)
{
	for (int b = 1; b < 256; b++) {
		char in[2] = { (char)b, '\0' };
		char *got = json(in);

		assert_true(strlen(got) >= 3);
		assert_int_equal(got[0], '"');
		assert_int_equal(got[strlen(got) - 1], '"');
		for (const unsigned char *p = (const unsigned char *)got; *p; p++) {
			assert_true(*p >= 0x20);
			assert_true(*p < 0x7f);
		}
		if (b >= 0x80)
			assert_string_equal(got, "\"\\ufffd\"");
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_names_unchanged),
		cmocka_unit_test(test_no_name),
		cmocka_unit_test(test_hostile_names_safe),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_hash_lookalike_gets_second_suffix),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_pairwise_distinct),
		cmocka_unit_test(test_name_is_valid),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_utf8_valid),
		cmocka_unit_test(test_json_utf8_invalid),
		cmocka_unit_test(test_json_every_byte),
	};

	tu_init();
	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
