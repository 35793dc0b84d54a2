// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench: the event-pipeline benchmark (bench/events). Producer threads call getppid(); a BPF
 * program on that syscall's tracepoint (tests/bpf/bench_events.bpf.c) turns each call into a
 * struct wd_event in its own ring buffer, as warden's hooks do. The main thread, alone on its CPU
 * with the pipeline's sink threads, drains the ring buffer as warden does (epoll, libbpf),
 * converts each record with wd_event_to_pb() and hands it to wd_pipeline_emit(). Steps of rising
 * producer rates, each run with the ring buffer alone, the file sink alone and all sinks, show
 * the cost per event and where loss starts. Every event is accounted for: what each sink's
 * reader got back (the file read back, the stream collector's frames), plus what the kernel and
 * the pipeline reported lost, must equal what the producers made. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_events.skel.h"
#include "lib/bgthread.h"
#include "event/event.h"
#include "event/nodeseq.h"
#include "export/pipeline.h"
#include "enforce/ringbuf.h"
#include "export/rotate.h"
#include "export/sink.h"
#include "export/sink_file.h"
#include "export/writebehind.h"

#define MAX_RATES      32
#define MAX_PRODUCERS  64
#define CONSUME_BUDGET 4096 /* records per wd_ringbuf_consume() call, then back to epoll */
#define TICK_MS	       100  /* kernel loss turned into events, backlog sampled */
#define DRAIN_MS       60000
#define SINKS_MAX      4
#define POLL_MS	       10 /* with --wakeup-kib */

enum mode { M_RB, M_CONV, M_FILE, M_ALL, M_NR };
static const char *const mode_name[M_NR] = {"rb-only", "convert", "file", "all-sinks"};
/* The sinks' background threads, by name (user/lib/bgthread.h). */
enum bg_kind { BG_GZIP, BG_WB, BG_SYNC, BG_NR };
static const char *const bg_name[BG_NR] = {"wd-gzip", "wd-wb", "wd-sync"};
static const char *const bg_what[BG_NR] = {"compression", "write-behind",
					   "fsyncs of rotated segments"};
#define BG_MAX (3 * SINKS_MAX)

enum proc_mode { PROC_CACHE, PROC_PROCFS, PROC_NONE };

static struct opts {
	bool mode[M_NR];
	uint64_t rates[MAX_RATES]; /* events/s; 0: unpaced */
	size_t n_rates;
	unsigned time_ms, producers, burst, wakeup_kib, rb_mib, queue_mib, rotate_mib, rounds;
	unsigned ceiling_mib;
	int cpu;
	uint16_t kind;
	const char *dir;
	enum proc_mode proc;
	bool keep;
} o = {
	.time_ms = 2000,
	.producers = 1,
	.burst = 16,
	.rounds = 1,
	.rb_mib = 32,
	.ceiling_mib = 2048,
	.cpu = 0,
	.kind = WD_EV_FILE,
	.proc = PROC_CACHE,
};

static volatile sig_atomic_t interrupted;

/* Every backend, so that the linker takes them all from libwarden.a (extern: never dropped). */
typedef int backend_fn(const struct wd_sink_cfg *c, const char *node,
		       const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size);
extern backend_fn *const evbench_backends[];
backend_fn *const evbench_backends[] = {wd_sink_file_backend, wd_sink_stream_backend,
					wd_sink_syslog_backend, wd_sink_jsonl_backend};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- Accounting: what a reader got back ----------------------------------------------------- */

/* Every node seq number handed out must come back exactly once: as a record's seq, or inside
 * the range of an EVENTS_LOST event (the kernel's losses, which warden numbers when it learns of
 * them, or a sink's queue overflowing). */
struct tally {
	uint64_t records;	  /* records read */
	uint64_t delivered;	  /* events of the producers */
	uint64_t kernel_reported; /* lost_count of warden's EVENTS_LOST events (seq > 0) */
	uint64_t pipe_reported;	  /* lost_count of the pipeline's markers (seq 0) */
	uint64_t markers;	  /* the pipeline's EVENTS_LOST events */
	uint64_t reports;	  /* warden's EVENTS_LOST events (seq > 0) */
	uint64_t bad;		  /* records that do not decode */
	uint64_t dup;		  /* seq numbers accounted for twice, or out of range */
	uint64_t disorder;	  /* records whose seq is not above the previous one's */
	uint64_t last_seq;
	uint64_t bytes; /* framed: the records and their length prefixes */
	uint8_t *seen;	/* bitmap over seq numbers */
	size_t seen_bytes;
};

static unsigned fid_header, fid_lifecycle;

static void tally_reset(struct tally *t)
{
	uint8_t *seen = t->seen;
	size_t n = t->seen_bytes;

	if (seen)
		memset(seen, 0, n);
	*t = (struct tally){.seen = seen, .seen_bytes = n};
}

static void tally_free(struct tally *t)
{
	free(t->seen);
	t->seen = NULL;
	t->seen_bytes = 0;
}

static void tally_mark(struct tally *t, uint64_t first, uint64_t last)
{
	for (uint64_t s = first; s && s <= last; s++) {
		size_t byte = s / 8;

		if (byte >= t->seen_bytes) {
			size_t n = t->seen_bytes ? t->seen_bytes : 1 << 16;
			uint8_t *p;

			while (n <= byte)
				n *= 2;
			p = realloc(t->seen, n);
			if (!p) {
				t->dup++;
				return;
			}
			memset(p + t->seen_bytes, 0, n - t->seen_bytes);
			t->seen = p;
			t->seen_bytes = n;
		}
		if (t->seen[byte] & (1u << (s % 8)))
			t->dup++;
		t->seen[byte] |= (uint8_t)(1u << (s % 8));
	}
}

/* Whether 1..@max are all marked and nothing above. */
static bool tally_complete(const struct tally *t, uint64_t max)
{
	for (uint64_t s = 1; s <= max; s++)
		if (s / 8 >= t->seen_bytes || !(t->seen[s / 8] & (1u << (s % 8))))
			return false;
	for (uint64_t s = max + 1; s / 8 < t->seen_bytes; s++)
		if (t->seen[s / 8] & (1u << (s % 8)))
			return false;
	return true;
}

static bool wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	int n = wd_pb_varint_get(*p, (size_t)(end - *p), v);

	if (n <= 0)
		return false;
	*p += n;
	return true;
}

/* The top-level fields of a record, without decoding it: its seq, and whether it is a
 * Lifecycle event (only those are decoded whole). */
static bool scan_record(const uint8_t *p, size_t len, uint64_t *seq, bool *lifecycle)
{
	const uint8_t *end = p + len;
	uint64_t tag, v;

	*seq = 0;
	*lifecycle = false;
	while (p < end) {
		if (!wire_varint(&p, end, &tag))
			return false;
		switch (tag & 7) {
		case 0:
			if (!wire_varint(&p, end, &v))
				return false;
			break;
		case 1:
			p += 8;
			break;
		case 5:
			p += 4;
			break;
		case 2:
			if (!wire_varint(&p, end, &v) || v > (uint64_t)(end - p))
				return false;
			if ((tag >> 3) == fid_lifecycle)
				*lifecycle = true;
			if ((tag >> 3) == fid_header) {
				const uint8_t *q = p, *qend = p + v;
				uint64_t t2, v2;

				while (q < qend) {
					if (!wire_varint(&q, qend, &t2))
						return false;
					if ((t2 & 7) == 0) {
						if (!wire_varint(&q, qend, &v2))
							return false;
						if ((t2 >> 3) == 1)
							*seq = v2;
					} else if ((t2 & 7) == 2) {
						if (!wire_varint(&q, qend, &v2) ||
						    v2 > (uint64_t)(qend - q))
							return false;
						q += v2;
					} else if ((t2 & 7) == 1) {
						q += 8;
					} else if ((t2 & 7) == 5) {
						q += 4;
					} else {
						return false;
					}
				}
			}
			p += v;
			break;
		default:
			return false;
		}
	}
	return p == end;
}

static void tally_record(struct tally *t, const uint8_t *rec, size_t len)
{
	Warden__V1__Event *ev;
	uint64_t seq;
	uint8_t pre[WD_PB_VARINT_MAX];
	bool lc;

	t->records++;
	t->bytes += len + wd_pb_varint_put(pre, len);
	if (!scan_record(rec, len, &seq, &lc)) {
		t->bad++;
		return;
	}
	if (seq) {
		if (seq <= t->last_seq)
			t->disorder++;
		t->last_seq = seq;
		tally_mark(t, seq, seq);
	}
	if (!lc) {
		t->delivered++;
		return;
	}
	ev = warden__v1__event__unpack(NULL, len, rec);
	if (!ev || !ev->lifecycle) {
		t->bad++;
	} else if (ev->lifecycle->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
		const Warden__V1__Lifecycle *l = ev->lifecycle;

		if (seq) {
			t->kernel_reported += l->lost_count;
			t->reports++;
		} else {
			t->pipe_reported += l->lost_count;
			t->markers++;
		}
		if (l->lost_count)
			tally_mark(t, l->lost_first_seq, l->lost_last_seq);
		if (l->lost_count && l->lost_last_seq - l->lost_first_seq + 1 != l->lost_count)
			t->dup++;
	}
	if (ev)
		warden__v1__event__free_unpacked(ev, NULL);
}

