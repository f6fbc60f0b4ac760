// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * InfluxDB line protocol pushes: one POST per poll's batch, oldest first, one at a time, to a
 * plain http:// URL by src/hpost.c, to any other (https://, userinfo) through libcurl's multi
 * interface, loaded only then. When InfluxDB is down the batches wait and are sent in order
 * when it answers again. The wait is bounded (INFLUX_MAX_BATCHES batches, max_queue bytes
 * unless the newest and the one being sent alone are over it): over the bound, batches are thinned evenly over the outage (the
 * one whose neighbours are closest goes; the first and the newest stay), which costs
 * resolution only: the values are cumulative, the newest point is always exact. Batches are
 * gzip-compressed as they are written (influx_gzip, on unless configured off or zlib is
 * missing): sent and kept so, 7-10 times smaller.
 */
#include "push.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl.h"
#include "hpost.h"
#include "membuf.h"

static const struct curl_api *C; /* libcurl, loaded by influx_new() */

struct batch {
	char *buf;
	size_t len;
	unsigned long long seq; /* which push: the distance between points */
	struct batch *next;
};

struct influx {
	struct hpost *hp; /* plain http://: no libcurl */
	short hp_revents;
	CURLM *m;
	CURL *e;
	struct curl_slist *hdrs;
	char *url;
	char where[256]; /* the URL without its query, which may hold a password */
	struct batch *head, *tail;
	size_t queued, max_queue, nbatches;
	unsigned long long pushes;
	bool busy, down, gzip;
	bool refusing; /* the last answer refused a batch: said once until one is taken */
	char errbuf[CURL_ERROR_SIZE];
	unsigned long long errors, dropped, sent;
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* http:// without libcurl: NULL when the URL is not one hpost serves. */
static struct hpost *plain_new(const char *url, const char *token, bool gzip)
{
	char *h = NULL;
	struct hpost *hp;

