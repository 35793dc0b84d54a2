// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event context of sandboxes and of the node, and their events on the way to the sinks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "event/nodeseq.h"
#include "export/pipeline.h"
#include "lib/cgroup.h"
#include "lib/clock.h"
#include "sandbox/context.h"

#define PROC_CACHE_MS 250 /* how long what /proc said about a pid is reused */

int wd_sb_node_seq(struct wd_sb_node *n, const char *path, char *err, size_t errlen)
{
	int ret = wd_node_seq_open(path, &n->seq);

	if (ret) {
		snprintf(err, errlen, "cannot open the node's event counter %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	n->ctx.node_seq = n->seq;
	return 0;
}

int wd_sb_node_open(struct wd_sb_node *n, const char *name, const char *seq_path, char *err,
		    size_t errlen)
{
	struct utsname u;

	*n = (struct wd_sb_node){0};
	if (name)
		snprintf(n->name, sizeof(n->name), "%s", name);
	else if (uname(&u) == 0)
		snprintf(n->name, sizeof(n->name), "%s", u.nodename);
	wd_boot_id(n->boot_id, sizeof(n->boot_id));
	n->pc = wd_proc_cache_new(PROC_CACHE_MS);
	n->pbe = malloc(sizeof(*n->pbe));
	n->pk = wd_pb_packer_new();
	if (!n->pc || !n->pbe || !n->pk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->ctx = (struct wd_event_ctx){.node = n->name, .boot_id = n->boot_id};
	wd_proc_cache_ctx(n->pc, &n->ctx);
	return seq_path ? wd_sb_node_seq(n, seq_path, err, errlen) : 0;
}

void wd_sb_node_close(struct wd_sb_node *n)
{
	wd_node_seq_close(n->seq);
	wd_proc_cache_free(n->pc);
	free(n->pbe);
	wd_pb_packer_free(n->pk);
	*n = (struct wd_sb_node){0};
}

int64_t wd_sb_node_clock(struct wd_sb_node *n)
{
	return n->ctx.boot_to_wall_ns =
		       (int64_t)(wd_clock_ns(CLOCK_REALTIME) - wd_clock_ns(CLOCK_BOOTTIME));
}

void wd_sb_ev_init(struct wd_sb_ev *ev, const struct wd_sb_node *n, const struct wd_sb_desc *d)
{
	snprintf(ev->cgroup, sizeof(ev->cgroup), "%s", d->cg->path);
	ev->ctx = (struct wd_event_ctx){
		.identity = d->identity,
		.labels = d->labels,
		.n_labels = d->n_labels,
		.sandbox_id = d->id,
		.cgroup_path = ev->cgroup,
		.cgroup_id = d->cg->id,
		.policy_name = d->policy_name,
		.node = n->name,
		.boot_id = n->boot_id,
		.rule_text = d->rule_text,
		.rule_text_arg = d->rule_text_arg,
		.node_seq = n->seq,
		.sandbox_seq = &ev->seq,
		.boot_to_wall_ns = n->ctx.boot_to_wall_ns,
		.gen = wd_event_ctx_gen(),
	};
	if (n->pc)
		wd_proc_cache_ctx(n->pc, &ev->ctx);
}

int wd_sb_record(struct wd_sb_node *n, struct wd_pipeline *pipe, const struct wd_event *e,
		 const struct wd_event_ctx *ctx)
{
	int ret = pipe ? wd_pipeline_emit_record(pipe, n->pk, e, ctx) : 0;

	/* After an exec, the process's /proc entries describe the new program. */
	if (e->hdr.type == WD_EV_EXEC)
		wd_proc_cache_forget(n->pc, e->pid);
	return ret < 0 ? ret : 0;
}

/* The event warden just made in n->pbe (@ret 0) to @pipe, if any. */
static int emit(struct wd_sb_node *n, struct wd_pipeline *pipe, int ret)
{
	if (ret == 0 && pipe)
		wd_pipeline_emit(pipe, &n->pbe->ev);
	return ret;
}

int wd_sb_lifecycle(struct wd_sb_node *n, struct wd_pipeline *pipe, const struct wd_event_ctx *ctx,
		    Warden__V1__Lifecycle__Kind kind, const char *detail)
{
	return emit(n, pipe, wd_event_lifecycle_to_pb(ctx, kind, detail, n->pbe));
}

int wd_sb_lost(struct wd_sb_node *n, struct wd_pipeline *pipe, const struct wd_event_ctx *ctx,
	       uint64_t count, const char *detail)
{
	return emit(n, pipe, wd_event_lost_to_pb(ctx, count, detail, n->pbe));
}

/* The cgroup hooks cannot see the task; /proc can, while the process lives. */
const struct wd_event *wd_sb_fill(struct wd_sb_node *n, const struct wd_event *e,
				  struct wd_event *buf)
{
	const struct wd_proc_info *pi;
	struct wd_proc_info info;

	if ((e->exe[0] && e->ppid) || !e->pid)
		return e;
	*buf = *e;
	if (wd_proc_cache_lookup(n->pc, e->pid, &info, &pi) == 0) {
		if (!buf->exe[0])
			memcpy(buf->exe, pi->exe, sizeof(buf->exe));
		if (!buf->ppid)
			buf->ppid = pi->ppid;
	}
	return buf;
}