/* ---- The collector: the other end of the stream and syslog sinks ---------------------------- */

enum { C_STREAM, C_SYSLOG, C_NR };

struct conn {
	int fd, kind;
	uint8_t *buf; /* stream: frames are reassembled here and tallied */
	size_t have;
	uint64_t syslog_len, syslog_skip; /* syslog: octet-counting, only counted */
	bool in_body;
};

struct collector {
	pthread_t th;
	pid_t tid;
	bool started;
	clockid_t clk;
	int ep, stop_fd, lfd[C_NR];
	char stream_path[PATH_MAX];
	int syslog_port;
	pthread_mutex_t mu;
	struct tally stream; /* under mu */
	uint64_t syslog_frames, errors;
	int open;
};

static void conn_close(struct collector *c, struct conn *k)
{
	epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	free(k->buf);
	free(k);
	pthread_mutex_lock(&c->mu);
	c->open--;
	pthread_mutex_unlock(&c->mu);
}

static void stream_data(struct collector *c, struct conn *k)
{
	size_t off = 0;

	for (;;) {
		uint64_t len;
		int n = wd_pb_varint_get(k->buf + off, k->have - off, &len);

		if (n < 0 || len > WD_PB_RECORD_MAX) {
			c->errors++;
			off = k->have;
			break;
		}
		if (n == 0 || k->have - off - (size_t)n < len)
			break;
		tally_record(&c->stream, k->buf + off + n, len);
		off += (size_t)n + len;
	}
	memmove(k->buf, k->buf + off, k->have - off);
	k->have -= off;
}

static void syslog_data(struct collector *c, struct conn *k, const uint8_t *p, size_t n)
{
	while (n) {
		if (k->in_body) {
			size_t take = k->syslog_skip < n ? k->syslog_skip : n;

			k->syslog_skip -= take;
			p += take;
			n -= take;
			if (!k->syslog_skip) {
				k->in_body = false;
				c->syslog_frames++;
			}
			continue;
		}
		if (*p >= '0' && *p <= '9' && k->syslog_len < (1u << 30)) {
			k->syslog_len = k->syslog_len * 10 + (uint64_t)(*p - '0');
		} else if (*p == ' ' && k->syslog_len) {
			k->syslog_skip = k->syslog_len;
			k->syslog_len = 0;
			k->in_body = true;
		} else {
			c->errors++;
			k->syslog_len = 0;
		}
		p++;
		n--;
	}
}

static void *collector_main(void *arg)
{
	struct collector *c = arg;
	static uint8_t scratch[256 * 1024];

	c->tid = (pid_t)syscall(SYS_gettid);
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(c->ep, ev, 16, -1);

		for (int i = 0; i < n; i++) {
			void *ptr = ev[i].data.ptr;

			if (ptr == &c->stop_fd)
				return NULL;
			if (ptr == &c->lfd[C_STREAM] || ptr == &c->lfd[C_SYSLOG]) {
				int kind = ptr == &c->lfd[C_STREAM] ? C_STREAM : C_SYSLOG;
				int fd = accept4(c->lfd[kind], NULL, NULL, SOCK_CLOEXEC);
				struct conn *k;
				struct epoll_event e = {.events = EPOLLIN};

				if (fd < 0)
					continue;
				k = calloc(1, sizeof(*k));
				if (k && kind == C_STREAM)
					k->buf = malloc(2 * (WD_PB_RECORD_MAX + WD_PB_VARINT_MAX));
				if (!k || (kind == C_STREAM && !k->buf)) {
					free(k);
					close(fd);
					continue;
				}
				k->fd = fd;
				k->kind = kind;
				e.data.ptr = k;
				pthread_mutex_lock(&c->mu);
				c->open++;
				pthread_mutex_unlock(&c->mu);
				epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &e);
				continue;
			}
			struct conn *k = ptr;
			ssize_t got;

			if (k->kind == C_STREAM) {
				size_t room = 2 * (WD_PB_RECORD_MAX + WD_PB_VARINT_MAX) - k->have;

				got = read(k->fd, k->buf + k->have, room);
				if (got > 0) {
					k->have += (size_t)got;
					pthread_mutex_lock(&c->mu);
					stream_data(c, k);
					pthread_mutex_unlock(&c->mu);
				}
			} else {
				got = read(k->fd, scratch, sizeof(scratch));
				if (got > 0) {
					pthread_mutex_lock(&c->mu);
					syslog_data(c, k, scratch, (size_t)got);
					pthread_mutex_unlock(&c->mu);
				}
			}
			if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
				conn_close(c, k);
		}
	}
}

