// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /metrics, /api/hosts and a small page, served by libmicrohttpd inside the daemon's own
 * loop. Clients cannot stall polling (all sockets are non-blocking and MHD is only run when
 * its epoll fd is ready) nor grow memory (connection limit, per-connection pool, idle
 * timeout, one shared body per resource and poll).
 */
#include "http.h"
#include "run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dl.h"

#define HTTP_IDLE_TIMEOUT 10	     /* seconds */
#define HTTP_HEADER_TIMEOUT 5000     /* ms to send a whole request header */
#define HTTP_FULL_POLL 250	     /* ms between looks at the backlog when every slot is taken */
#define HTTP_LOG_EVERY 60000	     /* ms: at most one line of libmicrohttpd's in this time */
#define HTTP_CONN_MEMORY (16 * 1024) /* per-connection pool: request line, headers */

static const struct mhd_api *M; /* libmicrohttpd, loaded by http_start() */

/* A connection, as iptmon tracks it (MHD's own state is not public). */
enum slot_state {
	SLOT_FREE,
	SLOT_WAITING, /* for a (next) request header, since `since` */
	SLOT_BUSY,    /* a request is being answered: MHD's idle timeout applies */
	SLOT_CLOSING, /* shut down by iptmon or failed; MHD closes it on its next run */
};

struct slot {
	enum slot_state state;
	int fd;
	long long since; /* CLOCK_MONOTONIC ms */
};

struct http {
	struct MHD_Daemon *d; /* NULL until the first client: libmicrohttpd is loaded then */
	bool off;	      /* it could not be: HTTP is off */
	char where[64];
	int epfd, listen_fd;
	struct slot *slots;
	struct pollfd *pfd; /* scratch for sweep(), one per slot */
	unsigned int nslots;
	http_render_fn render;
	http_piece_fn piece; /* NULL: every resource rendered whole */
	void *ctx;
	struct MHD_Response *cache[HTTP_RES_COUNT];
	struct MHD_Response *page;
	unsigned long long requests;
	unsigned int conns;
};

/* src/page.html, made a C string by mk/page.mk. */
static const char page_html[] =
#include "page.h"
	;

