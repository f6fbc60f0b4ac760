// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's counting mode: the forward hook's counters or conntrack's (see counting.h). */
#include "counting.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef IPTMON_NO_NFT
#include "nft.h"
#endif

static const char *const names[] = { [COUNTING_AUTO] = "auto", [COUNTING_FORWARD] = "forward",
				     [COUNTING_CONNTRACK] = "conntrack" };

int counting_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

const char *counting_name(int mode)
{
	return mode >= 0 && mode < (int)(sizeof(names) / sizeof(names[0])) ? names[mode] : "?";
}

void counting_init(struct counting *k,
		   void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2))))
{
	memset(k, 0, sizeof(*k));
	k->log = log;
}

static void ct_stop(struct counting *k)
{
#ifndef IPTMON_NO_CONNTRACK
	ct_close(k->ct);
#endif
	k->ct = NULL;
	addrset_free(&k->between);
}

void counting_free(struct counting *k)
{
	ct_stop(k);
	free(k->kern);
	k->kern = NULL;
}

void counting_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.counting", cfg->run_dir);
}

const char *counting_read(const struct config *cfg)
{
	char path[PATH_MAX + 32], v[16] = "";
	int fd;

	counting_path(path, sizeof(path), cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0) {
		if (read(fd, v, sizeof(v) - 1) < 0)
			v[0] = '\0';
		close(fd);
	}
	return !strncmp(v, "conntrack", 9) ? "conntrack" : "forward";
}

/* The file `show` reads, rewritten when the mode changes (tmpfs: no flash is worn). */
static void say_mode(struct counting *k, const struct config *cfg, bool active)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
	const char *v = active ? "conntrack\n" : "forward\n";
	int fd;

	if (k->said && k->active == active)
		return;
	counting_path(path, sizeof(path), cfg);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (write(fd, v, strlen(v)) == (ssize_t)strlen(v) && !close(fd) && !rename(tmp, path)) {
		k->said = true;
		return;
	}
	unlink(tmp);
}

/* Whether this poll should count from conntrack (auto: while a flowtable is active). */
static bool want_conntrack(struct counting *k, const struct config *cfg)
{
	int mode = counting_parse(cfg->counting);
	char w[256] = "";

	if (mode != COUNTING_AUTO)
		return mode == COUNTING_CONNTRACK;
#ifndef IPTMON_NO_NFT
	nft_flowtable_warning(w, sizeof(w));
#endif
	if (!!w[0] != k->flowtable) {
#ifdef IPTMON_NO_CONNTRACK
		if (w[0])
			k->log("counting = auto: %.200s; counting at the forward hook all the same "
			       "(this build has no conntrack counting: WITH_CONNTRACK=0)", w);
#else
		if (w[0])
			k->log("counting = auto: %.200s; counting from conntrack's per-flow counters",
			       w);
#endif
		else
			k->log("counting = auto: no active flowtable any more; counting at the "
			       "forward hook");
	}
	k->flowtable = w[0] != '\0';
	return k->flowtable;
}

#ifndef IPTMON_NO_CONNTRACK
/* Opens conntrack; false (said once per outage) when it cannot be used. */
static bool ct_start(struct counting *k)
{
	/* tests: provoke an overflow, a refused or a missing accounting switch */
	const char *env = getenv("IPTMON_CT_RCVBUF"), *acct = getenv("IPTMON_CT_ACCT_SYSCTL");
	char err[256];
	bool acct_on;
	int ret = ct_open(&k->ct, env ? atoi(env) : 0, acct && *acct ? acct : NULL, &acct_on, err,
			  sizeof(err));

	if (ret) {
		if (!k->failing)
			k->log("cannot count from conntrack: %s; counting at the forward hook until "
			       "it can", err);
		k->failing = true;
		return false;
	}
	if (acct_on)
		k->log("switched conntrack accounting on (net.netfilter.nf_conntrack_acct = 1): "
		       "flows that began before now are not counted");
	if (k->failing)
		k->log("counting from conntrack again");
	k->failing = false;
	return true;
}

/*
 * A family conntrack has not tracked a single flow of (no NAT or stateful rule asks for it
 * in this namespace) keeps the forward hook's counters, and says so once when they count.
 */
