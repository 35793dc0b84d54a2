// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where a warden event lands in OCSF's taxonomy (category, class, activity), how severe it is,
 * and the one sentence that says what happened; ocsf.c writes them into the JSON object. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event/fmt.h"
#include "event/ocsf.h"
#include "event/ocsf_class.h"

static void set_class(struct wd_ocsf_class *c, unsigned cat, const char *cat_name, unsigned cls,
		      const char *cls_name, unsigned act, const char *act_name)
{
	c->category_uid = cat;
	c->category_name = cat_name;
	c->class_uid = cls;
	c->class_name = cls_name;
	c->activity_id = act;
	c->activity_name = act_name;
}

static void process_activity(struct wd_ocsf_class *c, unsigned act, const char *name)
{
	set_class(c, CAT_SYSTEM, "System Activity", WD_OCSF_PROCESS_ACTIVITY, "Process Activity",
		  act, name);
}

static void network_activity(struct wd_ocsf_class *c, unsigned act, const char *name)
{
	set_class(c, CAT_NETWORK, "Network Activity", WD_OCSF_NETWORK_ACTIVITY, "Network Activity",
		  act, name);
}

/* File System Activity's own activities for the changes to the file system. */
static void file_change_activity(unsigned change, struct wd_ocsf_class *c)
{
	static const struct {
		int id;
		const char *name;
	} acts[WD_CH_NR] = {
		[WD_CH_TRUNCATE] = {3, "Update"},
		[WD_CH_RENAME_FROM] = {5, "Rename"},
		[WD_CH_RENAME_TO] = {5, "Rename"},
		[WD_CH_LINK] = {1, "Create"},
		[WD_CH_SYMLINK] = {1, "Create"},
		[WD_CH_UNLINK] = {4, "Delete"},
		[WD_CH_RMDIR] = {4, "Delete"},
		[WD_CH_MKDIR] = {1, "Create"},
		[WD_CH_MKNOD] = {1, "Create"},
		[WD_CH_CHMOD] = {7, "Set Security"},
		[WD_CH_CHOWN] = {7, "Set Security"},
		[WD_CH_SETXATTR] = {6, "Set Attributes"},
		[WD_CH_REMOVEXATTR] = {6, "Set Attributes"},
	};

	if (change < WD_CH_NR && acts[change].name) {
		c->activity_id = acts[change].id;
		c->activity_name = acts[change].name;
	}
}

static const char *confinement_name(Warden__V1__Confinement__What what)
{
	static const char *const names[] = {
		[WARDEN__V1__CONFINEMENT__WHAT__CGROUP_WRITE] = "Cgroup Write",
		[WARDEN__V1__CONFINEMENT__WHAT__CLONE_INTO_CGROUP] = "Clone Into Cgroup",
		[WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY] = "Use Capability",
		[WARDEN__V1__CONFINEMENT__WHAT__BPF] = "BPF",
		[WARDEN__V1__CONFINEMENT__WHAT__KILL] = "Signal",
		[WARDEN__V1__CONFINEMENT__WHAT__PTRACE] = "Ptrace",
		[WARDEN__V1__CONFINEMENT__WHAT__MOUNT] = "Mount",
		[WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR] = "Cgroup Mkdir",
		[WARDEN__V1__CONFINEMENT__WHAT__CHROOT] = "Chroot",
		[WARDEN__V1__CONFINEMENT__WHAT__USER_NAMESPACE] = "Create User Namespace",
		[WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING] = "Source Routing",
		[WARDEN__V1__CONFINEMENT__WHAT__RECEIVE_SOCKET] = "Receive Socket",
		[WARDEN__V1__CONFINEMENT__WHAT__HARDLINK] = "Hardlink",
		[WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE] = "Setuid File",
		[WARDEN__V1__CONFINEMENT__WHAT__KEYRING] = "Use Key",
		[WARDEN__V1__CONFINEMENT__WHAT__TERMINAL_INPUT] = "Terminal Input",
		[WARDEN__V1__CONFINEMENT__WHAT__SHARED_PORT] = "Bind Shared Port",
		[WARDEN__V1__CONFINEMENT__WHAT__BROADCAST] = "Broadcast",
		[WARDEN__V1__CONFINEMENT__WHAT__SYSCALL] = "System Call",
	};
	unsigned w = (unsigned)what;

	return w < sizeof(names) / sizeof(names[0]) && names[w] ? names[w] : "Confinement";
}

