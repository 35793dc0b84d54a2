// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON lines sink: each event as one line of JSON (warden's proto3 mapping, or OCSF-shaped)
 * appended to PATH, rotated by size and age into gzip-compressed PATH-<UTC time>-<n>.gz, the
 * oldest of those deleted by retention (user/export/rotate.c, crash-safe). PATH only ever ends with
 * a whole line: what a failed write left of a line is cut off at once, and a torn last line a crash
 * left is cut off at the next start. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "event/ocsf.h"
#include "event/event.h"
#include "lib/json.h"
#include "export/rotate.h"
#include "export/sink.h"

#define BUF_CAP	   (1024 * 1024) /* bytes of lines between two flushes (more for one huge line) */
#define DIR_MODE   0750
#define NS_PER_SEC 1000000000ull

struct jsonl {
	struct wd_sink_cfg c; /* its numbers; its strings belong to the config */
	char *path;
	struct wd_rot rot;  /* PATH and its segments */
	uint64_t seg_start; /* wall-clock ns of the segment's first line */
	char *buf;	    /* lines not written yet */
	size_t used, cap;
	struct wd_buf line; /* one line is formatted here */

	bool leftovers;	    /* rotated segments still to compress */
	bool retention_due; /* a rotation happened since retention last ran */
	uint64_t next_retention;
	int deferred;	    /* an error of a rotation write() made, for tick() to report */
	int err, reported;  /* the last error, and the last one tick() reported */
	uint64_t recovered; /* bytes of a torn line cut off at open */
	struct wd_sink_log log;
};

/* Writes the buffered lines. On failure PATH is cut back to where it was, so that it ends with
 * a whole line, and the lines stay buffered for the next try. */
static int flush_lines(struct jsonl *s)
{
	int err = wd_rot_append(&s->rot, s->buf, s->used);

	if (!err)
		s->used = 0;
	return err;
}

static int rotate(struct jsonl *s, uint64_t now_ns)
{
	int err = flush_lines(s);

	if (err || !s->rot.size)
		return err;
	err = wd_rot_rotate(&s->rot, now_ns);
	if (!s->rot.size)
		s->retention_due = true;
	if (err)
		s->leftovers = true;
	return err;
}

/* Formats @ev as one line, newline included, in s->line; returns its length or -errno. Into
 * a plain buffer, not a stdio stream: a line is a few hundred small appends, and stdio's cost
 * per call was most of this sink's. */
static ssize_t format_line(struct jsonl *s, const Warden__V1__Event *ev)
{
	s->line.len = 0;
	if (s->c.json == WD_JSON_OCSF)
		wd_ocsf_event_json_buf(&s->line, ev);
	else
		wd_pb_event_json_buf(&s->line, ev);
	wd_buf_ch(&s->line, '\n');
	if (s->line.oom) {
		/* Not for good: the next line tries again. */
		s->line.oom = false;
		return -ENOMEM;
	}
	return (ssize_t)s->line.len;
}

static int jsonl_write(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev)
{
	struct jsonl *s = impl;
	Warden__V1__Event *own = NULL;
	ssize_t n;
	int err;

	if (!ev) {
		own = warden__v1__event__unpack(NULL, len, msg);
		if (!own)
			return -EBADMSG;
		ev = own;
	}
	n = format_line(s, ev);
	if (own)
		warden__v1__event__free_unpacked(own, NULL);
	if (n < 0)
		return (int)n;
	if (s->c.max_bytes && s->rot.size + s->used > 0 &&
	    s->rot.size + s->used + (uint64_t)n > s->c.max_bytes) {
		/* A failed rotation does not lose the line: it goes into PATH as it is. */
		err = rotate(s, wd_clock_ns(CLOCK_REALTIME));
		if (err)
			s->deferred = err;
	}
	if (s->used + (size_t)n > s->cap) {
		err = flush_lines(s);
		if (err) {
			s->err = err;
			return -EAGAIN;
		}
		if ((size_t)n > s->cap) {
			char *b = realloc(s->buf, (size_t)n);

			if (!b)
				return -EAGAIN;
			s->buf = b;
			s->cap = (size_t)n;
		}
	}
	/* A segment's age counts from its first line: an idle sink makes no tiny segments. */
	if (!s->rot.size && !s->used)
		s->seg_start = wd_clock_ns(CLOCK_REALTIME);
	memcpy(s->buf + s->used, s->line.p, (size_t)n);
	s->used += (size_t)n;
	return 0;
}