static void forward_family(struct counting *k, struct hostset *snap, int f)
{
	bool counted = false;

	for (size_t i = 0; i < snap->n; i++) {
		struct host *h = &snap->v[i];

		counted |= k->kern[i][0][f].bytes != h->tx[f].bytes ||
			   k->kern[i][1][f].bytes != h->rx[f].bytes;
		h->tx[f] = k->kern[i][0][f];
		h->rx[f] = k->kern[i][1][f];
	}
	if (counted && !k->fam_said[f])
		k->log("conntrack tracks no %s flow (no NAT or stateful firewall rule for it?): "
		       "%s is counted at the forward hook until it does", f ? "IPv6" : "IPv4",
		       f ? "IPv6" : "IPv4");
	k->fam_said[f] |= counted;
}

/* Each host's counters: last + what conntrack counted for its addresses since the last poll. */
static int apply(struct counting *k, struct hostset *snap, const struct totals *t)
{
	const struct ct_delta *d;
	size_t n;

	free(k->kern);
	k->nkern = 0;
	k->kern = calloc(snap->n ? snap->n : 1, sizeof(*k->kern));
	if (!k->kern)
		return -ENOMEM;
	d = ct_take(k->ct, &n);
	if (!d && n)
		return -ENOMEM;
	for (size_t i = 0; i < snap->n; i++) {
		struct host *h = &snap->v[i];
		const struct total *e = totals_find(t, h->name);

		for (int f = 0; f < FAM_COUNT; f++) {
			k->kern[i][0][f] = h->tx[f];
			k->kern[i][1][f] = h->rx[f];
			h->tx[f] = e ? (struct counter){ e->last.bytes[f][0], e->last.packets[f][0] } :
				       (struct counter){ 0, 0 };
			h->rx[f] = e ? (struct counter){ e->last.bytes[f][1], e->last.packets[f][1] } :
				       (struct counter){ 0, 0 };
		}
	}
	k->nkern = snap->n;
	for (int f = 0; f < FAM_COUNT; f++)
		if (!(ct_families(k->ct) & (1u << f)))
			forward_family(k, snap, f);
	for (size_t i = 0; i < n; i++) {
		struct host *h = hostset_find_addr(snap, &d[i].a);
		int f = d[i].a.fam;

		if (!h || !(ct_families(k->ct) & (1u << f)))
			continue;
		h->tx[f].bytes += d[i].c[0].bytes;
		h->tx[f].packets += d[i].c[0].packets;
		h->rx[f].bytes += d[i].c[1].bytes;
		h->rx[f].packets += d[i].c[1].packets;
	}
	return 0;
}

/* Events lost: at most one line an hour, however often it happens (the metrics count each). */
static void overflow(struct counting *k, size_t lost)
{
	struct ct_stats st;

	if (k->overflow_logged_ms && mono_ms() - k->overflow_logged_ms < 3600 * 1000)
		return;
	ct_stats(k->ct, &st);
	k->log("conntrack events were lost (the event socket overflowed: ENOBUFS); resynchronised "
	       "from a dump: %zu flows that ended since the last poll are counted up to it, flows "
	       "that began and ended in between are not counted (%llu times, %llu such flows "
	       "since the daemon started; one line an hour at most)",
	       lost, st.overflows, st.lost_flows);
	k->overflow_logged_ms = mono_ms();
}

