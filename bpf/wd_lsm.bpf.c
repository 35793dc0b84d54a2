// SPDX-License-Identifier: GPL-2.0
/* Exec, file and socket enforcement through BPF LSM, and confinement: every decision is made on
 * kernel objects (the opened struct file, the kernel's copy of a sockaddr), never on user memory.
 * Sandboxed tasks are tagged in task storage, so leaving the cgroup changes nothing. */
#include "wd_common.h"
#include "wd_path.h"

char LICENSE[] SEC("license") = "GPL";

#define FMODE_READ  0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC  0x20
#define PROT_EXEC   0x4
#define S_IFMT	    00170000
#define S_IFDIR	    0040000

#define PROC_SUPER_MAGIC    0x9fa0
#define CGROUP_SUPER_MAGIC  0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define BPF_FS_MAGIC	    0xcafe4a11
#define CLONE_INTO_CGROUP   0x200000000ULL
#define SOCK_TYPE_MASK	    0xf
#define SOCK_STREAM	    1
#define SOCK_DGRAM	    2
#define SOCK_RAW	    3
#define SOCK_PACKET	    10
#define S_IFSOCK	    0140000
#define S_IFBLK		    0060000
#define S_IFCHR		    0020000
#define S_ISUID		    0004000
#define S_ISGID		    0002000
#define RENAME_EXCHANGE	    2
#define __O_TMPFILE	    020000000
#define IPPROTO_ICMP	    1
#define IPPROTO_TCP	    6
#define IPPROTO_UDP	    17
#define IPPROTO_ICMPV6	    58
#define IPPROTO_SCTP	    132
#define IPPROTO_MPTCP	    262
#define SOL_IP		    0
#define SOL_SOCKET	    1
#define SO_BROADCAST	    6
#define SOL_IPV6	    41
#define IP_OPTIONS	    4
#define IP_RETOPTS	    7
#define IPV6_2292RTHDR	    5
#define IPV6_RTHDR	    57
#define CAP_OPT_NOAUDIT	    (1 << 1)
#define CAP_FSETID	    4

/* Capabilities a sandboxed task never exercises, whatever its uid: each one can undo
 * enforcement (mounts, bpf, ptrace, raw memory and devices, modules, chroot, namespaces' admin,
 * open_by_handle_at, network configuration) or the host (reboot, time, MAC policy). */
#define WD_CAPS_DENIED                                                                             \
	((1ULL << 2) /* DAC_READ_SEARCH */ | (1ULL << 4) /* FSETID */ |                            \
	 (1ULL << 9) /* LINUX_IMMUTABLE */ | (1ULL << 12) /* NET_ADMIN */ |                        \
	 (1ULL << 13) /* NET_RAW */ | (1ULL << 16) /* SYS_MODULE */ |                              \
	 (1ULL << 17) /* SYS_RAWIO */ | (1ULL << 18) /* SYS_CHROOT */ |                            \
	 (1ULL << 19) /* SYS_PTRACE */ | (1ULL << 21) /* SYS_ADMIN */ |                            \
	 (1ULL << 22) /* SYS_BOOT */ | (1ULL << 25) /* SYS_TIME */ | (1ULL << 27) /* MKNOD */ |    \
	 (1ULL << 30) /* AUDIT_CONTROL */ | (1ULL << 31) /* SETFCAP */ |                           \
	 (1ULL << 32) /* MAC_OVERRIDE */ | (1ULL << 33) /* MAC_ADMIN */ |                          \
	 (1ULL << 34) /* SYSLOG */ | (1ULL << 38) /* PERFMON */ | (1ULL << 39) /* BPF */ |         \
	 (1ULL << 40) /* CHECKPOINT_RESTORE */)

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
	__uint(max_entries, 1 << 20);
	__type(key, struct wd_path_key);
	__type(value, struct wd_file_rule);
} wd_file_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct wd_prefix_key);
	__type(value, struct wd_file_rule);
} wd_file_prefix SEC(".maps");

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

/* Deny wins over allow, allow over nothing; the rule that set the verdict is kept. */
static __always_inline void fold(struct wd_file_rule *r, __u32 op, __u8 *v, __u32 *rule_id)
{
	__u8 rv;

	if (!r || op >= WD_OP_NR)
		return;
	rv = r->verdict[op];
	if (rv == WD_V_DENY && *v != WD_V_DENY) {
		*v = WD_V_DENY;
		*rule_id = r->rule_id[op];
	} else if (rv == WD_V_ALLOW && *v == WD_V_NONE) {
		*v = WD_V_ALLOW;
		*rule_id = r->rule_id[op];
	}
}

struct wd_file_facts {
	struct wd_file_rule *exact, *prefix, *inode, *proc;
	long len; /* bytes of the path in scratch->buf, NUL included; < 0: no path */
	bool fileless;
	__u32 dev;
	__u64 ino;
};

static __always_inline bool ends_deleted(const char *buf, long len)
{
	/* d_path marks unlinked files and memfds with " (deleted)". */
	const char tail[] = " (deleted)";
	long at = len - 1 - (long)(sizeof(tail) - 1);

	if (at < 0 || at > 4096 - (long)sizeof(tail))
		return false;
	for (int i = 0; i < (int)sizeof(tail) - 1; i++)
		if (buf[(at + i) & 4095] != tail[i])
			return false;
	return true;
}

/* What the rules say about a file before its path is known: its identity (protected files are
 * matched by device and inode), and whether it has a name at all. @inode may be NULL (a name
 * about to be made). */
static __always_inline struct wd_scratch *inode_facts(struct inode *inode, __u32 policy_id,
						      struct wd_file_facts *f)
{
	__u32 zero = 0;
	struct wd_scratch *s = bpf_map_lookup_elem(&wd_scratch_map, &zero);
	struct wd_inode_key ik = {.policy_id = policy_id};

	__builtin_memset(f, 0, sizeof(*f));
	f->len = -1;
	if (!s || !inode)
		return s;
	f->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	f->ino = BPF_CORE_READ(inode, i_ino);
	ik.dev = f->dev;
	ik.ino = f->ino;
	f->inode = bpf_map_lookup_elem(&wd_file_inode, &ik);
	if (!BPF_CORE_READ(inode, __i_nlink))
		f->fileless = true;
	return s;
}

/* The prefix rule for the resolved path in s->buf. @as_dir: read it as a directory, which
 * meets its own prefix rule ("/home/u/.ssh" meets "/home/u/.ssh/"), unless it is "/" or fills
 * the key. */
static __always_inline struct wd_file_rule *prefix_rule(struct wd_scratch *s, __u32 policy_id,
							bool as_dir)
{
	__u32 at;
	long n;

	__builtin_memset(s->prefix.path, 0, sizeof(s->prefix.path));
	s->prefix.policy_id = policy_id;
	n = bpf_probe_read_kernel_str(s->prefix.path, sizeof(s->prefix.path), s->buf);
	if (n <= 0 || n > WD_PREFIX_MAX)
		return NULL;
	/* Characters without the NUL, masked so the verifier sees the bound (252 is no power of
	 * 2; n is at most 252 anyway). */
	at = (__u32)(n - 1) & 0xff;
	if (as_dir && at > 1 && at < WD_PREFIX_MAX - 1)
		s->prefix.path[at++] = '/';
	s->prefix.prefixlen = 32 + 8 * at;
	return bpf_map_lookup_elem(&wd_file_prefix, &s->prefix);
}

/* Looks up the path rules for the resolved path in s->buf (f->len bytes, NUL included). */
static __always_inline void path_rules(struct wd_scratch *s, bool is_dir, __u32 policy_id,
				       struct wd_file_facts *f)
{
	if (f->len <= 0)
		return;
	if (ends_deleted(s->buf, f->len))
		f->fileless = true;

	__builtin_memset(s->exact.path, 0, sizeof(s->exact.path));
	s->exact.policy_id = policy_id;
	if (f->len <= WD_PATH_MAX) {
		bpf_probe_read_kernel_str(s->exact.path, sizeof(s->exact.path), s->buf);
		f->exact = bpf_map_lookup_elem(&wd_file_exact, &s->exact);
	}
	f->prefix = prefix_rule(s, policy_id, is_dir);
}

