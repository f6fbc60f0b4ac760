// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/config.c: defaults, config_set(), config_load(). */
#include "testutil.h"

#include "config.h"


/* Writes CONTENT to a file in the fixture's directory and loads it over the defaults. */
static int load(void **state, const char *content, struct config *c, char *err, size_t errlen)
{
	struct fixture *fx = *state;
	char *path = tu_write_in(fx->dir, "iptmon.conf", content);
	int ret;

	config_defaults(c);
	err[0] = '\0';
	ret = config_load(c, path, err, errlen);
	free(path);
	return ret;
}

static void test_defaults(void **state)
{
	struct config c;

	memset(&c, 0x55, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.backend, "auto");
	assert_string_equal(c.lease_file, "/tmp/dhcp.leases");
	assert_string_equal(c.hosts_files, "/etc/hosts /tmp/hosts/*");
	assert_string_equal(c.lock_file, "/var/run/iptmon.lock");
	assert_false(c.has_ula);
}

static void test_config_keys_table(void **state)
{
	static const char *const names[] = { "backend", "lease_file", "hosts_files", "ula_prefix",
					     "lock_file", "max_hosts", "hostname", "interval",
					     "commit_interval", "state_dir", "run_dir", "period_start",
					     "periods_kept", "forget_after", "max_remembered", "listen",
					     "history_hour",
					     "http_clients", "influx_url",
					     "influx_token", "influx_gzip", "collectd_socket", "discover",
					     "discover_interfaces", "discover_grace", "counting",
					     "conntrack_dump_interval" };
	struct config c;
	char err[200];
	size_t n = 0;

	config_defaults(&c);
	for (const struct config_key *k = config_keys; k->name; k++, n++) {
		assert_true(n < TU_ARRAY_SIZE(names));
		assert_string_equal(k->name, names[n]);
		assert_non_null(k->def);
		assert_non_null(k->help);
		assert_true(strlen(k->help) > 0);
		/* every default is a value config_set() accepts */
		assert_int_equal(config_set(&c, k->name, k->def, err, sizeof(err)), 0);
	}
	assert_int_equal(n, TU_ARRAY_SIZE(names));
}

static void test_set_daemon_keys(void **state)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
		{ "listen", "9678" },	      { "listen", "127.0.0.1" },      { "listen", "127.0.0.1:0" },
		{ "listen", "127.0.0.1:65536" }, { "listen", "::1:9678" },      { "listen", "[::1]9678" },
		{ "listen", "localhost:9678" }, { "listen", "1.2.3:80" },	      { "listen", "[1.2.3.4]:80" },
		{ "listen", "127.0.0.1:80x" },  { "influx_url", "ftp://x/write" }, { "influx_url", "localhost:8086" },
		{ "period_start", "0" },	      { "period_start", "2026-02-30/7" }, { "periods_kept", "1001" },
		{ "periods_kept", "-1" },	      { "http_clients", "0" },	      { "http_clients", "1025" },
		{ "counting", "ct" },		      { "counting", "" },	      { "counting", "Conntrack" },
		{ "conntrack_dump_interval", "-1" }, { "conntrack_dump_interval", "86401" },
		{ "influx_gzip", "yes" },	      { "influx_gzip", "" },
		{ "history_hour", "1" },	      { "history_hour", "" },	      { "history_hour", "On" },
	};
	struct config c;
	char err[200];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:9678");
	assert_int_equal(c.periods_kept, 12);
	assert_int_equal(c.period.mday, 1);
	assert_string_equal(c.influx_url, "");
	assert_string_equal(c.collectd_socket, "");
	assert_string_equal(c.influx_gzip, "on");
	assert_int_equal(config_set(&c, "influx_gzip", "off", err, sizeof(err)), 0);
	assert_string_equal(c.influx_gzip, "off");
	assert_string_equal(c.history_hour, "on");
	assert_int_equal(config_set(&c, "history_hour", "off", err, sizeof(err)), 0);
	assert_string_equal(c.history_hour, "off");
	assert_string_equal(c.run_dir, "/var/run/iptmon");
	assert_int_equal(config_set(&c, "listen", "off", err, sizeof(err)), 0);
	assert_string_equal(c.listen, "");
	assert_int_equal(config_set(&c, "listen", "[::]:80", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "listen", "0.0.0.0:9678", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "period_start", "2026-01-05/7", err, sizeof(err)), 0);
	assert_int_equal(c.period.days, 7);
	assert_int_equal(config_set(&c, "periods_kept", "0", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "influx_url", "http://127.0.0.1:8086/write?db=x", err,
				    sizeof(err)), 0);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		if (config_set(&c, bad[i].key, bad[i].value, err, sizeof(err)) != -EINVAL)
			fail_msg("%s = %s accepted", bad[i].key, bad[i].value);
		assert_non_null(strstr(err, bad[i].key));
	}
}

