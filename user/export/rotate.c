// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Segment files for the file and jsonl sinks. Every step is ordered so that a crash anywhere
 * leaves files a reader can read completely: a rotation renames the current file first, then
 * compresses the segment to a hidden temporary, fsyncs it, renames it into place and only then
 * removes the plain copy; whatever a crash interrupts is finished by the next open (a crash
 * before the rename reached the disk leaves the segment's records in the current file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/bgthread.h"
#include "lib/clock.h"
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

static int compress_segment(struct wd_rot *r, const char *name);
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
		err = compress_segment(g->r, name);
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
static void gz_start(struct wd_rot *r)
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
static int gz_stop(struct wd_rot *r)
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

static bool gz_pending(const struct wd_rot_gz *g, const char *name)
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
static void gz_push_locked(struct wd_rot_gz *g, const char *name)
{
	if (gz_pending(g, name) || strlen(name) > NAME_MAX)
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
		    strcmp(stem, r->stem) || gz_pending(g, f) || strlen(f) + 3 > NAME_MAX)
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
		gz_push_locked(g, best[i]);
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

void wd_rot_init(struct wd_rot *r)
{
	memset(r, 0, sizeof(*r));
	r->dirfd = r->lockfd = r->fd = -1;
	wd_wb_init(&r->wb);
	r->next_n = 1;
}

int wd_rot_open(struct wd_rot *r, const struct wd_rot_opts *o)
{
	char lock[NAME_MAX + 1];

	r->o = *o;
	r->o.suffix = o->suffix ? o->suffix : "";
	r->dir = strdup(o->dir);
	r->stem = strdup(o->stem);
	if (asprintf(&r->cur, "%s%s", o->stem, r->o.suffix) < 0)
		r->cur = NULL;
	if (!r->dir || !r->stem || !r->cur)
		return -ENOMEM;
	r->o.dir = r->dir;
	r->o.stem = r->stem;
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0)
		return -errno;
	/* A lock file of its own: the current file's inode moves away at every rotation. */
	snprintf(lock, sizeof(lock), ".%s.lock", r->stem);
	r->lockfd = openat(r->dirfd, lock, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	if (r->lockfd < 0 || flock(r->lockfd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (r->o.compress_async)
		gz_start(r);
	return 0;
}

static bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len >= n && memcmp(s + len - n, suf, n) == 0;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool wd_rot_parse(const char *f, const char *suffix, char *stem, size_t size, uint64_t *ts,
		  uint64_t *n, bool *gz)
{
	size_t len = strlen(f), sl = strlen(suffix), nd = 0, end;
	struct tm tm = {0};
	const char *t;
	uint64_t v = 0;
	time_t secs;

	*gz = has_suffix(f, len, ".gz") && has_suffix(f, len - 3, suffix);
	if (*gz)
		end = len - 3 - sl;
	else if (has_suffix(f, len, suffix))
		end = len - sl;
	else
		return false;
	while (nd < end && nd < 19 && f[end - 1 - nd] >= '0' && f[end - 1 - nd] <= '9')
		nd++;
	if (!nd || end < nd + TS_LEN + 3 || f[end - 1 - nd] != '-' ||
	    f[end - 2 - nd - TS_LEN] != '-')
		return false;
	for (size_t i = end - nd; i < end; i++)
		v = v * 10 + (uint64_t)(f[i] - '0');
	t = f + end - 1 - nd - TS_LEN;
	if (!digits(t, 8) || t[8] != 'T' || !digits(t + 9, 6) || t[15] != 'Z')
		return false;
	sscanf(t, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	       &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		return false;
	len = end - 2 - nd - TS_LEN;
	if (len == 0 || len >= size)
		return false;
	memcpy(stem, f, len);
	stem[len] = '\0';
	*ts = (uint64_t)secs;
	*n = v;
	return true;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct wd_rot_seg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->current != y->current)
		return x->current ? 1 : -1;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	/* The compressed copy of a segment first: the other one is dropped. */
	return (int)y->compressed - (int)x->compressed;
}

void wd_rot_list_free(struct wd_rot_seg *segs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(segs[i].path);
		free(segs[i].name);
	}
	free(segs);
}

/* Whether @f is the current file STEM SUFFIX of @stem (or, with @stem NULL, of a stem @valid
 * accepts), its stem in @name. */
static bool is_current(const char *f, const char *suffix, const char *stem,
		       bool (*valid)(const char *), char *name, size_t size)
{
	size_t len = strlen(f), sl = strlen(suffix);

	if (!has_suffix(f, len, suffix) || len - sl >= size)
		return false;
	memcpy(name, f, len - sl);
	name[len - sl] = '\0';
	return stem ? strcmp(name, stem) == 0 : len > sl && valid(name);
}

int wd_rot_list(int dirfd, const char *dir, const char *suffix, const char *stem,
		bool (*valid)(const char *stem), struct wd_rot_seg **out, size_t *n)
{
	struct wd_rot_seg *segs = NULL, seg;
	size_t cnt = 0, cap = 0, k;
	char name[NAME_MAX + 1];
	struct dirent *de;
	struct stat st;
	int fd, err = 0;
	DIR *d;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *f = de->d_name;

		memset(&seg, 0, sizeof(seg));
		if (!wd_rot_parse(f, suffix, name, sizeof(name), &seg.ts, &seg.n,
				  &seg.compressed) ||
		    (stem ? strcmp(name, stem) != 0 : !valid(name))) {
			if (!is_current(f, suffix, stem, valid, name, sizeof(name)))
				continue;
			seg.current = true;
		}
		if (fstatat(fd, f, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		seg.size = (uint64_t)st.st_size;
		if (cnt == cap) {
			struct wd_rot_seg *b;

			cap = cap ? 2 * cap : 16;
			b = realloc(segs, cap * sizeof(*segs));
			if (!b) {
				err = -ENOMEM;
				break;
			}
			segs = b;
		}
		seg.name = strdup(name);
		if (asprintf(&seg.path, "%s/%s", dir, f) < 0)
			seg.path = NULL;
		if (!seg.name || !seg.path) {
			free(seg.name);
			free(seg.path);
			err = -ENOMEM;
			break;
		}
		seg.file = seg.path + strlen(seg.path) - strlen(f);
		segs[cnt++] = seg;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err) {
		wd_rot_list_free(segs, cnt);
		return err;
	}
	qsort(segs, cnt, sizeof(*segs), seg_cmp);
	/* A segment both compressed and not: the crash came before the unlink. */
	for (size_t i = k = 0; i < cnt; i++) {
		if (k && !segs[i].current && !segs[k - 1].current &&
		    strcmp(segs[i].name, segs[k - 1].name) == 0 && segs[i].n == segs[k - 1].n) {
			free(segs[i].path);
			free(segs[i].name);
			continue;
		}
		segs[k++] = segs[i];
	}
	*out = segs;
	*n = k;
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	for (ssize_t k; n; c += k, n -= (size_t)k) {
		k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			k = 0;
		else if (k <= 0)
			return k < 0 ? -errno : -EIO;
	}
	return 0;
}

/* Compresses rotated segment @name into @name.gz (a gzip stream: gunzip and zcat read it):
 * temporary name, fsync, rename, unlink. */
static int compress_segment(struct wd_rot *r, const char *name)
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
			err = write_all(fd, out, sizeof(out) - z.avail_out);
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

/* Whether @f is the temporary .SEGMENT.gz.tmp of a segment of this stem (SEGMENT in @seg). */
static bool tmp_of(const struct wd_rot *r, const char *f, char *seg)
{
	size_t len = strlen(f);
	char stem[NAME_MAX + 1];
	uint64_t ts, n;
	bool gz;

	if (f[0] != '.' || !has_suffix(f, len, ".gz.tmp") || len - 1 > NAME_MAX)
		return false;
	memcpy(seg, f + 1, len - 8);
	seg[len - 8] = '\0';
	return wd_rot_parse(seg, r->o.suffix, stem, sizeof(stem), &ts, &n, &gz) && !gz &&
	       !strcmp(stem, r->stem);
}

int wd_rot_finish(struct wd_rot *r)
{
	char name[NAME_MAX + 1], gzname[NAME_MAX + 1], seg[NAME_MAX + 1];
	struct wd_rot_gz *g = r->gz;
	int fd, err = 0, e;
	struct dirent *de;
	uint64_t ts, n;
	bool gz;
	DIR *d;

	fd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	if (g)
		pthread_mutex_lock(&g->mu);
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *f = de->d_name;

		if (tmp_of(r, f, seg)) {
			/* .SEGMENT.gz.tmp: the one being written is not stale. */
			if (!g || strcmp(seg, g->busy))
				unlinkat(r->dirfd, f, 0);
			continue;
		}
		if (!wd_rot_parse(f, r->o.suffix, name, sizeof(name), &ts, &n, &gz) ||
		    strcmp(name, r->stem))
			continue;
		if (n >= r->next_n)
			r->next_n = n + 1;
		if (gz || (g && gz_pending(g, f)))
			continue;
		snprintf(gzname, sizeof(gzname), "%s.gz", f);
		if (faccessat(r->dirfd, gzname, F_OK, 0) == 0)
			e = unlinkat(r->dirfd, f, 0) ? -errno : 0;
		else if (g)
			gz_push_locked(g, f), e = 0;
		else
			e = compress_segment(r, f);
		if (e && !err)
			err = e;
	}
	if (!err && errno)
		err = -errno;
	if (g) {
		if (!err) {
			err = g->err;
			g->err = 0;
		}
		pthread_mutex_unlock(&g->mu);
	}
	closedir(d);
	return err;
}

int wd_rot_open_current(struct wd_rot *r)
{
	struct stat st;

	if (r->fd >= 0)
		return 0;
	r->fd = openat(r->dirfd, r->cur, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, FILE_MODE);
	if (r->fd < 0)
		return -errno;
	if (fstat(r->fd, &st)) {
		int err = -errno;

		close(r->fd);
		r->fd = -1;
		return err;
	}
	r->size = (uint64_t)st.st_size;
	wd_wb_file(&r->wb, r->fd, r->size);
	return 0;
}

int wd_rot_append(struct wd_rot *r, const void *p, size_t n)
{
	int err;

	if (!n && !r->torn)
		return 0;
	if (r->fd < 0 && (err = wd_rot_open_current(r)))
		return err;
	if (r->torn) {
		if (ftruncate(r->fd, (off_t)r->size))
			return -errno;
		r->torn = false;
	}
	err = write_all(r->fd, p, n);
	if (err) {
		/* Later appends must not follow half a record. */
		r->torn = ftruncate(r->fd, (off_t)r->size) != 0;
		return err;
	}
	r->size += n;
	wd_wb_advance(&r->wb, r->size);
	return 0;
}

int wd_rot_rotate(struct wd_rot *r, uint64_t now_ns)
{
	char seg[NAME_MAX + 1], ts[TS_LEN + 1];
	time_t t = (time_t)(now_ns / NS_PER_SEC);
	struct tm tm;
	int err, tries = 0;
	bool sync_here = true;

	if (!r->size)
		return 0;
	/* Without wd-sync, or with its fsyncs this far behind, the segment is fsynced here,
	 * before it is renamed; else by wd-sync, right after. */
	if (r->gz) {
		pthread_mutex_lock(&r->gz->mu);
		sync_here = !r->gz->sync_running || r->gz->nsync == SYNC_QUEUE;
		pthread_mutex_unlock(&r->gz->mu);
	}
	if (r->fd >= 0 && sync_here && fsync(r->fd))
		return -errno;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	/* Never over a segment already there, plain or compressed, whatever became of the
	 * numbering. */
	do {
		snprintf(seg, sizeof(seg), "%s-%s-%llu%s.gz", r->stem, ts,
			 (unsigned long long)r->next_n++, r->o.suffix);
		if (faccessat(r->dirfd, seg, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			err = -EEXIST;
			continue;
		}
		seg[strlen(seg) - 3] = '\0';
		err = renameat2(r->dirfd, r->cur, r->dirfd, seg, RENAME_NOREPLACE) ? -errno : 0;
	} while (err == -EEXIST && ++tries < 100);
	if (err)
		return err;
	if (r->fd >= 0 && !sync_here) {
		/* Handed over: mu was let go since, but only this thread adds to sync_fd. */
		pthread_mutex_lock(&r->gz->mu);
		r->gz->sync_fd[r->gz->nsync] = r->fd;
		r->gz->nsync++;
		pthread_cond_signal(&r->gz->sync_work);
		pthread_mutex_unlock(&r->gz->mu);
	} else if (r->fd >= 0) {
		close(r->fd);
	}
	r->fd = -1;
	wd_wb_file(&r->wb, -1, 0); /* the renamed segment is not kept open if no new file opens */
	r->size = 0;
	r->torn = false;
	err = wd_rot_open_current(r);
	/* A directory's fsync commits the journal, which waits for every file's data: a tenth
	 * of a second too. Until it is done a crash may undo the rename, which leaves the
	 * segment's events in the current file. */
	if (sync_here && fsync(r->dirfd) && !err)
		err = -errno;
	if (err || !r->gz)
		return err ? err : compress_segment(r, seg);
	pthread_mutex_lock(&r->gz->mu);
	gz_push_locked(r->gz, seg);
	pthread_mutex_unlock(&r->gz->mu);
	return 0;
}

int wd_rot_retention(struct wd_rot *r, uint64_t now_ns, uint64_t pending)
{
	uint64_t total = r->size + pending, count = 0;
	struct wd_rot_seg *segs;
	size_t n;
	int err = wd_rot_list(r->dirfd, r->dir, r->o.suffix, r->stem, NULL, &segs, &n), e;

	if (err)
		return err;
	if (r->gz)
		pthread_mutex_lock(&r->gz->mu);
	/* A segment queued or being compressed counts for the size budget once compressed: its
	 * plain size would delete history its compressed size leaves room for. */
	for (size_t i = 0; i < n; i++) {
		if (!segs[i].current) {
			if (!r->gz || segs[i].compressed || !gz_pending(r->gz, segs[i].file))
				total += segs[i].size;
			count++;
		}
	}
	for (size_t i = 0; i < n && !segs[i].current; i++) {
		bool expired =
			r->o.keep_age_ns && segs[i].ts * NS_PER_SEC + r->o.keep_age_ns < now_ns;

		/* Oldest first, so a segment waiting for compression holds up the newer ones
		 * too, until a later pass. */
		if (r->gz && !segs[i].compressed && gz_pending(r->gz, segs[i].file))
			break;
		if (!expired && !(r->o.keep_files && count > r->o.keep_files) &&
		    !(r->o.keep_bytes && total > r->o.keep_bytes))
			break;
		e = unlinkat(r->dirfd, segs[i].file, 0) && errno != ENOENT ? -errno : 0;
		if (e && !err)
			err = e;
		total -= segs[i].size;
		count--;
	}
	if (r->gz)
		pthread_mutex_unlock(&r->gz->mu);
	wd_rot_list_free(segs, n);
	return err;
}

uint64_t wd_rot_birth(const struct wd_rot *r, uint64_t fallback)
{
	struct statx x;

	if (statx(r->fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME, &x))
		return fallback;
	if (!(x.stx_mask & STATX_BTIME))
		x.stx_btime = x.stx_mtime;
	return (uint64_t)x.stx_btime.tv_sec * NS_PER_SEC + x.stx_btime.tv_nsec;
}

int wd_rot_close(struct wd_rot *r)
{
	int err = gz_stop(r);

	if (r->fd >= 0) {
		if (fsync(r->fd) && !err)
			err = -errno;
		close(r->fd);
	}
	wd_wb_destroy(&r->wb);
	if (r->lockfd >= 0)
		close(r->lockfd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->dir);
	free(r->stem);
	free(r->cur);
	wd_rot_init(r);
	return err;
}