static __always_inline bool inode_is_dir(struct inode *inode)
{
	return inode && (BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFDIR;
}

/* Every rule map that can speak about the file at @path, resolved with bpf_d_path (in the hooks
 * that may call it). */
static __always_inline struct wd_scratch *path_facts(struct path *path, struct inode *inode,
						     __u32 policy_id, struct wd_file_facts *f)
{
	struct wd_scratch *s = inode_facts(inode, policy_id, f);

	if (!s)
		return NULL;
	f->len = bpf_d_path(path, s->buf, sizeof(s->buf));
	path_rules(s, inode_is_dir(inode), policy_id, f);
	return s;
}

/* The same for a dentry on a mount, resolved by warden's own walk (bpf/wd_path.h) in the hooks
 * where bpf_d_path is not allowed. @is_dir: what is or will be there is a directory. */
static __always_inline struct wd_scratch *walk_facts(struct dentry *dentry, struct vfsmount *mnt,
						     bool is_dir, __u32 policy_id,
						     struct wd_file_facts *f, bool *escaped)
{
	struct wd_scratch *s = inode_facts(BPF_CORE_READ(dentry, d_inode), policy_id, f);

	if (!s)
		return NULL;
	f->len = wd_path_walk(dentry, mnt, s->buf, escaped);
	path_rules(s, is_dir, policy_id, f);
	return s;
}

static __always_inline struct wd_scratch *file_facts(struct file *file, __u32 policy_id,
						     struct wd_file_facts *f)
{
	/* f_path is const in newer kernels; bpf_d_path does not write through it. */
	return path_facts((struct path *)&file->f_path, BPF_CORE_READ(file, f_inode), policy_id, f);
}

static __always_inline __u8 decide_op(struct wd_file_facts *f, __u32 op, __u32 *rule_id)
{
	__u8 v = WD_V_NONE;

	*rule_id = WD_RULE_DEFAULT;
	fold(f->inode, op, &v, rule_id);
	fold(f->exact, op, &v, rule_id);
	fold(f->prefix, op, &v, rule_id);
	fold(f->proc, op, &v, rule_id);
	return v == WD_V_ALLOW ? WD_V_ALLOW : WD_V_DENY;
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

/* @change: enum wd_change for changes to the file system, 0 for opens. A change whose path could
 * not be resolved says why in port (WD_PATHERR_*). */
static __always_inline void emit_change(struct wd_ctx *c, struct wd_scratch *s,
					struct wd_file_facts *f, __u16 type, __u16 hook, __u32 op,
					__u32 rule_id, __u8 decision, __u8 change, __u16 patherr)
{
	struct wd_event *e = wd_event_reserve(type, c->cgid);

	if (!e)
		return;
	wd_event_task(e, c->cgid, wd_policy_id(c), rule_id, decision, hook);
	event_exe(e, c);
	e->op = op;
	e->proto = change;
	e->port = patherr;
	if (s && f->len > 0 && !patherr)
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), s->buf);
	wd_event_submit(e);
}

static __always_inline void emit_file(struct wd_ctx *c, struct wd_scratch *s,
				      struct wd_file_facts *f, __u16 type, __u16 hook, __u32 op,
				      __u32 rule_id, __u8 decision)
{
	emit_change(c, s, f, type, hook, op, rule_id, decision, WD_CH_OPEN, 0);
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

/* The exec decision for a file about to run or be mapped executable. */
static __always_inline int exec_gate(struct wd_ctx *c, struct file *file, __u16 type, __u16 hook,
				     bool record_exe)
{
	struct wd_file_facts f;
	struct wd_scratch *s;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u8 verdict = WD_V_DENY, decision;

	s = file_facts(file, wd_policy_id(c), &f);
	if (c->cfg && s) {
		verdict = decide_op(&f, WD_OP_EXEC, &rule_id);
		/* memfd and deleted files: only a policy that says so may run them. */
		if (f.fileless && !(c->cfg->flags & WD_POL_ALLOW_FILELESS))
			verdict = WD_V_DENY;
	}
	decision = to_decision(c, verdict);
	wd_hit(rule_id);
	if (s && f.len > 0) {
		struct wd_inode_key k = {.policy_id = wd_policy_id(c), .dev = f.dev, .ino = f.ino};
		struct wd_exec_seen seen = {.verdict = verdict, .rule_id = rule_id};

		bpf_map_update_elem(&wd_exec_cache, &k, &seen, BPF_ANY);
	}
	if (record_exe && decision != WD_DEC_DENY && c->task && s)
		bpf_probe_read_kernel_str(c->task->exe, sizeof(c->task->exe), s->buf);
	/* Every exec is reported; an allowed executable mapping once per sandbox and file. */
	if (type == WD_EV_MMAP && decision == WD_DEC_ALLOW) {
		struct wd_seen_key k = {
			.cgid = c->cgid, .ino = f.ino, .dev = f.dev, .op = WD_OP_NR};
		__u8 one = 1;

		if (bpf_map_update_elem(&wd_seen, &k, &one, BPF_NOEXIST))
			return 0;
	}
	emit_file(c, s, &f, type, hook, WD_OP_EXEC, rule_id, decision);
	return decision == WD_DEC_DENY ? -EACCES : 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(wd_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return exec_gate(&c, bprm->file, WD_EV_EXEC, WD_HOOK_BPRM, true);
}

/* ld.so ./payload and LD_PRELOAD map code with PROT_EXEC without an exec of that file. */
SEC("lsm/mmap_file")
int BPF_PROG(wd_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!file || !(prot & PROT_EXEC))
		return 0;
	if (!wd_current(&c))
		return 0;
	return exec_gate(&c, file, WD_EV_MMAP, WD_HOOK_MMAP, false);
}

/* Making a file mapping executable later (mmap read-only, then mprotect) must meet the same
 * rules. bpf_d_path is not allowed here, so the verdict comes from the last decision on the same
 * file with a path; a file never decided that way is refused (fail closed). */
SEC("lsm/file_mprotect")
int BPF_PROG(wd_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot,
	     int ret)
{
	struct wd_exec_seen *seen;
	struct wd_inode_key k = {};
	struct inode *inode;
	struct file *file;
	struct wd_event *e;
	struct wd_ctx c;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u8 decision;

	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file || !wd_current(&c))
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	k.policy_id = wd_policy_id(&c);
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	/* Pages copied on write no longer hold the file's code: a private mapping written to and
	 * then made executable runs whatever was written, so it gets no verdict of the file's. */
	seen = BPF_CORE_READ(vma, anon_vma) ? NULL : bpf_map_lookup_elem(&wd_exec_cache, &k);
	if (seen && c.cfg)
		rule_id = seen->rule_id;
	decision = to_decision(&c, seen && c.cfg ? seen->verdict : WD_V_DENY);
	wd_hit(rule_id);
	if (decision == WD_DEC_ALLOW)
		return 0;
	e = wd_event_reserve(WD_EV_MMAP, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, k.policy_id, rule_id, decision, WD_HOOK_MPROTECT);
		event_exe(e, &c);
		e->op = WD_OP_EXEC;
		bpf_probe_read_kernel_str(e->path, sizeof(e->path),
					  BPF_CORE_READ(file, f_path.dentry, d_name.name));
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EACCES : 0;
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

/* Whether a /proc file belongs to the current task's own process: the struct pid the kernel
 * keeps in the proc inode (the file of /proc/self or /proc/thread-self), not the directory's
 * name, which is a number of the reader's pid namespace, not the task's. */
static __always_inline bool proc_file_is_own(struct file *file)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct proc_inode *pi;
	struct pid *pid;

	pi = (struct proc_inode *)((void *)inode -
				   bpf_core_field_offset(struct proc_inode, vfs_inode));
	pid = BPF_CORE_READ(pi, pid);
	return pid && (pid == BPF_CORE_READ(task, group_leader, thread_pid) ||
		       pid == BPF_CORE_READ(task, thread_pid));
}

static __always_inline bool is_other_proc_file(struct file *file, struct wd_ctx *c,
					       struct wd_file_facts *f)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct wd_proc_key key = {.policy_id = wd_policy_id(c)};
	const unsigned char *pname;
	char pid[12] = {};

	if (BPF_CORE_READ(dentry, d_sb, s_magic) != PROC_SUPER_MAGIC)
		return false;
	pname = BPF_CORE_READ(dentry, d_parent, d_name.name);
	if (bpf_probe_read_kernel_str(pid, sizeof(pid), pname) <= 1)
		return false;
	for (int i = 0; i < (int)sizeof(pid); i++) {
		if (!pid[i])
			break;
		if (pid[i] < '0' || pid[i] > '9')
			return false;
	}
	/* A process may read its own files; only other processes' are protected. */
	if (proc_file_is_own(file))
		return false;
	bpf_probe_read_kernel_str(key.name, sizeof(key.name), BPF_CORE_READ(dentry, d_name.name));
	f->proc = bpf_map_lookup_elem(&wd_proc_name, &key);
	return f->proc != NULL;
}

