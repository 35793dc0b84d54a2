// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the /metrics server (metrics/http.c). Loopback addresses only unless allowed; the server
 * answers 200 with the right Content-Type and Content-Length, 404, 405, 400, 431, 500 and 503,
 * and drops a scraper that sends nothing. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "prom_reader.h"

/* --- Addresses ------------------------------------------------------------------------- */

static void addresses(void **state)
{
	static const struct {
		const char *addr;
		bool loopback;
		int port;
	} good[] = {
		{"127.0.0.1:9464", true, 9464},
		{"127.1.2.3:1", true, 1},
		{"localhost:0", true, 0},
		{"[::1]:9464", true, 9464},
		{"[::ffff:127.0.0.1]:80", true, 80},
		{"0.0.0.0:9464", false, 9464},
		{"10.1.2.3:65535", false, 65535},
		{"[::]:9464", false, 9464},
	};
	static const char *const bad[] = {
		"127.0.0.1",	   "127.0.0.1:",    "127.0.0.1:x",    "127.0.0.1:65536", "::1:9464",
		"[::1]9464",	   "[::1",	    "example.com:80", "127.0.0.1:-1",	 ":9464",
		"127.0.0.1:94 64", "[127.0.0.1]:1",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	bool lo;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (wd_metrics_parse_addr(good[i].addr, &ss, &len, &lo))
			fail_msg("%s refused", good[i].addr);
		assert_int_equal(lo, good[i].loopback);
		assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wd_metrics_parse_addr(bad[i], &ss, &len, &lo) != -EINVAL)
			fail_msg("%s accepted", bad[i]);
}

static int collect_none(struct wd_prom *w, void *arg)
{
	return 0;
}

static void remote_refused(void **state)
{
	struct wd_metrics_opts o = {.addr = "0.0.0.0:0", .collect = collect_none};
	struct wd_metrics_srv *s;
	char err[WD_METRICS_ERR_MAX];

	assert_int_equal(wd_metrics_open(&s, &o, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "not a loopback address"));
	o.allow_remote = true;
	assert_int_equal(wd_metrics_open(&s, &o, err, sizeof(err)), 0);
	assert_int_not_equal(wd_metrics_port(s), 0);
	wd_metrics_close(s);
	o.addr = "nonsense";
	assert_int_equal(wd_metrics_open(&s, &o, err, sizeof(err)), -EINVAL);
}

/* --- The server ------------------------------------------------------------------------ */

static int collect_fail;

