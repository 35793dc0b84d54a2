// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The collector connection of the stream and syslog sinks. Bytes are kept in one buffer with
 * the end of every record in it, so that after a partial write the buffer always starts with
 * the record being written: that is what a broken connection sends again, from its start. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "export/sink.h"
#include "export/sink_conn_internal.h"

int wd_conn_opts_cfg(const struct wd_sink_cfg *c, const char *missing, struct wd_sockaddr_cfg *addr,
		     struct wd_conn_opts *co, char *err, size_t err_size)
{
	int ret;

	if (!c->address) {
		snprintf(err, err_size, "%s", missing);
		return -EINVAL;
	}
	ret = wd_sockaddr_parse(c->address, addr, err, err_size);
	if (ret)
		return ret;
	if (c->reconnect_min_ns && c->reconnect_max_ns &&
	    c->reconnect_min_ns > c->reconnect_max_ns) {
		snprintf(err, err_size, "reconnect.min is longer than reconnect.max");
		return -EINVAL;
	}
	memset(co, 0, sizeof(*co));
	co->addr = addr;
	co->backoff_min_ns = c->reconnect_min_ns;
	co->backoff_max_ns = c->reconnect_max_ns;
	return 0;
}

int wd_conn_new(struct wd_conn **out, const struct wd_conn_opts *o)
{
	struct wd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->addr = *o->addr;
	c->o.addr = &c->addr;
	if (!c->o.backoff_min_ns)
		c->o.backoff_min_ns = DEF_BACKOFF_MIN;
	if (!c->o.backoff_max_ns)
		c->o.backoff_max_ns = DEF_BACKOFF_MAX;
	if (c->o.backoff_max_ns < c->o.backoff_min_ns)
		c->o.backoff_max_ns = c->o.backoff_min_ns;
	if (!c->o.connect_timeout_ms)
		c->o.connect_timeout_ms = DEF_CONNECT_TIMEOUT;
	c->cap = c->o.buf_size ? c->o.buf_size : DEF_BUF;
	c->out = malloc(c->cap);
	if (!c->out) {
		free(c);
		return -ENOMEM;
	}
	c->fd = -1;
	c->rnd = wd_clock_ns(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)c;
	*out = c;
	return 0;
}

/* Drops an unfinished resolution. One the resolver thread still holds is left to it: freeing
 * it would pull memory from under the thread. */
static void resolve_drop(struct wd_conn *c)
{
	if (!c->res)
		return;
	if (gai_error(&c->res->cb) == EAI_INPROGRESS && gai_cancel(&c->res->cb) != EAI_CANCELED) {
		c->res = NULL; /* leaked deliberately (a few hundred bytes, rare) */
		return;
	}
	if (c->res->cb.ar_result)
		freeaddrinfo(c->res->cb.ar_result);
	free(c->res);
	c->res = NULL;
}

void wd_conn_free(struct wd_conn *c)
{
	if (!c)
		return;
	resolve_drop(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c->ends);
	free(c);
}

static uint64_t backoff(struct wd_conn *c)
{
	uint64_t d = c->o.backoff_min_ns;

	for (unsigned i = 1; i < c->fails && d < c->o.backoff_max_ns; i++)
		d *= 2;
	if (d > c->o.backoff_max_ns)
		d = c->o.backoff_max_ns;
	/* Up to a quarter less, so that many nodes cut off together do not return together. */
	c->rnd ^= c->rnd << 13;
	c->rnd ^= c->rnd >> 7;
	c->rnd ^= c->rnd << 17;
	return d - (d / 4 ? c->rnd % (d / 4) : 0);
}

