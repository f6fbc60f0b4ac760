// SPDX-License-Identifier: GPL-2.0-or-later
/* Host discovery's I/O in the daemon (see discd.h). */
#include "discd.h"
#include "run.h"

#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef IPTMON_NO_DISCOVER
#include "change.h"
#include "discover.h"
#include "neigh.h"

#define BATCH_MS 50	 /* a burst of neighbours within this is one transaction */
#define FILES_MS 100	 /* a file being written: read it when the writer is likely done */
#define RETRY_MS 1000	 /* a failed transaction is tried again, then ever later (x2)... */
#define RETRY_MAX_MS 60000 /* ...up to once a minute (a full map must not cost a read a second) */
#define MAX_WATCHES 64
#define MAX_IFS 64

struct watch {
	int wd; /* -1: the directory is missing (tried again at each tick) */
	char dir[PATH_MAX];
	char pat[NAME_MAX + 1]; /* the file name, a glob maybe */
};

struct stamp { /* a name file as last read: its bad lines are logged once per change */
	char path[PATH_MAX];
	struct timespec mtime;
	off_t size;
	ino_t ino;
	int err;
};

struct discd {
	const struct config *cfg;
	const struct backend_ops *ops;
	struct backend *be;
	struct neigh *nl;
	struct disc d;
	int epfd, ifd, tfd;
	struct watch w[MAX_WATCHES];
	size_t nw;
	struct stamp *st;
	size_t nst;
	struct {
		int ifindex;
		bool lan;
	} ifs[MAX_IFS];
	size_t nifs;
	bool armed, names_dirty, sync_dirty, redump, failing;
	bool after_poll; /* the daemon polled (and made its objects again if they were gone) */
	int retry_ms;
	unsigned long long commits;
};

#define logf_(...) log_line("discover: ", __VA_ARGS__)

/* The batch timer, unless it already runs (the first change of a burst sets the deadline). */
static void arm(struct discd *dd, int ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (long)(ms % 1000) * 1000000 + 1 } };

	if (dd->armed)
		return;
	if (timerfd_settime(dd->tfd, 0, &its, NULL) == 0)
		dd->armed = true;
}

/* Whether ifindex is one of discover_interfaces (cached; names looked up once). */
static bool lan(struct discd *dd, int ifindex)
{
	char name[IF_NAMESIZE], list[sizeof(dd->cfg->discover_interfaces)], *save, *w;
	bool yes = false;

	for (size_t i = 0; i < dd->nifs; i++)
		if (dd->ifs[i].ifindex == ifindex)
			return dd->ifs[i].lan;
	if (!if_indextoname((unsigned int)ifindex, name))
		return false; /* gone already: not cached, its index may come back */
	strcpy(list, dd->cfg->discover_interfaces);
	for (w = strtok_r(list, " \t", &save); w && !yes; w = strtok_r(NULL, " \t", &save))
		yes = !strcmp(w, name);
	if (dd->nifs < MAX_IFS)
		dd->ifs[dd->nifs++] = (typeof(dd->ifs[0])){ ifindex, yes };
	return yes;
}

static void on_neigh(void *ctx, const struct neigh_msg *m)
{
	struct discd *dd = ctx;
	int ret;

	if (!lan(dd, m->ifindex))
		return;
	ret = disc_update(&dd->d, m, mono_ms());
	if (ret < 0)
		logf_("out of memory: a neighbour was not taken in");
	if (ret) {
		dd->sync_dirty = true;
		arm(dd, BATCH_MS);
	}
}

/* ---- the name files ------------------------------------------------------------------ */

/* One line per file and change: the first read of a content says what was skipped. */
static void note(struct discd *dd, const char *path, int err, unsigned int bad)
{
	struct stat s = { 0 };
	struct stamp *st = NULL;

	if (stat(path, &s) < 0 && !err)
		return; /* missing: nothing to say (dnsmasq may not have written it yet) */
	for (size_t i = 0; i < dd->nst && !st; i++)
		if (!strcmp(dd->st[i].path, path))
			st = &dd->st[i];
	if (!st) {
		struct stamp *v = realloc(dd->st, (dd->nst + 1) * sizeof(*v));

		if (!v)
			return;
		dd->st = v;
		st = &v[dd->nst++];
		memset(st, 0, sizeof(*st));
		snprintf(st->path, sizeof(st->path), "%s", path);
		st->size = -1;
	}
	if (st->mtime.tv_sec == s.st_mtim.tv_sec && st->mtime.tv_nsec == s.st_mtim.tv_nsec &&
	    st->size == s.st_size && st->ino == s.st_ino && st->err == err)
		return;
	st->mtime = s.st_mtim;
	st->size = s.st_size;
	st->ino = s.st_ino;
	st->err = err;
	if (err)
		logf_("cannot read %s: %s", path, strerror(-err));
	else if (bad)
		logf_("%s: %u malformed line%s skipped", path, bad, bad == 1 ? "" : "s");
}

