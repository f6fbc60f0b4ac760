// SPDX-License-Identifier: GPL-2.0-or-later
/* The key = value configuration file and --key=value overrides. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counting.h"
#include "http.h"

const struct config_key config_keys[] = {
	{ "backend", "auto", "auto, nft, iptables, iptables-legacy or iptables-nft" },
	{ "lease_file", "/tmp/dhcp.leases", "dnsmasq's lease file (names for arp-* events)" },
	{ "hosts_files", "/etc/hosts /tmp/hosts/*", "static hosts files, blank-separated, globs allowed" },
	{ "ula_prefix", "", "IPv6 prefix whose addresses are not counted (e.g. fd12:3456::/48)" },
	{ "lock_file", "/var/run/iptmon.lock", "lock that serialises concurrent invocations" },
	{ "max_hosts", "65536", "nft: most addresses per family the maps hold (memory bound)" },
	{ "hostname", "", "collectd's host field in metrics (default: the system's hostname)" },
	{ "interval", "10", "daemon: seconds between polls of the kernel's counters" },
	{ "commit_interval", "3600", "daemon: seconds between state file writes (flash wear)" },
	{ "state_dir", "/var/lib/iptmon", "daemon: where the totals are kept (persistent storage)" },
	{ "run_dir", "/var/run/iptmon", "daemon: pid lock and live totals for `show` (tmpfs)" },
	{ "period_start", "1", "accounting periods: day of month (1-31), or YYYY-MM-DD/N for every N days" },
	{ "periods_kept", "12", "accounting periods kept besides the current one (0-1000)" },
	{ "forget_after", "604800", "daemon: seconds a host gone from the kernel stays in the all-time totals (0: forever)" },
	{ "max_remembered", "4096", "daemon: most hosts remembered; beyond, the longest gone are dropped" },
	{ "listen", "127.0.0.1:9678", "daemon: HTTP ADDR:PORT for /metrics and /api/hosts; off for none" },
	{ "history_hour", "on", "daemon: keep each host's last hour, minute by minute, for the page and /api/history (on or off: 180 bytes a host that moved bytes in it; never kept with listen = off)" },
	{ "http_clients", "128", "daemon: most HTTP connections at once (1-1024)" },
	{ "influx_url", "", "daemon: InfluxDB write URL (1.x .../write?db=D, 2.x .../api/v2/write?org=O&bucket=B)" },
	{ "influx_token", "", "daemon: InfluxDB 2.x token (1.x: put u=/p= in influx_url)" },
	{ "influx_gzip", "on", "daemon: send InfluxDB batches gzip-compressed, and keep them so while InfluxDB is down (on or off)" },
	{ "collectd_socket", "", "daemon: collectd unixsock path to send PUTVAL to" },
	{ "discover", "on", "daemon: count every neighbour of discover_interfaces (on or off)" },
	{ "discover_interfaces", "br-lan", "daemon: LAN interfaces whose neighbours are counted, blank-separated" },
	{ "discover_grace", "3600", "daemon: seconds a stale or deleted neighbour stays counted" },
	{ "counting", "auto", "daemon: forward (the forward hook's counters), conntrack (per-flow counters, right under flow offloading) or auto (conntrack while a flowtable is active)" },
	{ "conntrack_dump_interval", "0", "daemon, counting from conntrack: seconds between dumps of the live flows (0: every poll); ended flows count at every poll" },
	{ NULL, NULL, NULL },
};

static const char *const backends[] = { "auto", "nft", "iptables", "iptables-legacy",
					"iptables-nft", NULL };

/* The whole-number keys: where each goes and its range. */
static const struct uint_key {
	const char *name;
	size_t offset;
	unsigned long lo, hi;
	const char *unit;
} uint_keys[] = {
	{ "interval", offsetof(struct config, interval), 1, 31536000, "seconds, " },
	{ "commit_interval", offsetof(struct config, commit_interval), 1, 31536000, "seconds, " },
	{ "max_hosts", offsetof(struct config, max_hosts), 1, 16777216, NULL },
	{ "periods_kept", offsetof(struct config, periods_kept), 0, 1000, NULL },
	{ "forget_after", offsetof(struct config, forget_after), 0, 315360000, "seconds, " },
	{ "max_remembered", offsetof(struct config, max_remembered), 1, 16777216, NULL },
	{ "http_clients", offsetof(struct config, http_clients), 1, 1024, NULL },
	{ "discover_grace", offsetof(struct config, discover_grace), 0, 31536000, "seconds, " },
	{ "conntrack_dump_interval", offsetof(struct config, conntrack_dump_interval), 0, 86400, "seconds, " },
	{ NULL, 0, 0, 0, NULL },
};

