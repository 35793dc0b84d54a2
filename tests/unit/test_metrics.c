// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: Prometheus text exposition 0.0.4 and the /metrics server. Every line written parses by
 * the format's grammar and label values come back byte for byte after unescaping (invalid UTF-8
 * as U+FFFD); bad names are refused; loopback addresses only unless allowed; the server answers
 * 200 with the right Content-Type and Content-Length, 404, 405, 400, 431, 500 and 503, and drops
 * a scraper that sends nothing. */
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

#include "metrics/metrics.h"

/* --- A reader of the format, independent of the writer ---------------------------------- */

struct parsed {
	char name[WD_PROM_NAME_MAX + 1];
	size_t n_labels;
	char label[8][WD_PROM_NAME_MAX + 1];
	char value[8][256];
	char number[64];
};

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

static const char *parse_name(const char *p, char *out, bool colon)
{
	size_t n = 0;

	while (name_char(*p, n == 0, colon) && n < WD_PROM_NAME_MAX)
		out[n++] = *p++;
	out[n] = '\0';
	return n ? p : NULL;
}

/* A sample line: name[{l="v",...}] value. Returns false if it breaks the grammar. */
static bool parse_sample(const char *line, struct parsed *s)
{
	const char *p = parse_name(line, s->name, true);
	char *end;

	s->n_labels = 0;
	if (!p)
		return false;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			char *v;
			size_t n = 0;

			if (s->n_labels == 8)
				return false;
			p = parse_name(p, s->label[s->n_labels], false);
			if (!p || *p++ != '=' || *p++ != '"')
				return false;
			v = s->value[s->n_labels];
			while (*p != '"') {
				if (!*p || *p == '\n' || n + 1 >= sizeof(s->value[0]))
					return false;
				if (*p == '\\') {
					p++;
					if (*p == 'n')
						v[n++] = '\n';
					else if (*p == '\\' || *p == '"')
						v[n++] = *p;
					else
						return false;
					p++;
				} else {
					v[n++] = *p++;
				}
			}
			v[n] = '\0';
			p++;
			s->n_labels++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	snprintf(s->number, sizeof(s->number), "%s", p);
	if (!strcmp(p, "NaN") || !strcmp(p, "+Inf") || !strcmp(p, "-Inf"))
		return true;
	strtod(p, &end);
	return end != p && !*end;
}

/* Checks every line of @text: HELP and TYPE comments, then samples of the family just typed.
 * Returns how many samples there were, or fails. */
static int check_exposition(const char *text)
{
	char family[WD_PROM_NAME_MAX + 1] = "", *copy = strdup(text), *save, *line;
	int samples = 0;
	bool typed = false;

	assert_true(text[0] == '\0' || text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct parsed s;
		char name[WD_PROM_NAME_MAX + 1], type[32];

		if (!strncmp(line, "# HELP ", 7)) {
			const char *p = parse_name(line + 7, family, true);

			assert_non_null(p);
			assert_true(*p == ' ');
			/* HELP text: only \\ and \n are escapes. */
			for (p++; *p; p++)
				if (*p == '\\') {
					p++;
					assert_true(*p == '\\' || *p == 'n');
				}
			typed = false;
		} else if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%128s %31s", name, type), 2);
			assert_string_equal(name, family);
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
				    !strcmp(type, "untyped"));
			typed = true;
		} else {
			if (!parse_sample(line, &s))
				fail_msg("line does not parse: \"%s\"", line);
			assert_true(typed);
			assert_string_equal(s.name, family);
			samples++;
		}
	}
	free(copy);
	return samples;
}

/* --- The writer ------------------------------------------------------------------------- */

static char *out_buf;
static size_t out_len;

static FILE *out_open(void)
{
	FILE *f = open_memstream(&out_buf, &out_len);

	assert_non_null(f);
	return f;
}

static char *out_close(FILE *f)
{
	assert_int_equal(fclose(f), 0);
	return out_buf;
}

static void exposition(void **state)
{
	const struct wd_prom_label l2[] = {{"identity", "ci:acme/api#8812"}, {"kind", "exec"}};
	const struct wd_prom_label sink[] = {{"sink", "file:/var/log/warden/events.pb"}};
	struct wd_prom w;
	FILE *f = out_open();
	char *text;

	wd_prom_init(&w, f);
	assert_int_equal(wd_prom_family(&w, "warden_decisions_total", WD_PROM_COUNTER,
					"Decisions by identity and kind."),
			 0);
	assert_int_equal(wd_prom_sample_u64(&w, l2, 2, 12), 0);
	assert_int_equal(wd_prom_family(&w, "warden_ringbuf_fill_ratio", WD_PROM_GAUGE,
					"Ring buffer fill, 0 to 1."),
			 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 0.25), 0);
	assert_int_equal(wd_prom_family(&w, "warden_events_lost_total", WD_PROM_COUNTER, NULL), 0);
	assert_int_equal(wd_prom_sample_u64(&w, sink, 1, UINT64_MAX), 0);
	assert_int_equal(wd_prom_family(&w, "warden:odd_values", WD_PROM_UNTYPED, "x"), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 0.0 / 0.0), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 1.0 / 0.0), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, -1.0 / 0.0), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 1e300), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, -3), 0);
	assert_int_equal(wd_prom_error(&w), 0);
	text = out_close(f);
	assert_int_equal(check_exposition(text), 8);
	assert_string_equal(
		text, "# HELP warden_decisions_total Decisions by identity and kind.\n"
		      "# TYPE warden_decisions_total counter\n"
		      "warden_decisions_total{identity=\"ci:acme/api#8812\",kind=\"exec\"} 12\n"
		      "# HELP warden_ringbuf_fill_ratio Ring buffer fill, 0 to 1.\n"
		      "# TYPE warden_ringbuf_fill_ratio gauge\n"
		      "warden_ringbuf_fill_ratio 0.25\n"
		      "# HELP warden_events_lost_total \n"
		      "# TYPE warden_events_lost_total counter\n"
		      "warden_events_lost_total{sink=\"file:/var/log/warden/events.pb\"} "
		      "18446744073709551615\n"
		      "# HELP warden:odd_values x\n"
		      "# TYPE warden:odd_values untyped\n"
		      "warden:odd_values NaN\n"
		      "warden:odd_values +Inf\n"
		      "warden:odd_values -Inf\n"
		      "warden:odd_values 1.0000000000000001e+300\n"
		      "warden:odd_values -3\n");
	free(text);
}

