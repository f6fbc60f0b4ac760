// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for src/export.c: the per-format escapers and golden outputs of every exporter
 * (prometheus, influx, collectd, json) over a fixed snapshot, plus hostile names.
 */
#include "testutil.h"

#include "jsoncheck.h"

#include <ctype.h>

#include "export.h"

/* ---- structural checkers for the line formats (independent of the golden strings) ---- */

static bool all_digits(const char *p, const char *end)
{
	if (p >= end)
		return false;
	for (; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* One Prometheus sample line: name{k="v",...} N, label values escaped, no raw newline. */
static bool prom_line_ok(const char *l)
{
	const char *p = l;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	if (*p == '{') {
		p++;
		for (;;) {
			if (!isalpha((unsigned char)*p) && *p != '_')
				return false;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			if (*p++ != '=' || *p++ != '"')
				return false;
			while (*p != '"') {
				if (!*p || *p == '\n')
					return false;
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n')
						return false;
				}
				p++;
			}
			p++;
			if (*p == '}')
				break;
			if (*p++ != ',')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	return all_digits(p, p + strlen(p));
}

/* A whole exposition: comment lines or sample lines, each ended by '\n'. */
static bool prom_ok(const char *text, unsigned int *samples)
{
	char *dup = strdup(text), *save = NULL;
	bool ok = true;

	assert_non_null(dup);
	*samples = 0;
	ok = *text && text[strlen(text) - 1] == '\n';
	for (char *l = strtok_r(dup, "\n", &save); ok && l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7))
			continue;
		ok = prom_line_ok(l);
		(*samples)++;
	}
	free(dup);
	return ok;
}

/* Counts the bytes of [p, end) that are not escaped by a backslash and equal c. */
static unsigned int unescaped_count(const char *p, const char *end, char c)
{
	unsigned int n = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
			continue;
		}
		if (*p == c)
			n++;
	}
	return n;
}

/*
 * One influx line: "iptmon,tags fields timestamp" with exactly two unescaped spaces, every
 * unescaped ',' in the tags followed by a key=value with exactly one unescaped '='.
 */
static bool influx_line_ok(const char *l)
{
	const char *end = l + strlen(l), *sp1, *sp2, *p;

	if (unescaped_count(l, end, ' ') != 2 || strncmp(l, "iptmon,", 7))
		return false;
	for (const char *q = l; q < end; q++)
		if ((unsigned char)*q < 0x20)
			return false;
	/* the first unescaped space ends the tag set */
	for (sp1 = l; sp1 < end; sp1++) {
		if (*sp1 == '\\') {
			sp1++;
			continue;
		}
		if (*sp1 == ' ')
			break;
	}
	sp2 = strchr(sp1 + 1, ' ');
	if (!sp2 || !all_digits(sp2 + 1, end))
		return false;
	/* tags: split at unescaped commas, each with one unescaped '=' and non-empty sides */
	p = l + 7;
	while (p < sp1) {
		const char *t = p, *eq = NULL;

		for (; t < sp1; t++) {
			if (*t == '\\') {
				t++;
				continue;
			}
			if (*t == ',')
				break;
			if (*t == '=') {
				if (eq)
					return false;
				eq = t;
			}
		}
		if (!eq || eq == p || eq + 1 == t)
			return false;
		p = t + 1;
	}
	return true;
}

static bool influx_ok(const char *text, unsigned int *lines)
{
	char *dup = strdup(text), *save = NULL;
	bool ok = true;

	assert_non_null(dup);
	*lines = 0;
	for (char *l = strtok_r(dup, "\n", &save); ok && l; l = strtok_r(NULL, "\n", &save)) {
		ok = influx_line_ok(l);
		(*lines)++;
	}
	free(dup);
	return ok;
}

/*
 * One PUTVAL line: PUTVAL "<ident>" T:V, where the unescaped identifier (collectd's own
 * quoted-string rules: '\' takes the next byte literally) has exactly two '/', no control
 * characters, and non-empty host, plugin and type parts.
 */
static bool collectd_line_ok(const char *l)
{
	char ident[512];
	size_t n = 0;
	const char *p = l, *colon, *s1, *s2;

	if (strncmp(p, "PUTVAL \"", 8))
		return false;
	for (p += 8; *p != '"'; p++) {
		if (!*p || n + 1 >= sizeof(ident))
			return false;
		if (*p == '\\') {
			p++;
			if (!*p)
				return false;
		}
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
		ident[n++] = *p;
	}
	ident[n] = '\0';
	p++;
	if (*p++ != ' ')
		return false;
	if (!strncmp(p, "interval=", 9)) { /* the one option iptmon sends */
		const char *sp = strchr(p, ' ');

		if (!sp || !all_digits(p + 9, sp))
			return false;
		p = sp + 1;
	}
	colon = strchr(p, ':');
	if (!colon || !all_digits(p, colon) || !all_digits(colon + 1, colon + strlen(colon)))
		return false;
	s1 = strchr(ident, '/');
	if (!s1 || s1 == ident)
		return false;
	s2 = strchr(s1 + 1, '/');
	if (!s2 || s2 == s1 + 1 || !s2[1] || strchr(s2 + 1, '/'))
		return false;
	return true;
}

