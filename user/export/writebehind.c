// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/bgthread.h"
#include "export/writebehind.h"

/* [0, started) rounded down to a page: the page being appended to is never written back or
 * dropped before it is whole (written twice otherwise, and on stable-page devices a wait for the
 * writer). */
static uint64_t page_down(uint64_t off)
{
	static uint64_t page;

	if (!page) {
		long p = sysconf(_SC_PAGESIZE);

		page = p > 0 ? (uint64_t)p : 4096;
	}
	return off - off % page;
}

/* One step: start the writeback of [started, end), then wait for [dropped, *drop_to) and drop it
 * (*drop_to: LAG before end, or dropped if nothing is due). Errors are left to the writer's
 * fsync: this descriptor is an open file description of its own, so what it sees is not taken
 * from the writer's. */
static void wb_step(int fd, uint64_t started, uint64_t end, uint64_t dropped, uint64_t *drop_to)
{
	sync_file_range(fd, (off_t)started, (off_t)(end - started), SYNC_FILE_RANGE_WRITE);
	*drop_to = dropped;
	/* Started a lag of appends ago, it is usually written by now: waiting costs nothing
	 * unless the disk falls behind. */
	if (end - dropped > WD_WB_LAG) {
		off_t off = (off_t)dropped, len;

		*drop_to = end - WD_WB_LAG;
		len = (off_t)(*drop_to - dropped);
		/* Clean once waited for: dropping them loses nothing. */
		if (!sync_file_range(fd, off, len,
				     SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					     SYNC_FILE_RANGE_WAIT_AFTER))
			posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
	}
}

static bool due_locked(const struct wd_wb *w)
{
	return w->fd >= 0 && w->size >= w->started && w->size - w->started >= WD_WB_WINDOW;
}

static void *wb_main(void *arg)
{
	struct wd_wb *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		uint64_t gen, started, end, dropped, to;
		int fd;

		while (!w->stop && !due_locked(w)) {
			pthread_cond_broadcast(&w->idle);
			pthread_cond_wait(&w->work, &w->mu);
		}
		if (w->stop)
			break;
		/* A duplicate of our own description: wd_wb_file() may close w->fd meanwhile. */
		fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
		gen = w->gen;
		started = w->started;
		end = page_down(w->size);
		dropped = w->dropped;
		if (fd < 0) {
			w->started = end;
			continue;
		}
		w->busy = true;
		pthread_mutex_unlock(&w->mu);
		wb_step(fd, started, end, dropped, &to);
		close(fd);
		pthread_mutex_lock(&w->mu);
		w->busy = false;
		/* A new file or a cut meanwhile: these numbers are stale. */
		if (gen == w->gen) {
			w->started = end;
			w->dropped = to;
		}
	}
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void wd_wb_init(struct wd_wb *w)
{
	*w = (struct wd_wb){.fd = -1};
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
}

/* An open file description of our own for @fd's regular file, read-only (no flush at its close, as
 * NFS does for writers), or -1 where write-behind has nothing to do: tmpfs has no writeback, and on
 * overlayfs sync_file_range() reaches the overlay's empty cache, not the file's. */
static int reopen(int fd)
{
	char path[64];
	struct statfs sf;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || fstatfs(fd, &sf) ||
	    sf.f_type == (typeof(sf.f_type))TMPFS_MAGIC ||
	    sf.f_type == (typeof(sf.f_type))OVERLAYFS_SUPER_MAGIC)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

void wd_wb_file(struct wd_wb *w, int fd, uint64_t size)
{
	int own = reopen(fd);

	pthread_mutex_lock(&w->mu);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = own;
	w->gen++;
	w->size = w->told = size;
	w->started = w->dropped = page_down(size);
	if (!w->running && own >= 0 && !w->stop)
		w->running = wd_bg_start(&w->thr, wb_main, w, "wd-wb") == 0;
	/* Without the thread, nothing: the writer must not wait for the disk. */
	if (!w->running && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	pthread_mutex_unlock(&w->mu);
}

void wd_wb_advance(struct wd_wb *w, uint64_t size)
{
	if (size >= w->told && size - w->told < WD_WB_WINDOW)
		return;
	pthread_mutex_lock(&w->mu);
	w->size = size;
	if (w->started > size) { /* cut back: a step under way works on stale numbers */
		w->started = page_down(size);
		w->gen++;
	}
	if (w->dropped > w->started)
		w->dropped = w->started;
	if (w->running)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	w->told = size;
}

void wd_wb_settle(struct wd_wb *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->running && (w->busy || due_locked(w)))
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void wd_wb_destroy(struct wd_wb *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	if (w->running)
		pthread_join(w->thr, NULL);
	w->running = false;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
}