static void test_set_max_hosts(void **state)
{
	static const char *const bad[] = { "", "0", "-1", "16777217", "12x", " 5", "99999999999999999999" };
	struct config c;
	char err[200];

	config_defaults(&c);
	assert_int_equal(c.max_hosts, 65536);
	assert_int_equal(config_set(&c, "max_hosts", "3", err, sizeof(err)), 0);
	assert_int_equal(c.max_hosts, 3);
	assert_int_equal(config_set(&c, "max_hosts", "16777216", err, sizeof(err)), 0);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		assert_int_equal(config_set(&c, "max_hosts", bad[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "max_hosts"));
		assert_int_equal(c.max_hosts, 16777216);
	}
}

static void test_set_backends(void **state)
{
	static const char *const ok[] = { "auto", "nft", "iptables", "iptables-legacy",
					  "iptables-nft" };
	static const char *const bad[] = { "", "nftables", "NFT", "IPTABLES", "iptables ",
					   " iptables", "iptables-", "auto\n" };
	struct config c;
	char err[200];

	config_defaults(&c);
	for (size_t i = 0; i < TU_ARRAY_SIZE(ok); i++) {
		assert_int_equal(config_set(&c, "backend", ok[i], err, sizeof(err)), 0);
		assert_string_equal(c.backend, ok[i]);
	}
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(config_set(&c, "backend", bad[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "backend"));
		/* a bad value leaves the old one */
		assert_string_equal(c.backend, "iptables-nft");
	}
}

/*
 * A refused value changes nothing, for every key (found by tests/fuzz/fuzz_config.c: a bad
 * period_start zeroed the configured period, a bad ula_prefix dropped the configured prefix).
 */
static void test_set_refused_changes_nothing(void **state)
{
	static const char *const bad[][2] = {
		{ "period_start", "" },		 { "period_start", "32" },
		{ "period_start", "2026-02-30/7" },
		{ "period_start", "2026-01-05/0000000000000000000000000000007" },
		{ "ula_prefix", "fd00::/ 48" },	 { "ula_prefix", "10.0.0.0/8" },
		{ "interval", "0" },		 { "listen", "127.0.0.1:0" },
		{ "backend", "nftables" },	 { "influx_url", "ftp://x" },
	};
	struct config c, before;
	char err[200];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "period_start", "2026-01-05/7", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "ula_prefix", "fd12:3456::/48", err, sizeof(err)), 0);
	before = c;
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		assert_int_equal(config_set(&c, bad[i][0], bad[i][1], err, sizeof(err)), -EINVAL);
		if (memcmp(&c, &before, sizeof(c)))
			fail_msg("refused %s = '%s' changed the configuration", bad[i][0], bad[i][1]);
	}
	assert_int_equal(c.period.days, 7);
	assert_true(c.has_ula);
	/* an empty ula_prefix is "none", still */
	assert_int_equal(config_set(&c, "ula_prefix", "", err, sizeof(err)), 0);
	assert_false(c.has_ula);
}

static void test_set_unknown_key(void **state)
{
	struct config c;
	char err[200];

	config_defaults(&c);
	assert_int_equal(config_set(&c, "bogus_key", "1", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "bogus_key"));
	assert_int_equal(config_set(&c, "Backend", "auto", err, sizeof(err)), -ENOENT);
	assert_int_equal(config_set(&c, "", "auto", err, sizeof(err)), -ENOENT);
}

