/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the enforcer's files share, not for other folders. One file per BPF object and one per
 * job around them, as systemd's bpf-<feature>.c:
 *   enforce.c   open (both objects, the ring buffer) and close; draining events
 *   cgroup.c    wd_cgroup: its load, its maps shared with wd_lsm, attaching to sandboxes
 *   lsm.c       wd_lsm: absent hooks skipped, load, attach (pinned: one set per build)
 *   mech.c      rung 2: programs retargeted to fmod_ret; the one attach step
 *   hold.c      adoption rules and held cgroups (wd_cgroup's cgroup_mkdir/rmdir programs)
 *   pin.c       bpffs, pinned maps and links (the daemon)
 *   maps.c      policies and sandboxes written into the maps
 *   counters.c  per-CPU counters: lost records, rule hits
 *   scevents.c  rung 3's seccomp refusals as events (wd_cgroup's sys_exit program) */
#ifndef WD_ENFORCE_INTERNAL_H
#define WD_ENFORCE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "warden/abi.h"

struct bpf_link;
struct bpf_map;
struct bpf_object;
struct bpf_program;
struct wd_cgroup_bpf;
struct wd_deny_dir;
struct wd_enforcer;
struct wd_enforcer_opts;
struct wd_lsm_bpf;

/* ---- cgroup.c ---- */

/* Opens and loads wd_cgroup into e->cg (maps pinned when e->pin_dir is set). 0 or -errno. */
int wd_enf_cgroup_open(struct wd_enforcer *e);
int wd_enf_share_maps(struct wd_lsm_bpf *lsm, struct wd_cgroup_bpf *cg);

/* ---- lsm.c ---- */

/* With o->want_lsm, loads and attaches wd_lsm into e->lsm if the probe sees BPF LSM enforce;
 * else e->lsm stays NULL and e->lsm_error says why. */
void wd_enf_lsm_open(struct wd_enforcer *e, const struct wd_enforcer_opts *o);

/* ---- exec_tp.c ---- */

/* Where e->lsm is not loaded: the LSM object's exec tracepoint program alone into e->exec_tp,
 * on the same maps, attached (pinned as links/tp_exec with e->pin_dir). 0, or -errno with
 * e->exec_tp_error saying why. */
int wd_enf_exec_tp_open(struct wd_enforcer *e);

/* ---- mech.c ---- */

struct wd_hook_row;

/* Makes @prog (of an LSM hook, not loaded yet) an fmod_ret program on @h's function h->fn
 * (fentry where h->fentry). 0 or -errno. */
int wd_enf_retarget(struct bpf_program *prog, const struct wd_hook_row *h);
/* Attaches @prog by its type: LSM, tracing (fmod_ret, fentry), or by its section; NULL and errno
 * on failure. */
struct bpf_link *wd_enf_attach_prog(struct bpf_program *prog);

/* ---- pin.c ---- */

/* Makes sure @pin_dir is on bpffs and has maps/ and links/, and sets e->pin_dir. 0 or -errno
 * (-EMEDIUMTYPE: not on a BPF file system). */
int wd_enf_pin_prepare(struct wd_enforcer *e, const char *pin_dir);
int wd_enf_set_pins(struct bpf_object *obj, const char *dir);
int wd_enf_attach_pinned(struct bpf_program *prog, const char *path, struct bpf_link **out);
int wd_enf_pin_replace(struct bpf_link *l, const char *path);
int wd_enf_attach_cgroup_pinned(struct bpf_program *prog, int cgroup_fd, const char *path);

/* ---- maps.c ---- */

/* Writes @val at @key (BPF_ANY), sizes from the map. 0 or -errno. */
int wd_enf_update(struct bpf_map *map, const void *key, const void *val);
/* The kernel's key of a protected file: its (device, inode) under slot @policy_id. */
void wd_enf_inode_key(struct wd_inode_key *k, uint32_t policy_id, const struct stat *st);
/* Merges @r into @cur, an inode entry already there: @r's DENY verdicts win, with their rule
 * ids; anything else of @cur stays. */
void wd_enf_inode_merge(struct wd_file_rule *cur, const struct wd_file_rule *r);
/* The rule of file @path found under the protected directory @d into @r; false when it denies
 * nothing (then the file gets no inode entry). */
bool wd_enf_deny_dir_rule(const struct wd_deny_dir *d, const char *path, struct wd_file_rule *r);

/* ---- counters.c ---- */

/* A per-CPU counter at @key summed over CPUs (0 when it cannot be read). */
uint64_t wd_enf_percpu_sum(struct bpf_map *map, uint32_t key);

#endif
