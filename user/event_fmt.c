// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Formatting kernel event records for people. Strings from the kernel are bounded copies; they
 * are printed with their bounds, never trusted to be terminated. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "event_fmt.h"

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

const char *wd_event_kind(const struct wd_event *e)
{
	switch (e->hdr.type) {
	case WD_EV_EXEC:
		return "exec";
	case WD_EV_MMAP:
		return "mmap-exec";
	case WD_EV_FILE:
		return e->op == WD_OP_WRITE ? "open-write" : "open-read";
	case WD_EV_CONNECT:
		return e->hook == WD_HOOK_SENDMSG4 || e->hook == WD_HOOK_SENDMSG6 ||
				       e->hook == WD_HOOK_SOCK_SENDMSG
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

static const char *hook_name(unsigned hook)
{
	static const char *const names[] = {
		[WD_HOOK_BPRM] = "bprm_check_security",
		[WD_HOOK_MMAP] = "mmap_file",
		[WD_HOOK_MPROTECT] = "file_mprotect",
		[WD_HOOK_FILE_OPEN] = "file_open",
		[WD_HOOK_CONNECT4] = "cgroup/connect4",
		[WD_HOOK_CONNECT6] = "cgroup/connect6",
		[WD_HOOK_SENDMSG4] = "cgroup/sendmsg4",
		[WD_HOOK_SENDMSG6] = "cgroup/sendmsg6",
		[WD_HOOK_SOCK_CONNECT] = "socket_connect",
		[WD_HOOK_SOCK_SENDMSG] = "socket_sendmsg",
		[WD_HOOK_SOCK_CREATE] = "socket_create",
		[WD_HOOK_TASK_ALLOC] = "task_alloc",
		[WD_HOOK_UNIX_CONNECT] = "unix_stream_connect",
	};

	return hook < sizeof(names) / sizeof(names[0]) && names[hook] ? names[hook] : "?";
}

static const char *proto_name(unsigned p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : "ip";
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

void wd_event_format(FILE *f, const struct wd_event *e, const char *who, const char *why)
{
	if (who)
		fprintf(f, "%s ", who);
	fprintf(f, "%s %s ", wd_decision_name(e->decision), wd_event_kind(e));
	switch (e->hdr.type) {
	case WD_EV_CONNECT:
		if (e->family == AF_UNIX)
			fprintf(f, "unix:%.*s", (int)sizeof(e->path), e->path);
		else
			print_addr(f, e);
		break;
	case WD_EV_SOCKET:
		fprintf(f, "family=%u type=%u", e->family, e->proto);
		break;
	case WD_EV_CONFINE:
		if (e->hook == WD_HOOK_TASK_ALLOC)
			fputs("clone-into-cgroup", f);
		else
			fprintf(f, "write %.*s", (int)sizeof(e->path), e->path);
		break;
	case WD_EV_LOST:
		fprintf(f, "%llu events", (unsigned long long)e->lost);
		break;
	default:
		fprintf(f, "%.*s", (int)sizeof(e->path), e->path[0] ? e->path : "(no path)");
	}
	fprintf(f, " pid=%u ppid=%u uid=%u comm=%.*s", e->pid, e->ppid, e->uid,
		(int)sizeof(e->comm), e->comm);
	if (e->exe[0])
		fprintf(f, " exe=%.*s", (int)sizeof(e->exe), e->exe);
	fprintf(f, " hook=%s rule=%u", hook_name(e->hook), e->rule_id);
	if (why)
		fprintf(f, " (%s)", why);
}