static int set_string(char *dst, size_t size, const char *key, const char *value, char *err,
		      size_t errlen)
{
	if (strlen(value) >= size) {
		snprintf(err, errlen, "value of '%s' is too long", key);
		return -EINVAL;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

/* Checks of string values (KEY names them in the message); *value may be replaced (listen's
 * "off"). 0 or -EINVAL. */
static int check_backend(const char *key, const char **value, char *err, size_t errlen)
{
	for (const char *const *b = backends; *b; b++)
		if (!strcmp(*b, *value))
			return 0;
	snprintf(err, errlen, "bad %s '%.64s' (auto, nft, iptables, iptables-legacy, iptables-nft)",
		 key, *value);
	return -EINVAL;
}

static int check_nonempty(const char *key, const char **value, char *err, size_t errlen)
{
	if (**value)
		return 0;
	snprintf(err, errlen, "%s must not be empty", key);
	return -EINVAL;
}

static int check_onoff(const char *key, const char **value, char *err, size_t errlen)
{
	if (!strcmp(*value, "on") || !strcmp(*value, "off"))
		return 0;
	snprintf(err, errlen, "bad %s '%.64s' (on or off)", key, *value);
	return -EINVAL;
}

static int check_url(const char *key, const char **value, char *err, size_t errlen)
{
	if (!**value || !strncmp(*value, "http://", 7) || !strncmp(*value, "https://", 8))
		return 0;
	snprintf(err, errlen, "bad %s '%.64s' (http:// or https:// URL)", key, *value);
	return -EINVAL;
}

static int check_listen(const char *key, const char **value, char *err, size_t errlen)
{
	struct sockaddr_storage ss;

	if (!strcmp(*value, "off"))
		*value = "";
	if (!**value || !listen_parse(*value, &ss))
		return 0;
	snprintf(err, errlen,
		 "bad %s '%.64s' (ADDR:PORT such as 127.0.0.1:9678 or [::1]:9678, or off)",
		 key, *value);
	return -EINVAL;
}

static int check_counting(const char *key, const char **value, char *err, size_t errlen)
{
	if (counting_parse(*value) >= 0)
		return 0;
	snprintf(err, errlen, "bad %s '%.64s' (auto, forward, conntrack)", key, *value);
	return -EINVAL;
}

/* The string keys: where each goes and how its value is checked. */
#define STR_KEY(field, check) \
	{ #field, offsetof(struct config, field), sizeof(((struct config *)0)->field), check }
static const struct str_key {
	const char *name;
	size_t offset, size;
	int (*check)(const char *key, const char **value, char *err, size_t errlen);
} str_keys[] = {
	STR_KEY(backend, check_backend),
	STR_KEY(lease_file, NULL),
	STR_KEY(hostname, NULL),
	STR_KEY(hosts_files, NULL),
	STR_KEY(lock_file, check_nonempty),
	STR_KEY(state_dir, NULL),
	STR_KEY(run_dir, NULL),
	STR_KEY(influx_token, NULL),
	STR_KEY(influx_url, check_url),
	STR_KEY(influx_gzip, check_onoff),
	STR_KEY(collectd_socket, NULL),
	STR_KEY(listen, check_listen),
	STR_KEY(history_hour, check_onoff),
	STR_KEY(discover, check_onoff),
	STR_KEY(discover_interfaces, NULL),
	STR_KEY(counting, check_counting),
	{ NULL, 0, 0, NULL },
};

static int set_period(struct config *c, const char *value, char *err, size_t errlen)
{
	struct period_spec p; /* a refused value leaves the configured period as it was */

	if (period_parse(&p, value) || strlen(value) >= sizeof(c->period_start)) {
		snprintf(err, errlen,
			 "bad period_start '%.64s' (day of month 1-31, or YYYY-MM-DD/N for every N days)",
			 value);
		return -EINVAL;
	}
	c->period = p;
	return set_string(c->period_start, sizeof(c->period_start), "period_start", value, err,
			  errlen);
}

static int set_ula(struct config *c, const char *value, char *err, size_t errlen)
{
	struct prefix ula; /* a refused value leaves the configured prefix as it was */

	if (*value && (prefix_parse(&ula, value) || ula.addr.fam != FAM_V6)) {
		snprintf(err, errlen, "bad ula_prefix '%.64s' (an IPv6 prefix such as fd00::/48)",
			 value);
		return -EINVAL;
	}
	c->has_ula = *value != '\0';
	if (c->has_ula)
		c->ula = ula;
	return 0;
}

static int set_uint(struct config *c, const struct uint_key *u, const char *value, char *err,
		    size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || !isdigit((unsigned char)*value) || *end || v < u->lo || v > u->hi) {
		snprintf(err, errlen, "bad %s '%.64s' (%s%lu to %lu)", u->name, value,
			 u->unit ? u->unit : "", u->lo, u->hi);
		return -EINVAL;
	}
	*(unsigned int *)((char *)c + u->offset) = (unsigned int)v;
	return 0;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	for (const struct str_key *k = str_keys; k->name; k++) {
		if (strcmp(key, k->name))
			continue;
		if (k->check && k->check(key, &value, err, errlen))
			return -EINVAL;
		return set_string((char *)c + k->offset, k->size, key, value, err, errlen);
	}
	for (const struct uint_key *u = uint_keys; u->name; u++)
		if (!strcmp(key, u->name))
			return set_uint(c, u, value, err, errlen);
	if (!strcmp(key, "period_start"))
		return set_period(c, value, err, errlen);
	if (!strcmp(key, "ula_prefix"))
		return set_ula(c, value, err, errlen);
	snprintf(err, errlen, "unknown key '%.64s'", key);
	return -ENOENT;
}

void config_defaults(struct config *c)
{
	char err[160];

	memset(c, 0, sizeof(*c));
	for (const struct config_key *k = config_keys; k->name; k++)
		config_set(c, k->name, k->def, err, sizeof(err));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	char line[4096], msg[200];
	unsigned int lineno = 0;
	FILE *f;
	int ret = 0;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *value, *eq;
		size_t vlen;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			ret = -EINVAL;
			break;
		}
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		/* A comment may follow a value after a blank, outside quotes. */
		{
			char *from = value;

			if (*value == '"' && strchr(value + 1, '"'))
				from = strchr(value + 1, '"');
			if (*value == '#')
				*value = '\0';
			for (char *h = from; (h = strchr(h, '#')); h++)
				if (h > value && (h[-1] == ' ' || h[-1] == '\t')) {
					*h = '\0';
					value = trim(value);
					break;
				}
		}
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		ret = config_set(c, key, value, msg, sizeof(msg));
		if (ret) {
			ret = -EINVAL; /* -ENOENT means a missing file */
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			break;
		}
	}
	if (!ret && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		ret = -EIO;
	}
	fclose(f);
	return ret;
}

