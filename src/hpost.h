/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_HPOST_H
#define IPTMON_HPOST_H

#include <stddef.h>

/*
 * A small non-blocking HTTP/1.1 client for one job: POST a body to a plain http:// URL and
 * tell the status. One connection per request ("Connection: close": a poll's batch, once per
 * poll, on a LAN). It spares the daemon libcurl and its TLS stack (1.25 MB of anonymous
 * memory, 8 MB resident on Debian 12) where no TLS is needed; https:// goes through libcurl.
 */
struct hpost;

/* NULL with errno EPROTONOSUPPORT for a URL it does not serve (not http://, userinfo),
 * EINVAL for a bad one, ENOMEM. HEADERS: extra header lines, each ending in "\r\n". */
struct hpost *hpost_new(const char *url, const char *headers);
void hpost_free(struct hpost *p);
/* Starts sending BODY (kept by the caller until the request is done). 0, or -errno with err
 * set: the request is done (failed) already. */
int hpost_start(struct hpost *p, const char *body, size_t len, char *err, size_t errlen);
/* The fd and events to wait for, -1 when no request runs; ms until its deadline. */
int hpost_pollfd(const struct hpost *p, short *events);
int hpost_timeout_ms(const struct hpost *p);
/*
 * Moves the request on (REVENTS from poll, 0 for a look at the deadline). 0 while it goes
 * on; 1 when it is done: *status is the server's HTTP status, or 0 with err set (refused,
 * timed out, a reply that is not HTTP).
 */
int hpost_io(struct hpost *p, short revents, long *status, char *err, size_t errlen);

#endif
