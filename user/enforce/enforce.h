/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The enforcer: warden's two BPF objects loaded with shared maps, policies written into the maps,
 * sandboxes registered, and the event ring buffer. The cgroup object (network) loads on every
 * cgroup v2 kernel; the LSM object (exec, file, sockets, confinement) only where BPF LSM runs,
 * and a refusal of one never takes the other down. */
#ifndef WD_ENFORCE_H
#define WD_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/abi.h"

struct wd_compiled;
struct wd_cgroup_bpf;
struct wd_lsm_bpf;
struct wd_ringbuf;

typedef int (*wd_event_fn)(void *ctx, const struct wd_event *e);

struct wd_enforcer {
	struct wd_cgroup_bpf *cg;
	struct wd_lsm_bpf *lsm; /* NULL when BPF LSM is not available */
	/* Where lsm is NULL: the same object with only its exec tracepoint program (the second
	 * line of rungs 3 and 4, bpf/lsm/exec.bpf.h), or NULL with exec_tp_error saying why. */
	struct wd_lsm_bpf *exec_tp;
	char exec_tp_error[256];
	/* The unix socket programs of the cgroup object are loaded (Linux 6.7 and later); they
	 * are attached where BPF LSM is missing. Else cg_unix_error says why not. */
	bool cg_unix;
	char cg_unix_error[256];
	struct wd_ringbuf *rb;
	char lsm_error[512];	/* why the LSM object is not loaded */
	char lsm_probe[512];	/* what the probe saw of the LSM hooks (wd_probe_lsm_enforcing) */
	char lsm_missing[1024]; /* the hooks it did not see refusing, when not loaded */
	/* Why each of those was not seen refusing, a line "lsm/HOOK: why\n" each (NULL if none):
	 * for the caller to show when verbose. */
	char *lsm_hooks_why;
	/* How each LSM hook (wd_lsm_hooks row) is enforced, an enum wd_mech, when e->lsm is set;
	 * and in words: "bpf-lsm", "fmod_ret" (rung 2: no bpf in the LSM list) or
	 * "bpf-lsm+fmod_ret". */
	uint8_t lsm_mech[64];
	char lsm_mechanism[24];
	wd_event_fn on_event;
	void *on_event_ctx;
	uint64_t bad_records; /* ring buffer records too short or of another ABI version */
	/* Pinned mode (the daemon): maps and links live in bpffs, so enforcement outlives the
	 * process. */
	char pin_dir[256];		/* "" when not pinned */
	bool readopted;			/* LSM links were found pinned and kept */
	int replaced;			/* LSM links of another build this process replaced */
	struct bpf_link *lsm_links[64]; /* the links this process attached and pinned (and for
					 * fmod_ret programs, named fmr_*) */
	int n_lsm_links;
};

struct wd_enforcer_opts {
	/* Load the LSM object, if the probe sees every hook refuse a test child (a kernel may
	 * load and attach LSM programs and never run them): no enforcement claimed unseen. */
	bool want_lsm;
	bool verbose; /* libbpf messages on stderr */
	/* bpffs directory to pin maps and links in (the daemon), or NULL. Maps found pinned there
	 * are reused, links found pinned are kept: a restarted daemon takes over without a gap. */
	const char *pin_dir;
	/* Where the LSM object is not loaded, do not load its exec tracepoint program either
	 * (tests: WARDEN_DISABLE=exectp). */
	bool no_exec_tp;
	wd_event_fn on_event;
	void *on_event_ctx;
};

/* Loads the cgroup object, then (if asked) the LSM object reusing its maps, and attaches the LSM
 * programs. A refused LSM object is not an error: e->lsm stays NULL and e->lsm_error says why.
 * Returns 0 or -errno (the cgroup object itself failed). */
int wd_enforcer_open(struct wd_enforcer *e, const struct wd_enforcer_opts *o);

/* Attaches the cgroup programs to a cgroup (they govern its descendants too): sock_addr, skb,
 * device, and where e->lsm is NULL and e->cg_unix is set, the unix socket ones. */
int wd_enforcer_attach_cgroup(struct wd_enforcer *e, int cgroup_fd);

/* Whether the kernel has the cgroup sock_addr hooks for unix sockets (Linux 6.7 and later);
 * false and why in @why if not. */
