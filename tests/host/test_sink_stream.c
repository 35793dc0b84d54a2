// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tier: the stream sink over real sockets to a collector written from the framing rule
 * (varint length, then a warden.v1.Event decoded with protobuf-c; tests/lib/collector.c), run as
 * its own process. With ack, a collector that stops reading mid-stream and is killed with SIGKILL,
 * then restarted, has stored every seq over its two lives (duplicates allowed), over unix and
 * TCP sockets. Without ack the same kill loses records (so the scenario really drops data in
 * flight), yet no record ever arrives cut. A collector that does not read makes write()
 * answer -EAGAIN promptly, never block. A host name is resolved when connecting. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "export/sink.h"
#include "collector.h"
#include "wdtest.h"

#define PROMPT_NS (500 * 1000000ull) /* the longest one write() may take */
#define DRAIN_NS  (15 * 1000000000ull)

/* --- the pipeline's side --- */

struct drv {
	const struct wd_sink_ops *ops;
	void *impl;
	uint64_t max_call_ns; /* the slowest write() */
	uint64_t eagain;
	uint8_t buf[1024];
};

/* A denied exec with seq @seq, about 250 bytes packed. */
static size_t event(uint8_t *buf, uint64_t seq)
{
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	Warden__V1__Header hdr = WARDEN__V1__HEADER__INIT;
	Warden__V1__Identity id = WARDEN__V1__IDENTITY__INIT;
	Warden__V1__Sandbox sb = WARDEN__V1__SANDBOX__INIT;
	Warden__V1__Process proc = WARDEN__V1__PROCESS__INIT;
	Warden__V1__Exec ex = WARDEN__V1__EXEC__INIT;
	char path[160];

	snprintf(path, sizeof(path), "/home/ci/work/build/output/artifacts/tool-%llu-%s",
		 (unsigned long long)seq, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq");
	hdr.seq = seq;
	hdr.wall_ns = 1735689600000000000ull + seq * 1000;
	hdr.node = "build-7";
	hdr.warden_version = "0.1.0";
	id.name = "ci:acme/api#8812";
	sb.id = "sb-0123456789abcdef";
	sb.cgroup_path = "/sys/fs/cgroup/warden/sb-0123456789abcdef";
	proc.pid = 1000 + (uint32_t)(seq % 5000);
	proc.comm = "make";
	proc.exe = "/usr/bin/make";
	ex.path = path;
	ev.header = &hdr;
	ev.identity = &id;
	ev.sandbox = &sb;
	ev.process = &proc;
	ev.decision = WARDEN__V1__DECISION__DECISION_DENIED;
	ev.hook = "bprm_check_security";
	ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
	ev.exec = &ex;
	return warden__v1__event__pack(&ev, buf);
}

/* One write() timed; returns its result. */
static int timed_write(struct drv *d, uint64_t seq)
{
	size_t len = event(d->buf, seq);
	uint64_t t0 = wt_now_ns(), dt;
	int ret = d->ops->write(d->impl, d->buf, len, NULL);

	dt = wt_now_ns() - t0;
	if (dt > d->max_call_ns)
		d->max_call_ns = dt;
	if (ret == -EAGAIN)
		d->eagain++;
	return ret;
}

/* As the pipeline does: on -EAGAIN, tick and retry, up to @limit_ns. */
static int put(struct drv *d, uint64_t seq, uint64_t limit_ns)
{
	uint64_t until = wt_now_ns() + limit_ns;
	int ret;

	while ((ret = timed_write(d, seq)) == -EAGAIN && wt_now_ns() < until) {
		d->ops->tick(d->impl, 0);
		usleep(2000);
	}
	return ret;
}

static void describe(struct drv *d, const char *when)
{
	char s[256];

	d->ops->describe(d->impl, s, sizeof(s));
	wt_diag("%s: %s", when, s);
}

static int open_sink(struct drv *d, const struct wt_coll *c, bool ack, uint64_t queue_bytes)
{
	struct wd_sink_cfg cfg = {.name = "col", .kind = WD_SINK_STREAM};
	char addr[160], err[400];
	int ret;

	if (c->unix_path[0])
		snprintf(addr, sizeof(addr), "unix:%s", c->unix_path);
	else
		snprintf(addr, sizeof(addr), "tcp:%s:%u", c->host ? c->host : "127.0.0.1", c->port);
	cfg.address = addr;
	cfg.ack = ack;
	cfg.queue_bytes = queue_bytes;
	cfg.reconnect_min_ns = 20 * 1000000ull;
	cfg.reconnect_max_ns = 200 * 1000000ull;
	ret = wd_sink_stream_backend(&cfg, "build-7", &d->ops, &d->impl, err, sizeof(err));
	if (ret)
		wt_diag("wd_sink_stream_backend: %s", err);
	return ret;
}

static char tmpdir[64];

static void cleanup_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		wt_diag("could not remove %s", tmpdir);
}