/* The task's own /proc/self/coredump_filter (or its thread's). */
static __always_inline bool is_own_coredump_filter(struct file *file)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	const char want[] = "coredump_filter";
	char name[sizeof(want)] = {};

	if (BPF_CORE_READ(dentry, d_sb, s_magic) != PROC_SUPER_MAGIC)
		return false;
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name)) !=
		    sizeof(want) ||
	    !has_prefix(name, want))
		return false;
	return proc_file_is_own(file);
}

SEC("lsm/file_open")
int BPF_PROG(wd_file_open, struct file *file, int ret)
{
	struct wd_file_facts f;
	struct wd_scratch *s;
	struct wd_ctx c;
	__u32 rule_r = WD_RULE_DEFAULT, rule_w = WD_RULE_DEFAULT, op, rule_id;
	__u8 vr = WD_V_ALLOW, vw = WD_V_ALLOW, decision;
	unsigned int mode;
	unsigned long magic;

	if (ret)
		return ret;
	mode = BPF_CORE_READ(file, f_mode);
	/* The exec of a file is decided in bprm_check_security, on the same file. Kernels mark
	 * the opening for exec in f_mode or only in f_flags (__FMODE_EXEC is the same bit). */
	if ((mode & FMODE_EXEC) || (BPF_CORE_READ(file, f_flags) & FMODE_EXEC))
		return 0;
	if (!wd_current(&c))
		return 0;

	s = file_facts(file, wd_policy_id(&c), &f);
	magic = BPF_CORE_READ(file, f_path.dentry, d_sb, s_magic);
	if (((magic == CGROUP2_SUPER_MAGIC || magic == CGROUP_SUPER_MAGIC) &&
	     (mode & FMODE_WRITE)) ||
	    magic == BPF_FS_MAGIC) {
		/* Writing cgroup.procs (or anything in cgroupfs) is how a task would leave, and
		 * bpffs holds warden's pinned maps and links: refused in audit mode too (see
		 * confine()). */
		decision = WD_DEC_DENY;
		emit_file(&c, s, &f, WD_EV_CONFINE, WD_HOOK_FILE_OPEN, WD_OP_WRITE, WD_RULE_DEFAULT,
			  decision);
		return decision == WD_DEC_DENY ? -EPERM : 0;
	}
	/* A block device is the whole filesystem under the rules, readable by uid 0 without any
	 * capability: no sandbox opens one, whatever its file rules say. */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) == S_IFBLK) {
		decision = WD_DEC_DENY;
		emit_file(&c, s, &f, WD_EV_CONFINE, WD_HOOK_FILE_OPEN,
			  (mode & FMODE_WRITE) ? WD_OP_WRITE : WD_OP_READ, WD_RULE_DEFAULT,
			  decision);
		return decision == WD_DEC_DENY ? -EPERM : 0;
	}
	/* An unnamed setuid file (O_TMPFILE never meets path_mknod) could be run through its
	 * descriptor, passed to someone outside, without ever being linked. */
	if ((BPF_CORE_READ(file, f_flags) & __O_TMPFILE) &&
	    (BPF_CORE_READ(file, f_inode, i_mode) & (S_ISUID | S_ISGID)))
		return confine(&c, WD_HOOK_PATH_MKNOD, BPF_CORE_READ(file, f_inode, i_mode) & 07777,
			       0, true);
	is_other_proc_file(file, &c, &f);
	if ((mode & FMODE_WRITE) && is_own_coredump_filter(file)) {
		/* Every JVM writes its own /proc/self/coredump_filter at start (what a core dump
		 * of itself holds); no rule could name a process's own /proc files. */
		return 0;
	}

	if (!c.cfg || !s) {
		vr = vw = WD_V_DENY;
	} else if (f.len > 0 && s->buf[0] != '/') {
		/* pipe:[N], socket:[N], anon_inode:...: reopening an object the task already
		 * holds through /proc/self/fd; nothing in the filesystem to protect. */
	} else {
		if (mode & FMODE_READ)
			vr = decide_op(&f, WD_OP_READ, &rule_r);
		if (mode & FMODE_WRITE)
			vw = decide_op(&f, WD_OP_WRITE, &rule_w);
	}
	if (vr == WD_V_DENY && (mode & FMODE_READ)) {
		op = WD_OP_READ;
		rule_id = rule_r;
	} else if (vw == WD_V_DENY && (mode & FMODE_WRITE)) {
		op = WD_OP_WRITE;
		rule_id = rule_w;
	} else {
		op = (mode & FMODE_WRITE) ? WD_OP_WRITE : WD_OP_READ;
		rule_id = (mode & FMODE_WRITE) ? rule_w : rule_r;
	}
	decision = to_decision(&c, (vr == WD_V_DENY || vw == WD_V_DENY) ? WD_V_DENY : WD_V_ALLOW);
	wd_hit(rule_id);

	if (decision == WD_DEC_ALLOW) {
		struct wd_seen_key k = {.cgid = c.cgid, .ino = f.ino, .dev = f.dev, .op = op};
		__u8 one = 1;

		/* Only the first access to a file per sandbox and operation is reported. */
		if (bpf_map_update_elem(&wd_seen, &k, &one, BPF_NOEXIST))
			return 0;
	}
	emit_file(&c, s, &f, WD_EV_FILE, WD_HOOK_FILE_OPEN, op, rule_id, decision);
	return decision == WD_DEC_DENY ? -EACCES : 0;
}

/* A tagged task's children are tagged at birth, and none may be born in another cgroup. */
SEC("lsm/task_alloc")
int BPF_PROG(wd_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct wd_task *child;
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	if (clone_flags & CLONE_INTO_CGROUP) {
		__u8 decision = WD_DEC_DENY; /* confinement: in audit mode too */
		struct wd_event *e = wd_event_reserve(WD_EV_CONFINE, c.cgid);

		if (e) {
			wd_event_task(e, c.cgid, wd_policy_id(&c), WD_RULE_DEFAULT, decision,
				      WD_HOOK_TASK_ALLOC);
			event_exe(e, &c);
			wd_event_submit(e);
		}
		if (decision == WD_DEC_DENY)
			return -EPERM;
	}
	child = bpf_task_storage_get(&wd_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!child)
		return -ENOMEM;
	child->cgid = c.cgid;
	if (c.task)
		bpf_probe_read_kernel_str(child->exe, sizeof(child->exe), c.task->exe);
	return 0;
}

/* Raw and packet sockets see and forge traffic below the IP hooks: families and raw access
 * are policy. */
SEC("lsm/socket_create")
int BPF_PROG(wd_sock_create, int family, int type, int protocol, int kern, int ret)
{
	struct wd_event *e;
	struct wd_ctx c;
	__u8 decision;
	bool ok = false;
	int t = type & SOCK_TYPE_MASK;

	if (ret)
		return ret;
	if (kern || !wd_current(&c))
		return 0;
	if (c.cfg && family >= 0 && family < 64) {
		ok = c.cfg->families & (1ULL << family);
		/* Netlink sockets are raw or datagram by nature (getifaddrs() opens a raw one);
		 * raw is about seeing and forging packets below the IP hooks. */
		if (ok && (t == SOCK_RAW || t == SOCK_PACKET) && family != AF_NETLINK)
			ok = c.cfg->raw_families & (1ULL << family);
		/* Of the IP protocols, TCP, UDP and ping sockets: the ones every network hook
		 * knows. SCTP connectx and MPTCP's kernel-made subflows reach addresses that
		 * neither the connect hooks nor socket_connect see; UDP-Lite, DCCP and L2TP/IP
		 * have no lookup of their own listeners, and some no connect or send hook. */
		if (ok && (family == AF_INET || family == AF_INET6) && t != SOCK_RAW &&
		    t != SOCK_PACKET)
			ok = (t == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) ||
			     (t == SOCK_DGRAM &&
			      (protocol == 0 || protocol == IPPROTO_UDP ||
			       (family == AF_INET && protocol == IPPROTO_ICMP) ||
			       (family == AF_INET6 && protocol == IPPROTO_ICMPV6)));
	}
	decision = to_decision(&c, ok ? WD_V_ALLOW : WD_V_DENY);
	if (decision == WD_DEC_ALLOW)
		return 0;
	wd_hit(WD_RULE_DEFAULT);
	e = wd_event_reserve(WD_EV_SOCKET, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, wd_policy_id(&c), WD_RULE_DEFAULT, decision,
			      WD_HOOK_SOCK_CREATE);
		event_exe(e, &c);
		e->family = family;
		e->proto = t;
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

/* The kernel's copy of a destination address, as IPv6 or IPv4-mapped: 1 when there is one, 0
 * when the socket is not an IP socket, -1 when it is one but the address cannot be decided. */
static __always_inline int sockaddr_dest(struct socket *sock, struct sockaddr *sa, __u8 addr[16],
					 __u16 *port)
{
	__u16 sk_family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
	__u16 family = BPF_CORE_READ(sa, sa_family);

	if (sk_family != AF_INET && sk_family != AF_INET6)
		return 0;
	/* udp_sendmsg reads an AF_UNSPEC address as an IPv4 one. */
	if (family == 0 && sk_family == AF_INET)
		family = AF_INET;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		wd_v4mapped(addr, BPF_CORE_READ(in, sin_addr.s_addr));
		*port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
		return 1;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		bpf_probe_read_kernel(addr, 16, &in6->sin6_addr);
		*port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
		return 1;
	}
	/* An IPv6 socket treats AF_UNSPEC as "no address": the connected peer, checked at connect.
	 */
	if (family == 0)
		return 0;
	return -1;
}

