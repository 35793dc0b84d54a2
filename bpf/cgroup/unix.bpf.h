/* SPDX-License-Identifier: GPL-2.0 */
/* Unix sockets by the address a connect or send names, where BPF LSM is missing (Linux 6.7 and
 * later: cgroup sock_addr hooks for AF_UNIX). Part of wd_cgroup.bpf.c, which includes it after
 * the rule maps (wd_rules.h).
 *
 *   cgroup/connect_unix  connect(2) of a unix socket (stream, seqpacket, datagram)
 *   cgroup/sendmsg_unix  sendto/sendmsg with a destination on a unix datagram socket
 *
 * Optional: the loader loads them only where the kernel has these attach types, and a kernel
 * that refuses them leaves the rest of the object loaded (user/enforce/cgroup.c); the rung 3
 * report then says unix sockets are not enforced. On rung 1 the LSM hooks decide on the socket
 * the kernel found; these run too and refuse nothing the rules allow by path.
 *
 * These hooks see the kernel's copy of the address, not the socket it leads to: the path is not
 * resolved yet. So the rules meet the path as written, normalised lexically ("//" and "/./"
 * folded); a relative path, one with "..", and paths through /proc or /dev/fd (magic links to
 * any file, /proc/self/root/...) are refused outright. What no rule names is the sandbox's own
 * only where "to: sandbox" and the write rules would let it bind a socket (its own sockets can
 * be nowhere else). What a path cannot show, a symbolic link leading elsewhere, is not seen
 * here: the rung 3 report says so. */

/* Per-CPU scratch: the address, its normalised form and the rule keys. */
struct wd_unix_scratch {
	char raw[128];	/* sun_path as given: 108 bytes at most, NUL-padded */
	char norm[128]; /* the path normalised, or "@name" for an abstract socket */
	struct wd_path_key exact;
	struct wd_prefix_key prefix;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_unix_scratch);
} wd_unix_scratch_map SEC(".maps");

#define WD_SUN_PATH_MAX 108

/* The state of normalize() through bpf_loop(): in a callback, the verifier checks one step
 * with unknown positions once, not 109 steps of every path through them. */
struct norm_ctx {
	struct wd_unix_scratch *s;
	__u32 n;    /* bytes of s->raw */
	__u32 out;  /* bytes of s->norm so far */
	__u32 comp; /* where its last component starts */
	int bad;    /* a ".." component */
};

static long norm_step(__u64 i, void *arg)
{
	struct norm_ctx *c = arg;
	struct wd_unix_scratch *s = c->s;
	char c0 = i < c->n ? s->raw[i & 127] : 0;
	__u32 out = c->out & 127, comp = c->comp & 127;

	if (c0 != '/' && c0) {
		s->norm[out] = c0;
		c->out = out + 1;
		return 0;
	}
	if (out - comp == 1 && s->norm[comp] == '.') {
		out = comp;
	} else if (out - comp == 2 && s->norm[comp] == '.' && s->norm[(comp + 1) & 127] == '.') {
		c->bad = 1;
		return 1;
	}
	if (!c0) {
		c->out = out;
		return 1;
	}
	if (!out || s->norm[(out - 1) & 127] != '/')
		s->norm[out++ & 127] = '/';
	c->out = out;
	c->comp = out;
	return 0;
}

/* Folds "//" and "/./" of the absolute path in s->raw (@n bytes at most) into s->norm, without a
 * trailing '/'. Returns its length, or -1 for a ".." component (what it leads to depends on the
 * symbolic links on the way: no lexical answer). */
static __always_inline int normalize(struct wd_unix_scratch *s, __u32 n)
{
	struct norm_ctx c = {.s = s, .n = n};
	__u32 out;

	bpf_loop(WD_SUN_PATH_MAX + 1, norm_step, &c, 0);
	if (c.bad)
		return -1;
	out = c.out & 127;
	if (out > 1 && s->norm[(out - 1) & 127] == '/')
		out--;
	s->norm[out & 127] = '\0';
	return (int)out;
}