static int collector_start(struct collector *c, const char *dir, const cpu_set_t *cpus)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	struct epoll_event e = {.events = EPOLLIN};
	pthread_attr_t attr;
	int err;

	pthread_mutex_init(&c->mu, NULL);
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	c->lfd[C_STREAM] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->lfd[C_SYSLOG] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->ep < 0 || c->stop_fd < 0 || c->lfd[C_STREAM] < 0 || c->lfd[C_SYSLOG] < 0)
		return -errno;
	snprintf(c->stream_path, sizeof(c->stream_path), "%s/stream.sock", dir);
	if (strlen(c->stream_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, c->stream_path);
	unlink(c->stream_path);
	if (bind(c->lfd[C_STREAM], (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(c->lfd[C_STREAM], 16) ||
	    bind(c->lfd[C_SYSLOG], (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(c->lfd[C_SYSLOG], 16) ||
	    getsockname(c->lfd[C_SYSLOG], (struct sockaddr *)&sin, &sl))
		return -errno;
	c->syslog_port = ntohs(sin.sin_port);
	e.data.ptr = &c->stop_fd;
	epoll_ctl(c->ep, EPOLL_CTL_ADD, c->stop_fd, &e);
	for (int k = 0; k < C_NR; k++) {
		e.data.ptr = &c->lfd[k];
		epoll_ctl(c->ep, EPOLL_CTL_ADD, c->lfd[k], &e);
	}
	pthread_attr_init(&attr);
	if (cpus)
		pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
	err = -pthread_create(&c->th, &attr, collector_main, c);
	pthread_attr_destroy(&attr);
	if (err)
		return err;
	c->started = true;
	pthread_setname_np(c->th, "evb-collector");
	return pthread_getcpuclockid(c->th, &c->clk) ? -EINVAL : 0;
}

static void collector_stop(struct collector *c)
{
	uint64_t one = 1;

	if (!c->started)
		return;
	if (write(c->stop_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(c->th, NULL);
	c->started = false;
	unlink(c->stream_path);
	tally_free(&c->stream);
}

/* Waits (up to 3 s) until the sinks' connections are closed and read to their end. */
static bool collector_idle(struct collector *c)
{
	uint64_t end = now_ns() + 3000000000ull;
	int open;

	do {
		pthread_mutex_lock(&c->mu);
		open = c->open;
		pthread_mutex_unlock(&c->mu);
		if (!open)
			return true;
		usleep(1000);
	} while (now_ns() < end);
	return false;
}

/* ---- The pid cache warden's consumer is expected to keep ------------------------------------ */

struct proc_view {
	uint32_t inside[2]; /* shown inside the sandbox: the benchmark and its parent */
	char sandbox_cgroup[64];
};

/* /proc as warden reads it. The benchmark does not run in a sandbox cgroup; its process and its
 * parent are shown in one, so that each event carries an ancestry of one process, as a job's
 * command started by its shell would. Behind warden's own pid cache (--proc cache) or not. */
static int bench_proc_read(void *arg, uint32_t pid, struct wd_proc_info *out)
{
	struct proc_view *v = arg;
	int err = wd_proc_lookup_procfs(NULL, pid, out);

	if (!err && (pid == v->inside[0] || pid == v->inside[1]))
		snprintf(out->cgroup, sizeof(out->cgroup), "%s", v->sandbox_cgroup);
	return err;
}

static int bench_proc_lookup(void *arg, uint32_t pid, struct wd_proc_info *buf,
			     const struct wd_proc_info **out)
{
	*out = buf;
	return bench_proc_read(arg, pid, buf);
}

static const char *bench_rule_text(void *arg, uint32_t rule_id)
{
	(void)arg;
	if (rule_id == 7)
		return "policies/ci.yaml:31:7 read deny ~/.aws/";
	if (rule_id == 9)
		return "policies/ci.yaml:44:5 connect allow 10.0.0.0/8 port 443 tcp";
	return NULL;
}

/* ---- Producers ------------------------------------------------------------------------------ */

struct producer {
	struct bench *b;
	pid_t tid;
	pthread_t th;
	clockid_t clk;
	uint64_t done; /* events of the step: getppid() calls x burst */
};

struct sink_result {
	struct wd_sink_stats st;
	pid_t tid;	 /* its thread, 0 if not known */
	uint64_t cpu_ns; /* that thread's CPU time during the step */
	uint64_t seen;	 /* records the reader got (file read back, frames, lines) */
	bool tallied;	 /* seen comes with a full tally */
	struct tally *t; /* file, stream */
	bool ok;
	char why[160];
};

struct result {
	enum mode m;
	uint64_t target;
	uint64_t produced, bpf_sent, klost, consumed, conv_err, emitted;
	uint64_t reports; /* EVENTS_LOST events made for the kernel's losses */
	uint64_t delivered, lost_pipe, node_seq;
	double run_s, total_s, lag_ms, cons_cpu_s, prod_cpu_s;
	double other_s; /* the consumer's CPU busy with other work (other processes, the kernel) */
	double main_cpu_s; /* of that, the consumer thread's (the rest: the sink threads') */
	uint64_t file_bytes, file_records; /* what the file sink's reader got back */
	/* The sinks' background threads (wd-gzip, wd-wb, wd-sync), on the other CPUs: not the
	 * consumer's. */
	pid_t bg_tid[BG_MAX];
	enum bg_kind bg_kind[BG_MAX];
	uint64_t bg_cpu_ns[BG_MAX];
	size_t n_bg;
	double bg_cpu_s[BG_NR];
	bool drained, ok;
	char why[256];
	size_t n_sinks;
	struct sink_result sink[SINKS_MAX];
};

struct bench {
	struct bench_events_bpf *skel;
	struct wd_ringbuf *rb;
	int ncpu;
	uint64_t *percpu;
	cpu_set_t others;
	bool have_others;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned gen;
	bool quit;
	uint64_t rate;
	atomic_int stop;
	atomic_uint finished;
	struct producer prod[MAX_PRODUCERS];

	enum mode mode;
	uint64_t consumed, bad, conv_err, emitted;
	struct wd_pipeline *pl;
	struct wd_event_ctx ctx;
	struct wd_pb_event *pb;	 /* lost events */
	struct wd_pb_packer *pk; /* kernel records, as warden packs them */
	uint8_t pack[WD_PB_RECORD_MAX];
	/* On its own cache line, as warden's shared counter is on its own page. */
	_Alignas(64) uint64_t node_seq;
	_Alignas(64) uint64_t sandbox_seq;
	uint8_t pad_[56];
	uint64_t klost_base, klost_reported;
	uint64_t reports; /* EVENTS_LOST events made for the kernel's losses, this step */
	struct proc_view view;
	struct wd_proc_cache *pc; /* --proc cache */
	struct collector col;
	struct tally file_tally;
	char node[256], boot_id[40];
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct bench *b = p->b;
	unsigned gen = 0;

	p->tid = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_TIMERSLACK, 1UL);
	prctl(PR_SET_NAME, "evb-producer");
	for (;;) {
		uint64_t rate, n = 0, t0, batch, cap;

		pthread_mutex_lock(&b->mu);
		while (b->gen == gen && !b->quit)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->quit) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		gen = b->gen;
		rate = b->rate / o.producers / o.burst;
		if (b->rate && !rate)
			rate = 1;
		pthread_mutex_unlock(&b->mu);

		/* Paced: the calls due by now, in batches of about 20 us, sleeping in between. */
		batch = rate / 50000 ? rate / 50000 : 1;
		cap = 256 / o.burst ? 256 / o.burst : 1;
		t0 = now_ns();
		while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
			uint64_t due, k;

			if (!rate) {
				for (k = 0; k < 64; k++)
					syscall(SYS_getppid);
				n += 64;
				continue;
			}
			due = (uint64_t)((double)(now_ns() - t0) * (double)rate / 1e9);
			if (n < due) {
				/* Catching up in bursts of 256 records at most. */
				k = due - n < cap ? due - n : cap;
				for (uint64_t i = 0; i < k; i++)
					syscall(SYS_getppid);
				n += k;
			} else {
				uint64_t wake =
					t0 + (uint64_t)((double)(n + batch) * 1e9 / (double)rate);
				struct timespec ts = {.tv_sec = (time_t)(wake / 1000000000ull),
						      .tv_nsec = (long)(wake % 1000000000ull)};

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
		p->done = n * o.burst;
		atomic_fetch_add(&b->finished, 1);
	}
}

/* ---- The consumer --------------------------------------------------------------------------- */

static uint64_t percpu_sum(struct bench *b, struct bpf_map *map)
{
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (bpf_map__lookup_elem(map, &zero, sizeof(zero), b->percpu,
				 (size_t)b->ncpu * sizeof(uint64_t), 0))
		return 0;
	for (int i = 0; i < b->ncpu; i++)
		sum += b->percpu[i];
	return sum;
}

/* To the pipeline; or, converting only, what wd_pipeline_emit() does before its queues. */
static void emit(struct bench *b)
{
	const Warden__V1__Event *ev = &b->pb->ev;

	b->emitted++;
	if (b->pl) {
		wd_pipeline_emit(b->pl, ev);
	} else {
		size_t len = warden__v1__event__get_packed_size(ev);

		if (len > WD_PB_RECORD_MAX)
			b->conv_err++;
		else
			warden__v1__event__pack(ev, b->pack);
	}
}

/* A kernel record, the way warden's consumers convert and pack it (wd_pipeline_emit_record). */
static void emit_record(struct bench *b, const struct wd_event *e)
{
	uint64_t seq;
	size_t len;

	if (b->pl) {
		if (wd_pipeline_emit_record(b->pl, b->pk, e, &b->ctx) < 0)
			b->conv_err++;
		else
			b->emitted++;
	} else if (wd_event_pack(b->pk, e, &b->ctx, b->pack, sizeof(b->pack), &len, &seq)) {
		b->conv_err++;
	} else {
		b->emitted++;
	}
}

static int on_record(void *arg, void *data, size_t size)
{
	struct bench *b = arg;
	struct wd_event buf;
	const struct wd_event *e = wd_event_from_ring(data, size, &buf);

	b->consumed++;
	if (!e)
		b->bad++;
	else if (b->mode != M_RB)
		emit_record(b, e);
	return 0;
}

/* Returns 1 when there may be more, 0 when the ring buffer was emptied, or -errno. */
static int consume(struct bench *b)
{
	int n;

	/* As warden does: a budget per call, so that the epoll loop's other sources (the timer)
	 * are served too while records keep coming. */
	n = wd_ringbuf_consume(b->rb, CONSUME_BUDGET);
	/* As warden does: the sinks are woken once per batch, not per record. */
	if (b->pl)
		wd_pipeline_kick(b->pl);
	if (n >= CONSUME_BUDGET)
		return 1;
	return n < 0 ? n : 0;
}

/* The kernel's losses since the last look become one EVENTS_LOST event, as warden reports
 * them. */
static void kernel_loss(struct bench *b)
{
	uint64_t lost = percpu_sum(b, b->skel->maps.wd_bench_lost) - b->klost_base;
	uint64_t d = lost - b->klost_reported;

	if (!d)
		return;
	b->klost_reported = lost;
	if (b->mode == M_RB)
		return;
	if (wd_event_lost_to_pb(&b->ctx, d, "kernel ring buffer full", b->pb)) {
		b->conv_err++;
		return;
	}
	b->reports++;
	emit(b);
}

static char *join(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

static int sink_configs(struct bench *b, enum mode m, const char *dir, struct wd_sink_cfg *c,
			char bufs[][PATH_MAX])
{
	static char file_name[] = "file", stream_name[] = "stream", syslog_name[] = "syslog",
		    jsonl_name[] = "jsonl";
	uint64_t q = (uint64_t)o.queue_mib << 20;
	int n = 0;

	c[n] = (struct wd_sink_cfg){.name = file_name,
				    .kind = WD_SINK_FILE,
				    .queue_bytes = q,
				    .dir = join(bufs[0], PATH_MAX, dir, "file"),
				    .max_bytes = (uint64_t)o.rotate_mib << 20};
	n++;
	if (m != M_ALL)
		return n;
	snprintf(bufs[1], PATH_MAX, "unix:%s", b->col.stream_path);
	c[n++] = (struct wd_sink_cfg){
		.name = stream_name, .kind = WD_SINK_STREAM, .queue_bytes = q, .address = bufs[1]};
	snprintf(bufs[2], PATH_MAX, "tcp:127.0.0.1:%d", b->col.syslog_port);
	c[n++] = (struct wd_sink_cfg){
		.name = syslog_name, .kind = WD_SINK_SYSLOG, .queue_bytes = q, .address = bufs[2]};
	c[n++] = (struct wd_sink_cfg){.name = jsonl_name,
				      .kind = WD_SINK_JSONL,
				      .queue_bytes = q,
				      .path = join(bufs[3], PATH_MAX, dir, "events.jsonl"),
				      .max_bytes = (uint64_t)o.rotate_mib << 20};
	return n;
}

/* Reads back every segment of the file sink (rotated and compressed ones too). */
static int read_file_sink(const char *dir, struct tally *t)
{
	struct sink_file_segment *segs;
	size_t n;
	int err = sink_file_list(dir, "file", &segs, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		struct wd_pb_reader r;
		const uint8_t *rec;
		size_t len;
		int ret;

		err = wd_pb_reader_open(&r, segs[i].path);
		if (err)
			break;
		while ((ret = wd_pb_read_record(&r, &rec, &len)) == 1)
			tally_record(t, rec, len);
		if (ret < 0)
			err = ret;
		wd_pb_reader_close(&r);
	}
	sink_file_list_free(segs, n);
	return err;
}

/* Lines of the JSON sink's files (the current one and any rotated ones, compressed or not). */
static int count_lines(const char *dir, uint64_t *lines)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX], buf[1 << 16];
	int len;

	*lines = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		gzFile gz;

		if (strncmp(de->d_name, "events", 6) || !strstr(de->d_name, ".jsonl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		gz = gzopen(path, "rb");
		if (!gz)
			continue;
		while ((len = gzread(gz, buf, sizeof(buf))) > 0)
			for (int i = 0; i < len; i++)
				*lines += buf[i] == '\n';
		gzclose(gz);
	}
	closedir(d);
	return 0;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[PATH_MAX];
	struct stat st;

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (!lstat(sub, &st) && S_ISDIR(st.st_mode))
			rm_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Busy time of CPU @cpu from /proc/stat (every process's, the kernel's, and steal). */
static uint64_t cpu_busy_ns(int cpu)
{
	unsigned long long v[8] = {0};
	char line[512], name[16];
	uint64_t busy = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name))) {
			sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu",
			       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
			busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			break;
		}
	fclose(f);
	return hz > 0 ? busy * (1000000000ull / (uint64_t)hz) : 0;
}

/* CPU time of one of our threads (/proc/self/task/TID/schedstat: it may be another library's). */
static uint64_t thread_cpu_ns(pid_t tid)
{
	unsigned long long run = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return run;
}

static int cmp_tid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

/* Which background thread of a sink @tid is, by name; BG_NR: none. */
static enum bg_kind bg_thread(pid_t tid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return BG_NR;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	for (int k = 0; k < BG_NR; k++)
		if (!strcmp(comm, bg_name[k]))
			return (enum bg_kind)k;
	return BG_NR;
}

/* The sinks' background threads' CPU time since find_sink_threads(), of one kind (BG_NR: all). */
static uint64_t bg_cpu(const struct result *r, enum bg_kind kind)
{
	uint64_t t = 0;

	for (size_t i = 0; i < r->n_bg; i++)
		if (kind == BG_NR || r->bg_kind[i] == kind)
			t += thread_cpu_ns(r->bg_tid[i]) - r->bg_cpu_ns[i];
	return t;
}

/* The pipeline's threads, one per sink in the order of the sinks: the threads of this process
 * that are none of ours, by creation (tid) order. Leaves every tid 0 if they do not match. The
 * background threads (wd-gzip, wd-wb, wd-sync) are set apart. */
static void find_sink_threads(struct bench *b, struct result *r)
{
	pid_t tids[SINKS_MAX + 1];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");

	r->n_bg = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t t = (pid_t)atoi(de->d_name);
		bool ours = t <= 0 || t == getpid() || t == b->col.tid;

		for (unsigned i = 0; i < o.producers && !ours; i++)
			ours = t == b->prod[i].tid;
		enum bg_kind k = ours ? BG_NR : bg_thread(t);

		if (k != BG_NR) {
			if (r->n_bg < BG_MAX) {
				r->bg_tid[r->n_bg] = t;
				r->bg_kind[r->n_bg] = k;
				r->bg_cpu_ns[r->n_bg++] = thread_cpu_ns(t);
			}
			continue;
		}
		if (!ours && n < SINKS_MAX + 1)
			tids[n++] = t;
	}
	closedir(d);
	if (n != r->n_sinks)
		return;
	qsort(tids, n, sizeof(tids[0]), cmp_tid);
	for (size_t i = 0; i < n; i++) {
		r->sink[i].tid = tids[i];
		r->sink[i].cpu_ns = thread_cpu_ns(tids[i]);
	}
}

static uint64_t consumer_cpu(struct bench *b, uint64_t *prod)
{
	uint64_t all = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), p = 0;

	for (unsigned i = 0; i < o.producers; i++)
		p += cpu_ns(b->prod[i].clk);
	*prod = p;
	if (b->col.started)
		all -= cpu_ns(b->col.clk);
	return all - p;
}

/* Checks one sink's accounting: what its reader got plus what was reported lost must be what
 * the producers made, and every seq number must come back exactly once. */
static void check_tallied(struct result *r, struct sink_result *s)
{
	struct tally *t = s->t;
	uint64_t unreported = s->st.lost - s->st.lost_reported;
	/* A queue that dropped one of warden's own EVENTS_LOST reports counts it in its marker
	 * with the events it stood for: a seq that is no event of the producers. */
	uint64_t dropped_reports = r->reports - t->reports;
	uint64_t sum =
		t->delivered + t->kernel_reported + t->pipe_reported + unreported - dropped_reports;

	s->ok = false;
	if (t->bad)
		snprintf(s->why, sizeof(s->why), "%" PRIu64 " records do not decode", t->bad);
	else if (sum != r->produced)
		snprintf(s->why, sizeof(s->why),
			 "delivered %" PRIu64 " + reported lost %" PRIu64 " (kernel) + %" PRIu64
			 " (queue) + unreported %" PRIu64 " = %" PRIu64 ", produced %" PRIu64,
			 t->delivered, t->kernel_reported, t->pipe_reported, unreported, sum,
			 r->produced);
	else if (t->pipe_reported != s->st.lost_reported)
		snprintf(s->why, sizeof(s->why),
			 "the sink reports %" PRIu64 " lost, its pipeline says %" PRIu64,
			 t->pipe_reported, s->st.lost_reported);
	else if (t->dup || t->disorder || !tally_complete(t, r->node_seq))
		snprintf(s->why, sizeof(s->why),
			 "seq numbers 1..%" PRIu64 " not accounted for exactly once (%" PRIu64
			 " twice, %" PRIu64 " out of order)",
			 r->node_seq, t->dup, t->disorder);
	else
		s->ok = true;
}

/* Syslog and JSON lines are only counted: records = written + markers (one at most per lost). */
static void check_counted(struct sink_result *s)
{
	uint64_t w = s->st.written, l = s->st.lost - s->st.lost_carried; /* records */

	s->ok = s->seen >= w && s->seen <= w + l && (l || s->seen == w);
	if (!s->ok)
		snprintf(s->why, sizeof(s->why),
			 "reader got %" PRIu64 " records; the sink wrote %" PRIu64
			 " and lost %" PRIu64,
			 s->seen, w, l);
}

static int run_step(struct bench *b, enum mode m, uint64_t rate, unsigned step, struct result *r)
{
	struct wd_sink_cfg cfg[SINKS_MAX];
	char bufs[SINKS_MAX][PATH_MAX], dir[PATH_MAX], err[512];
	struct itimerspec tick = {.it_interval.tv_nsec = TICK_MS * 1000000L,
				  .it_value.tv_nsec = TICK_MS * 1000000L};
	struct itimerspec end = {.it_value.tv_sec = o.time_ms / 1000,
				 .it_value.tv_nsec = (long)(o.time_ms % 1000) * 1000000L};
	uint64_t t0, t_stop, t_done, cpu0, cpu1, prod0, prod1, sent0, x, busy0, busy1, main0, bg0,
		bg1, bgk[BG_NR];
	int ep, tfd_tick, tfd_end, n_sinks = 0, ret = 0;
	struct epoll_event ev;
	bool stopping = false;

	memset(r, 0, sizeof(*r));
	r->m = m;
	r->target = rate;
	snprintf(dir, sizeof(dir), "%s/step-%02u-%s", o.dir, step, mode_name[m]);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;

	b->mode = m;
	b->consumed = b->bad = b->conv_err = b->emitted = 0;
	b->node_seq = b->sandbox_seq = 0;
	b->klost_reported = 0;
	b->reports = 0;
	if (m == M_FILE || m == M_ALL) {
		n_sinks = sink_configs(b, m, dir, cfg, bufs);
		pthread_mutex_lock(&b->col.mu);
		tally_reset(&b->col.stream);
		b->col.syslog_frames = 0;
		b->col.errors = 0;
		pthread_mutex_unlock(&b->col.mu);
		ret = wd_pipeline_open(&b->pl, cfg, (size_t)n_sinks, b->node, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "evbench: cannot open the pipeline: %s\n", err);
			return ret;
		}
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd_tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	tfd_end = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ep < 0 || tfd_tick < 0 || tfd_end < 0) {
		ret = -errno;
		goto out;
	}
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = wd_ringbuf_fd(b->rb)};
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = tfd_tick};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd_tick, &ev);
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = tfd_end};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd_end, &ev);

	/* Nothing of an earlier step is left in the ring buffer (nor goes to this step's sinks). */
	b->mode = M_RB;
	while (consume(b) == 1)
		;
	b->mode = m;
	b->consumed = b->bad = 0;
	b->klost_base = percpu_sum(b, b->skel->maps.wd_bench_lost);
	sent0 = percpu_sum(b, b->skel->maps.wd_bench_sent);
	r->n_sinks = (size_t)n_sinks;
	find_sink_threads(b, r);
	main0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	cpu0 = consumer_cpu(b, &prod0);
	bg0 = bg_cpu(r, BG_NR);
	for (int k = 0; k < BG_NR; k++)
		bgk[k] = bg_cpu(r, (enum bg_kind)k);
	busy0 = cpu_busy_ns(o.cpu);

	t0 = now_ns();
	atomic_store(&b->stop, 0);
	atomic_store(&b->finished, 0);
	pthread_mutex_lock(&b->mu);
	b->rate = rate;
	b->gen++;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	timerfd_settime(tfd_tick, 0, &tick, NULL);
	timerfd_settime(tfd_end, 0, &end, NULL);

	while (!stopping) {
		struct epoll_event evs[4];
		/* Without wake-ups for every record the ring buffer is polled as well. */
		int n = epoll_wait(ep, evs, 4, o.wakeup_kib ? POLL_MS : -1);

		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (interrupted)
			stopping = true;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == tfd_tick) {
				if (read(fd, &x, sizeof(x)) < 0)
					continue;
				kernel_loss(b);
			} else if (fd == tfd_end) {
				stopping = true;
			} else {
				ret = consume(b);
				if (ret < 0)
					stopping = true;
			}
		}
		if (n == 0)
			ret = consume(b);
	}
	atomic_store(&b->stop, 1);
	while (atomic_load(&b->finished) < o.producers)
		consume(b);
	t_stop = now_ns();
	/* Every call has returned: all its records are committed. */
	while ((ret = consume(b)) == 1)
		;
	kernel_loss(b);
	r->drained = true;
	if (b->pl)
		r->drained = wd_pipeline_drain(b->pl, DRAIN_MS);
	t_done = now_ns();
	cpu1 = consumer_cpu(b, &prod1);
	bg1 = bg_cpu(r, BG_NR);
	/* Compression and write-behind run on the other CPUs: not the consumer's work. */
	cpu0 -= bg0;
	cpu1 -= bg1;
	for (int k = 0; k < BG_NR; k++)
		r->bg_cpu_s[k] = (double)(bg_cpu(r, (enum bg_kind)k) - bgk[k]) / 1e9;
	busy1 = cpu_busy_ns(o.cpu);
	r->main_cpu_s = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - main0) / 1e9;
	for (int i = 0; i < n_sinks; i++)
		if (r->sink[i].tid)
			r->sink[i].cpu_ns = thread_cpu_ns(r->sink[i].tid) - r->sink[i].cpu_ns;

	for (unsigned i = 0; i < o.producers; i++)
		r->produced += b->prod[i].done;
	r->bpf_sent = percpu_sum(b, b->skel->maps.wd_bench_sent) - sent0;
	r->klost = b->klost_reported;
	r->reports = b->reports;
	r->consumed = b->consumed;
	r->conv_err = b->conv_err + b->bad;
	r->emitted = b->emitted;
	r->node_seq = b->node_seq;
	r->run_s = (double)(t_stop - t0) / 1e9;
	r->total_s = (double)(t_done - t0) / 1e9;
	r->lag_ms = (double)(t_done - t_stop) / 1e6;
	r->cons_cpu_s = (double)(cpu1 - cpu0) / 1e9;
	r->prod_cpu_s = (double)(prod1 - prod0) / 1e9;
	r->other_s =
		busy1 - busy0 > cpu1 - cpu0 ? (double)(busy1 - busy0 - (cpu1 - cpu0)) / 1e9 : 0;
	for (int i = 0; i < n_sinks; i++)
		wd_pipeline_stats(b->pl, (size_t)i, &r->sink[i].st);
	if (b->pl) {
		wd_pipeline_close(b->pl, 1000);
		b->pl = NULL;
	}