/* Whether @sk was made in the current task's sandbox (its cgroup, set when it was made, lies
 * in the sandbox): such an inet socket is governed by the sandbox's cgroup hooks, and a unix
 * socket of the sandbox is one of its own services. */
static __always_inline bool sock_is_own(struct wd_ctx *c, struct sock *sk)
{
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);

	return cg && cgroup_sandbox(cg) == c->cgid;
}

/* Inet sockets made in the sandbox are decided by its cgroup hooks (bpf/wd_cgroup.bpf.c), which
 * alone can tell the sandbox's own listeners from the node's; these LSM hooks decide on the
 * acting task for sockets made elsewhere and passed in, by the address rules alone ("to:
 * sandbox" cannot be established here, so loopback is refused unless a rule names it). They
 * report only what they refuse. */
static __always_inline int sock_gate(struct socket *sock, struct sockaddr *sa, __u16 hook)
{
	__u32 rule_id = WD_RULE_DEFAULT, src4 = 0;
	struct wd_event *e;
	struct wd_ctx c;
	__u16 port = 0;
	__u8 addr[16] = {}, proto, verdict = WD_V_DENY, decision;
	int have;

	if (!sa || !wd_current(&c))
		return 0;
	have = sockaddr_dest(sock, sa, addr, &port);
	if (have == 0)
		return 0;
	proto = BPF_CORE_READ(sock, sk, sk_protocol);
	/* The cgroup hooks decide TCP and UDP; ping's sends do not all pass them. */
	if (have > 0 && c.cfg && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    sock_is_own(&c, BPF_CORE_READ(sock, sk)))
		return 0;
	if (have > 0 && c.cfg) {
		struct in6_addr b6 = BPF_CORE_READ(sock, sk, __sk_common.skc_v6_rcv_saddr);
		bool v4_bound = !b6.in6_u.u6_addr32[0] && !b6.in6_u.u6_addr32[1] &&
				b6.in6_u.u6_addr32[2] == bpf_htonl(0xffff);

		bool any = wd_is_unspecified(addr);

		src4 = BPF_CORE_READ(sock, sk, __sk_common.skc_rcv_saddr);
		wd_normalize_any(addr, src4, v4_bound && hook == WD_HOOK_SOCK_CONNECT);
		verdict = wd_net_decide(c.sb->policy_id, addr, port, proto, &rule_id);
		/* A send's IP_PKTINFO source, which the unspecified address would go to, is not
		 * seen here: such a send on a socket from outside is refused. */
		if (any && hook == WD_HOOK_SOCK_SENDMSG)
			verdict = WD_V_DENY, rule_id = WD_RULE_DEFAULT;
	}
	decision = to_decision(&c, verdict);
	if (decision == WD_DEC_ALLOW)
		return 0;
	wd_hit(rule_id);
	e = wd_event_reserve(WD_EV_CONNECT, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, wd_policy_id(&c), rule_id, decision, hook);
		event_exe(e, &c);
		wd_event_dest(e, addr, port, proto);
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

/* ---- Unix sockets: by path, by abstract name, or the sandbox's own ---------------------------
 * A connect or datagram to a unix socket never opens the socket's file, so file_open does not
 * see it: these hooks decide on the receiving socket the kernel found. A socket bound to a path
 * meets the policy's "unix:" rules on the path it is bound at (resolved from its dentry and
 * mount, as the caller sees it, and by device and inode for the protected ones); an abstract
 * one meets the "abstract:" rules on its name. Deny wins; what no rule speaks of is allowed
 * only when the socket was made in this sandbox and the policy says "to: sandbox". */

struct wd_abs_match {
	const char *name; /* the socket's name, in scratch */
	__u32 len;
	__u32 base; /* policy_id * WD_ABSTRACT_MAX */
	__u8 verdict;
	__u32 rule_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WD_POLICIES_MAX *WD_ABSTRACT_MAX);
	__type(key, __u32);
	__type(value, struct wd_abstract_rule);
} wd_unix_abstract SEC(".maps");

static long abs_rule_cb(__u64 i, void *arg)
{
	struct wd_abs_match *m = arg;
	__u32 key = m->base + (__u32)i;
	struct wd_abstract_rule *r = bpf_map_lookup_elem(&wd_unix_abstract, &key);
	__u32 n;

	if (!r || r->verdict == WD_V_NONE)
		return 1; /* the end of the policy's list */
	n = r->len;
	if (n > WD_ABSTRACT_NAME_MAX || (r->prefix ? m->len < n : m->len != n))
		return 0;
	for (__u32 j = 0; j < WD_ABSTRACT_NAME_MAX; j++) {
		if (j >= n)
			break;
		if (r->name[j] != m->name[j])
			return 0;
	}
	if (r->verdict == WD_V_DENY) {
		m->verdict = WD_V_DENY;
		m->rule_id = r->rule_id;
		return 1;
	}
	if (m->verdict == WD_V_NONE) {
		m->verdict = WD_V_ALLOW;
		m->rule_id = r->rule_id;
	}
	return 0;
}

/* The rules' verdict on the unix socket @other; its name for the event goes to s->buf. */
static __always_inline __u8 unix_rules(struct wd_ctx *c, struct unix_sock *u, __u32 *rule_id,
				       struct wd_scratch **sp)
{
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
	__u32 policy_id = wd_policy_id(c);
	struct wd_file_facts f;
	struct wd_scratch *s;
	bool escaped = false;
	__u8 v = WD_V_NONE;

	*rule_id = WD_RULE_DEFAULT;
	if (dentry) {
		s = walk_facts(dentry, BPF_CORE_READ(u, path.mnt), false, policy_id, &f, &escaped);
		*sp = s;
		if (!s)
			return WD_V_DENY;
		if (f.len <= 0 || escaped) {
			/* Not resolvable as the caller sees it: only the inode can speak. */
			f.exact = NULL;
			f.prefix = NULL;
			s->buf[0] = '\0';
		}
		fold(f.inode, WD_OP_UNIX, &v, rule_id);
		fold(f.exact, WD_OP_UNIX, &v, rule_id);
		fold(f.prefix, WD_OP_UNIX, &v, rule_id);
		/* A socket file the files rules deny reading or writing is refused too. */
		if (v != WD_V_DENY) {
			__u32 id = WD_RULE_DEFAULT;

			if (decide_op(&f, WD_OP_READ, &id) == WD_V_DENY && id != WD_RULE_DEFAULT)
				v = WD_V_DENY, *rule_id = id;
			else if (decide_op(&f, WD_OP_WRITE, &id) == WD_V_DENY &&
				 id != WD_RULE_DEFAULT)
				v = WD_V_DENY, *rule_id = id;
		}
		return v;
	}
	/* Abstract: sun_path starts with a NUL; the name is what follows, len bytes in all with
	 * the family. */
	{
		struct unix_address *addr = BPF_CORE_READ(u, addr);
		struct wd_abs_match m = {.base = policy_id * WD_ABSTRACT_MAX};
		__u32 zero = 0;
		int len;

		s = bpf_map_lookup_elem(&wd_scratch_map, &zero);
		*sp = s;
		if (!s)
			return WD_V_DENY;
		s->buf[0] = '\0';
		if (!addr)
			return WD_V_NONE; /* unnamed (a socketpair's peer): reached through an fd */
		len = BPF_CORE_READ(addr, len) - (int)sizeof(__u16) - 1;
		if (len <= 0 || len > WD_ABSTRACT_NAME_MAX)
			return WD_V_NONE;
		s->buf[0] = '@';
		bpf_probe_read_kernel(s->buf + 1, len & 0x7f, (char *)&addr->name[0].sun_path[1]);
		s->buf[1 + (len & 0x7f)] = '\0';
		if (policy_id >= WD_POLICIES_MAX)
			return WD_V_NONE;
		m.name = s->buf + 1;
		m.len = len;
		bpf_loop(WD_ABSTRACT_MAX, abs_rule_cb, &m, 0);
		*rule_id = m.rule_id;
		return m.verdict;
	}
}

