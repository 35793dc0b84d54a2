// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compressing rotated segments (gzip, crash-safe: temporary name, fsync, rename, unlink),
 * either in the caller or, with compress_async, in the wd_rot's own threads: wd-gzip compresses
 * queued segments at nice 19, wd-sync fsyncs what rotations handed over. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/bgthread.h"
#include "lib/clock.h"
#include "export/rotate_internal.h"

static void gz_rescan_locked(struct wd_rot_gz *g);

/* fsyncs the segments handed over, oldest first, then the directory (mu held, let go
 * meanwhile), so that what was written reaches the disk. */
static void sync_locked(struct wd_rot_gz *g)
{
	while (g->nsync) {
		int fd = g->sync_fd[0], err;

		memmove(g->sync_fd, g->sync_fd + 1, (g->nsync - 1) * sizeof(g->sync_fd[0]));
		g->nsync--;
		g->syncing = true;
		pthread_mutex_unlock(&g->mu);
		/* The segment, then the directory: its rename and the new current file. */
		err = fsync(fd) || fsync(g->r->dirfd) ? -errno : 0;
		close(fd);
		pthread_mutex_lock(&g->mu);
		g->syncing = false;
		if (err && !g->err)
			g->err = err;
		pthread_cond_broadcast(&g->idle);
	}
}

static void *gz_main(void *arg)
{
	struct wd_rot_gz *g = arg;
	char name[NAME_MAX + 1];
	int err;

	/* Behind the sinks and the consumer: a segment may take seconds, and nothing waits. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	pthread_mutex_lock(&g->mu);
	for (;;) {
		/* Stopping compresses what waits for up to GZ_STOP_NS; what is left then stays
		 * plain, readable, and the next start's wd_rot_finish() queues it. */
		bool late = g->stop && wd_clock_ns(CLOCK_MONOTONIC) >= g->stop_by;

		if (!g->len && g->overflow && !late) {
			gz_rescan_locked(g);
			pthread_cond_broadcast(&g->idle);
		}
		while (!g->len && !g->stop)
			pthread_cond_wait(&g->work, &g->mu);
		if (!g->len || late)
			break;
		memcpy(name, g->q[g->head], sizeof(name));
		g->head = (g->head + 1) % GZ_QUEUE;
		g->len--;
		memcpy(g->busy, name, sizeof(name));
		pthread_mutex_unlock(&g->mu);
		err = wd_rot_compress_segment(g->r, name);
		pthread_mutex_lock(&g->mu);
		g->busy[0] = '\0';
		/* Gone: retention deleted it while it waited. A failure is retried by the next
		 * wd_rot_finish(), not by a rescan here: that would spin on a full disk. */
		if (err && err != -ENOENT) {
			if (!g->err)
				g->err = err;
			g->overflow = false;
		}
		pthread_cond_broadcast(&g->idle);
	}
	pthread_cond_broadcast(&g->idle);
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* wd-sync: every descriptor handed over is fsynced before it stops, however late. */
static void *sync_main(void *arg)
{
	struct wd_rot_gz *g = arg;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		sync_locked(g);
		if (g->stop)
			break;
		pthread_cond_wait(&g->sync_work, &g->mu);
	}
	pthread_cond_broadcast(&g->idle);
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* Starts the compression thread and wd-sync; without the first, compression stays in the
 * caller, without the second, the rotations' fsyncs do. */
void wd_rot_gz_start(struct wd_rot *r)
{
	struct wd_rot_gz *g = calloc(1, sizeof(*g));

	if (!g) {
		r->o.compress_async = false;
		return;
	}
	g->r = r;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->sync_work, NULL);
	pthread_cond_init(&g->idle, NULL);
	if (wd_bg_start(&g->thr, gz_main, g, "wd-gzip")) {
		pthread_cond_destroy(&g->idle);
		pthread_cond_destroy(&g->sync_work);
		pthread_cond_destroy(&g->work);
		pthread_mutex_destroy(&g->mu);
		free(g);
		r->o.compress_async = false;
		return;
	}
	g->sync_running = wd_bg_start(&g->sync_thr, sync_main, g, "wd-sync") == 0;
	r->gz = g;
}

/* Returns the first compression error not yet taken, or 0. */
int wd_rot_gz_stop(struct wd_rot *r)
{
	struct wd_rot_gz *g = r->gz;
	int err;

	if (!g)
		return 0;
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	g->stop_by = wd_clock_ns(CLOCK_MONOTONIC) + GZ_STOP_NS;
	g->overflow = true; /* plain segments never queued, too */
	pthread_cond_signal(&g->work);
	pthread_cond_signal(&g->sync_work);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thr, NULL);
	if (g->sync_running)
		pthread_join(g->sync_thr, NULL);
	err = g->err;
	pthread_cond_destroy(&g->idle);
	pthread_cond_destroy(&g->sync_work);
	pthread_cond_destroy(&g->work);
	pthread_mutex_destroy(&g->mu);
	free(g);
	r->gz = NULL;
	return err;
}