out:
	if (ep >= 0)
		close(ep);
	if (tfd_tick >= 0)
		close(tfd_tick);
	if (tfd_end >= 0)
		close(tfd_end);
	if (b->pl) {
		wd_pipeline_close(b->pl, 1000);
		b->pl = NULL;
	}
	if (ret < 0)
		return ret;

	/* What came out of each sink. */
	if (m == M_ALL && !collector_idle(&b->col))
		snprintf(r->why, sizeof(r->why), "the collector's connections did not close");
	else if (m == M_ALL && b->col.errors)
		snprintf(r->why, sizeof(r->why), "the collector read %" PRIu64 " malformed frames",
			 b->col.errors);
	for (size_t i = 0; i < r->n_sinks; i++) {
		struct sink_result *s = &r->sink[i];
		const char *kind = cfg[i].kind == WD_SINK_FILE	   ? "file"
				   : cfg[i].kind == WD_SINK_STREAM ? "stream"
				   : cfg[i].kind == WD_SINK_SYSLOG ? "syslog"
								   : "jsonl";

		s->st.name = cfg[i].name;
		s->st.kind = kind;
		if (cfg[i].kind == WD_SINK_FILE) {
			tally_reset(&b->file_tally);
			s->t = &b->file_tally;
			s->tallied = true;
			ret = read_file_sink(cfg[i].dir, s->t);
			if (ret) {
				snprintf(s->why, sizeof(s->why), "cannot read %s back: %s",
					 cfg[i].dir, wd_pb_strerror(ret));
				continue;
			}
			s->seen = s->t->records;
			r->file_bytes = s->t->bytes;
			r->file_records = s->t->records;
		} else if (cfg[i].kind == WD_SINK_STREAM) {
			s->t = &b->col.stream;
			s->tallied = true;
			s->seen = s->t->records;
		} else if (cfg[i].kind == WD_SINK_SYSLOG) {
			s->seen = b->col.syslog_frames;
		} else {
			count_lines(dir, &s->seen);
		}
		if (s->tallied)
			check_tallied(r, s);
		else
			check_counted(s);
		/* Records: lost counts events, those a dropped EVENTS_LOST stood for too. */
		if (s->ok && s->st.written + s->st.lost - s->st.lost_carried != r->emitted) {
			s->ok = false;
			snprintf(s->why, sizeof(s->why),
				 "written %" PRIu64 " + lost %" PRIu64 " - carried %" PRIu64
				 " != emitted %" PRIu64,
				 s->st.written, s->st.lost, s->st.lost_carried, r->emitted);
		}
	}
	if (r->n_sinks) {
		r->delivered = r->sink[0].t->delivered;
		r->lost_pipe = r->sink[0].st.lost;
	} else {
		r->delivered = r->consumed;
	}

	/* The producers' calls all reached the BPF program; what it sent was consumed. */
	r->ok = !r->why[0];
	if (r->ok && r->bpf_sent + r->klost != r->produced)
		snprintf(r->why, sizeof(r->why),
			 "BPF sent %" PRIu64 " + lost %" PRIu64 " != %" PRIu64 " calls",
			 r->bpf_sent, r->klost, r->produced);
	else if (r->ok && r->consumed != r->bpf_sent)
		snprintf(r->why, sizeof(r->why), "consumed %" PRIu64 " of %" PRIu64 " records sent",
			 r->consumed, r->bpf_sent);
	else if (r->ok && r->conv_err)
		snprintf(r->why, sizeof(r->why), "%" PRIu64 " records failed to convert",
			 r->conv_err);
	else if (r->ok && !r->drained)
		snprintf(r->why, sizeof(r->why), "the pipeline did not drain in %d s",
			 DRAIN_MS / 1000);
	r->ok = !r->why[0];
	for (size_t i = 0; i < r->n_sinks; i++)
		if (!r->sink[i].ok) {
			r->ok = false;
			if (!r->why[0])
				snprintf(r->why, sizeof(r->why), "sink %s: %s", r->sink[i].st.name,
					 r->sink[i].why);
		}
	if (!o.keep)
		rm_tree(dir);
	return 0;
}