static __always_inline int unix_gate(struct sock *other, __u16 hook)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct wd_scratch *s = NULL;
	struct wd_event *e;
	struct wd_ctx c;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u8 v = WD_V_DENY, decision;

	if (!other || !wd_current(&c))
		return 0;
	if (c.cfg) {
		v = unix_rules(&c, u, &rule_id, &s);
		if (v == WD_V_NONE && !BPF_CORE_READ(u, path.dentry) && !BPF_CORE_READ(u, addr))
			return 0; /* no name: not a service anyone can look up */
		if (v == WD_V_NONE && c.cfg->sandbox_rule && sock_is_own(&c, other)) {
			v = WD_V_ALLOW;
			rule_id = c.cfg->sandbox_rule;
		}
	}
	decision = to_decision(&c, v);
	if (decision == WD_DEC_ALLOW)
		return 0;
	wd_hit(rule_id);
	e = wd_event_reserve(WD_EV_CONNECT, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, wd_policy_id(&c), rule_id, decision, hook);
		event_exe(e, &c);
		e->family = AF_UNIX;
		if (s && s->buf[0])
			bpf_probe_read_kernel_str(e->path, sizeof(e->path), s->buf);
		else
			bpf_probe_read_kernel_str(
				e->path, sizeof(e->path),
				BPF_CORE_READ(u, path.dentry, d_name.name)); /* at least its name */
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(wd_unix_connect, struct sock *sock, struct sock *other, struct sock *newsk, int ret)
{
	if (ret)
		return ret;
	return unix_gate(other, WD_HOOK_UNIX_CONNECT);
}

/* Datagrams to a protected unix socket. */
SEC("lsm/unix_may_send")
int BPF_PROG(wd_unix_send, struct socket *sock, struct socket *other, int ret)
{
	if (ret)
		return ret;
	return unix_gate(BPF_CORE_READ(other, sk), WD_HOOK_UNIX_SEND);
}

SEC("lsm/socket_connect")
int BPF_PROG(wd_sock_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return sock_gate(sock, address, WD_HOOK_SOCK_CONNECT);
}

/* Source routing (IP_RETOPTS, IPv6 routing headers) sends a packet to the first hop it names,
 * not to the destination the gates decided on. */
static __always_inline bool routes_elsewhere(struct msghdr *msg)
{
	__u64 len = BPF_CORE_READ(msg, msg_controllen), off = 0;
	void *ctl = BPF_CORE_READ(msg, msg_control);

	if (!len)
		return false;
	if (!ctl || BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user))
		return true; /* not the kernel's copy: cannot decide, refuse */
	for (int i = 0; i < 16; i++) {
		struct cmsghdr h;

		if (off + sizeof(h) > len)
			return false;
		if (bpf_probe_read_kernel(&h, sizeof(h), ctl + off))
			return true;
		if ((h.cmsg_level == SOL_IP && h.cmsg_type == IP_RETOPTS) ||
		    (h.cmsg_level == SOL_IPV6 &&
		     (h.cmsg_type == IPV6_RTHDR || h.cmsg_type == IPV6_2292RTHDR)))
			return true;
		if (h.cmsg_len < sizeof(h))
			return false;
		off += (h.cmsg_len + 7) & ~7ULL;
	}
	return off < len; /* more control messages than we read: refuse */
}

/* sendto/sendmsg with a destination, TCP Fast Open included. */
SEC("lsm/socket_sendmsg")
int BPF_PROG(wd_sock_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (routes_elsewhere(msg) && wd_current(&c))
		return confine(&c, WD_HOOK_SETSOCKOPT, IP_RETOPTS, 0, true);
	return sock_gate(sock, BPF_CORE_READ(msg, msg_name), WD_HOOK_SOCK_SENDMSG);
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(wd_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!((level == SOL_IP && optname == IP_OPTIONS) ||
	      (level == SOL_IPV6 && (optname == IPV6_RTHDR || optname == IPV6_2292RTHDR)) ||
	      (level == SOL_SOCKET && optname == SO_BROADCAST)))
		return 0;
	if (!wd_current(&c))
		return 0;
	/* target: the option's level, so that events tell SO_BROADCAST from IP options. */
	return confine(&c, WD_HOOK_SETSOCKOPT, optname, level, true);
}

/* ---- Confinement: what a sandboxed root could use to undo enforcement or leave --------------- */

/* Only the checks on the task's own credentials: has_capability() on other tasks is not the
 * sandbox acting. Probing checks (CAP_OPT_NOAUDIT) are refused silently. */
SEC("lsm/capable")
int BPF_PROG(wd_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct task_struct *task;
	struct wd_ctx c;

	if (ret)
		return ret;
	if (cap < 0 || cap > 63 || !(WD_CAPS_DENIED & (1ULL << cap)))
		return 0;
	task = bpf_get_current_task_btf();
	if (cred != task->cred || !wd_current(&c))
		return 0;
	/* Without CAP_FSETID the kernel drops setuid and setgid bits when a sandbox writes or
	 * chmods such a file: a consequence asked about on ordinary chmods too, not an attempt to
	 * leave, so it is refused silently. */
	return confine(&c, WD_HOOK_CAPABLE, cap, 0, !(opts & CAP_OPT_NOAUDIT) && cap != CAP_FSETID);
}

/* bpf(): reading or rewriting warden's maps, detaching its programs. */
SEC("lsm/bpf")
int BPF_PROG(wd_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return confine(&c, WD_HOOK_BPF, cmd, 0, true);
}

/* Signals only within the sandbox: not to warden, not to anything else on the host. */
SEC("lsm/task_kill")
int BPF_PROG(wd_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c) || task_sandbox(p) == c.cgid)
		return 0;
	return confine(&c, WD_HOOK_TASK_KILL, sig, BPF_CORE_READ(p, tgid), true);
}

/* ptrace, process_vm_readv/writev, pidfd_getfd and /proc/PID/mem all ask this. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(wd_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c) || task_sandbox(child) == c.cgid)
		return 0;
	return confine(&c, WD_HOOK_PTRACE, mode, BPF_CORE_READ(child, tgid), true);
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(wd_traceme, struct task_struct *parent, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c) || task_sandbox(parent) == c.cgid)
		return 0;
	return confine(&c, WD_HOOK_PTRACE, 0, BPF_CORE_READ(parent, tgid), true);
}

/* Mounts, chroot and pivot_root change what a path names, and path rules with it. */
#define WD_CONFINE_HOOK(hook, prog, id, ...)                                                       \
	SEC("lsm/" #hook)                                                                          \
	int BPF_PROG(prog, ##__VA_ARGS__, int ret)                                                 \
	{                                                                                          \
		struct wd_ctx c;                                                                   \
                                                                                                   \
		if (ret)                                                                           \
			return ret;                                                                \
		if (!wd_current(&c))                                                               \
			return 0;                                                                  \
		return confine(&c, id, 0, 0, true);                                                \
	}

WD_CONFINE_HOOK(sb_mount, wd_sb_mount, WD_HOOK_MOUNT, const char *dev_name, const struct path *path,
		const char *type, unsigned long flags, void *data)
WD_CONFINE_HOOK(sb_umount, wd_sb_umount, WD_HOOK_MOUNT, struct vfsmount *mnt, int flags)
WD_CONFINE_HOOK(move_mount, wd_move_mount, WD_HOOK_MOUNT, const struct path *from_path,
		const struct path *to_path)
WD_CONFINE_HOOK(sb_pivotroot, wd_pivotroot, WD_HOOK_CHROOT, const struct path *old_path,
		const struct path *new_path)
WD_CONFINE_HOOK(path_chroot, wd_chroot, WD_HOOK_CHROOT, const struct path *path)
/* A new user namespace hands out every capability inside it. */
WD_CONFINE_HOOK(userns_create, wd_userns, WD_HOOK_USERNS, const struct cred *cred)

/* Sockets from outside the sandbox (SCM_RIGHTS) are not governed by its cgroup hooks: refuse
 * to receive them. Other files an outside process chooses to hand over are its decision. */
SEC("lsm/file_receive")
int BPF_PROG(wd_file_receive, struct file *file, int ret)
{
	struct socket *sock;
	struct wd_ctx c;

	if (ret)
		return ret;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK || !wd_current(&c))
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (cgroup_sandbox(BPF_CORE_READ(sock, sk, sk_cgrp_data.cgroup)) == c.cgid)
		return 0;
	return confine(&c, WD_HOOK_FILE_RECEIVE, 0, 0, true);
}

/* ---- Keyrings -------------------------------------------------------------------------------
 * The kernel's keyrings are shared by uid, not by sandbox: a token an agent outside put in the
 * user keyring is one keyctl(KEYCTL_READ) away from a sandboxed process of the same uid, and a
 * key a sandbox links into a shared keyring is used by whoever searches it. So a sandboxed task
 * may use only keys and keyrings made in its own sandbox (warden run starts the job in a new
 * session keyring of its own): confinement, in audit mode too. The per-uid keyrings ("_uid.N",
 * "_uid_ses.N") belong to the node whoever made them first, as do persistent keyrings. */
#define KEY_ALLOC_UID_KEYRING 0x0010

/* Keys made in sandboxes, by the struct key's address (its serial is given only after
 * key_alloc), until key_free. The serial is noted at the first use as a second check: an address
 * the kernel hands to another key carries another serial. LRU: an entry the map has no room for
 * evicts an old one; an evicted key of a live sandbox is refused to it, never granted to
 * another. */
struct wd_key_owner {
	__u64 cgid;
	__s32 serial; /* 0 until first seen in key_permission */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u64); /* the struct key's address */
	__type(value, struct wd_key_owner);
} wd_keys SEC(".maps");

