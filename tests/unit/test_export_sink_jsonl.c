// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the JSON lines sink, driven as the pipeline drives it. Every event becomes one whole
 * line, in either format; rotation by size and by age makes gzip segments zlib inflates back to
 * exactly the lines written, in order; retention by count, size and age deletes the oldest
 * segments only; a write that fails half way (file size limit) leaves no torn line and makes
 * write() answer -EAGAIN once the buffer is full; a torn line a crash left is cut off at open; an
 * interrupted rotation is finished; a second writer is refused. */
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
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "event/event.h"
#include "export/sink.h"

#define NS (1000000000ull)

struct fx {
	char dir[64];
	char path[96];
	struct wd_sink_cfg c;
	const struct wd_sink_ops *ops;
	void *impl;
	uint64_t seq;
	struct wd_event_ctx ctx;
	struct wd_pb_event *pe;
	uint8_t rec[WD_PB_RECORD_MAX];
	size_t len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/wd-jsonl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/events.jsonl", f->dir);
	f->c.name = "j";
	f->c.kind = WD_SINK_JSONL;
	f->c.path = f->path;
	f->pe = malloc(sizeof(*f->pe));
	f->ctx.identity = "ci:unit";
	f->ctx.sandbox_id = "sb-00000000000000aa";
	f->ctx.node = "unit-node";
	f->ctx.boot_to_wall_ns = 1700000000000000000ll;
	f->ctx.node_seq = &f->seq;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->impl)
		f->ops->close(f->impl);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->pe);
	free(f);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void open_sink(struct fx *f)
{
	char err[256] = "";
	int ret = wd_sink_jsonl_backend(&f->c, "unit-node", &f->ops, &f->impl, err, sizeof(err));

	if (ret)
		fail_msg("wd_sink_jsonl_backend: %d: %s", ret, err);
	assert_true(f->ops->wants_event);
	assert_string_equal(f->ops->kind, "jsonl");
}

static void close_sink(struct fx *f)
{
	f->ops->close(f->impl);
	f->impl = NULL;
}

/* Exec event number @i (its seq is @i + 1 when the sink starts empty); paths differ in length. */
static int write_event(struct fx *f, unsigned i)
{
	struct wd_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = WD_EV_EXEC;
	e.hdr.size = sizeof(e);
	e.hdr.ktime_ns = 1000000ull * i;
	e.decision = i % 2 ? WD_DEC_DENY : WD_DEC_ALLOW;
	e.hook = WD_HOOK_BPRM;
	e.pid = 100 + i;
	snprintf(e.path, sizeof(e.path), "/usr/bin/tool-%u-%.*s", i, (int)(i % 50),
		 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	f->len = warden__v1__event__pack(&f->pe->ev, f->rec);
	return f->ops->write(f->impl, f->rec, f->len, &f->pe->ev);
}

/* The last event again, as the pipeline retries one the sink did not take. */
static int resend(struct fx *f)
{
	return f->ops->write(f->impl, f->rec, f->len, &f->pe->ev);
}

static void write_events(struct fx *f, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++)
		assert_int_equal(write_event(f, i), 0);
}

/* Reads @path (gzip or plain, zlib tells), checking each line is whole; appends the seqs of
 * warden-format lines to @seqs. Returns the number of lines. */
static unsigned read_lines(const char *path, uint64_t *seqs, unsigned *n_seqs)
{
	gzFile gz = gzopen(path, "rb");
	char line[64 * 1024];
	unsigned n = 0;

	assert_non_null(gz);
	while (gzgets(gz, line, sizeof(line))) {
		size_t len = strlen(line);
		const char *s = strstr(line, "\"seq\":\"");

		if (len < 3 || line[0] != '{' || line[len - 1] != '\n' || line[len - 2] != '}')
			fail_msg("%s: line %u is not whole: %.80s", path, n + 1, line);
		if (seqs && s)
			seqs[(*n_seqs)++] = strtoull(s + 7, NULL, 10);
		n++;
	}
	assert_int_equal(gzclose(gz), Z_OK);
	return n;
}