bool wd_rot_gz_pending(const struct wd_rot_gz *g, const char *name)
{
	if (!strcmp(g->busy, name))
		return true;
	for (unsigned i = 0; i < g->len; i++)
		if (!strcmp(g->q[(g->head + i) % GZ_QUEUE], name))
			return true;
	return false;
}

/* Queues segment @name (mu held); one that does not fit is found again by the thread once the
 * queue is empty. */
void wd_rot_gz_push_locked(struct wd_rot_gz *g, const char *name)
{
	if (wd_rot_gz_pending(g, name) || strlen(name) > NAME_MAX)
		return;
	if (g->len == GZ_QUEUE) {
		g->overflow = true;
		return;
	}
	strcpy(g->q[(g->head + g->len) % GZ_QUEUE], name);
	g->len++;
	pthread_cond_signal(&g->work);
}

/* Queues the oldest plain rotated segments not queued yet (mu held), and keeps overflow set if
 * there were more. Failed ones are not retried here but by the next wd_rot_finish(). */
static void gz_rescan_locked(struct wd_rot_gz *g)
{
	struct wd_rot *r = g->r;
	char best[GZ_QUEUE][NAME_MAX + 1], stem[NAME_MAX + 1], gzname[NAME_MAX + 1];
	uint64_t best_n[GZ_QUEUE], ts, n;
	unsigned nb = 0, more = 0;
	struct dirent *de;
	int fd;
	bool gz;
	DIR *d;

	g->overflow = false;
	fd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *f = de->d_name;
		unsigned at;

		if (!wd_rot_parse(f, r->o.suffix, stem, sizeof(stem), &ts, &n, &gz) || gz ||
		    strcmp(stem, r->stem) || wd_rot_gz_pending(g, f) || strlen(f) + 3 > NAME_MAX)
			continue;
		snprintf(gzname, sizeof(gzname), "%s.gz", f);
		if (faccessat(r->dirfd, gzname, F_OK, 0) == 0)
			continue;
		/* Oldest first: keep the GZ_QUEUE lowest numbers. */
		for (at = nb; at > 0 && best_n[at - 1] > n; at--)
			;
		if (at == GZ_QUEUE) {
			more++;
			continue;
		}
		if (nb == GZ_QUEUE)
			more++;
		else
			nb++;
		memmove(best[at + 1], best[at], (nb - 1 - at) * sizeof(best[0]));
		memmove(&best_n[at + 1], &best_n[at], (nb - 1 - at) * sizeof(best_n[0]));
		strcpy(best[at], f);
		best_n[at] = n;
	}
	closedir(d);
	for (unsigned i = 0; i < nb; i++)
		wd_rot_gz_push_locked(g, best[i]);
	if (more)
		g->overflow = true;
}

void wd_rot_settle(struct wd_rot *r)
{
	struct wd_rot_gz *g = r->gz;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	while (((g->len || g->overflow) && !g->stop) || g->busy[0] || g->nsync || g->syncing)
		pthread_cond_wait(&g->idle, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* Compresses rotated segment @name into @name.gz (a gzip stream: gunzip and zcat read it):
 * temporary name, fsync, rename, unlink. */
int wd_rot_compress_segment(struct wd_rot *r, const char *name)
{
	char dst[NAME_MAX + 1], tmp[NAME_MAX + 1];
	unsigned char in[32 * 1024], out[32 * 1024];
	int src, fd = -1, err = 0, mode = Z_NO_FLUSH;
	z_stream z = {0};

	snprintf(dst, sizeof(dst), "%s.gz", name);
	snprintf(tmp, sizeof(tmp), ".%s.gz.tmp", name);
	src = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -errno;
	fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	/* windowBits 15 + 16: zlib writes the gzip header and trailer. */
	if (fd < 0 || deflateInit2(&z, r->o.gzip_level ? r->o.gzip_level : Z_DEFAULT_COMPRESSION,
				   Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while (!err && mode != Z_FINISH) {
		ssize_t k = read(src, in, sizeof(in));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = -errno;
			break;
		}
		mode = k ? Z_NO_FLUSH : Z_FINISH;
		z.next_in = in;
		z.avail_in = (uInt)k;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			deflate(&z, mode);
			err = wd_rot_write_all(fd, out, sizeof(out) - z.avail_out);
		} while (!err && z.avail_out == 0);
	}
	deflateEnd(&z);
	if (!err && (fsync(fd) || renameat(r->dirfd, tmp, r->dirfd, dst) || fsync(r->dirfd) ||
		     unlinkat(r->dirfd, name, 0)))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	close(src);
	if (err)
		unlinkat(r->dirfd, tmp, 0);
	return err;
}
