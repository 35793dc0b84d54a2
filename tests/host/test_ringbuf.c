// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tier: warden's ring buffer reader (user/enforce/ringbuf.c) against the kernel's real ring
 * buffer, written by a BPF program run with BPF_PROG_TEST_RUN: every record comes back once, in
 * order, with its bytes, across many wraps; discarded records are skipped; budgets and a callback's
 * stop are honoured; the read position reaches the kernel during a long read, not only at its
 * end; epoll tells when records wait; a map of another type is refused. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/ringbuf.h"
#include "t_ringbuf.skel.h"
#include "wdtest.h"

struct seen {
	uint64_t next;	  /* the seq expected next */
	size_t n;	  /* records seen */
	bool bad;	  /* out of order, wrong size or bytes */
	size_t stop_at;	  /* return -42 at this record (1-based), 0: never */
	size_t inject_at; /* run the producer once at this record, 0: never */
	int inject_ret;	  /* what that run returned */
	struct t_ringbuf_bpf *skel;
};

/* A packet: an Ethernet header (the program sees what follows it), then 64 bytes: the seq,
 * then bytes that depend on it. */
static int produce(struct t_ringbuf_bpf *skel, uint64_t seq, uint32_t size)
{
	uint8_t pkt[14 + 64] = {0}, *p = pkt + 14;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);

	memcpy(p, &seq, sizeof(seq));
	for (size_t i = sizeof(seq); i < 64; i++)
		p[i] = (uint8_t)(seq * 31 + i);
	skel->bss->out_size = size;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.t_ringbuf_out), &o))
		return -errno;
	return (int)o.retval;
}

static uint32_t size_of(uint64_t seq)
{
	return 8 + (uint32_t)(seq * 7 % 57); /* 8..64, most not multiples of 8 */
}

static int check(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	const uint8_t *p = data;
	uint64_t seq;

	s->n++;
	memcpy(&seq, data, sizeof(seq));
	if (seq != s->next || size != size_of(seq))
		s->bad = true;
	for (size_t i = sizeof(seq); i < size; i++)
		if (p[i] != (uint8_t)(seq * 31 + i))
			s->bad = true;
	s->next = seq + 1;
	if (s->inject_at && s->n == s->inject_at)
		s->inject_ret = produce(s->skel, s->next + 1000000, 8);
	return s->stop_at && s->n == s->stop_at ? -42 : 0;
}

/* A case: the producer loaded, a reader on its ring buffer, @fn run, both freed. */
typedef enum wt_result (*rb_case_fn)(struct t_ringbuf_bpf *skel, struct wd_ringbuf *rb,
				     struct seen *s);

static enum wt_result with_reader(rb_case_fn fn)
{
	struct t_ringbuf_bpf *skel = t_ringbuf_bpf__open_and_load();
	struct seen s = {.skel = skel};
	struct wd_ringbuf *rb;
	enum wt_result ret;

	if (!skel)
		return wt_skip("cannot load the test producer: %s", strerror(errno));
	rb = wd_ringbuf_new(bpf_map__fd(skel->maps.t_rb), check, &s);
	if (rb) {
		ret = fn(skel, rb, &s);
	} else {
		wt_diag("wd_ringbuf_new: %s", strerror(errno));
		ret = WT_FAIL;
	}
	wd_ringbuf_free(rb);
	t_ringbuf_bpf__destroy(skel);
	return ret;
}

static enum wt_result in_order_across_wraps_in(struct t_ringbuf_bpf *skel, struct wd_ringbuf *rb,
					       struct seen *s)
{
	enum wt_result ret = WT_FAIL;
	uint64_t seq = 0, bytes = 0;

	/* About 1.3 MiB through a 256 KiB ring: five wraps, records cut by the wrap included. */
	for (int round = 0; round < 40; round++) {
		int n;

		for (int i = 0; i < 1000; i++, seq++) {
			WT_CHECK_INT(produce(skel, seq, size_of(seq)), 0);
			bytes += (8 + size_of(seq) + 7) / 8 * 8;
		}
		n = wd_ringbuf_consume(rb, 0);
		WT_CHECK_INT(n, 1000);
		WT_CHECK(!s->bad, "record %zu out of order or damaged", s->n);
		WT_CHECK_INT(wd_ringbuf_avail(rb), 0);
	}
	WT_CHECK(bytes > 5 * (256 << 10), "only %llu bytes went through",
		 (unsigned long long)bytes);
	WT_CHECK_INT(s->n, seq);
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result in_order_across_wraps(void)
{
	return with_reader(in_order_across_wraps_in);
}

static enum wt_result discarded_skipped_in(struct t_ringbuf_bpf *skel, struct wd_ringbuf *rb,
					   struct seen *s)
{
	enum wt_result ret = WT_FAIL;

