/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI warden's BPF programs and its userspace share: map keys and values, and the event
 * records of the ring buffer. Fixed-width types only; layouts are checked from both compilers. */
#ifndef WARDEN_ABI_H
#define WARDEN_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WD_ABI_VERSION 1

#define WD_PATH_MAX	 256 /* bytes of a path matched and reported, NUL included */
#define WD_PREFIX_MAX	 252 /* LPM tries hold at most 256 bytes of data: 4 of policy id + this */
#define WD_COMM_LEN	 16
#define WD_NET_RULES_MAX 16	/* port/protocol rules attached to one address prefix */
#define WD_NAME_MAX	 16	/* /proc/<pid>/NAME rules */
#define WD_RULES_MAX	 262144 /* hit counters, indexed by rule id */
#define WD_SANDBOXES_MAX 4096
#define WD_POLICIES_MAX	 1024
#define WD_LEVELS_MAX	 16 /* sandbox cgroups are at levels 1 .. WD_LEVELS_MAX - 1 */

/* Rule ids are global; 0 is the implicit default rule ("nothing allowed it"). */
#define WD_RULE_DEFAULT 0

/* What a file rule governs. */
enum wd_op {
	WD_OP_EXEC = 0, /* execve of the file, or mapping it executable */
	WD_OP_READ = 1,
	WD_OP_WRITE = 2,
	WD_OP_UNIX = 3, /* connect or send to a unix socket bound at the path (network: unix:) */
	WD_OP_NR = 4,
};

enum wd_verdict {
	WD_V_NONE = 0, /* no rule says anything */
	WD_V_ALLOW = 1,
	WD_V_DENY = 2,
};

/* What the kernel did, as reported in events. */
enum wd_decision {
	WD_DEC_ALLOW = 1,
	WD_DEC_DENY = 2,
	WD_DEC_AUDIT_DENY = 3, /* audit mode: would have been denied */
};

/* Per-op verdicts of one file rule entry, with the rule that set each (for events and hits). */
struct wd_file_rule {
	__u8 verdict[WD_OP_NR]; /* enum wd_verdict, indexed by enum wd_op */
	__u8 flags;		/* WD_FR_* (wd_file_exact entries) */
	__u8 pad[3];
	__u32 rule_id[WD_OP_NR];
};

/* wd_file_rule.flags: the path is a denied path or lies on the way to one (an ancestor of a read
 * or write deny rule's path): it may not be renamed (either side), removed, or replaced by a
 * link, symlink or node, whatever the write rules allow, since moving it would move the
 * protected path away from its rule. rule_id[WD_OP_WRITE] names the deny rule when the entry
 * has no write verdict of its own. */
#define WD_FR_ANCHOR 0x1

/* wd_file_exact (hash): a whole resolved path. */
struct wd_path_key {
	__u32 policy_id;
	char path[WD_PATH_MAX];
};

/* wd_file_prefix (LPM trie): a directory prefix, always ending in '/'. prefixlen counts bits
 * from policy_id on: 32 + 8 * strlen(path). The compiler folds every shorter prefix's verdicts
 * into each entry (deny wins), so one lookup gives the complete answer. */
struct wd_prefix_key {
	__u32 prefixlen;
	__u32 policy_id;
	char path[WD_PREFIX_MAX];
};

/* wd_file_inode (hash): protected files by identity, so hardlinks and bind mounts match too.
 * dev is the kernel's encoding (major << 20 | minor). */
struct wd_inode_key {
	__u32 policy_id;
	__u32 dev;
	__u64 ino;
};

/* wd_proc_name (hash): /proc/<pid>/NAME of processes other than the caller. */
struct wd_proc_key {
	__u32 policy_id;
	char name[WD_NAME_MAX];
};

/* wd_net (LPM trie): an address prefix. IPv4 is stored as IPv4-mapped IPv6 (::ffff:a.b.c.d), so
 * prefixlen = 32 + (96 + v4 prefix) for IPv4 and 32 + v6 prefix for IPv6. Every entry carries
 * the port rules of all shorter prefixes too (folded by the compiler). */
struct wd_net_key {
	__u32 prefixlen;
	__u32 policy_id;
	__u8 addr[16];
};

enum wd_proto {
	WD_PROTO_ANY = 0,
	WD_PROTO_TCP = 6,
	WD_PROTO_UDP = 17,
};

struct wd_port_rule {
	__u16 port_lo; /* host byte order; 0-65535 is any port */
	__u16 port_hi;
	__u8 proto;   /* enum wd_proto */
	__u8 verdict; /* enum wd_verdict */
	__u16 pad;
	__u32 rule_id;
};

struct wd_net_rules {
	__u32 n;
	__u32 pad;
	struct wd_port_rule r[WD_NET_RULES_MAX];
};