	if (asprintf(&h, "Content-Type: text/plain; charset=utf-8\r\n%s%s%s%s",
		     gzip ? "Content-Encoding: gzip\r\n" : "",
		     token && *token ? "Authorization: Token " : "", token && *token ? token : "",
		     token && *token ? "\r\n" : "") < 0)
		return NULL;
	hp = hpost_new(url, h);
	free(h);
	return hp;
}

/* Header S (NULL: out of memory already) appended to *L, unless an earlier one failed
 * (*OK false); out of memory, the whole list goes: a request never lacks one of them. */
static void hdr_add(struct curl_slist **l, const char *s, bool *ok)
{
	struct curl_slist *n = *ok && s ? C->slist_append(*l, s) : NULL;

	if (n) {
		*l = n;
		return;
	}
	C->slist_free_all(*l);
	*l = NULL;
	*ok = false;
}

struct influx *influx_new(const char *url, const char *token, size_t max_queue, bool gzip,
			  char *err, size_t errlen)
{
	struct influx *ix = calloc(1, sizeof(*ix));
	char why[256];
	bool ok = true;

	if (!ix) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ix->max_queue = max_queue;
	snprintf(ix->where, sizeof(ix->where), "%.*s", (int)strcspn(url, "?"), url);
	if (gzip && !membuf_gzip_ok(why, sizeof(why))) {
		fprintf(stderr, "iptmon: influx_gzip: %s; InfluxDB batches go uncompressed\n", why);
		gzip = false;
	}
	ix->gzip = gzip;
	ix->hp = plain_new(url, token, gzip);
	if (ix->hp)
		return ix;
	C = curl_api(err, errlen);
	if (!C || C->global_init(CURL_GLOBAL_DEFAULT)) {
		free(ix);
		if (C)
			snprintf(err, errlen, "cannot initialise libcurl");
		return NULL;
	}
	ix->url = strdup(url);
	ix->m = C->multi_init();
	hdr_add(&ix->hdrs, "Content-Type: text/plain; charset=utf-8", &ok);
	if (gzip)
		hdr_add(&ix->hdrs, "Content-Encoding: gzip", &ok);
	if (token && *token) {
		char *h = NULL;

		if (asprintf(&h, "Authorization: Token %s", token) < 0)
			h = NULL; /* (undefined after a failure) */
		hdr_add(&ix->hdrs, h, &ok);
		free(h);
	}
	if (!ix->url || !ix->m || !ix->hdrs) {
		influx_free(ix);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return ix;
}

static void batch_pop(struct influx *ix)
{
	struct batch *b = ix->head;

	ix->head = b->next;
	if (!ix->head)
		ix->tail = NULL;
	ix->queued -= b->len;
	ix->nbatches--;
	free(b->buf);
	free(b);
}

void influx_free(struct influx *ix)
{
	if (!ix)
		return;
	if (ix->hp) {
		hpost_free(ix->hp);
		while (ix->head)
			batch_pop(ix);
		free(ix);
		return;
	}
	if (ix->e) {
		C->multi_remove_handle(ix->m, ix->e);
		C->easy_cleanup(ix->e);
	}
	while (ix->head)
		batch_pop(ix);
	if (ix->m)
		C->multi_cleanup(ix->m);
	C->slist_free_all(ix->hdrs);
	free(ix->url);
	free(ix);
	C->global_cleanup();
}

static void done(struct influx *ix, bool answered, long status, const char *why);

static void start(struct influx *ix)
{
	if (ix->busy || !ix->head)
		return;
	if (ix->hp) {
		ix->errbuf[0] = '\0';
		ix->busy = true;
		if (hpost_start(ix->hp, ix->head->buf, ix->head->len, ix->errbuf, sizeof(ix->errbuf)))
			done(ix, false, 0, ix->errbuf);
		return;
	}
	if (!ix->e) {
		ix->e = C->easy_init();
		if (!ix->e)
			return;
	}
	C->easy_reset(ix->e);
	C->easy_setopt(ix->e, CURLOPT_URL, ix->url);
	C->easy_setopt(ix->e, CURLOPT_HTTPHEADER, ix->hdrs);
	C->easy_setopt(ix->e, CURLOPT_POSTFIELDS, ix->head->buf);
	C->easy_setopt(ix->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ix->head->len);
	C->easy_setopt(ix->e, CURLOPT_WRITEFUNCTION, discard);
	C->easy_setopt(ix->e, CURLOPT_ERRORBUFFER, ix->errbuf);
	C->easy_setopt(ix->e, CURLOPT_NOSIGNAL, 1L);
	C->easy_setopt(ix->e, CURLOPT_CONNECTTIMEOUT, 5L);
	C->easy_setopt(ix->e, CURLOPT_TIMEOUT, 30L);
	C->easy_setopt(ix->e, CURLOPT_PROTOCOLS_STR, "http,https");
	ix->errbuf[0] = '\0';
	if (C->multi_add_handle(ix->m, ix->e) == CURLM_OK)
		ix->busy = true;
}

/*
 * Over the bound: the waiting batch (never the one being sent, never the newest) whose
 * neighbours are closest, the first one only when nothing else can go. NULL when none can.
 */
static struct batch **thin_victim(struct influx *ix)
{
	struct batch **best = NULL, **pp = &ix->head, *prev = NULL;
	unsigned long long best_gap = ~0ULL;

	if (ix->busy) { /* the head is being sent */
		prev = ix->head;
		pp = &ix->head->next;
	}
	for (; *pp && *pp != ix->tail; prev = *pp, pp = &(*pp)->next) {
		unsigned long long gap = prev ? (*pp)->next->seq - prev->seq : ~0ULL - 1;

		if (!best || gap < best_gap) {
			best = pp;
			best_gap = gap;
		}
	}
	return best;
}

void influx_push(struct influx *ix, char *buf, size_t len)
{
	struct batch *b = calloc(1, sizeof(*b)), **pp;

	if (!b) {
		free(buf);
		ix->dropped++;
		return;
	}
	b->buf = buf;
	b->len = len;
	b->seq = ix->pushes++;
	if (ix->tail)
		ix->tail->next = b;
	else
		ix->head = b;
	ix->tail = b;
	ix->queued += len;
	ix->nbatches++;
	while ((ix->queued > ix->max_queue || ix->nbatches > INFLUX_MAX_BATCHES) &&
	       (pp = thin_victim(ix))) {
		struct batch *victim = *pp;

		*pp = victim->next;
		ix->queued -= victim->len;
		ix->nbatches--;
		free(victim->buf);
		free(victim);
		ix->dropped++;
	}
	start(ix);
}

int influx_poll(struct influx *ix, struct pollfd *pfd, unsigned int n, int timeout_ms)
{
	struct curl_waitfd w[8];
	int numfds = 0;

	if (n > 8)
		n = 8;
	if (ix->hp) { /* the daemon's fds and the request's */
		struct pollfd all[9];
		int t = hpost_timeout_ms(ix->hp), ret;
		short ev = 0;

		memcpy(all, pfd, n * sizeof(*pfd));
		all[n] = (struct pollfd){ .fd = hpost_pollfd(ix->hp, &ev) };
		all[n].events = ev;
		if (t >= 0 && (timeout_ms < 0 || t < timeout_ms))
			timeout_ms = t;
		ret = poll(all, n + 1, timeout_ms);
		for (unsigned int i = 0; i < n; i++)
			pfd[i].revents = ret > 0 ? all[i].revents : 0;
		ix->hp_revents = ret > 0 ? all[n].revents : 0;
		if (ret > 0 && all[n].revents)
			ret--;
		return ret;
	}
	for (unsigned int i = 0; i < n; i++) {
		w[i] = (struct curl_waitfd){ .fd = pfd[i].fd, .events = pfd[i].events };
		pfd[i].revents = 0;
	}
	if (C->multi_poll(ix->m, w, n, timeout_ms < 0 ? 60000 : timeout_ms, &numfds) != CURLM_OK)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		pfd[i].revents = w[i].revents;
	return numfds;
}

/* A request ended: ANSWERED with STATUS, or not at all (WHY). */
static void done(struct influx *ix, bool answered, long status, const char *why)
{
	ix->busy = false;
	if (answered && status >= 200 && status < 300) {
		if (ix->down)
			fprintf(stderr, "iptmon: InfluxDB answers again, sending what waited\n");
		ix->down = false;
		ix->refusing = false;
		ix->sent++;
		batch_pop(ix);
		start(ix); /* catch up: the next batch at once */
		return;
	}
	ix->errors++;
	/* the data itself was refused (415: its encoding): never retry it */
	if (answered && (status == 400 || status == 415)) {
		if (!ix->refusing) /* once, until a batch is taken (a refused batch each poll) */
			fprintf(stderr, "iptmon: InfluxDB refused a batch (HTTP %ld); dropped, and so "
					"are the next ones it refuses%s\n",
				status, ix->gzip ? " (if it takes no gzip: influx_gzip = off)" : "");
		ix->refusing = true;
		ix->dropped++;
		batch_pop(ix);
		return;
	}
	if (!ix->down) {
		if (!answered)
			fprintf(stderr, "iptmon: InfluxDB %s: %s (keeping points, retrying every poll)\n",
				ix->where, why);
		else
			fprintf(stderr, "iptmon: InfluxDB %s: HTTP %ld (keeping points, retrying every poll)\n",
				ix->where, status);
	}
	ix->down = true; /* retried when the next poll pushes */
}

static void finished(struct influx *ix, CURLcode rc)
{
	long status = 0;

	C->easy_getinfo(ix->e, CURLINFO_RESPONSE_CODE, &status);
	C->multi_remove_handle(ix->m, ix->e);
	done(ix, rc == CURLE_OK, status, ix->errbuf[0] ? ix->errbuf : C->easy_strerror(rc));
}

void influx_run(struct influx *ix)
{
	CURLMsg *msg;
	int running, left;

	if (ix->hp) {
		long status;
		short rev = ix->hp_revents;

		ix->hp_revents = 0;
		if (ix->busy && hpost_io(ix->hp, rev, &status, ix->errbuf, sizeof(ix->errbuf)) == 1)
			done(ix, status != 0, status, ix->errbuf);
		return;
	}
	C->multi_perform(ix->m, &running);
	while ((msg = C->multi_info_read(ix->m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == ix->e)
			finished(ix, msg->data.result);
}

bool influx_gzip(const struct influx *ix)
{
	return ix->gzip;
}

size_t influx_queued(const struct influx *ix)
{
	return ix->queued;
}

size_t influx_batches(const struct influx *ix)
{
	return ix->nbatches;
}

const char *influx_batch(const struct influx *ix, size_t i, size_t *len)
{
	const struct batch *b = ix->head;

	while (b && i--)
		b = b->next;
	if (b)
		*len = b->len;
	return b ? b->buf : NULL;
}

unsigned long long influx_errors(const struct influx *ix)
{
	return ix->errors;
}

unsigned long long influx_dropped(const struct influx *ix)
{
	return ix->dropped;
}
