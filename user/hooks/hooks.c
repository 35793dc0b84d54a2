// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The hooks warden's programs attach to, for events, the loader and the probe alike (see
 * hooks.h). */
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "warden/probe_abi.h"
#include "hooks/hooks.h"

/* One row per program, one per line (clang-format would fold them), so that a change to one
 * hook is a change to one line. Columns: hook, program, event hook id, whether events with that
 * id carry this row's hook as their name (NAMES; ALSO for the other programs that send the
 * same id), the kinds of events; for LSM rows then the probe program, its arm, whether the
 * hook is optional, what it enforces, and what the probe's test child does. LSM rows first, in
 * the order `warden probe` lists them, each ending in its fmod_ret target (rung 2). */
#define LSM(h, wp, i, n, ev, pr, a, opt, nd, act, fr)                                              \
	{                                                                                          \
		.hook = h, .prog = wp, .obj = WD_OBJ_LSM, .id = i, .names = n,                     \
		.events = (ev) & ~K_SENDS, .sends = ((ev)&K_SENDS) != 0, .probe = pr, .arm = a,    \
		.optional = opt, .need = nd, .action = act, fr                                     \
	}
/* The last column of an LSM row: its target on rung 2 (hooks.h), the kernel function that calls
 * the hook with the same arguments; FR_OWN where warden has a program of its own there, FENTRY
 * where the function returns nothing. */
#define FR(f)	     .fn = f
#define FR_OWN(f, p) .fn = f, .fr_prog = p
#define FENTRY(f)    .fn = f, .fentry = true
#define CG(h, wp, i, n, ev)                                                                        \
	{                                                                                          \
		.hook = h, .prog = wp, .obj = WD_OBJ_CGROUP, .id = i, .names = n,                  \
		.events = (ev) & ~K_SENDS, .sends = ((ev)&K_SENDS) != 0                            \
	}
/* A cgroup-object row whose events carry @name rather than its section. */
#define CG_AS(h, wp, i, n, ev, name)                                                               \
	{                                                                                          \
		.hook = h, .prog = wp, .obj = WD_OBJ_CGROUP, .id = i, .names = n,                  \
		.events = (ev) & ~K_SENDS, .sends = ((ev)&K_SENDS) != 0, .event_name = name        \
	}
/* A tracepoint program of the LSM object, loaded where its LSM programs are not (rungs 3, 4). */
#define TP(h, wp, i, n, ev)                                                                        \
	{                                                                                          \
		.hook = h, .prog = wp, .obj = WD_OBJ_LSM, .id = i, .names = n, .events = (ev)      \
	}
#define NAMES	 true
#define ALSO	 false
#define OPTIONAL true
#define ALWAYS	 false
#define K_NONE	 0u
#define K_EXEC	 WD_EVK(WD_EV_EXEC)
#define K_MMAP	 WD_EVK(WD_EV_MMAP)
#define K_FILE	 (WD_EVK(WD_EV_FILE) | WD_EVK(WD_EV_CONFINE)) /* write rules, and confinement */
#define K_CONN	 WD_EVK(WD_EV_CONNECT)
#define K_SENDS	 (1u << 31)	    /* not an event kind: sets wd_hook_row.sends */
#define K_SEND	 (K_CONN | K_SENDS) /* connect events that are sends */
#define K_SOCKET WD_EVK(WD_EV_SOCKET)
#define K_CONF	 WD_EVK(WD_EV_CONFINE)

