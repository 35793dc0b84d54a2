// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden's reader of a BPF ring buffer map (see ringbuf.h). The kernel lays it out as one
 * writable page holding the consumer position, then a read-only page holding the producer
 * position, then the data pages mapped twice in a row, so that a record that wraps is
 * contiguous. Each record starts with an 8-byte header: its length with the BUSY (still being
 * written) and DISCARD bits, and a page offset the kernel uses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "enforce/ringbuf.h"

struct wd_ringbuf {
	int fd;
	wd_ringbuf_fn fn;
	void *ctx;
	size_t page, size;	      /* page size; data bytes (a power of two) */
	uint64_t *consumer_pos;	      /* the writable page */
	const uint64_t *producer_pos; /* the read-only mapping's first page */
	const uint8_t *data;
};

struct wd_ringbuf *wd_ringbuf_new(int map_fd, wd_ringbuf_fn fn, void *ctx)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct wd_ringbuf *rb;
	void *p;
	int err;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	rb->fd = map_fd;
	rb->fn = fn;
	rb->ctx = ctx;
	rb->page = (size_t)sysconf(_SC_PAGESIZE);
	rb->size = info.max_entries;
	p = mmap(NULL, rb->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	rb->consumer_pos = p;
	p = mmap(NULL, rb->page + 2 * rb->size, PROT_READ, MAP_SHARED, map_fd, (off_t)rb->page);
	if (p == MAP_FAILED)
		goto fail;
	rb->producer_pos = p;
	rb->data = (const uint8_t *)p + rb->page;
	return rb;
fail:
	err = errno;
	wd_ringbuf_free(rb);
	errno = err;
	return NULL;
}

void wd_ringbuf_free(struct wd_ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->consumer_pos)
		munmap(rb->consumer_pos, rb->page);
	if (rb->producer_pos)
		munmap((void *)rb->producer_pos, rb->page + 2 * rb->size);
	free(rb);
}

int wd_ringbuf_fd(const struct wd_ringbuf *rb)
{
	return rb->fd;
}

uint64_t wd_ringbuf_avail(const struct wd_ringbuf *rb)
{
	return __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
}

int wd_ringbuf_consume(struct wd_ringbuf *rb, size_t budget)
{
	uint64_t cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
	uint64_t published = cons;
	size_t n = 0;
	int ret = 0;

	for (;;) {
		const uint8_t *hdr;
		uint32_t len;

		if (cons >= prod) {
			/* Caught up: look again, records may have come meanwhile. */
			prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
			if (cons >= prod)
				break;
		}
		if (budget && n >= budget)
			break;
		hdr = rb->data + (cons & (rb->size - 1));
		len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* still being written: records after it wait for it */
		cons += (BPF_RINGBUF_HDR_SZ + (len & ~BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ull;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			n++;
			ret = rb->fn(rb->ctx, (void *)(hdr + BPF_RINGBUF_HDR_SZ),
				     len & ~BPF_RINGBUF_DISCARD_BIT);
			if (ret < 0)
				break;
		}
		if (cons - published >= WD_RINGBUF_PUBLISH) {
			__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
			published = cons;
		}
	}
	if (cons != published)
		__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
	return ret < 0 ? ret : (int)(n > (size_t)INT32_MAX ? INT32_MAX : n);
}
