// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: segment names of the file sink (NAME-<time>-<n>.pb[.gz]) and the jsonl sink
 * (PATH-<time>-<n>[.gz]) as user/rotate.c reads them; compression in the wd_rot's own thread
 * (compress_async, as the sinks use it); UTF-8 validation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "rotate.h"
#include "utf8.h"

#define T0 1735689600ull /* 2025-01-01T00:00:00Z */

static void parsed(const char *f, const char *suffix, const char *stem, uint64_t ts, uint64_t n,
		   bool gz)
{
	char got[64];
	uint64_t gts, gn;
	bool ggz;

	if (!wd_rot_parse(f, suffix, got, sizeof(got), &gts, &gn, &ggz))
		fail_msg("%s (suffix \"%s\") is not read as a segment", f, suffix);
	assert_string_equal(got, stem);
	assert_int_equal(gts, ts);
	assert_int_equal(gn, n);
	assert_int_equal(ggz, gz);
}

static void refused(const char *f, const char *suffix)
{
	char got[64];
	uint64_t ts, n;
	bool gz;

	if (wd_rot_parse(f, suffix, got, sizeof(got), &ts, &n, &gz))
		fail_msg("%s (suffix \"%s\") is read as a segment of %s", f, suffix, got);
}

static void file_sink_names(void **state)
{
	parsed("events-20250101T000000Z-7.pb.gz", ".pb", "events", T0, 7, true);
	parsed("events-20250101T000001Z-12.pb", ".pb", "events", T0 + 1, 12, false);
	parsed("a-b-20250101T000000Z-1.pb.gz", ".pb", "a-b", T0, 1, true);
	refused("events.pb", ".pb");
	refused("events-20250101T000000Z-7.gz", ".pb");
	refused("events-20250101T000000Z-.pb", ".pb");
	refused("events-2025010xT000000Z-1.pb", ".pb");
	refused("-20250101T000000Z-1.pb", ".pb");
	refused(".events-20250101T000000Z-1.pb.gz.tmp", ".pb");
}

static void jsonl_sink_names(void **state)
{
	parsed("events.jsonl-20250101T000000Z-3.gz", "", "events.jsonl", T0, 3, true);
	parsed("events.jsonl-20250101T000000Z-3", "", "events.jsonl", T0, 3, false);
	parsed(".hidden-20250101T000000Z-1.gz", "", ".hidden", T0, 1, true);
	refused("events.jsonl", "");
	refused("events.gz", "");
	refused(".events.jsonl.lock", "");
	refused(".events.jsonl-20250101T000000Z-3.gz.tmp", "");
}

/* --- compress_async ------------------------------------------------------------------------- */

#define BIG (24u << 20) /* random bytes: seconds of deflate at level 9, so it is seen busy */
#define NOW (T0 * 1000000000ull)

struct gzfx {
	char dir[64];
	struct wd_rot r;
	struct wd_rot_opts o;
};

static int gz_setup(void **state)
{
	struct gzfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wd-rotate-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->o = (struct wd_rot_opts){.dir = f->dir,
				    .stem = "ev",
				    .suffix = ".pb",
				    .gzip_level = 9,
				    .compress_async = true};
	wd_rot_init(&f->r);
	assert_int_equal(wd_rot_open(&f->r, &f->o), 0);
	*state = f;
	return 0;
}

static int gz_teardown(void **state)
{
	struct gzfx *f = *state;
	char cmd[128];

	wd_rot_close(&f->r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Appends @n bytes: random (incompressible, slow to deflate) or a pattern of @seed. */
static void fill(struct gzfx *f, size_t n, unsigned seed, bool random)
{
	static unsigned char buf[1 << 16];
	unsigned st = seed;

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] =
				random ? (unsigned char)rand_r(&st) : (unsigned char)(seed + i % 7);
		assert_int_equal(wd_rot_append(&f->r, buf, k), 0);
		n -= k;
	}
}

static bool exists(struct gzfx *f, const char *name)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return access(p, F_OK) == 0;
}

/* The uncompressed size of gzip file @name, or -1 if it does not inflate completely. */
static long long gz_size(struct gzfx *f, const char *name)
{
	static unsigned char buf[1 << 16];
	long long total = 0;
	char p[192];
	gzFile z;
	int k;

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	z = gzopen(p, "rb");
	if (!z)
		return -1;
	while ((k = gzread(z, buf, sizeof(buf))) > 0)
		total += k;
	if (k < 0 || !gzeof(z))
		total = -1;
	gzclose(z);
	return total;
}

/* The nice value of the thread named @comm in this process, or 100 if there is none. */
static int thread_nice(const char *comm)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int nice = 100;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char p[96], buf[512], *c;
		FILE *in;
		int v;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/stat", de->d_name);
		in = fopen(p, "r");
		if (!in)
			continue;
		if (fgets(buf, sizeof(buf), in) && (c = strrchr(buf, ')')) &&
		    !strncmp(strchr(buf, '(') + 1, comm, strlen(comm)) &&
		    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt
		     * cmajflt utime stime cutime cstime priority nice */
		    sscanf(c + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
			   &v) == 1)
			nice = v;
		fclose(in);
	}
	closedir(d);
	return nice;
}

