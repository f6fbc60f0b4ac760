// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's files. State is written to a temporary file, fsynced and renamed: a power cut
 * leaves the old state or the new one, never half of one. What is found at the state path
 * and is not a valid state file (damaged, truncated, a FIFO, a directory, a link) is set
 * aside under a new name, never overwritten, never waited on.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void state_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.state", cfg->state_dir);
}

void state_live_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.live", cfg->run_dir);
}

void state_pid_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.pid", cfg->run_dir);
}

static void lock_path(char *buf, size_t len, const struct config *cfg)
{
	snprintf(buf, len, "%s/iptmon.state.lock", cfg->state_dir);
}

/* DIR and its missing parents, 0755. */
static int make_dir(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (!n || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "fifo" : S_ISDIR(m) ? "directory" : S_ISLNK(m) ? "symbolic link" :
	       S_ISSOCK(m) ? "socket" : S_ISCHR(m) || S_ISBLK(m) ? "device" : "special file";
}

FILE *state_fopen(const char *path)
{
	struct stat st;
	FILE *f;
	int fd, e;

	/* lstat first: opening a device or a FIFO can block or have effects of its own. */
	if (lstat(path, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { /* swapped since the lstat */
		e = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

/* PATH renamed to PATH.bad-TIME[-N], a name no earlier file has. 0 or -errno. */
static int set_aside(const char *path, char *aside, size_t len)
{
	long long now = (long long)time(NULL);

	for (int i = 0;; i++) {
		struct stat st;

		if (i)
			snprintf(aside, len, "%s.bad-%lld-%d", path, now, i);
		else
			snprintf(aside, len, "%s.bad-%lld", path, now);
		if (lstat(aside, &st) < 0 || i > 1000)
			break;
	}
	return rename(path, aside) < 0 ? -errno : 0;
}

int state_load(const struct config *cfg, struct totals *t, char *msg, size_t msglen)
{
	char path[PATH_MAX + 32], aside[PATH_MAX + 64], why[64];
	unsigned int bad = 0;
	struct stat st;
	FILE *f;
	int ret;

	memset(t, 0, sizeof(*t));
	msg[0] = '\0';
	state_path(path, sizeof(path), cfg);
	f = state_fopen(path);
	if (!f) {
		if (errno == ENOENT)
			return 0;
		if (errno != EINVAL && errno != ELOOP) {
			ret = -errno;
			snprintf(msg, msglen, "cannot read state file %s: %s", path, strerror(errno));
			return ret;
		}
		if (lstat(path, &st) < 0) /* gone meanwhile */
			return errno == ENOENT ? 0 : -errno;
		snprintf(why, sizeof(why), "is not a regular file (%s)", file_kind(st.st_mode));
	} else {
		/* kept open: the older closed periods are read from it when asked for */
		int fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0);

		ret = totals_read_keep(f, t, &bad, PERIODS_IN_MEMORY, fd);
		fclose(f);
		if (!ret && t->live) { /* (no kernel values: counting on from it would be wrong) */
			totals_free(t); /* (closes the fd) */
			memset(t, 0, sizeof(*t));
			snprintf(why, sizeof(why), "is a live file, not a state file");
		} else {
			if (ret && fd >= 0)
				close(fd);
			if (ret != -EINVAL)
				return ret;
			snprintf(why, sizeof(why), "is damaged (line %u)", bad);
		}
	}
	ret = set_aside(path, aside, sizeof(aside));
	if (ret) {
		snprintf(msg, msglen, "state file %s %s and cannot be set aside: %s", path, why,
			 strerror(-ret));
		return ret;
	}
	snprintf(msg, msglen, "state file %s %s: set aside as %s, starting from zero", path, why,
		 aside);
	return 1;
}

/* Writes PATH (in DIR) through PATH.tmp and a rename; unless LIVE, fsynced before the
 * rename and the directory after it. With KEEP, *KEEP gets an fd of the file written (-1
 * when none could be had) and OFFS where its periods are (totals_write_offs). */
static int write_atomic(const char *dir, const char *path, const struct totals *t, bool live,
			long long *offs, int *keep, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 40];
	FILE *f;
	int fd, ret;

	ret = make_dir(dir);
	if (ret) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* Whatever a crash or someone else left there goes first: O_EXCL never opens a FIFO. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return ret;
	}
	fd = open(tmp, (keep ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	errno = 0;
	ret = totals_write_offs(f, t, live, offs);
	if (ret != -ESTALE && (ret || fflush(f) || (!live && fsync(fd))))
		ret = errno ? -errno : -EIO; /* (ENOSPC, said as such) */
	if (keep)
		*keep = ret ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (fclose(f) && !ret)
		ret = errno ? -errno : -EIO;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		unlink(tmp);
		if (keep && *keep >= 0)
			close(*keep);
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

int state_write(const struct config *cfg, struct totals *t, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	size_t n = t->npast + t->hist.ndays;
	long long *offs = n ? calloc(2 * n, sizeof(*offs)) : NULL;
	int fd = -1, *keep = offs || !n ? &fd : NULL, ret;

	/* (without room for the offsets, the periods and days just stay in memory: no KEEP) */
	state_path(path, sizeof(path), cfg);
	ret = write_atomic(cfg->state_dir, path, t, false, offs, keep, err, errlen);
	if (ret == -ESTALE && totals_drop_on_file(t)) /* the file they were on was written over */
		ret = write_atomic(cfg->state_dir, path, t, false, offs, keep, err, errlen);
	if (!ret && fd >= 0)
		totals_on_file(t, fd, offs, PERIODS_IN_MEMORY);
	free(offs);
	return ret;
}

int state_write_live(const struct config *cfg, const struct totals *t, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];

	state_live_path(path, sizeof(path), cfg);
	return write_atomic(cfg->run_dir, path, t, true, NULL, NULL, err, errlen);
}

/* An flock on DIR/PATH's file for the process's life, the pid written in it; the fd. */
static int lock_one(const char *dir, const char *path, const char *key, char *err, size_t errlen)
{
	struct stat st;
	char buf[32];
	int fd, ret = make_dir(dir);

	if (ret) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot lock %s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n;

		ret = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (ret == -EWOULDBLOCK)
			snprintf(err, errlen, "another iptmon daemon runs with %s %s (pid %s)", key,
				 dir, buf[0] ? buf : "?");
		else
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

		if (pwrite(fd, buf, (size_t)n, 0) != n) {
			ret = -errno;
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			return ret;
		}
	}
	return fd;
}

int state_lock(const struct config *cfg, int fds[2], char *err, size_t errlen)
{
	char path[PATH_MAX + 32];

	lock_path(path, sizeof(path), cfg);
	fds[0] = lock_one(cfg->state_dir, path, "state_dir", err, errlen);
	if (fds[0] < 0)
		return fds[0];
	state_pid_path(path, sizeof(path), cfg);
	fds[1] = lock_one(cfg->run_dir, path, "run_dir", err, errlen);
	if (fds[1] < 0) {
		int ret = fds[1];

		close(fds[0]);
		fds[0] = -1;
		return ret;
	}
	return 0;
}
