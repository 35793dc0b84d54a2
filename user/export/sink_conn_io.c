// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The bytes over a collector connection: whole records into one buffer with the end of each,
 * written out without blocking longer than the caller allows; what the collector sends, read.
 * A write that breaks the connection leaves the buffer starting with the record being written,
 * which the next connection sends again from its start. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/clock.h"
#include "export/sink_conn_internal.h"

/* Drops the records written completely, so the buffer starts with the one being written. */
static void compact(struct wd_conn *c)
{
	size_t k = 0, done;

	while (k < c->n_ends && c->ends[k] <= c->sent)
		k++;
	if (!k)
		return;
	done = c->ends[k - 1];
	memmove(c->out, c->out + done, c->len - done);
	c->len -= done;
	c->sent -= done;
	memmove(c->ends, c->ends + k, (c->n_ends - k) * sizeof(*c->ends));
	c->n_ends -= k;
	for (size_t i = 0; i < c->n_ends; i++)
		c->ends[i] -= done;
}

/* One write of what is buffered, without waiting. Returns 0 (some or nothing written),
 * -ENOTCONN when the connection broke. */
static int write_some(struct wd_conn *c)
{
	while (c->sent < c->len) {
		ssize_t n = send(c->fd, c->out + c->sent, c->len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		wd_conn_break(c, n < 0 ? strerror(errno) : "send wrote nothing");
		return -ENOTCONN;
	}
	compact(c);
	return 0;
}

/* Writes until @room bytes are free (0: until empty), waiting up to @wait_ms. Returns 0,
 * -EAGAIN or -ENOTCONN. */
static int write_until(struct wd_conn *c, size_t room, unsigned wait_ms)
{
	uint64_t deadline = wd_clock_ns(CLOCK_MONOTONIC) + wait_ms * MS;

	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		uint64_t now;
		int ret = write_some(c);

		if (ret)
			return ret;
		if (room ? c->cap - c->len >= room : c->len == 0)
			return 0;
		now = wd_clock_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -EAGAIN;
		if (poll(&p, 1, (int)((deadline - now + MS - 1) / MS)) < 0 && errno != EINTR) {
			wd_conn_break(c, strerror(errno));
			return -ENOTCONN;
		}
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);

			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			wd_conn_break(c, soerr ? strerror(soerr)
					       : "the collector closed the connection");
			return -ENOTCONN;
		}
	}
}

int wd_conn_send(struct wd_conn *c, const void *rec, size_t len, unsigned wait_ms)
{
	int ret;

	if (len > c->cap)
		return -EMSGSIZE;
	if (c->state != CONNECTED)
		return -ENOTCONN;
	if (c->cap - c->len < len) {
		ret = write_until(c, len, wait_ms);
		if (ret)
			return ret;
	}
	if (c->n_ends == c->ends_cap) {
		size_t ncap = c->ends_cap ? c->ends_cap * 2 : 256;
		size_t *e = realloc(c->ends, ncap * sizeof(*e));

		if (!e)
			return -EAGAIN; /* taken later, when memory is back */
		c->ends = e;
		c->ends_cap = ncap;
	}
	memcpy(c->out + c->len, rec, len);
	c->len += len;
	c->ends[c->n_ends++] = c->len;
	/* Batches: one send(2) for many records, but never a buffer that only fills. */
	if (c->len - c->sent >= c->cap / 4)
		write_some(c);
	return 0;
}

int wd_conn_flush(struct wd_conn *c, unsigned wait_ms)
{
	if (c->state != CONNECTED)
		return -ENOTCONN;
	if (c->len == c->sent)
		return 0;
	return write_until(c, 0, wait_ms);
}

ssize_t wd_conn_recv(struct wd_conn *c, void *buf, size_t size)
{
	ssize_t n;

	if (c->state != CONNECTED)
		return -ENOTCONN;
	for (;;) {
		n = recv(c->fd, buf, size, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		wd_conn_break(c, n == 0 ? "the collector closed the connection" : strerror(errno));
		return -ENOTCONN;
	}
}