static bool collectd_ok(const char *text, unsigned int *lines)
{
	char *dup = strdup(text), *save = NULL;
	bool ok = true;

	assert_non_null(dup);
	*lines = 0;
	for (char *l = strtok_r(dup, "\n", &save); ok && l; l = strtok_r(NULL, "\n", &save)) {
		ok = collectd_line_ok(l);
		(*lines)++;
	}
	free(dup);
	return ok;
}

static void test_checkers(void **state)
{
	unsigned int n;

	assert_true(prom_line_ok("a{b=\"c\\\"d\\\\e\\nf\",g=\"\"} 1"));
	assert_true(prom_line_ok("iptmon_hosts 3"));
	assert_false(prom_line_ok("a{b=\"c\"d\"} 1"));
	assert_true(collectd_line_ok("PUTVAL \"h/p-i/t-ti\" interval=10 1:2"));
	assert_false(collectd_line_ok("PUTVAL \"h/p-i/t-ti\" interval=x 1:2"));
	assert_false(collectd_line_ok("PUTVAL \"h/p-i/t-ti\" interval=10"));
	assert_false(prom_line_ok("a{b=\"c\\x\"} 1"));
	assert_false(prom_line_ok("a{b=\"c\"} "));
	assert_true(prom_ok("# HELP a x\n# TYPE a counter\na 1\n", &n));
	assert_int_equal(n, 1);
	assert_false(prom_ok("a{b=\"c\nd\"} 1\n", &n));

	assert_true(influx_line_ok("iptmon,host=a\\ b\\,c\\=d,family=ipv4 bytes=1i 5"));
	assert_false(influx_line_ok("iptmon,host=a b,family=ipv4 bytes=1i 5"));
	assert_false(influx_line_ok("iptmon,host=a,b,family=ipv4 bytes=1i 5"));
	assert_false(influx_line_ok("iptmon,host=a=b,family=ipv4 bytes=1i 5"));
	assert_false(influx_line_ok("iptmon,host=,family=ipv4 bytes=1i 5"));
	assert_true(influx_ok("iptmon,a=b c=1i 2\niptmon,a=b c=1i 2\n", &n));
	assert_int_equal(n, 2);

	assert_true(collectd_line_ok("PUTVAL \"h\\\"\\\\/p-i/t-x\" 1:2"));
	assert_false(collectd_line_ok("PUTVAL \"h/p-i/t-x/y\" 1:2"));
	assert_false(collectd_line_ok("PUTVAL \"h/p-i/t-x\"y\" 1:2"));
	assert_false(collectd_line_ok("PUTVAL \"h/p-i\" 1:2"));
	assert_false(collectd_line_ok("PUTVAL \"h/p-i/t\x01\" 1:2"));
	assert_true(collectd_ok("PUTVAL \"h/p/t\" 1:2\n", &n));
	assert_int_equal(n, 1);
}

/* ---- escapers ---- */

typedef void (*escaper_fn)(FILE *f, const char *s);

static void check_escape(escaper_fn fn, const char *in, const char *want)
{
	struct tu_capture c;

	fn(tu_capture_open(&c), in);
	tu_capture_close(&c);
	assert_string_equal(c.buf, want);
	tu_capture_free(&c);
}

static void test_prom_label_value(void **state)
{
	check_escape(prom_label_value, "pc", "\"pc\"");
	check_escape(prom_label_value, "a\"b", "\"a\\\"b\"");
	check_escape(prom_label_value, "a\\b", "\"a\\\\b\"");
	check_escape(prom_label_value, "a\nb", "\"a\\nb\"");
	check_escape(prom_label_value, "", "\"\"");
	/* UTF-8 is passed through as it is ("héllo €") */
	check_escape(prom_label_value, "h\xc3\xa9llo \xe2\x82\xac", "\"h\xc3\xa9llo \xe2\x82\xac\"");
	/* what only other formats care about passes through */
	check_escape(prom_label_value, "a b,c=d/e:f", "\"a b,c=d/e:f\"");
	/* all at once, several in a row */
	check_escape(prom_label_value, "\"\\\n\n\\\"", "\"\\\"\\\\\\n\\n\\\\\\\"\"");
}

