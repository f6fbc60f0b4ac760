// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTTP requests as the daemon's server sees them (src/http.c on the real libmicrohttpd, over
 * 127.0.0.1): first byte even, the rest is the query string of GET /api/hosts (bytes a
 * request line cannot hold raw are %-encoded); odd, the rest is a whole raw request.
 * Properties: a query request is always answered, 200 or 400 (but for a long URL or hundreds
 * of arguments, which fill the connection's memory pool: 414, 431 or closed); when the query is simple enough
 * to read here (one period key at most, in any case, no %-escapes), the answer is exactly the resource
 * period= names (all, current, previous; none or empty: all) or 400 for anything else. After
 * a raw request, whatever it was, the server still answers /metrics.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

#include "http.h"

static struct http *H;
static struct sockaddr_in at;
static int rendered;

static int render(void *ctx, enum http_res res, const char *arg, char **body, size_t *len)
{
	(void)ctx;
	(void)arg;
	rendered = (int)res;
	if (asprintf(body, "res %d\n", (int)res) < 0)
		return -ENOMEM;
	*len = strlen(*body);
	return 0;
}

static void start(void)
{
	char err[256] = "", listen_at[64];

	for (int i = 0; i < 20 && !H; i++) { /* a free port, found by the kernel */
		socklen_t sl = sizeof(at);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		memset(&at, 0, sizeof(at));
		at.sin_family = AF_INET;
		at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || bind(fd, (struct sockaddr *)&at, sizeof(at)) ||
		    getsockname(fd, (struct sockaddr *)&at, &sl))
			abort();
		close(fd);
		snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", ntohs(at.sin_port));
		H = http_start(listen_at, 16, render, NULL, err, sizeof(err));
	}
	FZ_CHECK(H, "cannot start the HTTP server: %s", err);
}

/*
 * Sends REQ; returns the status of the answer (0: none), the answer in buf. A raw request
 * (half_close) may get no answer: it is given 100 ms.
 */
static int exchange(const char *req, size_t len, bool half_close, char *buf, size_t cap)
{
	int tries = half_close ? 100 : 5000;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), status = 0;
	size_t got = 0, put = 0;
	bool eof = false;

	/* non-blocking throughout: libFuzzer's SIGALRM would interrupt a blocking call */
	FZ_CHECK(fd >= 0 && (!connect(fd, (struct sockaddr *)&at, sizeof(at)) ||
			     errno == EINPROGRESS),
		 "connect: %s", strerror(errno));
	for (int i = 0; i < 5000 && put < len; i++) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		poll(&p, 1, 1);
		n = write(fd, req + put, len - put);
		if (n > 0)
			put += (size_t)n;
		else
			FZ_CHECK(n < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOTCONN),
				 "write: %s", strerror(errno));
	}
	FZ_CHECK(put == len, "request not sent in 5 s");
	if (half_close)
		shutdown(fd, SHUT_WR);
	http_invalidate(H); /* every request renders: what was rendered is what was asked */
	rendered = -1;
	for (int i = 0; i < tries && !eof; i++) { /* 1 ms each */
		struct pollfd p[2] = { { .fd = http_fd(H), .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };
		ssize_t n;

		poll(p, 2, 1);
		http_run(H);
		while ((n = read(fd, buf + got, cap - 1 - got)) > 0)
			got += (size_t)n;
		eof = n == 0 || (n < 0 && errno != EAGAIN) || got == cap - 1;
	}
	close(fd);
	http_run(H); /* let the server see the close */
	buf[got] = '\0';
	FZ_CHECK(eof || half_close, "no end of answer in 5 s to: %.*s", (int)len, req);
	if (sscanf(buf, "HTTP/1.%*1d %3d ", &status) != 1)
		status = 0;
	return status;
}

/*
 * The resource period= names when the query is simple (no %, no +, no empty part, period at
 * most once), -1 otherwise; 99 for a value the server must refuse.
 */
static int expected(const char *q)
{
	const char *v = NULL;
	int periods = 0;
	char *copy, *save = NULL;

	if (strpbrk(q, "%+;#") || strstr(q, "&&") || q[0] == '&' ||
	    (q[0] && q[strlen(q) - 1] == '&'))
		return -1;
	copy = strdup(q);
	for (char *part = strtok_r(copy, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(part, '=');
		size_t kl = eq ? (size_t)(eq - part) : strlen(part);

		if (kl == 0) {
			periods = 9; /* "=x": how the library takes it is its business */
		} else if (kl == 6 && !strncasecmp(part, "period", 6)) { /* as libmicrohttpd */
			periods++;
			v = eq ? q + (eq + 1 - copy) : NULL;
		}
	}
	if (periods > 1) {
		free(copy);
		return -1;
	}
	{
		size_t vl = v ? strcspn(v, "&") : 0;
		int r = !v || !vl || (vl == 3 && !strncmp(v, "all", 3)) ? HTTP_HOSTS
			: vl == 7 && !strncmp(v, "current", 7)		  ? HTTP_HOSTS_CURRENT
			: vl == 8 && !strncmp(v, "previous", 8)		  ? HTTP_HOSTS_PREVIOUS
									  : 99;
		free(copy);
		return r;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536];
	char *req, *q, *o;
	size_t len;
	int status, want, parts = 1;

	if (!H)
		start();
	if (size < 1 || size > 4096)
		return 0;
	if (data[0] & 1) { /* a raw request, then a plain one that must still work */
		exchange((const char *)data + 1, size - 1, true, buf, sizeof(buf));
		static const char plain[] =
			"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

		status = exchange(plain, strlen(plain), false, buf, sizeof(buf));
		FZ_CHECK(status == 200 && rendered == HTTP_METRICS, "/metrics after a raw request: %s",
			 buf);
		return 0;
	}
	/* the query, %-encoding what a request line cannot hold raw */
	q = malloc(size * 3 + 1);
	o = q;
	for (size_t i = 1; i < size; i++) {
		unsigned char c = data[i];

		if (c <= 0x20 || c >= 0x7f)
			o += sprintf(o, "%%%02X", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	len = (size_t)asprintf(&req, "GET /api/hosts?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			       q);
	status = exchange(req, len, false, buf, sizeof(buf));
	for (const char *a = q; (a = strchr(a, '&')); a++)
		parts++;
	/* A long URL or hundreds of arguments fill the connection's fixed memory pool (16 KiB):
	 * 414, 431 or closed unanswered, the bound at work for that client only. */
	if (len > 4096 || parts > 64) {
		FZ_CHECK(status == 200 || status == 400 || status == 414 || status == 431 || !status,
			 "big query: status %d: %s", status, buf);
		if (status != 200 && status != 400)
			goto out;
	}
	FZ_CHECK(status == 200 || status == 400, "query '%s': status %d: %s", q, status, buf);
	want = expected(q);
	if (want >= 0 && want != 99)
		FZ_CHECK(status == 200 && rendered == want, "query '%s': want resource %d, got %d (%d)",
			 q, want, rendered, status);
	if (want == 99)
		FZ_CHECK(status == 400, "query '%s': status %d, want 400", q, status);
	if (status == 200)
		FZ_CHECK(rendered >= HTTP_HOSTS && rendered <= HTTP_HOSTS_PREVIOUS,
			 "query '%s' rendered %d", q, rendered);
out:
	free(req);
	free(q);
	return 0;
}