/* Confinement: ptrace is Process Activity's own Open (a handle on another process "with the
 * aim of performing further actions upon that process"); signals are not all terminations,
 * so they and the rest are Other, named. */
static void classify_confinement(const Warden__V1__Confinement *k, struct wd_ocsf_class *c)
{
	if (k->what == WARDEN__V1__CONFINEMENT__WHAT__PTRACE)
		process_activity(c, 3, "Open");
	else
		process_activity(c, ACT_OTHER, confinement_name(k->what));
}

/* A sandbox is the application warden starts and stops (Application Lifecycle); events lost
 * have no class in OCSF and are the generic Base Event. */
static void classify_lifecycle(const Warden__V1__Lifecycle *l, struct wd_ocsf_class *c)
{
	unsigned act = ACT_OTHER;
	const char *name = "Other";

	switch (l->kind) {
	case WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST:
		set_class(c, CAT_UNCATEGORIZED, "Uncategorized", WD_OCSF_BASE_EVENT, "Base Event",
			  ACT_OTHER, "Events Lost");
		return;
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED:
		act = 3;
		name = "Start";
		break;
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED:
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_REVOKED:
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED:
		act = 4;
		name = "Stop";
		break;
	case WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED:
		name = "Policy Applied";
		break;
	default:
		break;
	}
	set_class(c, CAT_APPLICATION, "Application Activity", WD_OCSF_APP_LIFECYCLE,
		  "Application Lifecycle", act, name);
}

void wd_ocsf_classify(const Warden__V1__Event *ev, struct wd_ocsf_class *c)
{
	const Warden__V1__FileOpen *fo;

	set_class(c, CAT_UNCATEGORIZED, "Uncategorized", WD_OCSF_BASE_EVENT, "Base Event",
		  ACT_UNKNOWN, "Unknown");
	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		process_activity(c, 1, "Launch");
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		fo = ev->file_open;
		set_class(c, CAT_SYSTEM, "System Activity", WD_OCSF_FILE_ACTIVITY,
			  "File System Activity", 14, "Open");
		if (fo->change)
			file_change_activity(fo->change, c);
		else if (fo->write || fo->truncate) {
			c->activity_id = 3;
			c->activity_name = "Update";
		} else if (fo->read) {
			c->activity_id = 2;
			c->activity_name = "Read";
		}
		break;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		/* ld.so ./x, LD_PRELOAD, dlopen: a process loading code from a file. */
		set_class(c, CAT_SYSTEM, "System Activity", WD_OCSF_MODULE_ACTIVITY,
			  "Module Activity", 1, "Load");
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT:
		if (ev->connect->is_send)
			network_activity(c, 6, "Traffic");
		else
			network_activity(c, 1, "Open");
		break;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		network_activity(c, ACT_OTHER, "Socket Create");
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		classify_confinement(ev->confinement, c);
		break;
	case WARDEN__V1__EVENT__ACTION_LIFECYCLE:
		classify_lifecycle(ev->lifecycle, c);
		break;
	default: /* an action newer than this code */
		break;
	}
}

unsigned wd_ocsf_severity(const Warden__V1__Event *ev)
{
	bool confine = ev->action_case == WARDEN__V1__EVENT__ACTION_CONFINEMENT;

	if (ev->action_case == WARDEN__V1__EVENT__ACTION_LIFECYCLE)
		return ev->lifecycle->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST
			       ? SEV_HIGH
			       : SEV_INFORMATIONAL;
	switch (ev->decision) {
	case WARDEN__V1__DECISION__DECISION_DENIED:
		return confine ? SEV_HIGH : SEV_MEDIUM;
	case WARDEN__V1__DECISION__DECISION_AUDIT_DENIED:
		return confine ? SEV_MEDIUM : SEV_LOW;
	default:
		return SEV_INFORMATIONAL;
	}
}

const char *wd_ocsf_severity_name(unsigned s)
{
	static const char *const names[] = {"Unknown", "Informational", "Low", "Medium", "High"};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "Other";
}