static void setup_coll(struct wt_coll *c, bool tcp, const char *name)
{
	memset(c, 0, sizeof(*c));
	if (tcp)
		c->port = wt_free_port();
	else
		snprintf(c->unix_path, sizeof(c->unix_path), "%s/%s.sock", tmpdir, name);
	snprintf(c->store, sizeof(c->store), "%s/%s.seqs", tmpdir, name);
	unlink(c->store);
}

/* Waits until the collector has stored @last, flushing and ticking like the pipeline. */
static bool drain(struct drv *d, const char *store, uint64_t last)
{
	uint64_t until = wt_now_ns() + DRAIN_NS;

	while (wt_now_ns() < until) {
		d->ops->flush(d->impl);
		d->ops->tick(d->impl, 0);
		if (wt_coll_has_seq(store, last))
			return true;
		usleep(20000);
	}
	return false;
}

/* The kill scenario: collector A stores @pause records, then stops reading; the sink writes on
 * until it pushes back (-EAGAIN), A is killed with SIGKILL and B started on the same address;
 * the sink writes the rest. Fills @t with what A and B stored together. */
static enum wt_result kill_scenario(bool tcp, bool ack, uint64_t n, long pause, struct wt_tally *t,
				    uint64_t *killed_at)
{
	struct wt_coll a, b;
	struct drv d = {0};
	enum wt_result ret = WT_FAIL;
	uint64_t seq;
	int err;

	char name[32];

	snprintf(name, sizeof(name), "%s-%s", ack ? "ack" : "noack", tcp ? "tcp" : "unix");
	setup_coll(&a, tcp, name);
	a.ack = ack;
	a.pause_after = pause;
	b = a;
	b.pause_after = -1;
	snprintf(b.store, sizeof(b.store), "%s/%s-b.seqs", tmpdir, name);
	unlink(b.store);
	WT_CHECK(!tcp || a.port, "no free TCP port");
	err = wt_coll_start(&a);
	WT_CHECK(err == 0, "collector A did not start: %s", strerror(-err));
	/* 1 MiB of queue: an ack window of a quarter, at least 4 records of the largest size. */
	WT_CHECK(open_sink(&d, &a, ack, 1 << 20) == 0, "the sink did not open");
	*killed_at = 0;
	for (seq = 1; seq <= n; seq++) {
		if (!*killed_at && seq > (uint64_t)pause) {
			/* A stopped reading: the sink must push back soon, and promptly. */
			err = timed_write(&d, seq);
			if (err == 0)
				continue;
			WT_CHECK(err == -EAGAIN, "write: %s", strerror(-err));
			WT_CHECK(d.max_call_ns < PROMPT_NS, "a write took %llu ms",
				 (unsigned long long)(d.max_call_ns / 1000000));
			describe(&d, "collector A stalled");
			wt_coll_kill(&a);
			*killed_at = seq;
			wt_diag("killed collector A (SIGKILL) at seq %llu",
				(unsigned long long)seq);
			err = wt_coll_start(&b);
			WT_CHECK(err == 0, "collector B did not start: %s", strerror(-err));
		}
		err = put(&d, seq, 10 * 1000000000ull);
		WT_CHECK(err == 0, "seq %llu: write: %s (%llu -EAGAIN so far)",
			 (unsigned long long)seq, strerror(-err), (unsigned long long)d.eagain);
		if (seq == 1)
			describe(&d, "first record");
	}
	WT_CHECK(*killed_at, "the sink never pushed back while collector A did not read");
	if (!drain(&d, b.store, n))
		wt_diag("collector B never stored seq %llu", (unsigned long long)n);
	describe(&d, "drained");
	WT_CHECK(d.max_call_ns < PROMPT_NS, "a write took %llu ms",
		 (unsigned long long)(d.max_call_ns / 1000000));
	WT_CHECK(wt_tally(a.store, b.store, n, t) == 0, "cannot read %s or %s", a.store, b.store);
	wt_diag("%llu records stored by A and B, %llu duplicates, %llu missing (first %llu), "
		"%llu corrupt; B's first seq %llu; slowest write %.1f ms",
		(unsigned long long)t->records, (unsigned long long)t->dups,
		(unsigned long long)t->missing, (unsigned long long)t->first_missing,
		(unsigned long long)t->corrupt, (unsigned long long)t->b_first,
		(double)d.max_call_ns / 1e6);
	ret = WT_PASS;
out:
	if (d.impl)
		d.ops->close(d.impl);
	wt_coll_kill(&a);
	wt_coll_kill(&b);
	return ret;
}

