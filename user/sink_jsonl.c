// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON lines sink: each event as one line of JSON (warden's proto3 mapping, or OCSF-shaped)
 * appended to PATH, rotated by size and age into gzip-compressed PATH-<UTC time>-<n>.gz, the
 * oldest of those deleted by retention. PATH only ever ends with a whole line: what a failed
 * write left of a line is cut off at once, and a torn last line a crash left is cut off at the
 * next start. A rotation renames PATH first, compresses the segment into a hidden temporary,
 * fsyncs it and renames it into place, and only then removes the plain copy; whatever a crash
 * interrupts is finished by the next start. */
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

#include "event_ocsf.h"
#include "event_pb.h"
#include "sink.h"

#define BUF_CAP	   (1024 * 1024) /* bytes of lines between two flushes (more for one huge line) */
#define FILE_MODE  0640
#define DIR_MODE   0750
#define TS_LEN	   16 /* YYYYmmddTHHMMSSZ */
#define NS_PER_SEC 1000000000ull
/* What rotation adds to PATH's name at most: "-" TS "-" 20 digits ".gz.tmp", and a leading dot. */
#define SUFFIX_MAX (1 + 1 + TS_LEN + 1 + 20 + 7)

struct jsonl {
	struct wd_sink_cfg c; /* its numbers; its strings belong to the config */
	char *path, *dir, *base;
	int dirfd, fd, lockfd;

	uint64_t size;	    /* bytes in PATH: whole lines only */
	uint64_t seg_start; /* wall-clock ns of the segment's first line */
	uint64_t next_n;    /* the next rotation's number: they only grow */
	char *buf;	    /* lines not written yet */
	size_t used, cap;
	FILE *fmt; /* one line is formatted here (open_memstream) */
	char *fmt_buf;
	size_t fmt_size;

	bool torn;	    /* a failed write could not be cut back: PATH must be cut first */
	bool leftovers;	    /* rotated segments still to compress */
	bool retention_due; /* a rotation happened since retention last ran */
	uint64_t next_retention;
	int deferred;	    /* an error of a rotation write() made, for tick() to report */
	int err, reported;  /* the last error, and the last one tick() reported */
	uint64_t recovered; /* bytes of a torn line cut off at open */
};

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Writes all of @n bytes at @p; -EIO for a write that took nothing. */
static int put(int fd, const void *p, size_t n)
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

/* BASE-YYYYmmddTHHMMSSZ-N, compressed BASE-...-N.gz: its rotation time (s) and number. */
static bool rotated_name(const struct jsonl *s, const char *f, uint64_t *ts, uint64_t *n, bool *gz)
{
	size_t blen = strlen(s->base);
	struct tm tm = {0};
	const char *p;
	char *end;
	time_t t;

	if (strncmp(f, s->base, blen) || f[blen] != '-')
		return false;
	p = strptime(f + blen + 1, "%Y%m%dT%H%M%SZ", &tm);
	if (p != f + blen + 1 + TS_LEN || p[0] != '-' || p[1] < '0' || p[1] > '9')
		return false;
	errno = 0;
	*n = strtoull(p + 1, &end, 10);
	if (errno || (*end && strcmp(end, ".gz")))
		return false;
	*gz = *end != '\0';
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*ts = (uint64_t)t;
	return true;
}

struct seg {
	char name[NAME_MAX + 1];
	uint64_t ts, n, size;
	bool gz;
};

static int seg_order(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return (int)y->gz - (int)x->gz;
}

/* Calls @fn for every entry of the directory; stops at its first nonzero return. */
static int each_entry(struct jsonl *s, int (*fn)(struct jsonl *, const char *, void *), void *arg)
{
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!ret && (errno = 0, de = readdir(d)) != NULL)
		ret = fn(s, de->d_name, arg);
	if (!ret && errno)
		ret = -errno;
	closedir(d);
	return ret;
}

struct seg_list {
	struct seg *v;
	size_t n, cap;
};