static void test_set_ula(void **state)
{
	static const char *const bad[] = { "fd00::/129", "192.168.0.0/16", "garbage", "fd00::/",
					   "fd00::/-1", "10.0.0.1" };
	struct config c;
	char err[200];

	config_defaults(&c);
	assert_int_equal(config_set(&c, "ula_prefix", "fd12:3456::/48", err, sizeof(err)), 0);
	assert_true(c.has_ula);
	assert_int_equal(c.ula.addr.fam, FAM_V6);
	assert_int_equal(c.ula.len, 48);
	assert_int_equal(config_set(&c, "ula_prefix", "fd00::", err, sizeof(err)), 0);
	assert_true(c.has_ula);
	assert_int_equal(c.ula.len, 128);
	/* empty: no ULA filtering */
	assert_int_equal(config_set(&c, "ula_prefix", "", err, sizeof(err)), 0);
	assert_false(c.has_ula);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(config_set(&c, "ula_prefix", bad[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "ula_prefix"));
		assert_non_null(strstr(err, bad[i]));
		assert_false(c.has_ula);
	}
}

static void test_set_strings(void **state)
{
	struct config c;
	char err[200], *big;

	config_defaults(&c);
	assert_int_equal(config_set(&c, "lease_file", "/var/lib/misc/dnsmasq.leases", err,
				    sizeof(err)), 0);
	assert_string_equal(c.lease_file, "/var/lib/misc/dnsmasq.leases");
	assert_int_equal(config_set(&c, "hosts_files", "", err, sizeof(err)), 0);
	assert_string_equal(c.hosts_files, "");
	assert_int_equal(config_set(&c, "lock_file", "/run/x.lock", err, sizeof(err)), 0);
	assert_string_equal(c.lock_file, "/run/x.lock");
	err[0] = '\0';
	assert_int_equal(config_set(&c, "lock_file", "", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "lock_file"));
	assert_string_equal(c.lock_file, "/run/x.lock");

	/* values that do not fit are refused, not cut */
	big = malloc(PATH_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', PATH_MAX);
	big[PATH_MAX] = '\0';
	err[0] = '\0';
	assert_int_equal(config_set(&c, "lease_file", big, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	assert_string_equal(c.lease_file, "/var/lib/misc/dnsmasq.leases");
	big[PATH_MAX - 1] = '\0'; /* PATH_MAX - 1 bytes: fits */
	assert_int_equal(config_set(&c, "lease_file", big, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.lease_file), PATH_MAX - 1);
	free(big);

	big = malloc(sizeof(c.hosts_files) + 1);
	assert_non_null(big);
	memset(big, 'h', sizeof(c.hosts_files));
	big[sizeof(c.hosts_files)] = '\0';
	assert_int_equal(config_set(&c, "hosts_files", big, err, sizeof(err)), -EINVAL);
	free(big);
}

static void test_load_full(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state,
			      "# iptmon configuration\n"
			      "\n"
			      "backend=iptables-nft\n"
			      "   lease_file   =   /var/lib/misc/dnsmasq.leases   \n"
			      "hosts_files = \"/etc/hosts /etc/hosts.d/*\"\n"
			      "\t# an indented comment\n"
			      "  \t  \n"
			      "ula_prefix\t=\tfd12:3456::/48\n"
			      "lock_file=\"/run/iptmon.lock\"\n"
			      "# backend = iptables\n",
			      &c, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_string_equal(c.backend, "iptables-nft");
	assert_string_equal(c.lease_file, "/var/lib/misc/dnsmasq.leases");
	assert_string_equal(c.hosts_files, "/etc/hosts /etc/hosts.d/*");
	assert_string_equal(c.lock_file, "/run/iptmon.lock");
	assert_true(c.has_ula);
	assert_int_equal(c.ula.len, 48);
}

static void test_load_empty_and_comments_only(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state, "", &c, err, sizeof(err)), 0);
	assert_string_equal(c.backend, "auto");
	assert_int_equal(load(state, "# nothing\n\n   \n#backend=bogus\n", &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.backend, "auto");
	assert_string_equal(c.lease_file, "/tmp/dhcp.leases");
}

static void test_load_crlf_and_no_final_newline(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state, "backend = iptables\r\nlease_file = /x/y\r\n", &c, err,
			      sizeof(err)),
			 0);
	assert_string_equal(c.backend, "iptables");
	assert_string_equal(c.lease_file, "/x/y");
	assert_int_equal(load(state, "backend = iptables-legacy", &c, err, sizeof(err)), 0);
	assert_string_equal(c.backend, "iptables-legacy");
}

