/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Metrics for Prometheus: a writer of the text exposition format 0.0.4 (prom.c), and a small
 * HTTP/1.0 server (http.c) answering GET /metrics on a loopback address, driven by the daemon's
 * epoll loop through one file descriptor. Nothing here prints. */
#ifndef WD_METRICS_H
#define WD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define WD_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define WD_PROM_NAME_MAX     128
#define WD_METRICS_ADDR	     "127.0.0.1:9464"
#define WD_METRICS_ERR_MAX   256

/* --- The exposition format -------------------------------------------------------------- */

enum wd_prom_type { WD_PROM_COUNTER, WD_PROM_GAUGE, WD_PROM_UNTYPED };

struct wd_prom_label {
	const char *name;
	const char *value; /* any bytes: escaped, invalid UTF-8 replaced by U+FFFD */
};

/* Writes one metric family after the other: wd_prom_family() (its # HELP and # TYPE lines),
 * then its samples. The first error sticks: later calls write nothing and return it. */
struct wd_prom {
	FILE *f; /* a file, or a caller buffer through fmemopen(3) or open_memstream(3) */
	int err;
	char family[WD_PROM_NAME_MAX + 1];
};

void wd_prom_init(struct wd_prom *w, FILE *f);

/* Starts the family @name ([a-zA-Z_:][a-zA-Z0-9_:]*; counters by convention end in _total).
 * @help is one line of text (backslashes and newlines are escaped). Returns 0, -EINVAL for a bad
 * name, or -EIO when the stream failed. */
int wd_prom_family(struct wd_prom *w, const char *name, enum wd_prom_type type, const char *help);

/* One sample of the current family with @n labels (names [a-zA-Z_][a-zA-Z0-9_]*, not starting
 * with "__", each once). Returns 0, -EINVAL (no family yet, a bad or repeated label name), or
 * -EIO. Integers are written exactly; doubles as %.17g, NaN, +Inf or -Inf. */
int wd_prom_sample(struct wd_prom *w, const struct wd_prom_label *labels, size_t n, double value);
int wd_prom_sample_u64(struct wd_prom *w, const struct wd_prom_label *labels, size_t n,
		       uint64_t value);

/* The first error so far (0 if none). */
int wd_prom_error(const struct wd_prom *w);

/* Writes @s as a label value (escape = true: backslash, double quote and newline escaped) or as
 * HELP text (escape = false: backslash and newline only), invalid UTF-8 replaced by U+FFFD.
 * Returns 0 or -EIO. */
int wd_prom_write_escaped(FILE *f, const char *s, bool label_value);

/* --- The HTTP server -------------------------------------------------------------------- */

struct wd_metrics_srv;

struct wd_metrics_opts {
	/* "127.0.0.1:9464", "[::1]:9464" or "localhost:9464" (no name lookups); port 0 lets
	 * the kernel choose (wd_metrics_port). NULL: WD_METRICS_ADDR. */
	const char *addr;
	/* Bind a non-loopback address too. Off, such an address is refused: anyone on the
	 * network could read the metrics, which name identities and sandboxes. */
	bool allow_remote;
	/* Writes every family, per scrape. Its non-zero return answers 500. */
	int (*collect)(struct wd_prom *w, void *arg);
	void *arg;
	unsigned timeout_ms; /* a scrape must be read and answered in this time; 0: 5 s */
	unsigned max_conns;  /* more are answered 503; 0: 16 */
};

/* Parses an address as wd_metrics_opts.addr. Returns 0 (with @loopback set), or -EINVAL. */
int wd_metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			  bool *loopback);

/* Listens. Returns 0, or -errno with @err (-EPERM for a non-loopback address not allowed,
 * -EADDRINUSE, ...). */
int wd_metrics_open(struct wd_metrics_srv **out, const struct wd_metrics_opts *o, char *err,
		    size_t size);

/* One descriptor for the daemon's epoll (EPOLLIN): an epoll of the listening socket and the
 * connections. */
int wd_metrics_fd(const struct wd_metrics_srv *s);

/* The bound port. */
uint16_t wd_metrics_port(const struct wd_metrics_srv *s);

/* Accepts, reads, answers and closes whatever is ready, and drops connections whose deadline
 * passed; never waits. Call when wd_metrics_fd() is readable and at wd_metrics_deadline().
 * Returns 0, or the first -errno worth logging (with @err); it keeps serving either way. */
int wd_metrics_handle(struct wd_metrics_srv *s, char *err, size_t size);

/* CLOCK_MONOTONIC ns of the earliest connection deadline; 0 when none is open. */
uint64_t wd_metrics_deadline(const struct wd_metrics_srv *s);

/* How many scrapes were answered 200 (a number for the daemon's own metrics and tests). */
uint64_t wd_metrics_scrapes(const struct wd_metrics_srv *s);

void wd_metrics_close(struct wd_metrics_srv *s);

#endif
