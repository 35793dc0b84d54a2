/* SPDX-License-Identifier: GPL-2.0 */
/* Confinement: what a sandboxed root could use to undo enforcement, leave its sandbox or reach
 * the node, refused whatever the policy says and in audit mode too (see confine()). Part of
 * wd_lsm.bpf.c, which includes it after the maps and the context it uses.
 *
 *   lsm/task_alloc                    children are tagged at birth; none born in another cgroup
 *   lsm/capable                       capabilities that undo enforcement (WD_CAPS_DENIED)
 *   lsm/bpf                           no bpf(): it reads and rewrites maps, detaches programs
 *   lsm/task_kill                     signals only within the sandbox
 *   lsm/ptrace_access_check, ptrace_traceme
 *                                     no tracing or memory access across its edge
 *   lsm/sb_mount, sb_umount, move_mount, sb_pivotroot, path_chroot
 *                                     what a path names, and the path rules with it, stays
 *   lsm/userns_create                 a new user namespace hands out every capability in it
 *   lsm/file_receive                  sockets from outside (SCM_RIGHTS) escape the cgroup hooks
 *   lsm/key_alloc, key_free, key_permission
 *                                     keyrings are shared by uid, not by sandbox
 *   lsm/file_ioctl, file_ioctl_compat no typing into terminals (TIOCSTI, TIOCLINUX)
 */

#define CLONE_INTO_CGROUP 0x200000000ULL
#define CAP_OPT_NOAUDIT	  (1 << 1)
#define CAP_FSETID	  4

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
int wd_key_perm(unsigned long long *ctx)
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
int BPF_PROG(wd_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ? ret : ioctl_gate(cmd, WD_HOOK_FILE_IOCTL_COMPAT);
}
