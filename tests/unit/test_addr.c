// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/addr.c: parsing, prefixes, classification, formatting. */
#include "testutil.h"

#include <arpa/inet.h>

#include "addr.h"

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(&a, s))
		fail_msg("test setup: cannot parse address '%s'", s);
	return a;
}

static struct prefix P(const char *s)
{
	struct prefix p;

	if (prefix_parse(&p, s))
		fail_msg("test setup: cannot parse prefix '%s'", s);
	return p;
}

static void test_addr_parse_v4(void **state)
{
	struct addr a;

	assert_int_equal(addr_parse(&a, "192.168.88.101"), 0);
	assert_int_equal(a.fam, FAM_V4);
	assert_int_equal(ntohl(a.u.v4.s_addr), 0xc0a85865u);

	assert_int_equal(addr_parse(&a, "0.0.0.0"), 0);
	assert_int_equal(a.fam, FAM_V4);
	assert_int_equal(a.u.v4.s_addr, 0);

	assert_int_equal(addr_parse(&a, "255.255.255.255"), 0);
	assert_int_equal(a.fam, FAM_V4);
	assert_int_equal(ntohl(a.u.v4.s_addr), 0xffffffffu);
}

static void test_addr_parse_v6(void **state)
{
	static const unsigned char fd00_11[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
						   0,    0, 0, 0, 0, 0, 0, 0x11 };
	static const unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
						  0, 0, 0xff, 0xff, 1, 2, 3, 4 };
	static const unsigned char zero[16];
	struct addr a;

	assert_int_equal(addr_parse(&a, "fd00::11"), 0);
	assert_int_equal(a.fam, FAM_V6);
	assert_memory_equal(a.u.v6.s6_addr, fd00_11, 16);

	assert_int_equal(addr_parse(&a, "FD00:0:0:0:0:0:0:11"), 0);
	assert_int_equal(a.fam, FAM_V6);
	assert_memory_equal(a.u.v6.s6_addr, fd00_11, 16);

	assert_int_equal(addr_parse(&a, "::"), 0);
	assert_int_equal(a.fam, FAM_V6);
	assert_memory_equal(a.u.v6.s6_addr, zero, 16);

	/* Dotted quads inside IPv6 are IPv6. */
	assert_int_equal(addr_parse(&a, "::ffff:1.2.3.4"), 0);
	assert_int_equal(a.fam, FAM_V6);
	assert_memory_equal(a.u.v6.s6_addr, mapped, 16);

	/* The longest textual form (45 bytes) still fits. */
	assert_int_equal(addr_parse(&a, "0000:0000:0000:0000:0000:ffff:255.255.255.255"), 0);
	assert_int_equal(a.fam, FAM_V6);
}

static void test_addr_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"1.2.3",
		"1.2.3.4.5",
		"256.1.1.1",
		"1.2.3.-1",
		"::g",
		"fd00:::11",
		"1:2:3:4:5:6:7:8:9",
		"1.2.3.4/24",
		"fd00::/48",
		" 1.2.3.4",
		"1.2.3.4 ",
		"1.2. 3.4",
		"fd00:: 11",
		"[::1]",
		"fe80::1%eth0",
		"localhost",
		"0x01020304",
		"1.2.3.4\n",
		/* 46 bytes: one more than any address can take */
		"0000:0000:0000:0000:0000:ffff:255.255.255.2555",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct addr a;

	assert_int_equal(addr_parse(&a, NULL), -EINVAL);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		int ret = addr_parse(&a, bad[i]);

		if (ret != -EINVAL)
			fail_msg("addr_parse(\"%s\") = %d, want -EINVAL", bad[i], ret);
	}
}

