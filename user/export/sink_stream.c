// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stream sink: length-delimited warden.v1.Event records (the framing of the file sink) over
 * a unix or TCP socket. Without ack, at most once: what the kernel took before the collector
 * died is gone. With ack, at least once: every record stays in a bounded window until the
 * collector acknowledges its seq, and the window is sent again on each new connection; a full
 * window answers -EAGAIN, which pushes back into the pipeline's queue. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "export/sink.h"
#include "export/sink_conn.h"
#include "lib/sockaddr.h"

#define DEF_QUEUE (64ull << 20)
/* The ack window takes a quarter of the queue bound, and never less than a few records. */
#define WINDOW_MIN (4 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX))
#define WINDOW_MAX (1ull << 30)
#define ENTRY_HDR  12  /* u64 seq, u32 framed length: kept in the window, never sent */
#define WAIT_MS	   100 /* the longest a call waits for a collector that does not read */
#define CLOSE_MS   1000

struct sink_stream {
	struct wd_conn *conn;
	bool ack;
	bool blocked; /* the last write got -EAGAIN: tick may wait for the collector */

	/* ack: records taken and not acknowledged, oldest first, as ENTRY_HDR + framed bytes in
	 * win[start, end); those before send went out on the current connection. The buffer is
	 * twice the bound so that moving the live part to the front happens rarely. */
	uint8_t *win;
	size_t bound, start, end, send;
	size_t records;
	uint64_t gen_seen;
	uint8_t ackbuf[WD_PB_VARINT_MAX];
	size_t ack_n;
	uint64_t resent; /* records sent again on a new connection */
	uint64_t writes;

	struct wd_sink_log log;
	uint8_t frame[WD_PB_VARINT_MAX + WD_PB_RECORD_MAX];
};

static void entry_hdr(const struct sink_stream *s, size_t off, uint64_t *seq, uint32_t *flen)
{
	memcpy(seq, s->win + off, sizeof(*seq));
	memcpy(flen, s->win + off + 8, sizeof(*flen));
}

/* Releases every record up to and including the one with @seq, if it is in the window. A seq
 * not there (already released, or never sent) releases nothing. */
static void release(struct sink_stream *s, uint64_t seq)
{
	size_t off = s->start, n = 0;
	uint64_t es;
	uint32_t fl;

	while (off < s->end) {
		entry_hdr(s, off, &es, &fl);
		off += ENTRY_HDR + fl;
		n++;
		if (es == seq) {
			s->start = off;
			s->records -= n;
			if (s->send < s->start)
				s->send = s->start;
			if (s->start == s->end)
				s->start = s->end = s->send = 0;
			return;
		}
	}
}

/* A new connection: the whole window goes out again, and no half ack is carried over. */
static void sync_conn(struct sink_stream *s)
{
	if (wd_conn_generation(s->conn) == s->gen_seen)
		return;
	s->gen_seen = wd_conn_generation(s->conn);
	if (s->send > s->start)
		s->resent += s->records;
	s->send = s->start;
	s->ack_n = 0;
}

/* Reads what the collector sent: acks in ack mode; otherwise only whether it hung up. */
static int service(struct sink_stream *s)
{
	uint8_t buf[512];
	ssize_t n;

	sync_conn(s);
	while ((n = wd_conn_recv(s->conn, buf, sizeof(buf))) > 0) {
		if (!s->ack)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			uint64_t v;
			int used;

			s->ackbuf[s->ack_n++] = buf[i];
			used = wd_pb_varint_get(s->ackbuf, s->ack_n, &v);
			if (used == 0 && s->ack_n < sizeof(s->ackbuf))
				continue;
			if (used <= 0) {
				wd_conn_break(s->conn, "the collector's acknowledgement is not a "
						       "varint: it must write back seq numbers as "
						       "base-128 varints");
				s->ack_n = 0;
				return -EPROTO;
			}
			s->ack_n = 0;
			release(s, v);
		}
	}
	return 0;
}

/* Hands window records to the connection; a new connection gets the whole window again. */
static void pump(struct sink_stream *s)
{
	sync_conn(s);
	while (s->send < s->end) {
		uint64_t seq;
		uint32_t fl;

		entry_hdr(s, s->send, &seq, &fl);
		if (wd_conn_send(s->conn, s->win + s->send + ENTRY_HDR, fl, 0))
			break;
		s->send += ENTRY_HDR + fl;
	}
}