// clang-format off
const struct wd_hook_row wd_hooks[] = {
	/* exec */
	LSM("bprm_check_security", "wd_bprm_check", WD_HOOK_BPRM, NAMES, K_EXEC, "wd_p_bprm", WD_ARM_BPRM, ALWAYS, WD_NEED_EXEC, "execve of a test file", FR("security_bprm_check")),
	LSM("mmap_file", "wd_mmap_file", WD_HOOK_MMAP, NAMES, K_MMAP, "wd_p_mmap_file", WD_ARM_MMAP_FILE, ALWAYS, WD_NEED_EXEC, "mmap(PROT_EXEC) of a test file", FR_OWN("security_mmap_file", "wd_mmap_fr")),
	LSM("file_mprotect", "wd_mprotect", WD_HOOK_MPROTECT, NAMES, K_MMAP, "wd_p_mprotect", WD_ARM_MPROTECT, ALWAYS, WD_NEED_EXEC, "mprotect(PROT_EXEC)", FR("security_file_mprotect")),
	/* files */
	LSM("file_open", "wd_file_open", WD_HOOK_FILE_OPEN, NAMES, K_FILE, "wd_p_file_open", WD_ARM_FILE_OPEN, ALWAYS, WD_NEED_FILE, "open of a test file", FR("security_file_open")),
	LSM("path_link", "wd_path_link", WD_HOOK_PATH_LINK, NAMES, K_FILE, "wd_p_path_link", WD_ARM_PATH_LINK, ALWAYS, WD_NEED_FILE, "link(2)", FR("security_path_link")),
	LSM("path_truncate", "wd_truncate", WD_HOOK_TRUNCATE, NAMES, K_FILE, "wd_p_truncate", WD_ARM_PATH_TRUNCATE, ALWAYS, WD_NEED_FILE, "truncate(2)", FR("security_path_truncate")),
	LSM("path_mkdir", "wd_mkdir", WD_HOOK_PATH_MKDIR, NAMES, K_FILE, "wd_p_mkdir", WD_ARM_PATH_MKDIR, ALWAYS, WD_NEED_FILE, "mkdir(2)", FR("security_path_mkdir")),
	LSM("path_unlink", "wd_path_unlink", WD_HOOK_PATH_UNLINK, NAMES, K_FILE, "wd_p_unlink", WD_ARM_PATH_UNLINK, ALWAYS, WD_NEED_FILE, "unlink(2)", FR("security_path_unlink")),
	LSM("path_rmdir", "wd_path_rmdir", WD_HOOK_PATH_RMDIR, NAMES, K_FILE, "wd_p_rmdir", WD_ARM_PATH_RMDIR, ALWAYS, WD_NEED_FILE, "rmdir(2)", FR("security_path_rmdir")),
	LSM("path_mknod", "wd_path_mknod", WD_HOOK_PATH_MKNOD, NAMES, K_FILE, "wd_p_mknod", WD_ARM_PATH_MKNOD, ALWAYS, WD_NEED_FILE, "mknod(2) of a FIFO", FR("security_path_mknod")),
	LSM("path_symlink", "wd_path_symlink", WD_HOOK_PATH_SYMLINK, NAMES, K_FILE, "wd_p_symlink", WD_ARM_PATH_SYMLINK, ALWAYS, WD_NEED_FILE, "symlink(2)", FR("security_path_symlink")),
	LSM("path_rename", "wd_path_rename", WD_HOOK_PATH_RENAME, NAMES, K_FILE, "wd_p_rename", WD_ARM_PATH_RENAME, ALWAYS, WD_NEED_FILE, "rename(2)", FR("security_path_rename")),
	LSM("path_chmod", "wd_path_chmod", WD_HOOK_PATH_CHMOD, NAMES, K_FILE, "wd_p_chmod", WD_ARM_PATH_CHMOD, ALWAYS, WD_NEED_FILE, "chmod(2)", FR("security_path_chmod")),
	LSM("path_chown", "wd_path_chown", WD_HOOK_PATH_CHOWN, NAMES, K_FILE, "wd_p_chown", WD_ARM_PATH_CHOWN, ALWAYS, WD_NEED_FILE, "chown(2)", FR("security_path_chown")),
	LSM("inode_setxattr", "wd_setxattr", WD_HOOK_INODE_SETXATTR, NAMES, K_FILE, "wd_p_setxattr", WD_ARM_SETXATTR, ALWAYS, WD_NEED_FILE, "setxattr(2)", FR("security_inode_setxattr")),
	LSM("inode_removexattr", "wd_removexattr", WD_HOOK_INODE_REMOVEXATTR, NAMES, K_FILE, "wd_p_rmxattr", WD_ARM_REMOVEXATTR, ALWAYS, WD_NEED_FILE, "removexattr(2)", FR("security_inode_removexattr")),
	/* Linux 6.2 and later; before, ftruncate and ACLs meet path_truncate and setxattr. */
	LSM("file_truncate", "wd_ftruncate", WD_HOOK_FILE_TRUNCATE, NAMES, K_FILE, "wd_p_ftruncate", WD_ARM_FILE_TRUNCATE, OPTIONAL, WD_NEED_FILE, "ftruncate(2)", FR("security_file_truncate")),
	LSM("inode_set_acl", "wd_set_acl", WD_HOOK_INODE_SET_ACL, NAMES, K_FILE, "wd_p_set_acl", WD_ARM_SET_ACL, OPTIONAL, WD_NEED_FILE, "setting a POSIX ACL", FR("security_inode_set_acl")),
	LSM("inode_remove_acl", "wd_remove_acl", WD_HOOK_INODE_REMOVE_ACL, NAMES, K_FILE, "wd_p_remove_acl", WD_ARM_REMOVE_ACL, OPTIONAL, WD_NEED_FILE, "removing a POSIX ACL", FR("security_inode_remove_acl")),
	/* sockets */
	LSM("socket_create", "wd_sock_create", WD_HOOK_SOCK_CREATE, NAMES, K_SOCKET, "wd_p_sk_create", WD_ARM_SOCK_CREATE, ALWAYS, WD_NEED_SOCKET, "socket(2)", FR("security_socket_create")),
	LSM("socket_connect", "wd_sock_connect", WD_HOOK_SOCK_CONNECT, NAMES, K_CONN, "wd_p_sk_conn", WD_ARM_SOCK_CONNECT, ALWAYS, WD_NEED_SOCKET, "connect(2)", FR("security_socket_connect")),
	LSM("socket_sendmsg", "wd_sock_sendmsg", WD_HOOK_SOCK_SENDMSG, NAMES, K_SEND, "wd_p_sk_send", WD_ARM_SOCK_SENDMSG, ALWAYS, WD_NEED_SOCKET, "send(2)", FR("security_socket_sendmsg")),
	LSM("unix_stream_connect", "wd_unix_connect", WD_HOOK_UNIX_CONNECT, NAMES, K_CONN, "wd_p_unix_conn", WD_ARM_UNIX_CONNECT, ALWAYS, WD_NEED_SOCKET, "connect(2) to a unix stream socket", FR("security_unix_stream_connect")),
	LSM("unix_may_send", "wd_unix_send", WD_HOOK_UNIX_SEND, NAMES, K_SEND, "wd_p_unix_send", WD_ARM_UNIX_SEND, ALWAYS, WD_NEED_SOCKET, "send(2) on a unix datagram socket", FR("security_unix_may_send")),
	/* confinement */
	LSM("socket_setsockopt", "wd_setsockopt", WD_HOOK_SETSOCKOPT, NAMES, K_CONF, "wd_p_setsockopt", WD_ARM_SETSOCKOPT, ALWAYS, WD_NEED_CONFINE, "setsockopt(2)", FR("security_socket_setsockopt")),
	LSM("file_receive", "wd_file_receive", WD_HOOK_FILE_RECEIVE, NAMES, K_CONF, "wd_p_file_recv", WD_ARM_FILE_RECEIVE, ALWAYS, WD_NEED_CONFINE, "receiving a descriptor (SCM_RIGHTS)", FR("security_file_receive")),
	LSM("task_alloc", "wd_task_alloc", WD_HOOK_TASK_ALLOC, NAMES, K_CONF, "wd_p_task_alloc", WD_ARM_TASK_ALLOC, ALWAYS, WD_NEED_CONFINE, "fork(2)", FR("security_task_alloc")),
	LSM("capable", "wd_capable", WD_HOOK_CAPABLE, NAMES, K_CONF, "wd_p_capable", WD_ARM_CAPABLE, ALWAYS, WD_NEED_CONFINE, "unshare(CLONE_NEWUTS), which needs CAP_SYS_ADMIN", FR("security_capable")),
	LSM("bpf", "wd_bpf", WD_HOOK_BPF, NAMES, K_CONF, "wd_p_bpf", WD_ARM_BPF, ALWAYS, WD_NEED_CONFINE, "bpf(BPF_MAP_GET_NEXT_ID)", FR("security_bpf")),
	LSM("task_kill", "wd_task_kill", WD_HOOK_TASK_KILL, NAMES, K_CONF, "wd_p_task_kill", WD_ARM_TASK_KILL, ALWAYS, WD_NEED_CONFINE, "kill(2)", FR("security_task_kill")),
	LSM("ptrace_access_check", "wd_ptrace", WD_HOOK_PTRACE, NAMES, K_CONF, "wd_p_ptrace", WD_ARM_PTRACE, ALWAYS, WD_NEED_CONFINE, "ptrace(PTRACE_SEIZE)", FR("security_ptrace_access_check")),
	LSM("ptrace_traceme", "wd_traceme", WD_HOOK_PTRACE, ALSO, K_CONF, "wd_p_traceme", WD_ARM_TRACEME, ALWAYS, WD_NEED_CONFINE, "ptrace(PTRACE_TRACEME)", FR("security_ptrace_traceme")),
	LSM("sb_mount", "wd_sb_mount", WD_HOOK_MOUNT, NAMES, K_CONF, "wd_p_sb_mount", WD_ARM_SB_MOUNT, ALWAYS, WD_NEED_CONFINE, "mount(2) in a mount namespace of its own", FR("security_sb_mount")),
	LSM("sb_umount", "wd_sb_umount", WD_HOOK_MOUNT, ALSO, K_CONF, "wd_p_sb_umount", WD_ARM_SB_UMOUNT, ALWAYS, WD_NEED_CONFINE, "umount(2) in a mount namespace of its own", FR("security_sb_umount")),
	LSM("move_mount", "wd_move_mount", WD_HOOK_MOUNT, ALSO, K_CONF, "wd_p_move_mount", WD_ARM_MOVE_MOUNT, ALWAYS, WD_NEED_CONFINE, "move_mount(2) in a mount namespace of its own", FR("security_move_mount")),
	LSM("sb_pivotroot", "wd_pivotroot", WD_HOOK_CHROOT, ALSO, K_CONF, "wd_p_pivotroot", WD_ARM_PIVOTROOT, ALWAYS, WD_NEED_CONFINE, "pivot_root(2) in a mount namespace of its own", FR("security_sb_pivotroot")),
	LSM("path_chroot", "wd_chroot", WD_HOOK_CHROOT, NAMES, K_CONF, "wd_p_chroot", WD_ARM_CHROOT, ALWAYS, WD_NEED_CONFINE, "chroot(2)", FR("security_path_chroot")),
	LSM("userns_create", "wd_userns", WD_HOOK_USERNS, NAMES, K_CONF, "wd_p_userns", WD_ARM_USERNS, ALWAYS, WD_NEED_CONFINE, "unshare(CLONE_NEWUSER)", FR("security_create_user_ns")),
	/* the node's keyrings and terminals */
	LSM("key_alloc", "wd_key_alloc", WD_HOOK_KEY_PERMISSION, ALSO, K_CONF, "wd_p_key_alloc", WD_ARM_KEY_ALLOC, ALWAYS, WD_NEED_CONFINE, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)", FR("security_key_alloc")),
	LSM("key_permission", "wd_key_perm", WD_HOOK_KEY_PERMISSION, NAMES, K_CONF, "wd_p_key_perm", WD_ARM_KEY_PERMISSION, ALWAYS, WD_NEED_CONFINE, "keyctl(KEYCTL_DESCRIBE)", FR("security_key_permission")),
	LSM("key_free", "wd_key_free", WD_HOOK_KEY_PERMISSION, ALSO, K_NONE, "wd_p_key_free", WD_ARM_KEY_FREE, ALWAYS, WD_NEED_CONFINE, "letting go of a key it made (keyctl(KEYCTL_INVALIDATE))", FENTRY("security_key_free")),
	LSM("file_ioctl", "wd_file_ioctl", WD_HOOK_FILE_IOCTL, NAMES, K_CONF, "wd_p_file_ioctl", WD_ARM_FILE_IOCTL, ALWAYS, WD_NEED_CONFINE, "ioctl(FIONREAD) on a pipe", FR("security_file_ioctl")),
	LSM("file_ioctl_compat", "wd_ioctl_compat", WD_HOOK_FILE_IOCTL_COMPAT, NAMES, K_CONF, "wd_p_ioctl32", WD_ARM_FILE_IOCTL_COMPAT, OPTIONAL, WD_NEED_CONFINE, "a 32-bit ioctl(FIONREAD) on a pipe (int $0x80)", FR("security_file_ioctl_compat")),
	/* bpf/wd_cgroup.bpf.c: the sockets' owners, connects and sends, packets, binds, block
	 * devices (their events on file_open or path_mknod, as rung 1's), unix sockets by path
	 * where BPF LSM is missing (events as rung 1's); the wd_hold_* programs are the same
	 * checks for cgroups held before the daemon adopts them */
	CG("cgroup/sock_create", "wd_sock_owner", 0, ALSO, K_NONE),
	CG("cgroup/connect4", "wd_connect4", WD_HOOK_CONNECT4, NAMES, K_CONN),
	CG("cgroup/connect6", "wd_connect6", WD_HOOK_CONNECT6, NAMES, K_CONN),
	CG("cgroup/sendmsg4", "wd_sendmsg4", WD_HOOK_SENDMSG4, NAMES, K_SEND),
	CG("cgroup/sendmsg6", "wd_sendmsg6", WD_HOOK_SENDMSG6, NAMES, K_SEND),
	CG("cgroup/connect4", "wd_hold_conn4", WD_HOOK_CONNECT4, ALSO, K_CONN),
	CG("cgroup/connect6", "wd_hold_conn6", WD_HOOK_CONNECT6, ALSO, K_CONN),
	CG("cgroup/sendmsg4", "wd_hold_send4", WD_HOOK_SENDMSG4, ALSO, K_SEND),
	CG("cgroup/sendmsg6", "wd_hold_send6", WD_HOOK_SENDMSG6, ALSO, K_SEND),
	CG("cgroup_skb/egress", "wd_egress", WD_HOOK_EGRESS, NAMES, K_CONN),
	CG("cgroup_skb/egress", "wd_hold_egress", WD_HOOK_EGRESS, ALSO, K_CONN),
	CG("cgroup/bind4", "wd_bind4", WD_HOOK_BIND4, NAMES, K_CONF),
	CG("cgroup/bind6", "wd_bind6", WD_HOOK_BIND6, NAMES, K_CONF),
	CG("cgroup/bind4", "wd_hold_bind4", WD_HOOK_BIND4, ALSO, K_CONF),
	CG("cgroup/bind6", "wd_hold_bind6", WD_HOOK_BIND6, ALSO, K_CONF),
	CG("cgroup/dev", "wd_device", WD_HOOK_FILE_OPEN, ALSO, K_CONF),
	CG("cgroup/connect_unix", "wd_cg_unix_conn", WD_HOOK_UNIX_CONNECT, ALSO, K_CONN),
	CG("cgroup/sendmsg_unix", "wd_cg_unix_send", WD_HOOK_UNIX_SEND, ALSO, K_SEND),
	CG("raw_tp/cgroup_mkdir", "wd_cgroup_mkdir", 0, ALSO, K_NONE),
	CG("raw_tp/cgroup_rmdir", "wd_cgroup_rmdir", 0, ALSO, K_NONE),
	/* rung 3: what warden's seccomp filter refused, seen at the call's return (attached only
	 * while rung 3 may run) */
	CG_AS("raw_tp/sys_exit", "wd_sc_exit", WD_HOOK_SECCOMP, NAMES, K_CONF, "seccomp"),
	/* rung 3: a change to the file system a read-only mount refused (EROFS), same program */
	CG_AS("raw_tp/sys_exit", "wd_sc_exit", WD_HOOK_ROFS, NAMES, K_CONF, "read-only-mount"),
	TP("raw_tp/sched_process_exec", "wd_exec_tp", WD_HOOK_EXEC_TP, NAMES, K_EXEC),
};
// clang-format on