static void close_fd(struct wd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Forgets what was in flight: with caller_resends everything, else only how much of the first
 * record was written (it is written again from its start). */
static void rewind_buffer(struct wd_conn *c)
{
	if (c->o.caller_resends) {
		c->len = 0;
		c->n_ends = 0;
	}
	c->sent = 0;
}

static int attempt_failed(struct wd_conn *c, int err)
{
	close_fd(c);
	resolve_drop(c);
	c->state = DISCONNECTED;
	c->fails++;
	c->next_at = wd_clock_ns(CLOCK_MONOTONIC) + backoff(c);
	return err;
}

static void broken(struct wd_conn *c, const char *why)
{
	uint64_t now = wd_clock_ns(CLOCK_MONOTONIC);

	snprintf(c->err, sizeof(c->err), "%s: %s", c->addr.text, why);
	close_fd(c);
	rewind_buffer(c);
	c->state = DISCONNECTED;
	/* A collector that accepts and then drops us at once must not be hammered. */
	c->fails = now - c->connected_at >= HEALTHY_NS ? 1 : c->fails + 1;
	c->next_at = now + backoff(c);
}

void wd_conn_break(struct wd_conn *c, const char *why)
{
	if (c->state == CONNECTED)
		broken(c, why);
}

static void set_sockopts(struct wd_conn *c)
{
	int one = 1, idle = 30, intvl = 10, cnt = 3;
	unsigned user_timeout = 60000;

	if (c->addrs[c->cur_addr].ss_family == AF_UNIX)
		return;
	/* Records are batched already; Nagle would only add latency. Keepalive and the user
	 * timeout turn a collector host that vanished into an error instead of a silent stall. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

static void established(struct wd_conn *c)
{
	set_sockopts(c);
	c->state = CONNECTED;
	c->connected_at = wd_clock_ns(CLOCK_MONOTONIC);
	c->gen++;
	c->sent = 0;
}

/* The address being tried, as text, when it is not the configured text already. */
static void addr_note(struct wd_conn *c, char *buf, size_t size)
{
	const struct sockaddr_storage *ss = &c->addrs[c->cur_addr];
	char host[NI_MAXHOST];

	buf[0] = '\0';
	if (c->addr.family != AF_UNSPEC)
		return;
	if (getnameinfo((const struct sockaddr *)ss, c->addr_lens[c->cur_addr], host, sizeof(host),
			NULL, 0, NI_NUMERICHOST) == 0)
		snprintf(buf, size, " (%s)", host);
}

static void note_errno(struct wd_conn *c, int err)
{
	char a[NI_MAXHOST + 4];

	addr_note(c, a, sizeof(a));
	snprintf(c->err, sizeof(c->err), "connect to %s%s: %s", c->addr.text, a, strerror(err));
}

/* Tries the addresses from @i on, until one connects or is in progress. */
static int try_connect(struct wd_conn *c, size_t i)
{
	int err = ECONNREFUSED;

	for (; i < c->n_addrs; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&c->addrs[i];

		c->cur_addr = i;
		close_fd(c);
		c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			err = errno;
			note_errno(c, err);
			continue;
		}
		if (connect(c->fd, sa, c->addr_lens[i]) == 0) {
			established(c);
			return 0;
		}
		err = errno;
		if (err == EINPROGRESS) {
			c->state = CONNECTING;
			c->connect_started = wd_clock_ns(CLOCK_MONOTONIC);
			return 0;
		}
		/* A unix listener whose backlog is full refuses a non-blocking connect with
		 * EAGAIN: for us that is a refusal like any other. */
		note_errno(c, err);
	}
	return attempt_failed(c, -err);
}

static int start(struct wd_conn *c)
{
	struct resolve *r;
	struct gaicb *list[1];
	int ret;

	c->tried = true;
	if (c->addr.family != AF_UNSPEC) {
		c->addrs[0] = c->addr.sa;
		c->addr_lens[0] = c->addr.sa_len;
		c->n_addrs = 1;
		return try_connect(c, 0);
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(c->err, sizeof(c->err), "resolve %s: out of memory", c->addr.host);
		return attempt_failed(c, -ENOMEM);
	}
	strcpy(r->host, c->addr.host);
	strcpy(r->port, c->addr.port_str);
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_STREAM;
	r->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	r->started = wd_clock_ns(CLOCK_MONOTONIC);
	list[0] = &r->cb;
	ret = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (ret) {
		snprintf(c->err, sizeof(c->err), "resolve %s: %s", c->addr.host, gai_strerror(ret));
		free(r);
		return attempt_failed(c, -EAGAIN);
	}
	c->res = r;
	c->state = RESOLVING;
	return 0;
}

static int resolved(struct wd_conn *c)
{
	struct addrinfo *ai;
	size_t n = 0;

	for (ai = c->res->cb.ar_result; ai && n < MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(c->addrs[0]))
			continue;
		memcpy(&c->addrs[n], ai->ai_addr, ai->ai_addrlen);
		c->addr_lens[n++] = ai->ai_addrlen;
	}
	resolve_drop(c);
	c->n_addrs = n;
	if (!n) {
		snprintf(c->err, sizeof(c->err), "resolve %s: no addresses", c->addr.host);
		return attempt_failed(c, -EADDRNOTAVAIL);
	}
	return try_connect(c, 0);
}

