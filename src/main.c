// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iptmon: per-host bandwidth accounting for Linux routers, driven by dnsmasq's --dhcp-script.
 * Subcommands come from one table, matched exactly; usage is printed from the same table.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "change.h"
#include "config.h"
#include "counting.h"
#include "daemon.h"
#include "dhcp.h"
#include "discover.h"
#include "export.h"
#include "hosts.h"
#include "journal.h"
#include "name.h"
#include "nft.h"
#include "show.h"
#include "state.h"
#include "totals.h"

#ifndef IPTMON_VERSION
#define IPTMON_VERSION "unknown"
#endif

/* Exit codes (documented in iptmon(8)). */
enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_KERNEL = 2, EXIT_FILE = 3 };

static const char *prog = "iptmon";

struct ctx {
	struct config cfg;
	const struct backend_ops *ops;
	struct backend *be;
	int lock_fd;
	bool leases_ok; /* the lease file was there and read */
	const char *cfgpath; /* NULL: the default path */
	int noverrides;	     /* --KEY=VALUE options, kept for the daemon's SIGHUP */
	char **overrides;
};

struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *args;
	const char *summary;
	bool event; /* dnsmasq event: nothing after the action is an option */
};

static const struct command commands[];

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Which backend this configuration means here (auto probes nf_tables). */
static void print_backend(FILE *f)
{
	const char *path = getenv("IPTMON_CONFIG");
	const struct backend_ops *ops;
	struct config cfg;
	char err[512];

	if (config_build(&cfg, path && *path ? path : NULL, 0, NULL, err, sizeof(err))) {
		fprintf(f, "Backend: unknown (%s)\n", err);
		return;
	}
	ops = backend_find(&cfg);
	fprintf(f, "Backend in use here: %s (backend = %s)\n", ops ? ops->name : "none",
		cfg.backend);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [--config=FILE] [--KEY=VALUE]... COMMAND [ARGS]\n\n"
		   "Per-host bandwidth accounting for Linux routers (called by dnsmasq as its "
		   "--dhcp-script).\n\nCommands:\n",
		prog);
	for (const struct command *c = commands; c->name; c++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", c->name, c->args);
		fprintf(f, "  %-28s %s\n", left, c->summary);
	}
	fprintf(f, "\nConfiguration keys (file %s, or $IPTMON_CONFIG; each also --KEY=VALUE):\n",
		CONFIG_DEFAULT_PATH);
	for (const struct config_key *k = config_keys; k->name; k++) {
		char left[64];

		snprintf(left, sizeof(left), "%s = %s", k->name, k->def[0] ? k->def : "\"\"");
		fprintf(f, "  %s\n      %s\n", left, k->help);
	}
	fprintf(f, "\nExit codes: 0 ok, 1 usage or bad input, 2 netfilter failure, 3 file failure.\n"
		   "See iptmon(8).\n");
	if (f == stdout)
		print_backend(f);
}

static void command_usage(FILE *f, const struct command *c)
{
	fprintf(f, "Usage: %s %s%s%s\n  %s\n", prog, c->name, c->args[0] ? " " : "", c->args,
		c->summary);
	if (!strcmp(c->name, "show"))
		fprintf(f, "\n  --json      machine-readable output (see iptmon(8))\n"
			   "  -x, --exact exact byte counts instead of KiB/MiB/...\n"
			   "  --period current|previous\n"
			   "              one accounting period (from the daemon or its state file)\n"
			   "  --kernel    the kernel's counters even while the daemon runs\n");
	if (!strcmp(c->name, "metrics"))
		fprintf(f, "\n  --format F  prometheus (default), influx, collectd or json\n"
			   "  --kernel    the kernel's counters even while the daemon runs\n");
	if (!strcmp(c->name, "daemon"))
		fprintf(f, "\n  Polls every `interval` s into totals and accounting periods kept in\n"
			   "  state_dir/iptmon.state; serves /metrics, /api/hosts and / on `listen`;\n"
			   "  pushes to `influx_url` and `collectd_socket` when set; counts every\n"
			   "  neighbour of `discover_interfaces` (discover = on), named from the lease\n"
			   "  and hosts files, else mac-<12 hex digits of the MAC>. TERM/INT: save and\n"
			   "  exit; HUP: re-read the configuration. Logs on stderr.\n");
	if (c->event)
		fprintf(f, "\n  Arguments are taken as dnsmasq passes them (for DHCPv6 the MAC comes\n"
			   "  from DNSMASQ_MAC or the DUID); options go before the command only.\n");
	else
		fprintf(f, "  --KEY=VALUE overrides a configuration key (see %s --help).\n", prog);
}

