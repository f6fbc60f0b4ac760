// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/show.c: human_bytes(), show_table(), show_json(). */
#include "testutil.h"

#include "jsoncheck.h"

#include <ctype.h>

#include "show.h"

static void test_json_checker(void **state)
{
	assert_true(json_valid("{}"));
	assert_true(json_valid(" {\"a\": [1, -2.5e3, \"x\\u00e9\", null, true, false, {}]}\n"));
	assert_true(json_valid("{\"a\": 1, \"b\" : {\"c\": []},\n \"d\": \"\"}"));
	assert_false(json_valid(""));
	assert_false(json_valid("{"));
	assert_false(json_valid("{\"a\": 1,}"));
	assert_false(json_valid("[1 2]"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("\"a\nb\""));
	assert_false(json_valid("\"\\x\""));
	assert_false(json_valid("01"));
	assert_false(json_valid("{} {}"));
	assert_false(json_valid("nul"));
}

/* ---- human_bytes ---- */

static void test_human_bytes(void **state)
{
	static const struct {
		unsigned long long v;
		const char *s;
	} t[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1300, "1.3 KiB" },
		{ 10240, "10.0 KiB" },
		{ 1048524, "1023.9 KiB" },
		{ 1048576, "1.0 MiB" },
		{ 1572864, "1.5 MiB" },
		{ 500ULL << 20, "500.0 MiB" },
		{ 1ULL << 30, "1.0 GiB" },
		{ (5ULL << 30) + (1ULL << 29), "5.5 GiB" },
		{ 1ULL << 40, "1.0 TiB" },
		{ 1ULL << 50, "1.0 PiB" },
		{ 1ULL << 60, "1.0 EiB" },
		{ ~0ULL, "16.0 EiB" },
	};
	char buf[32];

	for (size_t i = 0; i < TU_ARRAY_SIZE(t); i++) {
		memset(buf, 'X', sizeof(buf));
		assert_ptr_equal(human_bytes(t[i].v, buf, sizeof(buf)), buf);
		assert_string_equal(buf, t[i].s);
	}
	/* a short buffer is cut, still terminated */
	assert_string_equal(human_bytes(1536, buf, 4), "1.5");
	assert_string_equal(human_bytes(1023, buf, 3), "10");
}

/*
 * Values just under a unit boundary round up into the next unit: "1.0 MiB", not "1024.0 KiB"
 * (once a bug, fixed: human_bytes() picked the unit before rounding).
 */
static void test_human_bytes_rounds_up_to_next_unit(void **state)
{
	char buf[32];

	assert_string_equal(human_bytes(1048575, buf, sizeof(buf)), "1.0 MiB");
	assert_string_equal(human_bytes((1ULL << 30) - 1, buf, sizeof(buf)), "1.0 GiB");
}

/* ---- show_json / show_table ---- */

static void make_hosts(struct hostset *s)
{
	struct addr a;
	struct host *h;

	memset(s, 0, sizeof(*s));
	assert_int_equal(addr_parse(&a, "192.168.88.101"), 0);
	h = hostset_add_addr(s, "laptop", &a);
	assert_non_null(h);
	assert_int_equal(addr_parse(&a, "fd00::11"), 0);
	h = hostset_add_addr(s, "laptop", &a);
	assert_non_null(h);
	strcpy(h->mac, "02:00:00:00:00:01");
	h->tx[FAM_V4] = (struct counter){ 1000, 10 };
	h->rx[FAM_V4] = (struct counter){ 2000, 20 };
	h->tx[FAM_V6] = (struct counter){ 300, 3 };
	h->rx[FAM_V6] = (struct counter){ 400, 4 };
	assert_int_equal(addr_parse(&a, "192.168.88.20"), 0);
	assert_non_null(hostset_add_addr(s, "tv", &a));
}

