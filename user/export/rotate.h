/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The segment files of the sinks that append to a file (file, jsonl): the current file
 * STEM SUFFIX is rotated into STEM-<UTC time>-<n>SUFFIX and compressed into that name + ".gz",
 * crash-safely; interrupted rotations are finished at open; retention deletes the oldest
 * segments; a lock file keeps a second writer out. The sinks own the format of what they append
 * (records or lines) and when they rotate. */
#ifndef WD_ROTATE_H
#define WD_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/writebehind.h"

/* What rotation adds to a stem at most, besides the suffix: a leading dot (the temporary),
 * "-" <time> "-" <20 digits> ".gz.tmp". */
#define WD_ROT_ADDED_MAX (1 + 1 + 16 + 1 + 20 + 7)

struct wd_rot_opts {
	const char *dir;      /* must exist */
	const char *stem;     /* the current file's name without the suffix */
	const char *suffix;   /* a string literal: ".pb" (file sink), "" (jsonl sink) */
	int gzip_level;	      /* 1 (fast) to 9 (small); 0: zlib's default */
	uint64_t keep_bytes;  /* retention: rotated segments plus the current file; 0 */
	uint64_t keep_age_ns; /* retention: delete rotated segments older than this; 0 */
	unsigned keep_files;  /* retention: keep at most this many rotated segments; 0 */
	/* Compress rotated segments in a thread of this wd_rot's own, at nice 19, instead of in
	 * the caller: a sink's thread goes on appending while a segment is gzipped. */
	bool compress_async;
};

struct wd_rot_gz; /* the compression thread of an async wd_rot */

/* The sink reads fd and size, and appends through wd_rot_append() only. */
struct wd_rot {
	struct wd_rot_opts o; /* dir and stem point to the copies below */
	char *dir, *stem, *cur;
	int dirfd, lockfd;
	int fd;		      /* the current file (O_APPEND), or -1 */
	uint64_t size;	      /* its bytes on disk: whole records only */
	uint64_t next_n;      /* the next rotation's number: they only grow */
	bool torn;	      /* a failed append could not be cut back: cut first at the next one */
	struct wd_wb wb;      /* the current file's write-behind */
	struct wd_rot_gz *gz; /* compress_async: started at the first segment to compress */
};

/* A rotated segment or a current file, as wd_rot_list() finds it. */
struct wd_rot_seg {
	char *path;	  /* DIR/file */
	const char *file; /* the file's name, within path */
	char *name;	  /* its stem: the sink's name */
	uint64_t n;	  /* rotation number; grows by one per rotation of that stem */
	uint64_t ts;	  /* rotation time, seconds since the epoch (from the file name) */
	uint64_t size;	  /* bytes on disk */
	bool current;	  /* STEM SUFFIX */
	bool compressed;
};

/* Before anything else, so that wd_rot_close() is safe whatever failed. */
void wd_rot_init(struct wd_rot *r);

/* Opens the directory (r->dirfd is -1 afterwards if that failed) and takes the lock file
 * .STEM.lock in it: -EBUSY when another process holds it. Returns 0 or -errno. */
int wd_rot_open(struct wd_rot *r, const struct wd_rot_opts *o);

/* What an interrupted rotation left: stale temporaries go; a rotated segment left plain is
 * compressed (queued, with compress_async), or removed if its compressed copy is complete.
 * Numbering continues after the highest number in use. Returns 0 or the first -errno (the rest
 * is done all the same), including the first error of an async compression since the last
 * call: the failed segment stays plain and is queued again. */
int wd_rot_finish(struct wd_rot *r);

/* With compress_async, waits until every queued segment is compressed (or failed). */
void wd_rot_settle(struct wd_rot *r);

/* Opens (creating) the current file if it is not open, and takes its size. Returns 0 or -errno. */
int wd_rot_open_current(struct wd_rot *r);

/* Appends @n bytes to the current file (opening it if needed), whole or not at all: what a
 * failed write left is cut off again (or, if that fails too, before the next append). Every
 * WD_WB_WINDOW bytes, what was appended is written back and dropped from the page cache
 * (user/export/writebehind.h, in its own thread; a failed writeback is the next fsync's error).
 * Returns 0, r->size grown by @n, or -errno. */
int wd_rot_append(struct wd_rot *r, const void *p, size_t n);

/* Rotates the current file if it holds anything: fsync, rename to the next segment name (never
 * over an existing file), a new empty current file, fsync of the directory, then the
 * compression (queued, with compress_async). With compress_async, both fsyncs are wd-sync's
 * (a thread apart from the compressions), with the writer's descriptor, right after the rename
 * (the rotation does them itself when eight wait already); their errors come back from
 * wd_rot_finish().
 * r->size is 0 afterwards if the file was renamed, even when a later step failed (the segment
 * left plain is compressed by the next wd_rot_finish()). Returns 0 or -errno. */
int wd_rot_rotate(struct wd_rot *r, uint64_t now_ns);

/* Deletes the oldest rotated segments while any limit is exceeded; @pending counts as part of
 * the current file (bytes not written yet). Never the current file. With compress_async, a
 * segment queued or being compressed is not deleted, nor any newer one, in this pass, and its
 * plain size does not count for keep_bytes. Returns 0 or -errno. */
int wd_rot_retention(struct wd_rot *r, uint64_t now_ns, uint64_t pending);

/* When the current file began: its birth time where the file system keeps one, else its
 * modification time, else @fallback (ns since the epoch). */
uint64_t wd_rot_birth(const struct wd_rot *r, uint64_t fallback);

/* Compresses the rotated segments left plain, for up to 10 s (what is left then stays plain, for
 * the next wd_rot_finish()), fsyncs the current file, closes everything and frees. Returns 0 or
 * the first -errno: of a compression not yet reported, or of the fsync. */
int wd_rot_close(struct wd_rot *r);

/* Whether @f is a rotated segment STEM-YYYYmmddTHHMMSSZ-N@suffix[.gz]: its stem (at most
 * @size - 1 bytes), rotation time (s), number and whether it is compressed. */
bool wd_rot_parse(const char *f, const char *suffix, char *stem, size_t size, uint64_t *ts,
		  uint64_t *n, bool *gz);

/* The segments in directory @dirfd (named @dir in the paths): those of @stem, or when @stem is
 * NULL of every stem @valid accepts; sorted by stem, then the rotated ones oldest first, then the
 * current file. A segment found both compressed and not (a crash between the two steps) is
 * listed once, compressed. Returns 0 or -errno; free with wd_rot_list_free(). */
int wd_rot_list(int dirfd, const char *dir, const char *suffix, const char *stem,
		bool (*valid)(const char *stem), struct wd_rot_seg **out, size_t *n);
void wd_rot_list_free(struct wd_rot_seg *segs, size_t n);

#endif