/* Whether s->norm is @dir or lies under it (@dir without its trailing '/'). */
static __always_inline bool under(struct wd_unix_scratch *s, const char *dir, __u32 len)
{
	for (__u32 i = 0; i < 16; i++) {
		if (i >= len)
			break;
		if (s->norm[i] != dir[i])
			return false;
	}
	return s->norm[len & 127] == '/' || s->norm[len & 127] == '\0';
}

/* Magic links reach any file whatever the path says: /proc/PID/root, /proc/self/cwd,
 * /proc/self/fd/N, and /dev/fd and /dev/std* (links into /proc/self/fd). */
static __always_inline bool magic_path(struct wd_unix_scratch *s)
{
	return under(s, "/proc", 5) || under(s, "/dev/fd", 7) || under(s, "/dev/stdin", 10) ||
	       under(s, "/dev/stdout", 11) || under(s, "/dev/stderr", 11);
}

/* Whether s->raw (@n bytes) has a ".." component. */
static __always_inline bool dotdot(struct wd_unix_scratch *s, __u32 n)
{
	for (__u32 i = 0; i + 1 < WD_SUN_PATH_MAX; i++) {
		if (i + 1 >= n)
			break;
		if (s->raw[i] == '.' && s->raw[i + 1] == '.' && (i == 0 || s->raw[i - 1] == '/') &&
		    (i + 2 >= n || s->raw[i + 2] == '/' || !s->raw[i + 2]))
			return true;
	}
	return false;
}

/* nscd's socket, which glibc tries at every name lookup. */
static __always_inline bool nscd_path(struct wd_unix_scratch *s)
{
	const char a[] = "/var/run/nscd/socket", b[] = "/run/nscd/socket";
	bool is_a = true, is_b = true;

	for (__u32 i = 0; i < sizeof(a); i++)
		is_a = is_a && s->norm[i] == a[i];
	for (__u32 i = 0; i < sizeof(b); i++)
		is_b = is_b && s->norm[i] == b[i];
	return is_a || is_b;
}

/* The rules on the path socket in s->norm, as rung 1's unix_rules(): the "unix:" rules, deny
 * winning; a path the file rules deny reading or writing is refused too; what no rule names
 * is the sandbox's own ("to: sandbox") only where the write rules let it bind one. */
static __always_inline __u8 path_verdict(struct wd_unix_scratch *s, struct wd_policy_cfg *cfg,
					 __u32 policy_id, __u32 *rule_id)
{
	struct wd_file_rule *ex = wd_exact_rule(&s->exact, policy_id, s->norm);
	struct wd_file_rule *pr = wd_prefix_rule(&s->prefix, policy_id, s->norm, false);
	__u8 v = WD_V_NONE, r = WD_V_NONE, w = WD_V_NONE;
	__u32 rid = WD_RULE_DEFAULT, wid = WD_RULE_DEFAULT;

	*rule_id = WD_RULE_DEFAULT;
	fold(ex, WD_OP_UNIX, &v, rule_id);
	fold(pr, WD_OP_UNIX, &v, rule_id);
	if (v == WD_V_DENY)
		return v;
	fold(ex, WD_OP_READ, &r, &rid);
	fold(pr, WD_OP_READ, &r, &rid);
	fold(ex, WD_OP_WRITE, &w, &wid);
	fold(pr, WD_OP_WRITE, &w, &wid);
	if (r == WD_V_DENY && rid != WD_RULE_DEFAULT) {
		*rule_id = rid;
		return WD_V_DENY;
	}
	if (w == WD_V_DENY && wid != WD_RULE_DEFAULT) {
		*rule_id = wid;
		return WD_V_DENY;
	}
	if (v == WD_V_NONE && cfg->sandbox_rule && w == WD_V_ALLOW) {
		*rule_id = cfg->sandbox_rule;
		return WD_V_ALLOW;
	}
	return v;
}