struct seg {
	char name[256];
	unsigned long long n;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

/* Whether a rotated segment is still waiting for its compression thread (10 s at most). */
static bool compressing(struct fx *f)
{
	for (unsigned tries = 0; tries < 1000; tries++) {
		DIR *d = opendir(f->dir);
		struct dirent *de;
		bool plain = false;

		assert_non_null(d);
		while (!plain && (de = readdir(d))) {
			size_t len = strlen(de->d_name);

			plain = !strncmp(de->d_name, "events.jsonl-", 13) &&
				(len < 4 || strcmp(de->d_name + len - 3, ".gz"));
		}
		closedir(d);
		if (!plain)
			return false;
		usleep(10000);
	}
	return true;
}

/* The rotated segments, by rotation number; each must be gzip-compressed, by the sink's
 * compression thread within 10 s. */
static unsigned list_rotated(struct fx *f, struct seg *out, unsigned max)
{
	bool late = compressing(f);
	DIR *d = opendir(f->dir);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		const char *dash;
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "events.jsonl-", 13))
			continue;
		if (len < 4 || strcmp(de->d_name + len - 3, ".gz"))
			fail_msg("rotated segment %s is not compressed%s", de->d_name,
				 late ? " after 10 s" : "");
		assert_true(n < max);
		dash = strrchr(de->d_name, '-');
		snprintf(out[n].name, sizeof(out[n].name), "%s/%s", f->dir, de->d_name);
		out[n].n = strtoull(dash + 1, NULL, 10);
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), seg_cmp);
	return n;
}

/* Every line of every segment, oldest first, then the current file: seq 1..@count in order. */
static void expect_all(struct fx *f, unsigned count)
{
	static struct seg segs[512];
	static uint64_t seqs[8192];
	unsigned n = list_rotated(f, segs, 512), lines = 0, n_seqs = 0;

	for (unsigned i = 0; i < n; i++)
		lines += read_lines(segs[i].name, seqs, &n_seqs);
	lines += read_lines(f->path, seqs, &n_seqs);
	assert_int_equal(lines, count);
	assert_int_equal(n_seqs, count);
	for (unsigned i = 0; i < n_seqs; i++)
		assert_int_equal(seqs[i], i + 1);
}

static void lines_whole(void **state)
{
	struct fx *f = *state;

	open_sink(f);
	write_events(f, 0, 200);
	/* Buffered until flushed. */
	assert_int_equal(read_lines(f->path, NULL, NULL), 0);
	assert_int_equal(f->ops->flush(f->impl), 0);
	expect_all(f, 200);
	write_events(f, 200, 250);
	close_sink(f);
	expect_all(f, 250);
}

static void ocsf_format(void **state)
{
	struct fx *f = *state;
	char line[64 * 1024];
	unsigned n = 0;
	FILE *in;

	f->c.json = WD_JSON_OCSF;
	open_sink(f);
	write_events(f, 0, 10);
	close_sink(f);
	in = fopen(f->path, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		assert_non_null(strstr(line, "{\"class_uid\":1007,"));
		assert_non_null(strstr(line, n % 2 ? "\"action_id\":2," : "\"action_id\":1,"));
		assert_int_equal(line[strlen(line) - 1], '\n');
		n++;
	}
	fclose(in);
	assert_int_equal(n, 10);
}

static void rotation_by_size(void **state)
{
	struct fx *f = *state;
	struct seg segs[512];
	unsigned n;

	f->c.max_bytes = 8192;
	open_sink(f);
	write_events(f, 0, 300);
	assert_int_equal(f->ops->flush(f->impl), 0);
	n = list_rotated(f, segs, 512);
	assert_true(n >= 10);
	/* Numbers grow by one; each segment stays within the limit. */
	for (unsigned i = 0; i < n; i++) {
		gzFile gz = gzopen(segs[i].name, "rb");
		char buf[16384];
		int got;

		assert_int_equal(segs[i].n, i + 1);
		assert_non_null(gz);
		got = gzread(gz, buf, sizeof(buf));
		assert_true(got > 0 && got <= 8192);
		gzclose(gz);
	}
	expect_all(f, 300);
	close_sink(f);
	expect_all(f, 300);
}