static void test_addr_parse_too_long_valid_prefix(void **state)
{
	char buf[200];
	struct addr a;

	/* A valid address followed by padding zeros, well past ADDR_STRLEN. */
	memset(buf, '0', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	memcpy(buf, "::", 2);
	assert_int_equal(addr_parse(&a, buf), -EINVAL);
}

static void test_prefix_parse_lengths(void **state)
{
	static const struct {
		const char *s;
		int fam;
		unsigned int len;
	} ok[] = {
		{ "10.0.0.0/8", FAM_V4, 8 },
		{ "1.2.3.4", FAM_V4, 32 },
		{ "1.2.3.4/32", FAM_V4, 32 },
		{ "0.0.0.0/0", FAM_V4, 0 },
		{ "192.168.0.0/23", FAM_V4, 23 },
		{ "fd12:3456::/48", FAM_V6, 48 },
		{ "fd00::", FAM_V6, 128 },
		{ "::/0", FAM_V6, 0 },
		{ "::/128", FAM_V6, 128 },
		{ "fc00::/7", FAM_V6, 7 },
		{ "fd12:3456::/047", FAM_V6, 47 },
	};
	struct prefix p;
	struct addr want;

	for (size_t i = 0; i < TU_ARRAY_SIZE(ok); i++) {
		int ret = prefix_parse(&p, ok[i].s);

		if (ret)
			fail_msg("prefix_parse(\"%s\") = %d", ok[i].s, ret);
		assert_int_equal(p.addr.fam, ok[i].fam);
		assert_int_equal(p.len, ok[i].len);
	}
	p = P("fd12:3456::/48");
	want = A("fd12:3456::");
	assert_true(addr_equal(&p.addr, &want));
}

static void test_prefix_parse_bad(void **state)
{
	static const char *const bad[] = {
		"1.2.3.4/33",
		"::/129",
		"fd00::/129",
		"1.2.3.4/-1",
		"1.2.3.4/",
		"fd00::/",
		"1.2.3.4/+3",
		"fd00::/-0",
		"/8",
		"/",
		"",
		"garbage",
		"garbage/8",
		"1.2.3/8",
		"1.2.3.4/8x",
		"1.2.3.4/8/8",
		"1.2.3.4/0x8",
		"1.2.3.4/8 ",
		"1.2.3.4 /8",
		"1.2.3.4/99999999999999999999999",
		"1.2.3.4/4294967304", /* 2^32 + 8: must not wrap to 8 */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/8",
	};
	struct prefix p;

	assert_int_equal(prefix_parse(&p, NULL), -EINVAL);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		int ret = prefix_parse(&p, bad[i]);

		if (ret != -EINVAL)
			fail_msg("prefix_parse(\"%s\") = %d, want -EINVAL", bad[i], ret);
	}
}

/*
 * A prefix length is digits right after the slash: strtoul() would skip leading blanks and
 * take "fd00::/ 48" as /48 (once a bug, fixed), while "/+3", "/-1" and a trailing blank are
 * rejected.
 */
static void test_prefix_parse_rejects_blank_after_slash(void **state)
{
	struct prefix p;

	assert_int_equal(prefix_parse(&p, "fd00::/ 48"), -EINVAL);
	assert_int_equal(prefix_parse(&p, "1.2.3.4/\t8"), -EINVAL);
}

