// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The HTTP/1.0 server that serves the exposition on /metrics. A scrape is answered from memory in
 * one go: the body is written by the collect callback into a memory stream, then sent without
 * blocking, so a slow scraper costs a buffer and a deadline, never the loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "metrics/metrics.h"

#define NS_PER_MS      1000000ull
#define DEF_TIMEOUT_MS 5000
#define DEF_MAX_CONNS  16
/* A request line and headers; scrapers send a few hundred bytes. */
#define REQ_MAX		  4096
#define LISTEN_BACKLOG	  16
#define EVENTS_PER_HANDLE 32
#define METRICS_PATH	  "/metrics"

/* --- The HTTP server -------------------------------------------------------------------- */

struct mconn {
	struct mconn *next;
	int fd;
	uint64_t deadline;
	char in[REQ_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_sent;
	bool writing;
};

struct wd_metrics_srv {
	int fd, ep;
	uint16_t port;
	char addr[64];
	struct wd_metrics_opts o;
	struct mconn *conns;
	unsigned n_conns;
	uint64_t scrapes;
};

int wd_metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			  bool *loopback)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *h = s, *port;
	size_t hl;
	char *end;
	unsigned long p;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = close - h;
		port = close + 2;
	} else {
		colon = strchr(s, ':');
		/* An IPv6 address goes in brackets, or its port could not be told apart. */
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		hl = colon - s;
		port = colon + 1;
	}
	if (!hl || hl >= sizeof(host) || *port < '0' || *port > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';

	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p);
		*len = sizeof(*a);
		*loopback =
			IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
			(IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons(p);
		*len = sizeof(*a);
		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	return 0;
}

int wd_metrics_open(struct wd_metrics_srv **out, const struct wd_metrics_opts *o, char *err,
		    size_t size)
{
	const char *addr = o->addr ? o->addr : WD_METRICS_ADDR;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct wd_metrics_srv *s;
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;
	int one = 1, ret;

	if (!o->collect) {
		snprintf(err, size, "metrics: no collect function");
		return -EINVAL;
	}
	if (wd_metrics_parse_addr(addr, &ss, &len, &loopback)) {
		snprintf(err, size,
			 "metrics address \"%s\" is not IP:PORT (e.g. 127.0.0.1:9464, "
			 "[::1]:9464, localhost:9464)",
			 addr);
		return -EINVAL;
	}
	if (!loopback && !o->allow_remote) {
		snprintf(err, size,
			 "metrics address %s is not a loopback address: anyone who can reach it "
			 "could read the metrics, which name identities and sandboxes; use "
			 "127.0.0.1:PORT, or allow remote access explicitly",
			 addr);
		return -EPERM;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, size, "out of memory");
		return -ENOMEM;
	}
	s->o = *o;
	if (!s->o.timeout_ms)
		s->o.timeout_ms = DEF_TIMEOUT_MS;
	if (!s->o.max_conns)
		s->o.max_conns = DEF_MAX_CONNS;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	s->o.addr = s->addr;
	s->ep = -1;
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		ret = -errno;
		snprintf(err, size, "metrics: cannot create a socket: %s", strerror(-ret));
		goto fail;
	}
	/* A restarted daemon must not wait for the old one's connections to time out. */
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&ss, len) || listen(s->fd, LISTEN_BACKLOG)) {
		ret = -errno;
		snprintf(err, size, "metrics: cannot listen on %s: %s%s", addr, strerror(-ret),
			 ret == -EADDRINUSE ? ": another program (a second daemon?) has it" : "");
		goto fail;
	}
	len = sizeof(ss);
	getsockname(s->fd, (struct sockaddr *)&ss, &len);
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->fd, &ev)) {
		ret = -errno;
		snprintf(err, size, "metrics: epoll: %s", strerror(-ret));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->ep >= 0)
		close(s->ep);
	free(s);
	return ret;
}

int wd_metrics_fd(const struct wd_metrics_srv *s)
{
	return s->ep;
}

uint16_t wd_metrics_port(const struct wd_metrics_srv *s)
{
	return s->port;
}

uint64_t wd_metrics_scrapes(const struct wd_metrics_srv *s)
{
	return s->scrapes;
}

uint64_t wd_metrics_deadline(const struct wd_metrics_srv *s)
{
	uint64_t d = 0;

	for (struct mconn *c = s->conns; c; c = c->next)
		if (!d || c->deadline < d)
			d = c->deadline;
	return d;
}