static void test_influx_tag_value(void **state)
{
	check_escape(influx_tag_value, "pc", "pc");
	check_escape(influx_tag_value, "", "");
	check_escape(influx_tag_value, "a b", "a\\ b");
	check_escape(influx_tag_value, "a,b", "a\\,b");
	check_escape(influx_tag_value, "a=b", "a\\=b");
	check_escape(influx_tag_value, "a\\b", "a\\\\b");
	check_escape(influx_tag_value, "a\nb", "a_b");
	check_escape(influx_tag_value, "a\rb", "a_b");
	check_escape(influx_tag_value, "a\tb", "a_b");
	check_escape(influx_tag_value, "\r\n\t", "___");
	check_escape(influx_tag_value, "x ,=\\\n", "x\\ \\,\\=\\\\_");
	/* a quote, a colon (MACs) and UTF-8 need nothing */
	check_escape(influx_tag_value, "a\"b", "a\"b");
	check_escape(influx_tag_value, "02:00:00:00:88:01", "02:00:00:00:88:01");
	check_escape(influx_tag_value, "h\xc3\xa9", "h\xc3\xa9");
}

static void test_collectd_ident(void **state)
{
	check_escape(collectd_ident, "pc", "pc");
	check_escape(collectd_ident, "", "");
	check_escape(collectd_ident, "a\"b", "a\\\"b");
	check_escape(collectd_ident, "a\\b", "a\\\\b");
	check_escape(collectd_ident, "a/b", "a_b");
	check_escape(collectd_ident, "/a/", "_a_");
	check_escape(collectd_ident, "a\nb", "a_b");
	check_escape(collectd_ident, "a\x01" "b", "a_b");
	check_escape(collectd_ident, "a\x7f" "b", "a_b");
	check_escape(collectd_ident, "\t\r\x1f", "___");
	check_escape(collectd_ident, "a\"b/c\\d", "a\\\"b_c\\\\d");
	/* space, comma, equals, dash, colon and UTF-8 are fine inside the quoted identifier */
	check_escape(collectd_ident, "a b,c=d-e:f", "a b,c=d-e:f");
	check_escape(collectd_ident, "h\xc3\xa9", "h\xc3\xa9");
}

/*
 * Long input, past the 512-byte line buffer several times over, in every escaper: runs of
 * plain text and escaped characters that straddle the buffer's end, against a byte-at-a-time
 * reference of each format's rule.
 */
static void ref_escape(int fmt, const char *s, char *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (fmt == 0) { /* Prometheus */
			if (c == '\n') {
				*out++ = '\\';
				*out++ = 'n';
				continue;
			}
			if (c == '\\' || c == '"')
				*out++ = '\\';
			*out++ = (char)c;
		} else if (fmt == 1) { /* InfluxDB */
			if (c == '\n' || c == '\r' || c == '\t') {
				*out++ = '_';
				continue;
			}
			if (c == ',' || c == ' ' || c == '=' || c == '\\')
				*out++ = '\\';
			*out++ = (char)c;
		} else { /* collectd */
			if (c == '"' || c == '\\') {
				*out++ = '\\';
				*out++ = (char)c;
			} else {
				*out++ = c == '/' || c < 0x20 || c == 0x7f ? '_' : (char)c;
			}
		}
	}
	*out = '\0';
}

static void test_escape_long(void **state)
{
	static const char pool[] = "ab\"\\\n\r\t ,=/\x01\x7f" "cdefghij";
	static const escaper_fn fn[3] = { prom_label_value, influx_tag_value, collectd_ident };
	char in[1601], want[3300], pwant[3302];
	unsigned int seed = 7;

	for (int round = 0; round < 40; round++) {
		for (size_t i = 0; i < sizeof(in) - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			/* long plain runs in some rounds, dense escapes in others */
			in[i] = round % 2 ? pool[(seed >> 16) % (sizeof(pool) - 1)]
					  : (char)('a' + (seed >> 16) % 26);
			if (round % 2 == 0 && (seed >> 8) % 97 == 0)
				in[i] = pool[(seed >> 20) % 12];
		}
		in[sizeof(in) - 1] = '\0';
		for (int f = 0; f < 3; f++) {
			ref_escape(f, in, want);
			if (f == 0) { /* Prometheus quotes the value */
				snprintf(pwant, sizeof(pwant), "\"%s\"", want);
				check_escape(fn[f], in, pwant);
			} else {
				check_escape(fn[f], in, want);
			}
		}
	}
}

/* ---- the exporters over a fixed snapshot ---- */

static const int64_t NOW_NS = 1700000000123456789LL;

static void upsert(struct hostset *s, const char *name, const char *as)
{
	struct addr a;

	assert_int_equal(addr_parse(&a, as), 0);
	assert_true(hostset_upsert(s, name, &a) >= 0);
}

/* pc (v4+v6, MAC, counted), phone (v4, no MAC, zero), nas (v6 only, v4 counted). */
static void make_hosts(struct hostset *s)
{
	struct host *h;

	memset(s, 0, sizeof(*s));
	upsert(s, "pc", "192.168.88.101");
	upsert(s, "pc", "fd00::11");
	upsert(s, "phone", "192.168.88.102");
	upsert(s, "nas", "fd00::5");
	assert_int_equal(s->n, 3);

	h = hostset_find(s, "pc");
	assert_non_null(h);
	assert_int_equal(h->naddrs, 2);
	strcpy(h->mac, "02:00:00:00:88:01");
	h->tx[FAM_V4] = (struct counter){ .packets = 10, .bytes = 10280 };
	h->rx[FAM_V4] = (struct counter){ .packets = 10, .bytes = 10280 };
	h->tx[FAM_V6] = (struct counter){ .packets = 10, .bytes = 10480 };
	h->rx[FAM_V6] = (struct counter){ .packets = 10, .bytes = 10480 };

	h = hostset_find(s, "nas");
	assert_non_null(h);
	assert_int_equal(h->naddrs, 1);
	assert_int_equal(h->addrs[0].fam, FAM_V6);
	h->tx[FAM_V4] = (struct counter){ .packets = 1, .bytes = 100 };
}