/* Label values and HELP text with every character that needs escaping come back whole. */
static void escaping(void **state)
{
	static const char *const values[] = {
		"back\\slash",	 "double\"quote", "new\nline", "\\\"\n\\n", "",
		"é✓😀 tab\there", "trailing\\",
	};
	struct wd_prom w;
	FILE *f = out_open();
	char *text, *line, *save;
	size_t i = 0;

	wd_prom_init(&w, f);
	assert_int_equal(wd_prom_family(&w, "m", WD_PROM_GAUGE, "help with \\ and \n and \""), 0);
	for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		struct wd_prom_label l = {"v", values[k]};

		assert_int_equal(wd_prom_sample_u64(&w, &l, 1, k), 0);
	}
	text = out_close(f);
	assert_int_equal(check_exposition(text), (int)(sizeof(values) / sizeof(values[0])));
	/* HELP escapes backslash and newline, not the quote. */
	assert_non_null(strstr(text, "# HELP m help with \\\\ and \\n and \"\n"));
	assert_non_null(strstr(text, "m{v=\"double\\\"quote\"} 1\n"));
	assert_non_null(strstr(text, "m{v=\"new\\nline\"} 2\n"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct parsed s;

		if (line[0] == '#')
			continue;
		assert_true(parse_sample(line, &s));
		assert_int_equal(s.n_labels, 1);
		assert_string_equal(s.value[0], values[i]);
		i++;
	}
	free(text);
}

static void invalid_utf8(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a\xff"
		 "b",
		 "a\xef\xbf\xbd"
		 "b"},
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},		  /* overlong '/' */
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
		{"\xf4\x90\x80\x80",
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* past U+10FFFF */
		{"cut \xe2\x9c", "cut \xef\xbf\xbd\xef\xbf\xbd"},
		{"ok \xe2\x9c\x93", "ok \xe2\x9c\x93"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = out_open();
		char *text;

		assert_int_equal(wd_prom_write_escaped(f, cases[i].in, true), 0);
		text = out_close(f);
		assert_string_equal(text, cases[i].out);
		free(text);
	}
}

static void bad_names(void **state)
{
	static const char *const bad_metrics[] = {"", "9lives", "has-dash", "sp ace", "é"};
	static const char *const bad_labels[] = {"", "9x", "a:b", "__reserved", "a-b"};
	struct wd_prom w;
	FILE *f = out_open();
	char *text;

	for (size_t i = 0; i < sizeof(bad_metrics) / sizeof(bad_metrics[0]); i++) {
		wd_prom_init(&w, f);
		assert_int_equal(wd_prom_family(&w, bad_metrics[i], WD_PROM_GAUGE, "x"), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
		struct wd_prom_label l = {bad_labels[i], "v"};

		wd_prom_init(&w, f);
		assert_int_equal(wd_prom_family(&w, "ok", WD_PROM_GAUGE, "x"), 0);
		assert_int_equal(wd_prom_sample_u64(&w, &l, 1, 1), -EINVAL);
		/* The error sticks. */
		assert_int_equal(wd_prom_sample_u64(&w, NULL, 0, 1), -EINVAL);
		assert_int_equal(wd_prom_error(&w), -EINVAL);
	}
	{
		const struct wd_prom_label dup[] = {{"a", "1"}, {"a", "2"}};

		wd_prom_init(&w, f);
		assert_int_equal(wd_prom_family(&w, "ok", WD_PROM_GAUGE, "x"), 0);
		assert_int_equal(wd_prom_sample_u64(&w, dup, 2, 1), -EINVAL);
	}
	/* A sample before any family. */
	wd_prom_init(&w, f);
	assert_int_equal(wd_prom_sample_u64(&w, NULL, 0, 1), -EINVAL);
	text = out_close(f);
	/* Refused samples write nothing: what is there still parses. */
	check_exposition(text);
	assert_null(strstr(text, "ok{"));
	free(text);
}

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
		cmocka_unit_test(exposition),	      cmocka_unit_test(escaping),
		cmocka_unit_test(invalid_utf8),	      cmocka_unit_test(bad_names),
		cmocka_unit_test(addresses),	      cmocka_unit_test(remote_refused),
		cmocka_unit_test(http_scrape),	      cmocka_unit_test(http_errors),
		cmocka_unit_test(http_slow_and_busy),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
