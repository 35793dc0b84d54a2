// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: segment names of the file sink (NAME-<time>-<n>.pb[.gz]) and the jsonl sink
 * (PATH-<time>-<n>[.gz]) as user/export/rotate_list.c reads them; compression in the wd_rot's own
 * thread (compress_async, as the sinks use it); UTF-8 validation. A little over 600 lines: the
 * compression cases share the fixture of lines 84-310 (a gated fsync, a scratch directory). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "export/rotate.h"
#include "lib/utf8.h"

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

/* fsync() as user/export/rotate.c calls it (this definition is linked before libc's): the real one,
 * counted by caller, the test's own thread or another (wd-sync, wd-gzip); the others, or those
 * of one name, can be held at a gate; wd-sync's next can be given an error. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t test;
	bool have_test, gate;
	char gate_name[16]; /* "": every other thread */
	unsigned mine, others, held;
	int fail_sync; /* errno for wd-sync's next fsync */
} fs = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static bool gated(const char *name)
{
	return fs.gate && (!fs.gate_name[0] || !strcmp(name, fs.gate_name));
}

int fsync(int fd)
{
	char name[16] = "";
	bool mine;
	int fail = 0;

	pthread_getname_np(pthread_self(), name, sizeof(name));
	pthread_mutex_lock(&fs.mu);
	mine = fs.have_test && pthread_equal(pthread_self(), fs.test);
	if (mine) {
		fs.mine++;
	} else {
		if (gated(name)) {
			fs.held++;
			pthread_cond_broadcast(&fs.cv);
			while (gated(name))
				pthread_cond_wait(&fs.cv, &fs.mu);
			fs.held--;
		}
		fs.others++;
		pthread_cond_broadcast(&fs.cv);
		if (fs.fail_sync && !strcmp(name, "wd-sync")) {
			fail = fs.fail_sync;
			fs.fail_sync = 0;
		}
	}
	pthread_mutex_unlock(&fs.mu);
	if (fail) {
		errno = fail;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

static void fs_reset(bool gate, const char *name)
{
	pthread_mutex_lock(&fs.mu);
	fs.test = pthread_self();
	fs.have_test = true;
	fs.gate = gate;
	snprintf(fs.gate_name, sizeof(fs.gate_name), "%s", name);
	fs.mine = fs.others = 0;
	pthread_cond_broadcast(&fs.cv);
	pthread_mutex_unlock(&fs.mu);
}

static unsigned fs_count(bool mine)
{
	unsigned n;

	pthread_mutex_lock(&fs.mu);
	n = mine ? fs.mine : fs.others;
	pthread_mutex_unlock(&fs.mu);
	return n;
}

/* Waits (up to 10 s) until *@n, a count of fs's, reaches @want; returns it. */
static unsigned fs_wait(const unsigned *n, unsigned want)
{
	struct timespec until;
	unsigned got;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&fs.mu);
	while (*n < want && pthread_cond_timedwait(&fs.cv, &fs.mu, &until) != ETIMEDOUT)
		;
	got = *n;
	pthread_mutex_unlock(&fs.mu);
	return got;
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#define BIG (24u << 20) /* random bytes: seconds of deflate at level 9, so it is seen busy */
#define NOW (T0 * 1000000000ull)

struct gzfx {
	char dir[64];
	struct wd_rot r;
	struct wd_rot_opts o;
	int hold; /* the writer of a FIFO segment: closed first at teardown, so a failed test
		   * does not leave wd-gzip waiting on it */
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
	f->hold = -1;
	wd_rot_init(&f->r);
	assert_int_equal(wd_rot_open(&f->r, &f->o), 0);
	*state = f;
	return 0;
}

static int gz_teardown(void **state)
{
	struct gzfx *f = *state;
	char cmd[128];

	if (f->hold >= 0)
		close(f->hold);
	/* A failed check must not leave wd-gzip or wd-sync held in fsync(). */
	pthread_mutex_lock(&fs.mu);
	fs.gate = false;
	fs.have_test = false;
	pthread_cond_broadcast(&fs.cv);
	pthread_mutex_unlock(&fs.mu);
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

/* Neither retention nor wd_rot_finish() touches a segment waiting for or under compression,
 * its temporary, or a newer segment. Segment 1 is a FIFO: its compression waits for the test's
 * writer, so the test decides when it is under way and when it ends. */
static void busy_segment_left_alone(void **state)
{
	struct gzfx *f = *state;
	char fifo[192], tmp[192];
	struct stat before, after;

	snprintf(fifo, sizeof(fifo), "%s/ev-20250101T000000Z-1.pb", f->dir);
	snprintf(tmp, sizeof(tmp), "%s/.ev-20250101T000000Z-1.pb.gz.tmp", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(wd_rot_finish(&f->r), 0); /* queues it; numbering goes on after 1 */
	fill(f, 1000, 4, false);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	assert_true(exists(f, "ev-20250101T000000Z-2.pb"));
	/* Returns once wd-gzip has opened the FIFO; it then makes its temporary and waits. */
	f->hold = open(fifo, O_WRONLY | O_CLOEXEC);
	assert_true(f->hold >= 0);
	for (int i = 0; i < 5000 && stat(tmp, &before); i++)
		usleep(1000);
	if (stat(tmp, &before))
		fail_msg("no temporary 5 s after the compression of segment 1 began");
	/* Everything rotated expired: nothing goes while segment 1 is under way and 2 waits. */
	f->r.o.keep_age_ns = 1;
	f->r.o.keep_bytes = 1;
	assert_int_equal(wd_rot_retention(&f->r, NOW + 10 * 1000000000ull, 0), 0);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	assert_int_equal(stat(tmp, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_true(exists(f, "ev-20250101T000000Z-1.pb"));
	assert_true(exists(f, "ev-20250101T000000Z-2.pb"));
	assert_int_equal(write(f->hold, "hello", 5), 5);
	close(f->hold);
	f->hold = -1;
	wd_rot_settle(&f->r);
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-1.pb.gz"), 5);
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-2.pb.gz"), 1000);
	assert_false(exists(f, "ev-20250101T000000Z-1.pb"));
	assert_false(exists(f, "ev-20250101T000000Z-2.pb"));
	assert_int_equal(wd_rot_finish(&f->r), 0);
	/* Now they may go. */
	assert_int_equal(wd_rot_retention(&f->r, NOW + 10 * 1000000000ull, 0), 0);
	assert_false(exists(f, "ev-20250101T000000Z-1.pb.gz"));
	assert_false(exists(f, "ev-20250101T000000Z-2.pb.gz"));
}

/* The size budget counts a waiting segment once compressed: a burst of rotations does not
 * delete older history that fits. */
static void pending_segments_outside_budget(void **state)
{
	struct gzfx *f = *state;
	char fifo[192];

	fill(f, 1000, 1, false);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	wd_rot_settle(&f->r);
	/* Segment 2 a FIFO held open, 3 and 4 big and waiting behind it. */
	snprintf(fifo, sizeof(fifo), "%s/ev-20250101T000000Z-2.pb", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	f->hold = open(fifo, O_WRONLY | O_CLOEXEC);
	assert_true(f->hold >= 0);
	for (unsigned i = 3; i <= 4; i++) {
		fill(f, 1 << 20, i, false);
		assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	}
	f->r.o.keep_bytes = 64 * 1024; /* the plain 2 MiB would be over it; compressed, not */
	assert_int_equal(wd_rot_retention(&f->r, NOW, 0), 0);
	assert_true(exists(f, "ev-20250101T000000Z-1.pb.gz"));
	close(f->hold);
	f->hold = -1;
	wd_rot_settle(&f->r);
	assert_int_equal(wd_rot_retention(&f->r, NOW, 0), 0);
	assert_true(exists(f, "ev-20250101T000000Z-1.pb.gz"));
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-4.pb.gz"), 1 << 20);
	assert_int_equal(wd_rot_finish(&f->r), 0);
}

/* Closing compresses what waits (for up to 10 s); anything left plain is queued by the next
 * wd_rot_finish(). A failed compression is reported by the next
 * wd_rot_finish(), which queues the segment again. */
static void close_and_errors(void **state)
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

	/* Numbering never goes over a compressed segment, even when the caller skipped
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

/* Opens the gate, lets the threads finish, and checks that segments @from..@to (1000 bytes
 * each) were compressed. */
static void release_and_check(struct gzfx *f, unsigned from, unsigned to)
{
	char name[64];

	fs_reset(false, "");
	wd_rot_settle(&f->r);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	wd_rot_settle(&f->r);
	for (unsigned i = from; i <= to; i++) {
		snprintf(name, sizeof(name), "ev-20250101T000000Z-%u.pb.gz", i);
		assert_int_equal(gz_size(f, name), 1000);
	}
}

/* A rotation does not wait for the disk: the segment's fsync and the directory's (a tenth of
 * a second and more for a large segment, while the sink's queue fills) are wd-sync's, with the
 * writer's own descriptor, whose writeback errors come back through wd_rot_finish(). Eight may
 * wait; with more, the rotation fsyncs itself. Every descriptor is closed in the end. */
static void segment_fsync_off_the_caller(void **state)
{
	struct gzfx *f = *state;
	unsigned fds;

	fs_reset(false, "");
	fill(f, 100000, 1, false);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	assert_int_equal(fs_count(true), 0);
	wd_rot_settle(&f->r);
	/* The segment and the directory; the compressed copy and the directory again. */
	assert_int_equal(fs_count(false), 4);
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-1.pb.gz"), 100000);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	fill(f, 1000, 2, false);
	fds = open_fds(); /* with the current file, and write-behind's own description of it */

	/* wd-sync held in its first fsync: nine rotations leave it eight, the tenth fsyncs the
	 * segment and the directory itself. */
	fs_reset(true, "wd-sync");
	for (unsigned i = 2; i <= 10; i++) {
		if (i > 2)
			fill(f, 1000, i, false);
		assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
		if (i == 2) /* until wd-sync holds the first */
			assert_int_equal(fs_wait(&fs.held, 1), 1);
	}
	assert_int_equal(fs_count(true), 0);
	fill(f, 1000, 11, false);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	assert_int_equal(fs_count(true), 2);
	release_and_check(f, 2, 11);
	/* The handed-over descriptors are closed. */
	fill(f, 1000, 12, false);
	assert_int_equal(open_fds(), fds);

	/* A failed writeback of the segment: reported by the next wd_rot_finish(), once; the
	 * segment is still compressed from what the writer wrote. */
	pthread_mutex_lock(&fs.mu);
	fs.fail_sync = EIO;
	pthread_mutex_unlock(&fs.mu);
	assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
	wd_rot_settle(&f->r);
	assert_int_equal(wd_rot_finish(&f->r), -EIO);
	wd_rot_settle(&f->r);
	assert_int_equal(wd_rot_finish(&f->r), 0);
	assert_int_equal(gz_size(f, "ev-20250101T000000Z-12.pb.gz"), 1000);
	fs.have_test = false;
}

/* The rotations' fsyncs do not wait for compressions: with wd-gzip held (a node too busy to
 * give it CPU), twelve rotations are all fsynced by wd-sync, none by the caller. */
static void fsyncs_do_not_wait_for_compression(void **state)
{
	struct gzfx *f = *state;

	fs_reset(true, "wd-gzip");
	for (unsigned i = 1; i <= 12; i++) {
		fill(f, 1000, i, false);
		assert_int_equal(wd_rot_rotate(&f->r, NOW), 0);
		/* The segment and the directory, by wd-sync, while wd-gzip waits at the gate. */
		assert_int_equal(fs_wait(&fs.others, 2 * i), 2 * i);
		assert_int_equal(fs_count(true), 0);
	}
	release_and_check(f, 1, 12);
	fs.have_test = false;
}

static volatile sig_atomic_t hup_handled;

static void on_hup(int sig)
{
	(void)sig;
	hup_handled = 1;
}

/* The background threads (wd-gzip, wd-sync, and wd-wb once the current file is open) take no
 * signals. As in the daemon, they were started before the caller blocked SIGHUP to read it from a
 * signalfd: the caller still gets it, instead of a thread taking it and the process dying of
 * it. */
static void signals_stay_with_the_caller(void **state)
{
	struct gzfx *f = *state;
	struct timespec ts = {2, 0};
	struct sigaction sa = {.sa_handler = on_hup}, old_sa;
	sigset_t hup, old;
	int got;

	assert_non_null(f->r.gz);
	fill(f, 16, 1, false); /* opens the current file: wd-wb starts */
	if (!f->r.wb.running)
		print_message("# wd-wb did not start: %s is on tmpfs or overlayfs here\n", f->dir);
	/* A handler, not the default action: a signal that reached another thread shows as
	 * the handler having run, whatever SIGHUP's disposition was (it may be ignored). */
	assert_int_equal(sigaction(SIGHUP, &sa, &old_sa), 0);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &hup, &old), 0);
	hup_handled = 0;
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	/* Time for any thread that could take it to take it, before this one looks. */
	usleep(300000);
	got = sigtimedwait(&hup, NULL, &ts);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGHUP, &old_sa, NULL);
	if (hup_handled)
		fail_msg("SIGHUP went to another thread than the one blocking it to read it");
	assert_int_equal(got, SIGHUP);
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
		cmocka_unit_test_setup_teardown(pending_segments_outside_budget, gz_setup,
						gz_teardown),
		cmocka_unit_test_setup_teardown(close_and_errors, gz_setup, gz_teardown),
		cmocka_unit_test_setup_teardown(segment_fsync_off_the_caller, gz_setup,
						gz_teardown),
		cmocka_unit_test_setup_teardown(fsyncs_do_not_wait_for_compression, gz_setup,
						gz_teardown),
		cmocka_unit_test_setup_teardown(signals_stay_with_the_caller, gz_setup,
						gz_teardown),
		cmocka_unit_test(utf8),
	};

	return cmocka_run_group_tests_name("rotate", tests, NULL, NULL);
}