/* Whether @key's type is called @name (@len bytes). */
static __always_inline bool type_is(struct key *key, const char *name, int len)
{
	const char *t = BPF_CORE_READ(key, type, name);
	char tn[20] = {};

	if (!t || len >= (int)sizeof(tn))
		return false;
	bpf_probe_read_kernel_str(tn, sizeof(tn), t);
	for (int i = 0; i < (int)sizeof(tn); i++) {
		if (i > len)
			break;
		if (tn[i] != (i < len ? name[i] : '\0'))
			return false;
	}
	return true;
}

static __always_inline bool node_keyring(struct key *key)
{
	const char *d = BPF_CORE_READ(key, description);
	char p[13] = {};

	if (!d)
		return false;
	bpf_probe_read_kernel(p, sizeof(p) - 1, d);
	return has_prefix(p, "_persistent.");
}

SEC("lsm/key_alloc")
int BPF_PROG(wd_key_alloc, struct key *key, const struct cred *cred, unsigned long flags, int ret)
{
	struct wd_key_owner o = {};
	__u64 k = (__u64)key;
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	/* request_key() of a key the kernel cannot find starts /sbin/request-key outside the
	 * sandbox, as root, to make it (a DNS lookup for dns_resolver keys: a way out). The
	 * authorisation key for that upcall is refused. */
	if (type_is(key, ".request_key_auth", 17))
		return confine(&c, WD_HOOK_KEY_PERMISSION, 0, 0, true);
	if ((flags & KEY_ALLOC_UID_KEYRING) || node_keyring(key))
		return 0;
	o.cgid = c.cgid;
	bpf_map_update_elem(&wd_keys, &k, &o, BPF_ANY);
	return 0;
}

SEC("lsm/key_free")
int BPF_PROG(wd_key_free, struct key *key)
{
	__u64 k = (__u64)key;

	bpf_map_delete_elem(&wd_keys, &k);
	return 0;
}

/* The kernel's own keyrings (keyrings named with a leading '.', a name userspace cannot give a
 * keyring: .builtin_trusted_keys, .secondary_trusted_keys, .ima, ...) and the keys built into
 * the kernel, which it searches with the caller's credentials to check a signature (IMA
 * appraisal of an exec, fs-verity): searching and viewing them gives nothing away. A key
 * that is no keyring may have any name, and an asymmetric key added later may be a private
 * one (KEYCTL_PKEY_SIGN needs only search): neither is the kernel's. */
#define KEY_NEED_VIEW	 1
#define KEY_NEED_SEARCH	 4
#define KEY_FLAG_BUILTIN 6

static __always_inline bool kernel_key(struct key *key, unsigned int need)
{
	const char *d = BPF_CORE_READ(key, description);
	unsigned long flags = BPF_CORE_READ(key, flags);
	char c = 0;

	if (need != KEY_NEED_VIEW && need != KEY_NEED_SEARCH)
		return false;
	if (flags & (1UL << KEY_FLAG_BUILTIN))
		return true;
	if (d)
		bpf_probe_read_kernel(&c, 1, d);
	return c == '.' && type_is(key, "keyring", 7);
}

/* The key reference is read with bpf_get_func_arg: its BTF type points to a struct declared but
 * never defined, and 6.1's verifier refuses a typed read of such an argument. */
SEC("lsm/key_permission")
int wd_key_permission(unsigned long long *ctx)
{
	unsigned int need = (unsigned int)ctx[2];
	int ret = (int)ctx[3];
	struct wd_key_owner *o;
	struct wd_ctx c;
	struct key *key;
	__u64 ref = 0, cred = 0;
	__s32 serial;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	/* Credentials the kernel put on for itself (override_creds: the NFS id mapper's, the DNS
	 * resolver's cache) are not the sandbox asking. */
	if (bpf_get_func_arg(ctx, 1, &cred) ||
	    cred != (__u64)BPF_CORE_READ(bpf_get_current_task_btf(), real_cred))
		return 0;
	/* The low bit of a key reference says "possessed"; the rest is the struct key. */
	if (bpf_get_func_arg(ctx, 0, &ref) || !(ref & ~1ULL))
		return confine(&c, WD_HOOK_KEY_PERMISSION, need, 0, true);
	ref &= ~1ULL;
	key = (struct key *)ref;
	if (kernel_key(key, need))
		return 0;
	serial = BPF_CORE_READ(key, serial);
	o = bpf_map_lookup_elem(&wd_keys, &ref);
	if (o && o->cgid == c.cgid && o->serial == 0 && serial > 0)
		o->serial = serial;
	if (o && o->cgid == c.cgid && o->serial == serial)
		return 0;
	return confine(&c, WD_HOOK_KEY_PERMISSION, need, (__u32)serial, true);
}

/* ---- Terminals: no typing into them ------------------------------------------------------------
 * TIOCSTI pushes bytes into a terminal's input as if typed, and TIOCLINUX's selection paste does
 * the same on a virtual console: into the shell that started the job, to run after the sandbox
 * is gone. Refused on every terminal, whatever the capabilities. */
#define TIOCSTI	  0x5412
#define TIOCLINUX 0x541C

static __always_inline int ioctl_gate(unsigned int cmd, __u16 hook)
{
	struct wd_ctx c;

	if ((cmd != TIOCSTI && cmd != TIOCLINUX) || !wd_current(&c))
		return 0;
	return confine(&c, hook, cmd, 0, true);
}

SEC("lsm/file_ioctl")
int BPF_PROG(wd_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ? ret : ioctl_gate(cmd, WD_HOOK_FILE_IOCTL);
}

/* 32-bit processes' ioctls, on kernels that give them a hook of their own (6.8, and some
 * distribution kernels before). */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(wd_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ? ret : ioctl_gate(cmd, WD_HOOK_FILE_IOCTL_COMPAT);
}

/* ---- Changes to the file system: one write model ---------------------------------------------
 *
 * Every change is decided by the write rules on the resolved path of what it changes, as an open
 * for writing is: the name a file, link, directory or node is made under, the name that goes away
 * (unlink, rmdir, the source of a rename), the file whose size, mode, owner or extended attributes
 * change. Deny wins; protected files also match by (device, inode). */

/* A directory report: the first allowed change of a kind per sandbox and directory is reported
 * (an inventory of where a job changes things, not a flood from rm -rf). */
#define WD_SEEN_CHANGE 16

/* Changes no rule can allow: in cgroupfs and bpffs (how a task would leave its sandbox or reach
 * warden's pins), and to device nodes (a rule that lets a job write to /dev/null does not let
 * it remove, replace or chmod /dev/null for the whole node). */
static __always_inline bool fs_confined(struct dentry *dentry)
{
	unsigned long magic = BPF_CORE_READ(dentry, d_sb, s_magic);
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	__u32 mode = inode ? BPF_CORE_READ(inode, i_mode) & S_IFMT : 0;

	return magic == CGROUP2_SUPER_MAGIC || magic == CGROUP_SUPER_MAGIC ||
	       magic == BPF_FS_MAGIC || mode == S_IFCHR || mode == S_IFBLK;
}

/* change_gate() @how */
#define WD_GATE_MOVES_OUT 0x1 /* the name moves away or gets a second one: read rules too */
#define WD_GATE_IF_REACHED                                                                         \
	0x2 /* a mount that may not reach @dentry: if not, return 1, decide                        \
	     * nothing */

/* Changes that make, remove or replace a name (not the contents or attributes behind it). */
static __always_inline bool replaces_name(__u8 change)
{
	return change == WD_CH_RENAME_FROM || change == WD_CH_RENAME_TO || change == WD_CH_LINK ||
	       change == WD_CH_SYMLINK || change == WD_CH_UNLINK || change == WD_CH_RMDIR ||
	       change == WD_CH_MKNOD;
}