static int read_hosts(struct discd *dd, struct disc_names *n, const char *path)
{
	unsigned int bad = 0;
	int ret = disc_read_hosts(n, dd->cfg, path, &bad);

	if (ret == -ENOMEM)
		return ret;
	note(dd, path, ret, bad);
	return 0;
}

static int read_names(struct discd *dd)
{
	char list[sizeof(dd->cfg->hosts_files)], *save, *w;
	struct disc_names n = { 0 };
	unsigned int bad = 0;
	int ret = disc_read_leases(&n, dd->cfg->lease_file, &bad);

	if (ret != -ENOMEM) {
		note(dd, dd->cfg->lease_file, ret, bad);
		ret = 0;
	}
	strcpy(list, dd->cfg->hosts_files);
	for (w = strtok_r(list, " \t", &save); w && !ret; w = strtok_r(NULL, " \t", &save)) {
		glob_t g;

		if (!strpbrk(w, "*?[")) {
			ret = read_hosts(dd, &n, w);
			continue;
		}
		if (glob(w, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && !ret; i++)
				ret = read_hosts(dd, &n, g.gl_pathv[i]);
			globfree(&g);
		}
	}
	if (ret) {
		disc_names_free(&n);
		logf_("cannot read the lease and hosts files: out of memory");
		return ret;
	}
	disc_set_names(&dd->d, &n);
	return 0;
}

