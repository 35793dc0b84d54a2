/* SPDX-License-Identifier: GPL-2.0 */
/* Rung 3's seccomp refusals as events. Part of wd_cgroup.bpf.c, which includes it.
 *
 *   raw_tp/sys_exit  a system call warden's seccomp filter refuses, seen returning its error
 *
 * The filter answers an errno without running the call; the raw_syscalls:sys_exit tracepoint
 * still fires, with the registers of the call: orig_ax keeps the number the task asked for and
 * the return value is the filter's answer. Both are kernel data, written by the kernel's entry
 * code: nothing here reads the call's arguments or any user memory. A raw tracepoint, not the
 * tracepoint: it attaches by name, without tracefs mounted.
 *
 * Attached only while a rung-3 sandbox may run (user/enforce/scevents.c): every system call of
 * the node passes through it, so the cheapest test comes first (the return value is the filter's
 * EPERM; its ENOSYS for clone3 and openat2 only sends libc to clone and openat), then the call's
 * entry in wd_sc_refused, then the sandbox.
 *
 * The same program reports rung 3's read-only mounts: a change to the file system outside the
 * write rules meets a read-only mount (EROFS) before Landlock is asked, so Landlock has no
 * record of it. Calls marked WD_SC_ROFS that answer EROFS are reported with hook
 * WD_HOOK_ROFS, without a path (the arguments are user memory). */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WD_SC_NR_MAX);
	__type(key, __u32);
	__type(value, struct wd_sc_refusal);
} wd_sc_refused SEC(".maps");

#define WD_EROFS 30

SEC("raw_tp/sys_exit")
int BPF_PROG(wd_sc_exit, struct pt_regs *regs, long ret)
{
	struct wd_sc_refusal *how;
	bool rofs;
	struct wd_sandbox *sb;
	struct wd_event *e;
	__u32 nr;
	__u64 cgid;

	if (ret != -EPERM && ret != -WD_EROFS)
		return 0;
#if defined(__TARGET_ARCH_x86)
	nr = (__u32)BPF_CORE_READ(regs, orig_ax);
#else
	return 0; /* the filter refuses every other architecture's calls by killing */
#endif
	how = bpf_map_lookup_elem(&wd_sc_refused, &nr);
	if (!how)
		return 0;
	rofs = ret == -WD_EROFS;
	if (rofs ? !(how->flags & WD_SC_ROFS) : !how->err || ret != -(long)how->err)
		return 0;
	cgid = wd_cgroup_sandbox(&sb);
	/* Only sandboxes whose processes run under the filter: elsewhere the same error is the
	 * kernel's own. */
	if (!cgid || !(sb->flags & WD_SB_SECCOMP))
		return 0;
	e = wd_event_reserve_n(WD_EV_CONFINE, cgid, WD_EVENT_SHORT_SIZE);
	if (!e)
		return 0;
	wd_event_task(e, cgid, sb->policy_id, WD_RULE_DEFAULT, WD_DEC_DENY,
		      rofs ? WD_HOOK_ROFS : WD_HOOK_SECCOMP);
	e->port = (__u16)nr;		      /* the detail: the call */
	e->lost = rofs ? WD_EROFS : how->err; /* the target: the error answered */
	e->op = rofs ? WD_SC_ROFS : how->flags & WD_SC_BY_ARGS;
	wd_event_submit(e);
	return 0;
}