/* Policy-wide settings, wd_policies (array) indexed by policy id. */
/* wd_policy_cfg.flags. Defines, not an enum: bit 31 does not fit an int enumerator. */
#define WD_POL_AUDIT	      (1u << 0)	 /* allow everything, report would-be denials */
#define WD_POL_ALLOW_FILELESS (1u << 1)	 /* exec of memfd or deleted files */
#define WD_POL_ALLOW_JIT      (1u << 2)	 /* memory made executable at run time (jit: allow) */
#define WD_POL_VALID	      (1u << 31) /* the slot holds a policy */

struct wd_policy_cfg {
	__u32 flags;
	__u32 sandbox_rule; /* the rule id of "to: sandbox" (the sandbox's own listeners); 0: none
			     */
	__u64 families;	    /* bit N set: socket(AF_N, ...) allowed (N < 64) */
	__u64 raw_families; /* bit N set: SOCK_RAW and SOCK_PACKET allowed in AF_N too */
};

/* wd_unix_abstract (array), WD_ABSTRACT_MAX entries per policy at policy_id * WD_ABSTRACT_MAX:
 * the policy's rules for abstract unix sockets ("abstract:"), by name without the leading NUL.
 * An entry with verdict WD_V_NONE ends the list. */
#define WD_ABSTRACT_MAX	     16
#define WD_ABSTRACT_NAME_MAX 107 /* sun_path minus the leading NUL */

struct wd_abstract_rule {
	__u8 len;     /* bytes of name */
	__u8 prefix;  /* 1: names starting with name; 0: exactly name */
	__u8 verdict; /* enum wd_verdict */
	__u8 pad;
	__u32 rule_id;
	char name[WD_ABSTRACT_NAME_MAX + 1];
};

/* wd_sandbox.flags */
#define WD_SB_HELD                                                                                 \
	(1u << 0) /* held by the kernel when made (an adoption rule matched its path),             \
		   * not adopted by the daemon yet */
/* Its processes run under warden's rung-3 seccomp filter: the sys_exit program reports their
 * refused system calls (wd_sc_refused). Kept when the sandbox switches policy. */
#define WD_SB_SECCOMP (1u << 1)

/* wd_sandboxes (hash), keyed by the sandbox cgroup id. */
struct wd_sandbox {
	__u32 policy_id;
	__u32 flags;
};

/* wd_sc_refused (array), indexed by x86_64 system call number: what warden's rung-3 seccomp
 * filter answers a call it refuses (sandbox/seccomp.h), all zero for calls it lets through.
 * The sys_exit program reports a call of a WD_SB_SECCOMP sandbox that returned -err. Only
 * EPERM and ENOSYS: the program checks the return value against those two before anything
 * else. */
#define WD_SC_NR_MAX 512

struct wd_sc_refusal {
	__u8 err;   /* EPERM or ENOSYS; 0: not refused by the filter */
	__u8 flags; /* WD_SC_* */
	__u16 pad;
};

/* Refused only for some arguments (socket families, clone flags, TIOCSTI, setuid modes, ...):
 * the kernel itself may answer the same error for the same call, and the event says so. */
#define WD_SC_BY_ARGS 0x1
/* A change to the file system: its EROFS is a refusal by the read-only mounts of rung 3's mount
 * namespace (everything outside the write rules), or a read-only file system. */
#define WD_SC_ROFS 0x2

/* Adoption rules as the kernel matches them when a cgroup is made (wd_adopt, hash keyed by
 * bank * WD_ADOPT_MAX + the rule's index; wd_adopt_bank says which of the two banks is in
 * force, so a new rule set replaces the old one in one write): a new cgroup v2 directory at
 * @level whose path below the hierarchy's root matches @pat (warden/glob.h) is a sandbox under
 * @policy_id from its first instant. */
#define WD_ADOPT_MAX	  32
#define WD_ADOPT_PAT_MAX  256	     /* bytes of a pattern, NUL included; a power of two */
#define WD_CG_PATH_MAX	  1024	     /* bytes of a cgroup path the kernel reports; a power of two */
#define WD_GLOB_STEPS_MAX (1u << 13) /* per rule and mkdir; real patterns need a few hundred */

struct wd_adopt_pat {
	char pat[WD_ADOPT_PAT_MAX];
	__u32 level;
	__u32 policy_id;
};

/* Event records in the ring buffer. Every record starts with this header. */
enum wd_event_type {
	WD_EV_EXEC = 1,
	WD_EV_FILE = 2,
	WD_EV_MMAP = 3,
	WD_EV_CONNECT = 4, /* connect, or sendmsg without one (UDP) */
	WD_EV_SOCKET = 5,  /* socket creation (raw, packet) */
	WD_EV_CONFINE = 6, /* attempts to leave the sandbox */
	WD_EV_LOST = 7,	   /* reserve failures since the last record */
};

