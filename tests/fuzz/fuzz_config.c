// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration (src/config.c): a key = value file (config_load) and single --KEY=VALUE
 * overrides (config_set). Whatever is accepted leaves a configuration the rest of the program
 * can trust: strings terminated within their fields, numbers within their documented ranges,
 * a listen address listen_parse() takes, a period period_parse() takes, a known backend, an
 * IPv6 ULA prefix; a refused override changes nothing; every refusal says why in one terminated line (an override's message may
 * quote a newline of the override itself: those come from the command line, not from outside).
 */
#include "fuzz.h"

#include <errno.h>

#include "config.h"
#include "http.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check_config(const struct config *c)
{
	static const char *const backends[] = { "auto", "nft", "iptables", "iptables-legacy",
						"iptables-nft" };
	struct sockaddr_storage ss;
	struct period_spec p;
	bool known = false;

	FZ_CHECK(TERMINATED(c->backend) && TERMINATED(c->lease_file) &&
			 TERMINATED(c->hosts_files) && TERMINATED(c->lock_file) &&
			 TERMINATED(c->hostname) && TERMINATED(c->state_dir) &&
			 TERMINATED(c->run_dir) && TERMINATED(c->listen) &&
			 TERMINATED(c->influx_url) && TERMINATED(c->influx_token) &&
			 TERMINATED(c->collectd_socket) && TERMINATED(c->period_start),
		 "an unterminated string field");
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		known |= !strcmp(c->backend, backends[i]);
	FZ_CHECK(known, "backend '%s'", c->backend);
	FZ_CHECK(c->lock_file[0], "empty lock_file");
	FZ_CHECK(c->interval >= 1 && c->interval <= 31536000, "interval %u", c->interval);
	FZ_CHECK(c->commit_interval >= 1 && c->commit_interval <= 31536000, "commit_interval %u",
		 c->commit_interval);
	FZ_CHECK(c->max_hosts >= 1 && c->max_hosts <= 16777216, "max_hosts %u", c->max_hosts);
	FZ_CHECK(c->periods_kept <= 1000, "periods_kept %u", c->periods_kept);
	FZ_CHECK(c->http_clients >= 1 && c->http_clients <= 1024, "http_clients %u",
		 c->http_clients);
	FZ_CHECK(!c->listen[0] || !listen_parse(c->listen, &ss), "listen '%s'", c->listen);
	FZ_CHECK(!period_parse(&p, c->period_start) && !memcmp(&p, &c->period, sizeof(p)),
		 "period_start '%s' does not match its spec", c->period_start);
	FZ_CHECK(!c->influx_url[0] || !strncmp(c->influx_url, "http://", 7) ||
			 !strncmp(c->influx_url, "https://", 8),
		 "influx_url '%s'", c->influx_url);
	FZ_CHECK(!c->has_ula || (c->ula.addr.fam == FAM_V6 && c->ula.len <= 128), "ula_prefix");
}

/* A refusal says why, on one line unless it quotes a newline the caller gave (quoted). */
static void check_err(int ret, const char *err, size_t errlen, bool quoted_nl)
{
	if (!ret)
		return;
	FZ_CHECK(memchr(err, '\0', errlen) && err[0], "refused (%d) without a message", ret);
	FZ_CHECK(quoted_nl || !strchr(err, '\n'), "message on several lines: %s", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, before; /* big: not on the stack */
	char err[400], *f[2];
	int ret;

	if (size < 1)
		return 0;
	if (data[0] & 1) { /* one override: KEY NUL VALUE */
		config_defaults(&c);
		check_config(&c);
		fz_split(data + 1, size - 1, f, 2);
		memset(err, 'x', sizeof(err));
		err[sizeof(err) - 1] = '\0';
		before = c;
		ret = config_set(&c, f[0], f[1] ? f[1] : "", err, sizeof(err));
		FZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOENT, "config_set gave %d", ret);
		FZ_CHECK(!ret || !memcmp(&before, &c, sizeof(c)),
			 "refused %s='%s' changed the configuration", f[0], f[1] ? f[1] : "");
		check_err(ret, err, sizeof(err),
			  strchr(f[0], '\n') || (f[1] && strchr(f[1], '\n')));
		check_config(&c);
		free(f[0]);
		return 0;
	}
	config_defaults(&c);
	ret = config_load(&c, fz_file(data + 1, size - 1), err, sizeof(err));
	FZ_CHECK(ret == 0 || ret == -EINVAL || ret == -EIO, "config_load gave %d: %s", ret, err);
	check_err(ret, err, sizeof(err), false); /* a line of the file never holds one */
	check_config(&c);
	return 0;
}