/* Decides one change: @dentry (on mount @mnt) is the name that is made, goes away or changes;
 * @is_dir says whether a directory is or will be there. Returns 0 or the errno to give (or 1,
 * with WD_GATE_IF_REACHED, when @mnt does not reach @dentry). */
static __always_inline int change_gate(struct wd_ctx *c, struct dentry *dentry,
				       struct vfsmount *mnt, bool is_dir, __u16 hook, __u8 change,
				       __u32 how)
{
	struct wd_file_facts f;
	struct wd_scratch *s;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u8 verdict = WD_V_DENY, decision;
	__u16 patherr = 0;
	bool escaped = false;

	s = walk_facts(dentry, mnt, is_dir, wd_policy_id(c), &f, &escaped);
	if (!s)
		return -EACCES;
	if (escaped && (how & WD_GATE_IF_REACHED))
		return 1;
	if (fs_confined(dentry)) {
		/* Refused in audit mode too, as writes to cgroup files are. */
		emit_change(c, s, &f, WD_EV_CONFINE, hook, WD_OP_WRITE, WD_RULE_DEFAULT,
			    WD_DEC_DENY, change, 0);
		wd_hit(WD_RULE_DEFAULT);
		return -EPERM;
	}
	if (f.len <= 0 || escaped)
		patherr = f.len == -ENAMETOOLONG ? WD_PATHERR_TOO_LONG : WD_PATHERR_FAULT;
	else if (c->cfg)
		verdict = decide_op(&f, WD_OP_WRITE, &rule_id);
	if (verdict == WD_V_ALLOW && (how & WD_GATE_MOVES_OUT)) {
		/* A rename's source, the other side of an exchange, a link's source: what a read
		 * rule protects would become readable under the new name. */
		__u32 rr = WD_RULE_DEFAULT;

		if (decide_op(&f, WD_OP_READ, &rr) == WD_V_DENY) {
			verdict = WD_V_DENY;
			rule_id = rr;
		}
	}
	if (verdict == WD_V_ALLOW && f.exact && (f.exact->flags & WD_FR_ANCHOR) &&
	    replaces_name(change)) {
		/* A protected path, or one on the way to it: renaming it (either side), removing it
		 * or putting a link or node in its place would move what the rule protects away
		 * from the rule. */
		verdict = WD_V_DENY;
		rule_id = f.exact->rule_id[WD_OP_WRITE];
	}
	if (verdict == WD_V_ALLOW && !is_dir && c->cfg) {
		/* A symlink, file or link made under a protected directory's name ("~/.ssh" onto a
		 * directory of the job's) would take that directory's place: the directory's own
		 * prefix rule speaks, and may only deny. */
		struct wd_file_rule *r = prefix_rule(s, wd_policy_id(c), true);

		if (r && r->verdict[WD_OP_WRITE] == WD_V_DENY) {
			verdict = WD_V_DENY;
			rule_id = r->rule_id[WD_OP_WRITE];
		}
	}
	decision = to_decision(c, verdict);
	wd_hit(rule_id);
	if (decision == WD_DEC_ALLOW) {
		struct wd_seen_key k = {
			.cgid = c->cgid,
			.ino = BPF_CORE_READ(dentry, d_parent, d_inode, i_ino),
			.dev = BPF_CORE_READ(dentry, d_sb, s_dev),
			.op = WD_SEEN_CHANGE + change,
		};
		__u8 one = 1;

		if (bpf_map_update_elem(&wd_seen, &k, &one, BPF_NOEXIST))
			return 0;
	}
	emit_change(c, s, &f, WD_EV_FILE, hook, WD_OP_WRITE, rule_id, decision, change, patherr);
	return decision == WD_DEC_DENY ? -EACCES : 0;
}

/* setuid and setgid files made by a sandbox outlive it and run with its owner's rights for
 * anyone on the node: refused everywhere, whatever the write rules (a setgid directory only
 * passes its group on, and stays allowed). Setgid without group execute is refused too: an ACL
 * can add the execute bit later without a chmod. */
static __always_inline int setid_gate(struct wd_ctx *c, __u32 mode, bool is_dir, __u16 hook)
{
	if (is_dir || !(mode & (S_ISUID | S_ISGID)))
		return 0;
	return confine(c, hook, mode & 07777, 0, true);
}

static __always_inline bool dentry_is_dir(struct dentry *dentry)
{
	return inode_is_dir(BPF_CORE_READ(dentry, d_inode));
}

SEC("lsm/path_unlink")
int BPF_PROG(wd_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return change_gate(&c, dentry, BPF_CORE_READ(dir, mnt), false, WD_HOOK_PATH_UNLINK,
			   WD_CH_UNLINK, 0);
}

SEC("lsm/path_rmdir")
int BPF_PROG(wd_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return change_gate(&c, dentry, BPF_CORE_READ(dir, mnt), true, WD_HOOK_PATH_RMDIR,
			   WD_CH_RMDIR, 0);
}

/* A sandboxed task makes no cgroups: deep trees would outlast the sandbox's removal. */
SEC("lsm/path_mkdir")
int BPF_PROG(wd_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	unsigned long magic;
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	magic = BPF_CORE_READ(dir, dentry, d_sb, s_magic);
	if (magic == CGROUP2_SUPER_MAGIC || magic == CGROUP_SUPER_MAGIC)
		return confine(&c, WD_HOOK_MOUNT, 1, 0, true);
	return change_gate(&c, dentry, BPF_CORE_READ(dir, mnt), true, WD_HOOK_PATH_MKDIR,
			   WD_CH_MKDIR, 0);
}

/* New regular files (open with O_CREAT), fifos, unix sockets bound to a path, device nodes. */
SEC("lsm/path_mknod")
int BPF_PROG(wd_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	struct wd_ctx c;
	int err;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	err = setid_gate(&c, mode, false, WD_HOOK_PATH_MKNOD);
	if (err)
		return err;
	return change_gate(&c, dentry, BPF_CORE_READ(dir, mnt), (mode & S_IFMT) == S_IFDIR,
			   WD_HOOK_PATH_MKNOD, WD_CH_MKNOD, 0);
}

SEC("lsm/path_symlink")
int BPF_PROG(wd_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return change_gate(&c, dentry, BPF_CORE_READ(dir, mnt), false, WD_HOOK_PATH_SYMLINK,
			   WD_CH_SYMLINK, 0);
}

/* The new name of a hard link meets the write rules; a hardlink to a protected file would carry
 * its content to a path no rule names, and is refused wherever it would be made. */
SEC("lsm/path_link")
int BPF_PROG(wd_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct wd_inode_key k = {};
	struct wd_file_rule *r;
	struct inode *inode;
	struct wd_ctx c;
	int err;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	inode = BPF_CORE_READ(old_dentry, d_inode);
	k.policy_id = wd_policy_id(&c);
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	r = bpf_map_lookup_elem(&wd_file_inode, &k);
	if (r && (r->verdict[WD_OP_READ] == WD_V_DENY || r->verdict[WD_OP_WRITE] == WD_V_DENY))
		return confine(&c, WD_HOOK_PATH_LINK, 0, 0, true);
	/* A file linked in from outside the write rules would be writable through its new name,
	 * and an O_TMPFILE made setuid never met path_mknod: the file linked must be one the
	 * job may change, and not setuid or setgid. The source is on new_dir's mount (the kernel
	 * refuses links across mounts before asking). */
	err = setid_gate(&c, BPF_CORE_READ(inode, i_mode), inode_is_dir(inode), WD_HOOK_PATH_MKNOD);
	if (err)
		return err;
	err = change_gate(&c, old_dentry, BPF_CORE_READ(new_dir, mnt), false, WD_HOOK_PATH_LINK,
			  WD_CH_LINK, WD_GATE_MOVES_OUT);
	if (err)
		return err;
	return change_gate(&c, new_dentry, BPF_CORE_READ(new_dir, mnt), false, WD_HOOK_PATH_LINK,
			   WD_CH_LINK, 0);
}

/* A rename changes two places: the name that goes away (moving a file out of a protected place
 * is a change to that place) and the one that is made or replaced. RENAME_EXCHANGE changes both
 * both ways, which the same two checks cover. */
SEC("lsm/path_rename")
int BPF_PROG(wd_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct wd_ctx c;
	bool is_dir;
	int err;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	is_dir = dentry_is_dir(old_dentry) || dentry_is_dir(new_dentry);
	err = change_gate(&c, old_dentry, BPF_CORE_READ(old_dir, mnt), is_dir, WD_HOOK_PATH_RENAME,
			  WD_CH_RENAME_FROM, WD_GATE_MOVES_OUT);
	if (err)
		return err;
	return change_gate(&c, new_dentry, BPF_CORE_READ(new_dir, mnt), is_dir, WD_HOOK_PATH_RENAME,
			   WD_CH_RENAME_TO, (flags & RENAME_EXCHANGE) ? WD_GATE_MOVES_OUT : 0);
}

