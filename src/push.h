/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_PUSH_H
#define IPTMON_PUSH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The daemon's pushes, both non-blocking inside its loop, both logging one line when an
 * outage starts and one when it ends, never one per poll.
 */

/* collectd's unixsock plugin: PUTVAL lines out, one status line back per PUTVAL. */
struct cdsock;
struct cdsock *cd_new(const char *path);
void cd_free(struct cdsock *c);
/* Queues one poll's PUTVAL lines (taking BUF); skipped when the last poll's are not all
 * sent yet (values are cumulative, a skipped poll loses nothing). */
void cd_send(struct cdsock *c, char *buf, size_t len);
/* The fd and events to wait for, -1 when idle. */
int cd_pollfd(const struct cdsock *c, short *events);
void cd_io(struct cdsock *c, short revents);
unsigned long long cd_errors(const struct cdsock *c);

/* InfluxDB line protocol over HTTP(S), through libcurl's multi interface. */
struct influx;
/* GZIP: batches come gzip-compressed (membuf_open()), sent with Content-Encoding: gzip;
 * turned off (and said once) when zlib cannot be loaded: influx_gzip() tells. */
struct influx *influx_new(const char *url, const char *token, size_t max_queue, bool gzip,
			  char *err, size_t errlen);
bool influx_gzip(const struct influx *ix);
void influx_free(struct influx *ix);
/*
 * Queues one poll's points (taking BUF). While InfluxDB is down at most INFLUX_MAX_BATCHES
 * batches wait, of at most max_queue bytes (unless the newest and the one being sent alone
 * are over it): over that, waiting batches are thinned evenly over the outage (its first
 * point and the newest stay).
 */
#define INFLUX_MAX_BATCHES 32
void influx_push(struct influx *ix, char *buf, size_t len);
/* poll(2) that also waits for libcurl's sockets. */
int influx_poll(struct influx *ix, struct pollfd *pfd, unsigned int n, int timeout_ms);
/* Moves transfers on; call after every wait. */
void influx_run(struct influx *ix);
size_t influx_queued(const struct influx *ix);
/* Batches waiting (the one being sent included), and the Ith of them (0: the oldest). */
size_t influx_batches(const struct influx *ix);
const char *influx_batch(const struct influx *ix, size_t i, size_t *len);
unsigned long long influx_errors(const struct influx *ix);
unsigned long long influx_dropped(const struct influx *ix);

#endif
