/* SPDX-License-Identifier: GPL-2.0 */
/* Connects and sends: the authoritative gate for connect (TCP Fast Open included) and for
 * unconnected UDP sends of a sandbox's sockets, by the address rules and "to: sandbox" (the
 * receiving socket is the sandbox's own). Part of wd_cgroup.bpf.c, which includes it after
 * the socket owner tag and its map.
 *
 *   cgroup/connect4, connect6  connect(2): where the socket will talk to
 *   cgroup/sendmsg4, sendmsg6  sendto/sendmsg with a destination (UDP)
 *   the wd_hold_* twins        the same, attached where cgroups the kernel holds may appear,
 *                              deciding for held sandboxes only
 */

/* ---- Connects and sends --------------------------------------------------------------------- */

static __always_inline bool is_loopback(const __u8 a[16])
{
	if (wd_is_v4mapped(a))
		return a[12] == 127;
	for (int i = 0; i < 15; i++)
		if (a[i])
			return false;
	return a[15] == 1;
}

/* Multicast (224.0.0.0/4, ff00::/8): delivered to every member, not to the one socket a lookup
 * finds. */
static __always_inline bool is_multicast(const __u8 a[16])
{
	return wd_is_v4mapped(a) ? (a[12] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* Refusing from a sock_addr program returns EPERM to the caller. The address rules decide
 * first (deny wins); what they leave open, "to: sandbox" allows when the receiving socket is
 * this sandbox's own, or when nothing is there on loopback (the kernel then answers as it
 * does, ECONNREFUSED, or drops the datagram; wd_egress checks again when the packet leaves).
 * The unspecified address is written back as the address decided on, so the kernel goes
 * exactly there. */
static __always_inline int decide(struct bpf_sock_addr *ctx, __u64 cgid, struct wd_sandbox *sb,
				  bool v6, bool send, __u16 hook)
{
	struct wd_policy_cfg *cfg = wd_policy(sb->policy_id);
	__u16 port_be = (__u16)ctx->user_port, port = bpf_ntohs(port_be);
	__u8 addr[16], proto = (__u8)ctx->protocol, verdict = WD_V_DENY;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u64 owner = 0;
	bool any, nothing = false;

	ctx_addr(ctx, v6, addr);
	any = wd_is_unspecified(addr);
	if (any)
		normalize_dest(ctx, v6, send, addr);
	if (any && v6) {
		__u32 w[4];

		__builtin_memcpy(w, addr, 16);
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	} else if (any) {
		__u32 a4;

		__builtin_memcpy(&a4, addr + 12, 4);
		ctx->user_ip4 = a4;
	}
	if (cfg) {
		verdict = wd_net_decide(sb->policy_id, addr, port, proto, &rule_id);
		/* The sandbox's own listeners are TCP and UDP ones, found by one lookup:
		 * multicast reaches every member, and other protocols have no lookup. */
		if (verdict == WD_V_NONE && cfg->sandbox_rule &&
		    (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && !is_multicast(addr)) {
			int found = listener_owner(ctx, addr, port_be, proto, &owner);

			if (found && owner == cgid) {
				verdict = WD_V_ALLOW;
				rule_id = cfg->sandbox_rule;
			} else if (!found && is_loopback(addr)) {
				verdict = WD_V_ALLOW;
				rule_id = cfg->sandbox_rule;
				nothing = true;
			}
		}
	}
	if (ctx->sk) {
		struct wd_sk *m = bpf_sk_storage_get(&wd_sk_owner, ctx->sk, 0, 0);

		if (m && nothing)
			m->flags |= WD_SK_LOOPBACK_ONLY;
		else if (m)
			m->flags &= ~WD_SK_LOOPBACK_ONLY;
	}
	return wd_net_report(cgid, sb, cfg, addr, port, proto, hook, verdict, rule_id) ? 0 : 1;
}

/* The sandbox a sock_addr call is decided for, or 0 and in *@answer what to return without
 * deciding. These programs are attached to sandbox cgroups: a socket that reaches them belongs
 * to a sandbox, so not finding it (a cgroup namespace hiding the real depth, say) refuses. The
 * @held versions are attached where cgroups the kernel holds may appear (below): they decide for
 * held sandboxes only, and leave everything else (other cgroups, sandboxes with programs of
 * their own once adopted) to the programs attached there, if any. */
static __always_inline __u64 find_sandbox(bool held, struct wd_sandbox **sb, int *answer)
{
	__u64 cgid = wd_cgroup_sandbox(sb);

	*answer = held ? 1 : 0;
	if (!cgid || (held && !((*sb)->flags & WD_SB_HELD)))
		return 0;
	return cgid;
}

static __always_inline int gate(struct bpf_sock_addr *ctx, bool v6, bool send, __u16 hook,
				bool held)
{
	struct wd_sandbox *sb;
	int answer;
	__u64 cgid = find_sandbox(held, &sb, &answer);

	return cgid ? decide(ctx, cgid, sb, v6, send, hook) : answer;
}

SEC("cgroup/connect4")
int wd_connect4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, false, WD_HOOK_CONNECT4, false);
}

SEC("cgroup/connect6")
int wd_connect6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, false, WD_HOOK_CONNECT6, false);
}

SEC("cgroup/sendmsg4")
int wd_sendmsg4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, true, WD_HOOK_SENDMSG4, false);
}

SEC("cgroup/sendmsg6")
int wd_sendmsg6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, true, WD_HOOK_SENDMSG6, false);
}

SEC("cgroup/connect4")
int wd_hold_conn4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, false, WD_HOOK_CONNECT4, true);
}

SEC("cgroup/connect6")
int wd_hold_conn6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, false, WD_HOOK_CONNECT6, true);
}

SEC("cgroup/sendmsg4")
int wd_hold_send4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, true, WD_HOOK_SENDMSG4, true);
}

SEC("cgroup/sendmsg6")
int wd_hold_send6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, true, WD_HOOK_SENDMSG6, true);
}
