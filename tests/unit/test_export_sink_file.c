// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the file sink. Records come back in order, across rotations by size and by age (with an
 * injected clock), from gzip segments zlib itself inflates; retention removes the oldest
 * segments only; a torn last record is detected by readers and cut off by the next open; a
 * failed write leaves no partial record behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "event/event.h"
#include "export/sink_file.h"

#define SEC 1000000000ull
#define T0  (1735689600ull * SEC) /* 2025-01-01T00:00:00Z */

struct fx {
	char dir[64];
	uint64_t clock;
	struct sink_file_opts o;
};

static uint64_t fake_now(void *arg)
{
	return ((struct fx *)arg)->clock;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/wd-sink-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->clock = T0;
	f->o.dir = f->dir;
	f->o.name = "events";
	f->o.now_ns = fake_now;
	f->o.now_arg = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Record @i: its number in text, padded so that records differ in length. */
static size_t record(unsigned i, char *buf)
{
	return (size_t)sprintf(buf, "record-%u-%.*s", i, (int)(i % 40),
			       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static void write_records(struct sink_file *s, unsigned from, unsigned to)
{
	char buf[128];

	for (unsigned i = from; i < to; i++)
		assert_int_equal(sink_file_write(s, buf, record(i, buf)), 0);
}

/* Reads every record of @path in order, checking that they are @from, @from + 1, ...;
 * returns the number after the last one read. */
static unsigned read_expect(const char *path, unsigned from)
{
	struct wd_pb_reader r;
	const uint8_t *rec;
	char want[128];
	size_t len;
	int ret;

	assert_int_equal(wd_pb_reader_open(&r, path), 0);
	while ((ret = wd_pb_read_record(&r, &rec, &len)) == 1) {
		size_t n = record(from, want);

		assert_int_equal(len, n);
		assert_memory_equal(rec, want, n);
		from++;
	}
	assert_int_equal(ret, 0);
	wd_pb_reader_close(&r);
	return from;
}

static unsigned read_all(const char *dir, unsigned from)
{
	struct sink_file_segment *segs;
	size_t n;

	assert_int_equal(sink_file_list(dir, NULL, &segs, &n), 0);
	for (size_t i = 0; i < n; i++)
		from = read_expect(segs[i].path, from);
	sink_file_list_free(segs, n);
	return from;
}

static size_t count_rotated(const char *dir, uint64_t *first_n)
{
	struct sink_file_segment *segs;
	size_t n, k = 0;

	assert_int_equal(sink_file_list(dir, "events", &segs, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (segs[i].current)
			continue;
		if (!k && first_n)
			*first_n = segs[i].n;
		k++;
	}
	sink_file_list_free(segs, n);
	return k;
}

static void write_read_back(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	char path[128];
	const void *last;
	size_t len;

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_last_record(s, &last, &len), -ENOENT);
	write_records(s, 0, 100);
	/* Buffered until flushed. */
	snprintf(path, sizeof(path), "%s/events.pb", f->dir);
	assert_int_equal(read_expect(path, 0), 0);
	assert_int_equal(sink_file_flush(s), 0);
	assert_int_equal(read_expect(path, 0), 100);
	write_records(s, 100, 150);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_expect(path, 0), 150);

	/* Reopened: appends, and knows the last record. */
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_last_record(s, &last, &len), 0);
	assert_int_equal(len, 11 + 149 % 40);
	assert_memory_equal(last, "record-149-", 11);
	write_records(s, 150, 160);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_expect(path, 0), 160);
	assert_int_equal(count_rotated(f->dir, NULL), 0);
}

static void one_writer(void **state)
{
	struct fx *f = *state;
	struct sink_file *s, *t;
	struct sink_file_opts bad = f->o;

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_open(&t, &f->o), -EBUSY);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(sink_file_open(&t, &f->o), 0);
	assert_int_equal(sink_file_close(t), 0);

	bad.name = "../x";
	assert_int_equal(sink_file_open(&s, &bad), -EINVAL);
	bad.name = ".hidden";
	assert_int_equal(sink_file_open(&s, &bad), -EINVAL);
	bad.name = "ev-20250101T000000Z-3";
	assert_int_equal(sink_file_open(&s, &bad), -EINVAL);
	bad = f->o;
	bad.dir = "/nonexistent/wd";
	assert_int_equal(sink_file_open(&s, &bad), -ENOENT);
}

