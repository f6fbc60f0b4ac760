// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's loop: signals arrive through a signalfd, polls through a timerfd, HTTP
 * clients through libmicrohttpd's epoll fd, collectd's socket and InfluxDB's transfers
 * through their own fds; nothing blocks and no work happens in a signal handler. Its files
 * (state, live totals, locks) are src/state.c's.
 */
#include "daemon.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "counting.h"
#include "discd.h"
#include "export.h"
#include "http.h"
#include "journal.h"
#include "membuf.h"
#include "push.h"
#include "show.h"
#include "state.h"
#include "totals.h"

/* Bytes of points kept while InfluxDB is down (besides the newest batch: 694 KB at 4000
 * hosts), and at most INFLUX_MAX_BATCHES batches (push.h) thinned over the outage. */
#define INFLUX_MAX_QUEUE (256u << 10)

struct dmn {
	struct config *cfg;
	const char *cfgpath; /* what SIGHUP builds the configuration from, as start-up did */
	int noverrides;
	char *const *overrides;
	const struct backend_ops *ops;
	struct backend *be;
	struct totals t; /* with the addresses of the last poll (totals_attach): no snapshot kept */
	uint32_t *order;     /* the totals sorted by name, for streamed bodies; built on demand */
	unsigned long long order_gen; /* bumped whenever it is built */
	size_t push_len[2]; /* the last push's size: collectd, InfluxDB */
	bool order_ok;	     /* built, for the names the totals had then: */
	unsigned long order_names; /* their names_gen (the order is by name only) */
	struct http *http;
	struct cdsock *cd;
	struct influx *ix;
	struct discd *disc; /* host discovery; NULL when off */
	struct counting cnt; /* the forward hook's counters or conntrack's (counting.h) */
	char hostname[256];
	struct timespec lease_mtime;
	int64_t last_poll_mono_ms;
	time_t started, last_poll;
	double poll_seconds;
	unsigned long long polls, poll_errors, saves, save_errors, rebuilds;
	unsigned long long dropped, dropped_bytes; /* hosts beyond max_remembered */
	int64_t dropped_logged_ms; /* CLOCK_MONOTONIC; 0: never */
	bool failing, live_failing, save_failing, lock_failing, addrs_warned;
	bool clock_unset; /* the wall clock is behind the state (logged once) */
	bool stopping;	  /* TERM or INT: the last poll */
	bool dirty;	  /* totals changed since the last state file write */
	int64_t last_commit_ms; /* CLOCK_MONOTONIC of the last state file write */
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line("", fmt, ap);
	va_end(ap);
}

static void boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