static void test_prefix_contains_ula48(void **state)
{
	struct prefix p = P("fd12:3456::/48");
	static const char *const in[] = { "fd12:3456::", "fd12:3456::1", "fd12:3456:0:1::10",
					  "fd12:3456:0:ffff:ffff:ffff:ffff:ffff" };
	static const char *const out[] = { "fd12:3456:1::", "fd12:3456:8000::1",
					   "fd12:3457::1", "fd12:3455:ffff::1", "fd12:3356::1",
					   "fd13:3456::1", "fd00::11", "::",
					   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	struct addr v4;

	for (size_t i = 0; i < TU_ARRAY_SIZE(in); i++) {
		struct addr a = A(in[i]);

		if (!prefix_contains(&p, &a))
			fail_msg("fd12:3456::/48 should contain %s", in[i]);
	}
	for (size_t i = 0; i < TU_ARRAY_SIZE(out); i++) {
		struct addr a = A(out[i]);

		if (prefix_contains(&p, &a))
			fail_msg("fd12:3456::/48 should not contain %s", out[i]);
	}
	/* Families never mix. */
	v4 = A("0.0.0.0");
	assert_false(prefix_contains(&p, &v4));
}

static void test_prefix_contains_zero_len(void **state)
{
	struct prefix any6 = P("::/0"), any4 = P("0.0.0.0/0");
	struct addr a6 = A("2001:db8::1"), b6 = A("ffff::1"), a4 = A("192.168.1.1"),
		    b4 = A("255.255.255.255");

	assert_true(prefix_contains(&any6, &a6));
	assert_true(prefix_contains(&any6, &b6));
	assert_false(prefix_contains(&any6, &a4));
	assert_true(prefix_contains(&any4, &a4));
	assert_true(prefix_contains(&any4, &b4));
	assert_false(prefix_contains(&any4, &a6));
}

static void test_prefix_contains_odd_lengths(void **state)
{
	static const struct {
		const char *prefix, *addr;
		bool in;
	} t[] = {
		/* The third group holds bits 33..48: 0 and 1 differ only in bit 48. */
		{ "fd12:3456::/47", "fd12:3456:1::1", true },
		{ "fd12:3456::/47", "fd12:3456::1", true },
		{ "fd12:3456::/47", "fd12:3456:2::1", false },
		{ "fd12:3456::/47", "fd12:3457::1", false },
		{ "fd12:3456::/48", "fd12:3456:1::1", false },
		/* 0x3456 = ...0110, 0x3457 = ...0111: they differ only in bit 32. */
		{ "fd12:3456::/31", "fd12:3457::1", true },
		{ "fd12:3456::/31", "fd12:3458::1", false },
		{ "fd12:3456::/32", "fd12:3457::1", false },
		{ "fc00::/7", "fc00::1", true },
		{ "fc00::/7", "fd00::11", true },
		{ "fc00::/7", "fdff:ffff::1", true },
		{ "fc00::/7", "fe00::1", false },
		{ "fc00::/7", "fb00::1", false },
		{ "fc00::/8", "fd00::11", false },
		{ "fe80::/10", "febf::1", true },
		{ "fe80::/10", "fec0::1", false },
		{ "fd12:3456::1/127", "fd12:3456::", true },
		{ "fd12:3456::1/127", "fd12:3456::2", false },
		{ "fd12:3456::1/128", "fd12:3456::1", true },
		{ "fd12:3456::1/128", "fd12:3456::", false },
		{ "192.168.0.0/23", "192.168.1.255", true },
		{ "192.168.0.0/23", "192.168.2.0", false },
		{ "10.0.0.0/9", "10.127.255.255", true },
		{ "10.0.0.0/9", "10.128.0.0", false },
		{ "128.0.0.0/1", "200.0.0.1", true },
		{ "128.0.0.0/1", "127.255.255.255", false },
		{ "1.2.3.4/31", "1.2.3.5", true },
		{ "1.2.3.4/31", "1.2.3.6", false },
		{ "1.2.3.4/32", "1.2.3.4", true },
		{ "1.2.3.4/32", "1.2.3.5", false },
		/* Host bits in the prefix do not matter. */
		{ "fd12:3456::99/48", "fd12:3456::1", true },
		{ "192.168.1.77/24", "192.168.1.1", true },
	};

	for (size_t i = 0; i < TU_ARRAY_SIZE(t); i++) {
		struct prefix p = P(t[i].prefix);
		struct addr a = A(t[i].addr);

		if (prefix_contains(&p, &a) != t[i].in)
			fail_msg("prefix_contains(%s, %s) != %d", t[i].prefix, t[i].addr, t[i].in);
	}
}

static void test_addr_is_uncountable(void **state)
{
	static const char *const never[] = {
		"127.0.0.1",   "127.255.255.254", "169.254.1.1", "169.254.0.0",
		"224.0.0.1",   "239.255.255.250", "0.0.0.0",	 "255.255.255.255",
		"::1",	       "::",		  "fe80::1",	 "febf:ffff::1",
		"ff02::1",     "ff02::2",	  "ff05::1:3",	 "::ffff:1.2.3.4",
		"::ffff:192.168.88.101",
	};
	static const char *const counted[] = {
		"192.168.88.101", "10.0.0.1",	 "8.8.8.8",	"126.255.255.255",
		"128.0.0.0",	  "169.253.255.255", "169.255.0.0", "223.255.255.255",
		"255.255.255.254", "fd00::11",	 "2001:db8::1", "fec0::1",
		"fe7f::1",	  "fd12:3456::10",
	};

	for (size_t i = 0; i < TU_ARRAY_SIZE(never); i++) {
		struct addr a = A(never[i]);

		if (!addr_is_uncountable(&a))
			fail_msg("%s should be uncountable", never[i]);
	}
	for (size_t i = 0; i < TU_ARRAY_SIZE(counted); i++) {
		struct addr a = A(counted[i]);

		if (addr_is_uncountable(&a))
			fail_msg("%s should be countable", counted[i]);
	}
}

static void test_addr_format_round_trip(void **state)
{
	static const char *const canon[] = {
		"192.168.88.101", "0.0.0.0", "255.255.255.255", "10.0.0.1",
		"fd00::11", "::", "::1", "2001:db8::1", "fe80::1", "ff02::1", "::ffff:1.2.3.4",
		"fd12:3456:789a:bcde:f012:3456:789a:bcde", "fd00:88::105",
	};
	static const struct {
		const char *in, *out;
	} norm[] = {
		{ "FD00:0:0::11", "fd00::11" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "0000:0000:0000:0000:0000:ffff:255.255.255.255", "::ffff:255.255.255.255" },
		{ "fd00:0:0:1:0:0:0:1", "fd00:0:0:1::1" },
	};
	char buf[ADDR_STRLEN];

	for (size_t i = 0; i < TU_ARRAY_SIZE(canon); i++) {
		struct addr a = A(canon[i]), b;

		assert_string_equal(addr_format(&a, buf, sizeof(buf)), canon[i]);
		assert_int_equal(addr_parse(&b, buf), 0);
		assert_true(addr_equal(&a, &b));
	}
	for (size_t i = 0; i < TU_ARRAY_SIZE(norm); i++) {
		struct addr a = A(norm[i].in);

		assert_string_equal(addr_format(&a, buf, sizeof(buf)), norm[i].out);
	}
}

static void test_addr_format_small_buffer(void **state)
{
	struct addr a = A("192.168.88.101");
	char small[4];

	/* Too small for the address: a placeholder, never a truncated address. */
	assert_string_equal(addr_format(&a, small, sizeof(small)), "?");
}

static void test_addr_equal(void **state)
{
	struct addr v4 = A("1.2.3.4"), v4b = A("1.2.3.4"), v4c = A("1.2.3.5");
	struct addr mapped = A("::ffff:1.2.3.4"), v6 = A("fd00::11"), v6b = A("fd00:0::11");

	assert_true(addr_equal(&v4, &v4b));
	assert_false(addr_equal(&v4, &v4c));
	assert_false(addr_equal(&v4, &mapped));
	assert_false(addr_equal(&mapped, &v4));
	assert_true(addr_equal(&v6, &v6b));
	assert_false(addr_equal(&v6, &mapped));
}

static void test_addr_family_af(void **state)
{
	assert_int_equal(addr_family_af(FAM_V4), AF_INET);
	assert_int_equal(addr_family_af(FAM_V6), AF_INET6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse_v4),
		cmocka_unit_test(test_addr_parse_v6),
		cmocka_unit_test(test_addr_parse_bad),
		cmocka_unit_test(test_addr_parse_too_long_valid_prefix),
		cmocka_unit_test(test_prefix_parse_lengths),
		cmocka_unit_test(test_prefix_parse_bad),
		cmocka_unit_test(test_prefix_parse_rejects_blank_after_slash),
		cmocka_unit_test(test_prefix_contains_ula48),
		cmocka_unit_test(test_prefix_contains_zero_len),
		cmocka_unit_test(test_prefix_contains_odd_lengths),
		cmocka_unit_test(test_addr_is_uncountable),
		cmocka_unit_test(test_addr_format_round_trip),
		cmocka_unit_test(test_addr_format_small_buffer),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_addr_family_af),
	};

	tu_init();
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