const size_t wd_hooks_n = sizeof(wd_hooks) / sizeof(wd_hooks[0]);

/* Every LSM row has a probe program armed by a value of its own (test_hooks.c holds them to
 * it), so the arms count the LSM rows. */
const struct wd_hook_row *const wd_lsm_hooks = wd_hooks;
const size_t wd_lsm_hooks_n = WD_ARM_NR - 1;
_Static_assert(sizeof(wd_hooks) / sizeof(wd_hooks[0]) >= WD_ARM_NR - 1, "a row per probe arm");

/* Events carry the name of their hook id, looked up for every event: the row that names each id,
 * indexed once, when the program starts. */
static const struct wd_hook_row *naming_row[WD_HOOK_NR];

__attribute__((constructor)) static void index_hook_names(void)
{
	for (size_t i = 0; i < wd_hooks_n; i++)
		if (wd_hooks[i].names && wd_hooks[i].id < WD_HOOK_NR)
			naming_row[wd_hooks[i].id] = &wd_hooks[i];
}

const char *wd_hook_name(unsigned id)
{
	if (id == WD_HOOK_LANDLOCK)
		return "landlock";
	if (id == WD_HOOK_FANOTIFY)
		return "fanotify";
	if (id >= WD_HOOK_NR || !naming_row[id])
		return NULL;
	return naming_row[id]->event_name ? naming_row[id]->event_name : naming_row[id]->hook;
}