static int jsonl_flush(void *impl)
{
	struct jsonl *s = impl;
	int err = flush_lines(s);

	if (err)
		s->err = err;
	return err;
}

static int jsonl_tick(void *impl, uint64_t now_ns)
{
	struct jsonl *s = impl;
	int err = flush_lines(s), e;

	if (!err && s->c.max_age_ns && s->rot.size && now_ns >= s->seg_start + s->c.max_age_ns)
		err = rotate(s, now_ns);
	/* With compression in its own thread, every tick: its errors are reported here, and what
	 * failed or did not fit its queue is queued again. */
	if (s->leftovers || s->rot.gz) {
		e = wd_rot_finish(&s->rot);
		s->leftovers = e != 0;
		if (e && !err)
			err = e;
	}
	if (s->retention_due || now_ns >= s->next_retention) {
		e = wd_rot_retention(&s->rot, now_ns, s->used);
		if (e && !err)
			err = e;
		s->retention_due = false;
		s->next_retention = now_ns + NS_PER_SEC;
	}
	if (s->deferred && !err)
		err = s->deferred;
	s->deferred = 0;
	s->err = err;
	/* A lasting failure (a full disk) is reported once; describe() keeps saying it. */
	if (err && err == s->reported)
		return -EAGAIN;
	s->reported = err;
	return err;
}

static void jsonl_describe(void *impl, char *buf, size_t size)
{
	struct jsonl *s = impl;
	const char *fmt = s->c.json == WD_JSON_OCSF ? "OCSF" : "warden JSON";

	if (s->err)
		snprintf(buf, size, "writing %s (%s): failing: %s; %zu bytes waiting", s->path, fmt,
			 strerror(-s->err), s->used);
	else
		snprintf(buf, size, "writing %s (%s, %.1f MiB)", s->path, fmt,
			 (double)(s->rot.size + s->used) / (1024 * 1024));
}

static void jsonl_free(struct jsonl *s)
{
	wd_buf_free(&s->line);
	wd_rot_close(&s->rot);
	free(s->buf);
	free(s->path);
	free(s);
}

static uint64_t jsonl_close(void *impl)
{
	struct jsonl *s = impl;
	int err = flush_lines(s), e = wd_rot_close(&s->rot);

	if (!err)
		err = e;
	if (err)
		wd_sink_logf(&s->log, "jsonl sink ",
			     "%s: closing: %s; %zu bytes of events not written", s->path,
			     strerror(-err), s->used);
	jsonl_free(s);
	return 0;
}

static const struct wd_sink_ops jsonl_ops = {
	.kind = "jsonl",
	.wants_event = true,
	.write = jsonl_write,
	.flush = jsonl_flush,
	.tick = jsonl_tick,
	.describe = jsonl_describe,
	.close = jsonl_close,
};

/* A crash can leave PATH's last line without its end: PATH is cut back to its last newline. */
static int cut_torn_line(struct jsonl *s)
{
	uint64_t end = s->rot.size, keep = 0;
	char b[4096];

	while (end > 0 && !keep) {
		size_t k = end < sizeof(b) ? (size_t)end : sizeof(b);
		ssize_t got = pread(s->rot.fd, b, k, (off_t)(end - k));

		if (got != (ssize_t)k)
			return got < 0 ? -errno : -EIO;
		end -= k;
		for (size_t i = k; i-- > 0 && !keep;)
			if (b[i] == '\n')
				keep = end + i + 1;
	}
	if (keep == s->rot.size)
		return 0;
	if (ftruncate(s->rot.fd, (off_t)keep))
		return -errno;
	s->recovered = s->rot.size - keep;
	s->rot.size = keep;
	return 0;
}