/* Skips the value of a field of wire type @wt at @p; returns its end, or NULL if malformed. */
static const uint8_t *skip_field(const uint8_t *p, const uint8_t *end, unsigned wt)
{
	uint64_t v;
	int n;

	switch (wt) {
	case 0: /* varint */
		n = wd_pb_varint_get(p, (size_t)(end - p), &v);
		return n > 0 ? p + n : NULL;
	case 1: /* 64-bit */
		return end - p >= 8 ? p + 8 : NULL;
	case 2: /* length-delimited */
		n = wd_pb_varint_get(p, (size_t)(end - p), &v);
		return n > 0 && v <= (uint64_t)(end - p - n) ? p + n + v : NULL;
	case 5: /* 32-bit */
		return end - p >= 4 ? p + 4 : NULL;
	default:
		return NULL;
	}
}

/* header.seq (Event field 1, Header field 1) read off the wire without decoding the rest, at
 * every record the sink takes: a full unpack would cost more than the send. The last value
 * wins, as protobuf merges repeated occurrences. Returns 0 when there is none. */
static uint64_t record_seq(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t seq = 0, key, v;
	int n;

	while (p < end) {
		n = wd_pb_varint_get(p, (size_t)(end - p), &key);
		if (n <= 0)
			return seq;
		p += n;
		if (key == (1 << 3 | 2)) {
			const uint8_t *h, *hend;

			n = wd_pb_varint_get(p, (size_t)(end - p), &v);
			if (n <= 0 || v > (uint64_t)(end - p - n))
				return seq;
			h = p + n;
			hend = h + v;
			while (h && h < hend) {
				uint64_t hk;
				int m = wd_pb_varint_get(h, (size_t)(hend - h), &hk);

				if (m <= 0)
					break;
				h += m;
				if (hk == (1 << 3 | 0)) {
					m = wd_pb_varint_get(h, (size_t)(hend - h), &seq);
					h = m > 0 ? h + m : NULL;
				} else {
					h = skip_field(h, hend, (unsigned)(hk & 7));
				}
			}
			p = hend;
			continue;
		}
		p = skip_field(p, end, (unsigned)(key & 7));
		if (!p)
			return seq;
	}
	return seq;
}

static int window_put(struct sink_stream *s, const uint8_t *msg, size_t len)
{
	uint8_t pre[WD_PB_VARINT_MAX];
	size_t vl = wd_pb_varint_put(pre, len), esz = ENTRY_HDR + vl + len;
	uint32_t fl = (uint32_t)(vl + len);
	uint64_t seq;

	if (s->end - s->start + esz > s->bound)
		return -EAGAIN;
	if (!s->win) {
		s->win = malloc(2 * s->bound);
		if (!s->win)
			return -EAGAIN;
	}
	if (s->end + esz > 2 * s->bound) {
		memmove(s->win, s->win + s->start, s->end - s->start);
		s->end -= s->start;
		s->send -= s->start;
		s->start = 0;
	}
	/* A record without a seq is released by the ack of a later one. */
	seq = record_seq(msg, len);
	memcpy(s->win + s->end, &seq, sizeof(seq));
	memcpy(s->win + s->end + 8, &fl, sizeof(fl));
	memcpy(s->win + s->end + ENTRY_HDR, pre, vl);
	memcpy(s->win + s->end + ENTRY_HDR + vl, msg, len);
	s->end += esz;
	s->records++;
	return 0;
}

static int stream_write(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev)
{
	struct sink_stream *s = impl;
	size_t vl;
	int ret;

	if (len > WD_PB_RECORD_MAX)
		return -EMSGSIZE;
	if (s->ack) {
		/* Acks are read when the window needs room, and every so often: a recv(2) per
		 * record would cost more than the record. */
		if (++s->writes % 256 == 0)
			service(s);
		ret = window_put(s, msg, len);
		if (ret == -EAGAIN) {
			service(s);
			ret = window_put(s, msg, len);
		}
		s->blocked = ret == -EAGAIN;
		pump(s);
		return ret;
	}
	vl = wd_pb_varint_put(s->frame, len);
	memcpy(s->frame + vl, msg, len);
	ret = wd_conn_send(s->conn, s->frame, vl + len, WAIT_MS);
	s->blocked = ret == -EAGAIN || ret == -ENOTCONN;
	return s->blocked ? -EAGAIN : ret;
}

