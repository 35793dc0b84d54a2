// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: write-behind (user/export/writebehind.c) as the sinks' current file gets it through
 * wd_rot_append(): on a disk file system the page cache holds at most the lag and a window of
 * what was appended, with appends that end mid-page (no page left behind at a window's edge),
 * and the file reads back whole; tmpfs is left alone; the wd-wb thread follows cuts and new
 * files, and works on a descriptor of its own. (That it takes no signals is test_rotate's
 * signals_stay_with_the_caller.) */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "export/rotate.h"
#include "export/writebehind.h"

#define CHUNK 1000u /* appends that end mid-page, as records do */
#define TOTAL (12 * WD_WB_WINDOW)
#define PAGE  ((uint64_t)sysconf(_SC_PAGESIZE))

struct fx {
	char dir[64];
	struct wd_rot r;
};

static long fs_type(const char *dir)
{
	struct statfs sf;

	assert_int_equal(statfs(dir, &sf), 0);
	return (long)sf.f_type;
}

/* Skips the test, saying why, where write-behind has nothing to do. */
static void need_write_behind(const char *dir)
{
	long t = fs_type(dir);

	if (t == TMPFS_MAGIC || t == OVERLAYFS_SUPER_MAGIC) {
		print_message("# skip: %s is on tmpfs or overlayfs here: not written behind\n",
			      dir);
		skip();
	}
}

static struct fx *fx_open(const char *base)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct wd_rot_opts o = {.stem = "ev", .suffix = ".pb"};

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/wd-wb-XXXXXX", base);
	assert_non_null(mkdtemp(f->dir));
	o.dir = f->dir;
	wd_rot_init(&f->r);
	assert_int_equal(wd_rot_open(&f->r, &o), 0);
	return f;
}

static void fx_close(struct fx *f)
{
	char cmd[128];

	wd_rot_close(&f->r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

static unsigned char at(uint64_t off)
{
	return (unsigned char)(off * 31 + off / 4093);
}

/* Appends TOTAL bytes of a pattern that tells every offset apart. */
static void append_all(struct wd_rot *r)
{
	static unsigned char buf[CHUNK];

	for (uint64_t off = 0; off < TOTAL; off += CHUNK) {
		size_t k = TOTAL - off < CHUNK ? (size_t)(TOTAL - off) : CHUNK;

		for (size_t i = 0; i < k; i++)
			buf[i] = at(off + i);
		assert_int_equal(wd_rot_append(r, buf, k), 0);
	}
	assert_int_equal(r->size, TOTAL);
}

/* Bytes of @fd's file in the page cache. */
static uint64_t cached(int fd, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (size + (uint64_t)page - 1) / (uint64_t)page;
	unsigned char *vec = malloc(pages);
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	uint64_t n = 0;

	assert_non_null(vec);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mincore(m, size, vec), 0);
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	munmap(m, size);
	free(vec);
	return n * (uint64_t)page;
}

static void reads_back(const char *dir)
{
	static unsigned char buf[CHUNK];
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/ev.pb", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (uint64_t off = 0; off < TOTAL; off += CHUNK) {
		size_t k = TOTAL - off < CHUNK ? (size_t)(TOTAL - off) : CHUNK;

		assert_int_equal(pread(fd, buf, k, (off_t)off), (ssize_t)k);
		for (size_t i = 0; i < k; i++)
			if (buf[i] != at(off + i))
				fail_msg("byte %llu reads %u, was written %u",
					 (unsigned long long)(off + i), buf[i], at(off + i));
	}
	close(fd);
}

/* A disk file system: what was appended more than the lag and a window ago is out of the cache,
 * and all of it is on the disk. */
static void disk_cache_stays_small(void **state)
{
	struct fx *f;
	uint64_t c;

	need_write_behind("/var/tmp");
	f = fx_open("/var/tmp");
	append_all(&f->r);
	assert_true(f->r.wb.running);
	wd_wb_settle(&f->r.wb);
	c = cached(f->r.fd, f->r.size);
	print_message("# %llu MiB appended, %llu KiB of it cached\n",
		      (unsigned long long)(TOTAL >> 20), (unsigned long long)(c >> 10));
	/* The lag, the window being filled, and the page being appended to. */
	if (c > WD_WB_LAG + WD_WB_WINDOW + PAGE)
		fail_msg("%llu KiB of %llu MiB appended still cached: not written behind",
			 (unsigned long long)(c >> 10), (unsigned long long)(TOTAL >> 20));
	reads_back(f->dir);
	fx_close(f);
}

/* tmpfs: its pages are the file, and there is no writeback: left alone, no thread. */
static void tmpfs_keeps_everything(void **state)
{
	struct fx *f;

	if (fs_type("/dev/shm") != TMPFS_MAGIC) {
		print_message("# skip: /dev/shm is not tmpfs here\n");
		skip();
	}
	f = fx_open("/dev/shm");
	append_all(&f->r);
	assert_false(f->r.wb.running);
	assert_int_equal(f->r.wb.fd, -1);
	assert_int_equal(cached(f->r.fd, f->r.size), TOTAL);
	reads_back(f->dir);
	fx_close(f);
}

/* The thread follows a cut (a failed append cut back) and a new file, and works on a
 * description of its own (read-only: its errors and its close are not the writer's); what is not
 * a regular file is left alone. */
static void cut_new_file_own_description(void **state)
{
	char dir[64], path[96];
	struct wd_wb w;
	int fd, p[2], fl;

	need_write_behind("/var/tmp");
	snprintf(dir, sizeof(dir), "/var/tmp/wd-wb-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	wd_wb_init(&w);
	wd_wb_file(&w, fd, 100);
	assert_true(w.running);
	assert_true(w.fd >= 0 && w.fd != fd);
	fl = fcntl(w.fd, F_GETFL);
	assert_int_equal(fl & O_ACCMODE, O_RDONLY);
	assert_int_equal(w.started, 0); /* a page boundary: 100 is mid-page */
	wd_wb_advance(&w, 100 + WD_WB_WINDOW - PAGE);
	wd_wb_settle(&w);
	assert_int_equal(w.started, 0); /* less than a window: nothing to do yet */
	wd_wb_advance(&w, 100 + 4 * WD_WB_WINDOW);
	wd_wb_settle(&w);
	assert_int_equal(w.started, 4 * WD_WB_WINDOW); /* the last whole page */
	assert_int_equal(w.dropped, 4 * WD_WB_WINDOW - WD_WB_LAG);
	wd_wb_advance(&w, PAGE + 100);
	wd_wb_settle(&w);
	assert_int_equal(w.started, PAGE);
	assert_int_equal(w.dropped, PAGE);
	assert_int_equal(pipe(p), 0);
	wd_wb_file(&w, p[1], 7);
	assert_int_equal(w.fd, -1);
	wd_wb_advance(&w, 7 + 2 * WD_WB_WINDOW);
	wd_wb_settle(&w);
	assert_int_equal(w.started, 0);
	wd_wb_destroy(&w);
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(disk_cache_stays_small),
		cmocka_unit_test(tmpfs_keeps_everything),
		cmocka_unit_test(cut_new_file_own_description),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
