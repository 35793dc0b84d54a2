// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Segment files for the file and jsonl sinks. Every step is ordered so that a crash anywhere
 * leaves files a reader can read completely: a rotation renames the current file first, then
 * compresses the segment to a hidden temporary, fsyncs it, renames it into place and only then
 * removes the plain copy; whatever a crash interrupts is finished by the next open (a crash
 * before the rename reached the disk leaves the segment's records in the current file).
 *
 * Compression is rotate_gz.c's, segment names and listing rotate_list.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/rotate_internal.h"

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
		wd_rot_gz_start(r);
	return 0;
}

int wd_rot_write_all(int fd, const void *p, size_t n)
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
		if (gz || (g && wd_rot_gz_pending(g, f)))
			continue;
		snprintf(gzname, sizeof(gzname), "%s.gz", f);
		if (faccessat(r->dirfd, gzname, F_OK, 0) == 0)
			e = unlinkat(r->dirfd, f, 0) ? -errno : 0;
		else if (g)
			wd_rot_gz_push_locked(g, f), e = 0;
		else
			e = wd_rot_compress_segment(r, f);
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
	err = wd_rot_write_all(r->fd, p, n);
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
		return err ? err : wd_rot_compress_segment(r, seg);
	pthread_mutex_lock(&r->gz->mu);
	wd_rot_gz_push_locked(r->gz, seg);
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
			if (!r->gz || segs[i].compressed || !wd_rot_gz_pending(r->gz, segs[i].file))
				total += segs[i].size;
			count++;
		}
	}
	for (size_t i = 0; i < n && !segs[i].current; i++) {
		bool expired =
			r->o.keep_age_ns && segs[i].ts * NS_PER_SEC + r->o.keep_age_ns < now_ns;

		/* Oldest first, so a segment waiting for compression holds up the newer ones
		 * too, until a later pass. */
		if (r->gz && !segs[i].compressed && wd_rot_gz_pending(r->gz, segs[i].file))
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
	int err = wd_rot_gz_stop(r);

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
