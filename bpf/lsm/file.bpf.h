/* SPDX-License-Identifier: GPL-2.0 */
/* Files: opening them (the read and write rules) and changing the file system (one write model:
 * every change meets the write rules on the path of what it changes). Part of wd_lsm.bpf.c,
 * which includes it after the maps and the context it uses; extended attributes are in
 * lsm/xattr.bpf.h, which decides with change_gate() below.
 *
 *   lsm/file_open                 every open: the read and write rules, other processes' /proc
 *                                 files, and what no rule allows (writes to cgroupfs, bpffs,
 *                                 block devices, unnamed setuid files)
 *   lsm/path_unlink, path_rmdir   the name that goes away
 *   lsm/path_mkdir                new directories; no cgroups
 *   lsm/path_mknod                new files (O_CREAT), fifos, sockets, nodes; none setuid
 *   lsm/path_symlink              new symlinks
 *   lsm/path_link                 new hard links; none to a protected file
 *   lsm/path_rename               both names a rename changes
 *   lsm/path_chmod, path_chown    a file's mode and owner; no setuid bits
 *   lsm/path_truncate             truncate(2) (before Linux 6.2 ftruncate and O_TRUNC too)
 *   lsm/file_truncate             ftruncate(2) and O_TRUNC, Linux 6.2 and later
 */

#define FMODE_READ	    0x1
#define FMODE_WRITE	    0x2
#define FMODE_EXEC	    0x20
#define PROC_SUPER_MAGIC    0x9fa0
#define CGROUP_SUPER_MAGIC  0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define BPF_FS_MAGIC	    0xcafe4a11
#define RENAME_EXCHANGE	    2
#define __O_TMPFILE	    020000000

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

	s = file_facts(file, wd_policy_id(&c), &f, true);
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
int BPF_PROG(wd_ftruncate, struct file *file, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!wd_current(&c))
		return 0;
	return change_gate(&c, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			   false, WD_HOOK_FILE_TRUNCATE, WD_CH_TRUNCATE, 0);
}
