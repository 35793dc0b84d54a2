/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of evbench share (bench/evbench/): the options, the benchmark's state and a
 * step's result, the accounting of what a reader got back, the collector, and the functions
 * each file gives the others. See main.c for what the benchmark does. */
#ifndef EVBENCH_H
#define EVBENCH_H

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

/* The options (main.c). */
struct opts {
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
};
extern struct opts o;

extern volatile sig_atomic_t interrupted; /* SIGINT or SIGTERM (main.c) */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cpu_ns(clockid_t clk)
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

/* ---- The collector: the other end of the stream and syslog sinks ---------------------------- */

enum { C_STREAM, C_SYSLOG, C_NR };

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

/* ---- The pid cache warden's consumer is expected to keep ------------------------------------ */

struct proc_view {
	uint32_t inside[2]; /* shown inside the sandbox: the benchmark and its parent */
	char sandbox_cgroup[64];
};

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

/* ---- Across the files ---------------------------------------------------------------------- */

/* accounting.c: tallies, reading the sinks back, and the checks of a step. */
int tally_fields_init(void);
void tally_reset(struct tally *t);
void tally_free(struct tally *t);
void tally_record(struct tally *t, const uint8_t *rec, size_t len);
int read_file_sink(const char *dir, struct tally *t);
int count_lines(const char *dir, uint64_t *lines);
void check_tallied(struct result *r, struct sink_result *s);
void check_counted(struct sink_result *s);

/* collector.c */
int collector_start(struct collector *c, const char *dir, const cpu_set_t *cpus);
void collector_stop(struct collector *c);
bool collector_idle(struct collector *c);

/* producer.c: the BPF producer and its threads. */
int load_bpf(struct bench *b);
void *producer_main(void *arg);
uint64_t percpu_sum(struct bench *b, struct bpf_map *map);

/* consumer.c: warden's side, from the ring buffer to the pipeline. */
void setup_ctx(struct bench *b);
int on_record(void *arg, void *data, size_t size);
int consume(struct bench *b);
void kernel_loss(struct bench *b);

/* cpu.c: where the CPU time went. */
uint64_t cpu_busy_ns(int cpu);
uint64_t thread_cpu_ns(pid_t tid);
uint64_t bg_cpu(const struct result *r, enum bg_kind kind);
void find_sink_threads(struct bench *b, struct result *r);
uint64_t consumer_cpu(struct bench *b, uint64_t *prod);

/* steps.c */
int run_step(struct bench *b, enum mode m, uint64_t rate, unsigned step, struct result *r);
double write_ceiling(const char *dir, uint64_t bytes, bool behind);

/* report.c */
extern double ceiling_before[2], ceiling_after[2]; /* [0]: plain, [1]: written behind */
const char *fmt_rate(char *buf, size_t size, double v);
void print_header(void);
void print_row(const struct result *r, const struct result *rb);
void print_sinks(const struct result *res, size_t n);
const struct result *find_rb(const struct result *res, size_t n, const struct result *r);
size_t pick_best(const struct result *res, size_t n, struct result *best);
void print_summary(const struct result *res, size_t n);

#endif
