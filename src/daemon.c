// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's loop: signals arrive through a signalfd, polls through a timerfd, HTTP
 * clients through libmicrohttpd's epoll fd, collectd's socket and InfluxDB's transfers
 * through their own fds; nothing blocks and no work happens in a signal handler. State is
 * written to a temporary file, fsynced and renamed: a power cut leaves the old state or the
 * new one, never half of one.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
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

#include "export.h"
#include "http.h"
#include "push.h"
#include "show.h"
#include "totals.h"

#define INFLUX_MAX_QUEUE (16u << 20) /* bytes of points kept while InfluxDB is down */

struct dmn {
	struct config *cfg;
	const struct backend_ops *ops;
	struct backend *be;
	struct totals t;
	struct hostset snap; /* the last kernel snapshot: addresses, MACs */
	struct http *http;
	struct cdsock *cd;
	struct influx *ix;
	char hostname[256];
	struct timespec lease_mtime;
	int64_t last_poll_mono_ms;
	time_t started, last_poll;
	double poll_seconds;
	unsigned long long polls, poll_errors, saves, save_errors;
	bool failing, live_failing, save_failing;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	fputs("iptmon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

void daemon_state_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.state", cfg->state_dir);
}

void daemon_live_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.live", cfg->run_dir);
}

static void pid_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.pid", cfg->run_dir);
}