/* "--KEY=VALUE": KEY (dashes as '_') into key, VALUE's start; NULL when ARG is not one. */
static const char *option_split(const char *arg, char *key, size_t keylen)
{
	const char *eq;

	if (strncmp(arg, "--", 2))
		return NULL;
	eq = strchr(arg, '=');
	if (!eq || eq == arg + 2 || (size_t)(eq - arg - 2) >= keylen)
		return NULL;
	memcpy(key, arg + 2, (size_t)(eq - arg - 2));
	key[eq - arg - 2] = '\0';
	for (char *p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	return eq + 1;
}

int config_is_option(const char *arg)
{
	char key[64];

	if (!option_split(arg, key, sizeof(key)))
		return 0;
	for (const struct config_key *k = config_keys; k->name; k++)
		if (!strcmp(k->name, key))
			return 1;
	return 0;
}

int config_build(struct config *out, const char *path, int noverrides, char *const *overrides,
		 char *err, size_t errlen)
{
	struct config *c = malloc(sizeof(*c));
	char key[64], msg[256];
	int ret;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	config_defaults(c);
	ret = config_load(c, path ? path : CONFIG_DEFAULT_PATH, err, errlen);
	if (ret == -ENOENT && !path)
		ret = 0;
	for (int i = 0; !ret && i < noverrides; i++) {
		const char *value = option_split(overrides[i], key, sizeof(key));

		if (!value) {
			snprintf(err, errlen, "option '%.64s': not --KEY=VALUE", overrides[i]);
			ret = -EINVAL;
		} else if (config_set(c, key, value, msg, sizeof(msg))) {
			snprintf(err, errlen, "option '%.64s': %s", overrides[i], msg);
			ret = -EINVAL;
		}
	}
	if (!ret)
		*out = *c;
	free(c);
	return ret;
}