static int step_resolving(struct wd_conn *c, uint64_t deadline)
{
	uint64_t now = wd_clock_ns(CLOCK_MONOTONIC);
	int ret = gai_error(&c->res->cb);

	if (ret == EAI_INPROGRESS) {
		if (now - c->res->started >= RESOLVE_TIMEOUT) {
			snprintf(c->err, sizeof(c->err), "resolve %s: no answer within %llu s",
				 c->addr.host,
				 (unsigned long long)(RESOLVE_TIMEOUT / 1000000000ull));
			return attempt_failed(c, -ETIMEDOUT);
		}
		if (now < deadline) {
			const struct gaicb *list[1] = {&c->res->cb};
			struct timespec ts = {.tv_sec = (time_t)((deadline - now) / 1000000000ull),
					      .tv_nsec = (long)((deadline - now) % 1000000000ull)};

			gai_suspend(list, 1, &ts);
		}
		return 0;
	}
	if (ret) {
		snprintf(c->err, sizeof(c->err), "resolve %s: %s", c->addr.host,
			 ret == EAI_SYSTEM ? strerror(errno) : gai_strerror(ret));
		return attempt_failed(c, ret == EAI_NONAME ? -EHOSTUNREACH : -EAGAIN);
	}
	return resolved(c);
}

static int step_connecting(struct wd_conn *c, uint64_t deadline)
{
	uint64_t now = wd_clock_ns(CLOCK_MONOTONIC),
		 limit = c->connect_started + c->o.connect_timeout_ms * MS;
	uint64_t until = deadline < limit ? deadline : limit;
	struct pollfd p = {.fd = c->fd, .events = POLLOUT};
	socklen_t sl = sizeof(int);
	int r, soerr = 0;

	r = poll(&p, 1, until > now ? (int)((until - now + MS - 1) / MS) : 0);
	if (r < 0 && errno != EINTR)
		return attempt_failed(c, -errno);
	if (r <= 0) {
		if (wd_clock_ns(CLOCK_MONOTONIC) < limit)
			return 0;
		snprintf(c->err, sizeof(c->err), "connect to %s: no answer within %u ms",
			 c->addr.text, c->o.connect_timeout_ms);
		if (c->cur_addr + 1 < c->n_addrs)
			return try_connect(c, c->cur_addr + 1);
		return attempt_failed(c, -ETIMEDOUT);
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		soerr = errno;
	if (soerr == 0) {
		established(c);
		return 0;
	}
	note_errno(c, soerr);
	if (c->cur_addr + 1 < c->n_addrs)
		return try_connect(c, c->cur_addr + 1);
	return attempt_failed(c, -soerr);
}

int wd_conn_tick(struct wd_conn *c, unsigned wait_ms)
{
	uint64_t deadline = wd_clock_ns(CLOCK_MONOTONIC) + wait_ms * MS;
	enum state before;
	int ret;

	for (;;) {
		before = c->state;
		switch (c->state) {
		case CONNECTED:
			return 0;
		case DISCONNECTED:
			if (wd_clock_ns(CLOCK_MONOTONIC) < c->next_at)
				return 0;
			ret = start(c);
			break;
		case RESOLVING:
			ret = step_resolving(c, deadline);
			break;
		case CONNECTING:
			ret = step_connecting(c, deadline);
			break;
		default:
			return -EINVAL;
		}
		if (ret)
			return ret;
		/* Progress (e.g. resolved, now connecting) goes on while the wait lasts. */
		if (c->state == before && wd_clock_ns(CLOCK_MONOTONIC) >= deadline)
			return 0;
		if (c->state == before && c->state != RESOLVING && c->state != CONNECTING)
			return 0;
	}
}

bool wd_conn_connected(const struct wd_conn *c)
{
	return c->state == CONNECTED;
}

uint64_t wd_conn_generation(const struct wd_conn *c)
{
	return c->gen;
}

int wd_conn_fd(const struct wd_conn *c)
{
	return c->state == CONNECTED ? c->fd : -1;
}

size_t wd_conn_buffered(const struct wd_conn *c)
{
	return c->len - c->sent;
}

const char *wd_conn_error(const struct wd_conn *c)
{
	return c->err;
}

void wd_conn_describe(const struct wd_conn *c, char *buf, size_t size)
{
	uint64_t now = wd_clock_ns(CLOCK_MONOTONIC);

	switch (c->state) {
	case CONNECTED:
		snprintf(buf, size, "connected to %s", c->addr.text);
		break;
	case RESOLVING:
		snprintf(buf, size, "resolving %s", c->addr.host);
		break;
	case CONNECTING:
		snprintf(buf, size, "connecting to %s", c->addr.text);
		break;
	case DISCONNECTED:
		if (!c->tried)
			snprintf(buf, size, "not connected yet to %s", c->addr.text);
		else
			snprintf(buf, size, "reconnecting in %.1f s: %s",
				 c->next_at > now ? (double)(c->next_at - now) / 1e9 : 0.0, c->err);
		break;
	}
}
