// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: status messages of the pipeline and its sinks go to the log function of the pipeline's
 * config, with the sink's name, and nothing to stderr; a sink with a log function of its own
 * keeps it. Without any, they go to stderr in the words they always had ("warden: sink NAME:
 * ...", "warden: jsonl sink PATH: ..."). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "export/pipeline.h"

static char path[64]; /* the jsonl sink's file, in /tmp */

/* What a log function was given. */
struct said {
	pthread_mutex_t mu;
	char text[4096]; /* "SINK: MSG\n" lines */
};

static void say(void *arg, const char *sink, const char *msg)
{
	struct said *s = arg;
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = strlen(s->text);
	snprintf(s->text + n, sizeof(s->text) - n, "%s: %s\n", sink, msg);
	pthread_mutex_unlock(&s->mu);
}

static bool said(struct said *s, const char *want)
{
	bool found;

	pthread_mutex_lock(&s->mu);
	found = strstr(s->text, want) != NULL;
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* A backend whose tick fails with tick_err, and which takes nothing. */
static int tick_err;
static pthread_mutex_t tick_mu = PTHREAD_MUTEX_INITIALIZER;

static int tb_write(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev)
{
	return -EAGAIN;
}

static int tb_tick(void *impl, uint64_t now_ns)
{
	int err;

	pthread_mutex_lock(&tick_mu);
	err = tick_err;
	pthread_mutex_unlock(&tick_mu);
	return err;
}

static void tb_describe(void *impl, char *buf, size_t size)
{
	snprintf(buf, size, "pretending");
}

static uint64_t tb_close(void *impl)
{
	return 0;
}

static const struct wd_sink_ops tb_ops = {.kind = "test",
					  .write = tb_write,
					  .tick = tb_tick,
					  .describe = tb_describe,
					  .close = tb_close};

static void set_tick_err(int err)
{
	pthread_mutex_lock(&tick_mu);
	tick_err = err;
	pthread_mutex_unlock(&tick_mu);
}

static bool wait_said(struct said *s, const char *want)
{
	for (int i = 0; i < 300; i++) {
		struct timespec d = {0, 10 * 1000000};

		if (said(s, want))
			return true;
		nanosleep(&d, NULL);
	}
	return false;
}

/* A run with stderr captured: its checks say what failed instead of failing there, so that
 * cmocka's message reaches the real stderr. */
struct run {
	const struct wd_pipeline_cfg *cfg;
	const char *failed;
};

#define CHECK(r, cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			(r)->failed = #cond;                                                       \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void emit(struct wd_pipeline *p, uint64_t seq)
{
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	Warden__V1__Header hdr = WARDEN__V1__HEADER__INIT;

	hdr.seq = seq;
	ev.header = &hdr;
	wd_pipeline_emit(p, &ev);
}

/* Runs @fn with stderr going into a file; returns what was written there. */
static char *capture_stderr(void (*fn)(struct run *), struct run *arg)
{
	char *buf = calloc(1, 8192);
	FILE *f = tmpfile();
	int fd, saved;
	ssize_t n;

	assert_non_null(buf);
	assert_non_null(f);
	fd = fileno(f);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, 8191, 0);
	assert_true(n >= 0);
	fclose(f);
	if (arg->failed)
		fail_msg("check failed: %s; stderr:\n%s", arg->failed, buf);
	return buf;
}

static void pipeline_run(struct run *r)
{
	const struct wd_pipeline_cfg *cfg = r->cfg;
	struct wd_pipeline *p;
	char err[256];
	bool ok = true;

	set_tick_err(-EIO);
	CHECK(r, wd_pipeline_start(&p, cfg, err, sizeof(err)) == 0);
	emit(p, 1);
	emit(p, 2);
	if (cfg->log) {
		ok = wait_said(cfg->log_arg, "t: Input/output error; pretending\n");
		set_tick_err(0);
		ok = ok && wait_said(cfg->log_arg, "t: working again: pretending\n");
	} else {
		/* Two ticks a tenth of a second apart: the failure is said. */
		struct timespec d = {0, 300 * 1000000};

		nanosleep(&d, NULL);
	}
	CHECK(r, wd_pipeline_close(p, 50) == 2);
	CHECK(r, ok);
}

static void pipeline_messages_go_to_the_owner(void **state)
{
	struct said s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct wd_sink_cfg c = {.name = "t", .ops = &tb_ops, .impl = &s};
	struct wd_pipeline_cfg cfg = {.sinks = &c, .n = 1, .node = "n", .log = say, .log_arg = &s};
	struct run r = {&cfg, NULL};
	char *err;

	(void)state;
	err = capture_stderr(pipeline_run, &r);
	assert_string_equal(err, "");
	assert_true(said(&s, "t: Input/output error; pretending\n"));
	assert_true(said(&s, "t: working again: pretending\n"));
	assert_true(said(&s, "t: 2 events were not delivered and not reported to it (2 still "
			     "queued at exit, 0 taken but not acknowledged)\n"));
	free(err);
}

static void pipeline_without_log_prints_as_before(void **state)
{
	struct wd_sink_cfg c = {.name = "t", .ops = &tb_ops};
	struct wd_pipeline_cfg cfg = {.sinks = &c, .n = 1, .node = "n"};
	struct run r = {&cfg, NULL};
	char *err;

	(void)state;
	err = capture_stderr(pipeline_run, &r);
	assert_non_null(strstr(err, "warden: sink t: Input/output error; pretending\n"));
	assert_non_null(strstr(err, "warden: sink t: 2 events were not delivered and not "
				    "reported to it (2 still queued at exit, 0 taken but not "
				    "acknowledged)\n"));
	free(err);
}

/* A jsonl sink that finds a torn last line says so through the pipeline's log function (its
 * config has none), or, without one, as it always did. */
static void jsonl_open(struct run *r)
{
	struct wd_pipeline *p;
	char err[256];
	FILE *f = fopen(r->cfg->sinks[0].path, "w");

	CHECK(r, f);
	fputs("{\"a\":1}\n{\"torn", f);
	fclose(f);
	CHECK(r, wd_pipeline_start(&p, r->cfg, err, sizeof(err)) == 0);
	CHECK(r, wd_pipeline_close(p, 1000) == 0);
}

static void backend_messages_go_to_the_owner(void **state)
{
	struct said s = {.mu = PTHREAD_MUTEX_INITIALIZER}, own = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char want[160], *err;
	struct wd_sink_cfg c = {.name = "j", .kind = WD_SINK_JSONL, .path = path};
	struct wd_pipeline_cfg cfg = {.sinks = &c, .n = 1, .node = "n", .log = say, .log_arg = &s};
	struct run r = {&cfg, NULL};

	(void)state;
	snprintf(want, sizeof(want),
		 "j: %s: cut off 6 bytes of a torn last line (an earlier crash)\n", path);
	err = capture_stderr(jsonl_open, &r);
	assert_string_equal(err, "");
	assert_true(said(&s, want));
	free(err);

	/* Its own log function wins over the pipeline's. */
	c.log = say;
	c.log_arg = &own;
	err = capture_stderr(jsonl_open, &r);
	assert_string_equal(err, "");
	assert_true(said(&own, want));
	free(err);

	c.log = NULL;
	cfg.log = NULL;
	err = capture_stderr(jsonl_open, &r);
	snprintf(want, sizeof(want),
		 "warden: jsonl sink %s: cut off 6 bytes of a torn last line (an earlier crash)\n",
		 path);
	assert_string_equal(err, want);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipeline_messages_go_to_the_owner),
		cmocka_unit_test(pipeline_without_log_prints_as_before),
		cmocka_unit_test(backend_messages_go_to_the_owner),
	};
	char lock[80];
	int ret;

	snprintf(path, sizeof(path), "/tmp/wd-sinklog.%d.json", (int)getpid());
	snprintf(lock, sizeof(lock), "/tmp/.wd-sinklog.%d.json.lock", (int)getpid());
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	unlink(lock);
	return ret;
}
