// SPDX-License-Identifier: GPL-2.0-or-later
/* PUTVAL lines to collectd's unixsock plugin, without ever blocking the daemon. */
#include "push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct cdsock {
	char path[108];
	int fd;
	char *out;
	size_t olen, ooff;
	char in[1024];
	size_t ilen;
	bool down, refused;
	unsigned long long errors;
};

struct cdsock *cd_new(const char *path)
{
	struct cdsock *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = -1;
	return c;
}

static void cd_close(struct cdsock *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->olen = c->ooff = c->ilen = 0;
}

void cd_free(struct cdsock *c)
{
	if (!c)
		return;
	cd_close(c);
	free(c);
}

static void cd_down(struct cdsock *c, const char *what, int err)
{
	if (!c->down)
		fprintf(stderr, "iptmon: collectd socket %s: %s: %s (retrying every poll)\n",
			c->path, what, strerror(err));
	c->down = true;
	c->errors++;
	cd_close(c);
}

void cd_send(struct cdsock *c, char *buf, size_t len)
{
	if (c->fd >= 0 && c->ooff < c->olen) { /* collectd is behind: skip this poll */
		free(buf);
		return;
	}
	if (c->fd < 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			free(buf);
			cd_down(c, "cannot connect", errno);
			return;
		}
		if (c->down)
			fprintf(stderr, "iptmon: collectd socket %s: connected again\n", c->path);
		c->down = false;
	}
	free(c->out);
	c->out = buf;
	c->olen = len;
	c->ooff = 0;
	cd_io(c, POLLOUT);
}

int cd_pollfd(const struct cdsock *c, short *events)
{
	if (c->fd < 0)
		return -1;
	*events = POLLIN | (c->ooff < c->olen ? POLLOUT : 0);
	return c->fd;
}

/* One reply line per PUTVAL: "0 Success: ..." or "-1 <why>". */
static void cd_reply(struct cdsock *c, const char *line)
{
	if (line[0] != '-') {
		c->refused = false;
		return;
	}
	c->errors++;
	if (!c->refused)
		fprintf(stderr, "iptmon: collectd refused a value: %.200s\n", line);
	c->refused = true;
}

void cd_io(struct cdsock *c, short revents)
{
	if (c->fd < 0)
		return;
	while ((revents & POLLOUT) && c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->out + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			cd_down(c, "cannot send", errno);
			return;
		}
		c->ooff += (size_t)n;
	}
	if (c->ooff >= c->olen && c->out) {
		free(c->out);
		c->out = NULL;
		c->olen = c->ooff = 0;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		for (;;) {
			ssize_t n = recv(c->fd, c->in + c->ilen, sizeof(c->in) - 1 - c->ilen, 0);
			char *nl;

			if (n == 0) {
				cd_down(c, "closed by collectd", ECONNRESET);
				return;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					cd_down(c, "cannot read", errno);
				return;
			}
			c->ilen += (size_t)n;
			c->in[c->ilen] = '\0';
			while ((nl = strchr(c->in, '\n'))) {
				*nl = '\0';
				cd_reply(c, c->in);
				c->ilen -= (size_t)(nl + 1 - c->in);
				memmove(c->in, nl + 1, c->ilen + 1);
			}
			if (c->ilen >= sizeof(c->in) - 1) /* a reply line too long: drop it */
				c->ilen = 0;
		}
	}
}

unsigned long long cd_errors(const struct cdsock *c)
{
	return c->errors;
}
