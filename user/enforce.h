/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The enforcer: warden's two BPF objects loaded with shared maps, policies written into the maps,
 * sandboxes registered, and the event ring buffer. The cgroup object (network) loads on every
 * cgroup v2 kernel; the LSM object (exec, file, sockets, confinement) only where BPF LSM runs,
 * and a refusal of one never takes the other down. */
#ifndef WD_ENFORCE_H
#define WD_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/abi.h"

struct wd_compiled;
struct wd_cgroup_bpf;
struct wd_lsm_bpf;
struct ring_buffer;

typedef int (*wd_event_fn)(void *ctx, const struct wd_event *e);

struct wd_enforcer {
	struct wd_cgroup_bpf *cg;
	struct wd_lsm_bpf *lsm; /* NULL when BPF LSM is not available */
	struct ring_buffer *rb;
	char lsm_error[256]; /* why the LSM object is not loaded */
	wd_event_fn on_event;
	void *on_event_ctx;
	uint64_t bad_records; /* ring buffer records too short or of another ABI version */
};

struct wd_enforcer_opts {
	unsigned sandbox_level; /* cgroup depth of sandbox cgroups */
	bool want_lsm;		/* try to load the LSM object */
	bool verbose;		/* libbpf messages on stderr */
	wd_event_fn on_event;
	void *on_event_ctx;
};

/* Loads the cgroup object, then (if asked) the LSM object reusing its maps, and attaches the LSM
 * programs. A refused LSM object is not an error: e->lsm stays NULL and e->lsm_error says why.
 * Returns 0 or -errno (the cgroup object itself failed). */
int wd_enforcer_open(struct wd_enforcer *e, const struct wd_enforcer_opts *o);

/* Attaches the sock_addr programs to a cgroup (they govern its descendants too). */
int wd_enforcer_attach_cgroup(struct wd_enforcer *e, int cgroup_fd);

/* Writes a compiled policy into the maps. Its slot is switched on last, so the kernel never sees
 * half of it; on error the slot stays off (deny all for sandboxes using it). Stats the policy's
 * protected paths to add (device, inode) entries. Returns 0 or -errno. */
int wd_enforcer_load_policy(struct wd_enforcer *e, const struct wd_compiled *c);

/* Switches a policy's slot off (sandboxes still using it are denied everything) and removes the
 * entries it wrote. Inode entries from protected directories stay: slots are not reused. */
void wd_enforcer_unload_policy(struct wd_enforcer *e, const struct wd_compiled *c);

int wd_enforcer_add_sandbox(struct wd_enforcer *e, uint64_t cgid, uint32_t policy_id);
/* Removes the sandbox and its loss counter: read wd_enforcer_sandbox_lost() first. */
int wd_enforcer_del_sandbox(struct wd_enforcer *e, uint64_t cgid);

/* The ring buffer's fd for epoll, and draining it (calls on_event for each record). */
int wd_enforcer_events_fd(struct wd_enforcer *e);
int wd_enforcer_drain(struct wd_enforcer *e);

/* Records lost because the ring buffer was full, summed over CPUs. */
uint64_t wd_enforcer_lost(struct wd_enforcer *e);
/* The same, per CPU into @per_cpu (@ncpu: libbpf_num_possible_cpus()); returns the sum. */
uint64_t wd_enforcer_lost_cpu(struct wd_enforcer *e, uint64_t *per_cpu, int ncpu);
/* Records of the sandbox with cgroup id @cgid lost, summed over CPUs (0 once it is deleted). */
uint64_t wd_enforcer_sandbox_lost(struct wd_enforcer *e, uint64_t cgid);
/* How often @rule_id decided, summed over CPUs. */
uint64_t wd_enforcer_hits(struct wd_enforcer *e, uint32_t rule_id);

void wd_enforcer_close(struct wd_enforcer *e);

#endif
