/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* warden's reader of a BPF ring buffer map. libbpf's (1.1) publishes its read position to the
 * kernel after every record; that position's cache line is read by every producer's reserve,
 * so each store is a line taken back from the producing CPU, and the consumer's next atomic
 * operation waits for it. This reader publishes after every WD_RINGBUF_PUBLISH bytes and when
 * it stops: the same protocol (Documentation/bpf/ringbuf.rst), one line transfer per batch. */
#ifndef WD_RINGBUF_H
#define WD_RINGBUF_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of records read before the position is published: a producer sees at most this much
 * less room than there is. */
#define WD_RINGBUF_PUBLISH (64u << 10)

/* Called for each record with its data and length. A negative return stops the read after
 * this record (it counts as read) and is what wd_ringbuf_consume() returns. */
typedef int (*wd_ringbuf_fn)(void *ctx, void *data, size_t size);

struct wd_ringbuf;

/* Maps the ring buffer map @map_fd (not taken over: it must stay open while the reader
 * lives). NULL with errno set: EINVAL for a map that is no ring buffer. */
struct wd_ringbuf *wd_ringbuf_new(int map_fd, wd_ringbuf_fn fn, void *ctx);
void wd_ringbuf_free(struct wd_ringbuf *rb);

/* An fd for epoll (EPOLLIN, level-triggered): readable when records are waiting and the
 * kernel woke readers. */
int wd_ringbuf_fd(const struct wd_ringbuf *rb);

/* Reads up to @budget records (0: as many as come, while they keep coming). Returns how many
 * were read, or the callback's negative value. */
int wd_ringbuf_consume(struct wd_ringbuf *rb, size_t budget);

/* Bytes written by producers and not yet read. */
uint64_t wd_ringbuf_avail(const struct wd_ringbuf *rb);

#endif