static void add_watch(struct discd *dd, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct watch *w;

	if (!slash || dd->nw >= MAX_WATCHES || strlen(slash + 1) > NAME_MAX)
		return;
	w = &dd->w[dd->nw++];
	snprintf(w->dir, sizeof(w->dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	snprintf(w->pat, sizeof(w->pat), "%s", slash + 1);
	w->wd = -1;
}

/* Watches on the directories of the name files (files are replaced by rename, or
 * rewritten in place: both are seen there). Missing directories are tried again; one that
 * appears may hold files already: they are read. */
static void watch_missing(struct discd *dd)
{
	for (size_t i = 0; i < dd->nw; i++) {
		if (dd->w[i].wd >= 0)
			continue;
		dd->w[i].wd = inotify_add_watch(dd->ifd, dd->w[i].dir,
						IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
							IN_MOVED_FROM | IN_CREATE | IN_DELETE);
		if (dd->w[i].wd >= 0)
			dd->names_dirty = true;
	}
	if (dd->names_dirty)
		arm(dd, FILES_MS);
}

static void on_inotify(struct discd *dd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(dd->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			for (size_t i = 0; i < dd->nw; i++) {
				if (ev->mask & IN_IGNORED && dd->w[i].wd == ev->wd)
					dd->w[i].wd = -1; /* the directory went away */
				else if (dd->w[i].wd == ev->wd && ev->len &&
					 !fnmatch(dd->w[i].pat, ev->name, FNM_PERIOD))
					dd->names_dirty = true;
			}
			if (ev->mask & IN_Q_OVERFLOW)
				dd->names_dirty = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (dd->names_dirty)
		arm(dd, FILES_MS);
}

/* ---- the batch ----------------------------------------------------------------------- */

static int decide(void *ctx, const struct hostset *old, struct hostset *want)
{
	struct discd *dd = ctx;
	int ret;

	/* iptmon's objects are gone (a flush of the ruleset): the daemon's next poll makes them
	 * again with every host it knows, not just these; after it, this goes on. */
	if (dd->be->base_missing && !dd->after_poll)
		return -EAGAIN;
	ret = disc_decide(&dd->d, old, want, mono_ms(), time(NULL));

	if (!ret) /* the last call is the one committed */
		disc_mark(&dd->d, want);
	return ret;
}

static void sync_now(struct discd *dd)
{
	int ret = change_apply(dd->cfg, dd->ops, dd->be, decide, dd);

	dd->after_poll = false;
	if (ret == -EAGAIN)
		return; /* at the next tick */
	if (ret < 0) {
		if (!dd->failing)
			logf_("cannot count the neighbours: %s",
			      ret != -ENOMEM && dd->be->err[0] ? dd->be->err : strerror(-ret));
		dd->failing = true;
		dd->retry_ms = dd->retry_ms ? dd->retry_ms * 2 : RETRY_MS;
		if (dd->retry_ms > RETRY_MAX_MS)
			dd->retry_ms = RETRY_MAX_MS;
		arm(dd, dd->retry_ms);
		return;
	}
	dd->retry_ms = 0;
	if (dd->failing)
		logf_("counting the neighbours again");
	dd->failing = false;
	dd->sync_dirty = false;
	dd->commits += (unsigned long long)ret;
	disc_applied(&dd->d, mono_ms());
}

static void on_timer(struct discd *dd)
{
	uint64_t n;
	int ret;

	if (read(dd->tfd, &n, sizeof(n)) != sizeof(n))
		return;
	dd->armed = false;
	if (dd->redump) {
		ret = neigh_dump(dd->nl);
		if (ret == -EBUSY) { /* a dump still answering: after it */
			arm(dd, BATCH_MS);
		} else {
			dd->redump = false;
			if (ret)
				logf_("cannot read the neighbour table: %s", strerror(-ret));
		}
	}
	if (dd->names_dirty && !read_names(dd)) {
		dd->names_dirty = false;
		dd->sync_dirty = true;
	}
	if (dd->sync_dirty)
		sync_now(dd);
}

void discd_run(struct discd *dd)
{
	struct epoll_event ev[4];
	int n = epoll_wait(dd->epfd, ev, 4, 0);

	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (fd == neigh_fd(dd->nl)) {
			int ret = neigh_read(dd->nl, on_neigh, dd);

			if (ret == -ENOBUFS) { /* messages lost: the whole table again */
				dd->redump = true;
				arm(dd, BATCH_MS);
			} else if (ret) {
				logf_("reading neighbours: %s", strerror(-ret));
			}
		} else if (fd == dd->ifd) {
			on_inotify(dd);
		} else if (fd == dd->tfd) {
			on_timer(dd);
		}
	}
}

void discd_tick(struct discd *dd, const struct hostset *snap)
{
	if (!dd)
		return;
	watch_missing(dd);
	if (disc_expired(&dd->d, mono_ms()) || (snap && disc_missing(&dd->d, snap, mono_ms())))
		dd->sync_dirty = true;
	if (dd->sync_dirty) {
		dd->after_poll = snap != NULL;
		arm(dd, 0);
	}
}

/* ---- set-up -------------------------------------------------------------------------- */

static int epoll_in(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void say_interfaces(const struct config *cfg)
{
	char list[sizeof(cfg->discover_interfaces)], *save, *w;
	bool any = false;

	strcpy(list, cfg->discover_interfaces);
	for (w = strtok_r(list, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		any |= if_nametoindex(w) != 0;
	if (!any)
		logf_("no interface '%s' here yet: nothing is discovered until one appears "
		      "(discover_interfaces)", cfg->discover_interfaces);
}

struct discd *discd_open(const struct config *cfg, const struct backend_ops *ops,
			 struct backend *be)
{
	struct discd *dd = calloc(1, sizeof(*dd));
	char list[sizeof(cfg->hosts_files)], *save, *w;
	int ret;

	if (!dd) {
		logf_("out of memory");
		return NULL;
	}
	dd->cfg = cfg;
	dd->ops = ops;
	dd->be = be;
	disc_init(&dd->d, cfg);
	dd->d.many = ops->many_addrs;
	dd->epfd = epoll_create1(EPOLL_CLOEXEC);
	dd->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	dd->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ret = neigh_open(&dd->nl);
	if (ret || dd->epfd < 0 || dd->ifd < 0 || dd->tfd < 0 ||
	    epoll_in(dd->epfd, neigh_fd(dd->nl)) || epoll_in(dd->epfd, dd->ifd) ||
	    epoll_in(dd->epfd, dd->tfd) || (ret = neigh_dump(dd->nl))) {
		logf_("cannot watch the neighbour table: %s", strerror(ret ? -ret : errno));
		discd_close(dd);
		return NULL;
	}
	add_watch(dd, cfg->lease_file);
	strcpy(list, cfg->hosts_files);
	for (w = strtok_r(list, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		add_watch(dd, w);
	watch_missing(dd);
	dd->names_dirty = true;
	arm(dd, BATCH_MS);
	say_interfaces(cfg);
	return dd;
}

void discd_close(struct discd *dd)
{
	if (!dd)
		return;
	neigh_close(dd->nl);
	if (dd->epfd >= 0)
		close(dd->epfd);
	if (dd->ifd >= 0)
		close(dd->ifd);
	if (dd->tfd >= 0)
		close(dd->tfd);
	disc_free(&dd->d);
	free(dd->st);
	free(dd);
}

int discd_fd(const struct discd *dd)
{
	return dd->epfd;
}

size_t discd_neighbours(const struct discd *dd)
{
	return disc_count(&dd->d);
}

unsigned long long discd_commits(const struct discd *dd)
{
	return dd->commits;
}

#else
/*
 * WITH_DISCOVER=0: a build without host discovery (discover.c and neigh.c left out). The
 * daemon asks for it as configured (discover = on by default) and is told, once, that there
 * is none; it runs on without it, as when the neighbour table cannot be watched.
 */
struct discd *discd_open(const struct config *cfg, const struct backend_ops *ops,
			 struct backend *be)
{
	log_line("discover: ", "this build has no host discovery (WITH_DISCOVER=0): set discover = off");
	return NULL;
}

void discd_close(struct discd *dd)
{
}

int discd_fd(const struct discd *dd)
{
	return -1;
}

void discd_run(struct discd *dd)
{
}

void discd_tick(struct discd *dd, const struct hostset *snap)
{
}

size_t discd_neighbours(const struct discd *dd)
{
	return 0;
}

unsigned long long discd_commits(const struct discd *dd)
{
	return 0;
}
#endif
