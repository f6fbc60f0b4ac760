// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Static hosts files (/etc/hosts, dnsmasq's addn-hosts): statics_parse_line() on one line and
 * statics_read() on a whole file. A line gives two blank-free fields that fit their buffers
 * and hold no comment; a file gives hosts with valid names and countable addresses only,
 * each address held by one host.
 */
#include "fuzz.h"

#include "config.h"
#include "hosts.h"

static void check_line(const char *line)
{
	char a[256], n[1024];

	if (statics_parse_line(line, a, sizeof(a), n, sizeof(n)))
		return;
	FZ_CHECK(a[0] && n[0], "an empty field from '%s'", line);
	FZ_CHECK(!strpbrk(a, " \t\r\n#") && !strpbrk(n, " \t\r\n#"), "'%s' '%s' from '%s'", a, n,
		 line);
	FZ_CHECK(strstr(line, a) && strstr(line, n), "fields not from the line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	static bool init;
	struct hostset s;
	char *text = fz_str(data, size), *save = NULL;

	if (!init) {
		config_defaults(&c);
		config_set(&c, "ula_prefix", "fd12:3456::/48", (char[80]){ 0 }, 80);
		init = true;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		check_line(l);
	free(text);
	snprintf(c.hosts_files, sizeof(c.hosts_files), "%s", fz_file(data, size));
	FZ_CHECK(statics_read(&s, &c, NULL) == 0, "statics_read failed");
	for (size_t i = 0; i < s.n; i++) {
		const struct host *h = &s.v[i];

		FZ_CHECK(name_is_valid(h->name), "host '%s'", h->name);
		FZ_CHECK(h->naddrs >= 1 && h->naddrs <= HOST_MAX_ADDRS, "%u addresses", h->naddrs);
		for (unsigned int k = 0; k < h->naddrs; k++) {
			FZ_CHECK(addr_countable(&c, &h->addrs[k]), "uncountable address kept");
			for (size_t j = 0; j < s.n; j++)
				FZ_CHECK(j == i || !host_has_addr(&s.v[j], &h->addrs[k]),
					 "one address held by '%s' and '%s'", h->name, s.v[j].name);
		}
	}
	hostset_free(&s);
	return 0;
}
