/* SPDX-License-Identifier: GPL-2.0 */
/* Binds: a sandbox may not join another owner's port (SO_REUSEPORT, SO_REUSEADDR) and take a
 * share of its connections or datagrams; confinement, in audit mode too. Part of wd_cgroup.bpf.c,
 * which includes it after the socket owner tag and its map.
 *
 *   cgroup/bind4, bind6  bind(2): where no socket of another owner is found
 *   the wd_hold_* twins  the same for held sandboxes only
 */

/* ---- Binds: no joining another owner's port ---------------------------------------------------
 * SO_REUSEPORT lets a second socket of the same user bind a port a listener holds and take a
 * share of its connections; with SO_REUSEADDR two UDP sockets share a port. A sandbox's root
 * joining the node's credential agent that way would receive some of its clients and, worse,
 * make its own connects look like ones to "its own" listener. So a sandbox may bind a port
 * only where no socket of another owner (the node, another sandbox) is found: confinement, in
 * audit mode too. The port is busy anyway when the other socket does not share it. */
static __always_inline int bind_decide(struct bpf_sock_addr *ctx, __u64 cgid, struct wd_sandbox *sb,
				       bool v6, __u16 hook)
{
	__u16 port_be = (__u16)ctx->user_port;
	__u8 addr[16], proto = (__u8)ctx->protocol;
	__u64 owner = 0;
	struct wd_event *e;

	if (!port_be)
		return 1; /* the kernel picks a free port */
	ctx_addr(ctx, v6, addr);
	if (!listener_owner(ctx, addr, port_be, proto, &owner) || owner == cgid)
		return 1;
	wd_hit(WD_RULE_DEFAULT);
	e = wd_event_reserve_n(WD_EV_CONFINE, cgid, WD_EVENT_SHORT_SIZE);
	if (e) {
		wd_event_task(e, cgid, sb->policy_id, WD_RULE_DEFAULT, WD_DEC_DENY, hook);
		wd_event_dest(e, addr, bpf_ntohs(port_be), proto);
		wd_event_submit(e);
	}
	return 0;
}

static __always_inline int bind_gate(struct bpf_sock_addr *ctx, bool v6, __u16 hook, bool held)
{
	struct wd_sandbox *sb;
	int answer;
	__u64 cgid = find_sandbox(held, &sb, &answer);

	return cgid ? bind_decide(ctx, cgid, sb, v6, hook) : answer;
}

SEC("cgroup/bind4")
int wd_bind4(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, false, WD_HOOK_BIND4, false);
}

SEC("cgroup/bind6")
int wd_bind6(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, true, WD_HOOK_BIND6, false);
}

SEC("cgroup/bind4")
int wd_hold_bind4(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, false, WD_HOOK_BIND4, true);
}

SEC("cgroup/bind6")
int wd_hold_bind6(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, true, WD_HOOK_BIND6, true);
}
