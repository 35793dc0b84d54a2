// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's metrics for Prometheus (docs/daemon.md, "Metrics"): decisions by identity, events,
 * sinks, the ring buffer's fill level, policy slots and sandboxes. metrics/ serves them. */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "daemon/internal.h"
#include "wd_cgroup.skel.h"

static const char *kind_name(uint8_t t)
{
	static const char *const names[] = {"?",       "exec",	 "file",    "mmap",
					    "connect", "socket", "confine", "lost"};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static const char *decision_name(uint8_t dec)
{
	return dec == WD_DEC_ALLOW ? "allowed" : dec == WD_DEC_DENY ? "denied" : "audit_denied";
}

/* One family with a sample per sink: the uint64_t at @off in its stats. */
static void sink_family(struct wd_prom *w, struct wd_pipeline *p, const char *name,
			enum wd_prom_type type, const char *help, size_t off)
{
	wd_prom_family(w, name, type, help);
	for (size_t i = 0; i < wd_pipeline_sinks(p); i++) {
		struct wd_sink_stats s;
		struct wd_prom_label l[] = {{"sink", NULL}};
		uint64_t v;

		wd_pipeline_stats(p, i, &s);
		l[0].value = s.name;
		memcpy(&v, (const char *)&s + off, sizeof(v));
		wd_prom_sample_u64(w, l, 1, v);
	}
}

int collect(struct wd_prom *w, void *arg)
{
	struct daemon *d = arg;

	wd_prom_family(w, "warden_decisions_total", WD_PROM_COUNTER,
		       "Kernel decisions by identity, kind and decision.");
	for (size_t i = 0; i < d->n_decs; i++) {
		struct wd_prom_label l[] = {{"identity", d->decs[i].identity},
					    {"kind", kind_name(d->decs[i].kind)},
					    {"decision", decision_name(d->decs[i].decision)}};

		wd_prom_sample_u64(w, l, 3, d->decs[i].n);
	}
	wd_prom_family(w, "warden_events_total", WD_PROM_COUNTER,
		       "Events the daemon produced (read from the kernel or made itself).");
	wd_prom_sample_u64(w, NULL, 0, d->events_total);
	wd_prom_family(w, "warden_events_lost_kernel_total", WD_PROM_COUNTER,
		       "Events lost in the kernel because the ring buffer was full.");
	wd_prom_sample_u64(w, NULL, 0, d->events_lost);
	sink_family(w, d->pipe, "warden_sink_events_exported_total", WD_PROM_COUNTER,
		    "Events each sink took.", offsetof(struct wd_sink_stats, written));
	sink_family(w, d->pipe, "warden_sink_events_lost_total", WD_PROM_COUNTER,
		    "Events each sink could not take (queue full, refused, unacknowledged).",
		    offsetof(struct wd_sink_stats, lost));
	sink_family(w, d->pipe, "warden_sink_queue_bytes", WD_PROM_GAUGE,
		    "Bytes waiting in each sink's queue.",
		    offsetof(struct wd_sink_stats, queue_used));
	wd_prom_family(w, "warden_ringbuf_used_bytes", WD_PROM_GAUGE,
		       "Bytes of events waiting in the kernel ring buffer.");
	wd_prom_sample_u64(w, NULL, 0,
			   d->rb_pos[0] && d->rb_pos[1] ? *d->rb_pos[1] - *d->rb_pos[0] : 0);
	wd_prom_family(w, "warden_ringbuf_size_bytes", WD_PROM_GAUGE,
		       "Size of the kernel ring buffer.");
	wd_prom_sample_u64(w, NULL, 0, d->rb_size);
	wd_prom_family(w, "warden_policy_slots_used", WD_PROM_GAUGE,
		       "Policy slots in use in the kernel maps (of warden_policy_slots).");
	{
		uint64_t n = 0;

		for (int i = 0; i < WD_POLICIES_MAX; i++)
			n += d->slot_used[i];
		wd_prom_sample_u64(w, NULL, 0, n);
	}
	wd_prom_family(w, "warden_policy_slots", WD_PROM_GAUGE, "Policy slots in the kernel maps.");
	wd_prom_sample_u64(w, NULL, 0, WD_POLICIES_MAX - 1);
	wd_prom_family(w, "warden_sandboxes", WD_PROM_GAUGE, "Sandboxes governed, by origin.");
	for (int o = WD_SB_RUN; o <= WD_SB_AUTO; o++) {
		struct wd_prom_label l[] = {{"origin", wd_sb_origin_name((enum wd_sb_origin)o)}};
		uint64_t n = 0;

		for (size_t i = 0; i < d->n_sb; i++)
			n += d->sb[i]->origin == (enum wd_sb_origin)o;
		wd_prom_sample_u64(w, l, 1, n);
	}
	return wd_prom_error(w);
}

/* The ring buffer's consumer and producer positions, read-only, for its fill level. */
void map_rb_positions(struct daemon *d)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = bpf_map__fd(d->enf.cg->maps.wd_events);
	void *c, *p;

	d->rb_size = bpf_map__max_entries(d->enf.cg->maps.wd_events);
	c = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);
	p = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, pg);
	if (c != MAP_FAILED && p != MAP_FAILED) {
		d->rb_pos[0] = c;
		d->rb_pos[1] = p;
	}
}