static void make_ctx(struct export_ctx *x, const struct hostset *s)
{
	*x = (struct export_ctx){ .hosts = s, .backend = "nft", .hostname = "router",
				  .now_ns = NOW_NS };
}

/* What exporter NAME writes for X (malloc'ed). */
static char *run_exporter(const char *name, const struct export_ctx *x)
{
	const struct exporter_ops *ops = exporter_find(name);
	struct tu_capture c;

	assert_non_null(ops);
	assert_string_equal(ops->name, name);
	ops->write(tu_capture_open(&c), x);
	tu_capture_close(&c);
	return c.buf;
}

#define PC_MAC "02:00:00:00:88:01"

static const char prom_golden[] =
	"# HELP iptmon_host_bytes_total Bytes counted per host, family and direction "
	"(tx: to the host, rx: from the host).\n"
	"# TYPE iptmon_host_bytes_total counter\n"
	"iptmon_host_bytes_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv4\",direction=\"tx\"} 10280\n"
	"iptmon_host_bytes_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv4\",direction=\"rx\"} 10280\n"
	"iptmon_host_bytes_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv6\",direction=\"tx\"} 10480\n"
	"iptmon_host_bytes_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv6\",direction=\"rx\"} 10480\n"
	"iptmon_host_bytes_total{host=\"phone\",mac=\"\",family=\"ipv4\",direction=\"tx\"} 0\n"
	"iptmon_host_bytes_total{host=\"phone\",mac=\"\",family=\"ipv4\",direction=\"rx\"} 0\n"
	"iptmon_host_bytes_total{host=\"nas\",mac=\"\",family=\"ipv4\",direction=\"tx\"} 100\n"
	"iptmon_host_bytes_total{host=\"nas\",mac=\"\",family=\"ipv4\",direction=\"rx\"} 0\n"
	"iptmon_host_bytes_total{host=\"nas\",mac=\"\",family=\"ipv6\",direction=\"tx\"} 0\n"
	"iptmon_host_bytes_total{host=\"nas\",mac=\"\",family=\"ipv6\",direction=\"rx\"} 0\n"
	"# HELP iptmon_host_packets_total Packets counted per host, family and direction.\n"
	"# TYPE iptmon_host_packets_total counter\n"
	"iptmon_host_packets_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv4\",direction=\"tx\"} 10\n"
	"iptmon_host_packets_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv4\",direction=\"rx\"} 10\n"
	"iptmon_host_packets_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv6\",direction=\"tx\"} 10\n"
	"iptmon_host_packets_total{host=\"pc\",mac=\"" PC_MAC "\",family=\"ipv6\",direction=\"rx\"} 10\n"
	"iptmon_host_packets_total{host=\"phone\",mac=\"\",family=\"ipv4\",direction=\"tx\"} 0\n"
	"iptmon_host_packets_total{host=\"phone\",mac=\"\",family=\"ipv4\",direction=\"rx\"} 0\n"
	"iptmon_host_packets_total{host=\"nas\",mac=\"\",family=\"ipv4\",direction=\"tx\"} 1\n"
	"iptmon_host_packets_total{host=\"nas\",mac=\"\",family=\"ipv4\",direction=\"rx\"} 0\n"
	"iptmon_host_packets_total{host=\"nas\",mac=\"\",family=\"ipv6\",direction=\"tx\"} 0\n"
	"iptmon_host_packets_total{host=\"nas\",mac=\"\",family=\"ipv6\",direction=\"rx\"} 0\n"
	"# HELP iptmon_hosts Hosts counted.\n"
	"# TYPE iptmon_hosts gauge\n"
	"iptmon_hosts 3\n"
	"# HELP iptmon_info The backend counting.\n"
	"# TYPE iptmon_info gauge\n"
	"iptmon_info{backend=\"nft\"} 1\n";

#define TS " 1700000000123456789\n"

