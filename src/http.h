/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_HTTP_H
#define IPTMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "name.h"

/* "127.0.0.1:9678", "[::1]:9678", "0.0.0.0:9678", "[::]:9678". 0 or -EINVAL. */
int listen_parse(const char *s, struct sockaddr_storage *ss);

/*
 * The daemon's HTTP read-out, on libmicrohttpd in external-epoll mode: one fd in the
 * daemon's loop, no threads. Bounded: at most max_clients connections, each with a small
 * fixed memory pool, 5 s to send a whole request header (from its opening or its previous
 * answer) and 10 s without progress while answered; when all are taken and a client waits,
 * the one waiting longest for a header makes room. A rendered body is rendered at most once
 * per poll and shared by every client that fetches it (http_invalidate() drops it); a
 * streamed one (http_set_stream) is written while it is sent.
 */
enum http_res { HTTP_METRICS, HTTP_HOSTS, HTTP_HOSTS_CURRENT, HTTP_HOSTS_PREVIOUS, HTTP_HISTORY,
		HTTP_DAYS, HTTP_RES_COUNT };

/*
 * Renders resource RES into a malloc'd *body; 0, or -errno (the client gets a 500). ARG is
 * the query argument of /api/history (host) and /api/days (period), NULL when absent (such a
 * body is cached, one with ARG is not); -EINVAL with a one-line *body: the client gets a 400.
 */
typedef int (*http_render_fn)(void *ctx, enum http_res res, const char *arg, char **body,
			      size_t *len);

/*
 * A body written while it is sent, a piece at a time, never whole in memory (/metrics and
 * /api/hosts at thousands of hosts are megabytes): a piece function writes the next piece of
 * resource RES to F from cursor CUR (zeroed at the start), moves CUR on and returns 1 while
 * more follows, 0 after the last piece, -errno. A poll between pieces is seen by the pieces
 * after it (each host's lines stay whole: they come from one poll).
 */
struct http_cursor {
	int section;
	bool any;	     /* a host was written in this section */
	char after[NAME_SIZE]; /* the last host written ("": none yet) */
	size_t pos;	     /* the piece function's own: where it goes on ... */
	unsigned long long gen; /* ... while this is still its generation */
	char arg[NAME_SIZE];	/* the request's argument (/api/days?period=, ...), "" none */
	long long own[16];	/* the piece function's own state (history.h's hist_cursor) */
};
typedef int (*http_piece_fn)(void *ctx, enum http_res res, struct http_cursor *cur, FILE *f);

struct http;

struct http *http_start(const char *listen, unsigned int max_clients, http_render_fn render,
			void *ctx, char *err, size_t errlen);
/* /metrics, /api/hosts (every period), /api/history and /api/days from now on streamed
 * through PIECE, not cached. For the last two, PIECE is first asked with F NULL whether the
 * request (its argument in cur->arg) is streamed: 0 yes; else it is rendered whole (a 400, one
 * host's history). */
void http_set_stream(struct http *h, http_piece_fn piece);
int http_fd(const struct http *h);
/* Longest the loop may sleep before calling http_run(), in ms (at most 60000). */
int http_timeout_ms(struct http *h);
void http_run(struct http *h);
void http_invalidate(struct http *h);
/* Requests answered, and connections open now. */
unsigned long long http_requests(const struct http *h);
unsigned int http_connections(const struct http *h);
void http_stop(struct http *h);

#endif