int daemon_running(const struct config *cfg)
{
	char path[PATH_MAX + 16];
	int fd, running = 0;

	pid_path(path, sizeof(path), cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		running = 1;
	close(fd);
	return running;
}

/* Loads the state; a bad file is set aside (never overwritten) and the daemon starts afresh. */
static int state_load(const struct config *cfg, struct totals *t)
{
	char path[PATH_MAX + 32], aside[PATH_MAX + 64];
	unsigned int bad = 0;
	FILE *f;
	int ret;

	memset(t, 0, sizeof(*t));
	daemon_state_path(path, sizeof(path), cfg);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		logf_("cannot read state file %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = totals_read(f, t, &bad);
	fclose(f);
	if (ret == -EINVAL) {
		/* A name no earlier damaged file has: none is ever overwritten. */
		for (int i = 0;; i++) {
			struct stat st;

			if (i)
				snprintf(aside, sizeof(aside), "%s.bad-%lld-%d", path,
					 (long long)time(NULL), i);
			else
				snprintf(aside, sizeof(aside), "%s.bad-%lld", path, (long long)time(NULL));
			if (lstat(aside, &st) < 0 || i > 1000)
				break;
		}
		if (rename(path, aside) < 0) {
			logf_("state file %s is damaged (line %u) and cannot be set aside: %s", path,
			      bad, strerror(errno));
			return -EIO;
		}
		logf_("state file %s is damaged (line %u): set aside as %s, starting from zero",
		      path, bad, aside);
		return 0;
	}
	return ret;
}

/* Writes PATH (in DIR) through PATH.tmp and a rename; unless LIVE, fsynced before the
 * rename and the directory after it. Failures are logged when LOUD. */
static int write_atomic(const char *dir, const char *path, const struct totals *t, bool live,
			bool loud)
{
	char tmp[PATH_MAX + 40];
	FILE *f;
	int fd, ret = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		if (loud)
			logf_("cannot create %s: %s", dir, strerror(errno));
		return ret;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (loud)
			logf_("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	if (totals_write(f, t, live) || fflush(f) || (!live && fsync(fd)))
		ret = -EIO;
	if (fclose(f))
		ret = -EIO;
	if (!ret && rename(tmp, path) < 0)
		ret = -EIO;
	if (ret) {
		if (loud)
			logf_("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return ret;
	}
	if (!live) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) { /* the rename itself, on disk */
			fsync(fd);
			close(fd);
		}
	}
	return 0;
}

static int state_save(struct dmn *d)
{
	char path[PATH_MAX + 32];
	int ret;

	daemon_state_path(path, sizeof(path), d->cfg);
	ret = write_atomic(d->cfg->state_dir, path, &d->t, false, !d->save_failing);
	if (ret)
		d->save_errors++;
	else
		d->saves++;
	if (!ret && d->save_failing)
		logf_("state file %s written again", path);
	d->save_failing = ret != 0;
	return ret;
}

static void live_save(struct dmn *d)
{
	char path[PATH_MAX + 32];

	daemon_live_path(path, sizeof(path), d->cfg);
	d->live_failing = write_atomic(d->cfg->run_dir, path, &d->t, true, !d->live_failing) != 0;
}

/* A memory stream for one output; NULL on failure. */
static FILE *membuf(char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	return open_memstream(buf, len);
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
		health(f, "iptmon_daemon_influx_queued_bytes", "gauge", "Line protocol waiting for InfluxDB.",
		       (double)influx_queued(d->ix));
		health(f, "iptmon_daemon_influx_errors_total", "counter", "Failed InfluxDB writes.",
		       (double)influx_errors(d->ix));
		health(f, "iptmon_daemon_influx_dropped_total", "counter", "Batches dropped (queue full or refused).",
		       (double)influx_dropped(d->ix));
	}
	if (d->cd)
		health(f, "iptmon_daemon_collectd_errors_total", "counter",
		       "collectd socket errors and refused values.", (double)cd_errors(d->cd));
	if (!getrusage(RUSAGE_SELF, &ru)) {
		health(f, "iptmon_daemon_cpu_seconds_total", "counter", "CPU time the daemon used.",
		       (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
		health(f, "iptmon_daemon_max_rss_bytes", "gauge", "Peak resident memory.",
		       (double)ru.ru_maxrss * 1024);
	}
}

static int render(void *ctx, enum http_res res, const char *arg, char **body, size_t *len)
{
	struct dmn *d = ctx;
	struct hostset v;
	enum view which = res == HTTP_HOSTS_CURRENT ? VIEW_CURRENT :
			  res == HTTP_HOSTS_PREVIOUS ? VIEW_PREVIOUS : VIEW_ALL;
	FILE *f;

	if (res == HTTP_HISTORY || res == HTTP_DAYS)
		return history_render(&d->t, res == HTTP_DAYS, arg, body, len);
	if (totals_view(&d->t, &d->snap, which, &v))
		return -ENOMEM;
	f = membuf(body, len);
	if (!f) {
		hostset_free(&v);
		return -ENOMEM;
	}
	if (res == HTTP_METRICS) {
		struct export_ctx x = { .hosts = &v, .backend = d->ops->name, .hostname = d->hostname };
		struct hostset cur;

		exporter_find("prometheus")->write(f, &x);
		if (!totals_view(&d->t, &d->snap, VIEW_CURRENT, &cur)) {
			prom_period(f, &cur, d->t.period_start, d->t.period_end);
			hostset_free(&cur);
		}
		write_health(f, d);
	} else {
		struct show_info in = { .backend = d->ops->name, .source = "daemon", .rates = true };

		if (which != VIEW_ALL) {
			const struct period_rec *p = d->t.npast ? &d->t.past[0] : NULL;

			in.period = which == VIEW_CURRENT ? "current" : "previous";
			in.period_start = which == VIEW_CURRENT ? d->t.period_start : p ? p->start : 0;
			in.period_end = which == VIEW_CURRENT ? d->t.period_end : p ? p->end : 0;
			in.rates = which == VIEW_CURRENT;
		}
		show_json_ex(f, &in, &v);
	}
	hostset_free(&v);
	if (fclose(f)) {
		free(*body);
		return -ENOMEM;
	}
	return 0;
}

/* The pushes: the totals as collectd PUTVALs and InfluxDB points. */
static void push(struct dmn *d, int64_t now_ns)
{
	struct hostset v;

	if ((!d->cd && !d->ix) || totals_view(&d->t, &d->snap, VIEW_ALL, &v))
		return;
	for (int k = 0; k < 2; k++) {
		struct export_ctx x = { .hosts = &v, .backend = d->ops->name, .hostname = d->hostname,
					.now_ns = now_ns, .interval = d->cfg->interval };
		char *buf;
		size_t len;
		FILE *f;

		if (!(k ? (void *)d->ix : (void *)d->cd) || !(f = membuf(&buf, &len)))
			continue;
		exporter_find(k ? "influx" : "collectd")->write(f, &x);
		if (fclose(f)) {
			free(buf);
			continue;
		}
		if (k)
			influx_push(d->ix, buf, len);
		else
			cd_send(d->cd, buf, len);
	}
	hostset_free(&v);
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

static int poll_once(struct dmn *d)
{
	struct hostset snap;
	struct timespec ts;
	char boot[40];
	int64_t t0 = mono_ms();
	int ret = d->ops->read(d->be, FAMS_ALL, &snap);

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
	ret = totals_update(&d->t, &snap, boot);
	if (ret) {
		hostset_free(&snap);
		return ret;
	}
	d->t.has_rates = d->last_poll_mono_ms > 0;
	d->t.dt_ms = t0 - d->last_poll_mono_ms;
	d->last_poll_mono_ms = t0;
	hostset_free(&d->snap);
	d->snap = snap;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->last_poll = ts.tv_sec;
	if (totals_roll(&d->t, &d->cfg->period, ts.tv_sec, d->cfg->periods_kept) == 1) {
		char a[32], b[32];

		logf_("accounting period closed; the current one runs %s to %s",
		      show_local_time(d->t.period_start, a, sizeof(a)),
		      show_local_time(d->t.period_end, b, sizeof(b)));
		state_save(d); /* a closed period is worth a flash write at once */
	}
	if (history_poll(&d->t.hist, &d->t, ts.tv_sec))
		logf_("history: out of memory");
	d->polls++;
	if (d->http)
		http_invalidate(d->http);
	live_save(d);
	push(d, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	d->poll_seconds = (double)(mono_ms() - t0) / 1000.0;
	return 0;
}

static int arm(int tfd, unsigned int interval)
{
	struct itimerspec its = { .it_interval = { interval, 0 }, .it_value = { 0, 1 } };

	return timerfd_settime(tfd, 0, &its, NULL);
}

enum { OUT_HTTP = 1, OUT_CD = 2, OUT_INFLUX = 4, OUT_ALL = 7 };

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
					   err, sizeof(err));
			if (!d->ix) {
				logf_("%s", err);
				if (initial)
					return -1;
			}
		}
	}
	if (d->cfg->hostname[0])
		snprintf(d->hostname, sizeof(d->hostname), "%s", d->cfg->hostname);
	else if (gethostname(d->hostname, sizeof(d->hostname)) < 0)
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
	d->hostname[sizeof(d->hostname) - 1] = '\0';
	return 0;
}

#define CHANGED(f) (strcmp(d->cfg->f, fresh.f) != 0)

static void reload(struct dmn *d, const char *cfgpath, int tfd)
{
	struct config fresh;
	char err[512];
	int which = 0;

	config_defaults(&fresh);
	if (config_load(&fresh, cfgpath, err, sizeof(err)) &&
	    !(errno == ENOENT && !getenv("IPTMON_CONFIG"))) {
		logf_("SIGHUP: keeping the old configuration: %s", err);
		return;
	}
	/* What can change while running; the backend and the files stay. An output is only
	 * restarted when its keys changed: InfluxDB's queue survives a HUP. */
	if (CHANGED(listen) || d->cfg->http_clients != fresh.http_clients)
		which |= OUT_HTTP;
	if (CHANGED(collectd_socket))
		which |= OUT_CD;
	if (CHANGED(influx_url) || CHANGED(influx_token))
		which |= OUT_INFLUX;
	d->cfg->interval = fresh.interval;
	d->cfg->commit_interval = fresh.commit_interval;
	d->cfg->period = fresh.period;
	d->cfg->periods_kept = fresh.periods_kept;
	memcpy(d->cfg->listen, fresh.listen, sizeof(fresh.listen));
	d->cfg->http_clients = fresh.http_clients;
	memcpy(d->cfg->influx_url, fresh.influx_url, sizeof(fresh.influx_url));
	memcpy(d->cfg->influx_token, fresh.influx_token, sizeof(fresh.influx_token));
	memcpy(d->cfg->collectd_socket, fresh.collectd_socket, sizeof(fresh.collectd_socket));
	memcpy(d->cfg->hostname, fresh.hostname, sizeof(fresh.hostname));
	arm(tfd, d->cfg->interval);
	outputs_start(d, which, false);
	logf_("SIGHUP: configuration re-read");
}

static int lock_pid(const struct config *cfg)
{
	char path[PATH_MAX + 16], buf[32];
	int fd;

	if (mkdir(cfg->run_dir, 0755) < 0 && errno != EEXIST) {
		logf_("cannot create %s: %s", cfg->run_dir, strerror(errno));
		return -1;
	}
	pid_path(path, sizeof(path), cfg);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		logf_("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		logf_("another iptmon daemon runs with run_dir %s (pid %s)", cfg->run_dir,
		      buf[0] ? buf : "?");
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

		if (write(fd, buf, (size_t)n) != n)
			logf_("cannot write %s", path);
	}
	return fd;
}

