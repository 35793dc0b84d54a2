/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The insides of segment rotation (user/export/rotate.h), shared by rotate.c (open, append,
 * rotate, retention, close), rotate_gz.c (compressing rotated segments, in the caller or in
 * the wd_rot's own threads) and rotate_list.c (segment names, listing). */
#ifndef WD_ROTATE_INTERNAL_H
#define WD_ROTATE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "export/rotate.h"

#define FILE_MODE  0640
#define TS_LEN	   16 /* YYYYmmddTHHMMSSZ */
#define NS_PER_SEC 1000000000ull
/* Segments waiting; more wait plain and are queued by a later wd_rot_finish(). Queued segments
 * are outside the size budget until compressed (wd_rot_retention), so this stays small. */
#define GZ_QUEUE 4
/* Rotated segments whose writer's descriptor waits to be fsynced by wd-sync; with more, the
 * sink's thread fsyncs itself. */
#define SYNC_QUEUE 8
#define GZ_STOP_NS (10 * NS_PER_SEC) /* at close, per wd_rot */

/* The background threads of a compress_async wd_rot: wd-gzip compresses, behind everything
 * else (nice 19); wd-sync fsyncs rotated segments, at the sinks' priority, apart from the
 * compressions. Each waited for the other: an fsync (a disk cache flush) waited for the
 * current chunk of a compression that a busy node gives little CPU, and when eight waited the
 * sink's thread did them; a compression waited for every fsync. At 2M events/s with 256 MiB
 * segments (a rotation every 0.3 s) wd-gzip now compresses about three times as much (147-162
 * ns of CPU per event vs 53). The segment being compressed (busy) is left alone by
 * wd_rot_finish() and wd_rot_retention(), which hold mu while they look. */
struct wd_rot_gz {
	struct wd_rot *r;
	pthread_t thr, sync_thr;
	bool sync_running;
	pthread_mutex_t mu;
	pthread_cond_t work;	  /* queued, or stop */
	pthread_cond_t sync_work; /* a descriptor to fsync, or stop */
	pthread_cond_t idle;	  /* nothing queued or busy */
	char q[GZ_QUEUE][NAME_MAX + 1];
	unsigned head, len;
	char busy[NAME_MAX + 1]; /* "" when none */
	/* The writer's descriptors of rotated segments, to fsync (with the directory) and close:
	 * those fsyncs (a tenth of a second and more for 256 MiB) would stall the sink's thread,
	 * whose queue fills meanwhile. The writer's own descriptor reports the writeback errors
	 * since it was opened; they come back through wd_rot_finish() as compression failures
	 * do. */
	int sync_fd[SYNC_QUEUE];
	unsigned nsync;
	bool syncing;
	bool stop;
	uint64_t stop_by; /* CLOCK_MONOTONIC ns: stopping compresses what waits until then */
	bool overflow;	  /* a segment did not fit the queue: look for it once the queue is empty */
	int err;	  /* the first failure since wd_rot_finish() took the last */
};

static inline bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len >= n && memcmp(s + len - n, suf, n) == 0;
}

/* rotate.c: writes all of @p; returns 0 or -errno. */
int wd_rot_write_all(int fd, const void *p, size_t n);

/* rotate_gz.c */
void wd_rot_gz_start(struct wd_rot *r);
int wd_rot_gz_stop(struct wd_rot *r);
bool wd_rot_gz_pending(const struct wd_rot_gz *g, const char *name);
void wd_rot_gz_push_locked(struct wd_rot_gz *g, const char *name);
int wd_rot_compress_segment(struct wd_rot *r, const char *name);

#endif