static __always_inline int unix_gate_cg(struct bpf_sock_addr *ctx, __u16 hook)
{
	struct bpf_sock_addr_kern *k = (struct bpf_sock_addr_kern *)ctx;
	__u32 zero = 0, rule_id = WD_RULE_DEFAULT, alen, n;
	struct wd_unix_scratch *s = bpf_map_lookup_elem(&wd_unix_scratch_map, &zero);
	struct wd_policy_cfg *cfg;
	struct wd_sandbox *sb;
	struct wd_event *e;
	__u8 v = WD_V_DENY, decision;
	struct sockaddr *ua;
	__u64 cgid;

	/* Attached to sandbox cgroups only: a task there whose sandbox is not found (a cgroup
	 * namespace hiding the real depth) is refused, as by the other gates. */
	cgid = wd_cgroup_sandbox(&sb);
	if (!cgid || !s)
		return 0;
	cfg = wd_policy(sb->policy_id);
	/* The kernel's copy of the address (a sockaddr_storage) and its length. */
	ua = BPF_CORE_READ(k, uaddr);
	alen = BPF_CORE_READ(k, uaddrlen);
	n = alen > 2 ? alen - 2 : 0;
	if (n > WD_SUN_PATH_MAX)
		n = WD_SUN_PATH_MAX;
	__builtin_memset(s->raw, 0, sizeof(s->raw));
	s->norm[0] = '\0';
	if (!ua || !n || bpf_probe_read_kernel(s->raw, WD_SUN_PATH_MAX, (char *)ua + 2))
		goto decided; /* no address to decide on: refused */
	if (!s->raw[0]) {
		/* Abstract: the name is what follows the NUL. */
		__u32 len = (n - 1) & 0x7f;

		s->norm[0] = '@';
		bpf_probe_read_kernel(s->norm + 1, len, s->raw + 1);
		s->norm[(len + 1) & 127] = '\0';
		if (cfg)
			v = wd_abstract_rules(sb->policy_id, s->raw + 1, len, &rule_id);
		/* What no rule names: the sandbox's own with "to: sandbox"; Landlock's scope
		 * (rung 3) refuses the ones made outside. */
		if (cfg && v == WD_V_NONE && cfg->sandbox_rule) {
			v = WD_V_ALLOW;
			rule_id = cfg->sandbox_rule;
		}
		goto decided;
	}
	if (s->raw[0] != '/') {
		/* Relative: the working directory is not seen here. Without "..", it passes as
		 * the sandbox's own with "to: sandbox" (a job's "srv.sock" in its workdir), as the
		 * rung 3 report says; with "..", refused. */
		bpf_probe_read_kernel_str(s->norm, sizeof(s->norm), s->raw);
		if (cfg && cfg->sandbox_rule && !dotdot(s, n)) {
			v = WD_V_ALLOW;
			rule_id = cfg->sandbox_rule;
		}
		goto decided;
	}
	if (normalize(s, n) < 0 || magic_path(s)) {
		/* ".." or through magic links: not decidable on the path. */
		bpf_probe_read_kernel_str(s->norm, sizeof(s->norm), s->raw);
		goto decided;
	}
	if (cfg)
		v = path_verdict(s, cfg, sb->policy_id, &rule_id);
decided:
	if (v == WD_V_ALLOW)
		return 1; /* as rung 1: unix sockets report refusals only */
	/* glibc tries nscd's socket at every name lookup; where nscd does not run, rung 1 sees
	 * nothing (the kernel finds no socket before its hook). Refused here too, without an
	 * event: this hook cannot tell a missing socket from one that is there. */
	if (nscd_path(s))
		return cfg && (cfg->flags & WD_POL_AUDIT) ? 1 : 0;
	decision = cfg && (cfg->flags & WD_POL_AUDIT) ? WD_DEC_AUDIT_DENY : WD_DEC_DENY;
	wd_hit(rule_id);
	e = wd_event_reserve(WD_EV_CONNECT, cgid);
	if (e) {
		wd_event_task(e, cgid, sb->policy_id, rule_id, decision, hook);
		e->family = AF_UNIX;
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), s->norm);
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? 0 : 1;
}

/* Sections libbpf 1.1 does not know: the loader sets their type and attach type. */
SEC("cgroup/connect_unix")
int wd_cg_unix_conn(struct bpf_sock_addr *ctx)
{
	return unix_gate_cg(ctx, WD_HOOK_UNIX_CONNECT);
}

SEC("cgroup/sendmsg_unix")
int wd_cg_unix_send(struct bpf_sock_addr *ctx)
{
	return unix_gate_cg(ctx, WD_HOOK_UNIX_SEND);
}