int daemon_run(struct config *cfg, const char *cfgpath, const struct backend_ops *ops,
	       struct backend *be)
{
	struct dmn d = { .cfg = cfg, .ops = ops, .be = be, .started = time(NULL) };
	char live[PATH_MAX + 32];
	sigset_t mask;
	int sfd, tfd, pidfd, rc = 0;
	bool dirty = false;
	time_t last_commit = time(NULL);

	pidfd = lock_pid(cfg);
	if (pidfd < 0)
		return 3;
	if (state_load(cfg, &d.t) < 0) {
		close(pidfd);
		return 3;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || arm(tfd, cfg->interval) < 0) {
		logf_("cannot set up the event loop: %s", strerror(errno));
		rc = 3;
		goto out;
	}
	if (outputs_start(&d, OUT_ALL, true)) {
		rc = 3;
		goto out;
	}
	logf_("daemon: backend %s, polling every %us, state in %s/iptmon.state every %us%s%s%s%s",
	      ops->name, cfg->interval, cfg->state_dir, cfg->commit_interval,
	      cfg->listen[0] ? ", http on " : "", cfg->listen, d.ix ? ", pushing to InfluxDB" : "",
	      d.cd ? ", sending to collectd" : "");
	for (;;) {
		struct pollfd pfd[4] = { { .fd = sfd, .events = POLLIN },
					 { .fd = tfd, .events = POLLIN },
					 { .fd = d.http ? http_fd(d.http) : -1, .events = POLLIN },
					 { .fd = -1 } };
		int timeout = d.http ? http_timeout_ms(d.http) : -1, n;

		if (d.cd)
			pfd[3].fd = cd_pollfd(d.cd, &pfd[3].events);
		n = d.ix ? influx_poll(d.ix, pfd, 4, timeout) : poll(pfd, 4, timeout);
		if (n < 0 && errno != EINTR) {
			logf_("poll: %s", strerror(errno));
			rc = 3;
			break;
		}
		if (d.ix)
			influx_run(d.ix);
		if (d.http)
			http_run(d.http); /* also expires idle connections */
		if (pfd[3].fd >= 0 && pfd[3].revents && d.cd)
			cd_io(d.cd, pfd[3].revents);
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				reload(&d, cfgpath, tfd);
				continue;
			}
			/* TERM, INT: one last poll, save, leave. */
			poll_once(&d);
			rc = state_save(&d) ? 3 : 0;
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN)) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
				continue;
			if (!poll_once(&d))
				dirty = true;
			if (dirty && time(NULL) - last_commit >= (time_t)cfg->commit_interval) {
				if (!state_save(&d))
					dirty = false;
				last_commit = time(NULL);
			}
		}
	}
out:
	daemon_live_path(live, sizeof(live), cfg);
	unlink(live);
	http_stop(d.http);
	cd_free(d.cd);
	influx_free(d.ix);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	close(pidfd);
	hostset_free(&d.snap);
	totals_free(&d.t);
	return rc;
}
