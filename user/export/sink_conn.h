/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A stream connection to a collector for the stream and syslog sinks: connects without
 * blocking (host names resolved asynchronously), reconnects with exponential backoff, and
 * carries whole records. A record is written whole before the next one starts; a record cut
 * off by a broken connection is sent again from its first byte on the next connection, so a
 * peer never sees half a record followed by another. Nothing here waits longer than the
 * caller allows, so a collector that stops reading costs a bounded wait, then -EAGAIN. */
#ifndef WD_SINK_CONN_H
#define WD_SINK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/sockaddr.h"

struct wd_conn;
struct wd_sink_cfg;

struct wd_conn_opts {
	const struct wd_sockaddr_cfg *addr; /* copied */
	uint64_t backoff_min_ns;	    /* first retry delay (0: 100 ms) */
	uint64_t backoff_max_ns;	    /* doubling stops here (0: 30 s) */
	unsigned connect_timeout_ms;	    /* per address tried (0: 5 s) */
	size_t buf_size; /* bytes buffered for the connection, at least one record (0: 256 KiB) */
	/* The caller keeps every record until its peer acknowledges it and resends them itself
	 * on a new connection: what is buffered is dropped when a connection breaks, instead of
	 * being carried over to the next one. */
	bool caller_resends;
};

/* The options a stream or syslog sink's config gives (address, reconnect): @addr is parsed into
 * and @co points to it; @co's other fields are zero. Returns 0, or -EINVAL with the reason in
 * @err (@missing when there is no address). */
int wd_conn_opts_cfg(const struct wd_sink_cfg *c, const char *missing, struct wd_sockaddr_cfg *addr,
		     struct wd_conn_opts *co, char *err, size_t err_size);

/* Nothing is connected yet: the first wd_conn_tick() starts. Returns 0 or -ENOMEM. */
int wd_conn_new(struct wd_conn **out, const struct wd_conn_opts *o);

/* Closes the connection now (buffered bytes are dropped: flush first) and frees. */
void wd_conn_free(struct wd_conn *c);

/* Connects when a connection is due: starts one, or waits up to @wait_ms for one in progress.
 * Returns 0, or the -errno of a connection attempt that failed during this call (the reason as
 * text in wd_conn_error(); the next attempt comes after the backoff). */
int wd_conn_tick(struct wd_conn *c, unsigned wait_ms);

bool wd_conn_connected(const struct wd_conn *c);

/* Grows by one with every connection established: a caller that resends notices a new one. */
uint64_t wd_conn_generation(const struct wd_conn *c);

/* The connected socket, for poll(2); -1 when not connected. */
int wd_conn_fd(const struct wd_conn *c);

/* Takes one whole record. It is buffered and written out once enough is buffered (or at
 * wd_conn_flush()); when the buffer has no room, waits up to @wait_ms for the peer to read.
 * Returns 0 when taken (the connection answers for it from then on, across reconnects unless
 * caller_resends), -EAGAIN when it does not fit now, -ENOTCONN when not connected, -EMSGSIZE
 * when it is larger than the buffer. */
int wd_conn_send(struct wd_conn *c, const void *rec, size_t len, unsigned wait_ms);

/* Writes out what is buffered, waiting up to @wait_ms for the peer to read. Returns 0 when
 * nothing is left, -EAGAIN when some is, -ENOTCONN when not connected (the connection may have
 * broken just now). */
int wd_conn_flush(struct wd_conn *c, unsigned wait_ms);

/* Reads what the peer sent, without waiting. Returns the bytes read, 0 when there is nothing,
 * or -ENOTCONN when not connected, or when the peer closed the connection or it failed (then it
 * is broken and a reconnect is scheduled). */
ssize_t wd_conn_recv(struct wd_conn *c, void *buf, size_t size);

/* Breaks the connection (the peer broke the protocol); @why says how, for wd_conn_error(). */
void wd_conn_break(struct wd_conn *c, const char *why);

/* Bytes taken but not yet written to the socket. */
size_t wd_conn_buffered(const struct wd_conn *c);

/* Why the last attempt or connection failed ("" if none did). */
const char *wd_conn_error(const struct wd_conn *c);

/* One line for people: "connected to tcp:10.0.0.5:6514", "reconnecting in 3.2 s: connect to
 * tcp:10.0.0.5:6514: Connection refused". */
void wd_conn_describe(const struct wd_conn *c, char *buf, size_t size);

#endif
