// SPDX-License-Identifier: GPL-2.0
/* Exec, file and socket enforcement through BPF LSM, and confinement: every decision is made on
 * kernel objects (the opened struct file, the kernel's copy of a sockaddr), never on user memory.
 * Sandboxed tasks are tagged in task storage, so leaving the cgroup changes nothing.
 *
 * One BPF object, one file per concern; the files below are included at the end of this one,
 * after the maps and the context they share:
 *   lsm/exec.bpf.h        exec: bprm_check_security, mmap_file, file_mprotect
 * The same programs run as BPF LSM (rung 1) or, on kernels with bpf missing from the LSM list,
 * as fmod_ret on the security_* functions that call the hooks (rung 2): the loader retargets
 * them at open (user/enforce/lsm.c, the targets in user/hooks/hooks.c).
 *   lsm/file.bpf.h        opens (file_open) and changes to the file system (path_*, file_truncate)
 *   lsm/xattr.bpf.h       extended attributes and POSIX ACLs (inode_*xattr, inode_*_acl)
 *   lsm/net.bpf.h         sockets (socket_*) and unix sockets (unix_stream_connect, unix_may_send)
 *   lsm/confine.bpf.h     confinement: tasks, capabilities, bpf, signals, ptrace, mounts, user
 *                         namespaces, passed sockets, keyrings, terminals
 *   lsm/file_rules.bpf.h  what the file rules say about a file, for exec, file, xattr and unix
 * Each file's opening comment says which hooks it holds and why each exists. Program names fit
 * in 15 characters, all the kernel keeps of a name (tests/unit/test_bpf_names.c checks). */
#include "wd_common.h"
#include "wd_path.h"
#include "wd_rules.h"

char LICENSE[] SEC("license") = "GPL";

/* How the programs are attached (enum wd_mech of user/hooks/hooks.h), set by the loader before
 * the load: 1 BPF LSM, 2 fmod_ret on the security_* functions (rung 2), where bpf_d_path is
 * allowed only in some of them. The verifier never visits a branch this rules out. */
#define WD_MECH_LSM	1
#define WD_MECH_FMODRET 2
const volatile __u32 wd_mech = WD_MECH_LSM;

/* File modes: several concerns read them. */
#define S_IFMT	 00170000
#define S_IFDIR	 0040000
#define S_IFSOCK 0140000
#define S_IFBLK	 0060000
#define S_IFCHR	 0020000
#define S_ISUID	 0004000
#define S_ISGID	 0002000

/* Per sandboxed task: its sandbox for good, and what it executes (for events). */
struct wd_task {
	__u64 cgid;
	char exe[WD_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wd_task);
} wd_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 18);
	__type(key, struct wd_inode_key);
	__type(value, struct wd_file_rule);
} wd_file_inode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct wd_proc_key);
	__type(value, struct wd_file_rule);
} wd_proc_name SEC(".maps");

/* First-access inventory: an allowed open is reported once per sandbox, file and operation. */
struct wd_seen_key {
	__u64 cgid;
	__u64 ino;
	__u32 dev;
	__u32 op;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct wd_seen_key);
	__type(value, __u8);
} wd_seen SEC(".maps");

/* Exec verdicts by file identity, remembered where a path was available (bprm_check_security,
 * mmap_file) for the one hook where bpf_d_path is not allowed: file_mprotect. */
struct wd_exec_seen {
	__u8 verdict;
	__u8 pad[3];
	__u32 rule_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct wd_inode_key);
	__type(value, struct wd_exec_seen);
} wd_exec_cache SEC(".maps");

/* Per-CPU scratch: paths are too big for the 512-byte stack. */
struct wd_scratch {
	char buf[4096];
	struct wd_path_key exact;
	struct wd_prefix_key prefix;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_scratch);
} wd_scratch_map SEC(".maps");

struct wd_ctx {
	__u64 cgid;
	struct wd_sandbox *sb;
	struct wd_task *task;
	struct wd_policy_cfg *cfg; /* NULL: no valid policy, deny everything */
};

/* Which sandbox governs the current task, if any. The tag wins over the cgroup: a tagged task
 * that moved itself out (it cannot, but a kernel without these hooks loaded at the time might
 * have let it) stays governed. Untagged tasks found in a sandbox cgroup are tagged now. */