static enum wt_result ack_kill(bool tcp)
{
	struct wt_tally t;
	uint64_t killed_at;
	enum wt_result ret = kill_scenario(tcp, true, 20000, 3000, &t, &killed_at);

	if (ret != WT_PASS)
		return ret;
	WT_CHECK(t.corrupt == 0, "%llu records arrived corrupt", (unsigned long long)t.corrupt);
	WT_CHECK(t.missing == 0, "%llu of 20000 seqs never stored (first: %llu)",
		 (unsigned long long)t.missing, (unsigned long long)t.first_missing);
	/* A stopped at 3000: what it had been sent beyond that was in flight at the kill, and
	 * B's first record comes from there, resent from the window. */
	WT_CHECK(t.b_first <= 3001 && t.b_first < killed_at,
		 "collector B's first record is seq %llu: nothing was resent (A stored up to "
		 "3000, the sink pushed back at %llu)",
		 (unsigned long long)t.b_first, (unsigned long long)killed_at);
	return WT_PASS;
out:
	return WT_FAIL;
}

static enum wt_result ack_collector_killed_unix(void)
{
	return ack_kill(false);
}

static enum wt_result ack_collector_killed_tcp(void)
{
	return ack_kill(true);
}

/* The control: without ack the kill loses what the kernel held for A, so the scenario does
 * drop records in flight (the ack cases would catch a sink that does not resend); and still
 * no record arrives cut or merged with another. */
static enum wt_result no_ack_loses_in_flight_never_cuts(void)
{
	struct wt_tally t;
	uint64_t killed_at;
	enum wt_result ret = kill_scenario(false, false, 8000, 3000, &t, &killed_at);

	if (ret != WT_PASS)
		return ret;
	WT_CHECK(t.corrupt == 0, "%llu records arrived corrupt (a record cut, then another)",
		 (unsigned long long)t.corrupt);
	WT_CHECK(t.missing > 0, "without ack nothing was lost: the kill scenario drops nothing in "
				"flight, so the ack cases prove nothing");
	WT_CHECK(t.dups == 0, "%llu duplicates without ack", (unsigned long long)t.dups);
	return WT_PASS;
out:
	return WT_FAIL;
}

/* A collector that accepts and never reads: TCP's buffers fill, then write() must return
 * -EAGAIN within a bounded time, every time. */
static enum wt_result stalled_collector_eagain_promptly(void)
{
	struct wt_coll c;
	struct drv d = {0};
	enum wt_result ret = WT_FAIL;
	uint64_t seq, t0, dt, stalled_at;
	char st[256];
	int err = 0;