static bool want_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

static int open_backend(struct ctx *c)
{
	int ret;

	c->ops = backend_find(&c->cfg);
	if (!c->ops) {
		errorf("unknown backend '%s'", c->cfg.backend);
		return EXIT_USAGE;
	}
	ret = c->ops->open(&c->be, &c->cfg);
	if (!ret)
		c->be->ops = c->ops;
	if (ret) {
		errorf("cannot open backend %s: %s", c->ops->name, strerror(-ret));
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

static int take_lock(struct ctx *c)
{
	c->lock_fd = open(c->cfg.lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->lock_fd < 0) {
		errorf("cannot open lock file '%s': %s", c->cfg.lock_file, strerror(errno));
		return EXIT_FILE;
	}
	while (flock(c->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			errorf("cannot lock '%s': %s", c->cfg.lock_file, strerror(errno));
			return EXIT_FILE;
		}
	return EXIT_OK;
}

static int backend_fail(struct ctx *c, const char *what, int ret)
{
	const char *why = c->be->err;

	errorf("%s: %s", what, why && *why ? why : strerror(-ret));
	return ret == -ENOMEM ? EXIT_FILE : EXIT_KERNEL;
}

/* Offloaded flows bypass every forward-hook counter, nft's and iptables' alike. */
static void warn_flowtables(void)
{
#ifndef IPTMON_NO_NFT
	char w[256];

	nft_flowtable_warning(w, sizeof(w));
#ifndef IPTMON_NO_CONNTRACK
	if (w[0])
		errorf("warning: %s (the daemon counts them with counting = conntrack or auto: "
		       "see FLOW OFFLOADING in iptmon(8))", w);
#else
	if (w[0])
		errorf("warning: %s (this build has no conntrack counting: WITH_CONNTRACK=0)", w);
#endif
#endif
}

static void warn_hosts_file(const char *path, int err)
{
	errorf("warning: cannot read hosts file '%s': %s", path, strerror(err));
}

static bool lease_active(const struct lease *le, time_t now)
{
	return le->expires == 0 || le->expires > (long long)now;
}

static int upsert_fail(const char *name, int ret)
{
	errorf("cannot count host '%s': %s", name,
	       ret == -ENOSPC ? "more addresses than a host may have" : strerror(-ret));
	return EXIT_FILE;
}

/* Counts every static host and every active lease in `want`. */
static int add_known_hosts(struct ctx *c, struct hostset *want, struct hostset *statics,
			   struct leases *leases)
{
	time_t now = time(NULL);
	int ret;

	ret = statics_read(statics, &c->cfg, warn_hosts_file);
	if (ret) {
		errorf("cannot read hosts files: %s", strerror(-ret));
		return EXIT_FILE;
	}
	ret = leases_read(leases, c->cfg.lease_file);
	if (ret)
		errorf("warning: cannot read lease file '%s': %s", c->cfg.lease_file,
		       strerror(-ret));
	c->leases_ok = ret == 0 && access(c->cfg.lease_file, R_OK) == 0;
	for (size_t i = 0; i < leases->n; i++) {
		const struct lease *le = &leases->v[i];
		struct event ev = { .kind = EV_OLD, .addr = le->addr };
		char name[NAME_SIZE];

		if (!lease_active(le, now) || !addr_countable(&c->cfg, &le->addr))
			continue;
		strcpy(ev.mac, le->mac);
		strcpy(ev.name, le->name);
		if (event_resolve_name(&ev, leases, want, statics, name))
			continue;
		if ((ret = hostset_upsert(want, name, &le->addr)) < 0)
			return upsert_fail(name, ret);
	}
	for (size_t i = 0; i < statics->n; i++)
		for (unsigned int j = 0; j < statics->v[i].naddrs; j++)
			if ((ret = hostset_upsert(want, statics->v[i].name, &statics->v[i].addrs[j])) < 0)
				return upsert_fail(statics->v[i].name, ret);
	return EXIT_OK;
}

/* Every host the kernel counts; a hand-made host with too many addresses is said. */
static int read_all(struct ctx *c, struct hostset *s)
{
	int ret = c->ops->read(c->be, FAMS_ALL, s);

	if (!ret && s->addrs_dropped)
		errorf("warning: host '%s' has more than %d addresses in the kernel; %zu not shown",
		       s->addrs_dropped_host, HOST_MAX_ADDRS, s->addrs_dropped);
	return ret;
}

/* A change to commit, refused by the kernel as built on a read made stale meanwhile. */
#define EXIT_AGAIN (-1)

static int again_fail(const char *what)
{
	errorf("%s: the ruleset kept changing under each of %d tries", what, CHANGE_TRIES);
	return EXIT_KERNEL;
}

/* One transaction; once it is in, the facts a running daemon needs about it (journal.c). */
static int commit(struct ctx *c, const struct hostset *old, const struct hostset *want,
		  const char *what)
{
	int ret = change_commit(&c->cfg, c->ops, c->be, old, want);

	if (ret == -ENOMEM) {
		errorf("%s: %s", what, strerror(-ret));
		return EXIT_FILE;
	}
	if (ret == -ERESTART)
		return EXIT_AGAIN;
	return ret ? backend_fail(c, what, ret) : EXIT_OK;
}

static int sync_once(struct ctx *c, bool prune, const char *what)
{
	struct hostset old = { 0 }, want = { 0 }, statics = { 0 };
	struct leases leases = { 0 };
	int ret, rc;

	ret = read_all(c, &old);
	if (ret)
		return backend_fail(c, what, ret);
	warn_flowtables();
	if (hostset_copy(&want, &old)) {
		errorf("out of memory");
		rc = EXIT_FILE;
		goto out;
	}
	hostset_prune_empty(&want);
	rc = add_known_hosts(c, &want, &statics, &leases);
	if (rc)
		goto out;
	if (prune && !c->leases_ok)
		errorf("warning: no lease file '%s': keeping every host not in the hosts files",
		       c->cfg.lease_file);
	if (prune && c->leases_ok) {
		time_t now = time(NULL);

		/* Hosts neither in the hosts files nor in an active lease are gone. */
		for (size_t i = 0; i < want.n;) {
			struct host *h = &want.v[i];
			bool keep = hostset_find(&statics, h->name) != NULL;

			for (size_t k = 0; k < leases.n && !keep; k++)
				keep = lease_active(&leases.v[k], now) &&
				       (!strcmp(leases.v[k].name, h->name) ||
					hostset_find_addr(&want, &leases.v[k].addr) == h);
			if (keep) {
				i++;
				continue;
			}
			hostset_remove_at(&want, i);
		}
	}
	rc = commit(c, &old, &want, what);
out:
	hostset_free(&old);
	hostset_free(&want);
	hostset_free(&statics);
	leases_free(&leases);
	return rc;
}

static int sync_hosts(struct ctx *c, bool prune, const char *what)
{
	int rc = take_lock(c);

	for (int i = 0; !rc && i < CHANGE_TRIES; i++) {
		rc = sync_once(c, prune, what);
		if (rc != EXIT_AGAIN)
			return rc;
	}
	return rc ? again_fail(what) : rc;
}

static int cmd_init(struct ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sync_hosts(c, false, "cannot initialise");
}

static int cmd_reload_hosts(struct ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sync_hosts(c, true, "cannot reload hosts");
}

static int cmd_flush(struct ctx *c, int argc, char **argv)
{
	int rc, ret;

	(void)argc;
	(void)argv;
	rc = take_lock(c);
	if (rc)
		return rc;
	ret = c->ops->flush(c->be, FAMS_ALL);
	return ret ? backend_fail(c, "cannot flush", ret) : EXIT_OK;
}

static int cmd_remove(struct ctx *c, int argc, char **argv)
{
	int rc, ret;

	(void)argc;
	(void)argv;
	rc = take_lock(c);
	if (rc)
		return rc;
	ret = c->ops->remove(c->be, FAMS_ALL);
	return ret ? backend_fail(c, "cannot remove", ret) : EXIT_OK;
}

static const char *env_get(const char *k)
{
	return getenv(k);
}

/* The lease file (a missing one is empty) and the static hosts, for an event. */
static int read_files(struct ctx *c, struct leases *leases, struct hostset *statics)
{
	int ret = leases_read(leases, c->cfg.lease_file);

	if (ret)
		errorf("warning: cannot read lease file '%s': %s", c->cfg.lease_file,
		       strerror(-ret));
	if (statics_read(statics, &c->cfg, NULL)) {
		errorf("cannot read hosts files: out of memory");
		return EXIT_FILE;
	}
	return EXIT_OK;
}

/* What an event works with: the parsed event and, when it needs them, the files. */
struct evx {
	struct event ev;
	struct leases leases;
	struct hostset statics;
	bool have_files;
	char base[NAME_SIZE], alt[NAME_SIZE];
	char macname[NAME_SIZE]; /* the daemon's discovery names an unnamed device so */
};

/* Whether the event is for nobody iptmon counts (EXIT_OK to stop), before any lock. */
static int event_prepare(struct ctx *c, struct evx *x, bool *skip)
{
	int rc;

	*skip = true;
	/* The lease and hosts files only when needed: they grow with the network. */
	if (!x->ev.name[0] || x->ev.kind == EV_ARP_DEL) {
		rc = read_files(c, &x->leases, &x->statics);
		if (rc)
			return rc;
		x->have_files = true;
	}
	if (x->ev.kind == EV_ARP_DEL) {
		const struct lease *le = leases_find_addr(&x->leases, &x->ev.addr);

		/* The neighbour went quiet, but a lease or a hosts file still says it is there. */
		if ((le && lease_active(le, time(NULL))) || hostset_find_addr(&x->statics, &x->ev.addr))
			return EXIT_OK;
	}
	x->base[0] = x->alt[0] = x->macname[0] = '\0';
	if (!event_is_delete(x->ev.kind) && event_names(&x->ev, &x->leases, x->base, x->alt))
		return EXIT_OK; /* a neighbour without a known name is not counted */
#ifndef IPTMON_NO_DISCOVER
	if (!event_is_delete(x->ev.kind) && x->ev.mac[0])
		disc_mac_name(x->ev.mac, x->macname);
#endif
	*skip = false;
	return EXIT_OK;
}

/* The hosts the event can touch (all of them where the backend cannot read a few). */
static int event_read(struct ctx *c, struct evx *x, struct hostset *old)
{
	char what[160], as[ADDR_STRLEN];
	int ret = -EAGAIN;

	/* A host with several addresses of a family (discovery on nft) makes read_some()
	 * answer -EAGAIN: then the whole read below. */
	if (c->ops->read_some) {
		/* Just the hosts this event can touch: its name, the alternative, the address's. */
		const char *names[3];
		size_t n = 0;

		if (x->base[0])
			names[n++] = x->base;
		if (x->alt[0])
			names[n++] = x->alt;
		if (x->macname[0])
			names[n++] = x->macname;
		ret = c->ops->read_some(c->be, names, n, &x->ev.addr, 1, old);
	}
	/* Else all of them, both families: a name may be held through either. */
	if (ret == -EAGAIN)
		ret = read_all(c, old);
	if (!ret)
		return EXIT_OK;
	addr_format(&x->ev.addr, as, sizeof(as));
	snprintf(what, sizeof(what), "cannot read counters for '%s'", as);
	return backend_fail(c, what, ret);
}

/* want = old changed by the event; *what names the change for an error. 1: no change. */
static int event_compute(struct ctx *c, struct evx *x, const struct hostset *old,
			 struct hostset *want, char *what, size_t wlen)
{
	char name[NAME_SIZE], as[ADDR_STRLEN];
	const struct host *h;
	int ret, rc;

	addr_format(&x->ev.addr, as, sizeof(as));
	if (event_is_delete(x->ev.kind)) {
		if (!hostset_del_addr(want, &x->ev.addr) && hostset_same(old, want))
			return 1;
		snprintf(what, wlen, "cannot delete host '%s'", as);
		return EXIT_OK;
	}
	/* Someone else holds the name: whose it is takes the lease and hosts files. */
	h = hostset_find(old, x->base);
	if (!x->have_files &&
	    (hostset_find(old, x->alt) || (h && hostset_find_addr(old, &x->ev.addr) != h))) {
		rc = read_files(c, &x->leases, &x->statics);
		if (rc)
			return rc;
		x->have_files = true;
	}
	if (event_resolve_name(&x->ev, &x->leases, old, &x->statics, name))
		return 1;
	/* No name but its address, and the daemon's discovery has it under its MAC's: that. */
	if (x->macname[0] && !strcmp(name, as) && hostset_find(want, x->macname))
		strcpy(name, x->macname);
	/* A device the daemon's discovery counts under its MAC-derived name gets its first
	 * name: that host renamed, counts and all (then at this address). */
	h = x->macname[0] && !hostset_find(want, name) ? hostset_find(want, x->macname) : NULL;
	if (h && h->naddrs) {
		struct addr at = h->addrs[0];

		ret = hostset_upsert_ex(want, name, &at, true);
		if (ret < 0) {
			errorf("cannot add host '%s': %s", name, strerror(-ret));
			return EXIT_FILE;
		}
	}
	/* Where the daemon's discovery counts a host at every address it keeps (nft), an
	 * event's address joins the host's others: replacing them would take the device's
	 * living ones away and discovery would put them back, a transaction each way per event.
	 * Discovery drops the addresses neither living nor given by a file. */
	ret = -ENOSPC;
#ifndef IPTMON_NO_DISCOVER /* (WITH_DISCOVER=0: no daemon discovers, whatever `discover` says) */
	if (c->ops->many_addrs && hostset_find(want, name) && !strcmp(c->cfg.discover, "on") &&
	    daemon_running(&c->cfg))
		ret = hostset_put_addr(want, name, &x->ev.addr);
#endif
	/* An `old` naming an address's host anew is dnsmasq's rename: counts go along. */
	if (ret == -ENOSPC)
		ret = hostset_upsert_ex(want, name, &x->ev.addr, x->ev.kind == EV_OLD);
	if (ret < 0) {
		errorf("cannot add host '%s': %s", name, strerror(-ret));
		return EXIT_FILE;
	}
	snprintf(what, wlen, "cannot add host '%s' (%s)", name, as);
	return EXIT_OK;
}

/* Read, compute, commit: EXIT_AGAIN when the commit met a ruleset changed since the read. */
static int event_once(struct ctx *c, struct evx *x)
{
	struct hostset old = { 0 }, want = { 0 };
	char what[160] = "cannot apply the event";
	int rc = event_read(c, x, &old);

	if (rc)
		goto out;
	if (hostset_copy(&want, &old)) {
		errorf("out of memory");
		rc = EXIT_FILE;
		goto out;
	}
	hostset_prune_empty(&want); /* counters without addresses (nft): left over, go */
	rc = event_compute(c, x, &old, &want, what, sizeof(what));
	if (rc == 1)
		rc = EXIT_OK; /* nothing to change */
	else if (!rc)
		rc = commit(c, &old, &want, what);
out:
	hostset_free(&old);
	hostset_free(&want);
	return rc;
}

static int cmd_event(struct ctx *c, int argc, char **argv)
{
	struct evx x = { 0 };
	bool skip;
	int rc;

	if (argc < 3) {
		errorf("%s: expected MAC ADDRESS [HOSTNAME]", argv[0]);
		return EXIT_USAGE;
	}
	if (event_parse(&x.ev, argc, argv, env_get)) {
		errorf("%s: bad address '%.64s'", argv[0], argv[2]);
		return EXIT_USAGE;
	}
	if (!addr_countable(&c->cfg, &x.ev.addr) || x.ev.rename_pending)
		return EXIT_OK;
	rc = event_prepare(c, &x, &skip);
	if (!rc && !skip)
		rc = take_lock(c);
	for (int i = 0; !rc && !skip && i < CHANGE_TRIES; i++) {
		rc = event_once(c, &x);
		if (rc != EXIT_AGAIN)
			break;
	}
	if (rc == EXIT_AGAIN)
		rc = again_fail(argv[0]);
	hostset_free(&x.statics);
	leases_free(&x.leases);
	return rc;
}

/* The kernel's counters, with MACs from the lease file, sorted by name. */
static int read_snapshot(struct ctx *c, struct hostset *s)
{
	int ret;

	ret = read_all(c, s);
	if (ret)
		return backend_fail(c, "cannot read counters", ret);
	hostset_attach_macs(s, c->cfg.lease_file);
	hostset_sort(s);
	return EXIT_OK;
}

static int flush_stdout(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		errorf("cannot write output: %s", strerror(errno));
		return EXIT_FILE;
	}
	return EXIT_OK;
}

/*
 * Where show and metrics take their numbers: the running daemon's totals (its live file),
 * the state file (accounting periods while no daemon runs), or the kernel's counters.
 */
/* What show says of where its counts come from: the daemon or its state file, the period. */
static void describe_source(struct show_info *in, const struct totals *t, enum view which,
			    bool live, time_t written, char *desc, size_t desclen)
{
	char when[64];

	if (live) {
		in->source = "daemon";
		in->rates = which != VIEW_PREVIOUS; /* 0 until the daemon's second poll */
		snprintf(desc, desclen, "totals kept by the iptmon daemon (last poll %llds ago)",
			 (long long)(time(NULL) - written));
	} else {
		in->source = "state";
		snprintf(desc, desclen,
			 "totals from the state file written %s (the daemon is not running)",
			 show_local_time(written, when, sizeof(when)));
	}
	in->source_desc = desc;
	if (which == VIEW_CURRENT) {
		in->period = "current";
		in->period_start = t->period_start;
		in->period_end = t->period_end;
	} else if (which == VIEW_PREVIOUS) {
		in->period = "previous";
		if (!t->npast)
			fprintf(stderr, "iptmon: no previous accounting period yet\n");
		else {
			in->period_start = t->past[0].start;
			in->period_end = t->past[0].end;
		}
	}
}

static int load_view(struct ctx *c, enum view which, bool kernel_only, struct hostset *out,
		     struct show_info *in, char *desc, size_t desclen)
{
	char path[PATH_MAX + 32];
	struct totals t;
	struct hostset snap = { 0 };
	struct stat st;
	unsigned int bad = 0;
	bool live = !kernel_only && daemon_running(&c->cfg);
	FILE *f = NULL;
	int rc, ret;

	memset(in, 0, sizeof(*in));
	in->backend = c->ops->name;
	in->source = "kernel";
	in->counting = "forward"; /* the kernel's counters are the forward hook's */
	if (kernel_only && which != VIEW_ALL) {
		errorf("accounting periods are kept by the daemon, not the kernel");
		return EXIT_USAGE;
	}
	if (live) {
		state_live_path(path, sizeof(path), &c->cfg);
		f = state_fopen(path);
		if (!f)
			errorf("the daemon runs but its live totals %s cannot be read: %s", path,
			       strerror(errno));
	}
	if (!f && which != VIEW_ALL) {
		state_path(path, sizeof(path), &c->cfg);
		f = state_fopen(path);
		if (!f) {
			errorf("no accounting periods yet: `iptmon daemon` keeps them (%s: %s)", path,
			       strerror(errno));
			return EXIT_FILE;
		}
		live = false;
	}
	if (!f) {
		rc = read_snapshot(c, out);
		if (!rc)
			warn_flowtables();
		return rc;
	}
	ret = fstat(fileno(f), &st) ? -errno : totals_read(f, &t, &bad);
	fclose(f);
	if (ret) {
		errorf("%s is not a state file iptmon can read (line %u)", path, bad);
		return EXIT_FILE;
	}
	/* Addresses and MACs come from the kernel and the leases; the counts from the totals. */
	if (read_all(c, &snap) == 0) {
		hostset_attach_macs(&snap, c->cfg.lease_file);
		totals_attach(&t, &snap);
	}
	ret = totals_view(&t, which, out);
	/* a host of the previous period without a total now (dropped at the roll, back since):
	 * the kernel's addresses all the same (the snapshot kept those attaching did not take) */
	for (size_t i = 0; !ret && i < out->n; i++) {
		const struct host *k = hostset_find(&snap, out->v[i].name);

		if (k && k->naddrs && !out->v[i].naddrs) {
			ret = host_set_addrs(&out->v[i], k->addrs, k->naddrs);
			if (k->mac[0])
				memcpy(out->v[i].mac, k->mac, MAC_SIZE);
		}
	}
	hostset_free(&snap);
	if (ret) {
		hostset_free(out);
		totals_free(&t);
		errorf("out of memory");
		return EXIT_FILE;
	}
	describe_source(in, &t, which, live, st.st_mtime, desc, desclen);
	in->counting = counting_read(&c->cfg);
	totals_free(&t);
	return EXIT_OK;
}

static int cmd_show(struct ctx *c, int argc, char **argv)
{
	struct hostset s = { 0 };
	struct show_info in;
	enum view which = VIEW_ALL;
	bool json = false, exact = false, kernel = false;
	char desc[200];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *p = NULL;

		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-x") || !strcmp(argv[i], "--exact")) {
			exact = true;
		} else if (!strcmp(argv[i], "--kernel")) {
			kernel = true;
		} else if (!strcmp(argv[i], "--period") && i + 1 < argc) {
			p = argv[++i];
		} else if (!strncmp(argv[i], "--period=", 9)) {
			p = argv[i] + 9;
		} else {
			errorf("show: unknown option '%.64s'", argv[i]);
			command_usage(stderr, &commands[0]);
			return EXIT_USAGE;
		}
		if (p && !strcmp(p, "current")) {
			which = VIEW_CURRENT;
		} else if (p && !strcmp(p, "previous")) {
			which = VIEW_PREVIOUS;
		} else if (p) {
			errorf("show: --period takes current or previous, not '%.64s'", p);
			return EXIT_USAGE;
		}
	}
	rc = load_view(c, which, kernel, &s, &in, desc, sizeof(desc));
	if (rc)
		return rc;
	if (json)
		show_json_ex(stdout, &in, &s);
	else
		show_table_ex(stdout, &in, &s, exact);
	hostset_free(&s);
	return flush_stdout();
}