bool wd_hook_sends(unsigned id)
{
	return id < WD_HOOK_NR && naming_row[id] && naming_row[id]->sends;
}

unsigned wd_hook_id(const char *name)
{
	if (name && strcmp(name, "landlock") == 0)
		return WD_HOOK_LANDLOCK;
	if (name && strcmp(name, "fanotify") == 0)
		return WD_HOOK_FANOTIFY;
	for (size_t i = 0; name && i < wd_hooks_n; i++)
		if (wd_hooks[i].names &&
		    strcmp(wd_hooks[i].event_name ? wd_hooks[i].event_name : wd_hooks[i].hook,
			   name) == 0)
			return wd_hooks[i].id;
	return 0;
}

const struct wd_hook_row *wd_hook_by_prog(enum wd_bpf_obj obj, const char *prog)
{
	for (size_t i = 0; prog && i < wd_hooks_n; i++)
		if (wd_hooks[i].obj == obj &&
		    (strcmp(wd_hooks[i].prog, prog) == 0 ||
		     (wd_hooks[i].fr_prog && strcmp(wd_hooks[i].fr_prog, prog) == 0)))
			return &wd_hooks[i];
	return NULL;
}

const struct wd_lsm_feature wd_lsm_features[] = {
	{"bpf_d_path", "wd_p_d_path", "file_open", "usable in lsm/file_open"},
	{"task_storage", "wd_p_task_store", "task_alloc", "usable in lsm/task_alloc"},
};