static const char *decision_word(Warden__V1__Decision d)
{
	switch (d) {
	case WARDEN__V1__DECISION__DECISION_ALLOWED:
		return "allowed";
	case WARDEN__V1__DECISION__DECISION_DENIED:
		return "denied";
	case WARDEN__V1__DECISION__DECISION_AUDIT_DENIED:
		return "audit (would deny)";
	default:
		return "?";
	}
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(d, v);

	return e ? e->name : "?";
}

static const char *lifecycle_words(Warden__V1__Lifecycle__Kind k)
{
	switch (k) {
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED:
		return "created";
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED:
		return "expired";
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_REVOKED:
		return "revoked";
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED:
		return "ended";
	case WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED:
		return "policy applied";
	default:
		return "lifecycle event";
	}
}

/* One sentence for people: what was decided about what. */
void wd_ocsf_message(const Warden__V1__Event *ev, const struct wd_ocsf_class *c, char *buf,
		     size_t size)
{
	const char *dec = decision_word(ev->decision);
	const Warden__V1__Lifecycle *l;
	char addr[64];

	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		snprintf(buf, size, "%s: exec %s", dec, nz(ev->exec->path));
		return;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		snprintf(buf, size, "%s: file %s %s", dec,
			 wd_change_name(ev->file_open->change)
				 ? wd_change_name(ev->file_open->change)
			 : ev->file_open->truncate ? "truncate"
			 : ev->file_open->write	   ? "write"
						   : "read",
			 nz(ev->file_open->path));
		return;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		snprintf(buf, size, "%s: executable mapping of %s", dec,
			 nz(ev->exec_mapping->path));
		return;
	case WARDEN__V1__EVENT__ACTION_CONNECT:
		wd_ocsf_address_text(ev->connect, addr, sizeof(addr));
		if (ev->connect->family == WARDEN__V1__FAMILY__FAMILY_UNIX)
			snprintf(buf, size, "%s: %s to unix socket %s", dec,
				 ev->connect->is_send ? "send" : "connect", addr);
		else
			snprintf(buf, size, "%s: %s to %s port %" PRIu32, dec,
				 ev->connect->is_send ? "send" : "connect", addr,
				 ev->connect->port);
		return;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		snprintf(buf, size, "%s: socket %s %s", dec,
			 enum_name(&warden__v1__family__descriptor, ev->socket_create->family),
			 enum_name(&warden__v1__socket_type__descriptor, ev->socket_create->type));
		return;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		snprintf(buf, size, "%s: confinement: %s%s%s", dec,
			 confinement_name(ev->confinement->what),
			 nz(ev->confinement->path)[0] ? " " : "", nz(ev->confinement->path));
		return;
	case WARDEN__V1__EVENT__ACTION_LIFECYCLE:
		l = ev->lifecycle;
		if (l->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST)
			snprintf(buf, size,
				 "%" PRIu64 " events lost%s%s (seq %" PRIu64 "-%" PRIu64 ")%s%s",
				 l->lost_count, nz(l->sink)[0] ? " by sink " : "", nz(l->sink),
				 l->lost_first_seq, l->lost_last_seq, nz(l->detail)[0] ? ": " : "",
				 nz(l->detail));
		else
			snprintf(buf, size, "sandbox%s%s %s%s%s",
				 ev->sandbox && nz(ev->sandbox->id)[0] ? " " : "",
				 ev->sandbox ? nz(ev->sandbox->id) : "", lifecycle_words(l->kind),
				 nz(l->detail)[0] ? ": " : "", nz(l->detail));
		return;
	default:
		snprintf(buf, size, "an action newer than this reader (seq %" PRIu64 ")",
			 ev->header ? ev->header->seq : 0);
	}
}

/* The address from its bytes when they are there (they are authoritative), else its text. */
void wd_ocsf_address_text(const Warden__V1__Connect *c, char *buf, size_t size)
{
	if (c->address.len == 4 && inet_ntop(AF_INET, c->address.data, buf, (socklen_t)size))
		return;
	if (c->address.len == 16 && inet_ntop(AF_INET6, c->address.data, buf, (socklen_t)size))
		return;
	snprintf(buf, size, "%s", c->address_text ? c->address_text : "");
}
