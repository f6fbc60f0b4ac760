// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /metrics, /api/hosts and a small page, served by libmicrohttpd inside the daemon's own
 * loop. Clients cannot stall polling (all sockets are non-blocking and MHD is only run when
 * its epoll fd is ready) nor grow memory (connection limit, per-connection pool, idle
 * timeout, one shared body per resource and poll).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dl.h"

#define HTTP_IDLE_TIMEOUT 10	     /* seconds */
#define HTTP_CONN_MEMORY (16 * 1024) /* per-connection pool: request line, headers */

static const struct mhd_api *M; /* libmicrohttpd, loaded by http_start() */

struct http {
	struct MHD_Daemon *d;
	int epfd;
	http_render_fn render;
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

static enum MHD_Result serve(struct http *h, struct MHD_Connection *c, enum http_res res,
			     const char *arg)
{
	unsigned int status;
	enum MHD_Result ret;
	struct MHD_Response *r;

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

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
		    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;

	(void)c;
	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		h->conns++;
	else if (h->conns)
		h->conns--;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("iptmon: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

struct http *http_start(const char *listen_at, unsigned int max_clients, http_render_fn render,
			void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http *h;
	const union MHD_DaemonInfo *info;
	int fd, one = 1;
	socklen_t sl;

	M = mhd_api(err, errlen);
	if (!M)
		return NULL;
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
	if (!h) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->render = render;
	h->ctx = ctx;
	h->d = M->start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, max_clients,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
				MHD_OPTION_END);
	if (!h->d || !(info = M->get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD))) {
		snprintf(err, errlen, "cannot start the HTTP server on %s", listen_at);
		if (h->d)
			M->stop_daemon(h->d);
		else
			close(fd);
		free(h);
		return NULL;
	}
	h->epfd = info->epoll_fd;
	return h;
}

int http_fd(const struct http *h)
{
	return h->epfd;
}

int http_timeout_ms(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (M->get_timeout(h->d, &ms) != MHD_YES)
		return -1;
	return ms > 60000 ? 60000 : (int)ms;
}

void http_run(struct http *h)
{
	M->run(h->d);
}

void http_invalidate(struct http *h)
{
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
	M->stop_daemon(h->d);
	http_invalidate(h);
	if (h->page)
		M->destroy_response(h->page);
	free(h);
}