struct wd_event_hdr {
	__u16 version;	/* WD_ABI_VERSION */
	__u16 type;	/* enum wd_event_type */
	__u32 size;	/* bytes of the whole record */
	__u64 ktime_ns; /* bpf_ktime_get_boot_ns */
};

struct wd_event {
	struct wd_event_hdr hdr;
	__u64 cgroup_id; /* the sandbox's cgroup */
	__u32 policy_id;
	__u32 rule_id;
	__u32 pid; /* thread group id */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u8 decision; /* enum wd_decision */
	__u8 op;       /* enum wd_op for file events */
	__u8 family;   /* AF_INET, AF_INET6 for network events; socket family for WD_EV_SOCKET */
	__u8 proto;    /* IPPROTO_* or socket type */
	/* Network events and binds: the port, host byte order. WD_EV_FILE: WD_PATHERR_* when the
	 * path could not be resolved, else 0. WD_EV_CONFINE: what was attempted (the detail of
	 * the hook, below at enum wd_hook). */
	__u16 port;
	__u16 hook;    /* which enforcement point (enum wd_hook) */
	__u8 addr[16]; /* IPv4 as IPv4-mapped IPv6 */
	/* WD_EV_LOST: how many records were dropped. WD_EV_CONFINE: the other process's pid, the
	 * key's serial or the socket option's level (the target of the hook, below at enum
	 * wd_hook). */
	__u64 lost;
	char comm[WD_COMM_LEN];
	char exe[WD_PATH_MAX];
	char path[WD_PATH_MAX];
};

/* Network events of the cgroup hooks end before exe (WD_EVENT_SHORT_SIZE bytes): those hooks know
 * no executable and no path, and a short record moves a sixth of the bytes through the ring
 * buffer, which then holds six times as many. Userspace reads one as a record whose exe and
 * path are empty (wd_event_from_ring()). */
#define WD_EVENT_SHORT_SIZE 96

/* Where an event was decided; the names events carry, and the programs that send each id, are
 * the rows of user/hooks/hooks.c (tests/unit/test_hooks.c fails for an id without its row).
 * A WD_EV_CONFINE event says what was attempted in wd_event.port (the detail) and whom it was
 * aimed at in wd_event.lost (the target), 0 where a hook has none:
 * - capable: the capability;
 * - bpf: the bpf(2) command;
 * - task_kill: the signal, and the pid (tgid) it was sent to;
 * - ptrace: the ptrace mode, and the other pid (the tracee; the tracer for PTRACE_TRACEME);
 * - mount: 1 for a cgroup mkdir (path_mkdir in cgroupfs), else 0;
 * - setsockopt: the option (IP_RETOPTS from socket_sendmsg), and its level (1, SOL_SOCKET:
 *   SO_BROADCAST);
 * - path_chmod, path_mknod with an empty path: the mode of a setuid or setgid file;
 * - key_permission: the kernel's key_need_perm, and the key's serial;
 * - file_ioctl, file_ioctl_compat: the ioctl command;
 * - bind4, bind6: port, addr and proto are the address bound, as in network events;
 * - seccomp (the sys_exit program): the system call's number, and the error the filter answers
 *   (EPERM, ENOSYS); wd_event.op has the call's WD_SC_* flags (WD_SC_BY_ARGS: the kernel may
 *   have refused it for another reason). A short record: no exe, no path.
 * wd_event_confine_detail() and wd_event_confine_target() name the two uses. */
#define wd_event_confine_detail(e) ((e)->port)
#define wd_event_confine_target(e) ((e)->lost)