static void rotation_by_age(void **state)
{
	struct fx *f = *state;
	struct seg segs[8];
	struct stat st;

	f->c.max_age_ns = 60 * NS;
	open_sink(f);
	write_events(f, 0, 5);
	assert_int_equal(f->ops->tick(f->impl, now_ns()), 0);
	assert_int_equal(list_rotated(f, segs, 8), 0);
	assert_int_equal(f->ops->tick(f->impl, now_ns() + 61 * NS), 0);
	assert_int_equal(list_rotated(f, segs, 8), 1);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* An empty segment is not rotated, however old. */
	assert_int_equal(f->ops->tick(f->impl, now_ns() + 200 * NS), 0);
	assert_int_equal(list_rotated(f, segs, 8), 1);
	write_events(f, 5, 7);
	close_sink(f);
	expect_all(f, 7);
}

/* Fifteen small segments, the current one holding a line. */
static void many_segments(struct fx *f)
{
	f->c.max_bytes = 600;
	open_sink(f);
	for (unsigned i = 0; i < 16; i++)
		write_events(f, i, i + 1);
	assert_int_equal(f->ops->flush(f->impl), 0);
}

static void retention_by_count(void **state)
{
	struct fx *f = *state;
	struct seg segs[32];
	unsigned n;

	f->c.keep_files = 4;
	many_segments(f);
	assert_true(list_rotated(f, segs, 32) > 4);
	assert_int_equal(f->ops->tick(f->impl, now_ns()), 0);
	n = list_rotated(f, segs, 32);
	assert_int_equal(n, 4);
	/* The newest stay. */
	assert_int_equal(segs[0].n, 12);
	assert_int_equal(segs[3].n, 15);
	assert_int_equal(read_lines(f->path, NULL, NULL), 1);
}

static void retention_by_size(void **state)
{
	struct fx *f = *state;
	struct seg segs[32];
	uint64_t total = 0;
	struct stat st;
	unsigned n;

	f->c.keep_bytes = 2000;
	many_segments(f);
	/* Compressed sizes count (a segment being compressed is never deleted). */
	assert_false(compressing(f));
	assert_int_equal(f->ops->tick(f->impl, now_ns()), 0);
	n = list_rotated(f, segs, 32);
	assert_true(n > 0 && n < 15);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(stat(segs[i].name, &st), 0);
		total += (uint64_t)st.st_size;
	}
	assert_int_equal(stat(f->path, &st), 0);
	total += (uint64_t)st.st_size;
	assert_true(total <= 2000);
	assert_int_equal(segs[n - 1].n, 15);
}

static void retention_by_age(void **state)
{
	struct fx *f = *state;
	struct seg segs[32];

	f->c.keep_age_ns = 3600 * NS;
	many_segments(f);
	assert_int_equal(f->ops->tick(f->impl, now_ns()), 0);
	assert_int_equal(list_rotated(f, segs, 32), 15);
	assert_int_equal(f->ops->tick(f->impl, now_ns() + 3602 * NS), 0);
	assert_int_equal(list_rotated(f, segs, 32), 0);
	/* The current file is never deleted. */
	assert_int_equal(read_lines(f->path, NULL, NULL), 1);
}

/* A write that fails half way leaves the file at its last whole line; once the buffer is full
 * the sink answers -EAGAIN (the pipeline keeps the event and retries); when space comes back
 * everything arrives, once. */
