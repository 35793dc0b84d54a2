// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The file sink: length-delimited records, each in the current segment whole (a partial write
 * is cut off again, a torn tail a crash left is cut off at open). Rotation, compression,
 * retention and the lock are user/export/rotate.c's, with the names NAME.pb, NAME-<time>-<n>.pb.gz.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "event/event.h"
#include "export/rotate.h"
#include "export/sink.h"
#include "export/sink_file.h"

/* Records go to the file in write()s of up to a MiB (or whatever waits when the queue runs dry).
 * On ext4 the kernel's cost per byte falls with the size of the write: the file thread spent
 * 150-215 ns per 438-byte event writing ~128 KiB at a time and 100-150 ns writing a MiB, with
 * write-behind's share down from 60-110 to 40-60 ns (bench/events, file sink at 2M/s); 4 MiB
 * gained nothing more. Holds two records of the largest size at least. */
#define BUF_SIZE (1u << 20)
_Static_assert(BUF_SIZE >= 2 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX), "a record fits twice");
#define NAME_MAX_  64
#define NS_PER_SEC 1000000000ull

struct sink_file {
	struct sink_file_opts o;
	struct wd_rot rot;  /* DIR/NAME.pb and its segments */
	uint64_t seg_start; /* ns since the epoch: the segment's first record */
	uint8_t *buf;
	size_t used;
	int pending; /* a failed rotation, for the next maintain */
	uint8_t *last;
	size_t last_len;
	uint64_t recovered;
};

static uint64_t now(struct sink_file *s)
{
	if (s->o.now_ns)
		return s->o.now_ns(s->o.now_arg);
	return wd_clock_ns(CLOCK_REALTIME);
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
	struct wd_rot_seg *segs;
	int fd, err;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = wd_rot_list(fd, dir, ".pb", name, name_valid, &segs, n);
	close(fd);
	if (err)
		return err;
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (!*out) {
		wd_rot_list_free(segs, *n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = (struct sink_file_segment){
			.path = segs[i].path,
			.name = segs[i].name,
			.n = segs[i].n,
			.ts = segs[i].ts,
			.size = segs[i].size,
			.current = segs[i].current,
			.compressed = segs[i].compressed,
		};
	free(segs);
	return 0;
}

static int rotate_at(struct sink_file *s, uint64_t now_ns)
{
	int err = sink_file_flush(s);

	return err ? err : wd_rot_rotate(&s->rot, now_ns);
}

int sink_file_rotate(struct sink_file *s)
{
	uint64_t t = now(s);
	int err = rotate_at(s, t), e = wd_rot_retention(&s->rot, t, s->used);

	return err ? err : e;
}

void sink_file_settle(struct sink_file *s)
{
	wd_rot_settle(&s->rot);
}

int sink_file_flush(struct sink_file *s)
{
	/* A record is in the file whole or not at all. */
	int err = wd_rot_append(&s->rot, s->buf, s->used);

	if (!err)
		s->used = 0;
	return err;
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
	if (s->o.max_bytes && s->rot.size + s->used > 0 &&
	    s->rot.size + s->used + framed > s->o.max_bytes) {
		uint64_t t = now(s);

		err = rotate_at(s, t);
		if (!err)
			err = wd_rot_retention(&s->rot, t, s->used);
		if (err)
			s->pending = err;
	}
	if (s->used + framed > BUF_SIZE && (err = sink_file_flush(s)))
		return err;
	/* A segment's age counts from its first record: an idle sink makes no tiny segments. */
	if (!s->rot.size && !s->used)
		s->seg_start = now(s);
	memcpy(s->buf + s->used, pre, plen);
	memcpy(s->buf + s->used + plen, rec, len);
	s->used += framed;
	return 0;
}

int sink_file_maintain(struct sink_file *s, uint64_t now_ns)
{
	int err = sink_file_flush(s), e;

	if (!err && s->o.max_age_ns && s->rot.size && now_ns >= s->seg_start + s->o.max_age_ns) {
		e = rotate_at(s, now_ns);
		if (e && !err)
			err = e;
	}
	e = wd_rot_finish(&s->rot);
	if (e && !err)
		err = e;
	e = wd_rot_retention(&s->rot, now_ns, s->used);
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

	fd = openat(s->rot.dirfd, s->rot.cur, O_RDONLY | O_CLOEXEC);
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
	if (!torn_tail(s->rot.fd, good, s->rot.size))
		return 1;
	if (ftruncate(s->rot.fd, (off_t)good))
		return -errno;
	s->recovered = s->rot.size - good;
	s->rot.size = good;
	return 0;
}

/* The last record of the newest rotated segment, when the current one has none. */
static void last_of_rotated(struct sink_file *s)
{
	struct wd_rot_seg *segs;
	struct wd_pb_reader r;
	const uint8_t *rec;
	size_t n, len;

	if (wd_rot_list(s->rot.dirfd, s->rot.dir, ".pb", s->rot.stem, NULL, &segs, &n))
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
	wd_rot_list_free(segs, n);
}

int sink_file_open(struct sink_file **out, const struct sink_file_opts *o)
{
	struct wd_rot_opts ro = {
		.dir = o->dir,
		.stem = o->name,
		.suffix = ".pb",
		.gzip_level = o->gzip_level,
		.keep_bytes = o->max_total_bytes,
		.keep_age_ns = o->max_keep_age_ns,
		.keep_files = o->max_files,
		.compress_async = true,
	};
	char probe[NAME_MAX_ + 4], pname[NAME_MAX_ + 1];
	struct sink_file *s;
	uint64_t t, pts, pn;
	int err, corrupt;
	bool pgz;

	if (!o->dir || !name_valid(o->name) || o->gzip_level < 0 || o->gzip_level > 9)
		return -EINVAL;
	/* A name whose segment would read as another sink's rotated one. */
	snprintf(probe, sizeof(probe), "%s.pb", o->name);
	if (wd_rot_parse(probe, ".pb", pname, sizeof(pname), &pts, &pn, &pgz))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	wd_rot_init(&s->rot);
	s->buf = malloc(BUF_SIZE);
	if (!s->buf) {
		err = -ENOMEM;
		goto fail;
	}
	err = wd_rot_open(&s->rot, &ro);
	if (err)
		goto fail;
	t = now(s);
	/* Numbers continue after the highest in use; unfinished rotations complete now. */
	s->pending = wd_rot_finish(&s->rot);
	err = wd_rot_open_current(&s->rot);
	if (err)
		goto fail;
	s->seg_start = t;
	if (s->rot.size) {
		corrupt = recover_current(s);
		if (corrupt < 0) {
			err = corrupt;
			goto fail;
		}
		/* Kept whole for whoever investigates; readers report where it breaks. */
		if (corrupt && (err = rotate_at(s, t)))
			goto fail;
		if (s->rot.size)
			s->seg_start = wd_rot_birth(&s->rot, t);
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
	int err = 0, e;

	if (!s)
		return 0;
	/* Buffered records are written even if the segment has to be reopened for them. */
	if (s->buf)
		err = sink_file_flush(s);
	e = wd_rot_close(&s->rot);
	if (e && !err)
		err = e;
	free(s->buf);
	free(s->last);
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

/* ---- As a pipeline backend (user/export/sink.h)
 * ---------------------------------------------------- */

struct file_backend {
	struct sink_file *f;
	char dir[PATH_MAX];
	char name[NAME_MAX_ + 1];
	int last_err;
	struct wd_sink_log log;
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
		wd_sink_logf(&b->log, NULL, "closing %s/%s.pb: %s", b->dir, b->name,
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
	wd_sink_log_init(&b->log, c);
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