SEC("lsm/path_chmod")
int BPF_PROG(wd_path_chmod, const struct path *path, umode_t mode, int ret)
{
	struct dentry *dentry;
	struct wd_ctx c;
	bool is_dir;
	int err;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	dentry = BPF_CORE_READ(path, dentry);
	is_dir = dentry_is_dir(dentry);
	err = setid_gate(&c, mode, is_dir, WD_HOOK_PATH_CHMOD);
	if (err)
		return err;
	return change_gate(&c, dentry, BPF_CORE_READ(path, mnt), is_dir, WD_HOOK_PATH_CHMOD,
			   WD_CH_CHMOD, 0);
}

SEC("lsm/path_chown")
int BPF_PROG(wd_path_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	struct dentry *dentry;
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	dentry = BPF_CORE_READ(path, dentry);
	return change_gate(&c, dentry, BPF_CORE_READ(path, mnt), dentry_is_dir(dentry),
			   WD_HOOK_PATH_CHOWN, WD_CH_CHOWN, 0);
}

/* truncate(2), and on Linux before 6.2 ftruncate(2) and open(O_TRUNC) of an existing file too. */
SEC("lsm/path_truncate")
int BPF_PROG(wd_truncate, const struct path *path, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return change_gate(&c, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), false,
			   WD_HOOK_TRUNCATE, WD_CH_TRUNCATE, 0);
}

/* Linux 6.2 and later: ftruncate(2) and open(O_TRUNC). Loaded only where the kernel has it. */
SEC("lsm/file_truncate")
int BPF_PROG(wd_file_truncate, struct file *file, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return change_gate(&c, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			   false, WD_HOOK_FILE_TRUNCATE, WD_CH_TRUNCATE, 0);
}

/* ---- Extended attributes: the hooks give a dentry, not a path -------------------------------
 *
 * The mounts the dentry can be reached through are those of its file system in the task's mount
 * namespace (the super block's list of mounts); each is resolved and decided, deny winning. More
 * than WD_XATTR_MOUNTS of them, or none, and the change is refused (fail closed). */

#define WD_XATTR_MOUNTS	 8
#define WD_SB_MOUNTS_MAX 65536 /* every namespace's mounts of the file system */

/* Linux before 6.8 links a super block's mounts in a list (s_mounts, mnt_instance). */
struct super_block___list {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));

struct mount___list {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

/* Linux 6.8 and later: a singly linked list (s_mounts, mnt_next_for_sb). */
struct super_block___next {
	struct mount *s_mounts;
} __attribute__((preserve_access_index));

struct mount___next {
	struct mount *mnt_next_for_sb;
} __attribute__((preserve_access_index));

struct wd_mnt_scan {
	void *cur;
	void *head;
	struct mnt_namespace *ns;
	struct mount *found[WD_XATTR_MOUNTS];
	int n;
	bool overflow;
	bool done;
};

static long mnt_scan_step(__u32 i, struct wd_mnt_scan *sc)
{
	struct mount *m;

	if (bpf_core_field_exists(struct mount___list, mnt_instance)) {
		if (!sc->cur || sc->cur == sc->head) {
			sc->done = true;
			return 1;
		}
		struct list_head *lh = sc->cur;

		m = (struct mount *)((void *)lh -
				     bpf_core_field_offset(struct mount___list, mnt_instance));
		sc->cur = BPF_CORE_READ(lh, next);
	} else {
		m = sc->cur;
		if (!m) {
			sc->done = true;
			return 1;
		}
		sc->cur = BPF_CORE_READ((struct mount___next *)m, mnt_next_for_sb);
	}
	if (BPF_CORE_READ(m, mnt_ns) != sc->ns)
		return 0;
	/* A file mounted on a file (/etc/hosts, resolv.conf in a pod) reaches nothing below. */
	if (!inode_is_dir(BPF_CORE_READ(m, mnt.mnt_root, d_inode)))
		return 0;
	if (sc->n >= WD_XATTR_MOUNTS) {
		sc->overflow = true;
		return 1;
	}
	sc->found[sc->n & (WD_XATTR_MOUNTS - 1)] = m;
	sc->n++;
	return 0;
}

static __always_inline int xattr_gate(struct dentry *dentry, const char *name, __u16 hook,
				      __u8 change)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct super_block *sb = BPF_CORE_READ(dentry, d_sb);
	struct wd_mnt_scan sc = {};
	struct wd_ctx c;
	int resolved = 0;
	bool is_acl = true; /* the ACL hooks pass no name */
	char ns[10] = {};
	int err;

	if (!wd_current(&c))
		return 0;
	/* trusted.* and security.* are the kernel's and its LSMs': setting them takes
	 * CAP_SYS_ADMIN (CAP_SETFCAP for file capabilities), which a sandboxed task's own
	 * credentials never exercise (capable hook). The kernel itself sets them on a task's
	 * behalf (overlayfs copy-up, with the mounter's credentials): not the sandbox acting. */
	if (name) {
		bpf_probe_read_kernel_str(ns, sizeof(ns), name);
		if (has_prefix(ns, "trusted.") || has_prefix(ns, "security."))
			return 0;
		is_acl = has_prefix(ns, "system.po"); /* system.posix_acl_* */
	}
	/* An ACL can give a setuid or setgid file the execute bits a chmod would be refused. */
	if (is_acl && !dentry_is_dir(dentry) &&
	    (BPF_CORE_READ(dentry, d_inode, i_mode) & (S_ISUID | S_ISGID)))
		return confine(&c, WD_HOOK_PATH_CHMOD,
			       BPF_CORE_READ(dentry, d_inode, i_mode) & 07777, 0, true);
	sc.ns = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (bpf_core_field_exists(struct mount___list, mnt_instance)) {
		struct super_block___list *sbl = (void *)sb;

		sc.head = &sbl->s_mounts;
		sc.cur = BPF_CORE_READ(sbl, s_mounts.next);
	} else {
		sc.cur = BPF_CORE_READ((struct super_block___next *)sb, s_mounts);
	}
	bpf_loop(WD_SB_MOUNTS_MAX, mnt_scan_step, &sc, 0);
	if (sc.done && !sc.overflow) {
		for (int i = 0; i < WD_XATTR_MOUNTS; i++) {
			struct mount *m = sc.found[i];

			if (i >= sc.n)
				break;
			/* A bind mount of another part of the file system does not reach it. */
			err = change_gate(&c, dentry, &m->mnt, dentry_is_dir(dentry), hook, change,
					  WD_GATE_IF_REACHED);
			if (err == 1)
				continue;
			if (err)
				return err;
			resolved++;
		}
	}
	if (!resolved) {
		struct wd_file_facts f;
		struct wd_scratch *s = inode_facts(NULL, wd_policy_id(&c), &f);
		__u8 decision = to_decision(&c, WD_V_DENY);

		wd_hit(WD_RULE_DEFAULT);
		emit_change(&c, s, &f, WD_EV_FILE, hook, WD_OP_WRITE, WD_RULE_DEFAULT, decision,
			    change, WD_PATHERR_FAULT);
		return decision == WD_DEC_DENY ? -EACCES : 0;
	}
	return 0;
}

SEC("lsm/inode_setxattr")
int BPF_PROG(wd_setxattr, void *idmap, struct dentry *dentry, const char *name, const void *value,
	     size_t size, int flags, int ret)
{
	if (ret)
		return ret;
	return xattr_gate(dentry, name, WD_HOOK_INODE_SETXATTR, WD_CH_SETXATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(wd_removexattr, void *idmap, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return xattr_gate(dentry, name, WD_HOOK_INODE_REMOVEXATTR, WD_CH_REMOVEXATTR);
}

/* Linux 6.2 and later set POSIX ACLs through these instead of setxattr. */
SEC("lsm/inode_set_acl")
int BPF_PROG(wd_set_acl, void *idmap, struct dentry *dentry, const char *acl_name, void *kacl,
	     int ret)
{
	if (ret)
		return ret;
	return xattr_gate(dentry, NULL, WD_HOOK_INODE_SET_ACL, WD_CH_SETXATTR);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(wd_remove_acl, void *idmap, struct dentry *dentry, const char *acl_name, int ret)
{
	if (ret)
		return ret;
	return xattr_gate(dentry, NULL, WD_HOOK_INODE_REMOVE_ACL, WD_CH_REMOVEXATTR);
}