static const char influx_golden[] =
	"iptmon,host=pc,mac=" PC_MAC ",family=ipv4,direction=tx bytes=10280i,packets=10i" TS
	"iptmon,host=pc,mac=" PC_MAC ",family=ipv4,direction=rx bytes=10280i,packets=10i" TS
	"iptmon,host=pc,mac=" PC_MAC ",family=ipv6,direction=tx bytes=10480i,packets=10i" TS
	"iptmon,host=pc,mac=" PC_MAC ",family=ipv6,direction=rx bytes=10480i,packets=10i" TS
	"iptmon,host=phone,family=ipv4,direction=tx bytes=0i,packets=0i" TS
	"iptmon,host=phone,family=ipv4,direction=rx bytes=0i,packets=0i" TS
	"iptmon,host=nas,family=ipv4,direction=tx bytes=100i,packets=1i" TS
	"iptmon,host=nas,family=ipv4,direction=rx bytes=0i,packets=0i" TS
	"iptmon,host=nas,family=ipv6,direction=tx bytes=0i,packets=0i" TS
	"iptmon,host=nas,family=ipv6,direction=rx bytes=0i,packets=0i" TS;

static const char collectd_golden[] =
	"PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc\" 1700000000:10280\n"
	"PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_packets-tx_pc\" 1700000000:10\n"
	"PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_bytes-rx_pc\" 1700000000:10280\n"
	"PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_packets-rx_pc\" 1700000000:10\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_tx/ipt_bytes-tx_pc\" 1700000000:10480\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_tx/ipt_packets-tx_pc\" 1700000000:10\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_rx/ipt_bytes-rx_pc\" 1700000000:10480\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_rx/ipt_packets-rx_pc\" 1700000000:10\n"
	"PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_bytes-tx_phone\" 1700000000:0\n"
	"PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_packets-tx_phone\" 1700000000:0\n"
	"PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_bytes-rx_phone\" 1700000000:0\n"
	"PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_packets-rx_phone\" 1700000000:0\n"
	"PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_bytes-tx_nas\" 1700000000:100\n"
	"PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_packets-tx_nas\" 1700000000:1\n"
	"PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_bytes-rx_nas\" 1700000000:0\n"
	"PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_packets-rx_nas\" 1700000000:0\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_tx/ipt_bytes-tx_nas\" 1700000000:0\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_tx/ipt_packets-tx_nas\" 1700000000:0\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_rx/ipt_bytes-rx_nas\" 1700000000:0\n"
	"PUTVAL \"router/ip6tables-mangle-iptmon_rx/ipt_packets-rx_nas\" 1700000000:0\n";

#define ZERO_COUNTERS "{\"tx_bytes\": 0, \"tx_packets\": 0, \"rx_bytes\": 0, \"rx_packets\": 0}"

static const char json_golden[] =
	"{\"backend\": \"nft\", \"source\": \"kernel\", \"hosts\": [\n"
	"  {\"name\": \"pc\", \"mac\": \"" PC_MAC "\", "
	"\"addresses\": [\"192.168.88.101\", \"fd00::11\"], "
	"\"ipv4\": {\"tx_bytes\": 10280, \"tx_packets\": 10, \"rx_bytes\": 10280, \"rx_packets\": 10}, "
	"\"ipv6\": {\"tx_bytes\": 10480, \"tx_packets\": 10, \"rx_bytes\": 10480, \"rx_packets\": 10}},\n"
	"  {\"name\": \"phone\", \"mac\": null, \"addresses\": [\"192.168.88.102\"], "
	"\"ipv4\": " ZERO_COUNTERS ", \"ipv6\": " ZERO_COUNTERS "},\n"
	"  {\"name\": \"nas\", \"mac\": null, \"addresses\": [\"fd00::5\"], "
	"\"ipv4\": {\"tx_bytes\": 100, \"tx_packets\": 1, \"rx_bytes\": 0, \"rx_packets\": 0}, "
	"\"ipv6\": " ZERO_COUNTERS "}\n"
	"]}\n";

static void test_exporter_find(void **state)
{
	static const char *const names[] = { "prometheus", "influx", "collectd", "json" };

	for (size_t i = 0; i < TU_ARRAY_SIZE(names); i++) {
		const struct exporter_ops *ops = exporter_find(names[i]);

		assert_non_null(ops);
		assert_ptr_equal(ops, exporters[i]);
		assert_string_equal(ops->name, names[i]);
		assert_non_null(ops->write);
	}
	assert_null(exporters[TU_ARRAY_SIZE(names)]);
	assert_null(exporter_find("xml"));
	assert_null(exporter_find(""));
	assert_null(exporter_find("prom"));
	assert_null(exporter_find("jsonx"));
}

static void test_prometheus_golden(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int samples;
	char *out;

	make_hosts(&s);
	make_ctx(&x, &s);
	out = run_exporter("prometheus", &x);
	assert_string_equal(out, prom_golden);
	assert_true(prom_ok(out, &samples));
	assert_int_equal(samples, 10 + 10 + 1 + 1);
	assert_int_equal(tu_count(out, "# HELP "), 4);
	assert_int_equal(tu_count(out, "# TYPE "), 4);
	assert_non_null(strstr(out, "\niptmon_hosts 3\n"));
	assert_non_null(strstr(out, "\niptmon_info{backend=\"nft\"} 1\n"));
	free(out);
	hostset_free(&s);
}