bool wd_enforcer_unix_hooks(char *why, size_t len);

/* Writes a compiled policy into the maps. Its slot is switched on last, so the kernel never sees
 * half of it; on error the slot stays off (deny all for sandboxes using it). Stats the policy's
 * protected paths to add (device, inode) entries. Returns 0 or -errno. */
int wd_enforcer_load_policy(struct wd_enforcer *e, const struct wd_compiled *c);

/* Switches a policy's slot off (sandboxes still using it are denied everything) and removes the
 * entries it wrote. Inode entries from protected directories stay: slots are not reused. */
void wd_enforcer_unload_policy(struct wd_enforcer *e, const struct wd_compiled *c);

/* Registers the cgroup @cgid at cgroup level @level (its depth, 1 .. WD_LEVELS_MAX - 1) as a
 * sandbox under policy slot @policy_id; again for the same cgid switches its policy. */
int wd_enforcer_add_sandbox(struct wd_enforcer *e, uint64_t cgid, unsigned level,
			    uint32_t policy_id);
/* Removes the sandbox and its loss counter: read wd_enforcer_sandbox_lost() first. */
int wd_enforcer_del_sandbox(struct wd_enforcer *e, uint64_t cgid);

/* The ring buffer's fd for epoll, and draining it (calls on_event for each record). */
int wd_enforcer_events_fd(struct wd_enforcer *e);
/* Drains at most a few thousand records (so a flood cannot starve the caller's loop); returns
 * how many, or -errno. wd_enforcer_drain_all() goes on until the buffer is empty. */
int wd_enforcer_drain(struct wd_enforcer *e);
int wd_enforcer_drain_all(struct wd_enforcer *e);

/* Records lost because the ring buffer was full, summed over CPUs. */
uint64_t wd_enforcer_lost(struct wd_enforcer *e);
/* The same, per CPU into @per_cpu (@ncpu: libbpf_num_possible_cpus()); returns the sum. */
uint64_t wd_enforcer_lost_cpu(struct wd_enforcer *e, uint64_t *per_cpu, int ncpu);
/* "kernel ring buffer full; lost so far per CPU: cpu0=N ..." for EVENTS_LOST events. */
void wd_lost_detail(char *buf, size_t size, const uint64_t *per_cpu, int ncpu);
/* Records of the sandbox with cgroup id @cgid lost, summed over CPUs (0 once it is deleted). */
uint64_t wd_enforcer_sandbox_lost(struct wd_enforcer *e, uint64_t cgid);
/* How often @rule_id decided, summed over CPUs. */
uint64_t wd_enforcer_hits(struct wd_enforcer *e, uint32_t rule_id);

/* How often the kernel skipped warden's LSM programs because a BPF program was already running
 * on the same CPU (bpf_prog_info.recursion_misses, summed over the @n programs attached): each
 * such call went through undecided, allowed. Only fmod_ret programs (rung 2) can be skipped so;
 * BPF LSM programs never are. 0, -ENOENT (no LSM programs) or -errno. */
int wd_enforcer_recursion_misses(const struct wd_enforcer *e, uint64_t *sum, int *n);

/* Switches slot @policy_id off and deletes every map entry of it, whoever wrote them (a policy
 * of a daemon before this one, say), so the slot can be used again. Returns 0 or -errno. */
int wd_enforcer_clear_slot(struct wd_enforcer *e, uint32_t policy_id);

/* Zeroes the hit counters of rule ids @first .. @first + @n - 1, before they are reused. */
void wd_enforcer_reset_hits(struct wd_enforcer *e, uint32_t first, uint32_t n);

/* Pinned mode: removes the pins of the cgroup links of sandbox @cgid (when it ends). */
void wd_enforcer_unpin_cgroup(struct wd_enforcer *e, uint64_t cgid);

/* Holding new cgroups (pinned mode): the cgroup_mkdir and cgroup_rmdir programs are attached
 * and pinned, replacing links pinned before (a daemon of another build). Then a cgroup v2
 * directory made at the level of an adoption rule and matching its pattern (warden/glob.h, the
 * path below the hierarchy's root) is a held sandbox under the rule's slot from its first
 * instant, until the daemon adopts it (wd_enforcer_add_sandbox() over it) or it is removed. */