static const char json_golden[] =
	"{\"backend\": \"iptables-nft\", \"source\": \"kernel\", \"hosts\": [\n"
	"  {\"name\": \"laptop\", \"mac\": \"02:00:00:00:00:01\", "
	"\"addresses\": [\"192.168.88.101\", \"fd00::11\"], "
	"\"ipv4\": {\"tx_bytes\": 1000, \"tx_packets\": 10, \"rx_bytes\": 2000, \"rx_packets\": 20}, "
	"\"ipv6\": {\"tx_bytes\": 300, \"tx_packets\": 3, \"rx_bytes\": 400, \"rx_packets\": 4}},\n"
	"  {\"name\": \"tv\", \"mac\": null, "
	"\"addresses\": [\"192.168.88.20\"], "
	"\"ipv4\": {\"tx_bytes\": 0, \"tx_packets\": 0, \"rx_bytes\": 0, \"rx_packets\": 0}, "
	"\"ipv6\": {\"tx_bytes\": 0, \"tx_packets\": 0, \"rx_bytes\": 0, \"rx_packets\": 0}}\n"
	"]}\n";

static void test_show_json_golden(void **state)
{
	struct hostset s;
	struct tu_capture c;

	make_hosts(&s);
	show_json(tu_capture_open(&c), "iptables-nft", &s);
	tu_capture_close(&c);
	assert_true(json_valid(json_golden));
	assert_true(json_valid(c.buf));
	assert_string_equal(c.buf, json_golden);
	tu_capture_free(&c);
	hostset_free(&s);
}

static void test_show_json_empty(void **state)
{
	struct hostset s = { 0 };
	struct tu_capture c;

	show_json(tu_capture_open(&c), "iptables", &s);
	tu_capture_close(&c);
	assert_string_equal(c.buf, "{\"backend\": \"iptables\", \"source\": \"kernel\", \"hosts\": []}\n");
	assert_true(json_valid(c.buf));
	tu_capture_free(&c);
}

static void test_show_json_edge_values(void **state)
{
	struct hostset s = { 0 };
	struct tu_capture c;
	struct host *h;
	struct addr a;

	/* the biggest counters, a host without addresses, a backend name needing escapes */
	assert_int_equal(addr_parse(&a, "10.0.0.1"), 0);
	h = hostset_add_addr(&s, "big", &a);
	assert_non_null(h);
	h->tx[FAM_V4].bytes = UINT64_MAX;
	h->rx[FAM_V6].packets = UINT64_MAX;
	h->naddrs = 0;
	show_json(tu_capture_open(&c), "a\"b\\c\n", &s);
	tu_capture_close(&c);
	assert_true(json_valid(c.buf));
	assert_non_null(strstr(c.buf, "\"backend\": \"a\\\"b\\\\c\\n\""));
	assert_non_null(strstr(c.buf, "\"tx_bytes\": 18446744073709551615,"));
	assert_non_null(strstr(c.buf, "\"rx_packets\": 18446744073709551615}"));
	assert_non_null(strstr(c.buf, "\"addresses\": []"));
	tu_capture_free(&c);
	hostset_free(&s);
}

static void test_show_json_many_hosts(void **state)
{
	struct hostset s = { 0 };
	struct tu_capture c;
	char name[32];

	for (int i = 0; i < 50; i++) {
		struct addr a;
		char as[32];

		snprintf(name, sizeof(name), "h%d", i);
		snprintf(as, sizeof(as), "fd00::%x", i + 1);
		assert_int_equal(addr_parse(&a, as), 0);
		assert_non_null(hostset_add_addr(&s, name, &a));
	}
	show_json(tu_capture_open(&c), "auto", &s);
	tu_capture_close(&c);
	assert_true(json_valid(c.buf));
	assert_int_equal(tu_count(c.buf, "{\"name\": "), 50);
	tu_capture_free(&c);
	hostset_free(&s);
}

