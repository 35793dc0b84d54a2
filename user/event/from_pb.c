// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A decoded warden.v1.Event back into a kernel record, so that events read from files print as
 * `warden run` prints the kernel's (wd_event_format()): the conversion of convert.c run
 * backwards, as far as the message tells. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event/event.h"
#include "hooks/hooks.h"

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* The action says what was attempted; the line names it by the hook that reports it. */
static void confinement_to_record(const Warden__V1__Confinement *c, struct wd_event *e)
{
	switch (c->what) {
	case WARDEN__V1__CONFINEMENT__WHAT__CLONE_INTO_CGROUP:
		e->hook = WD_HOOK_TASK_ALLOC;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY:
		e->hook = WD_HOOK_CAPABLE;
		wd_event_confine_detail(e) = (uint16_t)c->capability;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__BPF:
		e->hook = WD_HOOK_BPF;
		wd_event_confine_detail(e) = (uint16_t)c->bpf_command;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__KILL:
		e->hook = WD_HOOK_TASK_KILL;
		wd_event_confine_detail(e) = (uint16_t)c->signal;
		wd_event_confine_target(e) = c->target_pid;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__PTRACE:
		e->hook = WD_HOOK_PTRACE;
		wd_event_confine_detail(e) = (uint16_t)c->ptrace_mode;
		wd_event_confine_target(e) = c->target_pid;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__MOUNT:
	case WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR:
		e->hook = WD_HOOK_MOUNT;
		wd_event_confine_detail(e) = c->what == WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__CHROOT:
		e->hook = WD_HOOK_CHROOT;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__USER_NAMESPACE:
		e->hook = WD_HOOK_USERNS;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING:
		e->hook = WD_HOOK_SETSOCKOPT;
		wd_event_confine_detail(e) = (uint16_t)c->socket_option;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__RECEIVE_SOCKET:
		e->hook = WD_HOOK_FILE_RECEIVE;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__HARDLINK:
		e->hook = WD_HOOK_PATH_LINK;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE:
		e->hook = WD_HOOK_PATH_CHMOD;
		wd_event_confine_detail(e) = (uint16_t)c->mode;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__SYSCALL:
		/* EROFS is only ever the read-only mounts' answer; the filter answers EPERM. */
		e->hook = c->error == EROFS ? WD_HOOK_ROFS : WD_HOOK_SECCOMP;
		wd_event_confine_detail(e) = (uint16_t)c->syscall;
		wd_event_confine_target(e) = c->error;
		e->op = c->error == EROFS ? WD_SC_ROFS : c->maybe_kernel ? WD_SC_BY_ARGS : 0;
		break;
	default:
		e->hook = WD_HOOK_FILE_OPEN;
		copy_str(e->path, sizeof(e->path), c->path);
	}
}

bool wd_event_from_pb(const Warden__V1__Event *ev, struct wd_event *e)
{
	const Warden__V1__Process *p = ev->process;
	unsigned hook = wd_hook_id(ev->hook);

	memset(e, 0, sizeof(*e));
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.ktime_ns = ev->header ? ev->header->boot_ns : 0;
	e->decision = ev->decision == WARDEN__V1__DECISION__DECISION_ALLOWED  ? WD_DEC_ALLOW
		      : ev->decision == WARDEN__V1__DECISION__DECISION_DENIED ? WD_DEC_DENY
		      : ev->decision == WARDEN__V1__DECISION__DECISION_AUDIT_DENIED
			      ? WD_DEC_AUDIT_DENY
			      : 0;
	e->rule_id = ev->rule ? ev->rule->id : 0;
	e->cgroup_id = ev->sandbox ? ev->sandbox->cgroup_id : 0;
	if (p) {
		e->pid = p->pid;
		e->tid = p->tid;
		e->ppid = p->ppid;
		e->uid = p->uid;
		copy_str(e->comm, sizeof(e->comm), p->comm);
		copy_str(e->exe, sizeof(e->exe), p->exe);
	}
	e->hook = hook;
	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		e->hdr.type = WD_EV_EXEC;
		e->op = WD_OP_EXEC;
		copy_str(e->path, sizeof(e->path), ev->exec->path);
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		e->hdr.type = WD_EV_FILE;
		e->op = ev->file_open->write ? WD_OP_WRITE : WD_OP_READ;
		e->proto = (unsigned)ev->file_open->change < WD_CH_NR
				   ? (uint8_t)ev->file_open->change
				   : 0;
		if (!e->proto && ev->file_open->truncate)
			e->proto = WD_CH_TRUNCATE;
		e->port = ev->file_open->path_unresolved ? WD_PATHERR_FAULT : 0;
		if (!hook)
			e->hook = ev->file_open->truncate ? WD_HOOK_TRUNCATE : WD_HOOK_FILE_OPEN;
		copy_str(e->path, sizeof(e->path), ev->file_open->path);
		break;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		e->hdr.type = WD_EV_MMAP;
		e->op = WD_OP_EXEC;
		if (!hook)
			e->hook = ev->exec_mapping->via_mprotect ? WD_HOOK_MPROTECT : WD_HOOK_MMAP;
		copy_str(e->path, sizeof(e->path), ev->exec_mapping->path);
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT: {
		const Warden__V1__Connect *c = ev->connect;

		e->hdr.type = WD_EV_CONNECT;
		e->port = (uint16_t)c->port;
		e->proto = c->protocol == WARDEN__V1__PROTOCOL__PROTOCOL_TCP   ? 6
			   : c->protocol == WARDEN__V1__PROTOCOL__PROTOCOL_UDP ? 17
									       : c->ip_protocol;
		if (c->family == WARDEN__V1__FAMILY__FAMILY_UNIX) {
			e->family = AF_UNIX;
			copy_str(e->path, sizeof(e->path), c->address_text);
		} else if (c->address.len == 4) {
			e->family = AF_INET;
			e->addr[10] = e->addr[11] = 0xff;
			memcpy(e->addr + 12, c->address.data, 4);
		} else {
			e->family = AF_INET6;
			if (c->address.len == 16)
				memcpy(e->addr, c->address.data, 16);
		}
		if (!hook && c->is_send)
			e->hook = e->family == AF_UNIX ? WD_HOOK_UNIX_SEND : WD_HOOK_SOCK_SENDMSG;
		break;
	}
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		e->hdr.type = WD_EV_SOCKET;
		e->family = (uint8_t)ev->socket_create->family;
		e->proto = (uint8_t)ev->socket_create->type;
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		e->hdr.type = WD_EV_CONFINE;
		confinement_to_record(ev->confinement, e);
		break;
	default:
		return false;
	}
	return true;
}
