// SPDX-License-Identifier: GPL-2.0-or-later
/* A POST to a plain http:// URL without blocking the daemon's loop (see hpost.h). */
#include "hpost.h"
#include "run.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define HPOST_CONNECT_MS 5000
#define HPOST_TOTAL_MS 30000

enum hpost_state { HP_IDLE, HP_CONNECTING, HP_SENDING, HP_RECEIVING };

struct hpost {
	char *host, *port, *authority, *path, *headers;
	enum hpost_state state;
	int fd;
	char *head; /* this request's header */
	size_t head_len;
	const char *body;
	size_t body_len, sent; /* of head + body */
	char status_line[64];
	size_t status_len;
	long long started; /* CLOCK_MONOTONIC ms */
};

/* "http://HOST[:PORT][/PATH][?QUERY]" into its parts; 0 or -errno. */
static int parse_url(struct hpost *p, const char *url)
{
	const char *a, *end, *colon;
	size_t alen;

	if (strncasecmp(url, "http://", 7))
		return -EPROTONOSUPPORT;
	a = url + 7;
	alen = strcspn(a, "/?#");
	end = a + alen;
	if (memchr(a, '@', alen))
		return -EPROTONOSUPPORT; /* userinfo: libcurl's job */
	if (!alen)
		return -EINVAL;
	p->authority = strndup(a, alen);
	if (*a == '[') { /* [v6]:port */
		const char *rb = memchr(a, ']', alen);

		if (!rb)
			return -EINVAL;
		p->host = strndup(a + 1, (size_t)(rb - a - 1));
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon)
			return -EINVAL;
	} else {
		colon = memchr(a, ':', alen);
		p->host = strndup(a, colon ? (size_t)(colon - a) : alen);
	}
	p->port = colon ? strndup(colon + 1, (size_t)(end - colon - 1)) : strdup("80");
	if (*end == '#' || !*end)
		p->path = strdup("/");
	else if (*end != '?')
		p->path = strndup(end, strcspn(end, "#"));
	else if (asprintf(&p->path, "/%.*s", (int)strcspn(end, "#"), end) < 0)
		p->path = NULL;
	if (!p->authority || !p->host || !p->port || !p->path)
		return -ENOMEM;
	if (!*p->host || !*p->port || strspn(p->port, "0123456789") != strlen(p->port) ||
	    strpbrk(p->path, " \r\n"))
		return -EINVAL;
	return 0;
}

struct hpost *hpost_new(const char *url, const char *headers)
{
	struct hpost *p = calloc(1, sizeof(*p));
	int ret;

	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->fd = -1;
	ret = parse_url(p, url);
	if (!ret && !(p->headers = strdup(headers ? headers : "")))
		ret = -ENOMEM;
	if (ret) {
		hpost_free(p);
		errno = -ret;
		return NULL;
	}
	return p;
}

static void reset(struct hpost *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->head);
	p->head = NULL;
	p->state = HP_IDLE;
}

void hpost_free(struct hpost *p)
{
	if (!p)
		return;
	reset(p);
	free(p->host);
	free(p->port);
	free(p->authority);
	free(p->path);
	free(p->headers);
	free(p);
}

static int fail(struct hpost *p, char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	reset(p);
	return -e;
}

int hpost_start(struct hpost *p, const char *body, size_t len, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	int ret;

	reset(p);
	/* An address costs no lookup; a name is looked up here (the resolver's own timeout). */
	ret = getaddrinfo(p->host, p->port, &hints, &ai);
	if (ret) {
		snprintf(err, errlen, "cannot resolve %s: %s", p->host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	p->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		freeaddrinfo(ai);
		return fail(p, err, errlen, "socket", errno);
	}
	ret = connect(p->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (ret < 0 && errno != EINPROGRESS)
		return fail(p, err, errlen, "connect", errno);
	ret = asprintf(&p->head,
		       "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: iptmon\r\n%s"
		       "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		       p->path, p->authority, p->headers, len);
	if (ret < 0) {
		p->head = NULL;
		return fail(p, err, errlen, "request", ENOMEM);
	}
	p->head_len = (size_t)ret;
	p->body = body;
	p->body_len = len;
	p->sent = 0;
	p->status_len = 0;
	p->started = mono_ms();
	p->state = HP_CONNECTING;
	return 0;
}

int hpost_pollfd(const struct hpost *p, short *events)
{
	*events = p->state == HP_RECEIVING ? POLLIN : POLLOUT;
	return p->state == HP_IDLE ? -1 : p->fd;
}

int hpost_timeout_ms(const struct hpost *p)
{
	long long left;

	if (p->state == HP_IDLE)
		return -1;
	left = p->started + (p->state == HP_CONNECTING ? HPOST_CONNECT_MS : HPOST_TOTAL_MS) -
	       mono_ms();
	return left < 0 ? 0 : (int)left;
}

/* Header and body out as far as the socket takes them; 0, or -errno. */
static int send_some(struct hpost *p)
{
	while (p->sent < p->head_len + p->body_len) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		ssize_t n;

		if (p->sent < p->head_len) {
			iov[0] = (struct iovec){ p->head + p->sent, p->head_len - p->sent };
			iov[1] = (struct iovec){ (void *)p->body, p->body_len };
			m.msg_iovlen = 2;
		} else {
			iov[0] = (struct iovec){ (void *)(p->body + p->sent - p->head_len),
						 p->head_len + p->body_len - p->sent };
			m.msg_iovlen = 1;
		}
		n = sendmsg(p->fd, &m, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		p->sent += (size_t)n;
	}
	p->state = HP_RECEIVING;
	return 0;
}

/* The status of "HTTP/1.x NNN ..."; 0 when it is not one. */
static long status_of(const char *line, size_t len)
{
	if (len < 12 || strncmp(line, "HTTP/1.", 7) || line[8] != ' ')
		return 0;
	for (int i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return 0;
	return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

/* The reply up to the server's close (the status line kept); 1 at its end, 0, -errno. */
static int receive_some(struct hpost *p)
{
	char buf[512];

	for (;;) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0)
			return p->status_len >= 12 ? 1 : -errno; /* a reset after the reply */
		if (n == 0)
			return 1;
		if (p->status_len < sizeof(p->status_line)) {
			size_t k = sizeof(p->status_line) - p->status_len;

			if (k > (size_t)n)
				k = (size_t)n;
			memcpy(p->status_line + p->status_len, buf, k);
			p->status_len += k;
		}
	}
}

int hpost_io(struct hpost *p, short revents, long *status, char *err, size_t errlen)
{
	int ret = 0;

	*status = 0;
	if (p->state == HP_IDLE)
		return 0;
	if (p->state == HP_CONNECTING && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			fail(p, err, errlen, "connect", e);
			return 1;
		}
		p->state = HP_SENDING;
	}
	if (p->state == HP_SENDING && (revents & (POLLOUT | POLLERR | POLLHUP)))
		ret = send_some(p);
	else if (p->state == HP_RECEIVING && (revents & (POLLIN | POLLERR | POLLHUP)))
		ret = receive_some(p);
	if (ret < 0) {
		fail(p, err, errlen, p->state == HP_SENDING ? "send" : "receive", -ret);
		return 1;
	}
	if (ret == 1) {
		*status = status_of(p->status_line, p->status_len);
		if (!*status)
			snprintf(err, errlen, "the reply is not HTTP");
		reset(p);
		return 1;
	}
	if (!hpost_timeout_ms(p)) {
		snprintf(err, errlen, "%s timed out", p->state == HP_CONNECTING ? "connect" : "request");
		reset(p);
		return 1;
	}
	return 0;
}