static const char table_golden[] =
	"backend: iptables-nft, counters read from the kernel; tx = to the host (download), "
	"rx = from the host (upload)\n"
	"HOST    MAC                ADDRESSES                "
	"    TX BYTES     TX PKTS      RX BYTES     RX PKTS\n"
	"laptop  02:00:00:00:00:01  192.168.88.101,fd00::11  "
	"     1.3 KiB          13       2.3 KiB          24\n"
	"tv      -                  192.168.88.20            "
	"         0 B           0           0 B           0\n";

static const char table_exact_golden[] =
	"backend: iptables-nft, counters read from the kernel; tx = to the host (download), "
	"rx = from the host (upload)\n"
	"HOST    MAC                ADDRESSES                "
	"    TX BYTES     TX PKTS      RX BYTES     RX PKTS\n"
	"laptop  02:00:00:00:00:01  192.168.88.101,fd00::11  "
	"        1300          13          2400          24\n"
	"tv      -                  192.168.88.20            "
	"           0           0             0           0\n";

static void test_show_table(void **state)
{
	struct hostset s;
	struct tu_capture c;

	make_hosts(&s);
	show_table(tu_capture_open(&c), "iptables-nft", &s, false);
	tu_capture_close(&c);
	assert_string_equal(c.buf, table_golden);
	tu_capture_free(&c);

	show_table(tu_capture_open(&c), "iptables-nft", &s, true);
	tu_capture_close(&c);
	assert_string_equal(c.buf, table_exact_golden);
	tu_capture_free(&c);
	hostset_free(&s);
}

/* From the daemon: rates, a period, the source named. */
static void test_show_daemon(void **state)
{
	struct hostset s;
	struct tu_capture c;
	struct show_info in = { .backend = "nft", .source = "daemon",
				.source_desc = "totals kept by the iptmon daemon (last poll 1s ago)",
				.period = "current", .period_start = 1793491200,
				.period_end = 1796083200, .rates = true };

	setenv("TZ", "UTC", 1);
	tzset();
	make_hosts(&s);
	s.v[0].rate[FAM_V4][0] = 1536.0f;
	s.v[0].rate[FAM_V6][0] = 512.0f;
	s.v[0].rate[FAM_V4][1] = 10.4f;
	show_json_ex(tu_capture_open(&c), &in, &s);
	tu_capture_close(&c);
	assert_true(json_valid(c.buf));
	assert_non_null(strstr(c.buf, "{\"backend\": \"nft\", \"source\": \"daemon\", \"period\": "
				      "{\"name\": \"current\", \"start\": 1793491200, \"end\": 1796083200}, \"hosts\": ["));
	assert_non_null(strstr(c.buf, "\"ipv4\": {\"tx_bytes\": 1000, \"tx_packets\": 10, \"rx_bytes\": 2000, "
				      "\"rx_packets\": 20, \"tx_bytes_per_s\": 1536.0, \"rx_bytes_per_s\": 10.4}"));
	tu_capture_free(&c);
	show_table_ex(tu_capture_open(&c), &in, &s, false);
	tu_capture_close(&c);
	assert_string_equal(c.buf,
		"backend: nft, totals kept by the iptmon daemon (last poll 1s ago); tx = to the host "
		"(download), rx = from the host (upload)\n"
		"period: current, 2026-11-01 00:00 to 2026-12-01 00:00 (local time)\n"
		"HOST    MAC                ADDRESSES                    TX BYTES     TX PKTS      "
		"RX BYTES     RX PKTS  TX RATE       RX RATE\n"
		"laptop  02:00:00:00:00:01  192.168.88.101,fd00::11       1.3 KiB          13       "
		"2.3 KiB          24  2.0 KiB/s     10 B/s\n"
		"tv      -                  192.168.88.20                     0 B           0           "
		"0 B           0  0 B/s         0 B/s\n");
	tu_capture_free(&c);
	/* no period closed yet */
	in.period = "previous";
	in.period_start = in.period_end = 0;
	in.rates = false;
	show_table_ex(tu_capture_open(&c), &in, &s, false);
	tu_capture_close(&c);
	assert_non_null(strstr(c.buf, "\nperiod: previous (none has closed yet)\nHOST "));
	assert_null(strstr(c.buf, "RATE"));
	tu_capture_free(&c);
	hostset_free(&s);
}

