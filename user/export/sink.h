/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sinks: where events go. Each configured sink has its own bounded queue and its own thread
 * (user/export/pipeline.c), so a slow or dead sink never blocks the ring buffer consumer nor the
 * other sinks. What a sink cannot take while its queue is full is counted, and the sink itself
 * later receives an EVENTS_LOST event naming how many and which seq range. */
#ifndef WD_SINK_H
#define WD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/v1/event.pb-c.h"

enum wd_sink_kind {
	WD_SINK_FILE = 1,   /* length-delimited protobuf files, rotated, gzip, retention */
	WD_SINK_STREAM = 2, /* length-delimited protobuf over a unix or TCP socket */
	WD_SINK_SYSLOG = 3, /* RFC 5424 over TCP, octet-counting framing (RFC 6587) */
	WD_SINK_JSONL = 4,  /* JSON lines in a file (warden's JSON or OCSF-shaped) */
	WD_SINK_KIND_END,   /* one past the last: a new kind goes above, with its row in
			     * user/export/sinks.c */
};

enum wd_json_format {
	WD_JSON_WARDEN = 0, /* the proto3 JSON mapping of warden.v1.Event */
	WD_JSON_OCSF = 1,   /* OCSF-shaped: classes 1007, 1001, 4001 */
};

/* Takes a status message of the pipeline or one of its sinks ("Connection refused; reconnecting
 * in 4 s", "working again", "120 events were not delivered ..."), for the pipeline's owner to
 * log with its own prefix, e.g. "warden daemon: sink @sink: @msg". Library code does not print.
 * Called from the sinks' threads, concurrently, and from the thread that closes the pipeline. */
typedef void wd_sink_log_fn(void *arg, const char *sink, const char *msg);

/* One sink as the config file describes it (user/config/config.c fills it; docs/config.md). Strings
 * are owned by the config. Zero means "not set" for every number. */
struct wd_sink_cfg {
	char *name; /* unique among the sinks: [A-Za-z0-9_.-]{1,64} */
	enum wd_sink_kind kind;
	int line, col;	      /* where the sink is in the config file (for messages) */
	uint64_t queue_bytes; /* bound of the queue in front of the sink (default 64 MiB, 256 MiB
			       * for a file sink) */

	/* file, jsonl */
	char *dir;		  /* file: the directory (created 0750 if missing) */
	char *path;		  /* jsonl: the file */
	uint64_t max_bytes;	  /* rotate at this size */
	uint64_t max_age_ns;	  /* rotate at this age */
	uint64_t keep_bytes;	  /* retention: total bytes */
	uint64_t keep_age_ns;	  /* retention: age of rotated segments */
	unsigned keep_files;	  /* retention: rotated segments */
	int gzip_level;		  /* 1..9 */
	enum wd_json_format json; /* jsonl (and stream? no: stream is always protobuf) */

	/* stream, syslog */
	char *address; /* "unix:/path" or "tcp:HOST:PORT" ("tcp:[v6]:PORT") */
	bool ack;      /* stream: the collector acknowledges; resend what it did not ack */
	uint64_t reconnect_min_ns, reconnect_max_ns; /* backoff bounds (100 ms, 30 s) */

	/* syslog */
	char *app_name; /* APP-NAME (default "warden") */
	char *hostname; /* HOSTNAME (default: the node name) */
	int facility;	/* 0..23 (default 13, log audit; written as a number) */

	/* Set by code, never by the config: a backend of the caller's own (tests, embedders),
	 * used instead of the one @kind names. The pipeline closes it like any other. */
	const struct wd_sink_ops *ops;
	void *impl;
	/* Set by code: where the sink's status messages go (NULL: stderr). The pipeline sets it
	 * from its own config (struct wd_pipeline_cfg) for the sinks that have none. */
	wd_sink_log_fn *log;
	void *log_arg;
};

/* Where a sink keeps what wd_sink_logf() needs: set once from its config. */
struct wd_sink_log {
	wd_sink_log_fn *fn;
	void *arg;
	char sink[72]; /* the sink's name */
};

void wd_sink_log_init(struct wd_sink_log *l, const struct wd_sink_cfg *c);

/* Reports a status message of a sink through its log function. Without one it goes to stderr
 * in the words it always had: "warden: " @legacy MSG, or "warden: sink NAME: MSG" when @legacy
 * is NULL (user/export/sink_log.c). */
__attribute__((format(printf, 3, 4))) void wd_sink_logf(const struct wd_sink_log *l,
							const char *legacy, const char *fmt, ...);

/* What a backend does, called only from its sink's thread. A backend may block inside a call,
 * but not for long (a second or two at most): the pipeline's shutdown waits for it. */