/* ---- Report --------------------------------------------------------------------------------- */

static const char *fmt_rate(char *buf, size_t size, double v)
{
	if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, size, "%.0fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

static void print_header(void)
{
	printf("%-9s %7s %9s %10s %10s %9s %9s %5s %9s %8s %8s %6s %6s %6s\n", "config", "target",
	       "offered/s", "produced", "delivered", "lost-kern", "lost-pipe", "check", "deliv/s",
	       "lag-ms", "cons-ns", "x-rb", "cons%", "other%");
}

static void print_row(const struct result *r, const struct result *rb)
{
	char t[16], off[16], dl[16], ratio[16] = "-";
	double handled = (double)(r->produced - r->klost);
	double ns = handled > 0 ? r->cons_cpu_s * 1e9 / handled : 0;

	if (rb && rb->produced > rb->klost) {
		double rbns = rb->cons_cpu_s * 1e9 / (double)(rb->produced - rb->klost);

		if (rbns > 0)
			snprintf(ratio, sizeof(ratio), "%.1f", ns / rbns);
	}
	printf("%-9s %7s %9s %10" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64
	       " %5s %9s %8.1f %8.0f %6s %6.0f %6.0f\n",
	       mode_name[r->m], r->target ? fmt_rate(t, sizeof(t), (double)r->target) : "max",
	       fmt_rate(off, sizeof(off), (double)r->produced / r->run_s), r->produced,
	       r->delivered, r->klost, r->lost_pipe, r->ok ? "ok" : "FAIL",
	       fmt_rate(dl, sizeof(dl), (double)r->delivered / r->total_s), r->lag_ms, ns, ratio,
	       100.0 * r->cons_cpu_s / r->total_s, 100.0 * r->other_s / r->total_s);
	fflush(stdout);
}

static void print_sinks(const struct result *res, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];
		double handled = (double)(r->produced - r->klost);
		char t[16];

		if (!r->n_sinks || handled <= 0)
			continue;
		if (!any) {
			printf("\nper thread of the consumer's CPU: ns of CPU per event taken from "
			       "the "
			       "ring buffer; per sink: records written, lost (queue full or "
			       "refused), "
			       "reported lost to it, what its reader got back\n");
			printf("%-7s %-9s %-8s %8s %10s %10s %10s %10s %s\n", "target", "config",
			       "thread", "ns/ev", "written", "lost", "reported", "read", "check");
			any = true;
		}
		fmt_rate(t, sizeof(t), (double)r->target);
		printf("%-7s %-9s %-8s %8.0f\n", r->target ? t : "max", mode_name[r->m], "consumer",
		       r->main_cpu_s * 1e9 / handled);
		for (int k = 0; k < BG_NR; k++) {
			bool any_k = false;

			for (size_t j = 0; j < r->n_bg; j++)
				any_k |= r->bg_kind[j] == (enum bg_kind)k;
			if (any_k)
				printf("%-7s %-9s %-8s %8.0f   (%s, on the other CPUs)\n",
				       r->target ? t : "max", mode_name[r->m], bg_name[k],
				       r->bg_cpu_s[k] * 1e9 / handled, bg_what[k]);
		}
		for (size_t k = 0; k < r->n_sinks; k++) {
			const struct sink_result *s = &r->sink[k];
			char ns[16] = "?";

			if (s->tid)
				snprintf(ns, sizeof(ns), "%.0f", (double)s->cpu_ns / handled);
			printf("%-7s %-9s %-8s %8s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			       " %10" PRIu64 " %s%s%s\n",
			       r->target ? t : "max", mode_name[r->m], s->st.name, ns,
			       s->st.written, s->st.lost, s->st.lost_reported, s->seen,
			       s->ok ? "ok" : "FAIL", s->ok ? "" : ": ", s->ok ? "" : s->why);
		}
	}
}