int wd_enforcer_attach_hold(struct wd_enforcer *e);
/* The kernel's copies of the adoption rules are in two banks: the one in force (read with
 * wd_enforcer_adopt_bank()) and the other, which wd_enforcer_set_adopt() fills (or, with @pat
 * NULL, empties) rule by rule (@idx < WD_ADOPT_MAX) and wd_enforcer_adopt_switch() puts in
 * force in one write. wd_enforcer_adopt_slots() lists the slots of both banks' rules. */
int wd_enforcer_adopt_bank(struct wd_enforcer *e, uint32_t *bank);
int wd_enforcer_set_adopt(struct wd_enforcer *e, uint32_t bank, uint32_t idx, const char *pat,
			  unsigned level, uint32_t policy_id);
int wd_enforcer_adopt_switch(struct wd_enforcer *e, uint32_t bank);
int wd_enforcer_adopt_slots(struct wd_enforcer *e, uint32_t *slots, size_t max);
/* Matching cgroups the kernel could not hold (its sandbox map full), summed over CPUs. */
uint64_t wd_enforcer_hold_failures(struct wd_enforcer *e);
/* Makes the kernel look for sandboxes at cgroup level @level (1 .. WD_LEVELS_MAX - 1). */
int wd_enforcer_add_level(struct wd_enforcer *e, unsigned level);
/* 1 if cgroup @cgid is held (not adopted yet), with its slot in @policy_id; else 0. */
int wd_enforcer_held(struct wd_enforcer *e, uint64_t cgid, uint32_t *policy_id);
/* Up to @max held cgroups and their slots; returns how many. */
int wd_enforcer_held_list(struct wd_enforcer *e, uint64_t *cgids, uint32_t *policy_ids, size_t max);
/* Holds cgroup @cgid under slot @policy_id (0: deny all), over its entry (-ENOENT if it has
 * none: removed meanwhile); with @only_held, only if it is held now (not adopted meanwhile). */
int wd_enforcer_hold(struct wd_enforcer *e, uint64_t cgid, uint32_t policy_id, bool only_held);
/* Without BPF LSM only the sock_addr programs enforce, and they are attached per sandbox: these
 * ones, attached where held cgroups may appear (pinned as hold_*_INODE), decide for held
 * sandboxes only. wd_enforcer_unpin_hold_cgroups() removes those of cgroups not in @keep. */
int wd_enforcer_attach_hold_cgroup(struct wd_enforcer *e, int cgroup_fd);
void wd_enforcer_unpin_hold_cgroups(struct wd_enforcer *e, const uint64_t *keep, size_t n);

/* Rung 3's seccomp refusals as events (bpf/cgroup/scevents.bpf.h): writes the calls warden's
 * filter refuses into the kernel's table (@nrs[i] answered as @how[i], every other call
 * cleared), then attaches the raw_syscalls:sys_exit program, unless it is attached. Every system
 * call of the node then passes through it: attach only while a rung-3 sandbox may run. Not
 * pinned: it reports for this process, which reads the events. Only EPERM and ENOSYS, numbers
 * below WD_SC_NR_MAX: -EINVAL otherwise. Returns 0 or -errno (then not attached). */
int wd_enforcer_attach_scevents(struct wd_enforcer *e, const uint32_t *nrs,
				const struct wd_sc_refusal *how, size_t n);
void wd_enforcer_detach_scevents(struct wd_enforcer *e);
bool wd_enforcer_scevents_attached(const struct wd_enforcer *e);
/* Marks sandbox @cgid as one whose processes run under warden's seccomp filter
 * (WD_SB_SECCOMP): the sys_exit program reports their refusals, and only theirs. A switch to
 * another policy keeps the mark. Returns 0 or -errno (-ENOENT: not a sandbox). */
int wd_enforcer_sandbox_seccomp(struct wd_enforcer *e, uint64_t cgid);

/* Removes every pin under @pin_dir: enforcement of everything pinned there ends. Returns 0 or
 * the first -errno. */
int wd_enforcer_unpin_all(const char *pin_dir);

/* Closes this process's handles. Pinned maps and links stay. */
void wd_enforcer_close(struct wd_enforcer *e);

#endif