int daemon_running(const struct config *cfg)
{
	char path[PATH_MAX + 16];
	int fd, running = 0;

	state_pid_path(path, sizeof(path), cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		running = 1;
	close(fd);
	return running;
}

/* The state file; the first failure of a run of them is logged, and the first success after. */
static int state_save(struct dmn *d)
{
	char err[PATH_MAX + 128];
	size_t lost = d->t.periods_lost, days = d->t.hist.days_lost;
	int ret = state_write(d->cfg, &d->t, err, sizeof(err));

	if (d->t.periods_lost != lost) /* (whether the write then succeeded or not) */
		logf_("state file %s/iptmon.state was written over by another program or cannot "
		      "be read: %zu closed periods before the previous one were kept only there "
		      "and are lost",
		      d->cfg->state_dir, d->t.periods_lost - lost);
	if (d->t.hist.days_lost != days)
		logf_("state file %s/iptmon.state was written over by another program or cannot "
		      "be read: %zu days of history before today were kept only there and are "
		      "lost",
		      d->cfg->state_dir, d->t.hist.days_lost - days);
	if (ret) {
		d->save_errors++;
		if (!d->save_failing)
			logf_("%s", err);
	} else {
		d->saves++;
		if (d->save_failing)
			logf_("state file %s/iptmon.state written again", d->cfg->state_dir);
	}
	d->save_failing = ret != 0;
	return ret;
}

static void live_save(struct dmn *d)
{
	char err[PATH_MAX + 128];
	int ret = state_write_live(d->cfg, &d->t, err, sizeof(err));

	if (ret && !d->live_failing)
		logf_("%s", err);
	d->live_failing = ret != 0;
}

/* One health metric: HELP, TYPE and its value. */
static void health(FILE *f, const char *name, const char *type, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", name, help, name, type, name, v);
}

static void write_health(FILE *f, const struct dmn *d)
{
	struct rusage ru;

	health(f, "iptmon_daemon_start_time_seconds", "gauge", "When the daemon started (Unix time).",
	       (double)d->started);
	health(f, "iptmon_daemon_polls_total", "counter", "Polls of the kernel's counters.",
	       (double)d->polls);
	health(f, "iptmon_daemon_poll_errors_total", "counter", "Polls that could not read the counters.",
	       (double)d->poll_errors);
	health(f, "iptmon_daemon_rebuilds_total", "counter",
	       "Times iptmon's kernel objects were found deleted and made again.",
	       (double)d->rebuilds);
	health(f, "iptmon_daemon_hosts_dropped_total", "counter",
	       "Hosts dropped from the totals because more than max_remembered were kept.",
	       (double)d->dropped);
	health(f, "iptmon_daemon_hosts_remembered", "gauge",
	       "Hosts in the totals (present, gone, and forgotten ones kept for the period).",
	       (double)d->t.n);
	counting_metrics(f, &d->cnt);
	health(f, "iptmon_daemon_up", "gauge", "1 when the last poll read the counters.",
	       (double)(d->polls && !d->failing));
	health(f, "iptmon_daemon_last_poll_timestamp_seconds", "gauge", "When the last good poll ran.",
	       (double)d->last_poll);
	health(f, "iptmon_daemon_poll_duration_seconds", "gauge", "How long the last poll took.",
	       (double)d->poll_seconds);
	health(f, "iptmon_daemon_state_writes_total", "counter", "State file writes.",
	       (double)d->saves);
	health(f, "iptmon_daemon_state_write_errors_total", "counter", "State file writes that failed.",
	       (double)d->save_errors);
	if (d->http) {
		health(f, "iptmon_daemon_http_connections", "gauge", "HTTP connections open.",
		       (double)http_connections(d->http));
		health(f, "iptmon_daemon_http_requests_total", "counter", "HTTP requests answered.",
		       (double)http_requests(d->http));
	}
	if (d->ix) {
		health(f, "iptmon_daemon_influx_queued_bytes", "gauge", "Bytes of line protocol (gzip-compressed with influx_gzip = on) waiting for InfluxDB.",
		       (double)influx_queued(d->ix));
		health(f, "iptmon_daemon_influx_errors_total", "counter", "Failed InfluxDB writes.",
		       (double)influx_errors(d->ix));
		health(f, "iptmon_daemon_influx_dropped_total", "counter", "Batches dropped (queue full or refused).",
		       (double)influx_dropped(d->ix));
	}
	if (d->cd)
		health(f, "iptmon_daemon_collectd_errors_total", "counter",
		       "collectd socket errors and refused values.", (double)cd_errors(d->cd));
	if (d->disc) {
		health(f, "iptmon_daemon_discovered_neighbours", "gauge",
		       "Neighbour addresses host discovery knows (living or within their grace).",
		       (double)discd_neighbours(d->disc));
		health(f, "iptmon_daemon_discovery_commits_total", "counter",
		       "Transactions host discovery made.", (double)discd_commits(d->disc));
	}
	if (!getrusage(RUSAGE_SELF, &ru)) {
		health(f, "iptmon_daemon_cpu_seconds_total", "counter", "CPU time the daemon used.",
		       (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
		health(f, "iptmon_daemon_max_rss_bytes", "gauge", "Peak resident memory.",
		       (double)ru.ru_maxrss * 1024);
	}
}

/* /api/history and /api/days rendered whole: one host's history, a 400 (the rest: piece()). */
static int render(void *ctx, enum http_res res, const char *arg, char **body, size_t *len)
{
	struct dmn *d = ctx;

	if (res != HTTP_HISTORY && res != HTTP_DAYS)
		return -EOPNOTSUPP; /* streamed: piece() */
	return history_render(&d->t, res == HTTP_DAYS, arg, body, len);
}

/* The totals sorted by name (d->order), built once per poll when first asked; 0 or -ENOMEM. */
static int order_get(struct dmn *d)
{
	if (d->order_ok && d->order_names == d->t.names_gen)
		return 0;
	if (totals_order(&d->t, &d->order))
		return -ENOMEM;
	d->order_ok = true;
	d->order_names = d->t.names_gen;
	d->order_gen++;
	return 0;
}

#define PIECE_HOSTS 16 /* hosts per piece of a streamed body */

/* The next few hosts of a view after the cursor's; how many (0: the view is done), -errno. */
static int slice(struct dmn *d, enum view which, struct http_cursor *cur, struct hostset *v)
{
	int ret;

	if (which == VIEW_PREVIOUS) {
		ret = totals_view_after(&d->t, which, cur->after, PIECE_HOSTS, v, NULL);
	} else {
		if (order_get(d))
			return -ENOMEM;
		if (cur->gen != d->order_gen) { /* a poll since the last piece */
			cur->pos = totals_order_after(&d->t, d->order, cur->after);
			cur->gen = d->order_gen;
		}
		ret = totals_view_at(&d->t, which, d->order, &cur->pos, PIECE_HOSTS, v);
	}
	if (ret)
		return ret;
	if (v->n)
		snprintf(cur->after, sizeof(cur->after), "%s", v->v[v->n - 1].name);
	return (int)v->n;
}

/* /metrics' next piece: the totals' two metrics, the hosts counted, the current period's two
 * metrics and its bounds, the daemon's health. 1 written, 2 nothing written (go on), 0 the
 * end, -errno. */
static int metrics_step(struct dmn *d, struct http_cursor *cur, FILE *f)
{
	static const int fam_of[] = { PROM_BYTES, PROM_PACKETS, -1, PROM_PERIOD_BYTES,
				      PROM_PERIOD_PACKETS };
	int sec = cur->section / 2, fam = sec < 5 ? fam_of[sec] : -1, n;
	enum view which = sec < 2 ? VIEW_ALL : VIEW_CURRENT;
	struct hostset v;

	if (sec == 2) { /* after the totals' metrics */
		size_t total = 0;

		if (totals_view_after(&d->t, VIEW_ALL, "", 0, &v, &total))
			return -ENOMEM;
		prom_summary(f, total, d->ops->name);
		cur->section = 6;
		return 1;
	}
	if (sec >= 5) {
		prom_period_bounds(f, d->t.period_start, d->t.period_end);
		write_health(f, d);
		return 0;
	}
	if (cur->section % 2 == 0) { /* a metric's head */
		prom_family_head(f, &prom_families[fam]);
		cur->section++;
		cur->after[0] = '\0';
		cur->gen = 0;
		return 1;
	}
	n = slice(d, which, cur, &v);
	if (n < 0)
		return n;
	if (!n) {
		cur->section++;
		return 2;
	}
	prom_family_hosts(f, &prom_families[fam], &v);
	hostset_free(&v);
	return 1;
}

_Static_assert(sizeof(struct hist_cursor) <= sizeof(((struct http_cursor *)0)->own),
	       "a history cursor fits an HTTP cursor");

static int piece(void *ctx, enum http_res res, struct http_cursor *cur, FILE *f)
{
	struct dmn *d = ctx;
	enum view which = res == HTTP_HOSTS_CURRENT ? VIEW_CURRENT :
			  res == HTTP_HOSTS_PREVIOUS ? VIEW_PREVIOUS : VIEW_ALL;
	struct show_info in = { .backend = d->ops->name, .source = "daemon", .rates = true,
				.counting = d->cnt.active ? "conntrack" : "forward" };
	struct hostset v;
	int n;

	if (res == HTTP_METRICS) {
		while ((n = metrics_step(d, cur, f)) == 2)
			;
		return n;
	}
	if (res == HTTP_HISTORY || res == HTTP_DAYS) {
		const char *arg = cur->arg[0] ? cur->arg : NULL;

		if (!f)
			return history_streams(&d->t, res == HTTP_DAYS, arg) ? 0 : 1;
		return history_piece(f, &d->t, res == HTTP_DAYS, arg, (struct hist_cursor *)cur->own);
	}
	if (which != VIEW_ALL) {
		const struct period_rec *p = d->t.npast ? &d->t.past[0] : NULL;

		in.period = which == VIEW_CURRENT ? "current" : "previous";
		in.period_start = which == VIEW_CURRENT ? d->t.period_start : p ? p->start : 0;
		in.period_end = which == VIEW_CURRENT ? d->t.period_end : p ? p->end : 0;
		in.rates = which == VIEW_CURRENT;
	}
	if (cur->section == 0) {
		show_json_head(f, &in);
		cur->section = 1;
		return 1;
	}
	n = slice(d, which, cur, &v);
	if (n < 0)
		return n;
	if (!n) {
		show_json_tail(f, cur->any);
		return 0;
	}
	show_json_hosts(f, &in, &v, !cur->any);
	cur->any = true;
	hostset_free(&v);
	return 1;
}

#define PUSH_HOSTS 64 /* hosts per slice of a push: no copy of the whole view */

/* The pushes: the totals as collectd PUTVALs and InfluxDB points, by name. */
static void push(struct dmn *d, int64_t now_ns)
{
	if ((!d->cd && !d->ix) || order_get(d))
		return;
	for (int k = 0; k < 2; k++) {
		const struct exporter_ops *ops = exporter_find(k ? "influx" : "collectd");
		struct hostset v;
		struct export_ctx x = { .hosts = &v, .backend = d->ops->name, .hostname = d->hostname,
					.now_ns = now_ns, .interval = d->cfg->interval };
		size_t len, pos = 0;
		bool bad = false;
		int ret = 0;
		char *buf;
		FILE *f;

		if (!(k ? (void *)d->ix : (void *)d->cd) ||
		    !(f = membuf_open(&buf, &len, d->push_len[k] + d->push_len[k] / 16 + 4096, &bad,
				      k && influx_gzip(d->ix))))
			continue;
		while (!(ret = totals_view_at(&d->t, VIEW_ALL, d->order, &pos, PUSH_HOSTS,
					      &v)) && v.n) {
			ops->write(f, &x);
			hostset_free(&v);
		}
		bad |= ferror(f) != 0;
		if (fclose(f) || bad || ret) {
			free(buf);
			continue;
		}
		d->push_len[k] = len;
		{ /* it may wait in the InfluxDB queue: no slack kept with it */
			char *fit = realloc(buf, len + 1);

			if (fit)
				buf = fit;
		}
		if (k)
			influx_push(d->ix, buf, len);
		else
			cd_send(d->cd, buf, len);
	}
}

static bool leases_changed(struct dmn *d)
{
	struct stat st;

	if (stat(d->cfg->lease_file, &st) < 0)
		return false;
	if (st.st_mtim.tv_sec == d->lease_mtime.tv_sec && st.st_mtim.tv_nsec == d->lease_mtime.tv_nsec)
		return false;
	d->lease_mtime = st.st_mtim;
	return true;
}

/* Facts from the commands (journal.c), applied before the snapshot they go with. */
static void on_fact(void *ctx, const struct journal_fact *f)
{
	struct dmn *d = ctx;

	switch (f->kind) {
	case JOURNAL_NEW:
		totals_restarted(&d->t, f->name);
		break;
	case JOURNAL_RENAME:
		if (totals_rename(&d->t, f->from, f->name) < 0)
			logf_("cannot move the total of '%s' to '%s': out of memory", f->from, f->name);
		break;
	case JOURNAL_LOST:
		logf_("the journal in %s overflowed: renames and re-created counters since the "
		      "last poll are judged from counter values alone", d->cfg->run_dir);
		break;
	}
}

/*
 * iptmon's objects were deleted under the daemon (`nft flush ruleset`, a firewall stop,
 * `iptmon remove`): made again with every host of the last poll, counters from zero,
 * then read again. 0 or -errno.
 */
static int rebuild(struct dmn *d, struct hostset *snap)
{
	struct hostset want;
	size_t added = 0;
	int ret;

	if (hostset_copy(&want, snap))
		return -ENOMEM;
	for (size_t i = 0; i < d->t.n; i++) {
		const struct total *h = &d->t.v[i];

		if (!h->present || hostset_find(&want, h->name))
			continue;
		for (unsigned int j = 0; j < h->naddrs; j++)
			if (!hostset_find_addr(&want, &h->addrs[j]) &&
			    !hostset_add_addr(&want, h->name, &h->addrs[j])) {
				hostset_free(&want);
				return -ENOMEM;
			}
		added++;
	}
	{
		struct plan p;

		ret = plan_make(&p, snap, &want);
		if (!ret)
			ret = d->ops->commit(d->be, FAMS_ALL, &p);
		plan_free(&p);
	}
	if (ret) {
		logf_("iptmon's %s objects are missing and cannot be made again: %s", d->ops->name,
		      d->be->err[0] ? d->be->err : strerror(-ret));
	} else {
		for (size_t i = 0; i < want.n; i++)
			if (!hostset_find(snap, want.v[i].name))
				totals_restarted(&d->t, want.v[i].name);
		d->rebuilds++;
		logf_("iptmon's %s objects were deleted; made them again with %zu known hosts",
		      d->ops->name, added);
		hostset_free(snap);
		ret = d->ops->read(d->be, FAMS_ALL, snap);
	}
	hostset_free(&want);
	return ret;
}

/*
 * The kernel's counters and the commands' facts, read under the lock the commands take to
 * change the kernel, so that every fact read is about this snapshot's counters.
 */
static int read_locked(struct dmn *d, struct hostset *snap)
{
	int fd = open(d->cfg->lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600), ret;

	if (fd < 0 && !d->lock_failing)
		logf_("cannot open lock file '%s': %s; renames and re-created counters are judged "
		      "from counter values alone", d->cfg->lock_file, strerror(errno));
	d->lock_failing = fd < 0;
	while (fd >= 0 && flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	ret = d->ops->read(d->be, FAMS_ALL, snap);
	if (!ret && fd >= 0) {
		ret = journal_take(d->cfg, on_fact, d);
		if (ret)
			logf_("cannot read the journal in %s: %s", d->cfg->run_dir, strerror(-ret));
		ret = 0;
	}
	/* Not on the way out: `iptmon remove` after a stop must stay removed. */
	if (!ret && d->be->base_missing && totals_present(&d->t) && !d->stopping)
		ret = rebuild(d, snap);
	if (!ret && snap->addrs_dropped && !d->addrs_warned)
		logf_("host '%s' has more than %d addresses in the kernel; %zu are not counted",
		      snap->addrs_dropped_host, HOST_MAX_ADDRS, snap->addrs_dropped);
	if (!ret)
		d->addrs_warned = snap->addrs_dropped > 0;
	if (ret)
		hostset_free(snap);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Hosts gone too long leave the totals (bounded memory, state file and /metrics). */
static void forget(struct dmn *d, time_t now)
{
	uint64_t lost;
	size_t n;

	/* Ages need a set clock: a router before NTP would forget everybody once it is set. */
	if (!totals_clock_set(&d->t, now))
		return;
	n = totals_forget(&d->t, now, d->cfg->forget_after, d->cfg->max_remembered, &lost);
	if (!n)
		return;
	d->dropped += n;
	d->dropped_bytes += lost;
	/* At most one line an hour, however fast names come and go (or the clock steps). */
	if (d->dropped_logged_ms && mono_ms() - d->dropped_logged_ms < 3600 * 1000)
		return;
	logf_("more than max_remembered = %u hosts: dropped %llu that were gone longest, with %llu "
	      "bytes of the current period, since the daemon started",
	      d->cfg->max_remembered, d->dropped, d->dropped_bytes);
	d->dropped_logged_ms = mono_ms();
}

static int poll_once(struct dmn *d)
{
	struct hostset snap;
	struct timespec ts;
	char boot[40];
	int64_t t0 = mono_ms();
	int ret;

	ret = read_locked(d, &snap);

	if (ret) {
		if (!d->failing) /* one line per outage, not per poll */
			logf_("cannot read counters: %s", d->be->err[0] ? d->be->err : strerror(-ret));
		d->failing = true;
		d->poll_errors++;
		return ret;
	}
	if (d->failing)
		logf_("reading counters again");
	d->failing = false;
	/* MACs: from the lease file when it changed, else the ones the totals keep. */
	if (leases_changed(d))
		hostset_attach_macs(&snap, d->cfg->lease_file);
	boot_id(boot, sizeof(boot));
	counting_before(&d->cnt, d->cfg, &snap, &d->t);
	ret = totals_update(&d->t, &snap, boot);
	counting_after(&d->cnt, &snap, &d->t);
	if (ret) {
		hostset_free(&snap);
		return ret;
	}
	d->t.has_rates = d->last_poll_mono_ms > 0;
	d->t.dt_ms = t0 - d->last_poll_mono_ms;
	d->last_poll_mono_ms = t0;
	discd_tick(d->disc, &snap);
	/* The snapshot's addresses go to the totals; the rest of it goes now, not at the next
	 * poll: one host set less held between polls and at the next one's peak. */
	totals_attach(&d->t, &snap);
	hostset_free(&snap);
	clock_gettime(CLOCK_REALTIME, &ts);
	d->last_poll = ts.tv_sec;
	forget(d, ts.tv_sec);
	if (totals_roll(&d->t, &d->cfg->period, ts.tv_sec, d->cfg->periods_kept) == 1) {
		char a[32], b[32];

		logf_("accounting period closed; the current one runs %s to %s",
		      show_local_time(d->t.period_start, a, sizeof(a)),
		      show_local_time(d->t.period_end, b, sizeof(b)));
		state_save(d); /* a closed period is worth a flash write at once */
	}
	/* the hour only for an HTTP server to serve it (one that could not start serves none) */
	history_hour(&d->t.hist, d->http && !strcmp(d->cfg->history_hour, "on"));
	if (history_poll(&d->t.hist, &d->t, ts.tv_sec))
		logf_("history: out of memory");
	d->polls++;
	if (d->http)
		http_invalidate(d->http);
	live_save(d);
	push(d, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
#ifdef M_MMAP_THRESHOLD
	/* The poll's transient small blocks (the last poll's address arrays) freed amid the heap:
	 * their pages back to the kernel, not kept as the heap's high-water mark. */
	malloc_trim(0);
#endif
	d->poll_seconds = (double)(mono_ms() - t0) / 1000.0;
	return 0;
}

/* One line when the wall clock is taken as not yet set (behind the newest time the state
 * saw, or before the floor: a router before NTP), one when it is set again. */
static void clock_check(struct dmn *d)
{
	time_t now = time(NULL);
	bool unset = !totals_clock_set(&d->t, now);
	char a[32], b[32];

	if (unset && !d->clock_unset) {
		if ((long long)now < TOTALS_CLOCK_FLOOR)
			logf_("the clock (%s) is before %s: taken as not yet set, accounting periods "
			      "wait for it", show_local_time(now, a, sizeof(a)),
			      show_local_time((time_t)TOTALS_CLOCK_FLOOR, b, sizeof(b)));
		else
			logf_("the clock (%s) is behind the newest time in the state (%s): taken as "
			      "not yet set, accounting periods wait for it",
			      show_local_time(now, a, sizeof(a)),
			      show_local_time((time_t)d->t.stamp, b, sizeof(b)));
	} else if (!unset && d->clock_unset) {
		logf_("the clock is set again (%s)", show_local_time(now, a, sizeof(a)));
	}
	d->clock_unset = unset;
}

static int arm(int tfd, unsigned int interval)
{
	struct itimerspec its = { .it_interval = { interval, 0 }, .it_value = { 0, 1 } };

	return timerfd_settime(tfd, 0, &its, NULL);
}

enum { OUT_HTTP = 1, OUT_CD = 2, OUT_INFLUX = 4, OUT_DISC = 8, OUT_ALL = 15 };

/* The outputs in WHICH, (re)started from the configuration. */
static int outputs_start(struct dmn *d, int which, bool initial)
{
	char err[256];

	if (which & OUT_HTTP) {
		http_stop(d->http);
		d->http = NULL;
		if (d->cfg->listen[0]) {
			d->http = http_start(d->cfg->listen, d->cfg->http_clients, render, d, err,
					     sizeof(err));
			if (d->http)
				http_set_stream(d->http, piece);
			if (!d->http) {
				logf_("%s", err);
				if (initial)
					return -1;
			}
		}
	}
	if (which & OUT_CD) {
		cd_free(d->cd);
		d->cd = d->cfg->collectd_socket[0] ? cd_new(d->cfg->collectd_socket) : NULL;
	}
	if (which & OUT_INFLUX) {
		influx_free(d->ix);
		d->ix = NULL;
		if (d->cfg->influx_url[0]) {
			d->ix = influx_new(d->cfg->influx_url, d->cfg->influx_token, INFLUX_MAX_QUEUE,
					   !strcmp(d->cfg->influx_gzip, "on"), err, sizeof(err));
			if (!d->ix) {
				logf_("%s", err);
				if (initial)
					return -1;
			}
		}
	}
	if (which & OUT_DISC) { /* host discovery (discd.c) is not worth stopping for */
		discd_close(d->disc);
		d->disc = !strcmp(d->cfg->discover, "on") ? discd_open(d->cfg, d->ops, d->be) : NULL;
	}
	if (d->cfg->hostname[0])
		snprintf(d->hostname, sizeof(d->hostname), "%s", d->cfg->hostname);
	else if (gethostname(d->hostname, sizeof(d->hostname)) < 0)
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
	d->hostname[sizeof(d->hostname) - 1] = '\0';
	return 0;
}

#define CHANGED(f) (strcmp(d->cfg->f, fresh->f) != 0)

/* Keys that shape the kernel objects and the files: they take effect at a restart. */
static void keep_restart_keys(const struct config *cur, struct config *fresh, char *changed,
			      size_t len)
{
	static const struct {
		const char *name;
		size_t off, size;
	} keys[] = {
#define K(f) { #f, offsetof(struct config, f), sizeof(((struct config *)0)->f) }
		K(backend), K(state_dir), K(run_dir), K(lock_file), K(max_hosts),
#undef K
	};
	size_t used = 0;

	changed[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *a = (const char *)cur + keys[i].off;
		char *b = (char *)fresh + keys[i].off;

		if (!memcmp(a, b, keys[i].size))
			continue;
		memcpy(b, a, keys[i].size);
		if (used < len)
			used += (size_t)snprintf(changed + used, len - used, "%s%s", used ? ", " : "",
						 keys[i].name);
	}
}

/*
 * SIGHUP: the configuration built exactly as at start-up (the file, then the --KEY=VALUE
 * options the daemon was started with). One that fails keeps the running one; either way
 * one log line.
 */
static void reload(struct dmn *d, int tfd)
{
	struct config *fresh = malloc(sizeof(*fresh));
	char err[512], later[128];
	int which = 0;

	if (!fresh) {
		logf_("SIGHUP: keeping the running configuration: out of memory");
		return;
	}
	if (config_build(fresh, d->cfgpath, d->noverrides, d->overrides, err, sizeof(err))) {
		logf_("SIGHUP: keeping the running configuration: %s", err);
		free(fresh);
		return;
	}
	keep_restart_keys(d->cfg, fresh, later, sizeof(later));
	/* An output is only restarted when its keys changed: InfluxDB's queue survives a HUP. */
	if (CHANGED(listen) || d->cfg->http_clients != fresh->http_clients)
		which |= OUT_HTTP;
	if (CHANGED(collectd_socket))
		which |= OUT_CD;
	if (CHANGED(influx_url) || CHANGED(influx_token) || CHANGED(influx_gzip))
		which |= OUT_INFLUX;
	if (CHANGED(discover) || CHANGED(discover_interfaces) || CHANGED(lease_file) ||
	    CHANGED(hosts_files) || d->cfg->has_ula != fresh->has_ula ||
	    memcmp(&d->cfg->ula, &fresh->ula, sizeof(fresh->ula)))
		which |= OUT_DISC;
	*d->cfg = *fresh;
	free(fresh);
	arm(tfd, d->cfg->interval);
	outputs_start(d, which, false);
	logf_("SIGHUP: configuration re-read%s%s", later[0] ? "; at a restart only: " : "", later);
}

/* The state_dir lock and the saved totals; 0, or 3 after one line saying why not. */
static int daemon_open(struct dmn *d, int lockfd[2])
{
	char msg[2 * PATH_MAX + 160];
	int ret;

	if (state_lock(d->cfg, lockfd, msg, sizeof(msg))) {
		logf_("%s", msg);
		return 3;
	}
	ret = state_load(d->cfg, &d->t, msg, sizeof(msg));
	if (msg[0])
		logf_("%s", msg);
	else if (ret < 0)
		logf_("cannot load the state: %s", strerror(-ret));
	if (ret < 0) {
		close(lockfd[1]);
		close(lockfd[0]);
		return 3;
	}
	return 0;
}

/* Signals as a file descriptor, the poll timer as another; 0 or -errno. */
static int loop_fds(unsigned int interval, int *sfd, int *tfd)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	return *sfd < 0 || *tfd < 0 || arm(*tfd, interval) < 0 ? -errno : 0;
}

/* A signal: HUP re-reads the configuration (-1: go on); TERM and INT poll once more and
 * save: the exit code. */
static int on_signal(struct dmn *d, int sfd, int tfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return -1;
	if (si.ssi_signo == SIGHUP) {
		reload(d, tfd);
		return -1;
	}
	d->stopping = true;
	poll_once(d);
	d->save_failing = false; /* the last save says why it fails, again */
	return state_save(d) ? 3 : 0;
}

/* The timer: a poll, and the state file when commit_interval has passed (monotonic time:
 * wall clocks step). */
static void on_tick(struct dmn *d, int tfd)
{
	uint64_t ticks;
	bool polled;

	if (read(tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	polled = !poll_once(d);
	if (polled)
		d->dirty = true;
	else
		discd_tick(d->disc, NULL); /* (a poll tells it about its snapshot) */
	clock_check(d);
	if (d->dirty && mono_ms() - d->last_commit_ms >= (int64_t)d->cfg->commit_interval * 1000) {
		if (!state_save(d))
			d->dirty = false;
		d->last_commit_ms = mono_ms();
	}
}

/* Waits for the next event of any output, the timer or a signal; the exit code once the
 * daemon is to stop, -1 to go on. */
static int loop_once(struct dmn *d, int sfd, int tfd)
{
	struct pollfd pfd[6] = { { .fd = sfd, .events = POLLIN },
				 { .fd = tfd, .events = POLLIN },
				 { .fd = d->http ? http_fd(d->http) : -1, .events = POLLIN },
				 { .fd = -1 },
				 { .fd = d->disc ? discd_fd(d->disc) : -1, .events = POLLIN },
				 { .fd = counting_fd(&d->cnt), .events = POLLIN } };
	int timeout = d->http ? http_timeout_ms(d->http) : -1, n;

	if (d->cd)
		pfd[3].fd = cd_pollfd(d->cd, &pfd[3].events);
	n = d->ix ? influx_poll(d->ix, pfd, 6, timeout) : poll(pfd, 6, timeout);
	if (n < 0 && errno != EINTR) {
		logf_("poll: %s", strerror(errno));
		return 3;
	}
	if (d->ix)
		influx_run(d->ix);
	if (d->http)
		http_run(d->http); /* also expires idle connections */
	if (pfd[3].fd >= 0 && pfd[3].revents && d->cd)
		cd_io(d->cd, pfd[3].revents);
	if (pfd[4].fd >= 0 && pfd[4].revents && d->disc) {
		unsigned long long commits = discd_commits(d->disc);

		discd_run(d->disc);
		if (d->http && discd_commits(d->disc) != commits)
			http_invalidate(d->http); /* its health metrics changed */
	}
	if (pfd[5].fd >= 0 && pfd[5].revents)
		counting_io(&d->cnt);
	if (n > 0 && (pfd[0].revents & POLLIN)) {
		int rc = on_signal(d, sfd, tfd);

		if (rc >= 0)
			return rc;
	}
	if (n > 0 && (pfd[1].revents & POLLIN))
		on_tick(d, tfd);
	return -1;
}

int daemon_run(struct config *cfg, const char *cfgpath, int noverrides, char *const *overrides,
	       const struct backend_ops *ops, struct backend *be)
{
	struct dmn d = { .cfg = cfg, .cfgpath = cfgpath, .noverrides = noverrides,
			 .overrides = overrides, .ops = ops, .be = be, .started = time(NULL),
			 .last_commit_ms = mono_ms() };
	char live[PATH_MAX + 32];
	int sfd = -1, tfd = -1, lockfd[2], rc;

#ifdef M_MMAP_THRESHOLD
	/* Big arrays (a snapshot, the totals: megabytes at thousands of hosts) in mappings of
	 * their own, given back when freed: glibc's threshold otherwise rises after the first
	 * such free, and the heap keeps every poll's peak. (musl does this by itself.) */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
	rc = daemon_open(&d, lockfd);

	if (rc)
		return rc;
	counting_init(&d.cnt, logf_);
	if (loop_fds(cfg->interval, &sfd, &tfd)) {
		logf_("cannot set up the event loop: %s", strerror(errno));
		rc = 3;
		goto out;
	}
	if (outputs_start(&d, OUT_ALL, true)) {
		rc = 3;
		goto out;
	}
	logf_("daemon: backend %s, counting %s, polling every %us, state in %s/iptmon.state every "
	      "%us%s%s%s%s%s%s",
	      ops->name, cfg->counting, cfg->interval, cfg->state_dir, cfg->commit_interval,
	      cfg->listen[0] ? ", http on " : "", cfg->listen, d.ix ? ", pushing to InfluxDB" : "",
	      d.cd ? ", sending to collectd" : "", d.disc ? ", discovering hosts on " : "",
	      d.disc ? cfg->discover_interfaces : "");
	while ((rc = loop_once(&d, sfd, tfd)) < 0)
		;
out:
	state_live_path(live, sizeof(live), cfg);
	unlink(live);
	http_stop(d.http);
	cd_free(d.cd);
	influx_free(d.ix);
	discd_close(d.disc);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	close(lockfd[1]);
	close(lockfd[0]);
	free(d.order);
	totals_free(&d.t);
	counting_free(&d.cnt);
	return rc;
}