/* The rb-only row of the same target (and round: the latest before @r), for x-rb. */
static const struct result *find_rb(const struct result *res, size_t n, const struct result *r)
{
	const struct result *rb = NULL;

	for (size_t i = 0; i < n && &res[i] != r; i++)
		if (res[i].m == M_RB && res[i].target == r->target)
			rb = &res[i];
	if (!rb)
		for (size_t i = 0; i < n; i++)
			if (res[i].m == M_RB && res[i].target == r->target)
				rb = &res[i];
	return r->m == M_RB ? NULL : rb;
}

/* For each step (target, configuration), the round where the consumer's CPU did the least
 * other work: interference only slows a step down. In rate, then configuration, order. */
static size_t pick_best(const struct result *res, size_t n, struct result *best)
{
	size_t nb = 0;

	for (size_t k = 0; k < o.n_rates; k++)
		for (int m = 0; m < M_NR; m++) {
			const struct result *pick = NULL;

			for (size_t i = 0; i < n; i++) {
				const struct result *r = &res[i];

				if (r->m != (enum mode)m || r->target != o.rates[k])
					continue;
				if (!pick ||
				    r->other_s / r->total_s < pick->other_s / pick->total_s)
					pick = r;
			}
			if (pick)
				best[nb++] = *pick;
		}
	return nb;
}

/* The baselines for the file sink: what write()s of 1 MiB from one reused buffer get into a new
 * file in the scratch directory, per second (the file is removed after), plain or written behind
 * as the sinks write (user/export/writebehind.h). They bound any writer of files here, warden's or
 * not; on VMs whose fresh memory the host supplies on first touch, plain writes into the page cache
 * are far below the memory's and the disk's speed. Returns bytes/s, or 0. */
static double write_ceiling(const char *dir, uint64_t bytes, bool behind)
{
	static uint8_t buf[1 << 20];
	char path[PATH_MAX];
	uint64_t t0, left = bytes;
	struct wd_wb wb;
	double secs;
	int fd;

	snprintf(path, sizeof(path), "%s/ceiling", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	memset(buf, 0x5a, sizeof(buf));
	wd_wb_init(&wb);
	if (behind)
		wd_wb_file(&wb, fd, 0);
	t0 = now_ns();
	while (left) {
		ssize_t k = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (k <= 0)
			break;
		left -= (uint64_t)k;
		if (behind)
			wd_wb_advance(&wb, bytes - left);
	}
	secs = (double)(now_ns() - t0) / 1e9;
	wd_wb_destroy(&wb);
	close(fd);
	unlink(path);
	return left || secs <= 0 ? 0 : (double)bytes / secs;
}

/* [0]: plain, [1]: written behind */
static double ceiling_before[2], ceiling_after[2];

static void print_ceiling(const char *when, const double bps[2], double rec_bytes)
{
	static const char *const how[2] = {"plain", "written behind"};
	char a[16];

	for (int i = 0; i < 2; i++) {
		printf("  %-6s %-14s ", when, how[i]);
		if (bps[i] <= 0) {
			printf("could not be measured\n");
			continue;
		}
		printf("%6.0f MB/s", bps[i] / 1e6);
		if (rec_bytes > 0)
			printf(" = %s events/s of %.0f bytes",
			       fmt_rate(a, sizeof(a), bps[i] / rec_bytes), rec_bytes);
		printf("\n");
	}
}

static void print_summary(const struct result *res, size_t n)
{
	printf("\n");
	for (int m = 0; m < M_NR; m++) {
		double best_free = 0, best_free_deliv = 0, first_loss = 0, max_deliv = 0;
		double prod_ns = 0;

		if (!o.mode[m])
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct result *r = &res[i];
			double off = (double)r->produced / r->run_s;
			double deliv = (double)r->delivered / r->total_s;

			if (r->m != (enum mode)m)
				continue;
			if (deliv > max_deliv)
				max_deliv = deliv;
			if (r->klost || r->lost_pipe) {
				if (!first_loss || off < first_loss)
					first_loss = off;
			} else if (off > best_free) {
				best_free = off;
				best_free_deliv = deliv;
			}
			if (!r->target && m == M_RB)
				prod_ns = r->prod_cpu_s * 1e9 / (double)r->produced;
		}
		char a[16], b2[16], c[16], d[16];

		if (best_free > 0)
			printf("%-9s no loss up to %s events/s offered (%s/s delivered); ",
			       mode_name[m], fmt_rate(a, sizeof(a), best_free),
			       fmt_rate(b2, sizeof(b2), best_free_deliv));
		else
			printf("%-9s loss at every step; ", mode_name[m]);
		if (first_loss)
			printf("loss from %s/s offered; ", fmt_rate(c, sizeof(c), first_loss));
		else
			printf("no loss at any step; ");
		printf("most delivered: %s/s\n", fmt_rate(d, sizeof(d), max_deliv));
		if (prod_ns > 0)
			printf("%-9s producer cost, unpaced: %.0f ns CPU per event (getppid + "
			       "tracepoint "
			       "+ BPF program), per producer thread\n",
			       "", prod_ns);
	}
	if (ceiling_before[0] > 0 || ceiling_after[0] > 0 || ceiling_before[1] > 0 ||
	    ceiling_after[1] > 0) {
		uint64_t fb = 0, fr = 0;

		for (size_t i = 0; i < n; i++) {
			fb += res[i].file_bytes;
			fr += res[i].file_records;
		}
		printf("baselines for the file sink: write()s of %u MiB into a new file in the "
		       "scratch directory",
		       o.ceiling_mib);
		if (fr)
			printf(" (the file sink's records: %.0f bytes each on average)",
			       (double)fb / fr);
		printf("\n");
		print_ceiling("before", ceiling_before, fr ? (double)fb / fr : 0);
		print_ceiling("after", ceiling_after, fr ? (double)fb / fr : 0);
	}
	/* The stages' costs where the consumer is busiest: the unpaced step. */
	double prev = 0;
	bool any = false;

	for (int m = 0; m < M_NR; m++)
		for (size_t i = 0; i < n; i++) {
			const struct result *r = &res[i];
			double ns;

			if (r->m != (enum mode)m || r->target || r->produced <= r->klost)
				continue;
			ns = r->cons_cpu_s * 1e9 / (double)(r->produced - r->klost);
			if (!any)
				printf("CPU per event on the consumer's CPU, unpaced step "
				       "(capacity at "
				       "100%%):\n");
			printf("  %-9s %6.0f ns", mode_name[m], ns);
			if (any)
				printf(" (%+6.0f)", ns - prev);
			else
				printf("%9s", "");
			printf("  %.2fM/s\n", 1e3 / ns);
			prev = ns;
			any = true;
		}
}

/* ---- Setup ---------------------------------------------------------------------------------- */

static int parse_rates(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	o.n_rates = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		double v;

		if (o.n_rates == MAX_RATES)
			goto bad;
		if (!strcmp(tok, "max")) {
			o.rates[o.n_rates++] = 0;
			continue;
		}
		v = strtod(tok, &end);
		if (end == tok || v <= 0)
			goto bad;
		if (*end == 'k' || *end == 'K')
			v *= 1e3, end++;
		else if (*end == 'm' || *end == 'M')
			v *= 1e6, end++;
		if (*end)
			goto bad;
		o.rates[o.n_rates++] = (uint64_t)v;
	}
	free(copy);
	return o.n_rates ? 0 : -EINVAL;