static int collect(struct jsonl *s, const char *f, void *arg)
{
	struct seg_list *l = arg;
	struct seg g = {0};
	struct stat st;

	if (!rotated_name(s, f, &g.ts, &g.n, &g.gz) || strlen(f) > NAME_MAX)
		return 0;
	if (fstatat(s->dirfd, f, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct seg *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	strcpy(g.name, f);
	g.size = (uint64_t)st.st_size;
	l->v[l->n++] = g;
	return 0;
}

/* The rotated segments, oldest first; a segment found both plain and compressed (a crash
 * between the two steps) is listed once, compressed. */
static int list_rotated(struct jsonl *s, struct seg_list *l)
{
	size_t k = 0;
	int err;

	memset(l, 0, sizeof(*l));
	err = each_entry(s, collect, l);
	if (err) {
		free(l->v);
		return err;
	}
	qsort(l->v, l->n, sizeof(*l->v), seg_order);
	for (size_t i = 0; i < l->n; i++)
		if (!k || l->v[i].n != l->v[k - 1].n)
			l->v[k++] = l->v[i];
	l->n = k;
	return 0;
}

/* Compresses rotated segment @name into @name.gz (a gzip stream: gunzip and zcat read it). */
static int compress_rotated(struct jsonl *s, const char *name)
{
	char dst[NAME_MAX + 1], tmp[NAME_MAX + 1];
	unsigned char in[32 * 1024], out[32 * 1024];
	int src, fd = -1, err = 0, mode = Z_NO_FLUSH;
	z_stream z = {0};

	snprintf(dst, sizeof(dst), "%s.gz", name);
	snprintf(tmp, sizeof(tmp), ".%s.gz.tmp", name);
	src = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -errno;
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	/* windowBits 15 + 16: zlib writes the gzip header and trailer. */
	if (fd < 0 || deflateInit2(&z, s->c.gzip_level ? s->c.gzip_level : Z_DEFAULT_COMPRESSION,
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
			err = put(fd, out, sizeof(out) - z.avail_out);
		} while (!err && z.avail_out == 0);
	}
	deflateEnd(&z);
	if (!err && (fsync(fd) || renameat(s->dirfd, tmp, s->dirfd, dst) || fsync(s->dirfd) ||
		     unlinkat(s->dirfd, name, 0)))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	close(src);
	if (err)
		unlinkat(s->dirfd, tmp, 0);
	return err;
}

/* What an interrupted rotation left: stale temporaries go; a plain rotated segment is
 * compressed, or removed if its compressed copy is complete (it was renamed into place). */
static int finish_one(struct jsonl *s, const char *f, void *arg)
{
	size_t blen = strlen(s->base), len = strlen(f);
	char gzname[NAME_MAX + 1];
	int *first = arg, e;
	uint64_t ts, n;
	bool gz;

	if (f[0] == '.' && !strncmp(f + 1, s->base, blen) && f[1 + blen] == '-' && len > 7 &&
	    !strcmp(f + len - 7, ".gz.tmp")) {
		unlinkat(s->dirfd, f, 0);
		return 0;
	}
	if (!rotated_name(s, f, &ts, &n, &gz))
		return 0;
	if (n >= s->next_n)
		s->next_n = n + 1;
	if (gz)
		return 0;
	snprintf(gzname, sizeof(gzname), "%s.gz", f);
	if (faccessat(s->dirfd, gzname, F_OK, 0) == 0)
		e = unlinkat(s->dirfd, f, 0) ? -errno : 0;
	else
		e = compress_rotated(s, f);
	if (e && !*first)
		*first = e;
	return 0;
}

static int finish_leftovers(struct jsonl *s)
{
	int first = 0, err = each_entry(s, finish_one, &first);

	s->leftovers = err || first;
	return err ? err : first;
}

/* Deletes the oldest rotated segments while any limit is exceeded; never PATH itself. */
static int retention(struct jsonl *s, uint64_t now_ns)
{
	uint64_t total = s->size + s->used;
	struct seg_list l;
	size_t count;
	int err = list_rotated(s, &l), e;

	if (err)
		return err;
	for (size_t i = 0; i < l.n; i++)
		total += l.v[i].size;
	count = l.n;
	for (size_t i = 0; i < l.n; i++) {
		bool expired =
			s->c.keep_age_ns && l.v[i].ts * NS_PER_SEC + s->c.keep_age_ns < now_ns;

		if (!expired && !(s->c.keep_files && count > s->c.keep_files) &&
		    !(s->c.keep_bytes && total > s->c.keep_bytes))
			break;
		e = unlinkat(s->dirfd, l.v[i].name, 0) && errno != ENOENT ? -errno : 0;
		if (e && !err)
			err = e;
		total -= l.v[i].size;
		count--;
	}
	free(l.v);
	return err;
}

static int open_current(struct jsonl *s)
{
	s->fd = openat(s->dirfd, s->base, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, FILE_MODE);
	return s->fd < 0 ? -errno : 0;
}

/* Writes the buffered lines. On failure PATH is cut back to where it was, so that it ends with
 * a whole line, and the lines stay buffered for the next try. */
static int flush_lines(struct jsonl *s)
{
	int err;

	if (!s->used && !s->torn)
		return 0;
	if (s->fd < 0 && (err = open_current(s)))
		return err;
	if (s->torn) {
		if (ftruncate(s->fd, (off_t)s->size))
			return -errno;
		s->torn = false;
	}
	err = put(s->fd, s->buf, s->used);
	if (err) {
		s->torn = ftruncate(s->fd, (off_t)s->size) != 0;
		return err;
	}
	s->size += s->used;
	s->used = 0;
	return 0;
}

static int rotate(struct jsonl *s, uint64_t now_ns)
{
	time_t t = (time_t)(now_ns / NS_PER_SEC);
	char name[NAME_MAX + 1], ts[TS_LEN + 1];
	struct tm tm;
	int err, tries = 0;

	err = flush_lines(s);
	if (err || !s->size)
		return err;
	if (fsync(s->fd))
		return -errno;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	/* Never over a segment already there, whatever became of the numbering. */
	do {
		snprintf(name, sizeof(name), "%s-%s-%llu", s->base, ts,
			 (unsigned long long)s->next_n++);
		err = renameat2(s->dirfd, s->base, s->dirfd, name, RENAME_NOREPLACE) ? -errno : 0;
	} while (err == -EEXIST && ++tries < 100);
	if (err)
		return err;
	close(s->fd);
	s->size = 0;
	s->seg_start = 0;
	s->retention_due = true;
	err = open_current(s);
	if (fsync(s->dirfd) && !err)
		err = -errno;
	if (!err)
		err = compress_rotated(s, name);
	if (err)
		s->leftovers = true;
	return err;
}

/* Formats @ev as one line, newline included, in s->fmt_buf; returns its length or -errno. */
static ssize_t format_line(struct jsonl *s, const Warden__V1__Event *ev)
{
	off_t n;

	rewind(s->fmt);
	if (s->c.json == WD_JSON_OCSF)
		wd_ocsf_event_json(s->fmt, ev);
	else
		wd_pb_event_json(s->fmt, ev);
	fputc('\n', s->fmt);
	if (fflush(s->fmt) || ferror(s->fmt))
		return -ENOMEM;
	n = ftello(s->fmt);
	return n < 0 ? -ENOMEM : (ssize_t)n;
}

static int jsonl_write(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev)
{
	struct jsonl *s = impl;
	Warden__V1__Event *own = NULL;
	ssize_t n;
	int err;

	if (!ev) {
		own = warden__v1__event__unpack(NULL, len, msg);
		if (!own)
			return -EBADMSG;
		ev = own;
	}
	n = format_line(s, ev);
	if (own)
		warden__v1__event__free_unpacked(own, NULL);
	if (n < 0)
		return (int)n;
	if (s->c.max_bytes && s->size + s->used > 0 &&
	    s->size + s->used + (uint64_t)n > s->c.max_bytes) {
		/* A failed rotation does not lose the line: it goes into PATH as it is. */
		err = rotate(s, wall_ns());
		if (err)
			s->deferred = err;
	}
	if (s->used + (size_t)n > s->cap) {
		err = flush_lines(s);
		if (err) {
			s->err = err;
			return -EAGAIN;
		}
		if ((size_t)n > s->cap) {
			char *b = realloc(s->buf, (size_t)n);

			if (!b)
				return -EAGAIN;
			s->buf = b;
			s->cap = (size_t)n;
		}
	}
	/* A segment's age counts from its first line: an idle sink makes no tiny segments. */
	if (!s->size && !s->used)
		s->seg_start = wall_ns();
	memcpy(s->buf + s->used, s->fmt_buf, (size_t)n);
	s->used += (size_t)n;
	return 0;
}

static int jsonl_flush(void *impl)
{
	struct jsonl *s = impl;
	int err = flush_lines(s);

	if (err)
		s->err = err;
	return err;
}

static int jsonl_tick(void *impl, uint64_t now_ns)
{
	struct jsonl *s = impl;
	int err = flush_lines(s), e;

	if (!err && s->c.max_age_ns && s->size && now_ns >= s->seg_start + s->c.max_age_ns)
		err = rotate(s, now_ns);
	if (s->leftovers && (e = finish_leftovers(s)) && !err)
		err = e;
	if (s->retention_due || now_ns >= s->next_retention) {
		e = retention(s, now_ns);
		if (e && !err)
			err = e;
		s->retention_due = false;
		s->next_retention = now_ns + NS_PER_SEC;
	}
	if (s->deferred && !err)
		err = s->deferred;
	s->deferred = 0;
	s->err = err;
	/* A lasting failure (a full disk) is reported once; describe() keeps saying it. */
	if (err && err == s->reported)
		return -EAGAIN;
	s->reported = err;
	return err;
}

static void jsonl_describe(void *impl, char *buf, size_t size)
{
	struct jsonl *s = impl;
	const char *fmt = s->c.json == WD_JSON_OCSF ? "OCSF" : "warden JSON";

	if (s->err)
		snprintf(buf, size, "writing %s (%s): failing: %s; %zu bytes waiting", s->path, fmt,
			 strerror(-s->err), s->used);
	else
		snprintf(buf, size, "writing %s (%s, %.1f MiB)", s->path, fmt,
			 (double)(s->size + s->used) / (1024 * 1024));
}

static void jsonl_free(struct jsonl *s)
{
	if (s->fmt)
		fclose(s->fmt);
	free(s->fmt_buf);
	if (s->fd >= 0)
		close(s->fd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->buf);
	free(s->path);
	free(s->base);
	free(s->dir);
	free(s);
}

static uint64_t jsonl_close(void *impl)
{
	struct jsonl *s = impl;
	int err = flush_lines(s);

	if (s->fd >= 0 && fsync(s->fd) && !err)
		err = -errno;
	if (err)
		fprintf(stderr,
			"warden: jsonl sink %s: closing: %s; %zu bytes of events not written\n",
			s->path, strerror(-err), s->used);
	jsonl_free(s);
	return 0;
}

static const struct wd_sink_ops jsonl_ops = {
	.kind = "jsonl",
	.wants_event = true,
	.write = jsonl_write,
	.flush = jsonl_flush,
	.tick = jsonl_tick,
	.describe = jsonl_describe,
	.close = jsonl_close,
};

/* A crash can leave PATH's last line without its end: PATH is cut back to its last newline. */
static int cut_torn_line(struct jsonl *s)
{
	uint64_t end = s->size, keep = 0;
	char b[4096];

	while (end > 0 && !keep) {
		size_t k = end < sizeof(b) ? (size_t)end : sizeof(b);
		ssize_t got = pread(s->fd, b, k, (off_t)(end - k));

		if (got != (ssize_t)k)
			return got < 0 ? -errno : -EIO;
		end -= k;
		for (size_t i = k; i-- > 0 && !keep;)
			if (b[i] == '\n')
				keep = end + i + 1;
	}
	if (keep == s->size)
		return 0;
	if (ftruncate(s->fd, (off_t)keep))
		return -errno;
	s->recovered = s->size - keep;
	s->size = keep;
	return 0;
}

/* When the segment began: its birth time where the file system keeps one, else its mtime. */
static uint64_t born(int fd)
{
	struct statx x;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME, &x))
		return wall_ns();
	if (!(x.stx_mask & STATX_BTIME))
		x.stx_btime = x.stx_mtime;
	return (uint64_t)x.stx_btime.tv_sec * NS_PER_SEC + x.stx_btime.tv_nsec;
}

