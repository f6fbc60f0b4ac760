// SPDX-License-Identifier: GPL-2.0-or-later
/* Monotonic per-host totals and their state file. */
#include "totals.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void totals_free(struct totals *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

struct total *totals_find(const struct totals *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static struct total *totals_get(struct totals *t, const char *name)
{
	struct total *e = totals_find(t, name);

	if (e)
		return e;
	if (strlen(name) >= NAME_SIZE)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct total *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name) + 1);
	return e;
}

static void fold(uint64_t *total, uint64_t *last, uint64_t cur)
{
	/* Down: the counter was recreated, all of it is new. */
	if (cur < *last)
		*total += cur;
	else
		*total += cur - *last;
	*last = cur;
}

int totals_update(struct totals *t, const struct hostset *snap, const char *boot_id)
{
	bool new_boot = boot_id && *boot_id && t->boot_id[0] && strcmp(boot_id, t->boot_id);

	/* A new boot: every counter was recreated, whatever its value. */
	if (new_boot)
		for (size_t i = 0; i < t->n; i++) {
			memset(t->v[i].last_bytes, 0, sizeof(t->v[i].last_bytes));
			memset(t->v[i].last_packets, 0, sizeof(t->v[i].last_packets));
		}
	if (boot_id && *boot_id)
		snprintf(t->boot_id, sizeof(t->boot_id), "%s", boot_id);
	for (size_t i = 0; i < snap->n; i++) {
		const struct host *h = &snap->v[i];
		struct total *e = totals_get(t, h->name);

		if (!e)
			return -ENOMEM;
		for (int f = 0; f < FAM_COUNT; f++) {
			fold(&e->bytes[f][0], &e->last_bytes[f][0], h->tx[f].bytes);
			fold(&e->packets[f][0], &e->last_packets[f][0], h->tx[f].packets);
			fold(&e->bytes[f][1], &e->last_bytes[f][1], h->rx[f].bytes);
			fold(&e->packets[f][1], &e->last_packets[f][1], h->rx[f].packets);
		}
	}
	return 0;
}

int totals_write(FILE *f, const struct totals *t)
{
	fprintf(f, "%s %d\nboot %s\n", STATE_MAGIC, STATE_VERSION, t->boot_id[0] ? t->boot_id : "-");
	for (size_t i = 0; i < t->n; i++) {
		const struct total *e = &t->v[i];

		for (int fam = 0; fam < FAM_COUNT; fam++)
			for (int d = 0; d < 2; d++)
				fprintf(f, "host %s %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
					e->name, fam ? "ipv6" : "ipv4", d ? "rx" : "tx",
					e->bytes[fam][d], e->packets[fam][d], e->last_bytes[fam][d],
					e->last_packets[fam][d]);
	}
	fputs("end\n", f);
	return ferror(f) ? -EIO : 0;
}

int totals_read(FILE *f, struct totals *t, unsigned int *bad_line)
{
	char line[512];
	unsigned int n = 0;
	int version = 0;
	bool ended = false;

	memset(t, 0, sizeof(*t));
	*bad_line = 0;
	while (fgets(line, sizeof(line), f)) {
		char name[NAME_SIZE + 1], fam[8], dir[8], boot[40];
		uint64_t v[4];
		struct total *e;
		int fi, di;

		n++;
		if (!strchr(line, '\n') || ended)
			goto bad;
		if (n == 1) {
			if (sscanf(line, STATE_MAGIC " %d", &version) != 1 || version != STATE_VERSION)
				goto bad;
			continue;
		}
		if (!strcmp(line, "end\n")) {
			ended = true;
			continue;
		}
		if (sscanf(line, "boot %39s", boot) == 1) {
			snprintf(t->boot_id, sizeof(t->boot_id), "%s", strcmp(boot, "-") ? boot : "");
			continue;
		}
		if (sscanf(line, "host %64s %7s %7s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
			   name, fam, dir, &v[0], &v[1], &v[2], &v[3]) != 7 || !name_is_valid(name))
			goto bad;
		fi = !strcmp(fam, "ipv4") ? 0 : !strcmp(fam, "ipv6") ? 1 : -1;
		di = !strcmp(dir, "tx") ? 0 : !strcmp(dir, "rx") ? 1 : -1;
		if (fi < 0 || di < 0)
			goto bad;
		e = totals_get(t, name);
		if (!e) {
			totals_free(t);
			return -ENOMEM;
		}
		e->bytes[fi][di] = v[0];
		e->packets[fi][di] = v[1];
		e->last_bytes[fi][di] = v[2];
		e->last_packets[fi][di] = v[3];
	}
	if (!ended) { /* truncated: a torn write is not a state */
		n++;
		goto bad;
	}
	return 0;
bad:
	*bad_line = n;
	totals_free(t);
	return -EINVAL;
}