static int open_sink(struct jsonl *s, const struct wd_rot_opts *ro, char *err, size_t err_size)
{
	int ret;

	if (mkdir(ro->dir, DIR_MODE) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, err_size, "cannot create the directory %s: %s", ro->dir,
			 strerror(-ret));
		return ret;
	}
	ret = wd_rot_open(&s->rot, ro);
	if (ret && s->rot.dirfd < 0) {
		snprintf(err, err_size, "cannot open the directory %s: %s", ro->dir,
			 strerror(-ret));
		return ret;
	}
	if (ret) {
		snprintf(err, err_size,
			 ret == -EBUSY
				 ? "%s is being written by another process (it holds %s/.%s.lock)"
				 : "cannot lock %s (%s/.%s.lock): %s",
			 s->path, ro->dir, ro->stem, strerror(-ret));
		return ret;
	}
	/* Numbers continue after the highest in use; interrupted rotations complete now. */
	ret = wd_rot_finish(&s->rot);
	s->leftovers = ret != 0;
	if (ret)
		wd_sink_logf(&s->log, "jsonl sink ", "%s: finishing an earlier rotation: %s",
			     s->path, strerror(-ret));
	ret = wd_rot_open_current(&s->rot);
	if (!ret)
		ret = cut_torn_line(s);
	if (ret) {
		snprintf(err, err_size, "cannot open %s: %s", s->path, strerror(-ret));
		return ret;
	}
	if (s->recovered)
		wd_sink_logf(&s->log, "jsonl sink ",
			     "%s: cut off %llu bytes of a torn last line (an earlier crash)",
			     s->path, (unsigned long long)s->recovered);
	s->seg_start = s->rot.size ? wd_rot_birth(&s->rot, wd_clock_ns(CLOCK_REALTIME)) : 0;
	s->cap = BUF_CAP;
	s->buf = malloc(s->cap);
	if (!s->buf || !wd_buf_grow(&s->line, 4096)) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int wd_sink_jsonl_backend(const struct wd_sink_cfg *c, const char *node,
			  const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size)
{
	struct wd_rot_opts ro = {
		.suffix = "",
		.gzip_level = c->gzip_level,
		.keep_bytes = c->keep_bytes,
		.keep_age_ns = c->keep_age_ns,
		.keep_files = c->keep_files,
		.compress_async = true,
	};
	struct jsonl *s;
	char *slash, *dir;
	size_t blen;
	int ret;

	(void)node;
	if (!c->path || !c->path[0]) {
		snprintf(err, err_size, "a jsonl sink needs path: the file it appends to");
		return -EINVAL;
	}
	slash = strrchr(c->path, '/');
	ro.stem = slash ? slash + 1 : c->path;
	blen = strlen(ro.stem);
	if (!blen || !strcmp(ro.stem, ".") || !strcmp(ro.stem, "..") ||
	    blen + WD_ROT_ADDED_MAX > NAME_MAX) {
		snprintf(err, err_size,
			 "path %s: name a file (of at most %d bytes, so that its rotated segments' "
			 "names fit), not a directory",
			 c->path, NAME_MAX - WD_ROT_ADDED_MAX);
		return -EINVAL;
	}
	if (c->gzip_level < 0 || c->gzip_level > 9 ||
	    (c->json != WD_JSON_WARDEN && c->json != WD_JSON_OCSF)) {
		snprintf(err, err_size, "gzip_level must be 1 to 9 and format warden or ocsf");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->c = *c;
	wd_sink_log_init(&s->log, c);
	wd_rot_init(&s->rot);
	s->path = strdup(c->path);
	dir = !slash		 ? strdup(".")
	      : slash == c->path ? strdup("/")
				 : strndup(c->path, (size_t)(slash - c->path));
	ro.dir = dir;
	ret = s->path && dir ? open_sink(s, &ro, err, err_size) : -ENOMEM;
	free(dir);
	if (ret) {
		jsonl_free(s);
		return ret;
	}
	*ops = &jsonl_ops;
	*impl = s;
	return 0;
}