int listen_parse(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hl;
	char *end;
	unsigned long port;
	bool v6;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	v6 = hl >= 2 && s[0] == '[' && s[hl - 1] == ']';
	if (v6) { /* "[ADDR]:PORT" */
		s++;
		hl -= 2;
	}
	if (!hl || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (v6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &a6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -EINVAL;
}

static struct MHD_Response *text_response(const char *text)
{
	return M->create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r = text_response(text);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	M->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		M->add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = M->queue_response(c, status, r);
	M->destroy_response(r);
	return ret;
}

static const char *const res_type[HTTP_RES_COUNT] = {
	[HTTP_METRICS] = "text/plain; version=0.0.4; charset=utf-8",
	[HTTP_HOSTS] = "application/json",
	[HTTP_HOSTS_CURRENT] = "application/json",
	[HTTP_HOSTS_PREVIOUS] = "application/json",
	[HTTP_HISTORY] = "application/json",
	[HTTP_DAYS] = "application/json",
};

/* A body the render function made: a 400 with its one line, or the resource. */
static struct MHD_Response *rendered(struct http *h, enum http_res res, const char *arg,
				     unsigned int *status)
{
	struct MHD_Response *r;
	char *body = NULL;
	size_t len = 0;
	int ret = h->render(h->ctx, res, arg, &body, &len);

	*status = MHD_HTTP_OK;
	if (ret == -EINVAL && body)
		*status = MHD_HTTP_BAD_REQUEST;
	else if (ret) {
		free(body);
		return NULL;
	}
	r = M->create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	M->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
			       *status == MHD_HTTP_OK ? res_type[res] : "text/plain; charset=utf-8");
	M->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return r;
}

/* One streamed body being sent: the piece in hand and where the next one starts. */
struct stream {
	struct http *h;
	enum http_res res;
	struct http_cursor cur;
	char *buf;
	size_t len, off;
	bool done;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *st = cls;
	size_t n;

	(void)pos;
	while (st->off == st->len) {
		FILE *f;
		int ret;

		if (st->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		free(st->buf);
		st->buf = NULL;
		st->len = st->off = 0;
		f = open_memstream(&st->buf, &st->len);
		if (!f)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		ret = st->h->piece(st->h->ctx, st->res, &st->cur, f);
		if (fclose(f) || ret < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		st->done = ret == 0;
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(out, st->buf + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	free(st->buf);
	free(st);
}

#define HTTP_STREAM_BLOCK 4096

static enum MHD_Result serve_stream(struct http *h, struct MHD_Connection *c, enum http_res res,
				    const struct http_cursor *from)
{
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!st)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render\n");
	st->h = h;
	st->res = res;
	if (from)
		st->cur = *from;
	r = M->create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, stream_read, st,
					     stream_free);
	if (!r) {
		free(st);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render\n");
	}
	M->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res_type[res]);
	M->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = M->queue_response(c, MHD_HTTP_OK, r);
	M->destroy_response(r);
	return ret;
}

static enum MHD_Result serve(struct http *h, struct MHD_Connection *c, enum http_res res,
			     const char *arg)
{
	unsigned int status;
	enum MHD_Result ret;
	struct MHD_Response *r;

	if (h->piece && (res == HTTP_METRICS || res == HTTP_HOSTS || res == HTTP_HOSTS_CURRENT ||
			 res == HTTP_HOSTS_PREVIOUS))
		return serve_stream(h, c, res, NULL);
	if (h->piece && (res == HTTP_HISTORY || res == HTTP_DAYS) &&
	    (!arg || (*arg && strlen(arg) < NAME_SIZE))) {
		struct http_cursor probe = { 0 };

		if (arg)
			memcpy(probe.arg, arg, strlen(arg) + 1);
		if (!h->piece(h->ctx, res, &probe, NULL))
			return serve_stream(h, c, res, &probe);
	}
	if (!arg && h->cache[res])
		return M->queue_response(c, MHD_HTTP_OK, h->cache[res]);
	r = rendered(h, res, arg, &status);
	if (!r)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render\n");
	if (!arg && status == MHD_HTTP_OK) {
		h->cache[res] = r;
		return M->queue_response(c, status, r);
	}
	ret = M->queue_response(c, status, r);
	M->destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;

	(void)version;
	(void)upload_data;
	h->requests++;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0; /* a body is never read */
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	}
	(void)con_cls;
	if (!strcmp(url, "/metrics"))
		return serve(h, c, HTTP_METRICS, NULL);
	if (!strcmp(url, "/api/history"))
		return serve(h, c, HTTP_HISTORY,
			     M->lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "host"));
	if (!strcmp(url, "/api/days"))
		return serve(h, c, HTTP_DAYS,
			     M->lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "period"));
	if (!strcmp(url, "/api/hosts")) {
		const char *p = M->lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "period");

		if (!p || !*p || !strcmp(p, "all"))
			return serve(h, c, HTTP_HOSTS, NULL);
		if (!strcmp(p, "current"))
			return serve(h, c, HTTP_HOSTS_CURRENT, NULL);
		if (!strcmp(p, "previous"))
			return serve(h, c, HTTP_HOSTS_PREVIOUS, NULL);
		return reply(c, MHD_HTTP_BAD_REQUEST, "period: all, current or previous\n");
	}
	if (!strcmp(url, "/")) {
		if (!h->page) {
			h->page = text_response(page_html);
			if (!h->page)
				return MHD_NO;
			M->add_response_header(h->page, MHD_HTTP_HEADER_CONTENT_TYPE,
						"text/html; charset=utf-8");
		}
		return M->queue_response(c, MHD_HTTP_OK, h->page);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /api/hosts or /\n");
}

static struct slot *slot_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		M->get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
		    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct slot *s = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			M->get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		h->conns++;
		for (unsigned int i = 0; ci && i < h->nslots; i++)
			if (h->slots[i].state == SLOT_FREE) {
				h->slots[i] = (struct slot){ SLOT_WAITING, ci->connect_fd, mono_ms() };
				*socket_context = &h->slots[i];
				break;
			}
		return;
	}
	if (h->conns)
		h->conns--;
	if (s)
		*s = (struct slot){ SLOT_FREE, -1, 0 };
}