static void too_big(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	static char big[WD_PB_RECORD_MAX + 1];

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_write(s, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(sink_file_write(s, big, WD_PB_RECORD_MAX), 0);
	assert_int_equal(sink_file_close(s), 0);
}

/* Reads a whole .gz file with zlib alone into @out. */
static size_t inflate_file(const char *path, uint8_t *out, size_t cap)
{
	gzFile gz = gzopen(path, "rb");
	int n;

	assert_non_null(gz);
	assert_int_equal(gzdirect(gz), 0); /* really compressed */
	n = gzread(gz, out, (unsigned)cap);
	assert_true(n >= 0);
	assert_int_equal(gzclose(gz), Z_OK);
	return (size_t)n;
}

static void rotation_by_size(void **state)
{
	struct fx *f = *state;
	struct sink_file_segment *segs;
	static uint8_t data[1 << 20];
	struct sink_file *s;
	size_t n, len, off;
	unsigned next = 0;
	uint64_t v;

	f->o.max_bytes = 2000;
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 500);
	/* Far more rotations than the compression thread's queue holds: it finds the rest. */
	sink_file_settle(s);
	assert_int_equal(sink_file_close(s), 0);

	assert_int_equal(sink_file_list(f->dir, "events", &segs, &n), 0);
	assert_true(n > 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(segs[i].current == (i == n - 1));
		if (segs[i].current)
			break;
		assert_true(segs[i].compressed);
		assert_int_equal(segs[i].n, i + 1);
		assert_int_equal(segs[i].ts, T0 / SEC);
		assert_non_null(strstr(segs[i].path, "/events-20250101T000000Z-"));
		/* zlib inflates it to whole records, each the next one, none over max_bytes. */
		len = inflate_file(segs[i].path, data, sizeof(data));
		assert_true(len > 0 && len <= 2000);
		for (off = 0; off < len;) {
			char want[128];
			size_t wl = record(next++, want);
			int used = wd_pb_varint_get(data + off, len - off, &v);

			assert_true(used > 0);
			assert_int_equal(v, wl);
			assert_memory_equal(data + off + used, want, wl);
			off += (size_t)used + v;
		}
		assert_int_equal(off, len);
	}
	sink_file_list_free(segs, n);
	assert_int_equal(read_all(f->dir, 0), 500);

	/* No uncompressed or temporary leftovers. */
	{
		DIR *d = opendir(f->dir);
		struct dirent *de;

		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);

			assert_null(strstr(de->d_name, ".tmp"));
			if (strcmp(de->d_name, "events.pb") && l > 3)
				assert_false(strcmp(de->d_name + l - 3, ".pb") == 0);
		}
		closedir(d);
	}
}

static void rotation_by_age(void **state)
{
	struct fx *f = *state;
	struct sink_file_segment *segs;
	struct sink_file *s;
	size_t n;

	f->o.max_age_ns = 60 * SEC;
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 10);
	assert_int_equal(sink_file_maintain(s, T0 + 59 * SEC), 0);
	assert_int_equal(count_rotated(f->dir, NULL), 0);
	assert_int_equal(sink_file_maintain(s, T0 + 60 * SEC), 0);
	assert_int_equal(count_rotated(f->dir, NULL), 1);

	/* An empty segment is not rotated, however old. */
	assert_int_equal(sink_file_maintain(s, T0 + 600 * SEC), 0);
	assert_int_equal(count_rotated(f->dir, NULL), 1);

	/* The new segment's age counts from its first record. */
	f->clock = T0 + 100 * SEC;
	write_records(s, 10, 20);
	assert_int_equal(sink_file_maintain(s, T0 + 159 * SEC), 0);
	assert_int_equal(count_rotated(f->dir, NULL), 1);
	assert_int_equal(sink_file_maintain(s, T0 + 160 * SEC), 0);
	assert_int_equal(count_rotated(f->dir, NULL), 2);
	write_records(s, 20, 25);
	sink_file_settle(s);
	assert_int_equal(sink_file_close(s), 0);

	assert_int_equal(sink_file_list(f->dir, "events", &segs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(strrchr(segs[0].path, '/'), "/events-20250101T000100Z-1.pb.gz");
	assert_string_equal(strrchr(segs[1].path, '/'), "/events-20250101T000240Z-2.pb.gz");
	assert_true(segs[2].current);
	sink_file_list_free(segs, n);
	assert_int_equal(read_all(f->dir, 0), 25);
}

/* Five rotations, one record each, a minute apart. */
static void five_segments(struct fx *f, struct sink_file *s)
{
	for (unsigned i = 0; i < 5; i++) {
		write_records(s, i, i + 1);
		f->clock = T0 + i * 60 * SEC;
		assert_int_equal(sink_file_rotate(s), 0);
		sink_file_settle(s);
	}
}

static void retention_by_count(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	uint64_t first;

	f->o.max_files = 2;
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	five_segments(f, s);
	assert_int_equal(count_rotated(f->dir, &first), 2);
	assert_int_equal(first, 4); /* 1-3 were the oldest */
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_all(f->dir, 3), 5);
}

