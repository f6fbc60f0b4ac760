// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running iptables-save/-restore: argv only, pipes both ways, never a shell; a clean signal
 * state in the child, and a bound on its run time (a hung child would stall the daemon).
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int buf_append(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		int ret;

		if (!big)
			return -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		ret = buf_append(b, big, (size_t)n);
		free(big);
		return ret;
	}
}

static unsigned int timeout_ms = RUN_TIMEOUT_MS;

void run_set_timeout(unsigned int ms)
{
	timeout_ms = ms ? ms : RUN_TIMEOUT_MS;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void first_line(char *dst, size_t dstlen, const char *src)
{
	size_t n = strcspn(src, "\n");

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vlog_line(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "iptmon: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_line(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(prefix, fmt, ap);
	va_end(ap);
}

/* One child run: its pid, our ends of its pipes, what it said on stderr. */
struct child {
	pid_t pid;
	int in, out, err; /* ours: its stdin, stdout, stderr */
	long long deadline;
	char errtext[1024];
	size_t errfill;
};

/*
 * Starts argv[0] on three pipes, in a process group of its own (so that a timeout kills
 * whatever it started too), with every signal unblocked and at its default action: the
 * daemon blocks TERM, INT and HUP for its signalfd and ignores PIPE, and a child must not
 * inherit either. 0 or a positive errno.
 */
static int spawn(struct child *ch, char *const argv[])
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int ret;

	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		ret = errno;
		goto out;
	}
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	ret = posix_spawnp(&ch->pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (!ret) {
		ch->in = pin[1];
		ch->out = pout[0];
		ch->err = perr[0];
		pin[1] = pout[0] = perr[0] = -1;
	}
out:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	return ret;
}

/* Keeps the first 1023 bytes of stderr; closes the fd at end of file. */
static void take_stderr(struct child *ch)
{
	char chunk[4096];
	ssize_t r = read(ch->err, chunk, sizeof(chunk));

	if (r > 0) {
		size_t take = (size_t)r;

		if (take > sizeof(ch->errtext) - 1 - ch->errfill)
			take = sizeof(ch->errtext) - 1 - ch->errfill;
		memcpy(ch->errtext + ch->errfill, chunk, take);
		ch->errfill += take;
		ch->errtext[ch->errfill] = '\0';
	} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
		close_fd(&ch->err);
	}
}

/*
 * Feeds `in` and collects stdout and stderr until the child closes both or the deadline
 * passes. 0, -ENOMEM, or -ETIMEDOUT.
 */
static int pump(struct child *ch, const struct buf *in, struct buf *out)
{
	size_t inoff = 0;
	int ret = 0;

	if (!in || !in->len)
		close_fd(&ch->in);
	else
		fcntl(ch->in, F_SETFL, O_NONBLOCK);
	while (ch->out >= 0 || ch->err >= 0) {
		struct pollfd pfd[3] = { { .fd = ch->out, .events = POLLIN },
					 { .fd = ch->err, .events = POLLIN },
					 { .fd = ch->in, .events = POLLOUT } };
		long long left = ch->deadline - mono_ms();
		char chunk[16384];
		ssize_t r;
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(pfd, 3, (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (ch->in >= 0 && (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			r = write(ch->in, in->p + inoff, in->len - inoff);
			if (r > 0)
				inoff += (size_t)r;
			if ((r < 0 && errno != EAGAIN && errno != EINTR) || inoff == in->len)
				close_fd(&ch->in);
		}
		if (ch->out >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = read(ch->out, chunk, sizeof(chunk));
			if (r > 0) {
				if (out && !ret && buf_append(out, chunk, (size_t)r))
					ret = -ENOMEM;
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close_fd(&ch->out);
			}
		}
		if (ch->err >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			take_stderr(ch);
	}
	return ret;
}

/* Waits for the child's exit status until the deadline; -ETIMEDOUT past it. */
static int reap(struct child *ch, int *status)
{
	struct timespec nap = { 0, 1000000 };

	for (;;) {
		pid_t r = waitpid(ch->pid, status, WNOHANG);

		if (r == ch->pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (mono_ms() >= ch->deadline)
			return -ETIMEDOUT;
		/* its pipes are closed: it is exiting, or about to */
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 64000000)
			nap.tv_nsec *= 2;
	}
}

static void describe_failure(const struct child *ch, const char *prog, int status, char *err,
			     size_t errlen)
{
	char line[512];

	first_line(line, sizeof(line), ch->errtext);
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s killed by signal %d", prog, WTERMSIG(status));
	else if (line[0])
		snprintf(err, errlen, "%s: %s", prog, line);
	else
		snprintf(err, errlen, "%s failed (exit %d)", prog,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int run_program(char *const argv[], const struct buf *in, struct buf *out, char *err,
		size_t errlen)
{
	struct child ch = { .pid = -1, .in = -1, .out = -1, .err = -1 };
	int ret, status = 0;

	err[0] = '\0';
	ch.deadline = mono_ms() + timeout_ms;
	ret = spawn(&ch, argv);
	if (ret) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(ret));
		return -ret;
	}
	ret = pump(&ch, in, out);
	close_fd(&ch.in);
	close_fd(&ch.out);
	close_fd(&ch.err);
	if (ret != -ETIMEDOUT) {
		int r = reap(&ch, &status);

		if (r)
			ret = r;
	}
	if (ret == -ETIMEDOUT) {
		kill(-ch.pid, SIGKILL); /* its group: whatever it started goes too */
		while (waitpid(ch.pid, &status, 0) < 0 && errno == EINTR)
			;
		snprintf(err, errlen, "%s did not finish within %u ms: killed", argv[0],
			 timeout_ms);
		return ret;
	}
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror(-ret));
		return ret;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_failure(&ch, argv[0], status, err, errlen);
		return -EIO;
	}
	return 0;
}
