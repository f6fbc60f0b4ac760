/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_CONFIG_H
#define IPTMON_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "period.h"

#define CONFIG_DEFAULT_PATH "/etc/iptmon.conf"

struct config {
	char backend[32];
	char counting[16]; /* daemon: auto, forward or conntrack (counting.h) */
	char lease_file[PATH_MAX];
	char hosts_files[2048];
	char lock_file[PATH_MAX];
	char hostname[256]; /* collectd's host field; "" = the system's */
	unsigned int max_hosts;
	unsigned int interval, commit_interval; /* daemon, seconds */
	char state_dir[PATH_MAX];
	char run_dir[PATH_MAX];	     /* daemon: pid lock and live totals for `show` (tmpfs) */
	char listen[128];	     /* "ADDR:PORT", "" = no HTTP server */
	char history_hour[4];	     /* daemon: "on" or "off": each host's last hour (history.h) */
	char influx_url[1024];	     /* full write URL, "" = no push */
	char influx_token[512];
	char influx_gzip[4];	     /* daemon: "on" or "off": batches gzip-compressed (membuf.c) */
	char collectd_socket[108];   /* unixsock path, "" = none */
	char period_start[32];	     /* as given, for messages */
	struct period_spec period;
	unsigned int periods_kept;
	unsigned int forget_after;   /* daemon: seconds gone before a host leaves the totals */
	unsigned int max_remembered; /* daemon: most hosts in the totals */
	unsigned int http_clients;   /* most HTTP connections at once */
	char discover[8];	     /* daemon: "on" or "off": host discovery (discd.c) */
	char discover_interfaces[256]; /* daemon: blank-separated LAN interfaces watched */
	unsigned int discover_grace; /* daemon: seconds a stale or deleted neighbour stays */
	unsigned int conntrack_dump_interval; /* daemon: seconds between conntrack dumps, 0: each poll */
	bool has_ula;
	struct prefix ula;
};

struct config_key {
	const char *name;
	const char *def;
	const char *help;
};

/* The keys, in the order --help and the man page list them; NULL-terminated. */
extern const struct config_key config_keys[];

void config_defaults(struct config *c);
/* 0, -ENOENT for an unknown key, -EINVAL for a bad value; err says which. */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
/* Reads a key = value file; a missing file is -ENOENT (err set), other failures name the line. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* 1 when ARG is "--KEY=VALUE" for a configuration key (dashes in KEY count as '_'). */
int config_is_option(const char *arg);
/*
 * The configuration as every command and every SIGHUP sees it, built in one place: the
 * defaults, then the file at PATH (NULL: CONFIG_DEFAULT_PATH, which may be missing; a path
 * given explicitly must exist), then the NOVERRIDES "--KEY=VALUE" strings in order. OUT is
 * written only on success. 0; -EINVAL for a bad line, key or value (err says which), another
 * -errno for a file that cannot be read.
 */
int config_build(struct config *out, const char *path, int noverrides, char *const *overrides,
		 char *err, size_t errlen);

#endif
