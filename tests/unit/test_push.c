// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/influx.c's queue bound (an https:// URL: libcurl's path, whose transfer
 * is never run: influx_run is not called, so the first batch stays "being sent" and nothing
 * touches the network). src/hpost.c, the plain http:// path: test_hpost.c. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "push.h"

static char *batch(size_t len)
{
	char *b = malloc(len);

	assert_non_null(b);
	memset(b, 'x', len);
	return b;
}

static void test_queue_bound(void **state)
{
	char err[256];
	struct influx *ix = influx_new("https://127.0.0.1:9/write?db=x", "", 200, false, err, sizeof(err));

	(void)state;
	assert_non_null(ix);
	influx_push(ix, batch(100), 100); /* sent at once: in flight */
	influx_push(ix, batch(100), 100);
	assert_int_equal(influx_queued(ix), 200);
	assert_int_equal(influx_dropped(ix), 0);
	/* over 200: the oldest waiting one goes, not the one in flight nor the newest */
	influx_push(ix, batch(100), 100);
	assert_int_equal(influx_queued(ix), 200);
	assert_int_equal(influx_dropped(ix), 1);
	/* one batch bigger than the bound still waits (never the newest) */
	influx_push(ix, batch(500), 500);
	assert_int_equal(influx_queued(ix), 600);
	assert_int_equal(influx_dropped(ix), 2);
	influx_free(ix);
}

/* The batch's first byte names it: 'A' + its push number. */
static char *named(int k)
{
	char *b = batch(10);

	b[0] = (char)('A' + k);
	return b;
}

/*
 * A long outage: never more than INFLUX_MAX_BATCHES batches (and never over max_queue), the
 * outage's first point and the newest kept, the ones between spread evenly (no gap between
 * kept points more than twice the even spacing).
 */
static void test_queue_thinned(void **state)
{
	char err[256];
	struct influx *ix = influx_new("https://127.0.0.1:9/write?db=x", "", 1 << 20, false, err, sizeof(err));
	int pushes = 2 + 4 * INFLUX_MAX_BATCHES, prev = -1, maxgap = 0;
	size_t len;

	(void)state;
	assert_non_null(ix);
	for (int k = 0; k < pushes; k++) {
		influx_push(ix, named(k), 10);
		assert_true(influx_batches(ix) <= INFLUX_MAX_BATCHES);
		assert_true(influx_queued(ix) == influx_batches(ix) * 10);
	}
	assert_int_equal(influx_batches(ix), INFLUX_MAX_BATCHES);
	assert_int_equal(influx_dropped(ix), pushes - INFLUX_MAX_BATCHES);
	assert_int_equal((unsigned char)influx_batch(ix, 0, &len)[0], 'A'); /* the outage's first (in flight here) */
	assert_int_equal((unsigned char)influx_batch(ix, INFLUX_MAX_BATCHES - 1, &len)[0],
			 'A' + pushes - 1);
	for (size_t i = 1; i < INFLUX_MAX_BATCHES; i++) {
		int k = (unsigned char)influx_batch(ix, i, &len)[0] - 'A';

		assert_true(k > prev);
		if (prev >= 0 && k - prev > maxgap)
			maxgap = k - prev;
		prev = k;
	}
	assert_true(maxgap <= 2 * (pushes - 2) / (INFLUX_MAX_BATCHES - 2));
	influx_free(ix);
}

/* A child on 127.0.0.1 (port in *port) that reads each whole request and answers it with
 * the next of the N STATUS codes. */
static pid_t answering(int *port, const int *status, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid) {
		close(lfd);
		return pid;
	}
	/* never outlives a failed test, nor holds its output open (run.sh reads it to the end) */
	alarm(20);
	{
		int null = open("/dev/null", O_RDWR);

		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
	}
	for (int i = 0; i < n; i++) {
		char req[8192], rep[128], *end = NULL, *cl;
		size_t got = 0;
		ssize_t r;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(1);
		while (got < sizeof(req) - 1 && (r = read(fd, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (!end && (end = strstr(req, "\r\n\r\n")))
				end += 4;
			cl = strcasestr(req, "Content-Length:");
			if (end && cl && got >= (size_t)(end - req) + strtoul(cl + 15, NULL, 10))
				break;
		}
		snprintf(rep, sizeof(rep), "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 status[i]);
		if (write(fd, rep, strlen(rep)) < 0)
			_exit(1);
		close(fd);
	}
	_exit(0);
}

/* Pushes one batch and runs the transfer until it has ended (sent or dropped). */
static void push_one(struct influx *ix)
{
	struct pollfd none = { .fd = -1 };
	char *b = strdup("iptmon,host=a bytes=1i 1\n");

	assert_non_null(b);
	influx_push(ix, b, strlen(b));
	for (int k = 0; k < 500 && influx_batches(ix); k++) {
		influx_poll(ix, &none, 0, 20);
		influx_run(ix);
	}
	assert_int_equal(influx_batches(ix), 0);
}

/*
 * A batch the server refuses as data (400) or for its encoding (415) is dropped, not
 * retried; the log says so once per run of refusals (not each poll), with the hint for an
 * endpoint that takes no gzip; a batch taken in between starts a new run.
 */
static pid_t server_pid = -1;
static int saved_stderr = -1;

static void stderr_back(void)
{
	if (saved_stderr >= 0) {
		fflush(stderr);
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

/* After test_refused_once, whether it passed or not: stderr back, the server gone. */
static int refused_teardown(void **state)
{
	(void)state;
	stderr_back();
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	return 0;
}

static void test_refused_once(void **state)
{
	static const int status[] = { 415, 415, 204, 400 };
	char err[256], log[1024] = "";
	int port, fd, status_;
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "stderr"), url[64];
	struct influx *ix;
	pid_t pid;
	ssize_t n;

	(void)state;
	pid = server_pid = answering(&port, status, 4);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/write?db=x", port);
	ix = influx_new(url, "", 1 << 20, true, err, sizeof(err));
	assert_non_null(ix);
	assert_true(influx_gzip(ix));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(fd >= 0 && saved_stderr >= 0);
	dup2(fd, 2);
	push_one(ix);
	push_one(ix);
	push_one(ix);
	push_one(ix);
	stderr_back();
	assert_int_equal(influx_dropped(ix), 3);
	n = pread(fd, log, sizeof(log) - 1, 0);
	close(fd);
	assert_true(n > 0);
	log[n] = '\0';
	assert_string_equal(log,
			    "iptmon: InfluxDB refused a batch (HTTP 415); dropped, and so are the next "
			    "ones it refuses (if it takes no gzip: influx_gzip = off)\n"
			    "iptmon: InfluxDB refused a batch (HTTP 400); dropped, and so are the next "
			    "ones it refuses (if it takes no gzip: influx_gzip = off)\n");
	influx_free(ix);
	assert_int_equal(waitpid(pid, &status_, 0), pid);
	server_pid = -1;
	assert_true(WIFEXITED(status_) && WEXITSTATUS(status_) == 0);
	free(path);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_queue_thinned),
		cmocka_unit_test_teardown(test_refused_once, refused_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