static int stream_flush(void *impl)
{
	struct sink_stream *s = impl;

	service(s);
	if (s->ack)
		pump(s);
	wd_conn_flush(s->conn, WAIT_MS);
	return 0;
}

/* Blocked: wait a little for the collector to read or acknowledge, so retries are not spins. */
static void wait_progress(struct sink_stream *s)
{
	struct pollfd p = {.fd = wd_conn_fd(s->conn), .events = POLLIN};

	if (p.fd < 0)
		return;
	if (wd_conn_buffered(s->conn))
		p.events |= POLLOUT;
	poll(&p, 1, WAIT_MS);
}

static int stream_tick(void *impl, uint64_t now_ns)
{
	struct sink_stream *s = impl;
	int ret;

	ret = wd_conn_tick(s->conn, s->blocked ? WAIT_MS : 0);
	if (s->blocked && wd_conn_connected(s->conn))
		wait_progress(s);
	if (service(s) && !ret)
		ret = -EPROTO;
	if (s->ack)
		pump(s);
	wd_conn_flush(s->conn, 0);
	return ret;
}

static void stream_describe(void *impl, char *buf, size_t size)
{
	struct sink_stream *s = impl;
	size_t n;

	wd_conn_describe(s->conn, buf, size);
	n = strlen(buf);
	if (s->ack && n < size)
		snprintf(buf + n, size - n,
			 "; %zu records not acknowledged (%zu of %zu KiB)%s, %llu sent again",
			 s->records, (s->end - s->start) / 1024, s->bound / 1024,
			 s->blocked ? ", window full" : "", (unsigned long long)s->resent);
}

static uint64_t stream_close(void *impl)
{
	struct sink_stream *s = impl;
	uint64_t left;

	for (int i = 0; i < CLOSE_MS / WAIT_MS; i++) {
		if (!wd_conn_connected(s->conn))
			break;
		service(s);
		if (s->ack)
			pump(s);
		wd_conn_flush(s->conn, WAIT_MS);
		if (!wd_conn_buffered(s->conn) && (!s->ack || s->start == s->end))
			break;
		if (s->ack && !wd_conn_buffered(s->conn))
			wait_progress(s);
	}
	/* With acknowledgements, what is still in the window may never have been stored. */
	left = s->ack ? s->records : 0;
	if (!s->ack && wd_conn_buffered(s->conn))
		wd_sink_logf(&s->log, "stream sink: ", "%zu bytes of events could not be sent",
			     wd_conn_buffered(s->conn));
	wd_conn_free(s->conn);
	free(s->win);
	free(s);
	return left;
}

static const struct wd_sink_ops stream_ops = {
	.kind = "stream",
	.wants_event = false,
	.write = stream_write,
	.flush = stream_flush,
	.tick = stream_tick,
	.describe = stream_describe,
	.close = stream_close,
};

int wd_sink_stream_backend(const struct wd_sink_cfg *c, const char *node,
			   const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size)
{
	uint64_t q = c->queue_bytes ? c->queue_bytes : DEF_QUEUE;
	struct wd_sockaddr_cfg addr;
	struct wd_conn_opts co;
	struct sink_stream *s;
	int ret;

	ret = wd_conn_opts_cfg(c, "a stream sink needs address: unix:/path or tcp:HOST:PORT", &addr,
			       &co, err, err_size);
	if (ret)
		return ret;
	co.caller_resends = c->ack;
	s = calloc(1, sizeof(*s));
	if (!s || wd_conn_new(&s->conn, &co)) {
		free(s);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	s->ack = c->ack;
	wd_sink_log_init(&s->log, c);
	s->bound = q / 4;
	if (s->bound < WINDOW_MIN)
		s->bound = WINDOW_MIN;
	if (s->bound > WINDOW_MAX)
		s->bound = WINDOW_MAX;
	*ops = &stream_ops;
	*impl = s;
	return 0;
}
