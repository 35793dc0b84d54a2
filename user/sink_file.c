// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The file sink. Every step is ordered so that a crash anywhere leaves files a reader can read
 * completely: records reach the current segment whole (a partial write is cut off again); a
 * rotation renames the segment first, then compresses it to a temporary name, fsyncs, renames
 * the result into place and only then removes the uncompressed copy; whatever a crash
 * interrupts is finished by the next open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "event_pb.h"
#include "sink.h"
#include "sink_file.h"

#define BUF_SIZE   (2 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX))
#define NAME_MAX_  64
#define FILE_MODE  0640
#define TS_LEN	   16 /* YYYYmmddTHHMMSSZ */
#define NS_PER_SEC 1000000000ull

struct sink_file {
	struct sink_file_opts o;
	char name[NAME_MAX_ + 1];
	char cur[NAME_MAX_ + 4]; /* NAME.pb */
	char *dir;
	int dirfd, fd, lockfd;
	uint64_t size;	    /* bytes of the current segment on disk */
	uint64_t seg_start; /* ns since the epoch: the segment's first record */
	uint64_t next_n;
	uint8_t *buf;
	size_t used;
	int pending; /* a failed rotation, for the next maintain */
	uint8_t *last;
	size_t last_len;
	uint64_t recovered;
};

