// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Formatting kernel event records for people. Strings from the kernel are bounded copies; they
 * are printed with their bounds, never trusted to be terminated. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "event/fmt.h"
#include "event/event.h"
#include "hooks/hooks.h"
#include "lib/syscall.h"

const char *wd_decision_name(unsigned decision)
{
	switch (decision) {
	case WD_DEC_ALLOW:
		return "allow";
	case WD_DEC_DENY:
		return "DENY";
	case WD_DEC_AUDIT_DENY:
		return "AUDIT-DENY";
	}
	return "?";
}

const char *wd_change_name(unsigned change)
{
	static const char *const names[] = {
		[WD_CH_OPEN] = NULL,
		[WD_CH_TRUNCATE] = "truncate",
		[WD_CH_RENAME_FROM] = "rename-from",
		[WD_CH_RENAME_TO] = "rename-to",
		[WD_CH_LINK] = "link",
		[WD_CH_SYMLINK] = "symlink",
		[WD_CH_UNLINK] = "unlink",
		[WD_CH_RMDIR] = "rmdir",
		[WD_CH_MKDIR] = "mkdir",
		[WD_CH_MKNOD] = "mknod",
		[WD_CH_CHMOD] = "chmod",
		[WD_CH_CHOWN] = "chown",
		[WD_CH_SETXATTR] = "setxattr",
		[WD_CH_REMOVEXATTR] = "removexattr",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == WD_CH_NR, "a name for every change");

	return change < WD_CH_NR ? names[change] : NULL;
}

const char *wd_event_kind(const struct wd_event *e)
{
	switch (e->hdr.type) {
	case WD_EV_EXEC:
		return "exec";
	case WD_EV_MMAP:
		return "mmap-exec";
	case WD_EV_FILE:
		if (wd_change_name(e->proto))
			return wd_change_name(e->proto);
		return e->op == WD_OP_WRITE ? "open-write" : "open-read";
	case WD_EV_CONNECT:
		/* A message on a unix datagram socket has always read "connect" here, although
		 * its event says is_send: kept, lines stay as they were. */
		return (wd_hook_sends(e->hook) && e->hook != WD_HOOK_UNIX_SEND) ||
				       (e->hook == WD_HOOK_EGRESS && e->proto == 17)
			       ? "send"
			       : "connect";
	case WD_EV_SOCKET:
		return "socket";
	case WD_EV_CONFINE:
		return "confine";
	case WD_EV_LOST:
		return "lost";
	}
	return "?";
}

/* The names events carry (hooks/hooks.c). */
static const char *hook_name(unsigned hook)
{
	const char *n = wd_hook_name(hook);

	return n ? n : "?";
}

static const char *proto_name(unsigned p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : "ip";
}

/* Kernel strings are the sandbox's choice (file names, comm): a newline in one must not forge a
 * line of our output. Control bytes and backslashes are escaped; at most @max bytes are read. */
static void print_str(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
}

static void print_addr(FILE *f, const struct wd_event *e)
{
	char buf[INET6_ADDRSTRLEN];

	if (e->family == AF_INET) {
		inet_ntop(AF_INET, e->addr + 12, buf, sizeof(buf));
		fprintf(f, "%s:%u/%s", buf, e->port, proto_name(e->proto));
	} else {
		inet_ntop(AF_INET6, e->addr, buf, sizeof(buf));
		fprintf(f, "[%s]:%u/%s", buf, e->port, proto_name(e->proto));
	}
}