enum wd_hook {
	WD_HOOK_BPRM = 1,
	WD_HOOK_MMAP = 2,
	WD_HOOK_MPROTECT = 3,
	WD_HOOK_FILE_OPEN = 4,
	WD_HOOK_CONNECT4 = 5,
	WD_HOOK_CONNECT6 = 6,
	WD_HOOK_SENDMSG4 = 7,
	WD_HOOK_SENDMSG6 = 8,
	WD_HOOK_SOCK_CONNECT = 9,
	WD_HOOK_SOCK_SENDMSG = 10,
	WD_HOOK_SOCK_CREATE = 11,
	WD_HOOK_TASK_ALLOC = 12,
	WD_HOOK_UNIX_CONNECT = 13,
	WD_HOOK_CAPABLE = 14,
	WD_HOOK_BPF = 15,
	WD_HOOK_TASK_KILL = 16,
	WD_HOOK_PTRACE = 17,
	WD_HOOK_MOUNT = 18,
	WD_HOOK_CHROOT = 19,
	WD_HOOK_USERNS = 20,
	WD_HOOK_SETSOCKOPT = 21,
	WD_HOOK_FILE_RECEIVE = 22,
	WD_HOOK_PATH_LINK = 23,
	WD_HOOK_TRUNCATE = 24,
	WD_HOOK_UNIX_SEND = 25,
	/* Changes to the file system, decided by the write rules (WD_EV_FILE, op WD_OP_WRITE,
	 * wd_event.proto says which change: enum wd_change). */
	WD_HOOK_PATH_UNLINK = 26,
	WD_HOOK_PATH_RMDIR = 27,
	WD_HOOK_PATH_MKDIR = 28,
	WD_HOOK_PATH_MKNOD = 29,
	WD_HOOK_PATH_SYMLINK = 30,
	WD_HOOK_PATH_RENAME = 31,
	WD_HOOK_PATH_CHMOD = 32,
	WD_HOOK_PATH_CHOWN = 33,
	WD_HOOK_INODE_SETXATTR = 34,
	WD_HOOK_INODE_REMOVEXATTR = 35,
	WD_HOOK_FILE_TRUNCATE = 36,    /* Linux 6.2 and later: ftruncate(2) */
	WD_HOOK_INODE_SET_ACL = 37,    /* Linux 6.2 and later: POSIX ACLs (before: setxattr) */
	WD_HOOK_INODE_REMOVE_ACL = 38, /* Linux 6.2 and later */
	/* The node's services and other sandboxes (docs/policy.md, "What a sandbox cannot reach").
	 */
	WD_HOOK_BIND4 = 39,		/* cgroup/bind4: a port another owner's socket holds */
	WD_HOOK_BIND6 = 40,		/* cgroup/bind6 */
	WD_HOOK_KEY_PERMISSION = 41,	/* a key or keyring made outside the sandbox */
	WD_HOOK_FILE_IOCTL = 42,	/* TIOCSTI, TIOCLINUX: typing into a terminal */
	WD_HOOK_EGRESS = 43,		/* cgroup_skb/egress: a packet to another owner's socket */
	WD_HOOK_FILE_IOCTL_COMPAT = 44, /* the same from 32-bit processes (6.8+, some 6.1) */
	/* Rung 3: a system call warden's seccomp filter refuses, seen returning its error by the
	 * raw_syscalls:sys_exit tracepoint (WD_EV_CONFINE). */
	WD_HOOK_SECCOMP = 45,
	/* Rungs 3 and 4: an exec seen after the fact (raw_tp/sched_process_exec), a denied one
	 * killed before it runs. */
	WD_HOOK_EXEC_TP = 46,
	/* Rung 3: a change to the file system refused with EROFS by a read-only mount, seen
	 * returning at raw_syscalls:sys_exit (WD_EV_CONFINE, as WD_HOOK_SECCOMP: the call, no
	 * path). */
	WD_HOOK_ROFS = 47,
	WD_HOOK_NR = 48,
};

/* What a WD_EV_FILE event changed (carried in wd_event.proto; 0 for an open). */
enum wd_change {
	WD_CH_OPEN = 0,
	WD_CH_TRUNCATE = 1,
	WD_CH_RENAME_FROM = 2, /* the source of a rename (the old name goes away) */
	WD_CH_RENAME_TO = 3,   /* the destination of a rename */
	WD_CH_LINK = 4,	       /* the new name of a hard link */
	WD_CH_SYMLINK = 5,     /* the new name of a symbolic link */
	WD_CH_UNLINK = 6,
	WD_CH_RMDIR = 7,
	WD_CH_MKDIR = 8,
	WD_CH_MKNOD = 9, /* a new file, fifo, unix socket or device node */
	WD_CH_CHMOD = 10,
	WD_CH_CHOWN = 11,
	WD_CH_SETXATTR = 12,
	WD_CH_REMOVEXATTR = 13,
	WD_CH_NR = 14,
};

/* wd_event.port of a WD_EV_FILE event whose path could not be resolved (path empty): the
 * change was refused because no rule can be applied to it (fail closed). */
#define WD_PATHERR_TOO_LONG 1 /* longer than the walk's buffer, or deeper than its bound */
#define WD_PATHERR_FAULT    2 /* a kernel read failed during the walk */

_Static_assert(sizeof(struct wd_event_hdr) == 16, "event header layout");
_Static_assert(sizeof(struct wd_file_rule) == 24, "file rule layout");
_Static_assert(sizeof(struct wd_abstract_rule) == 116, "abstract rule layout");
_Static_assert(sizeof(struct wd_port_rule) == 12, "port rule layout");
_Static_assert(sizeof(struct wd_net_key) == 24, "net key layout");
_Static_assert(sizeof(struct wd_sc_refusal) == 4, "seccomp refusal layout");
_Static_assert(sizeof(struct wd_event) == 96 + 2 * WD_PATH_MAX, "event layout");

#endif