static int collect(struct wd_prom *w, void *arg)
{
	const struct wd_prom_label l = {"identity", "agent:\"quoted\""};

	if (collect_fail)
		return -EIO;
	wd_prom_family(w, "warden_sandboxes", WD_PROM_GAUGE, "Sandboxes now.");
	wd_prom_sample_u64(w, NULL, 0, 3);
	wd_prom_family(w, "warden_decisions_total", WD_PROM_COUNTER, "Decisions.");
	wd_prom_sample_u64(w, &l, 1, 7);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends @req (may be empty) and serves until the server closes the connection (or 5 s pass).
 * Returns the whole answer, NULL if the server never answered. */
static char *exchange(struct wd_metrics_srv *s, int fd, const char *req, size_t req_len)
{
	char err[WD_METRICS_ERR_MAX], *resp = calloc(1, 1 << 16);
	uint64_t end = mono_ns() + 5000000000ull;
	size_t len = 0;

	if (req_len)
		assert_int_equal(send(fd, req, req_len, MSG_NOSIGNAL), (ssize_t)req_len);
	while (mono_ns() < end) {
		struct pollfd pfd[2] = {{.fd = wd_metrics_fd(s), .events = POLLIN},
					{.fd = fd, .events = POLLIN}};
		ssize_t n;

		poll(pfd, 2, 20);
		assert_int_equal(wd_metrics_handle(s, err, sizeof(err)), 0);
		n = recv(fd, resp + len, (1 << 16) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return resp;
	}
	free(resp);
	return NULL;
}

static char *get(struct wd_metrics_srv *s, const char *req)
{
	int fd = tcp_connect(wd_metrics_port(s));
	char *resp = exchange(s, fd, req, strlen(req));

	close(fd);
	assert_non_null(resp);
	return resp;
}

static void expect_status(const char *resp, const char *status)
{
	if (strncmp(resp, status, strlen(status)))
		fail_msg("answer starts \"%.40s\", want \"%s\"", resp, status);
}

static struct wd_metrics_srv *serve(unsigned timeout_ms, unsigned max_conns)
{
	struct wd_metrics_opts o = {
		.addr = "127.0.0.1:0",
		.collect = collect,
		.timeout_ms = timeout_ms,
		.max_conns = max_conns,
	};
	struct wd_metrics_srv *s;
	char err[WD_METRICS_ERR_MAX];

	if (wd_metrics_open(&s, &o, err, sizeof(err)))
		fail_msg("%s", err);
	return s;
}

static void http_scrape(void **state)
{
	struct wd_metrics_srv *s = serve(0, 0);
	char *resp, *body;
	size_t clen;

	resp = get(s, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
	expect_status(resp, "HTTP/1.0 200 OK\r\n");
	assert_non_null(
		strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_int_equal(sscanf(strstr(resp, "Content-Length: "), "Content-Length: %zu", &clen), 1);
	body = strstr(resp, "\r\n\r\n") + 4;
	assert_int_equal(strlen(body), clen);
	assert_int_equal(check_exposition(body), 2);
	assert_non_null(
		strstr(body, "warden_decisions_total{identity=\"agent:\\\"quoted\\\"\"} 7\n"));
	free(resp);
	/* A bare HTTP/1.0 request with a query string, and HEAD (no body). */
	resp = get(s, "GET /metrics?x=1 HTTP/1.0\n\n");
	expect_status(resp, "HTTP/1.0 200 OK\r\n");
	free(resp);
	resp = get(s, "HEAD /metrics HTTP/1.0\r\n\r\n");
	expect_status(resp, "HTTP/1.0 200 OK\r\n");
	assert_string_equal(strstr(resp, "\r\n\r\n"), "\r\n\r\n");
	free(resp);
	assert_int_equal(wd_metrics_scrapes(s), 3);
	wd_metrics_close(s);
}

static void http_errors(void **state)
{
	struct wd_metrics_srv *s = serve(0, 0);
	char *big = malloc(8192), *resp;

	resp = get(s, "GET / HTTP/1.0\r\n\r\n");
	expect_status(resp, "HTTP/1.0 404 Not Found\r\n");
	free(resp);
	resp = get(s, "GET /metricsx HTTP/1.0\r\n\r\n");
	expect_status(resp, "HTTP/1.0 404 Not Found\r\n");
	free(resp);
	resp = get(s, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	expect_status(resp, "HTTP/1.0 405 Method Not Allowed\r\n");
	assert_non_null(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
	free(resp);
	resp = get(s, "hello\r\n\r\n");
	expect_status(resp, "HTTP/1.0 400 Bad Request\r\n");
	free(resp);
	resp = get(s, "GET /metrics SMTP/1.0\r\n\r\n");
	expect_status(resp, "HTTP/1.0 400 Bad Request\r\n");
	free(resp);
	memset(big, 'a', 8191);
	big[8191] = '\0';
	memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
	resp = get(s, big);
	expect_status(resp, "HTTP/1.0 431 ");
	free(resp);
	collect_fail = 1;
	resp = get(s, "GET /metrics HTTP/1.0\r\n\r\n");
	collect_fail = 0;
	expect_status(resp, "HTTP/1.0 500 ");
	free(resp);
	assert_int_equal(wd_metrics_scrapes(s), 0);
	free(big);
	wd_metrics_close(s);
}

/* A scraper that sends nothing is dropped at its deadline; past max_conns, 503. */
static void http_slow_and_busy(void **state)
{
	struct wd_metrics_srv *s = serve(1000, 1);
	uint64_t t0 = mono_ns();
	char *resp;
	int idle = tcp_connect(wd_metrics_port(s)), fd;

	/* Let it be accepted before the second one comes. */
	resp = exchange(s, idle, "", 0);
	assert_non_null(resp);
	assert_string_equal(resp, "");
	assert_true(mono_ns() - t0 >= 1000000000ull);
	free(resp);
	close(idle);

	idle = tcp_connect(wd_metrics_port(s));
	for (int i = 0; i < 5; i++) {
		char err[WD_METRICS_ERR_MAX];

		poll(NULL, 0, 10);
		wd_metrics_handle(s, err, sizeof(err));
	}
	assert_int_not_equal(wd_metrics_deadline(s), 0);
	fd = tcp_connect(wd_metrics_port(s));
	resp = exchange(s, fd, "GET /metrics HTTP/1.0\r\n\r\n", 25);
	assert_non_null(resp);
	expect_status(resp, "HTTP/1.0 503 ");
	free(resp);
	close(fd);
	close(idle);
	wd_metrics_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses),	      cmocka_unit_test(remote_refused),
		cmocka_unit_test(http_scrape),	      cmocka_unit_test(http_errors),
		cmocka_unit_test(http_slow_and_busy),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
