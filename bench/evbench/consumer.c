// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's consumer: warden's side of the event path. The event context warden run would give,
 * /proc as warden reads it, and each record from the ring buffer through
 * wd_pipeline_emit_record() (or, converting only, wd_event_pack()); the kernel's losses become
 * EVENTS_LOST events as warden reports them. */
#include "evbench.h"
#include "bench_events.skel.h"

/* ---- The pid cache warden's consumer is expected to keep ------------------------------------ */

/* /proc as warden reads it. The benchmark does not run in a sandbox cgroup; its process and its
 * parent are shown in one, so that each event carries an ancestry of one process, as a job's
 * command started by its shell would. Behind warden's own pid cache (--proc cache) or not. */
static int bench_proc_read(void *arg, uint32_t pid, struct wd_proc_info *out)
{
	struct proc_view *v = arg;
	int err = wd_proc_lookup_procfs(NULL, pid, out);

	if (!err && (pid == v->inside[0] || pid == v->inside[1]))
		snprintf(out->cgroup, sizeof(out->cgroup), "%s", v->sandbox_cgroup);
	return err;
}

static int bench_proc_lookup(void *arg, uint32_t pid, struct wd_proc_info *buf,
			     const struct wd_proc_info **out)
{
	*out = buf;
	return bench_proc_read(arg, pid, buf);
}

static const char *bench_rule_text(void *arg, uint32_t rule_id)
{
	(void)arg;
	if (rule_id == 7)
		return "policies/ci.yaml:31:7 read deny ~/.aws/";
	if (rule_id == 9)
		return "policies/ci.yaml:44:5 connect allow 10.0.0.0/8 port 443 tcp";
	return NULL;
}

/* ---- The consumer --------------------------------------------------------------------------- */

/* To the pipeline; or, converting only, what wd_pipeline_emit() does before its queues. */
static void emit(struct bench *b)
{
	const Warden__V1__Event *ev = &b->pb->ev;

	b->emitted++;
	if (b->pl) {
		wd_pipeline_emit(b->pl, ev);
	} else {
		size_t len = warden__v1__event__get_packed_size(ev);

		if (len > WD_PB_RECORD_MAX)
			b->conv_err++;
		else
			warden__v1__event__pack(ev, b->pack);
	}
}

/* A kernel record, the way warden's consumers convert and pack it (wd_pipeline_emit_record). */
static void emit_record(struct bench *b, const struct wd_event *e)
{
	uint64_t seq;
	size_t len;

	if (b->pl) {
		if (wd_pipeline_emit_record(b->pl, b->pk, e, &b->ctx) < 0)
			b->conv_err++;
		else
			b->emitted++;
	} else if (wd_event_pack(b->pk, e, &b->ctx, b->pack, sizeof(b->pack), &len, &seq)) {
		b->conv_err++;
	} else {
		b->emitted++;
	}
}

int on_record(void *arg, void *data, size_t size)
{
	struct bench *b = arg;
	struct wd_event buf;
	const struct wd_event *e = wd_event_from_ring(data, size, &buf);

	b->consumed++;
	if (!e)
		b->bad++;
	else if (b->mode != M_RB)
		emit_record(b, e);
	return 0;
}

/* Returns 1 when there may be more, 0 when the ring buffer was emptied, or -errno. */
int consume(struct bench *b)
{
	int n;

	/* As warden does: a budget per call, so that the epoll loop's other sources (the timer)
	 * are served too while records keep coming. */
	n = wd_ringbuf_consume(b->rb, CONSUME_BUDGET);
	/* As warden does: the sinks are woken once per batch, not per record. */
	if (b->pl)
		wd_pipeline_kick(b->pl);
	if (n >= CONSUME_BUDGET)
		return 1;
	return n < 0 ? n : 0;
}

/* The kernel's losses since the last look become one EVENTS_LOST event, as warden reports
 * them. */
void kernel_loss(struct bench *b)
{
	uint64_t lost = percpu_sum(b, b->skel->maps.wd_bench_lost) - b->klost_base;
	uint64_t d = lost - b->klost_reported;

	if (!d)
		return;
	b->klost_reported = lost;
	if (b->mode == M_RB)
		return;
	if (wd_event_lost_to_pb(&b->ctx, d, "kernel ring buffer full", b->pb)) {
		b->conv_err++;
		return;
	}
	b->reports++;
	emit(b);
}

void setup_ctx(struct bench *b)
{
	static const struct wd_label labels[] = {
		{"repo", "acme/api"}, {"job", "8812"}, {"runner", "ci-runner-17"}};
	static const char sandbox[] = "sb-0e7b1c5a9f3d2e41";
	struct timespec rt, bt;

	gethostname(b->node, sizeof(b->node) - 1);
	if (wd_boot_id(b->boot_id, sizeof(b->boot_id)))
		b->boot_id[0] = '\0';
	b->view.inside[0] = (uint32_t)getpid();
	b->view.inside[1] = (uint32_t)getppid();
	snprintf(b->view.sandbox_cgroup, sizeof(b->view.sandbox_cgroup), "/warden/%s", sandbox);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	b->ctx = (struct wd_event_ctx){
		.identity = "ci:acme/api#8812",
		.labels = labels,
		.n_labels = sizeof(labels) / sizeof(labels[0]),
		.sandbox_id = sandbox,
		.cgroup_path = b->view.sandbox_cgroup,
		.policy_name = "policies/ci.yaml",
		.node = b->node,
		.boot_id = b->boot_id,
		.boot_to_wall_ns = ((int64_t)rt.tv_sec - (int64_t)bt.tv_sec) * 1000000000LL +
				   (rt.tv_nsec - bt.tv_nsec),
		.rule_text = bench_rule_text,
		.proc_lookup = o.proc == PROC_NONE ? NULL : bench_proc_lookup,
		.proc_lookup_arg = &b->view,
		.node_seq = &b->node_seq,
		.sandbox_seq = &b->sandbox_seq,
		.gen = wd_event_ctx_gen(),
	};
	/* warden's own pid cache, as the daemon keeps it (250 ms), read through the view. */
	if (o.proc == PROC_CACHE && b->pc) {
		wd_proc_cache_set_reader(b->pc, bench_proc_read, &b->view);
		wd_proc_cache_ctx(b->pc, &b->ctx);
	}
}