static void test_influx_golden(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int lines;
	char *out;

	make_hosts(&s);
	make_ctx(&x, &s);
	out = run_exporter("influx", &x);
	assert_string_equal(out, influx_golden);
	assert_true(influx_ok(out, &lines));
	assert_int_equal(lines, 10);
	/* the empty MAC is left out, not written as an empty tag */
	assert_int_equal(tu_count(out, ",mac="), 4);
	assert_null(strstr(out, "mac=,"));
	free(out);
	hostset_free(&s);
}

static void test_collectd_golden(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int lines;
	const char *first;
	char *out;

	make_hosts(&s);
	make_ctx(&x, &s);
	out = run_exporter("collectd", &x);
	assert_string_equal(out, collectd_golden);
	assert_true(collectd_ok(out, &lines));
	assert_int_equal(lines, 20);
	free(out);

	/* the time is whole seconds, truncated, not rounded */
	x.now_ns = 1700000000999999999LL;
	out = run_exporter("collectd", &x);
	first = "PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc\" 1700000000:10280\n";
	assert_int_equal(strncmp(out, first, strlen(first)), 0);
	assert_int_equal(tu_count(out, " 1700000000:"), 20);
	free(out);
	hostset_free(&s);
}

/* The daemon's collectd stream says its interval. */
static void test_collectd_interval(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int lines;
	char *out;

	make_hosts(&s);
	make_ctx(&x, &s);
	x.interval = 10;
	out = run_exporter("collectd", &x);
	assert_int_equal(strncmp(out, "PUTVAL \"router/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc\" interval=10 1700000000:10280\n", 83), 0);
	assert_int_equal(tu_count(out, "\" interval=10 1700000000:"), 20);
	assert_true(collectd_ok(out, &lines));
	free(out);
	hostset_free(&s);
}

static void test_json_golden(void **state)
{
	struct hostset s;
	struct export_ctx x;
	char *out;

	make_hosts(&s);
	make_ctx(&x, &s);
	assert_true(json_valid(json_golden));
	out = run_exporter("json", &x);
	assert_string_equal(out, json_golden);
	assert_true(json_valid(out));
	free(out);
	hostset_free(&s);
}

/* The family rule: an address in it, or packets counted in it (either direction). */
static void test_family_reporting(void **state)
{
	struct hostset s = { 0 };
	struct export_ctx x;
	struct host *h;
	char *out;

	upsert(&s, "v6only", "fd00::7");
	upsert(&s, "v6rx", "fd00::8");
	h = hostset_find(&s, "v6rx");
	assert_non_null(h);
	h->rx[FAM_V4] = (struct counter){ .packets = 2, .bytes = 120 };
	make_ctx(&x, &s);

	out = run_exporter("influx", &x);
	assert_string_equal(out,
		"iptmon,host=v6only,family=ipv6,direction=tx bytes=0i,packets=0i" TS
		"iptmon,host=v6only,family=ipv6,direction=rx bytes=0i,packets=0i" TS
		"iptmon,host=v6rx,family=ipv4,direction=tx bytes=0i,packets=0i" TS
		"iptmon,host=v6rx,family=ipv4,direction=rx bytes=120i,packets=2i" TS
		"iptmon,host=v6rx,family=ipv6,direction=tx bytes=0i,packets=0i" TS
		"iptmon,host=v6rx,family=ipv6,direction=rx bytes=0i,packets=0i" TS);
	free(out);

	out = run_exporter("collectd", &x);
	assert_int_equal(tu_count(out, "_v6only\""), 4);
	assert_int_equal(tu_count(out, "/ip6tables-"), 8);
	assert_int_equal(tu_count(out, "/iptables-"), 4);
	assert_null(strstr(out, "/iptables-mangle-iptmon_tx/ipt_bytes-tx_v6only"));
	assert_non_null(strstr(out, "PUTVAL \"router/iptables-mangle-iptmon_rx/ipt_packets-rx_v6rx\" "
				    "1700000000:2\n"));
	free(out);

	out = run_exporter("prometheus", &x);
	assert_null(strstr(out, "{host=\"v6only\",mac=\"\",family=\"ipv4\""));
	assert_int_equal(tu_count(out, "{host=\"v6only\",mac=\"\",family=\"ipv6\""), 4);
	assert_int_equal(tu_count(out, "{host=\"v6rx\",mac=\"\",family=\"ipv4\""), 4);
	assert_non_null(strstr(out, "iptmon_host_bytes_total{host=\"v6rx\",mac=\"\",family=\"ipv4\","
				    "direction=\"rx\"} 120\n"));
	assert_non_null(strstr(out, "\niptmon_hosts 2\n"));
	free(out);
	hostset_free(&s);
}

