/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Write-behind for a file that only grows (the file and JSON-lines sinks' current file): what
 * was appended is written back to disk a window at a time and its pages are then dropped from
 * the page cache, so the writer cycles through a few tens of MiB of cache instead of taking new
 * pages for every byte it writes. A thread of its own (wd-wb) makes the calls, so the writer
 * never waits for the disk here (the kernel's dirty-page throttling still holds back a writer
 * that outruns the disk).
 *
 * Why: pages the kernel has not handed out recently are the slow ones. On the VMs we run on the
 * host supplies them on first touch, and a buffered writer that keeps everything it wrote cached
 * runs at that rate (340-600 MB/s measured) instead of the disk's; on any host, an audit log
 * that fills the page cache evicts what the node's workloads had cached. The same pages freed
 * and reused run at memory speed. */
#ifndef WD_WRITEBEHIND_H
#define WD_WRITEBEHIND_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Every window appended starts its writeback; what was appended more than the lag ago is waited
 * for and dropped. So the file keeps about the lag and a window in the page cache. */
#define WD_WB_WINDOW (8ull << 20)
#define WD_WB_LAG    (24ull << 20)

struct wd_wb {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a window appended, a new file, or stop */
	pthread_cond_t idle; /* nothing to do */
	pthread_t thr;
	bool running, stop, busy;
	int fd;		  /* the file, opened again read-only, or -1: nothing to do */
	uint64_t gen;	  /* a new file or a cut since the thread took its range */
	uint64_t size;	  /* appended, as last told */
	uint64_t started; /* writeback started for [0, started) */
	uint64_t dropped; /* [0, dropped) written back and dropped from the cache */
	uint64_t told;	  /* the writer's: size at the last wake-up */
};

/* Before anything else, so that wd_wb_destroy() is safe whatever failed. */
void wd_wb_init(struct wd_wb *w);

/* The file to write behind from now on (-1: none), with @size bytes already in it: only what is
 * appended from now on counts. The thread opens the file again, read-only, and works on that
 * open file description, not the writer's: a failed writeback is left for the writer's fsync to
 * report (sync_file_range() on the writer's description would take the error from it). Nothing
 * is done for what is not a regular file, on tmpfs (no writeback), on overlayfs (whose page
 * cache is not the file's), or if the thread cannot start (the writer must not wait for the
 * disk). Starts the thread the first time. */
void wd_wb_file(struct wd_wb *w, int fd, uint64_t size);

/* Called after each append, with the file's size now (smaller than before after a cut). Cheap:
 * wakes the thread once a window has been appended since the last time. */
void wd_wb_advance(struct wd_wb *w, uint64_t size);

/* Waits until the thread has done what it was told (tests, the benchmark). */
void wd_wb_settle(struct wd_wb *w);

/* Stops the thread and closes its descriptor; what was not dropped stays cached. */
void wd_wb_destroy(struct wd_wb *w);

#endif