const size_t wd_lsm_features_n = sizeof(wd_lsm_features) / sizeof(wd_lsm_features[0]);

const struct wd_hook_row *wd_lsm_hook_by_hook(const char *name)
{
	for (size_t i = 0; name && i < wd_lsm_hooks_n; i++)
		if (strcmp(wd_lsm_hooks[i].hook, name) == 0)
			return &wd_lsm_hooks[i];
	return NULL;
}

const struct wd_hook_row *wd_lsm_hook_by_prog(const char *name)
{
	for (size_t i = 0; name && i < wd_lsm_hooks_n; i++)
		if (strcmp(wd_lsm_hooks[i].prog, name) == 0 ||
		    (wd_lsm_hooks[i].fr_prog && strcmp(wd_lsm_hooks[i].fr_prog, name) == 0))
			return &wd_lsm_hooks[i];
	return NULL;
}

const struct wd_hook_row *wd_lsm_hook_by_probe(const char *name)
{
	for (size_t i = 0; name && i < wd_lsm_hooks_n; i++)
		if (strcmp(wd_lsm_hooks[i].probe, name) == 0)
			return &wd_lsm_hooks[i];
	return NULL;
}

const char *wd_mech_name(enum wd_mech m)
{
	switch (m) {
	case WD_MECH_LSM:
		return "bpf-lsm";
	case WD_MECH_FMODRET:
		return "fmod_ret";
	default:
		return "none";
	}
}

