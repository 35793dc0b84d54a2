/* SPDX-License-Identifier: GPL-2.0 */
/* Extended attributes and POSIX ACLs: setting or removing one is a change to the file, decided
 * by the write rules (change_gate() in lsm/file.bpf.h) on every mount the file can be reached
 * through. Part of wd_lsm.bpf.c, which includes it after lsm/file.bpf.h.
 *
 *   lsm/inode_setxattr, inode_removexattr  attributes (trusted.* and security.* are left to
 *                                          the capable hook: setting them takes capabilities)
 *   lsm/inode_set_acl, inode_remove_acl    POSIX ACLs, Linux 6.2 and later; an ACL could also
 *                                          give a setuid file the execute bits chmod refuses
 */

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
