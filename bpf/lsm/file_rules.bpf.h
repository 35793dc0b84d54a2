/* SPDX-License-Identifier: GPL-2.0 */
/* What the file rules say about a file: its entries in wd_file_inode (by device and inode),
 * wd_file_exact and wd_file_prefix (by its path, resolved with bpf_d_path or warden's own walk)
 * and wd_proc_name, folded into one verdict per operation, deny winning; and the file event.
 * No hooks: exec, file, xattr and unix sockets decide with it. Part of wd_lsm.bpf.c, which
 * includes it after the maps and the context it uses. */

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

/* The prefix rule for the resolved path in s->buf (wd_prefix_rule). */
static __always_inline struct wd_file_rule *prefix_rule(struct wd_scratch *s, __u32 policy_id,
							bool as_dir)
{
	return wd_prefix_rule(&s->prefix, policy_id, s->buf, as_dir);
}

/* Looks up the path rules for the resolved path in s->buf (f->len bytes, NUL included). */
static __always_inline void path_rules(struct wd_scratch *s, bool is_dir, __u32 policy_id,
				       struct wd_file_facts *f)
{
	if (f->len <= 0)
		return;
	if (ends_deleted(s->buf, f->len))
		f->fileless = true;

	if (f->len <= WD_PATH_MAX)
		f->exact = wd_exact_rule(&s->exact, policy_id, s->buf);
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

/* A file made without a name in any directory (alloc_file_pseudo(): memfd, anonymous shared
 * memory) on a file system that names such files itself: d_path gives what simple_dname() makes,
 * "/NAME (deleted)". Only files that can be mapped or run come here (exec decisions). */
static __always_inline struct wd_scratch *pseudo_facts(struct dentry *d, struct inode *inode,
						       __u32 policy_id, struct wd_file_facts *f)
{
	struct wd_scratch *s = inode_facts(inode, policy_id, f);
	const char tail[] = " (deleted)";
	long n;

	if (!s)
		return NULL;
	s->buf[0] = '/';
	/* A fixed size: a name's length read from the dentry loses its bound in a spill on 6.1. */
	n = bpf_probe_read_kernel_str(&s->buf[1], WD_DNAME_MAX + 1, BPF_CORE_READ(d, d_name.name));
	if (n <= 0)
		return s;			    /* no path: the callers refuse */
	for (int i = 0; i < (int)sizeof(tail); i++) /* the NUL too */
		s->buf[(n + i) & 4095] = tail[i];
	f->len = n + sizeof(tail);
	path_rules(s, false, policy_id, f);
	return s;
}

/* The same for an open file: with bpf_d_path where @d_path_ok (LSM programs on the kernel's
 * sleepable hooks; fmod_ret on the functions of its d_path allow-list), else by the walk, which
 * gives the same string. */
static __always_inline struct wd_scratch *file_facts(struct file *file, __u32 policy_id,
						     struct wd_file_facts *f, bool d_path_ok)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	bool escaped;

	if (!d_path_ok && BPF_CORE_READ(d, d_parent) == d &&
	    d != BPF_CORE_READ(file, f_path.mnt, mnt_root) && BPF_CORE_READ(d, d_op, d_dname))
		return pseudo_facts(d, BPF_CORE_READ(file, f_inode), policy_id, f);
	if (!d_path_ok)
		return walk_facts(d, BPF_CORE_READ(file, f_path.mnt),
				  inode_is_dir(BPF_CORE_READ(file, f_inode)), policy_id, f,
				  &escaped);
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
