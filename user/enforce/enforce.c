// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Opens and closes the enforcer: the cgroup object, then the LSM object on its maps, then the
 * reader of their ring buffer, whose records it hands to the caller. The files beside this one
 * do the rest, one per object and one per job (enforce/internal.h lists them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "enforce/libbpf_log.h"
#include "enforce/ringbuf.h"
#include "event/event.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

#define WD_DRAIN_BUDGET 4096 /* records per wd_enforcer_drain() */

static int on_record(void *ctx, void *data, size_t size)
{
	struct wd_enforcer *e = ctx;
	struct wd_event buf;
	const struct wd_event *ev = wd_event_from_ring(data, size, &buf);

	if (!ev) {
		e->bad_records++;
		return 0;
	}
	if (e->on_event)
		e->on_event(e->on_event_ctx, ev);
	return 0;
}

int wd_enforcer_open(struct wd_enforcer *e, const struct wd_enforcer_opts *o)
{
	int err;

	memset(e, 0, sizeof(*e));
	wd_libbpf_log_init(o->verbose);
	e->on_event = o->on_event;
	e->on_event_ctx = o->on_event_ctx;
	snprintf(e->lsm_error, sizeof(e->lsm_error), "not requested");

	if (o->pin_dir && (err = wd_enf_pin_prepare(e, o->pin_dir)))
		return err;
	err = wd_enf_cgroup_open(e);
	if (err)
		return err;
	wd_enf_lsm_open(e, o);
	if (e->lsm)
		snprintf(e->exec_tp_error, sizeof(e->exec_tp_error), "not needed: BPF LSM decides");
	else if (o->no_exec_tp)
		snprintf(e->exec_tp_error, sizeof(e->exec_tp_error), "disabled by WARDEN_DISABLE");
	else
		wd_enf_exec_tp_open(e); /* not fatal: the report says what is missing */
	e->rb = wd_ringbuf_new(bpf_map__fd(e->cg->maps.wd_events), on_record, e);
	if (!e->rb) {
		err = -errno;
		wd_enforcer_close(e);
		return err;
	}
	return 0;
}

int wd_enforcer_events_fd(struct wd_enforcer *e)
{
	return wd_ringbuf_fd(e->rb);
}

int wd_enforcer_drain(struct wd_enforcer *e)
{
	/* Consuming does not end while records keep coming: a budget per drain keeps the
	 * caller's loop (signals, the control socket, the command's exit) served. */
	return wd_ringbuf_consume(e->rb, WD_DRAIN_BUDGET);
}

int wd_enforcer_drain_all(struct wd_enforcer *e)
{
	int n;

	while ((n = wd_enforcer_drain(e)) >= WD_DRAIN_BUDGET)
		;
	return n < 0 ? n : 0;
}

void wd_enforcer_close(struct wd_enforcer *e)
{
	wd_ringbuf_free(e->rb);
	e->rb = NULL;
	/* Closing a pinned link's handle leaves the link: the pin holds it. */
	for (int i = 0; i < e->n_lsm_links; i++)
		bpf_link__destroy(e->lsm_links[i]);
	e->n_lsm_links = 0;
	wd_lsm_bpf__destroy(e->lsm);
	e->lsm = NULL;
	wd_lsm_bpf__destroy(e->exec_tp);
	e->exec_tp = NULL;
	wd_cgroup_bpf__destroy(e->cg);
	e->cg = NULL;
	free(e->lsm_hooks_why);
	e->lsm_hooks_why = NULL;
}