static void test_empty_hostset(void **state)
{
	struct hostset s = { 0 };
	struct export_ctx x;
	unsigned int n;
	char *out;

	make_ctx(&x, &s);
	out = run_exporter("prometheus", &x);
	assert_string_equal(out,
		"# HELP iptmon_host_bytes_total Bytes counted per host, family and direction "
		"(tx: to the host, rx: from the host).\n"
		"# TYPE iptmon_host_bytes_total counter\n"
		"# HELP iptmon_host_packets_total Packets counted per host, family and direction.\n"
		"# TYPE iptmon_host_packets_total counter\n"
		"# HELP iptmon_hosts Hosts counted.\n"
		"# TYPE iptmon_hosts gauge\n"
		"iptmon_hosts 0\n"
		"# HELP iptmon_info The backend counting.\n"
		"# TYPE iptmon_info gauge\n"
		"iptmon_info{backend=\"nft\"} 1\n");
	assert_true(prom_ok(out, &n));
	assert_int_equal(n, 2);
	free(out);
	out = run_exporter("influx", &x);
	assert_string_equal(out, "");
	free(out);
	out = run_exporter("collectd", &x);
	assert_string_equal(out, "");
	free(out);
	out = run_exporter("json", &x);
	assert_string_equal(out, "{\"backend\": \"nft\", \"source\": \"kernel\", \"hosts\": []}\n");
	free(out);
}

/* ---- hostile names ---- */

/* '"', '\', ',', ' ', '=', '/' and a newline: set directly, past the sanitizer. */
static const char hostile_name[] = "a\"b\\c,d e=f/g\nh";
static const char hostile_hostname[] = "a\"b/c\\d";

static void make_hostile(struct hostset *s)
{
	struct host *h;

	memset(s, 0, sizeof(*s));
	upsert(s, "evil", "10.0.0.9");
	h = hostset_find(s, "evil");
	assert_non_null(h);
	assert_true(strlen(hostile_name) < sizeof(h->name));
	strcpy(h->name, hostile_name);
	h->tx[FAM_V4] = (struct counter){ .packets = 2, .bytes = 200 };
}

#define HOSTILE_PROM "host=\"a\\\"b\\\\c,d e=f/g\\nh\",mac=\"\""

static void test_hostile_prometheus(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int samples;
	char *out;

	make_hostile(&s);
	make_ctx(&x, &s);
	x.hostname = hostile_hostname;
	out = run_exporter("prometheus", &x);
	assert_string_equal(out,
		"# HELP iptmon_host_bytes_total Bytes counted per host, family and direction "
		"(tx: to the host, rx: from the host).\n"
		"# TYPE iptmon_host_bytes_total counter\n"
		"iptmon_host_bytes_total{" HOSTILE_PROM ",family=\"ipv4\",direction=\"tx\"} 200\n"
		"iptmon_host_bytes_total{" HOSTILE_PROM ",family=\"ipv4\",direction=\"rx\"} 0\n"
		"# HELP iptmon_host_packets_total Packets counted per host, family and direction.\n"
		"# TYPE iptmon_host_packets_total counter\n"
		"iptmon_host_packets_total{" HOSTILE_PROM ",family=\"ipv4\",direction=\"tx\"} 2\n"
		"iptmon_host_packets_total{" HOSTILE_PROM ",family=\"ipv4\",direction=\"rx\"} 0\n"
		"# HELP iptmon_hosts Hosts counted.\n"
		"# TYPE iptmon_hosts gauge\n"
		"iptmon_hosts 1\n"
		"# HELP iptmon_info The backend counting.\n"
		"# TYPE iptmon_info gauge\n"
		"iptmon_info{backend=\"nft\"} 1\n");
	assert_true(prom_ok(out, &samples));
	assert_int_equal(samples, 6);
	free(out);

	/* a hostile backend name is escaped too */
	x.backend = "x\"y\\z\n";
	out = run_exporter("prometheus", &x);
	assert_non_null(strstr(out, "\niptmon_info{backend=\"x\\\"y\\\\z\\n\"} 1\n"));
	assert_true(prom_ok(out, &samples));
	free(out);
	hostset_free(&s);
}

/* The current period's gauges, hostile names included. */
static void test_prom_period(void **state)
{
	struct hostset s;
	struct tu_capture c;
	unsigned int samples;

	make_hostile(&s);
	prom_period(tu_capture_open(&c), &s, 1793491200, 1796083200);
	tu_capture_close(&c);
	assert_string_equal(c.buf,
		"# HELP iptmon_host_period_bytes Bytes counted in the current accounting period.\n"
		"# TYPE iptmon_host_period_bytes gauge\n"
		"iptmon_host_period_bytes{" HOSTILE_PROM ",family=\"ipv4\",direction=\"tx\"} 200\n"
		"iptmon_host_period_bytes{" HOSTILE_PROM ",family=\"ipv4\",direction=\"rx\"} 0\n"
		"# HELP iptmon_host_period_packets Packets counted in the current accounting period.\n"
		"# TYPE iptmon_host_period_packets gauge\n"
		"iptmon_host_period_packets{" HOSTILE_PROM ",family=\"ipv4\",direction=\"tx\"} 2\n"
		"iptmon_host_period_packets{" HOSTILE_PROM ",family=\"ipv4\",direction=\"rx\"} 0\n"
		"# HELP iptmon_period_start_seconds Start of the current accounting period (Unix time).\n"
		"# TYPE iptmon_period_start_seconds gauge\n"
		"iptmon_period_start_seconds 1793491200\n"
		"# HELP iptmon_period_end_seconds End of the current accounting period (Unix time).\n"
		"# TYPE iptmon_period_end_seconds gauge\n"
		"iptmon_period_end_seconds 1796083200\n");
	assert_true(prom_ok(c.buf, &samples));
	assert_int_equal(samples, 6);
	tu_capture_free(&c);
	hostset_free(&s);
}