static void test_load_quotes(void **state)
{
	struct config c;
	char err[400];

	/* empty quotes: an empty value */
	assert_int_equal(load(state, "hosts_files = \"\"\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.hosts_files, "");
	/* only matching outer quotes are stripped, once */
	assert_int_equal(load(state, "lease_file = \"/a b\"\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.lease_file, "/a b");
	assert_int_equal(load(state, "lease_file = \"/a\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.lease_file, "\"/a");
	assert_int_equal(load(state, "lease_file = \"\"/a\"\"\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.lease_file, "\"/a\"");
	/* quoted backend names are compared without the quotes */
	assert_int_equal(load(state, "backend = \"iptables\"\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.backend, "iptables");
	/* a value may contain '=' */
	assert_int_equal(load(state, "lease_file = /tmp/a=b\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.lease_file, "/tmp/a=b");
	/* an empty ula_prefix clears an earlier one */
	assert_int_equal(load(state, "ula_prefix = fd00::/8\nula_prefix =\n", &c, err,
			      sizeof(err)),
			 0);
	assert_false(c.has_ula);
}

static void test_load_trailing_comment(void **state)
{
	struct config c;
	char err[400];

	/* a '#' after a blank starts a comment; the blanks before it go too */
	assert_int_equal(load(state, "lease_file = /x/leases   # dnsmasq's\n", &c, err,
			      sizeof(err)),
			 0);
	assert_string_equal(c.lease_file, "/x/leases");
	assert_int_equal(load(state, "lease_file = /x/leases\t# tab\n", &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.lease_file, "/x/leases");
	assert_int_equal(load(state, "backend = iptables # not nft\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.backend, "iptables");
	/* a '#' inside a value, with no blank before it, is part of the value */
	assert_int_equal(load(state, "lease_file = /x#y\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.lease_file, "/x#y");
	assert_int_equal(load(state, "lease_file = /x#y # c\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.lease_file, "/x#y");
	/* quotes, then a comment */
	assert_int_equal(load(state, "hosts_files = \"/a /b\"  # two\n", &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.hosts_files, "/a /b");
}

/*
 * Quotes protect a " #" inside the value: `hosts_files = "/a #b"` is "/a #b", not a cut
 * "\"/a" (once a bug, fixed: comments were cut before quotes were looked at). The man page
 * promises "optional double quotes around the value".
 */
static void test_load_quoted_value_keeps_hash(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state, "lease_file = \"/x/my #1 leases\"\n", &c, err,
			      sizeof(err)),
			 0);
	assert_string_equal(c.lease_file, "/x/my #1 leases");
}

static void test_load_unknown_key_line3(void **state)
{
	struct fixture *fx = *state;
	struct config c;
	char err[400];

	/* -EINVAL, not config_set()'s -ENOENT: -ENOENT means "no such file" to callers */
	assert_int_equal(load(state, "# comment\nbackend = auto\nbogus_key = 1\nlease_file = /x\n",
			      &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, fx->dir));
	assert_non_null(strstr(err, "iptmon.conf:3:"));
	assert_non_null(strstr(err, "bogus_key"));
	/* loading stopped at the bad line */
	assert_string_equal(c.lease_file, "/tmp/dhcp.leases");
}

static void test_load_bad_backend(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state, "\nbackend = nftables\n", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iptmon.conf:2:"));
	assert_non_null(strstr(err, "nftables"));
	assert_string_equal(c.backend, "auto");
}

static void test_load_bad_ula(void **state)
{
	static const char *const bad[] = { "fd00::/129", "192.168.0.0/16", "garbage" };
	struct config c;
	char content[200], err[400];

	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		snprintf(content, sizeof(content), "backend = auto\n\n\nula_prefix = %s\n", bad[i]);
		assert_int_equal(load(state, content, &c, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "iptmon.conf:4:"));
		assert_non_null(strstr(err, "ula_prefix"));
		assert_non_null(strstr(err, bad[i]));
	}
}

static void test_load_missing_equals(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state, "backend auto\n", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iptmon.conf:1:"));
	assert_int_equal(load(state, "backend = auto\n# ok\nlease_file\n", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "iptmon.conf:3:"));
	/* "= value" has an empty key, which is unknown */
	assert_int_equal(load(state, "= auto\n", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iptmon.conf:1:"));
}

static void test_load_empty_lock_file(void **state)
{
	struct config c;
	char err[400];

	assert_int_equal(load(state, "lock_file =\n", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iptmon.conf:1:"));
	assert_non_null(strstr(err, "lock_file"));
}

static void test_load_line_too_long(void **state)
{
	struct config c;
	char err[400], *content;
	size_t n = 5000;

	content = malloc(n + 32);
	assert_non_null(content);
	strcpy(content, "backend = auto\nlease_file = ");
	memset(content + strlen(content), 'x', n);
	content[strlen("backend = auto\nlease_file = ") + n] = '\0';
	strcat(content, "\n");
	assert_int_equal(load(state, content, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iptmon.conf:2:"));
	assert_non_null(strstr(err, "too long"));
	free(content);
}

static void test_load_missing_file(void **state)
{
	struct fixture *fx = *state;
	struct config c;
	char err[400], *path = tu_path(fx->dir, "does-not-exist.conf");

	config_defaults(&c);
	err[0] = '\0';
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	/* nothing changed */
	assert_string_equal(c.backend, "auto");
	free(path);
}

/* config_build: defaults, then the file, then the options in order; OUT only on success. */
static void test_build_layers(void **state)
{
	struct fixture *fx = *state;
	char *path = tu_write_in(fx->dir, "b.conf", "interval = 5\nlisten = 127.0.0.1:1\n");
	char *ovr[] = { "--listen=127.0.0.1:2", "--commit-interval=7", "--listen=off" };
	struct config c;
	char err[400];

	assert_int_equal(config_build(&c, path, 3, ovr, err, sizeof(err)), 0);
	assert_int_equal(c.interval, 5);
	assert_int_equal(c.commit_interval, 7);
	assert_string_equal(c.listen, "");
	assert_string_equal(c.backend, "auto");
	assert_int_equal(config_build(&c, path, 2, ovr, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:2");
	free(path);
}

static void test_build_failures(void **state)
{
	struct fixture *fx = *state;
	char *missing = tu_path(fx->dir, "nope.conf");
	char *bad = tu_write_in(fx->dir, "bad.conf", "interval = 0\n");
	char *ovr_bad[] = { "--interval=x" }, *ovr_unknown[] = { "--no-such-key=1" };
	char *ovr_ok[] = { "--interval=9" };
	struct config c, before;
	char err[400];

	config_defaults(&c);
	c.interval = 42;
	before = c;
	/* an explicit path must exist; OUT stays as it was */
	assert_int_equal(config_build(&c, missing, 1, ovr_ok, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, missing));
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(config_build(&c, bad, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1: bad interval '0'"));
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(config_build(&c, NULL, 1, ovr_bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "option '--interval=x': bad interval 'x'"));
	assert_int_equal(config_build(&c, NULL, 1, ovr_unknown, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key 'no_such_key'"));
	assert_memory_equal(&c, &before, sizeof(c));
	free(missing);
	free(bad);
}

static void test_is_option(void **state)
{
	(void)state;
	assert_true(config_is_option("--listen=off"));
	assert_true(config_is_option("--commit-interval=3"));
	assert_true(config_is_option("--state_dir="));
	assert_false(config_is_option("--format=json"));
	assert_false(config_is_option("--listen"));
	assert_false(config_is_option("listen=off"));
	assert_false(config_is_option("--=x"));
	assert_false(config_is_option("--config=/x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_config_keys_table),
		cmocka_unit_test(test_set_backends),
		cmocka_unit_test(test_set_daemon_keys),
		cmocka_unit_test(test_set_max_hosts),
		cmocka_unit_test(test_set_unknown_key),
		cmocka_unit_test(test_set_refused_changes_nothing),
		cmocka_unit_test(test_set_ula),
		cmocka_unit_test(test_set_strings),
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_load_empty_and_comments_only),
		cmocka_unit_test(test_load_crlf_and_no_final_newline),
		cmocka_unit_test(test_load_quotes),
		cmocka_unit_test(test_load_trailing_comment),
		cmocka_unit_test(test_load_quoted_value_keeps_hash),
		cmocka_unit_test(test_load_unknown_key_line3),
		cmocka_unit_test(test_load_bad_backend),
		cmocka_unit_test(test_load_bad_ula),
		cmocka_unit_test(test_load_missing_equals),
		cmocka_unit_test(test_load_empty_lock_file),
		cmocka_unit_test(test_load_line_too_long),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_build_layers),
		cmocka_unit_test(test_build_failures),
		cmocka_unit_test(test_is_option),
	};

	tu_init();
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