const char *wd_lsm_hook_prog(const struct wd_hook_row *h, enum wd_mech m)
{
	return m == WD_MECH_FMODRET && h->fr_prog ? h->fr_prog : h->prog;
}

bool wd_lsm_fn_in_kernel(const struct btf *vmlinux, const struct wd_hook_row *h)
{
	if (!h->fn)
		return false;
	return !vmlinux || btf__find_by_name_kind(vmlinux, h->fn, BTF_KIND_FUNC) >= 0;
}

bool wd_lsm_hook_in_kernel(const struct btf *vmlinux, const struct wd_hook_row *h)
{
	char fn[96];

	if (!vmlinux)
		return true;
	snprintf(fn, sizeof(fn), "bpf_lsm_%s", h->hook);
	return btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) >= 0;
}

/* What was opened: the event's path says which of the file systems file_open confines. */
static const char *confine_open_text(const struct wd_event *e)
{
	char path[sizeof(e->path) + 1];

	memcpy(path, e->path, sizeof(e->path));
	path[sizeof(e->path)] = '\0';
	if (strstr(path, "/cgroup"))
		return "confinement: a sandbox cannot change cgroup or write to cgroup files";
	if (strncmp(path, "/sys/fs/bpf", 11) == 0)
		return "confinement: a sandbox cannot open the BPF file system (warden's pinned "
		       "programs and maps)";
	if (strncmp(path, "/dev/", 5) == 0)
		return "confinement: a sandbox cannot open block devices";
	return "confinement: a sandbox cannot write to cgroup files, open the BPF file system "
	       "or open block devices";
}

