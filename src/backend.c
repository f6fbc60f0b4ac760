// SPDX-License-Identifier: GPL-2.0-or-later
/* Choosing a backend from the `backend` key. */
#include <string.h>

#include "backend.h"

static const struct backend_ops *const all_backends[] = {
	&ipt_ops_default,
	&ipt_ops_legacy,
	&ipt_ops_nft,
};

const struct backend_ops *backend_find(const struct config *c)
{
	if (!strcmp(c->backend, "auto")) {
		/* Until the nftables backend lands, auto means the system's iptables. */
		return &ipt_ops_default;
	}
	for (size_t i = 0; i < sizeof(all_backends) / sizeof(all_backends[0]); i++)
		if (!strcmp(all_backends[i]->name, c->backend))
			return all_backends[i];
	return NULL;
}