static void print_confine(FILE *f, const struct wd_event *e)
{
	switch (e->hook) {
	case WD_HOOK_TASK_ALLOC:
		fputs("clone-into-cgroup", f);
		break;
	case WD_HOOK_CAPABLE:
		fprintf(f, "capability %u", wd_event_confine_detail(e));
		break;
	case WD_HOOK_BPF:
		fprintf(f, "bpf cmd=%u", wd_event_confine_detail(e));
		break;
	case WD_HOOK_TASK_KILL:
		fprintf(f, "signal %u to pid %llu", wd_event_confine_detail(e),
			(unsigned long long)wd_event_confine_target(e));
		break;
	case WD_HOOK_PTRACE:
		fprintf(f, "ptrace pid %llu", (unsigned long long)wd_event_confine_target(e));
		break;
	case WD_HOOK_MOUNT:
		fputs(wd_event_confine_detail(e) ? "cgroup mkdir" : "mount", f);
		break;
	case WD_HOOK_CHROOT:
		fputs("chroot", f);
		break;
	case WD_HOOK_USERNS:
		fputs("user-namespace", f);
		break;
	case WD_HOOK_SETSOCKOPT:
		if (wd_event_confine_target(e) == 1) /* SOL_SOCKET: SO_BROADCAST */
			fputs("broadcast", f);
		else
			fprintf(f, "source-routing option=%u", wd_event_confine_detail(e));
		break;
	case WD_HOOK_FILE_RECEIVE:
		fputs("receive-socket-from-outside", f);
		break;
	case WD_HOOK_PATH_LINK:
		fputs("hardlink-of-protected-file", f);
		break;
	case WD_HOOK_KEY_PERMISSION: {
		/* The kernel's enum key_need_perm. */
		static const char *const need[] = {"any",    "view",	"read",	   "write",
						   "search", "link",	"setattr", "unlink",
						   "modify", "assumed", "lookup"};

		fprintf(f, "key %u need=", (unsigned)wd_event_confine_target(e));
		if (wd_event_confine_detail(e) < sizeof(need) / sizeof(need[0]))
			fputs(need[wd_event_confine_detail(e)], f);
		else
			fprintf(f, "%u", wd_event_confine_detail(e));
		break;
	}
	case WD_HOOK_FILE_IOCTL:
	case WD_HOOK_FILE_IOCTL_COMPAT:
		fprintf(f, "terminal-input ioctl=0x%x", wd_event_confine_detail(e));
		break;
	case WD_HOOK_SECCOMP:
	case WD_HOOK_ROFS: {
		const char *name = wd_syscall_name(wd_event_confine_detail(e));
		const char *err = wd_errno_name((unsigned)wd_event_confine_target(e));

		if (name)
			fprintf(f, "syscall %s", name);
		else
			fprintf(f, "syscall nr=%u", wd_event_confine_detail(e));
		if (err)
			fprintf(f, " %s", err);
		else
			fprintf(f, " errno=%llu", (unsigned long long)wd_event_confine_target(e));
		if (e->op & WD_SC_BY_ARGS)
			fputs(" (seccomp filter or the kernel)", f);
		if (e->op & WD_SC_ROFS)
			fputs(" (read-only mount)", f);
		break;
	}
	case WD_HOOK_BIND4:
	case WD_HOOK_BIND6:
		fputs("bind-shared-port ", f);
		print_addr(f, e);
		break;
	case WD_HOOK_PATH_CHMOD:
	case WD_HOOK_PATH_MKNOD:
		if (!e->path[0]) {
			fprintf(f, "setuid-or-setgid-file mode=%04o", wd_event_confine_detail(e));
			break;
		}
		/* a change in cgroupfs or bpffs */
		__attribute__((fallthrough));
	default:
		fprintf(f, "%s ", wd_change_name(e->proto) ? wd_change_name(e->proto) : "write");
		print_str(f, e->path, sizeof(e->path));
	}
}

void wd_event_format(FILE *f, const struct wd_event *e, const char *who, const char *why)
{
	if (who)
		fprintf(f, "%s ", who);
	fprintf(f, "%s %s ", wd_decision_name(e->decision), wd_event_kind(e));
	switch (e->hdr.type) {
	case WD_EV_CONNECT:
		if (e->family == AF_UNIX) {
			fputs("unix:", f);
			print_str(f, e->path, sizeof(e->path));
		} else {
			print_addr(f, e);
		}
		break;
	case WD_EV_SOCKET:
		fprintf(f, "family=%u type=%u", e->family, e->proto);
		break;
	case WD_EV_CONFINE:
		print_confine(f, e);
		break;
	case WD_EV_LOST:
		fprintf(f, "%llu events", (unsigned long long)e->lost);
		break;
	default:
		if (e->hdr.type == WD_EV_FILE && e->port == WD_PATHERR_TOO_LONG)
			fputs("(path too long to resolve)", f);
		else if (e->hdr.type == WD_EV_FILE && e->port)
			fputs("(path not resolvable)", f);
		else if (e->path[0])
			print_str(f, e->path, sizeof(e->path));
		else
			fputs("(no path)", f);
	}
	fprintf(f, " pid=%u ppid=%u uid=%u comm=", e->pid, e->ppid, e->uid);
	print_str(f, e->comm, sizeof(e->comm));
	if (e->exe[0]) {
		fputs(" exe=", f);
		print_str(f, e->exe, sizeof(e->exe));
	}
	fprintf(f, " hook=%s rule=%u", hook_name(e->hook), e->rule_id);
	if (why)
		fprintf(f, " (%s)", why);
}
