// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bgthread.h"
#include "writebehind.h"

/* Where the descriptor or its file system cannot do this, it is not an error. */
static int wb_errno(int err)
{
	return err == ESPIPE || err == EINVAL || err == ENOSYS || err == EBADF ? 0 : -err;
}

/* One step on [started, size): start its writeback, then wait for [dropped, *drop_to) and drop
 * it (*drop_to is where dropping stops: LAG before size, or dropped if nothing is due). */
static int wb_step(int fd, uint64_t started, uint64_t size, uint64_t dropped, uint64_t *drop_to)
{
	int err = 0;

	if (sync_file_range(fd, (off_t)started, (off_t)(size - started), SYNC_FILE_RANGE_WRITE))
		err = wb_errno(errno);
	*drop_to = dropped;
	/* Started a lag of appends ago, it is usually written by now: waiting costs nothing
	 * unless the disk falls behind. */
	if (size - dropped > WD_WB_LAG) {
		off_t off = (off_t)dropped, len;

		*drop_to = size - WD_WB_LAG;
		len = (off_t)(*drop_to - dropped);
		if (sync_file_range(fd, off, len,
				    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					    SYNC_FILE_RANGE_WAIT_AFTER)) {
			if (!err)
				err = wb_errno(errno);
		} else {
			/* Clean now: dropping them loses nothing (tmpfs pages are never clean). */
			posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
		}
	}
	return err;
}

static bool due_locked(const struct wd_wb *w)
{
	return w->fd >= 0 && w->size >= w->started && w->size - w->started >= WD_WB_WINDOW;
}

/* The caller's step (no thread), or the thread's with mu released around the calls. */
static void step_locked(struct wd_wb *w)
{
	uint64_t gen = w->gen, started = w->started, size = w->size, dropped = w->dropped, to;
	int fd = w->running ? fcntl(w->fd, F_DUPFD_CLOEXEC, 0) : w->fd, err;

	if (fd < 0) {
		w->started = size;
		return;
	}
	w->busy = true;
	if (w->running)
		pthread_mutex_unlock(&w->mu);
	err = wb_step(fd, started, size, dropped, &to);
	if (w->running) {
		close(fd);
		pthread_mutex_lock(&w->mu);
	}
	w->busy = false;
	/* A new file meanwhile: these numbers were the old one's. Its error is reported all the
	 * same: that data did not reach the disk. */
	if (gen == w->gen) {
		w->started = size;
		w->dropped = to;
	}
	if (err && !w->err)
		w->err = err;
}

static void *wb_main(void *arg)
{
	struct wd_wb *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && !due_locked(w)) {
			pthread_cond_broadcast(&w->idle);
			pthread_cond_wait(&w->work, &w->mu);
		}
		if (w->stop)
			break;
		step_locked(w);
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

void wd_wb_file(struct wd_wb *w, int fd, uint64_t size)
{
	int dup = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;

	pthread_mutex_lock(&w->mu);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = dup;
	w->gen++;
	w->size = w->started = w->dropped = w->told = size;
	if (!w->running && dup >= 0 && !w->stop)
		w->running = wd_bg_start(&w->thr, wb_main, w, "wd-wb") == 0;
	pthread_mutex_unlock(&w->mu);
}

void wd_wb_advance(struct wd_wb *w, uint64_t size)
{
	if (size >= w->told && size - w->told < WD_WB_WINDOW)
		return;
	pthread_mutex_lock(&w->mu);
	w->size = size;
	if (w->started > size) /* cut back */
		w->started = size;
	if (w->dropped > w->started)
		w->dropped = w->started;
	if (w->running)
		pthread_cond_signal(&w->work);
	else if (due_locked(w))
		step_locked(w);
	pthread_mutex_unlock(&w->mu);
	w->told = size;
}

int wd_wb_take_err(struct wd_wb *w)
{
	int err;

	pthread_mutex_lock(&w->mu);
	err = w->err;
	w->err = 0;
	pthread_mutex_unlock(&w->mu);
	return err;
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