	WT_CHECK_INT(produce(skel, 0, size_of(0)), 0);
	skel->bss->discard = 1;
	WT_CHECK_INT(produce(skel, 99, 8), 0);
	WT_CHECK_INT(produce(skel, 99, 8), 0);
	skel->bss->discard = 0;
	WT_CHECK_INT(produce(skel, 1, size_of(1)), 0);
	WT_CHECK_INT(wd_ringbuf_consume(rb, 0), 2);
	WT_CHECK(!s->bad, "a discarded record was handed out, or one was damaged");
	WT_CHECK_INT(wd_ringbuf_avail(rb), 0);
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result discarded_skipped(void)
{
	return with_reader(discarded_skipped_in);
}

static enum wt_result budget_and_stop_in(struct t_ringbuf_bpf *skel, struct wd_ringbuf *rb,
					 struct seen *s)
{
	enum wt_result ret = WT_FAIL;

	for (uint64_t q = 0; q < 100; q++)
		WT_CHECK_INT(produce(skel, q, size_of(q)), 0);
	WT_CHECK_INT(wd_ringbuf_consume(rb, 30), 30);
	WT_CHECK_INT(wd_ringbuf_consume(rb, 30), 30);
	/* The callback stops the read at the 65th record: it counts as read. */
	s->stop_at = 65;
	WT_CHECK_INT(wd_ringbuf_consume(rb, 30), -42);
	WT_CHECK_INT(s->n, 65);
	s->stop_at = 0;
	WT_CHECK_INT(wd_ringbuf_consume(rb, 30), 30);
	WT_CHECK_INT(wd_ringbuf_consume(rb, 30), 5);
	WT_CHECK_INT(wd_ringbuf_consume(rb, 30), 0);
	WT_CHECK(!s->bad, "records out of order or damaged");
	WT_CHECK_INT(s->n, 100);
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result budget_and_stop(void)
{
	return with_reader(budget_and_stop_in);
}

/* A full ring buffer, read in one call: halfway through, the producer finds room, because the
 * reader has told the kernel what it read so far. The record written then is read in the same
 * call. */
static enum wt_result room_during_long_read_in(struct t_ringbuf_bpf *skel, struct wd_ringbuf *rb,
					       struct seen *s)
{
	enum wt_result ret = WT_FAIL;
	uint64_t k = 0;
	int r;

	while ((r = produce(skel, k, 8)) == 0)
		k++;
	WT_CHECK_INT(r, 1);
	WT_CHECK(k * 16 > (256 << 10) - 64, "full after %llu records", (unsigned long long)k);
	s->inject_at = k / 2;
	r = wd_ringbuf_consume(rb, 0);
	WT_CHECK_INT(s->inject_ret, 0);
	WT_CHECK_INT(r, k + 1);
	WT_CHECK_INT(wd_ringbuf_avail(rb), 0);
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result room_during_long_read(void)
{
	return with_reader(room_during_long_read_in);
}

static enum wt_result epoll_when_waiting_in(struct t_ringbuf_bpf *skel, struct wd_ringbuf *rb,
					    struct seen *s)
{
	(void)s;
	enum wt_result ret = WT_FAIL;
	struct epoll_event ev = {.events = EPOLLIN};
	int ep = -1;

	ep = epoll_create1(EPOLL_CLOEXEC);
	WT_CHECK(ep >= 0, "epoll_create1: %s", strerror(errno));
	WT_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, wd_ringbuf_fd(rb), &ev) == 0, "epoll_ctl: %s",
		 strerror(errno));
	WT_CHECK_INT(epoll_wait(ep, &ev, 1, 0), 0);
	WT_CHECK_INT(produce(skel, 0, size_of(0)), 0);
	WT_CHECK_INT(epoll_wait(ep, &ev, 1, 1000), 1);
	WT_CHECK(ev.events & EPOLLIN, "events %#x", ev.events);
	WT_CHECK_INT(wd_ringbuf_consume(rb, 0), 1);
	WT_CHECK_INT(epoll_wait(ep, &ev, 1, 0), 0);
	ret = WT_PASS;
out:
	if (ep >= 0)
		close(ep);
	return ret;
}

static enum wt_result epoll_when_waiting(void)
{
	return with_reader(epoll_when_waiting_in);
}

static int never(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

static enum wt_result other_maps_refused(void)
{
	enum wt_result ret = WT_FAIL;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_not_rb", 4, 8, 1, NULL);
	struct wd_ringbuf *rb;

	WT_CHECK(fd >= 0, "bpf_map_create: %s", strerror(errno));
	errno = 0;
	rb = wd_ringbuf_new(fd, never, NULL);
	WT_CHECK(rb == NULL, "an array map was taken for a ring buffer");
	WT_CHECK_INT(errno, EINVAL);
	errno = 0;
	WT_CHECK(wd_ringbuf_new(-1, never, NULL) == NULL && errno, "fd -1: errno %d", errno);
	ret = WT_PASS;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(in_order_across_wraps), WT_CASE(discarded_skipped),
		WT_CASE(budget_and_stop),	WT_CASE(room_during_long_read),
		WT_CASE(epoll_when_waiting),	WT_CASE(other_maps_refused),
	};

	return wt_main(cases, sizeof(cases) / sizeof(cases[0]));
}
