// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Writes the synthetic events of tests/lib/events_fixture.c through warden's real encoder and
 * sinks, for the host tests that read them back with `warden events` and with tools warden did
 * not write (tests/host/test_events_pb.sh, test_events_json.sh):
 *
 *   events_writer pb DIR/NAME.pb N [MAX_BYTES]              the file sink
 *   events_writer jsonl PATH N warden|ocsf [MAX_BYTES]      the JSON lines sink
 *
 * Numbering continues after what a file sink holds, as warden does after a restart. Exit
 * status: 0 written, 1 failed, 2 usage. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events_fixture.h"
#include "export/sink.h"
#include "export/sink_file.h"

static int parse_count(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*s || *end || errno ? -EINVAL : 0;
}

static int put_file(void *arg, const Warden__V1__Event *ev, const uint8_t *rec, size_t len)
{
	return sink_file_write(arg, rec, len);
}

/* pb DIR/NAME.pb N [MAX_BYTES]: through the file sink. */
static int write_pb(const char *path, const char *count, const char *max_bytes)
{
	struct sink_file_opts o = {0};
	struct sink_file *s = NULL;
	char *dir = NULL, *slash;
	uint64_t n, node_seq = 0;
	const void *last;
	size_t lastlen, len = strlen(path);
	int err;

	if (parse_count(count, &n) || len < 4 || strcmp(path + len - 3, ".pb") ||
	    (max_bytes && parse_count(max_bytes, &o.max_bytes))) {
		fprintf(stderr, "events_writer: pb DIR/NAME.pb N [MAX_BYTES]\n");
		return 2;
	}
	dir = strdup(path);
	if (!dir) {
		err = -ENOMEM;
		goto out;
	}
	dir[len - 3] = '\0';
	slash = strrchr(dir, '/');
	o.name = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	o.dir = slash ? (dir[0] ? dir : "/") : ".";
	err = sink_file_open(&s, &o);
	if (err)
		goto out;
	/* Numbering continues after what the sink holds, as warden does after a restart. */
	if (sink_file_last_record(s, &last, &lastlen) == 0)
		wd_pb_record_seq(last, lastlen, &node_seq);
	err = wt_ev_generate(n, &node_seq, put_file, s);
out:
	if (s) {
		int e = sink_file_close(s);

		if (!err)
			err = e;
	}
	if (err)
		fprintf(stderr, "events_writer: pb %s: %s\n", path, strerror(-err));
	free(dir);
	return err ? 1 : 0;
}

struct jsonl_put {
	const struct wd_sink_ops *ops;
	void *impl;
};

static int put_jsonl(void *arg, const Warden__V1__Event *ev, const uint8_t *rec, size_t len)
{
	struct jsonl_put *j = arg;

	return j->ops->write(j->impl, rec, len, ev);
}

/* jsonl PATH N warden|ocsf [MAX_BYTES]: through the JSON lines sink as the pipeline drives it
 * (write, flush, tick, close). */
static int write_jsonl(const char *path, const char *count, const char *format,
		       const char *max_bytes)
{
	struct wd_sink_cfg c = {.name = "selftest", .kind = WD_SINK_JSONL, .path = (char *)path};
	struct jsonl_put j;
	struct timespec now;
	uint64_t n, node_seq = 0;
	char why[256] = "";
	int err;

	if (parse_count(count, &n) || (strcmp(format, "warden") && strcmp(format, "ocsf")) ||
	    (max_bytes && parse_count(max_bytes, &c.max_bytes))) {
		fprintf(stderr, "events_writer: jsonl PATH N warden|ocsf [MAX_BYTES]\n");
		return 2;
	}
	c.json = strcmp(format, "ocsf") ? WD_JSON_WARDEN : WD_JSON_OCSF;
	err = wd_sink_jsonl_backend(&c, "selftest-node", &j.ops, &j.impl, why, sizeof(why));
	if (err) {
		fprintf(stderr, "events_writer: jsonl: %s\n", why);
		return 1;
	}
	err = wt_ev_generate(n, &node_seq, put_jsonl, &j);
	if (!err)
		err = j.ops->flush(j.impl);
	clock_gettime(CLOCK_REALTIME, &now);
	if (!err)
		err = j.ops->tick(j.impl,
				  (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	j.ops->close(j.impl);
	if (err)
		fprintf(stderr, "events_writer: jsonl %s: %s\n", path, strerror(-err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "pb") == 0)
		return write_pb(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "jsonl") == 0)
		return write_jsonl(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	fprintf(stderr, "usage: events_writer pb DIR/NAME.pb N [MAX_BYTES]\n"
			"       events_writer jsonl PATH N warden|ocsf [MAX_BYTES]\n");
	return 2;
}