struct wd_sink_ops {
	const char *kind; /* "file", "stream", "syslog", "jsonl" */
	/* Whether write() wants the decoded message as well as its bytes. */
	bool wants_event;
	/* Takes one record: @msg/@len is the packed warden.v1.Event without a length prefix; @ev
	 * the decoded message when wants_event (else NULL). Returns 0 when taken (delivered or
	 * buffered by the backend; from then on the backend answers for it); -EAGAIN when it
	 * cannot take it now (not connected, the peer is not reading): the pipeline keeps the
	 * record at the head of the queue and calls write() again later, after tick(); any other
	 * -errno: this record can never be taken (it is dropped and counted as lost). */
	int (*write)(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev);
	/* Called when the queue runs empty: push buffered bytes out. Returns 0 or -errno. */
	int (*flush)(void *impl);
	/* About ten times a second, and before each retry after -EAGAIN: rotation, retention,
	 * reconnects with backoff. @now_ns is CLOCK_REALTIME. Returns 0 or -errno (reported). */
	int (*tick)(void *impl, uint64_t now_ns);
	/* One line of state for people: "connected to tcp:10.0.0.5:6514", "reconnecting in 4 s:
	 * Connection refused", "writing /var/log/warden/events.pb (12 MiB)". */
	void (*describe)(void *impl, char *buf, size_t size);
	/* Flushes what it can within about a second, then frees. Returns how many records it
	 * took but knows were not delivered (sent and never acknowledged, say), which the
	 * pipeline counts as lost. */
	uint64_t (*close)(void *impl);
};

/* A backend constructor: validates @c (errors as text in @err), and on success stores its ops
 * and state. @node is the node name. Returns 0 or -errno. */
typedef int wd_sink_backend_fn(const struct wd_sink_cfg *c, const char *node,
			       const struct wd_sink_ops **ops, void **impl, char *err,
			       size_t err_size);

/* The backend constructors (user/export/sinks.c names each in its kind's row). */
int wd_sink_file_backend(const struct wd_sink_cfg *c, const char *node,
			 const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size);
int wd_sink_stream_backend(const struct wd_sink_cfg *c, const char *node,
			   const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size);
int wd_sink_syslog_backend(const struct wd_sink_cfg *c, const char *node,
			   const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size);
int wd_sink_jsonl_backend(const struct wd_sink_cfg *c, const char *node,
			  const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size);

/* ---- The registry (user/export/sinks.c): one row per kind ---------------------------------- */

/* The keys of a sink in the config file (docs/config.md), in the order messages list them. */
enum wd_sink_key {
	WD_SK_NAME,
	WD_SK_TYPE,
	WD_SK_QUEUE,
	WD_SK_DIR,
	WD_SK_PATH,
	WD_SK_ROTATE,
	WD_SK_RETAIN,
	WD_SK_GZIP,
	WD_SK_FORMAT,
	WD_SK_ADDRESS,
	WD_SK_ACK,
	WD_SK_RECONNECT,
	WD_SK_APP,
	WD_SK_HOST,
	WD_SK_FACILITY,
	WD_SK_NR
};
#define WD_SK(k) (1u << WD_SK_##k)
/* Every sink takes these; name and type are required of every sink. */
#define WD_SK_COMMON (WD_SK(NAME) | WD_SK(TYPE) | WD_SK(QUEUE))

/* The keys' names as the config file spells them, indexed by enum wd_sink_key. */
extern const char *const wd_sink_keys[WD_SK_NR];

struct wd_sink_type {
	const char *name; /* its type: in the config file, its ops->kind, `warden config check` */
	enum wd_sink_kind kind;
	unsigned keys;	   /* WD_SK() of the keys it takes besides WD_SK_COMMON */
	unsigned required; /* of those, the ones it must have */
	bool tcp_only;	   /* its address must be tcp: (syslog's framing is RFC 6587's) */
	/* Whether it writes files on this node: the file it appends to (in @buf) or NULL. A
	 * sandbox must not be able to write it (it could forge or erase its own events). NULL
	 * for kinds that write no files. */
	const char *(*file)(const struct wd_sink_cfg *c, char *buf, size_t size);
	wd_sink_backend_fn *backend;
};

/* Every kind, in the order of enum wd_sink_kind. */
extern const struct wd_sink_type wd_sink_types[];
extern const size_t wd_sink_types_n;

/* The row of @kind, or of the type named @name; NULL when there is none. */
const struct wd_sink_type *wd_sink_type_of(enum wd_sink_kind kind);
const struct wd_sink_type *wd_sink_type_named(const char *name);

/* The file sink @c appends to (DIR/NAME.pb, PATH), in @buf; NULL when its kind writes no files. */
const char *wd_sink_file(const struct wd_sink_cfg *c, char *buf, size_t size);

#endif