static void retention_by_size(void **state)
{
	struct fx *f = *state;
	struct sink_file_segment *segs;
	struct sink_file *s;
	uint64_t first, one;
	size_t n;

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 1);
	assert_int_equal(sink_file_rotate(s), 0);
	sink_file_settle(s);
	assert_int_equal(sink_file_list(f->dir, "events", &segs, &n), 0);
	assert_true(segs[0].compressed);
	one = segs[0].size;
	sink_file_list_free(segs, n);
	assert_int_equal(sink_file_close(s), 0);

	/* Room for three segments the size of the first (records 0-4 compress alike). */
	f->o.max_total_bytes = 3 * one + one / 2;
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	for (unsigned i = 1; i < 5; i++) {
		write_records(s, i, i + 1);
		assert_int_equal(sink_file_rotate(s), 0);
		sink_file_settle(s);
	}
	/* The last rotation's retention waited for its compression; the next tick's does it. */
	assert_int_equal(sink_file_maintain(s, T0), 0);
	assert_int_equal(count_rotated(f->dir, &first), 3);
	assert_int_equal(first, 3);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_all(f->dir, 2), 5);
}

static void retention_by_age(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	uint64_t first;

	f->o.max_keep_age_ns = 150 * SEC;
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	five_segments(f, s); /* rotated at T0 + 0, 60, 120, 180, 240 s */
	/* At T0 + 240 s, the segments of T0 + 0 and 60 s are over 150 s old. */
	assert_int_equal(count_rotated(f->dir, &first), 3);
	assert_int_equal(first, 3);
	assert_int_equal(sink_file_maintain(s, T0 + 331 * SEC), 0);
	assert_int_equal(count_rotated(f->dir, &first), 1);
	assert_int_equal(first, 5);
	assert_int_equal(sink_file_close(s), 0);
}

static void truncated_last_record(void **state)
{
	struct fx *f = *state;
	struct wd_pb_reader r;
	const uint8_t *rec;
	struct sink_file *s;
	char path[128];
	struct stat st;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/events.pb", f->dir);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 10);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(stat(path, &st), 0);
	/* A crash in the middle of the 11th record: its prefix says 30 bytes, 5 are there. */
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_int_equal(write(fd, "\x1erecor", 6), 6);
	close(fd);

	assert_int_equal(wd_pb_reader_open(&r, path), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(wd_pb_read_record(&r, &rec, &len), 1);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EBADMSG);
	assert_int_equal(r.n, 10);
	assert_int_equal(r.offset, st.st_size);
	wd_pb_reader_close(&r);

	/* The next open cuts the torn record off and appends after the good ones. */
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_recovered_bytes(s), 6);
	write_records(s, 10, 12);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_expect(path, 0), 12);
}