/* The caller's rotation returns while the segment is still plain; a thread named wd-gzip at
 * nice 19 compresses it, completely. */
static void async_compression(void **state)
{
	struct gzfx *f = *state;

	fill(f, BIG, 1, true);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	assert_true(exists(f, "ev-20250101T000000Z-1.pb"));
	assert_int_equal(f->r.size, 0);
	/* The sink goes on appending meanwhile. */
	fill(f, 4096, 2, false);
	assert_int_equal(f->r.size, 4096);
	wd_rot_settle(&f->r);
	assert_int_equal(thread_nice("wd-gzip"), 19);
	assert_false(exists(f, "ev-20250101T000000Z-1.pb"));
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-1.pb.gz"), BIG);
	assert_int_equal(wd_rot_finish(&f->r), 0);
}

/* Neither retention nor wd_rot_finish() touches the segment being compressed (its plain copy
 * or its temporary); a segment still queued may be deleted, and its compression then does
 * nothing and reports nothing. */
static void busy_segment_left_alone(void **state)
{
	struct gzfx *f = *state;
	const char *tmp = ".ev-20250101T000000Z-1.pb.gz.tmp";
	struct stat before, after;
	char p[192];

	fill(f, BIG, 3, true);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	fill(f, 1000, 4, false);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	snprintf(p, sizeof(p), "%s/%s", f->dir, tmp);
	for (int i = 0; i < 2000 && stat(p, &before); i++)
		usleep(1000);
	if (stat(p, &before))
		fail_msg("the compression of segment 1 did not start within 2 s");
	/* Keep nothing rotated: segment 2 (queued) goes, segment 1 (busy) stays. */
	f->r.o.keep_files = 0;
	f->r.o.keep_bytes = 1;
	assert_int_equal(wd_rot_retention(&f->r, NOW, 0), 0);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	if (stat(p, &after))
		fail_msg("segment 1's temporary is gone: deleted while in use, or its compression "
			 "ended before the test looked (make BIG larger)");
	assert_int_equal(before.st_ino, after.st_ino);
	assert_true(exists(f, "ev-20250101T000000Z-1.pb"));
	assert_false(exists(f, "ev-20250101T000000Z-2.pb"));
	wd_rot_settle(&f->r);
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-1.pb.gz"), BIG);
	assert_false(exists(f, "ev-20250101T000000Z-1.pb"));
	assert_false(exists(f, "ev-20250101T000000Z-2.pb.gz"));
	assert_int_equal(wd_rot_finish(&f->r), 0);
	/* Now it may go. */
	assert_int_equal(wd_rot_retention(&f->r, NOW, 0), 0);
	assert_false(exists(f, "ev-20250101T000000Z-1.pb.gz"));
}

/* Closing finishes what is queued; a failed compression is reported by the next
 * wd_rot_finish(), which queues the segment again. */
static void close_drains_and_errors_report(void **state)
{
	struct gzfx *f = *state;
	char name[64], p[192];

	for (unsigned i = 1; i <= 3; i++) {
		fill(f, 100000, i, false);
		assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	}
	assert_int_equal(wd_rot_close(&f->r), 0);
	for (unsigned i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "ev-20250101T000000Z-%u.pb.gz", i);
		assert_int_equal(gz_size(f, name), 100000);
		name[strlen(name) - 3] = '\0';
		assert_false(exists(f, name));
	}

	/* Numbering goes on, and never over a compressed segment even when the caller skipped
	 * wd_rot_finish(). A directory in the way of the temporary: the compression fails. */
	wd_rot_init(&f->r);
	assert_int_equal(wd_rot_open(&f->r, &f->o), 0);
	f->r.next_n = 3;
	snprintf(p, sizeof(p), "%s/.ev-20250101T000000Z-4.pb.gz.tmp", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	fill(f, 1000, 5, false);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	wd_rot_settle(&f->r);
	assert_true(exists(f, "ev-20250101T000000Z-4.pb"));
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(wd_rot_finish(&f->r), -EISDIR);
	wd_rot_settle(&f->r);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-4.pb.gz"), 1000);
	assert_false(exists(f, "ev-20250101T000000Z-4.pb"));
}

static void utf8(void **state)
{
	assert_int_equal(wd_utf8_seq((const unsigned char *)"a", 1), 1);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe2\x82\xac", 2), 0); /* cut */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe2\x82", 8), 0);	    /* NUL */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);	    /* overlong */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xff", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_sink_names),
		cmocka_unit_test(jsonl_sink_names),
		cmocka_unit_test_setup_teardown(async_compression, gz_setup, gz_teardown),
		cmocka_unit_test_setup_teardown(busy_segment_left_alone, gz_setup, gz_teardown),
		cmocka_unit_test_setup_teardown(close_drains_and_errors_report, gz_setup,
						gz_teardown),
		cmocka_unit_test(utf8),
	};

	return cmocka_run_group_tests_name("rotate", tests, NULL, NULL);
}
