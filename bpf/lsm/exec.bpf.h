/* SPDX-License-Identifier: GPL-2.0 */
/* Exec: which files a sandbox may run or map as code, by the exec rules (WD_OP_EXEC) on the
 * file's path and identity; memfds and deleted files only where the policy allows fileless code.
 * Part of wd_lsm.bpf.c, which includes it after the maps and the context it uses.
 *
 *   lsm/bprm_check_security  every execve: the file about to run, remembered as the task's exe
 *   lsm/mmap_file            executable mappings: ld.so ./payload and LD_PRELOAD run code without
 *                            an exec of that file
 *   lsm/file_mprotect        a file mapping made executable later: bpf_d_path is not allowed
 *                            here, so it gets the verdict of the last decision on the same file
 *   fmod_ret/security_mmap_file
 *                            mmap_file on rung 2 (no bpf in the LSM list): that function gets
 *                            the requested protection, not the hook's, so it has a program of
 *                            its own (autoload off: the loader turns it on instead of
 *                            wd_mmap_file there)
 *   raw_tp/sched_process_exec
 *                            rungs 3 and 4 (no LSM programs run): the same decision after the
 *                            fact, on the file the task now runs (bprm->file, a kernel object),
 *                            its path walked; a denied one is killed (SIGKILL) before
 *                            its first instruction, and every exec is an event. Autoload off:
 *                            the loader loads it, alone, where the LSM programs are not loaded
 *                            (user/enforce/exec_tp.c).
 * On rung 2 the other programs are attached as fmod_ret to the security_* function calling
 * their hook (user/hooks/hooks.c), where bpf_d_path is not allowed in bprm_check: wd_mech says
 * so, and exec decisions walk the path instead (the same string).
 */

#define PROT_READ	  0x1
#define PROT_EXEC	  0x4
#define READ_IMPLIES_EXEC 0x0400000
#define MNT_NOEXEC	  0x04
#define SB_I_NOEXEC	  0x00000002

/* The exec decision for a file about to run or be mapped executable. */
static __always_inline int exec_gate(struct wd_ctx *c, struct file *file, __u16 type, __u16 hook,
				     bool record_exe, bool d_path_ok)
{
	struct wd_file_facts f;
	struct wd_scratch *s;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u8 verdict = WD_V_DENY, decision;

	s = file_facts(file, wd_policy_id(c), &f, d_path_ok);
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
	return exec_gate(&c, bprm->file, WD_EV_EXEC, WD_HOOK_BPRM, true, wd_mech == WD_MECH_LSM);
}

/* The second line where no LSM program runs: Landlock or fanotify refused what they could before
 * the exec; this sees the file that got through, by its identity and walked path, with the exec
 * rules Landlock cannot express (exact denies by device and inode: a hard link is the same
 * file). The tracepoint fires in the exec, before the new program's first instruction, and
 * bpf_send_signal() reaches the task on its way back to user space. */
#define WD_SIGKILL 9
SEC("?raw_tp/sched_process_exec")
int wd_exec_tp(struct bpf_raw_tracepoint_args *ctx)
{
	/* TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	struct file *file = BPF_CORE_READ(bprm, file);
	struct wd_ctx c;

	if (!file || !wd_current(&c))
		return 0;
	if (exec_gate(&c, file, WD_EV_EXEC, WD_HOOK_EXEC_TP, true, false) < 0)
		bpf_send_signal(WD_SIGKILL);
	return 0;
}

/* @prot: the protection the mapping gets (the hook's, after READ_IMPLIES_EXEC). */
static __always_inline int mmap_gate(struct file *file, unsigned long prot, bool d_path_ok)
{
	struct wd_ctx c;

	if (!file || !(prot & PROT_EXEC))
		return 0;
	if (!wd_current(&c))
		return 0;
	return exec_gate(&c, file, WD_EV_MMAP, WD_HOOK_MMAP, false, d_path_ok);
}

/* ld.so ./payload and LD_PRELOAD map code with PROT_EXEC without an exec of that file. */
SEC("lsm/mmap_file")
int BPF_PROG(wd_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	return mmap_gate(file, prot, true);
}

/* Rung 2: security_mmap_file(file, prot, flags) gets the requested protection and works out the
 * hook's itself (mmap_prot() in security/security.c): a readable mapping is executable too for a
 * task with READ_IMPLIES_EXEC, unless its file is on a noexec mount. Replayed here. */
SEC("?fmod_ret/security_mmap_file")
int BPF_PROG(wd_mmap_fr, struct file *file, unsigned long reqprot, unsigned long flags, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long prot = reqprot;

	if (ret)
		return ret;
	if (file && (reqprot & (PROT_READ | PROT_EXEC)) == PROT_READ &&
	    (task->personality & READ_IMPLIES_EXEC) &&
	    !(BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_NOEXEC) &&
	    !(BPF_CORE_READ(file, f_path.mnt, mnt_sb, s_iflags) & SB_I_NOEXEC))
		prot |= PROT_EXEC;
	return mmap_gate(file, prot, false);
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