static void failed_write_leaves_no_tear(void **state)
{
	struct fx *f = *state;
	struct rlimit old, lim;
	struct stat st;
	off_t whole;
	unsigned i;
	int ret = 0;

	open_sink(f);
	write_events(f, 0, 10);
	assert_int_equal(f->ops->flush(f->impl), 0);
	assert_int_equal(stat(f->path, &st), 0);
	whole = st.st_size;
	write_events(f, 10, 100);

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)whole + 500;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(f->ops->flush(f->impl), -EFBIG);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, whole);
	for (i = 100; i < 100000 && (ret = write_event(f, i)) == 0; i++)
		;
	assert_int_equal(ret, -EAGAIN);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, whole);
	/* Reported once by tick, then only by describe(). */
	assert_int_equal(f->ops->tick(f->impl, now_ns()), -EFBIG);
	assert_int_equal(f->ops->tick(f->impl, now_ns()), -EAGAIN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(resend(f), 0);
	close_sink(f);
	expect_all(f, i + 1);
}

static void torn_line_cut_at_open(void **state)
{
	struct fx *f = *state;
	FILE *out = fopen(f->path, "w");
	struct stat st;
	char buf[256];
	size_t n;

	assert_non_null(out);
	fputs("{\"header\":{\"seq\":\"1\"}}\n{\"header\":{\"se", out);
	fclose(out);
	f->seq = 1;
	open_sink(f);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, strlen("{\"header\":{\"seq\":\"1\"}}\n"));
	write_events(f, 1, 3);
	close_sink(f);
	out = fopen(f->path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, out);
	fclose(out);
	buf[n] = '\0';
	assert_int_equal(strncmp(buf, "{\"header\":{\"seq\":\"1\"}}\n{", 24), 0);
	expect_all(f, 3);
}

/* A crash after the rename, before compression: the next start compresses it, and numbering
 * continues after it. A stale temporary goes. */
static void interrupted_rotation(void **state)
{
	struct fx *f = *state;
	char plain[160], tmp[160];
	struct seg segs[8];
	FILE *out;

	snprintf(plain, sizeof(plain), "%s/events.jsonl-20250101T000000Z-5", f->dir);
	snprintf(tmp, sizeof(tmp), "%s/.events.jsonl-20250101T000000Z-4.gz.tmp", f->dir);
	out = fopen(plain, "w");
	fputs("{\"header\":{\"seq\":\"1\"}}\n", out);
	fclose(out);
	out = fopen(tmp, "w");
	fputs("junk", out);
	fclose(out);
	f->seq = 1;
	f->c.max_bytes = 400;
	open_sink(f);
	assert_int_equal(list_rotated(f, segs, 8), 1);
	assert_int_equal(access(plain, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);
	write_events(f, 1, 4);
	close_sink(f);
	assert_true(list_rotated(f, segs, 8) >= 2);
	assert_int_equal(segs[1].n, 6);
	expect_all(f, 4);
}

static void one_writer_and_config_errors(void **state)
{
	struct fx *f = *state;
	const struct wd_sink_ops *ops;
	struct wd_sink_cfg c = {.kind = WD_SINK_JSONL};
	char err[256];
	void *impl;

	open_sink(f);
	assert_int_equal(wd_sink_jsonl_backend(&f->c, "n", &ops, &impl, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "being written by another process"));

	assert_int_equal(wd_sink_jsonl_backend(&c, "n", &ops, &impl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs path"));
	c.path = "/tmp/";
	assert_int_equal(wd_sink_jsonl_backend(&c, "n", &ops, &impl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "name a file"));
	c.path = "/proc/no-such-dir/x/events.jsonl";
	assert_true(wd_sink_jsonl_backend(&c, "n", &ops, &impl, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/proc/no-such-dir/x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lines_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(ocsf_format, setup, teardown),
		cmocka_unit_test_setup_teardown(rotation_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(rotation_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_count, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_write_leaves_no_tear, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_line_cut_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupted_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(one_writer_and_config_errors, setup, teardown),
	};

	return cmocka_run_group_tests_name("sink_jsonl", tests, NULL, NULL);
}