/* A request has ended: the connection waits for the next header (or is going away). */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct slot *s = slot_of(c);

	(void)cls;
	(void)con_cls;
	if (s && s->state == SLOT_BUSY) {
		s->state = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? SLOT_WAITING : SLOT_CLOSING;
		s->since = mono_ms();
	}
}

/* MHD calls this once a whole request header is in: from here its idle timeout applies. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct slot *s = slot_of(c);

	if (s && s->state == SLOT_WAITING)
		s->state = SLOT_BUSY;
	return on_request(cls, c, url, method, version, upload_data, upload_data_size, con_cls);
}

/* MHD sees end of file on its next run and closes the connection itself. */
static void slot_close(struct slot *s)
{
	shutdown(s->fd, SHUT_RDWR);
	s->state = SLOT_CLOSING;
}

/*
 * The client has closed its end (or reset), and MHD has read all it sent: no request can
 * come any more. (A request may arrive with its end of file: MHD has not read it yet then.)
 */
static bool client_gone(int fd, short revents)
{
	int unread = 0;

	if (revents & (POLLHUP | POLLERR))
		return true;
	return (revents & POLLRDHUP) && ioctl(fd, FIONREAD, &unread) == 0 && unread == 0;
}

/* The backlog holds a client that MHD cannot accept: every slot is taken. */
static bool full_and_waited_for(struct http *h)
{
	struct pollfd p = { .fd = h->listen_fd, .events = POLLIN };

	return h->conns >= h->nslots && poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/*
 * Closes the connections waiting for a header too long or whose client closed its end, and,
 * when a new client cannot get a slot, the one that has waited longest. Returns how many.
 */
static unsigned int sweep(struct http *h)
{
	long long now = mono_ms();
	struct slot *oldest = NULL;
	unsigned int n = 0, closed = 0;

	for (unsigned int i = 0; i < h->nslots; i++)
		if (h->slots[i].state == SLOT_WAITING)
			h->pfd[n++] = (struct pollfd){ .fd = h->slots[i].fd, .events = POLLRDHUP };
	if (!n)
		return 0;
	if (poll(h->pfd, n, 0) < 0)
		for (unsigned int j = 0; j < n; j++)
			h->pfd[j].revents = 0;
	n = 0;
	for (unsigned int i = 0; i < h->nslots; i++) {
		struct slot *s = &h->slots[i];

		if (s->state != SLOT_WAITING)
			continue;
		if (client_gone(s->fd, h->pfd[n++].revents) || now - s->since >= HTTP_HEADER_TIMEOUT) {
			slot_close(s);
			closed++;
		} else if (!oldest || s->since < oldest->since) {
			oldest = s;
		}
	}
	if (!closed && oldest && full_and_waited_for(h)) {
		slot_close(oldest);
		closed++;
	}
	return closed;
}

/*
 * MHD logs every connection a client breaks (and every one iptmon closes): at most one line
 * per HTTP_LOG_EVERY, so that no client can fill the log.
 */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static long long last = -HTTP_LOG_EVERY;
	static unsigned long dropped;
	long long now = mono_ms();

	(void)cls;
	if (now - last < HTTP_LOG_EVERY) {
		dropped++;
		return;
	}
	last = now;
	if (dropped)
		fprintf(stderr, "iptmon: http: (%lu more messages not logged)\n", dropped);
	dropped = 0;
	fputs("iptmon: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/*
 * libmicrohttpd (and, on Debian, the GnuTLS it is built with: 400 KiB of anonymous memory,
 * 2.7 MB resident) is loaded when the first client connects, not before: a daemon nobody
 * scrapes does not pay for it. The listening socket is iptmon's own from the start.
 */
static int mhd_up(struct http *h)
{
	const union MHD_DaemonInfo *info;
	char err[256];

	M = mhd_api(err, sizeof(err));
	if (M)
		h->d = M->start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_access, h,
				       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				       MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
				       MHD_OPTION_CONNECTION_LIMIT, h->nslots,
				       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT,
				       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				       MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				       MHD_OPTION_END);
	if (h->d && (info = M->get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD))) {
		h->epfd = info->epoll_fd;
		return 0;
	}
	if (h->d)
		M->stop_daemon(h->d); /* closes the listening socket */
	else
		close(h->listen_fd);
	h->d = NULL;
	h->off = true;
	fprintf(stderr, "iptmon: cannot start the HTTP server on %s%s%s; HTTP is off\n", h->where,
		M ? "" : ": ", M ? "" : err);
	return -1;
}