static void zero_tail_and_corruption(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	char path[128];
	struct stat st;
	off_t good;
	int fd;

	snprintf(path, sizeof(path), "%s/events.pb", f->dir);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 5);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(stat(path, &st), 0);
	good = st.st_size;
	/* Zeros where data should have been (a crash after the size was updated). */
	assert_int_equal(truncate(path, good + 4096), 0);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_recovered_bytes(s), 4096);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_expect(path, 0), 5);

	/* Corruption with data after it is kept whole, rotated away, not cut off. */
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_int_equal(write(fd,
			       "\xff\xff\xff\xff\x0f"
			       "0123456789abcdef",
			       21),
			 21);
	close(fd);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_recovered_bytes(s), 0);
	assert_int_equal(count_rotated(f->dir, NULL), 1);
	write_records(s, 5, 6);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_expect(path, 5), 6);
}

/* A crash between the steps of a rotation leaves an uncompressed rotated segment and a
 * temporary; the next open finishes the job. */
static void unfinished_rotation(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	char from[128], to[128], tmp[128];
	FILE *fp;

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 7);
	assert_int_equal(sink_file_close(s), 0);
	snprintf(from, sizeof(from), "%s/events.pb", f->dir);
	snprintf(to, sizeof(to), "%s/events-20250101T000000Z-4.pb", f->dir);
	snprintf(tmp, sizeof(tmp), "%s/.events-20250101T000000Z-4.pb.gz.tmp", f->dir);
	assert_int_equal(rename(from, to), 0);
	fp = fopen(tmp, "w");
	fputs("half", fp);
	fclose(fp);
	/* Readers already see it, uncompressed. */
	assert_int_equal(read_all(f->dir, 0), 7);

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	sink_file_settle(s);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(to, F_OK), -1);
	strcat(to, ".gz");
	assert_int_equal(access(to, F_OK), 0);
	write_records(s, 7, 9);
	/* Numbering continues after the highest number in use. */
	assert_int_equal(sink_file_rotate(s), 0);
	sink_file_settle(s);
	to[strlen(to) - 7] = '5';
	assert_int_equal(access(to, F_OK), 0);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_all(f->dir, 0), 9);

	/* Compressed and uncompressed copies of one segment (a crash before the unlink): read
	 * once, and the next open removes the uncompressed one. */
	to[strlen(to) - 3] = '\0';
	fp = fopen(to, "w");
	for (unsigned i = 7; i < 9; i++) {
		char rec[128];
		uint8_t pre[WD_PB_VARINT_MAX];
		size_t len = record(i, rec);

		fwrite(pre, 1, wd_pb_varint_put(pre, len), fp);
		fwrite(rec, 1, len, fp);
	}
	fclose(fp);
	assert_int_equal(read_all(f->dir, 0), 9);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(access(to, F_OK), -1);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_all(f->dir, 0), 9);
}

static void last_record_from_rotated(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	const void *last;
	size_t len;

	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 3);
	assert_int_equal(sink_file_rotate(s), 0);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	assert_int_equal(sink_file_last_record(s, &last, &len), 0);
	assert_memory_equal(last, "record-2-xx", 11);
	assert_int_equal(sink_file_close(s), 0);
}

/* A write that fails half way (file size limit) leaves the file at the last whole record, and
 * the records stay buffered for the next flush. */
static void failed_write_leaves_no_tear(void **state)
{
	struct fx *f = *state;
	struct sink_file *s;
	struct rlimit old, lim;
	char path[128];
	struct stat st;
	off_t whole;

	snprintf(path, sizeof(path), "%s/events.pb", f->dir);
	assert_int_equal(sink_file_open(&s, &f->o), 0);
	write_records(s, 0, 10);
	assert_int_equal(sink_file_flush(s), 0);
	assert_int_equal(stat(path, &st), 0);
	whole = st.st_size;
	write_records(s, 10, 100);

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)whole + 100;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(sink_file_flush(s), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, whole);
	assert_int_equal(read_expect(path, 0), 10);
	assert_int_equal(sink_file_close(s), 0);
	assert_int_equal(read_expect(path, 0), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(one_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(rotation_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(rotation_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_count, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_last_record, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_tail_and_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(unfinished_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(last_record_from_rotated, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_write_leaves_no_tear, setup, teardown),
	};

	return cmocka_run_group_tests_name("sink_file", tests, NULL, NULL);
}