bad:
	free(copy);
	return -EINVAL;
}

static unsigned long parse_num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "evbench: %s: '%s' is not a number up to %lu\n", what, s, max);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: evbench --dir DIR [OPTIONS]\n"
		"\n"
		"Events from a BPF producer through the ring buffer to warden's sinks, at rising\n"
		"rates; see bench/README.md. Run as root, through bench/events.\n"
		"\n"
		"  --dir DIR         scratch directory (files of each step are made and removed "
		"there)\n"
		"  --modes LIST      rb,convert,file,all (default: all four). rb: the ring buffer\n"
		"                    alone; convert: + wd_event_to_pb() and packing, no sink\n"
		"  --rates LIST      events/s per step, k and M suffixes, max: unpaced\n"
		"                    (default 50k,100k,250k,500k,1M,1.5M,2M,3M,max)\n"
		"  --time-ms MS      producing time per step (default 2000)\n"
		"  --rounds N        run every step N times, odd rounds backwards; report each "
		"step's\n"
		"                    least disturbed round (lowest other%%) (default 1)\n"
		"  --producers N     producer threads (default 1), on the CPUs other than --cpu\n"
		"  --burst K         records the BPF program emits per getppid() (default 16)\n"
		"  --wakeup-kib N    BPF: wake the consumer only once N KiB wait (default 0: as\n"
		"                    warden, when the consumer had caught up); it polls every 10 "
		"ms\n"
		"  --cpu N           the consumer's CPU (default 0); the sink threads share it\n"
		"  --kind file|connect  what the kernel reports (default file: a denied read)\n"
		"  --proc cache|procfs|none  how /proc is read for events (default cache)\n"
		"  --rb-mib N        ring buffer size (default 32, as warden's)\n"
		"  --queue-mib N     each sink's queue (default: the pipeline's: 256 MiB file, 64 "
		"MiB others)\n"
		"  --rotate-mib N    rotate the file and JSON sinks at N MiB (default: never)\n"
		"  --ceiling-mib N   the file sink's baselines: N MiB of write()s into a new file\n"
		"                    in DIR, plain and written behind, before and after the steps\n"
		"                    (default 2048; 0: no)\n"
		"  --keep            keep each step's files\n"
		"\n"
		"EXAMPLES:\n"
		"  evbench --dir /var/tmp/x --modes rb,file --rates 1M,max --time-ms 500\n"
		"\n"
		"Exit status: 0 every event accounted for, 1 a check failed, 2 usage or setup.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int load_bpf(struct bench *b)
{
	struct bench_events_bpf *s = bench_events_bpf__open();
	const char *exe = "/usr/bin/python3.11", *path = "/home/runner/.aws/credentials";
	int err;

	if (!s)
		return -errno;
	b->skel = s;
	s->rodata->bench_tgid = (uint32_t)getpid();
	s->rodata->bench_type = o.kind;
	s->rodata->bench_decision = o.kind == WD_EV_CONNECT ? WD_DEC_ALLOW : WD_DEC_DENY;
	s->rodata->bench_rule_id = o.kind == WD_EV_CONNECT ? 9 : 7;
	s->rodata->bench_burst = o.burst;
	s->rodata->bench_wakeup_bytes = o.wakeup_kib << 10;
	snprintf(s->rodata->bench_exe, sizeof(s->rodata->bench_exe), "%s", exe);
	snprintf(s->rodata->bench_path, sizeof(s->rodata->bench_path), "%s", path);
	err = bpf_map__set_max_entries(s->maps.wd_bench_ev, o.rb_mib << 20);
	if (err)
		return err;
	err = bench_events_bpf__load(s);
	if (err) {
		fprintf(stderr, "evbench: cannot load the BPF producer: %s\n", strerror(-err));
		return err;
	}
	err = bench_events_bpf__attach(s);
	if (err) {
		fprintf(stderr,
			"evbench: cannot attach to tracepoint syscalls/sys_enter_getppid: %s%s\n",
			strerror(-err),
			err == -ENOENT ? " (is tracefs mounted? mount -t tracefs tracefs "
					 "/sys/kernel/tracing)"
				       : "");
		return err;
	}
	b->rb = wd_ringbuf_new(bpf_map__fd(s->maps.wd_bench_ev), on_record, b);
	if (!b->rb)
		return -errno;
	b->ncpu = libbpf_num_possible_cpus();
	if (b->ncpu <= 0)
		return -EINVAL;
	b->percpu = calloc((size_t)b->ncpu, sizeof(uint64_t));
	return b->percpu ? 0 : -ENOMEM;
}

