// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's loop: signals arrive through a signalfd and polls through a timerfd, so that
 * no work ever happens in a signal handler. State is written to a temporary file, fsynced and
 * renamed: a power cut leaves the old state or the new one, never half of one.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "totals.h"

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

static void state_path(char *buf, size_t len, const struct config *cfg, const char *suffix)
{
	snprintf(buf, len, "%s/iptmon.state%s", cfg->state_dir, suffix);
}

/* Loads the state; a bad file is set aside (never overwritten) and the daemon starts afresh. */
static int state_load(const struct config *cfg, struct totals *t)
{
	char path[PATH_MAX + 32], aside[PATH_MAX + 64];
	unsigned int bad = 0;
	FILE *f;
	int ret;

	memset(t, 0, sizeof(*t));
	state_path(path, sizeof(path), cfg, "");
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
		snprintf(aside, sizeof(aside), "%s.bad-%lld", path, (long long)time(NULL));
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

static int state_save(const struct config *cfg, const struct totals *t)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
	FILE *f;
	int fd, ret = 0;

	if (mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		logf_("cannot create %s: %s", cfg->state_dir, strerror(errno));
		return -errno;
	}
	state_path(path, sizeof(path), cfg, "");
	state_path(tmp, sizeof(tmp), cfg, ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		logf_("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	if (totals_write(f, t) || fflush(f) || fsync(fd))
		ret = -EIO;
	if (fclose(f))
		ret = -EIO;
	if (!ret && rename(tmp, path) < 0)
		ret = -EIO;
	if (ret) {
		logf_("cannot write state file %s: %s", path, strerror(errno));
		unlink(tmp);
		return ret;
	}
	fd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) { /* the rename itself, on disk */
		fsync(fd);
		close(fd);
	}
	return 0;
}

static int poll_once(const struct backend_ops *ops, struct backend *be, struct totals *t,
		     bool *failing)
{
	struct hostset snap;
	char boot[40];
	int ret = ops->read(be, FAMS_ALL, &snap);

	if (ret) {
		if (!*failing) /* one line per outage, not per poll */
			logf_("cannot read counters: %s", be->err[0] ? be->err : strerror(-ret));
		*failing = true;
		return ret;
	}
	if (*failing)
		logf_("reading counters again");
	*failing = false;
	boot_id(boot, sizeof(boot));
	ret = totals_update(t, &snap, boot);
	hostset_free(&snap);
	return ret;
}

static int arm(int tfd, unsigned int interval)
{
	struct itimerspec its = { .it_interval = { interval, 0 }, .it_value = { 0, 1 } };

	return timerfd_settime(tfd, 0, &its, NULL);
}

int daemon_run(struct config *cfg, const char *cfgpath, const struct backend_ops *ops,
	       struct backend *be)
{
	struct totals t;
	sigset_t mask;
	int sfd, tfd, rc = 0;
	bool failing = false, dirty = false;
	time_t last_commit = time(NULL);

	if (state_load(cfg, &t) < 0)
		return 3;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || arm(tfd, cfg->interval) < 0) {
		logf_("cannot set up the event loop: %s", strerror(errno));
		totals_free(&t);
		return 3;
	}
	logf_("daemon: backend %s, polling every %us, state in %s/iptmon.state every %us",
	      ops->name, cfg->interval, cfg->state_dir, cfg->commit_interval);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = tfd, .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			logf_("poll: %s", strerror(errno));
			rc = 3;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				struct config fresh;
				char err[512];

				config_defaults(&fresh);
				if (config_load(&fresh, cfgpath, err, sizeof(err)) &&
				    !(errno == ENOENT && !getenv("IPTMON_CONFIG"))) {
					logf_("SIGHUP: keeping the old configuration: %s", err);
				} else {
					cfg->interval = fresh.interval;
					cfg->commit_interval = fresh.commit_interval;
					arm(tfd, cfg->interval);
					logf_("SIGHUP: configuration re-read");
				}
				continue;
			}
			/* TERM, INT: one last poll, save, leave. */
			poll_once(ops, be, &t, &failing);
			rc = state_save(cfg, &t) ? 3 : 0;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
				continue;
			if (!poll_once(ops, be, &t, &failing))
				dirty = true;
			if (dirty && time(NULL) - last_commit >= (time_t)cfg->commit_interval) {
				if (!state_save(cfg, &t))
					dirty = false;
				last_commit = time(NULL);
			}
		}
	}
	close(sfd);
	close(tfd);
	totals_free(&t);
	return rc;
}