static __always_inline bool wd_current(struct wd_ctx *c)
{
	struct task_struct *task = bpf_get_current_task_btf();

	c->task = bpf_task_storage_get(&wd_tasks, task, 0, 0);
	if (c->task) {
		c->cgid = c->task->cgid;
		c->sb = bpf_map_lookup_elem(&wd_sandboxes, &c->cgid);
		/* The sandbox was removed while this task lived on: nothing is allowed any more. */
		c->cfg = c->sb ? wd_policy(c->sb->policy_id) : NULL;
		return true;
	}
	c->cgid = wd_cgroup_sandbox(&c->sb);
	if (!c->cgid)
		return false;
	c->task = bpf_task_storage_get(&wd_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c->task)
		c->task->cgid = c->cgid;
	c->cfg = wd_policy(c->sb->policy_id);
	return true;
}

static __always_inline __u32 wd_policy_id(struct wd_ctx *c)
{
	return c->sb ? c->sb->policy_id : 0;
}

static __always_inline __u8 to_decision(struct wd_ctx *c, __u8 verdict)
{
	if (verdict == WD_V_ALLOW)
		return WD_DEC_ALLOW;
	return c->cfg && (c->cfg->flags & WD_POL_AUDIT) ? WD_DEC_AUDIT_DENY : WD_DEC_DENY;
}

/* The sandbox a cgroup lies in: its shallowest ancestor at a sandbox level that is a sandbox. */
static __always_inline __u64 cgroup_sandbox(struct cgroup *cg)
{
	__u64 mask = wd_level_mask();
	int level;

	if (!cg || !mask)
		return 0;
	level = BPF_CORE_READ(cg, level);
	for (int l = 1; l < WD_LEVELS_MAX; l++) {
		struct cgroup *anc = cg;
		__u64 id;

		if (l > level)
			return 0;
		if (!(mask & (1ull << l)))
			continue;
		if (l != level) {
			if (!bpf_core_field_exists(cg->ancestors))
				return 0;
			bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[l]);
		}
		id = BPF_CORE_READ(anc, kn, id);
		if (bpf_map_lookup_elem(&wd_sandboxes, &id))
			return id;
	}
	return 0;
}

/* The sandbox of another task: its tag, else its cgroup. */
static __always_inline __u64 task_sandbox(struct task_struct *t)
{
	struct wd_task *tt = bpf_task_storage_get(&wd_tasks, t, 0, 0);

	if (tt)
		return tt->cgid;
	return cgroup_sandbox(BPF_CORE_READ(t, cgroups, dfl_cgrp));
}

static __always_inline void event_exe(struct wd_event *e, struct wd_ctx *c)
{
	struct task_struct *task = bpf_get_current_task_btf();

	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	if (c->task)
		bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), c->task->exe);
}

/* Reports a confinement refusal (or, in audit mode, a would-be one) and returns the errno to
 * give. @detail is the capability, bpf command or signal; @target a pid, where there is one. */
static __always_inline int confine(struct wd_ctx *c, __u16 hook, __u32 detail, __u32 target,
				   bool report)
{
	/* Confinement holds in audit mode too: audit is for learning a policy's rules, and a
	 * sandbox that could leave or tamper with warden would make the audit record worthless. */
	__u8 decision = WD_DEC_DENY;
	struct wd_event *e;

	wd_hit(WD_RULE_DEFAULT);
	if (report) {
		e = wd_event_reserve(WD_EV_CONFINE, c->cgid);
		if (e) {
			wd_event_task(e, c->cgid, wd_policy_id(c), WD_RULE_DEFAULT, decision, hook);
			event_exe(e, c);
			e->port = (__u16)detail;
			e->lost = target;
			wd_event_submit(e);
		}
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

/* Whether string @s starts with the string literal @lit. */
#define has_prefix(s, lit)                                                                         \
	({                                                                                         \
		bool eq_ = true;                                                                   \
		for (int i_ = 0; i_ < (int)sizeof(lit) - 1; i_++)                                  \
			if ((s)[i_] != (lit)[i_])                                                  \
				eq_ = false;                                                       \
		eq_;                                                                               \
	})

/* The hooks, by concern (see the top of this file). */
#include "lsm/file_rules.bpf.h"
#include "lsm/exec.bpf.h"
#include "lsm/net.bpf.h"
#include "lsm/confine.bpf.h"
#include "lsm/file.bpf.h"
#include "lsm/xattr.bpf.h"
