// SPDX-License-Identifier: GPL-2.0-or-later
/* Running iptables-save/-restore: argv only, pipes both ways, never a shell. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

int run_program(char *const argv[], const struct buf *in, struct buf *out, char *err,
		size_t errlen)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	char errtext[1024] = "";
	size_t errfill = 0, inoff = 0;
	pid_t pid;
	int ret, status;

	err[0] = '\0';
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out_close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(ret));
		ret = ret == ENOENT ? -ENOENT : -ret;
		goto out_close;
	}
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	if (!in || !in->len)
		close_fd(&pin[1]);
	else
		fcntl(pin[1], F_SETFL, O_NONBLOCK);

	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pfd[3];
		char chunk[16384];
		nfds_t n = 0;
		ssize_t r;

		pfd[n++] = (struct pollfd){ .fd = pout[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = perr[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = pin[1], .events = POLLOUT };
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pin[1] >= 0 && (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			r = write(pin[1], in->p + inoff, in->len - inoff);
			if (r > 0)
				inoff += (size_t)r;
			if ((r < 0 && errno != EAGAIN && errno != EINTR) || inoff == in->len)
				close_fd(&pin[1]);
		}
		if (pout[0] >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = read(pout[0], chunk, sizeof(chunk));
			if (r > 0) {
				if (out && buf_append(out, chunk, (size_t)r)) {
					ret = -ENOMEM;
					snprintf(err, errlen, "out of memory");
				}
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close_fd(&pout[0]);
			}
		}
		if (perr[0] >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = read(perr[0], chunk, sizeof(chunk));
			if (r > 0) {
				size_t take = (size_t)r;

				if (take > sizeof(errtext) - 1 - errfill)
					take = sizeof(errtext) - 1 - errfill;
				memcpy(errtext + errfill, chunk, take);
				errfill += take;
				errtext[errfill] = '\0';
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close_fd(&perr[0]);
			}
		}
	}
	close_fd(&pin[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (ret)
		goto out_close;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[512];

		first_line(line, sizeof(line), errtext);
		if (WIFSIGNALED(status))
			snprintf(err, errlen, "%s killed by signal %d", argv[0], WTERMSIG(status));
		else if (line[0])
			snprintf(err, errlen, "%s: %s", argv[0], line);
		else
			snprintf(err, errlen, "%s failed (exit %d)", argv[0],
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		ret = -EIO;
	}
out_close:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	return ret;
}