static void setup_ctx(struct bench *b)
{
	static const struct wd_label labels[] = {
		{"repo", "acme/api"}, {"job", "8812"}, {"runner", "ci-runner-17"}};
	static const char sandbox[] = "sb-0e7b1c5a9f3d2e41";
	struct timespec rt, bt;

	gethostname(b->node, sizeof(b->node) - 1);
	if (wd_boot_id(b->boot_id, sizeof(b->boot_id)))
		b->boot_id[0] = '\0';
	b->view.inside[0] = (uint32_t)getpid();
	b->view.inside[1] = (uint32_t)getppid();
	snprintf(b->view.sandbox_cgroup, sizeof(b->view.sandbox_cgroup), "/warden/%s", sandbox);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	b->ctx = (struct wd_event_ctx){
		.identity = "ci:acme/api#8812",
		.labels = labels,
		.n_labels = sizeof(labels) / sizeof(labels[0]),
		.sandbox_id = sandbox,
		.cgroup_path = b->view.sandbox_cgroup,
		.policy_name = "policies/ci.yaml",
		.node = b->node,
		.boot_id = b->boot_id,
		.boot_to_wall_ns = ((int64_t)rt.tv_sec - (int64_t)bt.tv_sec) * 1000000000LL +
				   (rt.tv_nsec - bt.tv_nsec),
		.rule_text = bench_rule_text,
		.proc_lookup = o.proc == PROC_NONE ? NULL : bench_proc_lookup,
		.proc_lookup_arg = &b->view,
		.node_seq = &b->node_seq,
		.sandbox_seq = &b->sandbox_seq,
		.gen = wd_event_ctx_gen(),
	};
	/* warden's own pid cache, as the daemon keeps it (250 ms), read through the view. */
	if (o.proc == PROC_CACHE && b->pc) {
		wd_proc_cache_set_reader(b->pc, bench_proc_read, &b->view);
		wd_proc_cache_ctx(b->pc, &b->ctx);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"modes", required_argument, NULL, 'm'},
		{"rates", required_argument, NULL, 'r'},
		{"time-ms", required_argument, NULL, 't'},
		{"producers", required_argument, NULL, 'p'},
		{"cpu", required_argument, NULL, 'c'},
		{"kind", required_argument, NULL, 'k'},
		{"proc", required_argument, NULL, 'P'},
		{"rb-mib", required_argument, NULL, 'R'},
		{"queue-mib", required_argument, NULL, 'Q'},
		{"rotate-mib", required_argument, NULL, 'O'},
		{"ceiling-mib", required_argument, NULL, 'C'},
		{"keep", no_argument, NULL, 'K'},
		{"rounds", required_argument, NULL, 'N'},
		{"burst", required_argument, NULL, 'B'},
		{"wakeup-kib", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct bench bench;
	struct bench *b = &bench;
	struct result *res, *best;
	size_t n_res = 0, n_best = 0;
	cpu_set_t me;
	int opt, err, nconf, others = 0, failed = 0;
	bool any_mode = false;
	struct sigaction sa = {.sa_handler = on_signal};

	if (parse_rates("50k,100k,250k,500k,1M,1.5M,2M,3M,max"))
		return 2;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o.dir = optarg;
			break;
		case 'm': {
			char *copy = strdup(optarg), *tok, *save = NULL;

			memset(o.mode, 0, sizeof(o.mode));
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (!strcmp(tok, "rb"))
					o.mode[M_RB] = true;
				else if (!strcmp(tok, "convert"))
					o.mode[M_CONV] = true;
				else if (!strcmp(tok, "file"))
					o.mode[M_FILE] = true;
				else if (!strcmp(tok, "all"))
					o.mode[M_ALL] = true;
				else {
					fprintf(stderr, "evbench: unknown mode '%s'\n", tok);
					return 2;
				}
			}
			free(copy);
			any_mode = true;
			break;
		}
		case 'r':
			if (parse_rates(optarg)) {
				fprintf(stderr, "evbench: bad --rates '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			o.time_ms = (unsigned)parse_num(optarg, "--time-ms", 3600000);
			break;
		case 'p':
			o.producers = (unsigned)parse_num(optarg, "--producers", MAX_PRODUCERS);
			break;
		case 'c':
			o.cpu = (int)parse_num(optarg, "--cpu", CPU_SETSIZE - 1);
			break;
		case 'k':
			if (!strcmp(optarg, "file"))
				o.kind = WD_EV_FILE;
			else if (!strcmp(optarg, "connect"))
				o.kind = WD_EV_CONNECT;
			else {
				fprintf(stderr, "evbench: --kind is file or connect\n");
				return 2;
			}
			break;
		case 'P':
			if (!strcmp(optarg, "cache"))
				o.proc = PROC_CACHE;
			else if (!strcmp(optarg, "procfs"))
				o.proc = PROC_PROCFS;
			else if (!strcmp(optarg, "none"))
				o.proc = PROC_NONE;
			else {
				fprintf(stderr, "evbench: --proc is cache, procfs or none\n");
				return 2;
			}
			break;
		case 'R':
			o.rb_mib = (unsigned)parse_num(optarg, "--rb-mib", 1024);
			break;
		case 'Q':
			o.queue_mib = (unsigned)parse_num(optarg, "--queue-mib", 4096);
			break;
		case 'C':
			o.ceiling_mib = (unsigned)parse_num(optarg, "--ceiling-mib", 1 << 20);
			break;
		case 'O':
			o.rotate_mib = (unsigned)parse_num(optarg, "--rotate-mib", 1 << 20);
			break;
		case 'K':
			o.keep = true;
			break;
		case 'N':
			o.rounds = (unsigned)parse_num(optarg, "--rounds", 100);
			break;
		case 'B':
			o.burst = (unsigned)parse_num(optarg, "--burst", 64);
			break;
		case 'W':
			o.wakeup_kib = (unsigned)parse_num(optarg, "--wakeup-kib", 1 << 20);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !o.dir || !o.producers || !o.time_ms || !o.rb_mib || !o.burst ||
	    !o.rounds || (o.rb_mib & (o.rb_mib - 1))) {
		if (o.rb_mib & (o.rb_mib - 1))
			fprintf(stderr, "evbench: --rb-mib must be a power of 2\n");
		usage(stderr);
		return 2;
	}
	if (!any_mode)
		o.mode[M_RB] = o.mode[M_CONV] = o.mode[M_FILE] = o.mode[M_ALL] = true;

	const ProtobufCFieldDescriptor *fh = protobuf_c_message_descriptor_get_field_by_name(
		&warden__v1__event__descriptor, "header");
	const ProtobufCFieldDescriptor *fl = protobuf_c_message_descriptor_get_field_by_name(
		&warden__v1__event__descriptor, "lifecycle");
	if (!fh || !fl)
		return 2;
	fid_header = fh->id;
	fid_lifecycle = fl->id;

	/* The consumer and, inheriting its affinity, the pipeline's sink threads on one CPU; the
	 * producers and the collector on the others. */
	nconf = (int)sysconf(_SC_NPROCESSORS_ONLN);
	CPU_ZERO(&me);
	CPU_SET(o.cpu, &me);
	if (o.cpu >= nconf || sched_setaffinity(0, sizeof(me), &me)) {
		fprintf(stderr, "evbench: cannot run on CPU %d\n", o.cpu);
		return 2;
	}
	CPU_ZERO(&b->others);
	for (int c = 0; c < nconf && c < CPU_SETSIZE; c++)
		if (c != o.cpu) {
			CPU_SET(c, &b->others);
			others++;
		}
	b->have_others = others > 0;
	/* As a deployment's scheduler would, compression goes to wherever the consumer is not. */
	if (b->have_others)
		wd_bg_set_cpus(&b->others);
	if (!others)
		fprintf(stderr, "evbench: one CPU only: producers share the consumer's CPU\n");

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	libbpf_set_print(NULL);
	if (o.proc == PROC_CACHE && !(b->pc = wd_proc_cache_new(250))) {
		fprintf(stderr, "evbench: out of memory\n");
		return 2;
	}
	setup_ctx(b); /* calls getppid(): before the producer is attached */
	err = load_bpf(b);
	if (err) {
		if (err != -ENOENT)
			fprintf(stderr, "evbench: BPF setup failed: %s\n", strerror(-err));
		return 2;
	}
	b->pb = malloc(sizeof(*b->pb));
	b->pk = wd_pb_packer_new();
	res = calloc((size_t)M_NR * o.n_rates * o.rounds, sizeof(*res));
	best = calloc((size_t)M_NR * o.n_rates, sizeof(*best));
	if (!b->pb || !b->pk || !res || !best)
		return 2;

	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	for (unsigned i = 0; i < o.producers; i++) {
		struct producer *p = &b->prod[i];
		pthread_attr_t attr;
		cpu_set_t one;
		int k = 0, cpu = o.cpu;

		/* Round robin over the other CPUs. */
		for (int c = 0; c < nconf; c++)
			if (CPU_ISSET(c, &b->others) && k++ == (int)(i % (unsigned)others)) {
				cpu = c;
				break;
			}
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		p->b = b;
		err = pthread_create(&p->th, &attr, producer_main, p);
		pthread_attr_destroy(&attr);
		if (err || pthread_getcpuclockid(p->th, &p->clk)) {
			fprintf(stderr, "evbench: cannot start producer threads\n");
			return 2;
		}
	}
	if (o.mode[M_ALL]) {
		err = collector_start(&b->col, o.dir, b->have_others ? &b->others : NULL);
		if (err) {
			fprintf(stderr, "evbench: cannot start the collector: %s\n",
				strerror(-err));
			return 2;
		}
	}

	printf("%u producer thread(s), %u record(s) per getppid(); consumer on CPU %d; %s events "
	       "(%zu bytes each in a %u MiB ring buffer); wake-ups: %s; /proc: %s; %u ms per "
	       "step\n",
	       o.producers, o.burst, o.cpu, o.kind == WD_EV_CONNECT ? "connect" : "file",
	       o.kind == WD_EV_CONNECT ? (size_t)WD_EVENT_SHORT_SIZE : sizeof(struct wd_event),
	       o.rb_mib, o.wakeup_kib ? "batched" : "as warden",
	       o.proc == PROC_CACHE    ? "pid cache"
	       : o.proc == PROC_PROCFS ? "read each time"
				       : "not read",
	       o.time_ms);
	err = 0;
	if (o.ceiling_mib && (o.mode[M_FILE] || o.mode[M_ALL]))
		for (int i = 0; i < 2; i++)
			ceiling_before[i] = write_ceiling(o.dir, (uint64_t)o.ceiling_mib << 20, i);
	/* Odd rounds run the steps backwards, so that a drift of the machine weighs on all. */
	for (unsigned round = 0; round < o.rounds && !interrupted && !err; round++) {
		if (o.rounds > 1)
			printf("%sround %u of %u\n", round ? "\n" : "", round + 1, o.rounds);
		print_header();
		for (size_t k = 0; k < o.n_rates && !interrupted && !err; k++) {
			size_t i = round % 2 ? o.n_rates - 1 - k : k;

			for (int mm = 0; mm < M_NR && !interrupted; mm++) {
				int m = round % 2 ? M_NR - 1 - mm : mm;
				struct result *r = &res[n_res];

				if (!o.mode[m])
					continue;
				err = run_step(b, (enum mode)m, o.rates[i], (unsigned)n_res, r);
				if (err) {
					fprintf(stderr, "evbench: step failed: %s\n",
						strerror(-err));
					failed = 1;
					break;
				}
				n_res++;
				print_row(r, find_rb(res, n_res, r));
				if (!r->ok)
					failed = 1;
			}
		}
	}
	for (size_t i = 0; i < n_res; i++)
		if (!res[i].ok) {
			char t[16];

			printf("FAIL %s at %s: %s\n", mode_name[res[i].m],
			       res[i].target ? fmt_rate(t, sizeof(t), (double)res[i].target)
					     : "max",
			       res[i].why);
		}
	if (o.rounds > 1) {
		n_best = pick_best(res, n_res, best);
		printf("\nleast disturbed of %u rounds (lowest other%%) for each step\n", o.rounds);
		print_header();
		for (size_t i = 0; i < n_best; i++)
			print_row(&best[i], find_rb(best, n_best, &best[i]));
	} else {
		memcpy(best, res, n_res * sizeof(*res));
		n_best = n_res;
	}
	if (o.ceiling_mib && (o.mode[M_FILE] || o.mode[M_ALL]) && !interrupted)
		for (int i = 0; i < 2; i++)
			ceiling_after[i] = write_ceiling(o.dir, (uint64_t)o.ceiling_mib << 20, i);
	print_sinks(best, n_best);
	print_summary(best, n_best);
	if (b->pc) {
		uint64_t reads, hits;

		wd_proc_cache_stats(b->pc, &reads, &hits);
		printf("pid cache: %" PRIu64 " hits, %" PRIu64
		       " /proc reads (processes are looked up "
		       "again only when their packed form no longer holds)\n",
		       hits, reads);
	}

	pthread_mutex_lock(&b->mu);
	b->quit = true;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	for (unsigned i = 0; i < o.producers; i++)
		pthread_join(b->prod[i].th, NULL);
	collector_stop(&b->col);
	tally_free(&b->file_tally);
	wd_ringbuf_free(b->rb);
	bench_events_bpf__destroy(b->skel);
	free(b->percpu);
	free(b->pb);
	wd_pb_packer_free(b->pk);
	wd_proc_cache_free(b->pc);
	free(res);
	free(best);
	if (interrupted)
		return 130;
	return failed;
}