void counting_before(struct counting *k, const struct config *cfg, struct hostset *snap,
		     const struct totals *t)
{
	bool baseline = false, overflowed, dump;
	struct addrset hosts;
	char err[256];
	size_t lost;

	k->nkern = 0;
	if (!want_conntrack(k, cfg)) {
		ct_stop(k);
		k->active = false;
		say_mode(k, cfg, false);
		return;
	}
	if (!k->ct) {
		if (!ct_start(k)) {
			k->active = false;
			say_mode(k, cfg, false);
			return;
		}
		baseline = true; /* this poll: the forward hook's count, conntrack's starting point */
	}
	dump = baseline || !cfg->conntrack_dump_interval ||
	       mono_ms() - k->dumped_ms >= (int64_t)cfg->conntrack_dump_interval * 1000;
	overflowed = false;
	if (hostset_addrset(snap, &hosts)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (!dump) {
		ct_poll_events(k->ct, &hosts); /* the live flows wait for the next dump */
	} else if (ct_poll(k->ct, &hosts, baseline, &overflowed, &lost, err, sizeof(err))) {
		addrset_free(&hosts);
		goto fail;
	} else {
		k->dumped_ms = mono_ms();
	}
	/* This poll's addresses, for the flows that end before the next one. */
	addrset_free(&k->between);
	k->between = hosts;
	ct_set_hosts(k->ct, &k->between);
	if (overflowed)
		overflow(k, lost);
	k->active = true;
	say_mode(k, cfg, true);
	if (baseline) {
		ct_take(k->ct, &lost); /* nothing was counted; the hosts' counters stay */
		return;
	}
	if (apply(k, snap, t)) {
		k->log("conntrack counting: out of memory; this poll counts at the forward hook");
		k->nkern = 0;
	}
	return;
fail:
	k->log("cannot count from conntrack: %s; this poll counts at the forward hook", err);
	ct_stop(k); /* made again next poll, from a new starting point */
	k->active = false;
	say_mode(k, cfg, false);
}
#else
/*
 * WITH_CONNTRACK=0: a build without src/ct.c. Where conntrack would count (counting =
 * conntrack, or auto while a flowtable is active) it says once that it cannot, and every
 * poll counts at the forward hook, as when conntrack cannot be opened.
 */
void counting_before(struct counting *k, const struct config *cfg, struct hostset *snap,
		     const struct totals *t)
{
	bool want = want_conntrack(k, cfg);

	k->nkern = 0;
	if (want && !k->failing)
		k->log("cannot count from conntrack: not in this build (WITH_CONNTRACK=0); "
		       "counting at the forward hook");
	k->failing |= want;
	k->active = false;
	say_mode(k, cfg, false);
}
#endif

void counting_after(struct counting *k, struct hostset *snap, struct totals *t)
{
	if (!k->nkern || k->nkern != snap->n)
		return;
	for (size_t i = 0; i < snap->n; i++) {
		struct host *h = &snap->v[i];
		struct total *e = totals_find(t, h->name);

		for (int f = 0; f < FAM_COUNT; f++) {
			h->tx[f] = k->kern[i][0][f];
			h->rx[f] = k->kern[i][1][f];
			if (!e)
				continue;
			e->last.bytes[f][0] = h->tx[f].bytes;
			e->last.packets[f][0] = h->tx[f].packets;
			e->last.bytes[f][1] = h->rx[f].bytes;
			e->last.packets[f][1] = h->rx[f].packets;
		}
	}
	k->nkern = 0;
}

int counting_fd(const struct counting *k)
{
#ifndef IPTMON_NO_CONNTRACK
	if (k->ct)
		return ct_fd(k->ct);
#endif
	return -1;
}

void counting_io(struct counting *k)
{
#ifndef IPTMON_NO_CONNTRACK
	if (k->ct)
		ct_read_events(k->ct);
#endif
}

#ifndef IPTMON_NO_CONNTRACK
static void metric(FILE *f, const char *name, const char *type, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", name, help, name, type, name, v);
}
#endif

void counting_metrics(FILE *f, const struct counting *k)
{
#ifndef IPTMON_NO_CONNTRACK
	struct ct_stats st;
#endif

	fputs("# HELP iptmon_daemon_counting_mode How the last poll counted: 1 for the mode used "
	      "(forward: the forward hook's counters; conntrack: conntrack's per-flow counters).\n"
	      "# TYPE iptmon_daemon_counting_mode gauge\n", f);
	fprintf(f, "iptmon_daemon_counting_mode{mode=\"forward\"} %d\n", !k->active);
	fprintf(f, "iptmon_daemon_counting_mode{mode=\"conntrack\"} %d\n", k->active);
#ifndef IPTMON_NO_CONNTRACK
	if (!k->ct)
		return;
	ct_stats(k->ct, &st);
	metric(f, "iptmon_daemon_conntrack_flows", "gauge", "Forwarded flows tracked.",
	       (double)st.flows);
	metric(f, "iptmon_daemon_conntrack_memory_bytes", "gauge",
	       "Memory of the flow table and its buffers.", (double)st.mem);
	metric(f, "iptmon_daemon_conntrack_events_total", "counter", "Destroy events read.",
	       (double)st.events);
	metric(f, "iptmon_daemon_conntrack_overflows_total", "counter",
	       "Times conntrack events were lost (ENOBUFS) and counts resynchronised from a dump.",
	       (double)st.overflows);
	metric(f, "iptmon_daemon_conntrack_lost_flows_total", "counter",
	       "Ended flows whose last counts were lost in those overflows.",
	       (double)st.lost_flows);
#endif
}