static int cmd_metrics(struct ctx *c, int argc, char **argv)
{
	const struct exporter_ops *ex = exporter_find("prometheus");
	struct export_ctx x = { .backend = c->ops->name };
	struct hostset s = { 0 };
	struct show_info in;
	bool kernel = false;
	char host[256], desc[200];
	struct timespec ts;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *fmt = NULL;

		if (!strcmp(argv[i], "--kernel")) {
			kernel = true;
			continue;
		}
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			fmt = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			fmt = argv[i] + 9;
		if (!fmt || !(ex = exporter_find(fmt))) {
			errorf("metrics: %s '%.64s' (formats: prometheus, influx, collectd, json)",
			       fmt ? "unknown format" : "unknown option", fmt ? fmt : argv[i]);
			return EXIT_USAGE;
		}
	}
	rc = load_view(c, VIEW_ALL, kernel, &s, &in, desc, sizeof(desc));
	if (rc)
		return rc;
	if (c->cfg.hostname[0]) {
		snprintf(host, sizeof(host), "%s", c->cfg.hostname);
	} else if (gethostname(host, sizeof(host)) < 0) {
		snprintf(host, sizeof(host), "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	x.hosts = &s;
	x.hostname = host;
	x.source = in.source;
	x.counting = in.counting;
	x.now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	ex->write(stdout, &x);
	hostset_free(&s);
	return flush_stdout();
}

static int cmd_daemon(struct ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return daemon_run(&c->cfg, c->cfgpath, c->noverrides, c->overrides, c->ops, c->be);
}

static int cmd_help(struct ctx *c, int argc, char **argv)
{
	(void)c;
	if (argc > 1) {
		for (const struct command *k = commands; k->name; k++)
			if (!strcmp(k->name, argv[1])) {
				command_usage(stdout, k);
				return EXIT_OK;
			}
		errorf("help: unknown command '%.64s'", argv[1]);
		return EXIT_USAGE;
	}
	usage(stdout);
	return EXIT_OK;
}

static int cmd_version(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	printf("iptmon %s\n", IPTMON_VERSION);
	return EXIT_OK;
}

/* show first: cmd_show refers to commands[0] for its usage. */
static const struct command commands[] = {
	{ "show", cmd_show, "[--json] [-x] [--period current|previous] [--kernel]",
	  "every counted host and its counts (the daemon's totals when it runs)", false },
	{ "metrics", cmd_metrics, "[--format F] [--kernel]",
	  "the counts once; F: prometheus (default), influx, collectd, json", false },
	{ "init", cmd_init, "", "create iptmon's objects; count static hosts and active leases",
	  false },
	{ "add", cmd_event, "MAC ADDR [NAME]", "dnsmasq: a lease was granted", true },
	{ "old", cmd_event, "MAC ADDR [NAME]", "dnsmasq: a lease was renewed or replayed", true },
	{ "del", cmd_event, "MAC ADDR [NAME]", "dnsmasq: a lease ended; stop counting ADDR", true },
	{ "arp-add", cmd_event, "MAC ADDR", "dnsmasq: a neighbour appeared (named from leases)",
	  true },
	{ "arp-old", cmd_event, "MAC ADDR", "dnsmasq: a neighbour is still there", true },
	{ "arp-del", cmd_event, "MAC ADDR", "dnsmasq: a neighbour went away", true },
	{ "flush", cmd_flush, "", "stop counting every host (iptmon's objects stay)", false },
	{ "reload-hosts", cmd_reload_hosts, "", "re-read hosts files; drop hosts no longer known",
	  false },
	{ "remove", cmd_remove, "", "remove everything iptmon created", false },
	{ "daemon", cmd_daemon, "", "totals, periods, HTTP, InfluxDB and collectd (foreground)",
	  false },
	{ "help", cmd_help, "[COMMAND]", "this text, or one command's", false },
	{ "version", cmd_version, "", "print the version", false },
	{ NULL, NULL, NULL, NULL, false },
};

static void fix_path(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	/* dnsmasq may run us with a bare environment; iptables lives in sbin. */
	if (!path || !*path) {
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
		return;
	}
	if (!strstr(path, "sbin") && strlen(path) < sizeof(buf) - 32) {
		snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin", path);
		setenv("PATH", buf, 1);
	}
}

/*
 * Global options up to the first word that is not one: the command's index, or -1 with
 * *rc set (help, version, or a usage error).
 */
static int parse_globals(struct ctx *c, int argc, char **argv, const char **cfgpath, int *rc)
{
	int i;

	for (i = 1; i < argc && !strncmp(argv[i], "-", 1); i++) {
		if (want_help(argv[i])) {
			usage(stdout);
			*rc = EXIT_OK;
			return -1;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			*rc = cmd_version(c, 0, NULL);
			return -1;
		}
		if (!strncmp(argv[i], "--config=", 9)) {
			*cfgpath = argv[i] + 9;
		} else if (strncmp(argv[i], "--", 2) || !strchr(argv[i], '=')) {
			errorf("unknown option '%.64s'", argv[i]);
			usage(stderr);
			*rc = EXIT_USAGE;
			return -1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		*rc = EXIT_USAGE;
		return -1;
	}
	return i;
}

/*
 * Every --KEY=VALUE, in order, for config_build(): before the command any, after it only
 * configuration keys (the rest are the command's own, e.g. --format=json) and never for
 * dnsmasq events, whose names are hostile. The command's own arguments are left in
 * cmdargv[0..*cmdargc). EXIT_OK or an exit code (the line printed).
 */
static int collect_options(struct ctx *c, const struct command *cmd, int argc, char **argv,
			   int i, int *cmdargc, char **cmdargv)
{
	int o = 1;

	c->overrides = calloc((size_t)argc, sizeof(*c->overrides));
	if (!c->overrides) {
		errorf("out of memory");
		return EXIT_FILE;
	}
	for (int k = 1; k < i; k++)
		if (strncmp(argv[k], "--config=", 9))
			c->overrides[c->noverrides++] = argv[k];
	if (cmd->event)
		return EXIT_OK;
	for (int k = 1; k < *cmdargc; k++) {
		if (!strncmp(cmdargv[k], "--config=", 9)) {
			errorf("option '%.64s' must come before the command", cmdargv[k]);
			return EXIT_USAGE;
		}
		if (config_is_option(cmdargv[k]))
			c->overrides[c->noverrides++] = cmdargv[k];
		else
			cmdargv[o++] = cmdargv[k];
	}
	*cmdargc = o;
	if (cmd->fn != cmd_show && cmd->fn != cmd_metrics && *cmdargc > 1) {
		errorf("%s: unexpected argument '%.64s'", cmd->name, cmdargv[1]);
		command_usage(stderr, cmd);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct ctx c = { .lock_fd = -1 };
	const struct command *cmd = NULL;
	const char *env = getenv("IPTMON_CONFIG"), *cfgpath = NULL;
	char err[512];
	int i, rc = EXIT_OK, ret, cmdargc;
	char **cmdargv;

	signal(SIGPIPE, SIG_IGN);
	fix_path();
	i = parse_globals(&c, argc, argv, &cfgpath, &rc);
	if (i < 0)
		return rc;
	for (const struct command *k = commands; k->name; k++)
		if (!strcmp(k->name, argv[i]))
			cmd = k;
	if (!cmd) {
		/* dnsmasq's contract: actions we do not know (tftp, relay-snoop, ...) are ignored. */
		if (isatty(STDERR_FILENO))
			errorf("unknown command '%.64s' ignored (see '%s help')", argv[i], prog);
		return EXIT_OK;
	}
	cmdargc = argc - i;
	cmdargv = argv + i;
	if (cmdargc > 1 && want_help(cmdargv[1])) {
		command_usage(stdout, cmd);
		return EXIT_OK;
	}
	if (cmd->fn == cmd_help || cmd->fn == cmd_version)
		return cmd->fn(&c, cmdargc, cmdargv);
	rc = collect_options(&c, cmd, argc, argv, i, &cmdargc, cmdargv);
	if (rc) {
		free(c.overrides);
		return rc;
	}
	/* --config= wins over $IPTMON_CONFIG; neither: the default path, missing is fine. */
	c.cfgpath = cfgpath ? cfgpath : env && *env ? env : NULL;
	ret = config_build(&c.cfg, c.cfgpath, c.noverrides, c.overrides, err, sizeof(err));
	if (ret) {
		errorf("%s", err);
		free(c.overrides);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_FILE;
	}
	rc = open_backend(&c);
	if (!rc) {
		rc = cmd->fn(&c, cmdargc, cmdargv);
		c.ops->close(c.be);
	}
	if (c.lock_fd >= 0)
		close(c.lock_fd);
	free(c.overrides);
	return rc;
}