/* A change to the file system refused whatever the write rules say: in cgroupfs or bpffs, or to a
 * device node (the record's path names it). */
static const char *confine_change_text(const struct wd_event *e)
{
	if (strncmp(e->path, "/dev/", 5) == 0)
		return "confinement: a sandbox cannot rename, remove or change device nodes";
	if (strncmp(e->path, "/sys/fs/bpf", 11) == 0)
		return "confinement: a sandbox cannot change the BPF file system";
	return "confinement: a sandbox cannot change device nodes, cgroup or BPF file systems";
}

const char *wd_confine_text(const struct wd_event *e)
{
	switch (e->hook) {
	case WD_HOOK_PATH_CHMOD:
	case WD_HOOK_PATH_MKNOD:
		if (!e->path[0])
			return "confinement: a sandbox cannot make setuid or setgid files";
		return confine_change_text(e);
	case WD_HOOK_PATH_UNLINK:
	case WD_HOOK_PATH_RMDIR:
	case WD_HOOK_PATH_MKDIR:
	case WD_HOOK_PATH_SYMLINK:
	case WD_HOOK_PATH_RENAME:
	case WD_HOOK_PATH_CHOWN:
	case WD_HOOK_INODE_SETXATTR:
	case WD_HOOK_INODE_REMOVEXATTR:
	case WD_HOOK_FILE_TRUNCATE:
	case WD_HOOK_INODE_SET_ACL:
	case WD_HOOK_INODE_REMOVE_ACL:
		return confine_change_text(e);
	case WD_HOOK_FILE_OPEN:
		return confine_open_text(e);
	case WD_HOOK_TASK_ALLOC:
		return "confinement: a sandbox cannot start processes in another cgroup";
	case WD_HOOK_CAPABLE:
		return "confinement: a sandbox cannot use capabilities that reach around its "
		       "enforcement";
	case WD_HOOK_BPF:
		return "confinement: a sandbox cannot use bpf(2)";
	case WD_HOOK_TASK_KILL:
		return "confinement: a sandbox cannot signal processes outside it";
	case WD_HOOK_PTRACE:
		return "confinement: a sandbox cannot trace processes outside it or be traced by "
		       "them";
	case WD_HOOK_MOUNT:
		return wd_event_confine_detail(e)
			       ? "confinement: a sandbox cannot create cgroups"
			       : "confinement: a sandbox cannot mount, unmount or move mounts";
	case WD_HOOK_CHROOT:
		return "confinement: a sandbox cannot chroot or pivot_root";
	case WD_HOOK_USERNS:
		return "confinement: a sandbox cannot create user namespaces";
	case WD_HOOK_SETSOCKOPT:
		if (wd_event_confine_target(e) == 1) /* SOL_SOCKET: SO_BROADCAST */
			return "confinement: a sandbox cannot send broadcasts";
		return "confinement: a sandbox cannot use source routing";
	case WD_HOOK_FILE_RECEIVE:
		return "confinement: a sandbox cannot receive sockets from outside it";
	case WD_HOOK_PATH_LINK:
		if (e->path[0])
			return confine_change_text(e);
		return "confinement: a sandbox cannot hardlink protected files";
	case WD_HOOK_TRUNCATE:
		if (e->path[0])
			return confine_change_text(e);
		return "confinement: a sandbox cannot truncate files by path";
	case WD_HOOK_KEY_PERMISSION:
		return "confinement: a sandbox cannot use keys or keyrings made outside it";
	case WD_HOOK_FILE_IOCTL:
	case WD_HOOK_FILE_IOCTL_COMPAT:
		return "confinement: a sandbox cannot push input into a terminal";
	case WD_HOOK_BIND4:
	case WD_HOOK_BIND6:
		return "confinement: a sandbox cannot bind a port a socket outside it holds";
	case WD_HOOK_SECCOMP:
		if (e->op & WD_SC_BY_ARGS)
			return "confinement: refused by warden's seccomp filter, which refuses "
			       "this "
			       "system call for some arguments, or by the kernel";
		return "confinement: refused by warden's seccomp filter";
	case WD_HOOK_ROFS:
		return "file write: refused by a read-only mount (rung 3: outside the write "
		       "rules), "
		       "or a read-only file system";
	default:
		return "confinement: refused in every sandbox, whatever the policy";
	}
}

const char *wd_default_rule_text(const struct wd_event *e)
{
	return e->hdr.type == WD_EV_CONFINE ? wd_confine_text(e) : "default: no rule allows it";
}