/* Every row's columns start where the header's do, whatever the name and address widths. */
static void test_show_table_alignment(void **state)
{
	static const char *const cols[] = { "MAC", "ADDRESSES", "TX BYTES" };
	struct hostset s = { 0 };
	struct tu_capture c;
	struct addr a;
	struct host *h;
	char *line, *save = NULL, *header = NULL;
	size_t pos[TU_ARRAY_SIZE(cols)];
	int rows = 0;

	assert_int_equal(addr_parse(&a, "fd12:3456:789a:bcde:f012:3456:789a:bcde"), 0);
	h = hostset_add_addr(&s, "a-rather-long-host-name-for-the-table", &a);
	assert_non_null(h);
	assert_int_equal(addr_parse(&a, "10.0.0.1"), 0);
	assert_non_null(hostset_add_addr(&s, "x", &a));
	/* a host without addresses shows "-" */
	assert_non_null(hostset_add_addr(&s, "y", &a));
	s.v[2].naddrs = 0;
	show_table(tu_capture_open(&c), "iptables", &s, false);
	tu_capture_close(&c);

	for (line = strtok_r(c.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "backend: ", 9))
			continue;
		if (!header) {
			header = line;
			assert_int_equal(strncmp(line, "HOST ", 5), 0);
			for (size_t i = 0; i < TU_ARRAY_SIZE(cols); i++) {
				char *p = strstr(line, cols[i]);

				assert_non_null(p);
				pos[i] = (size_t)(p - line);
			}
			continue;
		}
		rows++;
		/* MAC and ADDRESSES are left-aligned: the field starts at the header's column */
		for (size_t i = 0; i < 2; i++) {
			assert_true(strlen(line) > pos[i]);
			assert_int_equal(line[pos[i] - 1], ' ');
			assert_int_not_equal(line[pos[i]], ' ');
		}
		assert_int_equal(strlen(line), strlen(header));
	}
	assert_int_equal(rows, 3);
	tu_capture_free(&c);

	/* "-" for no MAC and no address */
	show_table(tu_capture_open(&c), "iptables", &s, false);
	tu_capture_close(&c);
	assert_non_null(strstr(c.buf, "\ny  "));
	/* x: MAC; y: MAC and addresses; the long one: MAC */
	assert_int_equal(tu_count(c.buf, "  -  "), 4);
	tu_capture_free(&c);
	hostset_free(&s);
}

static void test_show_table_empty(void **state)
{
	struct hostset s = { 0 };
	struct tu_capture c;

	show_table(tu_capture_open(&c), "iptables-legacy", &s, false);
	tu_capture_close(&c);
	assert_int_equal(strncmp(c.buf, "backend: iptables-legacy, ", 26), 0);
	assert_non_null(strstr(c.buf, "\nHOST "));
	assert_non_null(strstr(c.buf, "ADDRESSES"));
	assert_non_null(strstr(c.buf, "RX PKTS\n(no hosts counted)\n"));
	tu_capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_human_bytes),
		cmocka_unit_test(test_human_bytes_rounds_up_to_next_unit),
		cmocka_unit_test(test_show_json_golden),
		cmocka_unit_test(test_show_json_empty),
		cmocka_unit_test(test_show_json_edge_values),
		cmocka_unit_test(test_show_json_many_hosts),
		cmocka_unit_test(test_show_table),
		cmocka_unit_test(test_show_daemon),
		cmocka_unit_test(test_show_table_alignment),
		cmocka_unit_test(test_show_table_empty),
	};

	tu_init();
	return cmocka_run_group_tests_name("show", tests, NULL, NULL);
}