struct http *http_start(const char *listen_at, unsigned int max_clients, http_render_fn render,
			void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http *h;
	int fd, one = 1;
	socklen_t sl;

	if (listen_parse(listen_at, &ss)) {
		snprintf(err, errlen, "bad listen address '%s'", listen_at);
		return NULL;
	}
	sl = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen_at, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h) {
		h->slots = calloc(max_clients, sizeof(*h->slots));
		h->pfd = calloc(max_clients, sizeof(*h->pfd));
	}
	if (!h || !h->slots || !h->pfd) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		if (h) {
			free(h->slots);
			free(h->pfd);
		}
		free(h);
		return NULL;
	}
	for (unsigned int i = 0; i < max_clients; i++)
		h->slots[i] = (struct slot){ SLOT_FREE, -1, 0 };
	h->nslots = max_clients;
	h->listen_fd = fd;
	h->epfd = -1;
	h->render = render;
	h->ctx = ctx;
	snprintf(h->where, sizeof(h->where), "%s", listen_at);
	return h;
}

void http_set_stream(struct http *h, http_piece_fn piece)
{
	h->piece = piece;
	http_invalidate(h);
}

int http_fd(const struct http *h)
{
	return h->d ? h->epfd : h->off ? -1 : h->listen_fd;
}

int http_timeout_ms(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG mhd;
	long long ms = 60000, now = mono_ms();

	if (!h->d)
		return (int)ms;
	if (M->get_timeout(h->d, &mhd) == MHD_YES && mhd < (MHD_UNSIGNED_LONG_LONG)ms)
		ms = (long long)mhd;
	for (unsigned int i = 0; i < h->nslots; i++)
		if (h->slots[i].state == SLOT_WAITING) {
			long long left = h->slots[i].since + HTTP_HEADER_TIMEOUT - now;

			if (left < ms)
				ms = left < 0 ? 0 : left;
		}
	/* MHD takes its listening socket out of its epoll set while it is full */
	if (h->conns >= h->nslots && ms > HTTP_FULL_POLL)
		ms = HTTP_FULL_POLL;
	return (int)ms;
}

void http_run(struct http *h)
{
	if (!h->d) { /* the first client is waiting: loaded now */
		struct pollfd p = { .fd = h->listen_fd, .events = POLLIN };

		if (h->off || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN) || mhd_up(h))
			return;
	}
	M->run(h->d);
	/* Connections shut down here are closed by the next run, the slot refilled by the one
	 * after (MHD accepts again only at the start of a run). */
	if (sweep(h)) {
		M->run(h->d);
		M->run(h->d);
	}
}

void http_invalidate(struct http *h)
{
	if (!h->d)
		return;
	for (int i = 0; i < HTTP_RES_COUNT; i++)
		if (h->cache[i]) { /* freed once the last client sending it is done */
			M->destroy_response(h->cache[i]);
			h->cache[i] = NULL;
		}
}

unsigned long long http_requests(const struct http *h)
{
	return h->requests;
}

unsigned int http_connections(const struct http *h)
{
	return h->conns;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	if (h->d) {
		M->stop_daemon(h->d);
		http_invalidate(h);
		if (h->page)
			M->destroy_response(h->page);
	} else if (!h->off) {
		close(h->listen_fd);
	}
	free(h->slots);
	free(h->pfd);
	free(h);
}