static int open_sink(struct jsonl *s, char *err, size_t err_size)
{
	char lock[NAME_MAX + 1];
	struct stat st;
	int ret;

	if (mkdir(s->dir, DIR_MODE) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, err_size, "cannot create the directory %s: %s", s->dir,
			 strerror(-ret));
		return ret;
	}
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		ret = -errno;
		snprintf(err, err_size, "cannot open the directory %s: %s", s->dir, strerror(-ret));
		return ret;
	}
	/* A lock of its own: PATH's inode moves away at every rotation. */
	snprintf(lock, sizeof(lock), ".%s.lock", s->base);
	s->lockfd = openat(s->dirfd, lock, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, err_size,
			 ret == -EBUSY ? "%s is being written by another process (it holds %s/%s)"
				       : "cannot lock %s (%s/%s): %s",
			 s->path, s->dir, lock, strerror(-ret));
		return ret;
	}
	/* Numbers continue after the highest in use; interrupted rotations complete now. */
	s->next_n = 1;
	ret = finish_leftovers(s);
	if (ret)
		fprintf(stderr, "warden: jsonl sink %s: finishing an earlier rotation: %s\n",
			s->path, strerror(-ret));
	ret = open_current(s);
	if (!ret && fstat(s->fd, &st))
		ret = -errno;
	if (!ret) {
		s->size = (uint64_t)st.st_size;
		ret = cut_torn_line(s);
	}
	if (ret) {
		snprintf(err, err_size, "cannot open %s: %s", s->path, strerror(-ret));
		return ret;
	}
	if (s->recovered)
		fprintf(stderr,
			"warden: jsonl sink %s: cut off %llu bytes of a torn last line (an earlier "
			"crash)\n",
			s->path, (unsigned long long)s->recovered);
	s->seg_start = s->size ? born(s->fd) : 0;
	s->fmt = open_memstream(&s->fmt_buf, &s->fmt_size);
	s->cap = BUF_CAP;
	s->buf = malloc(s->cap);
	if (!s->fmt || !s->buf) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int wd_sink_jsonl_backend(const struct wd_sink_cfg *c, const char *node,
			  const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size)
{
	struct jsonl *s;
	char *slash;
	size_t blen;
	int ret;

	(void)node;
	if (!c->path || !c->path[0]) {
		snprintf(err, err_size, "a jsonl sink needs path: the file it appends to");
		return -EINVAL;
	}
	slash = strrchr(c->path, '/');
	blen = strlen(slash ? slash + 1 : c->path);
	if (!blen || !strcmp(c->path + strlen(c->path) - blen, ".") ||
	    !strcmp(c->path + strlen(c->path) - blen, "..") || blen + SUFFIX_MAX > NAME_MAX) {
		snprintf(err, err_size,
			 "path %s: name a file (of at most %d bytes, so that its rotated segments' "
			 "names fit), not a directory",
			 c->path, NAME_MAX - SUFFIX_MAX);
		return -EINVAL;
	}
	if (c->gzip_level < 0 || c->gzip_level > 9 ||
	    (c->json != WD_JSON_WARDEN && c->json != WD_JSON_OCSF)) {
		snprintf(err, err_size, "gzip_level must be 1 to 9 and format warden or ocsf");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->c = *c;
	s->dirfd = s->fd = s->lockfd = -1;
	s->path = strdup(c->path);
	s->base = strdup(slash ? slash + 1 : c->path);
	s->dir = !slash		    ? strdup(".")
		 : slash == c->path ? strdup("/")
				    : strndup(c->path, (size_t)(slash - c->path));
	if (!s->path || !s->base || !s->dir) {
		jsonl_free(s);
		return -ENOMEM;
	}
	ret = open_sink(s, err, err_size);
	if (ret) {
		jsonl_free(s);
		return ret;
	}
	*ops = &jsonl_ops;
	*impl = s;
	return 0;
}
