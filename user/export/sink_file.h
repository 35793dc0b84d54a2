/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The file sink: length-delimited records appended to DIR/NAME.pb, rotated by size and age into
 * gzip-compressed segments DIR/NAME-<UTC time>-<n>.pb.gz, old segments deleted by retention. */
#ifndef WD_SINK_FILE_H
#define WD_SINK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sink_file;

struct sink_file_opts {
	const char *dir;	  /* must exist */
	const char *name;	  /* [A-Za-z0-9_.-], 1 to 64 bytes, not starting with '.' nor
				   * ending like a rotated segment (-<time>-<n>) */
	uint64_t max_bytes;	  /* rotate before the segment would grow past this; 0: never */
	uint64_t max_age_ns;	  /* rotate a segment older than this (sink_file_maintain); 0 */
	uint64_t max_total_bytes; /* retention: rotated segments plus the current one; 0 */
	uint64_t max_keep_age_ns; /* retention: delete rotated segments older than this; 0 */
	unsigned max_files;	  /* retention: keep at most this many rotated segments; 0 */
	int gzip_level;		  /* 1 (fast) to 9 (small); 0: zlib's default */
	/* The wall clock in ns since the epoch; NULL: CLOCK_REALTIME. Tests inject their own. */
	uint64_t (*now_ns)(void *arg);
	void *now_arg;
};

/* Opens (creating) DIR/NAME.pb for appending, locked against a second writer (-EBUSY). Picks up
 * after a crash: a torn last record of the current segment is cut off (zero-filled tails too),
 * a segment that is corrupt before its end is rotated away whole instead, and rotated segments
 * left uncompressed are compressed. Returns 0 or -errno. */
int sink_file_open(struct sink_file **out, const struct sink_file_opts *o);

/* Appends one record (the message bytes; the sink adds the length prefix), rotating first if
 * the segment would outgrow max_bytes. Rotation compresses the segment there and then, so
 * max_bytes bounds that pause too (zlib's default level does tens of MiB per second). A record is
 * written whole or not at all. Buffered: it reaches the file at the next flush, or when the buffer
 * fills. Returns 0 or -errno
 * (-EMSGSIZE for a record over WD_PB_RECORD_MAX); a failed rotation does not lose the record
 * (it goes into the current segment) and is reported by the next sink_file_maintain(). */
int sink_file_write(struct sink_file *s, const void *rec, size_t len);

/* Writes the buffer to the file (not fsync). Returns 0 or -errno; on error nothing partial is
 * left in the file and the buffered records stay for the next try. */
int sink_file_flush(struct sink_file *s);

/* Rotates now if the current segment holds anything. Returns 0 or -errno. The segment is
 * compressed by the sink's compression thread, after this returns. */
int sink_file_rotate(struct sink_file *s);

/* Waits until every rotated segment queued for compression is compressed (or failed: the next
 * sink_file_maintain() reports it and queues it again). */
void sink_file_settle(struct sink_file *s);

/* For a timer: flushes, rotates a segment older than max_age, finishes compressions that
 * failed before, and applies retention. @now_ns is the wall clock (ns since the epoch).
 * Returns 0 or the first -errno. */
int sink_file_maintain(struct sink_file *s, uint64_t now_ns);

/* Flushes, fsyncs and frees. Returns 0 or the first -errno; @s is freed either way. */
int sink_file_close(struct sink_file *s);

/* The last complete record found at open (in the current segment, else in the newest rotated
 * one), so that the writer can continue its numbering. Returns 0 or -ENOENT. */
int sink_file_last_record(const struct sink_file *s, const void **rec, size_t *len);

/* Bytes cut off the current segment at open (a torn last record). */
uint64_t sink_file_recovered_bytes(const struct sink_file *s);

/* The files of the sinks in a directory, in reading order: by sink name; for each, the rotated
 * segments oldest first, then the current one. */
struct sink_file_segment {
	char *path;    /* DIR/file */
	char *name;    /* the sink's name */
	uint64_t n;    /* rotation number; grows by one per rotation of that sink */
	uint64_t ts;   /* rotation time, seconds since the epoch (from the file name) */
	uint64_t size; /* bytes on disk */
	bool current;  /* NAME.pb */
	bool compressed;
};

/* Lists the segments of sink @name in @dir, or of every sink when @name is NULL. A rotated
 * segment found both compressed and not (a crash between the two steps) is listed once,
 * compressed. Returns 0 or -errno; free the list with sink_file_list_free(). */
int sink_file_list(const char *dir, const char *name, struct sink_file_segment **out, size_t *n);
void sink_file_list_free(struct sink_file_segment *segs, size_t n);

#endif
