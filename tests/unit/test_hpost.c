// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/hpost.c: the exact request a server on 127.0.0.1 gets, the status it
 * answers, a refused connection, and the URLs left to libcurl. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "hpost.h"

/* A listening socket on 127.0.0.1 (port in *port). */
static int server(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Runs the request until it is done; the server side reads WANT bytes, then answers REPLY. */
static int run(struct hpost *p, int lfd, size_t want, const char *reply, char *got, long *status,
	       char *err, size_t errlen)
{
	int cfd = -1, done = 0;
	size_t have = 0;

	for (int i = 0; i < 1000 && !done; i++) {
		struct pollfd pf[3] = { { .fd = -1 }, { .fd = lfd, .events = POLLIN }, { .fd = cfd, .events = POLLIN } };
		short ev = 0;

		pf[0].fd = hpost_pollfd(p, &ev);
		pf[0].events = ev;
		assert_true(poll(pf, 3, 1000) >= 0);
		if (lfd >= 0 && (pf[1].revents & POLLIN) && cfd < 0)
			cfd = accept(lfd, NULL, NULL);
		if (cfd >= 0 && (pf[2].revents & POLLIN) && have < want) {
			ssize_t n = read(cfd, got + have, want - have);

			assert_true(n > 0);
			have += (size_t)n;
			if (have == want) {
				assert_int_equal(write(cfd, reply, strlen(reply)), (ssize_t)strlen(reply));
				close(cfd);
			}
		}
		done = hpost_io(p, pf[0].revents, status, err, errlen);
	}
	got[have] = '\0';
	return done;
}

static void test_request_and_status(void **state)
{
	char want[512], got[512], err[256] = "";
	int port, lfd = server(&port);
	long status = -1;
	struct hpost *p;
	char url[128];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v2/write?org=home&bucket=net", port);
	p = hpost_new(url, "Content-Type: text/plain; charset=utf-8\r\nAuthorization: Token s\r\n");
	assert_non_null(p);
	snprintf(want, sizeof(want),
		 "POST /api/v2/write?org=home&bucket=net HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		 "User-Agent: iptmon\r\nContent-Type: text/plain; charset=utf-8\r\n"
		 "Authorization: Token s\r\nContent-Length: 5\r\nConnection: close\r\n\r\nx y 1",
		 port);
	assert_int_equal(hpost_start(p, "x y 1", 5, err, sizeof(err)), 0);
	assert_int_equal(run(p, lfd, strlen(want), "HTTP/1.1 204 No Content\r\n\r\n", got, &status,
			     err, sizeof(err)), 1);
	assert_string_equal(got, want);
	assert_int_equal(status, 204);
	/* the same client again: a 500 is a status too */
	assert_int_equal(hpost_start(p, "x y 1", 5, err, sizeof(err)), 0);
	assert_int_equal(run(p, lfd, strlen(want), "HTTP/1.0 500 Oops\r\nA: b\r\n\r\nbody", got,
			     &status, err, sizeof(err)), 1);
	assert_int_equal(status, 500);
	/* an answer that is not HTTP */
	assert_int_equal(hpost_start(p, "x y 1", 5, err, sizeof(err)), 0);
	assert_int_equal(run(p, lfd, strlen(want), "SSH-2.0\r\n", got, &status, err, sizeof(err)), 1);
	assert_int_equal(status, 0);
	assert_string_equal(err, "the reply is not HTTP");
	hpost_free(p);
	close(lfd);
}

static void test_refused(void **state)
{
	char url[128], got[8], err[256] = "";
	int port, lfd = server(&port);
	long status = -1;
	struct hpost *p;
	int ret;

	(void)state;
	close(lfd); /* nobody listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	p = hpost_new(url, NULL);
	assert_non_null(p);
	ret = hpost_start(p, "x", 1, err, sizeof(err));
	if (!ret)
		assert_int_equal(run(p, -1, 0, "", got, &status, err, sizeof(err)), 1);
	assert_int_equal(status <= 0 ? 0 : status, 0);
	assert_non_null(strstr(err, "refused"));
	hpost_free(p);
}

static void test_urls(void **state)
{
	(void)state;
	errno = 0;
	assert_null(hpost_new("https://influx:8086/write", NULL));
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_null(hpost_new("http://user:pw@influx:8086/write", NULL));
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_null(hpost_new("http://influx:80x/write", NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(hpost_new("http://[::1/write", NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(hpost_new("http:///write", NULL));
	assert_int_equal(errno, EINVAL);
	hpost_free(hpost_new("http://[::1]:8086?db=x", NULL));
	hpost_free(hpost_new("HTTP://influx", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_and_status),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