static void test_hostile_influx(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int lines;
	char *out;

	make_hostile(&s);
	make_ctx(&x, &s);
	x.hostname = hostile_hostname;
	out = run_exporter("influx", &x);
	assert_string_equal(out,
		"iptmon,host=a\"b\\\\c\\,d\\ e\\=f/g_h,family=ipv4,direction=tx bytes=200i,packets=2i" TS
		"iptmon,host=a\"b\\\\c\\,d\\ e\\=f/g_h,family=ipv4,direction=rx bytes=0i,packets=0i" TS);
	assert_true(influx_ok(out, &lines));
	assert_int_equal(lines, 2);
	free(out);

	/* a MAC tag goes through the same escaper */
	strcpy(s.v[0].mac, "a b,c=d");
	out = run_exporter("influx", &x);
	assert_int_equal(tu_count(out, ",mac=a\\ b\\,c\\=d,family=ipv4,"), 2);
	assert_true(influx_ok(out, &lines));
	free(out);
	hostset_free(&s);
}

#define HOSTILE_CD_HOST "a\\\"b_c\\\\d"
#define HOSTILE_CD_NAME "a\\\"b\\\\c,d e=f_g_h"

static void test_hostile_collectd(void **state)
{
	struct hostset s;
	struct export_ctx x;
	unsigned int lines;
	char *out;

	make_hostile(&s);
	make_ctx(&x, &s);
	x.hostname = hostile_hostname;
	out = run_exporter("collectd", &x);
	assert_string_equal(out,
		"PUTVAL \"" HOSTILE_CD_HOST "/iptables-mangle-iptmon_tx/ipt_bytes-tx_" HOSTILE_CD_NAME
		"\" 1700000000:200\n"
		"PUTVAL \"" HOSTILE_CD_HOST "/iptables-mangle-iptmon_tx/ipt_packets-tx_" HOSTILE_CD_NAME
		"\" 1700000000:2\n"
		"PUTVAL \"" HOSTILE_CD_HOST "/iptables-mangle-iptmon_rx/ipt_bytes-rx_" HOSTILE_CD_NAME
		"\" 1700000000:0\n"
		"PUTVAL \"" HOSTILE_CD_HOST "/iptables-mangle-iptmon_rx/ipt_packets-rx_" HOSTILE_CD_NAME
		"\" 1700000000:0\n");
	/* exactly two '/' per identifier: none came from the names */
	assert_true(collectd_ok(out, &lines));
	assert_int_equal(lines, 4);
	assert_int_equal(tu_count(out, "/"), 8);
	free(out);
	hostset_free(&s);
}

static void test_hostile_json(void **state)
{
	struct hostset s;
	struct export_ctx x;
	char *out;

	make_hostile(&s);
	make_ctx(&x, &s);
	x.hostname = hostile_hostname;
	out = run_exporter("json", &x);
	assert_string_equal(out,
		"{\"backend\": \"nft\", \"source\": \"kernel\", \"hosts\": [\n"
		"  {\"name\": \"a\\\"b\\\\c,d e=f/g\\nh\", \"mac\": null, \"addresses\": [\"10.0.0.9\"], "
		"\"ipv4\": {\"tx_bytes\": 200, \"tx_packets\": 2, \"rx_bytes\": 0, \"rx_packets\": 0}, "
		"\"ipv6\": " ZERO_COUNTERS "}\n"
		"]}\n");
	assert_true(json_valid(out));
	free(out);
	hostset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkers),
		cmocka_unit_test(test_prom_label_value),
		cmocka_unit_test(test_influx_tag_value),
		cmocka_unit_test(test_collectd_ident),
		cmocka_unit_test(test_escape_long),
		cmocka_unit_test(test_exporter_find),
		cmocka_unit_test(test_prometheus_golden),
		cmocka_unit_test(test_influx_golden),
		cmocka_unit_test(test_collectd_golden),
		cmocka_unit_test(test_collectd_interval),
		cmocka_unit_test(test_prom_period),
		cmocka_unit_test(test_json_golden),
		cmocka_unit_test(test_family_reporting),
		cmocka_unit_test(test_empty_hostset),
		cmocka_unit_test(test_hostile_prometheus),
		cmocka_unit_test(test_hostile_influx),
		cmocka_unit_test(test_hostile_collectd),
		cmocka_unit_test(test_hostile_json),
	};

	tu_init();
	return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