	setup_coll(&c, true, "stall");
	c.pause_after = 0;
	WT_CHECK(c.port, "no free TCP port");
	err = wt_coll_start(&c);
	WT_CHECK(err == 0, "collector did not start: %s", strerror(-err));
	WT_CHECK(open_sink(&d, &c, false, 0) == 0, "the sink did not open");
	t0 = wt_now_ns();
	for (;;) {
		d.ops->tick(d.impl, 0);
		d.ops->describe(d.impl, st, sizeof(st));
		if (!strncmp(st, "connected", 9))
			break;
		WT_CHECK(wt_now_ns() - t0 < 5000000000ull, "not connected after 5 s: %s", st);
		usleep(1000);
	}
	t0 = wt_now_ns();
	for (seq = 1; seq < 2000000; seq++) {
		err = timed_write(&d, seq);
		if (err)
			break;
	}
	dt = wt_now_ns() - t0;
	WT_CHECK(err == -EAGAIN, "write: %s after %llu records", strerror(-err),
		 (unsigned long long)seq);
	wt_diag("-EAGAIN after %llu records (%.1f MiB) in %.0f ms; slowest write %.1f ms",
		(unsigned long long)seq - 1,
		(double)(seq - 1) * (double)event(d.buf, seq) / 1048576, (double)dt / 1e6,
		(double)d.max_call_ns / 1e6);
	WT_CHECK(d.max_call_ns < PROMPT_NS, "a write took %llu ms",
		 (unsigned long long)(d.max_call_ns / 1000000));
	/* Retries for a second, as the pipeline makes them (tick, pause, write): the kernel
	 * may still squeeze a little into the receive queue of the collector that reads
	 * nothing, but every call returns promptly and the trickle stays a trickle. */
	stalled_at = seq;
	t0 = wt_now_ns();
	while (wt_now_ns() - t0 < 1000000000ull) {
		uint64_t t1 = wt_now_ns();

		d.ops->tick(d.impl, 0);
		dt = wt_now_ns() - t1;
		WT_CHECK(dt < PROMPT_NS, "a tick took %llu ms", (unsigned long long)(dt / 1000000));
		err = timed_write(&d, seq);
		WT_CHECK(err == 0 || err == -EAGAIN, "write: %s", strerror(-err));
		if (!err)
			seq++;
		usleep(5000);
	}
	wt_diag("in a second of retries: %llu records taken, %llu -EAGAIN answers",
		(unsigned long long)(seq - stalled_at), (unsigned long long)d.eagain - 1);
	WT_CHECK(seq - stalled_at < 4000,
		 "the sink took %llu records (1 MiB) in a second for a "
		 "collector that reads nothing",
		 (unsigned long long)(seq - stalled_at));
	WT_CHECK(d.max_call_ns < PROMPT_NS, "a write took %llu ms",
		 (unsigned long long)(d.max_call_ns / 1000000));
	describe(&d, "stalled");
	ret = WT_PASS;
out:
	if (d.impl)
		d.ops->close(d.impl);
	wt_coll_kill(&c);
	return ret;
}

/* "tcp:localhost:PORT": resolved (asynchronously) when connecting, then delivered. */
static enum wt_result host_name_resolved_at_connect(void)
{
	struct wt_coll c;
	struct drv d = {0};
	enum wt_result ret = WT_FAIL;
	struct wt_tally t;
	int err;

	setup_coll(&c, true, "name");
	c.host = "localhost";
	c.pause_after = -1;
	WT_CHECK(c.port, "no free TCP port");
	err = wt_coll_start(&c);
	WT_CHECK(err == 0, "collector did not start: %s", strerror(-err));
	WT_CHECK(open_sink(&d, &c, false, 0) == 0, "the sink did not open");
	for (uint64_t seq = 1; seq <= 1000; seq++) {
		err = put(&d, seq, 10 * 1000000000ull);
		WT_CHECK(err == 0, "seq %llu: write: %s", (unsigned long long)seq, strerror(-err));
	}
	WT_CHECK(drain(&d, c.store, 1000), "seq 1000 never stored");
	describe(&d, "after 1000 records");
	WT_CHECK(wt_tally(c.store, "/dev/null", 1000, &t) == 0, "cannot read %s", c.store);
	WT_CHECK(t.missing == 0 && t.dups == 0 && t.corrupt == 0,
		 "%llu missing, %llu duplicates, %llu corrupt", (unsigned long long)t.missing,
		 (unsigned long long)t.dups, (unsigned long long)t.corrupt);
	ret = WT_PASS;
out:
	if (d.impl)
		d.ops->close(d.impl);
	wt_coll_kill(&c);
	return ret;
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(ack_collector_killed_unix),
		WT_CASE(ack_collector_killed_tcp),
		WT_CASE(no_ack_loses_in_flight_never_cuts),
		WT_CASE(stalled_collector_eagain_promptly),
		WT_CASE(host_name_resolved_at_connect),
	};
	int status;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wd-stream.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	status = wt_main(cases, (int)(sizeof(cases) / sizeof(cases[0])));
	if (!getenv("KEEP"))
		cleanup_tmp();
	else
		wt_diag("kept %s", tmpdir);
	return status;
}
