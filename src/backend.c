// SPDX-License-Identifier: GPL-2.0-or-later
/* Choosing a backend from the `backend` key. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

/* OpenWrt's package variants build one library backend each (BACKENDS in the Makefile). */
static const struct backend_ops *const all_backends[] = {
#ifndef IPTMON_NO_NFT
	&nft_ops,
#endif
#ifndef IPTMON_NO_IPTC
	&iptc_ops_legacy,
#endif
	&ipt_ops_nft,
	&ipt_ops_default,
};

/* Which iptables `iptables` in PATH is: xtables-legacy-multi or xtables-nft-multi. */
static const struct backend_ops *resolve_iptables(void)
{
	const char *path = getenv("PATH");
	char dirs[4096], cand[PATH_MAX], real[PATH_MAX];

	if (!path || strlen(path) >= sizeof(dirs))
		return &ipt_ops_default;
	strcpy(dirs, path);
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		const char *base;

		if ((size_t)snprintf(cand, sizeof(cand), "%s/iptables", d) >= sizeof(cand) ||
		    access(cand, X_OK) || !realpath(cand, real))
			continue;
		base = strrchr(real, '/');
		base = base ? base + 1 : real;
#ifndef IPTMON_NO_IPTC
		if (strstr(base, "legacy"))
			return &iptc_ops_legacy;
#endif
		if (strstr(base, "nft"))
			return &ipt_ops_nft;
		return &ipt_ops_default;
	}
	return &ipt_ops_default;
}

const struct backend_ops *backend_find(const struct config *c)
{
	/* auto: nftables wherever nf_tables works, else whatever iptables is. */
	if (!strcmp(c->backend, "auto"))
#ifndef IPTMON_NO_NFT
		return nft_ops.probe(c) == 0 ? &nft_ops : resolve_iptables();
#else
		return resolve_iptables();
#endif
	if (!strcmp(c->backend, "iptables"))
		return resolve_iptables();
	for (size_t i = 0; i < sizeof(all_backends) / sizeof(all_backends[0]); i++)
		if (!strcmp(all_backends[i]->name, c->backend))
			return all_backends[i];
	return NULL;
}