static void conn_close(struct wd_metrics_srv *s, struct mconn *c)
{
	char sink[512];

	for (struct mconn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	/* Unread input would make close() reset the connection, and the scraper could lose the
	 * end of the answer: read it first. */
	while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(c->fd); /* leaves the epoll with it */
	free(c->out);
	free(c);
	s->n_conns--;
}

/* Puts the whole answer in c->out: status line, headers and (unless @head) @body. */
static int respond(struct mconn *c, const char *status, const char *extra, const char *body,
		   size_t body_len, bool head)
{
	FILE *f = open_memstream(&c->out, &c->out_len);

	if (!f)
		return -ENOMEM;
	fprintf(f,
		"HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: "
		"close\r\n%s\r\n",
		status,
		!strncmp(status, "200", 3) ? WD_PROM_CONTENT_TYPE : "text/plain; charset=utf-8",
		body_len, extra ? extra : "");
	if (!head)
		fwrite(body, 1, body_len, f);
	if (fclose(f)) {
		free(c->out);
		c->out = NULL;
		return -ENOMEM;
	}
	c->writing = true;
	return 0;
}

static int respond_text(struct mconn *c, const char *status, const char *extra, const char *text,
			bool head)
{
	return respond(c, status, extra, text, strlen(text), head);
}

/* A scrape: the body from the collect callback. */
static int respond_metrics(struct wd_metrics_srv *s, struct mconn *c, bool head)
{
	struct wd_prom w;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int ret, cret;

	f = open_memstream(&body, &len);
	if (!f)
		return respond_text(c, "500 Internal Server Error", NULL, "out of memory\n", head);
	wd_prom_init(&w, f);
	cret = s->o.collect(&w, s->o.arg);
	if (fclose(f))
		cret = cret ? cret : -ENOMEM;
	if (cret || w.err) {
		char msg[128];

		snprintf(msg, sizeof(msg), "collecting the metrics failed: %s\n",
			 strerror(-(cret ? cret : w.err)));
		free(body);
		return respond_text(c, "500 Internal Server Error", NULL, msg, head);
	}
	ret = respond(c, "200 OK", NULL, body, len, head);
	free(body);
	if (!ret)
		s->scrapes++;
	return ret;
}

/* Answers the request in c->in (whole headers, or REQ_MAX bytes without their end). */
static int answer(struct wd_metrics_srv *s, struct mconn *c, bool complete)
{
	char method[16], target[256], version[16];
	char *eol;
	bool head;

	if (!complete)
		return respond_text(c, "431 Request Header Fields Too Large", NULL,
				    "request headers too large\n", false);
	eol = memchr(c->in, '\n', c->in_len);
	*eol = '\0';
	if (eol > c->in && eol[-1] == '\r')
		eol[-1] = '\0';
	if (sscanf(c->in, "%15[A-Z] %255[^ ] %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7))
		return respond_text(c, "400 Bad Request", NULL, "malformed request line\n", false);
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head)
		return respond_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
				    "only GET and HEAD are served\n", false);
	/* A query string (some scrapers add one) changes nothing. */
	target[strcspn(target, "?")] = '\0';
	if (strcmp(target, METRICS_PATH))
		return respond_text(c, "404 Not Found", NULL,
				    "not found: warden serves " METRICS_PATH " only\n", head);
	return respond_metrics(s, c, head);
}

/* Whether the request's headers have ended (an empty line). */
static bool headers_done(const char *buf, size_t len)
{
	return memmem(buf, len, "\r\n\r\n", 4) || memmem(buf, len, "\n\n", 2);
}

/* Returns true when the connection is done with (answered or broken). */
static bool conn_event(struct wd_metrics_srv *s, struct mconn *c, int *err)
{
	while (!c->writing) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK;
		if (!n)
			return true; /* the scraper gave up */
		c->in_len += n;
		if (headers_done(c->in, c->in_len) || c->in_len == sizeof(c->in)) {
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

			*err = answer(s, c, headers_done(c->in, c->in_len));
			if (*err)
				return true;
			epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK;
		c->out_sent += n;
	}
	shutdown(c->fd, SHUT_WR);
	return true;
}

static int accept_all(struct wd_metrics_srv *s, char *err, size_t size)
{
	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct mconn *c;
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			int e = errno;

			if (e == EAGAIN || e == EWOULDBLOCK)
				return 0;
			if (e == EINTR || e == ECONNABORTED)
				continue;
			snprintf(err, size, "metrics: accept on %s: %s", s->addr, strerror(e));
			return -e;
		}
		if (s->n_conns >= s->o.max_conns) {
			static const char busy[] =
				"HTTP/1.0 503 Service Unavailable\r\nContent-Length: "
				"0\r\nConnection: close\r\n\r\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* Closing it is all that is left either way. */
			}
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			snprintf(err, size, "metrics: out of memory");
			return -ENOMEM;
		}
		c->fd = fd;
		c->deadline = wd_clock_ns(CLOCK_MONOTONIC) + s->o.timeout_ms * NS_PER_MS;
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev)) {
			int e = errno;

			close(fd);
			free(c);
			snprintf(err, size, "metrics: epoll: %s", strerror(e));
			return -e;
		}
		c->next = s->conns;
		s->conns = c;
		s->n_conns++;
	}
}

int wd_metrics_handle(struct wd_metrics_srv *s, char *err, size_t size)
{
	struct epoll_event evs[EVENTS_PER_HANDLE];
	int n, ret = 0;
	uint64_t now;

	n = epoll_wait(s->ep, evs, EVENTS_PER_HANDLE, 0);
	if (n < 0 && errno != EINTR) {
		ret = -errno;
		snprintf(err, size, "metrics: epoll_wait: %s", strerror(-ret));
	}
	/* Connections first: a connection accepted now is not in this batch. */
	for (int i = 0; i < n; i++) {
		struct mconn *c = evs[i].data.ptr;
		int cerr = 0;

		if (!c)
			continue;
		if (conn_event(s, c, &cerr))
			conn_close(s, c);
		if (cerr && !ret) {
			ret = cerr;
			snprintf(err, size, "metrics: answering a scrape: %s", strerror(-cerr));
		}
	}
	for (int i = 0; i < n; i++) {
		if (!evs[i].data.ptr) {
			int aerr = accept_all(s, err, ret ? 0 : size);

			if (aerr && !ret)
				ret = aerr;
		}
	}
	now = wd_clock_ns(CLOCK_MONOTONIC);
	for (struct mconn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->deadline <= now)
			conn_close(s, c);
	}
	return ret;
}

void wd_metrics_close(struct wd_metrics_srv *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s, s->conns);
	close(s->fd);
	close(s->ep);
	free(s);
}