static uint64_t now(struct sink_file *s)
{
	struct timespec ts;

	if (s->o.now_ns)
		return s->o.now_ns(s->o.now_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static bool name_valid(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (len == 0 || len > NAME_MAX_ || n[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(n[i] >= 'a' && n[i] <= 'z') && !(n[i] >= 'A' && n[i] <= 'Z') &&
		    !(n[i] >= '0' && n[i] <= '9') && n[i] != '_' && n[i] != '.' && n[i] != '-')
			return false;
	return true;
}

static bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len >= n && memcmp(s + len - n, suf, n) == 0;
}

/* NAME-YYYYmmddTHHMMSSZ-N.pb[.gz]: the sink's name, rotation time and number. */
static bool parse_rotated(const char *f, char *name, uint64_t *ts, uint64_t *n, bool *gz)
{
	size_t len = strlen(f), digits = 0, stem;
	struct tm tm = {0};
	char tsbuf[TS_LEN + 1];
	uint64_t v = 0;
	time_t t;

	*gz = has_suffix(f, len, ".pb.gz");
	if (*gz)
		stem = len - 6;
	else if (has_suffix(f, len, ".pb"))
		stem = len - 3;
	else
		return false;
	while (digits < stem && digits < 19 && f[stem - 1 - digits] >= '0' &&
	       f[stem - 1 - digits] <= '9')
		digits++;
	if (!digits || stem < digits + TS_LEN + 3 || f[stem - 1 - digits] != '-' ||
	    f[stem - 2 - digits - TS_LEN] != '-')
		return false;
	for (size_t i = stem - digits; i < stem; i++)
		v = v * 10 + (uint64_t)(f[i] - '0');
	memcpy(tsbuf, f + stem - 1 - digits - TS_LEN, TS_LEN);
	tsbuf[TS_LEN] = '\0';
	if (sscanf(tsbuf, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6 ||
	    tsbuf[8] != 'T' || tsbuf[15] != 'Z')
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	len = stem - 2 - digits - TS_LEN;
	if (len == 0 || len > NAME_MAX_)
		return false;
	memcpy(name, f, len);
	name[len] = '\0';
	*ts = (uint64_t)t;
	*n = v;
	return true;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct sink_file_segment *x = a, *y = b;
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

void sink_file_list_free(struct sink_file_segment *segs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(segs[i].path);
		free(segs[i].name);
	}
	free(segs);
}

int sink_file_list(const char *dir, const char *name, struct sink_file_segment **out, size_t *n)
{
	struct sink_file_segment *segs = NULL, seg;
	size_t cnt = 0, cap = 0, k;
	char sname[NAME_MAX_ + 1];
	struct dirent *de;
	struct stat st;
	int fd, err = 0;
	DIR *d;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		memset(&seg, 0, sizeof(seg));
		if (!parse_rotated(de->d_name, sname, &seg.ts, &seg.n, &seg.compressed)) {
			if (!has_suffix(de->d_name, len, ".pb") || len - 3 > NAME_MAX_)
				continue;
			memcpy(sname, de->d_name, len - 3);
			sname[len - 3] = '\0';
			if (!name_valid(sname))
				continue;
			seg.current = true;
		}
		if (name && strcmp(name, sname) != 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		seg.size = (uint64_t)st.st_size;
		if (cnt == cap) {
			struct sink_file_segment *b;

			cap = cap ? 2 * cap : 16;
			b = realloc(segs, cap * sizeof(*segs));
			if (!b) {
				err = -ENOMEM;
				break;
			}
			segs = b;
		}
		seg.name = strdup(sname);
		if (asprintf(&seg.path, "%s/%s", dir, de->d_name) < 0)
			seg.path = NULL;
		if (!seg.name || !seg.path) {
			free(seg.name);
			free(seg.path);
			err = -ENOMEM;
			break;
		}
		segs[cnt++] = seg;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err) {
		sink_file_list_free(segs, cnt);
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

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Compresses rotated segment @src into @src".gz": temporary name, fsync, rename, unlink. */
static int compress_segment(struct sink_file *s, const char *src)
{
	char dst[NAME_MAX + 1], tmp[NAME_MAX + 1], mode[8];
	uint8_t chunk[16 * 1024];
	int in, out = -1, gzfd, err = 0;
	gzFile gz = NULL;
	ssize_t k;

	snprintf(dst, sizeof(dst), "%s.gz", src);
	snprintf(tmp, sizeof(tmp), ".%s.gz.tmp", src);
	snprintf(mode, sizeof(mode), "wb%d", s->o.gzip_level > 0 ? s->o.gzip_level : 6);
	in = openat(s->dirfd, src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	if (out < 0) {
		err = -errno;
		goto out;
	}
	/* gzclose closes the descriptor it was given; ours stays open for the fsync. */
	gzfd = fcntl(out, F_DUPFD_CLOEXEC, 3);
	if (gzfd < 0) {
		err = -errno;
		goto out;
	}
	gz = gzdopen(gzfd, mode);
	if (!gz) {
		close(gzfd);
		err = -ENOMEM;
		goto out;
	}
	while ((k = read(in, chunk, sizeof(chunk))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = -errno;
			goto out;
		}
		if (gzwrite(gz, chunk, (unsigned)k) != (int)k) {
			err = -EIO;
			goto out;
		}
	}
	k = gzclose(gz);
	gz = NULL;
	if (k != Z_OK) {
		err = -EIO;
		goto out;
	}
	if (fsync(out) || renameat(s->dirfd, tmp, s->dirfd, dst) || fsync(s->dirfd) ||
	    unlinkat(s->dirfd, src, 0))
		err = -errno;
out:
	if (gz)
		gzclose(gz);
	if (out >= 0)
		close(out);
	close(in);
	if (err)
		unlinkat(s->dirfd, tmp, 0);
	return err;
}

/* Rotated segments left uncompressed (by a crash, or a compression that failed): compressed
 * now, or removed if their compressed copy is complete already. Stale temporaries go. */
static int finish_rotations(struct sink_file *s)
{
	char sname[NAME_MAX_ + 1], gzname[NAME_MAX + 1];
	size_t nlen = strlen(s->name);
	int fd, err = 0, e;
	struct dirent *de;
	uint64_t ts, n;
	bool gz;
	DIR *d;

	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		const char *f = de->d_name;
		size_t len = strlen(f);

		if (f[0] == '.' && strncmp(f + 1, s->name, nlen) == 0 && f[1 + nlen] == '-' &&
		    has_suffix(f, len, ".gz.tmp")) {
			unlinkat(s->dirfd, f, 0);
			continue;
		}
		if (!parse_rotated(f, sname, &ts, &n, &gz) || gz || strcmp(sname, s->name))
			continue;
		if (n >= s->next_n)
			s->next_n = n + 1;
		snprintf(gzname, sizeof(gzname), "%s.gz", f);
		if (faccessat(s->dirfd, gzname, F_OK, 0) == 0)
			e = unlinkat(s->dirfd, f, 0) ? -errno : 0;
		else
			e = compress_segment(s, f);
		if (e && !err)
			err = e;
	}
	closedir(d);
	return err;
}

/* Deletes the oldest rotated segments while any limit is exceeded. */
static int retention(struct sink_file *s, uint64_t now_ns)
{
	struct sink_file_segment *segs;
	uint64_t total = s->size + s->used, count = 0;
	size_t n;
	int err = sink_file_list(s->dir, s->name, &segs, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (!segs[i].current) {
			total += segs[i].size;
			count++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool old = s->o.max_keep_age_ns &&
			   segs[i].ts * NS_PER_SEC + s->o.max_keep_age_ns < now_ns;

		if (segs[i].current)
			break;
		if (!old && !(s->o.max_files && count > s->o.max_files) &&
		    !(s->o.max_total_bytes && total > s->o.max_total_bytes))
			break;
		if (unlink(segs[i].path) && errno != ENOENT && !err)
			err = -errno;
		total -= segs[i].size;
		count--;
	}
	sink_file_list_free(segs, n);
	return err;
}

static int open_current(struct sink_file *s)
{
	s->fd = openat(s->dirfd, s->cur, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, FILE_MODE);
	return s->fd < 0 ? -errno : 0;
}

static int rotate_at(struct sink_file *s, uint64_t now_ns)
{
	char rotated[NAME_MAX + 1], ts[TS_LEN + 1];
	time_t t = (time_t)(now_ns / NS_PER_SEC);
	struct tm tm;
	int err, tries = 0;

	err = sink_file_flush(s);
	if (err)
		return err;
	if (!s->size)
		return 0;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	if (s->fd >= 0 && fsync(s->fd))
		return -errno;
	/* Never over an existing segment, whatever happened to the numbering. */
	do {
		snprintf(rotated, sizeof(rotated), "%s-%s-%llu.pb", s->name, ts,
			 (unsigned long long)s->next_n++);
		err = renameat2(s->dirfd, s->cur, s->dirfd, rotated, RENAME_NOREPLACE) ? -errno : 0;
	} while (err == -EEXIST && ++tries < 100);
	if (err)
		return err;
	if (s->fd >= 0)
		close(s->fd);
	s->size = 0;
	s->seg_start = now_ns;
	err = open_current(s);
	if (fsync(s->dirfd) && !err)
		err = -errno;
	if (err)
		return err;
	return compress_segment(s, rotated);
}

int sink_file_rotate(struct sink_file *s)
{
	uint64_t t = now(s);
	int err = rotate_at(s, t), e = retention(s, t);

	return err ? err : e;
}

int sink_file_flush(struct sink_file *s)
{
	int err;

	if (!s->used)
		return 0;
	if (s->fd < 0 && (err = open_current(s)))
		return err;
	err = write_all(s->fd, s->buf, s->used);
	if (err) {
		/* A record is in the file whole or not at all: later appends must not follow
		 * half a record. */
		if (ftruncate(s->fd, (off_t)s->size)) {
			/* Nothing more can be done here; the reader will report the tear. */
		}
		return err;
	}
	s->size += s->used;
	s->used = 0;
	return 0;
}

int sink_file_write(struct sink_file *s, const void *rec, size_t len)
{
	uint8_t pre[WD_PB_VARINT_MAX];
	size_t plen, framed;
	int err;

	if (len > WD_PB_RECORD_MAX)
		return -EMSGSIZE;
	plen = wd_pb_varint_put(pre, len);
	framed = plen + len;
	if (s->o.max_bytes && s->size + s->used > 0 &&
	    s->size + s->used + framed > s->o.max_bytes) {
		uint64_t t = now(s);

		err = rotate_at(s, t);
		if (!err)
			err = retention(s, t);
		if (err)
			s->pending = err;
	}
	if (s->used + framed > BUF_SIZE && (err = sink_file_flush(s)))
		return err;
	/* A segment's age counts from its first record: an idle sink makes no tiny segments. */
	if (!s->size && !s->used)
		s->seg_start = now(s);
	memcpy(s->buf + s->used, pre, plen);
	memcpy(s->buf + s->used + plen, rec, len);
	s->used += framed;
	return 0;
}

int sink_file_maintain(struct sink_file *s, uint64_t now_ns)
{
	int err = sink_file_flush(s), e;

	if (!err && s->o.max_age_ns && s->size && now_ns >= s->seg_start + s->o.max_age_ns) {
		e = rotate_at(s, now_ns);
		if (e && !err)
			err = e;
	}
	e = finish_rotations(s);
	if (e && !err)
		err = e;
	e = retention(s, now_ns);
	if (e && !err)
		err = e;
	if (s->pending && !err)
		err = s->pending;
	s->pending = 0;
	return err;
}

static void keep_last(struct sink_file *s, const uint8_t *rec, size_t len)
{
	uint8_t *b = realloc(s->last, len ? len : 1);

	if (!b)
		return;
	memcpy(b, rec, len);
	s->last = b;
	s->last_len = len;
}

/* Whether bytes @from..@size of the current segment are a torn last record (or zeros a crash
 * left in place of data), which can be cut off, rather than corruption to keep. */
static bool torn_tail(int fd, uint64_t from, uint64_t size)
{
	uint8_t b[4096];
	uint64_t v;
	ssize_t k;
	int used;
	bool zeros = true;

	k = pread(fd, b, WD_PB_VARINT_MAX, (off_t)from);
	if (k <= 0)
		return false;
	used = wd_pb_varint_get(b, (size_t)k, &v);
	if (used == 0 || (used > 0 && v <= WD_PB_RECORD_MAX && from + (uint64_t)used + v > size))
		return true;
	for (uint64_t off = from; off < size && zeros; off += (uint64_t)k) {
		k = pread(fd, b, sizeof(b), (off_t)off);
		if (k <= 0)
			return false;
		for (ssize_t i = 0; i < k; i++)
			zeros &= b[i] == 0;
	}
	return zeros;
}

/* Reads the current segment through: keeps its last record, and cuts off a torn tail. Returns
 * 1 if the segment is corrupt before its end (to be rotated away whole), 0, or -errno. */
static int recover_current(struct sink_file *s)
{
	struct wd_pb_reader r;
	const uint8_t *rec;
	uint64_t good = 0;
	size_t len;
	FILE *f;
	int fd, ret;

	fd = openat(s->dirfd, s->cur, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	wd_pb_reader_init_file(&r, f);
	/* Writers never write empty records: one here is where zeros begin. */
	while ((ret = wd_pb_read_record(&r, &rec, &len)) == 1 && len > 0) {
		keep_last(s, rec, len);
		good = r.offset;
	}
	wd_pb_reader_close(&r);
	fclose(f);
	if (ret == 0)
		return 0;
	if (ret == -EIO || ret == -ENOMEM)
		return ret;
	if (!torn_tail(s->fd, good, s->size))
		return 1;
	if (ftruncate(s->fd, (off_t)good))
		return -errno;
	s->recovered = s->size - good;
	s->size = good;
	return 0;
}

/* The last record of the newest rotated segment, when the current one has none. */
static void last_of_rotated(struct sink_file *s)
{
	struct sink_file_segment *segs;
	struct wd_pb_reader r;
	const uint8_t *rec;
	size_t n, len;

	if (sink_file_list(s->dir, s->name, &segs, &n))
		return;
	for (size_t i = n; i-- > 0;) {
		if (segs[i].current)
			continue;
		if (wd_pb_reader_open(&r, segs[i].path) == 0) {
			while (wd_pb_read_record(&r, &rec, &len) == 1)
				if (len)
					keep_last(s, rec, len);
			wd_pb_reader_close(&r);
		}
		break;
	}
	sink_file_list_free(segs, n);
}

static uint64_t segment_birth(int fd, uint64_t fallback)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME, &stx))
		return fallback;
	if (stx.stx_mask & STATX_BTIME)
		return (uint64_t)stx.stx_btime.tv_sec * NS_PER_SEC + stx.stx_btime.tv_nsec;
	return (uint64_t)stx.stx_mtime.tv_sec * NS_PER_SEC + stx.stx_mtime.tv_nsec;
}

int sink_file_open(struct sink_file **out, const struct sink_file_opts *o)
{
	struct sink_file *s;
	struct stat st;
	uint64_t t;
	int err, corrupt;

	char probe[NAME_MAX_ + 4], pname[NAME_MAX_ + 1];
	uint64_t pts, pn;
	bool pgz;

	if (!o->dir || !name_valid(o->name) || o->gzip_level < 0 || o->gzip_level > 9)
		return -EINVAL;
	/* A name whose segment would read as another sink's rotated one. */
	snprintf(probe, sizeof(probe), "%s.pb", o->name);
	if (parse_rotated(probe, pname, &pts, &pn, &pgz))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->dirfd = s->fd = s->lockfd = -1;
	s->next_n = 1;
	snprintf(s->name, sizeof(s->name), "%s", o->name);
	snprintf(s->cur, sizeof(s->cur), "%s.pb", o->name);
	s->dir = strdup(o->dir);
	s->buf = malloc(BUF_SIZE);
	if (!s->dir || !s->buf) {
		err = -ENOMEM;
		goto fail;
	}
	s->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	/* A lock file of its own: the segment's inode moves away at every rotation. */
	{
		char lock[NAME_MAX_ + 8];

		snprintf(lock, sizeof(lock), ".%s.lock", o->name);
		s->lockfd = openat(s->dirfd, lock, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	}
	if (s->lockfd < 0) {
		err = -errno;
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	t = now(s);
	/* Numbers continue after the highest in use; unfinished rotations complete now. */
	{
		struct sink_file_segment *segs;
		size_t n;

		err = sink_file_list(o->dir, o->name, &segs, &n);
		if (err)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (!segs[i].current && segs[i].n >= s->next_n)
				s->next_n = segs[i].n + 1;
		sink_file_list_free(segs, n);
	}
	s->pending = finish_rotations(s);

	err = open_current(s);
	if (err)
		goto fail;
	if (fstat(s->fd, &st)) {
		err = -errno;
		goto fail;
	}
	s->size = (uint64_t)st.st_size;
	s->seg_start = t;
	if (s->size) {
		corrupt = recover_current(s);
		if (corrupt < 0) {
			err = corrupt;
			goto fail;
		}
		/* Kept whole for whoever investigates; readers report where it breaks. */
		if (corrupt && (err = rotate_at(s, t)))
			goto fail;
		if (s->size)
			s->seg_start = segment_birth(s->fd, t);
	}
	if (!s->last)
		last_of_rotated(s);
	*out = s;
	return 0;
fail:
	sink_file_close(s);
	return err;
}

int sink_file_close(struct sink_file *s)
{
	int err = 0;

	if (!s)
		return 0;
	/* Buffered records are written even if the segment has to be reopened for them. */
	if (s->buf)
		err = sink_file_flush(s);
	if (s->fd >= 0) {
		if (fsync(s->fd) && !err)
			err = -errno;
		close(s->fd);
	}
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->buf);
	free(s->last);
	free(s->dir);
	free(s);
	return err;
}

int sink_file_last_record(const struct sink_file *s, const void **rec, size_t *len)
{
	if (!s->last)
		return -ENOENT;
	*rec = s->last;
	*len = s->last_len;
	return 0;
}

uint64_t sink_file_recovered_bytes(const struct sink_file *s)
{
	return s->recovered;
}

/* ---- As a pipeline backend (user/sink.h) ---------------------------------------------------- */

struct file_backend {
	struct sink_file *f;
	char dir[PATH_MAX];
	char name[NAME_MAX_ + 1];
	int last_err;
};

static int fb_write(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev)
{
	struct file_backend *b = impl;
	int err = sink_file_write(b->f, msg, len);

	(void)ev;
	if (err && err != -EMSGSIZE) {
		/* A full disk or an I/O error: keep the record and try again later. */
		b->last_err = err;
		return -EAGAIN;
	}
	if (!err)
		b->last_err = 0;
	return err;
}

static int fb_flush(void *impl)
{
	struct file_backend *b = impl;
	int err = sink_file_flush(b->f);

	if (err)
		b->last_err = err;
	return err;
}

static int fb_tick(void *impl, uint64_t now_ns)
{
	struct file_backend *b = impl;
	int err = sink_file_maintain(b->f, now_ns);

	if (err)
		b->last_err = err;
	return err;
}

static void fb_describe(void *impl, char *buf, size_t size)
{
	struct file_backend *b = impl;

	if (b->last_err)
		snprintf(buf, size, "writing %s/%s.pb: failing: %s", b->dir, b->name,
			 strerror(-b->last_err));
	else
		snprintf(buf, size, "writing %s/%s.pb", b->dir, b->name);
}

static uint64_t fb_close(void *impl)
{
	struct file_backend *b = impl;
	int err = sink_file_close(b->f);

	if (err)
		fprintf(stderr, "warden: sink %s: closing %s/%s.pb: %s\n", b->name, b->dir, b->name,
			strerror(-err));
	free(b);
	return 0;
}

static const struct wd_sink_ops file_ops = {
	.kind = "file",
	.write = fb_write,
	.flush = fb_flush,
	.tick = fb_tick,
	.describe = fb_describe,
	.close = fb_close,
};

int wd_sink_file_backend(const struct wd_sink_cfg *c, const char *node,
			 const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size)
{
	struct sink_file_opts o = {
		.dir = c->dir,
		.name = c->name,
		.max_bytes = c->max_bytes,
		.max_age_ns = c->max_age_ns,
		.max_total_bytes = c->keep_bytes,
		.max_keep_age_ns = c->keep_age_ns,
		.max_files = c->keep_files,
		.gzip_level = c->gzip_level,
	};
	struct file_backend *b;
	int ret;

	(void)node;
	if (!c->dir || !c->dir[0]) {
		snprintf(err, err_size, "a file sink needs a directory (dir:)");
		return -EINVAL;
	}
	if (mkdir(c->dir, 0750) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, err_size, "cannot create %s: %s", c->dir, strerror(-ret));
		return ret;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->dir, sizeof(b->dir), "%s", c->dir);
	snprintf(b->name, sizeof(b->name), "%s", c->name);
	ret = sink_file_open(&b->f, &o);
	if (ret) {
		snprintf(err, err_size,
			 ret == -EBUSY ? "%s/%s.pb is being written by another process"
				       : "cannot open %s/%s.pb: %s",
			 c->dir, c->name, strerror(-ret));
		free(b);
		return ret;
	}
	*ops = &file_ops;
	*impl = b;
	return 0;
}
