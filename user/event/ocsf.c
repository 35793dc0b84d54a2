// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OCSF 1.1.0-shaped JSON for warden's events. The classes and enum values are OCSF's own; where
 * OCSF has no class for what warden saw (an executable mapping, a refused socket family, a lost
 * event), the closest documented one is used and docs/events.md says why. Decisions fill the
 * security_control profile: action_id/disposition_id say what the control did. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "event/ocsf.h"
#include "event/ocsf_class.h"
#include "event/fmt.h"
#include "lib/json.h"

/* The deepest nesting written: unmapped.identity.labels, actor.process.parent_process.file. */
#define JW_DEPTH 8

/* A JSON writer that places the commas: more[d] says level d has a member already. */
struct jw {
	struct wd_buf *b;
	int depth;
	bool more[JW_DEPTH];
};

static void jw_key(struct jw *w, const char *key)
{
	if (w->more[w->depth])
		wd_buf_ch(w->b, ',');
	w->more[w->depth] = true;
	if (key) {
		wd_json_buf_str(w->b, key);
		wd_buf_ch(w->b, ':');
	}
}

/* @c is '{' or '['; @key is NULL inside an array. */
static void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	wd_buf_ch(w->b, c);
	w->more[++w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
	wd_buf_ch(w->b, c);
	w->depth--;
}

/* Strings are left out when empty: unknown, in warden's events. */
static void jw_str(struct jw *w, const char *key, const char *v)
{
	if (!v || !*v)
		return;
	jw_key(w, key);
	wd_json_buf_str(w->b, v);
}

static void jw_num(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	wd_buf_u64(w->b, v);
}

/* 64-bit counters and ids as strings: JSON readers hold numbers as doubles. */
static void jw_num_str(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	wd_buf_ch(w->b, '"');
	wd_buf_u64(w->b, v);
	wd_buf_ch(w->b, '"');
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	wd_buf_str(w->b, v ? "true" : "false");
}

/* An enum of the .proto by its name, or by its number when newer than this code. */
static void jw_enum(struct jw *w, const char *key, const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(d, v);

	jw_key(w, key);
	if (e)
		wd_json_buf_str(w->b, e->name);
	else
		wd_buf_i64(w->b, v);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

/* A file object; @path_known is false where warden has only the file's name. */
static void file_obj(struct jw *w, const char *key, const char *path, bool path_known,
		     unsigned type_id)
{
	if (!path || !*path)
		return;
	jw_open(w, key, '{');
	jw_str(w, "name", base_name(path));
	if (path_known)
		jw_str(w, "path", path);
	jw_num(w, "type_id", type_id);
	jw_str(w, "type", type_id == FILE_TYPE_REGULAR ? "Regular File" : "Unknown");
	jw_close(w, '}');
}

/* uid is always known (0 is root); gid only with exec_id, read from /proc at the same time. */
static void user_obj(struct jw *w, const Warden__V1__Process *p)
{
	char id[16];

	jw_open(w, "user", '{');
	snprintf(id, sizeof(id), "%" PRIu32, p->uid);
	jw_str(w, "uid", id);
	if (p->exec_id && p->exec_id[0]) {
		snprintf(id, sizeof(id), "%" PRIu32, p->gid);
		jw_open(w, "groups", '[');
		jw_open(w, NULL, '{');
		jw_str(w, "uid", id);
		jw_close(w, '}');
		jw_close(w, ']');
	}
	jw_close(w, '}');
}

static void parent_obj(struct jw *w, const Warden__V1__Process *p)
{
	const Warden__V1__Ancestor *a = p->n_ancestry ? p->ancestry[0] : NULL;

	if (!a && !p->ppid)
		return;
	jw_open(w, "parent_process", '{');
	jw_num(w, "pid", a ? a->pid : p->ppid);
	if (a) {
		jw_str(w, "name", a->comm);
		file_obj(w, "file", a->exe, true, FILE_TYPE_REGULAR);
	}
	jw_close(w, '}');
}

/* The process that acted. With @image (an exec), the same process running the new file. */
static void process_obj(struct jw *w, const char *key, const Warden__V1__Process *p,
			const char *image)
{
	jw_open(w, key, '{');
	jw_num(w, "pid", p->pid);
	if (p->tid)
		jw_num(w, "tid", p->tid);
	jw_str(w, "name", image && *image ? base_name(image) : p->comm);
	jw_str(w, "uid", p->exec_id);
	file_obj(w, "file", image && *image ? image : p->exe, true, FILE_TYPE_REGULAR);
	user_obj(w, p);
	parent_obj(w, p);
	if (p->n_ancestry) {
		/* OCSF's lineage: a path per ancestor, nearest first. */
		jw_open(w, "lineage", '[');
		for (size_t i = 0; i < p->n_ancestry; i++) {
			const Warden__V1__Ancestor *a = p->ancestry[i];

			jw_key(w, NULL);
			wd_json_buf_str(w->b, a->exe && a->exe[0] ? a->exe
					      : a->comm		  ? a->comm
								  : "");
		}
		jw_close(w, ']');
	}
	jw_close(w, '}');
}

static void actor_obj(struct jw *w, const Warden__V1__Process *p)
{
	jw_open(w, "actor", '{');
	process_obj(w, "process", p, NULL);
	user_obj(w, p);
	jw_close(w, '}');
}

static unsigned ip_version(int family)
{
	return family == WARDEN__V1__FAMILY__FAMILY_INET    ? 4
	       : family == WARDEN__V1__FAMILY__FAMILY_INET6 ? 6
							    : 0;
}

static void connection_info(struct jw *w, int family, unsigned proto_num, const char *proto_name,
			    bool outbound)
{
	unsigned v = ip_version(family);

	jw_open(w, "connection_info", '{');
	if (outbound) {
		jw_num(w, "direction_id", DIRECTION_OUTBOUND);
		jw_str(w, "direction", "Outbound");
	}
	if (proto_num)
		jw_num(w, "protocol_num", proto_num);
	jw_str(w, "protocol_name", proto_name);
	if (v) {
		jw_num(w, "protocol_ver_id", v);
		jw_str(w, "protocol_ver",
		       v == 4 ? "Internet Protocol version 4 (IPv4)"
			      : "Internet Protocol version 6 (IPv6)");
	}
	jw_close(w, '}');
}

static void network_objs(struct jw *w, const Warden__V1__Connect *c)
{
	unsigned num = c->ip_protocol;
	const char *name = NULL;
	char addr[64];

	if (c->protocol == WARDEN__V1__PROTOCOL__PROTOCOL_TCP) {
		num = num ? num : 6;
		name = "tcp";
	} else if (c->protocol == WARDEN__V1__PROTOCOL__PROTOCOL_UDP) {
		num = num ? num : 17;
		name = "udp";
	}
	jw_open(w, "dst_endpoint", '{');
	if (c->family == WARDEN__V1__FAMILY__FAMILY_UNIX) {
		/* The kernel names a unix socket by its file's last component only. */
		jw_str(w, "name", c->address_text);
	} else {
		wd_ocsf_address_text(c, addr, sizeof(addr));
		jw_str(w, "ip", addr);
		if (c->port)
			jw_num(w, "port", c->port);
	}
	jw_close(w, '}');
	connection_info(w, c->family, num, name, true);
}

/* The security_control profile, and what the decision means for status and severity. */
static void decision_attrs(struct jw *w, const Warden__V1__Event *ev)
{
	unsigned action, disposition, status;
	const char *a, *d;

	switch (ev->decision) {
	case WARDEN__V1__DECISION__DECISION_ALLOWED:
		action = ACTION_ALLOWED, a = "Allowed";
		disposition = DISPOSITION_ALLOWED, d = "Allowed";
		status = STATUS_SUCCESS;
		break;
	case WARDEN__V1__DECISION__DECISION_DENIED:
		action = ACTION_DENIED, a = "Denied";
		disposition = DISPOSITION_BLOCKED, d = "Blocked";
		status = STATUS_FAILURE;
		break;
	case WARDEN__V1__DECISION__DECISION_AUDIT_DENIED:
		/* Audit mode let it happen: allowed, with the violation detected. */
		action = ACTION_ALLOWED, a = "Allowed";
		disposition = DISPOSITION_DETECTED, d = "Detected";
		status = STATUS_SUCCESS;
		break;
	default:
		return;
	}
	jw_num(w, "action_id", action);
	jw_str(w, "action", a);
	jw_num(w, "disposition_id", disposition);
	jw_str(w, "disposition", d);
	jw_num(w, "status_id", status);
	jw_str(w, "status", status == STATUS_SUCCESS ? "Success" : "Failure");
}

static void metadata(struct jw *w, const Warden__V1__Event *ev)
{
	const Warden__V1__Header *h = ev->header;
	time_t t = h ? (time_t)(h->wall_ns / 1000000000ull) : 0;
	char ts[64], uid[320];
	struct tm tm;

	jw_open(w, "metadata", '{');
	jw_str(w, "version", WD_OCSF_VERSION);
	jw_open(w, "product", '{');
	jw_str(w, "name", "warden");
	jw_str(w, "vendor_name", "warden");
	jw_str(w, "version", h ? h->warden_version : NULL);
	jw_close(w, '}');
	/* seq is unique per node: with the node's name it is unique everywhere. (A sink's own
	 * EVENTS_LOST event has none.) Not OCSF's sequence, an integer_t: seq is 64 bits. */
	if (h && h->seq) {
		snprintf(uid, sizeof(uid), "%s:%" PRIu64, h->node ? h->node : "", h->seq);
		jw_str(w, "uid", uid);
	}
	if (h && h->wall_ns && gmtime_r(&t, &tm)) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%09" PRIu64 "Z",
			 (uint64_t)(h->wall_ns % 1000000000ull));
		jw_str(w, "original_time", ts);
	}
	jw_open(w, "profiles", '[');
	jw_key(w, NULL);
	wd_json_buf_str(w->b, "host");
	if (ev->decision != WARDEN__V1__DECISION__DECISION_UNSPECIFIED) {
		jw_key(w, NULL);
		wd_json_buf_str(w->b, "security_control");
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

/* The action's own fields, by their .proto names, where OCSF has no place for them. */
static void unmapped_action(struct jw *w, const Warden__V1__Event *ev)
{
	const Warden__V1__Confinement *k;
	const Warden__V1__Lifecycle *l;

	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		jw_open(w, "file_open", '{');
		jw_bool(w, "read", ev->file_open->read);
		jw_bool(w, "write", ev->file_open->write);
		jw_bool(w, "truncate", ev->file_open->truncate);
		if (ev->file_open->change)
			jw_str(w, "change", wd_change_name(ev->file_open->change));
		if (ev->file_open->path_unresolved)
			jw_bool(w, "path_unresolved", true);
		jw_close(w, '}');
		break;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		jw_open(w, "exec_mapping", '{');
		jw_bool(w, "via_mprotect", ev->exec_mapping->via_mprotect);
		jw_close(w, '}');
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT:
		jw_open(w, "connect", '{');
		jw_enum(w, "family", &warden__v1__family__descriptor, ev->connect->family);
		jw_enum(w, "protocol", &warden__v1__protocol__descriptor, ev->connect->protocol);
		jw_bool(w, "is_send", ev->connect->is_send);
		jw_close(w, '}');
		break;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		jw_open(w, "socket_create", '{');
		jw_enum(w, "family", &warden__v1__family__descriptor, ev->socket_create->family);
		jw_enum(w, "type", &warden__v1__socket_type__descriptor, ev->socket_create->type);
		jw_close(w, '}');
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		k = ev->confinement;
		jw_open(w, "confinement", '{');
		jw_enum(w, "what", &warden__v1__confinement__what__descriptor, k->what);
		jw_str(w, "path", k->path);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY)
			jw_num(w, "capability", k->capability);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__BPF)
			jw_num(w, "bpf_command", k->bpf_command);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__KILL)
			jw_num(w, "signal", k->signal);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__PTRACE)
			jw_num(w, "ptrace_mode", k->ptrace_mode);
		if (k->target_pid)
			jw_num(w, "target_pid", k->target_pid);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING)
			jw_num(w, "socket_option", k->socket_option);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE)
			jw_num(w, "mode", k->mode);
		if (k->what == WARDEN__V1__CONFINEMENT__WHAT__SYSCALL) {
			jw_num(w, "syscall", k->syscall);
			jw_str(w, "syscall_name", k->syscall_name);
			jw_num(w, "error", k->error);
			jw_bool(w, "maybe_kernel", k->maybe_kernel);
		}
		jw_close(w, '}');
		break;
	case WARDEN__V1__EVENT__ACTION_LIFECYCLE:
		l = ev->lifecycle;
		jw_open(w, "lifecycle", '{');
		jw_enum(w, "kind", &warden__v1__lifecycle__kind__descriptor, l->kind);
		jw_str(w, "detail", l->detail);
		if (l->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
			jw_str(w, "sink", l->sink);
			jw_num_str(w, "lost_count", l->lost_count);
			jw_num_str(w, "lost_first_seq", l->lost_first_seq);
			jw_num_str(w, "lost_last_seq", l->lost_last_seq);
		}
		jw_close(w, '}');
		break;
	default:
		break;
	}
}

static void unmapped(struct jw *w, const Warden__V1__Event *ev)
{
	jw_open(w, "unmapped", '{');
	if (ev->identity) {
		jw_open(w, "identity", '{');
		jw_str(w, "name", ev->identity->name);
		if (ev->identity->n_labels) {
			jw_open(w, "labels", '{');
			for (size_t i = 0; i < ev->identity->n_labels; i++) {
				const Warden__V1__Identity__LabelsEntry *l =
					ev->identity->labels[i];

				jw_key(w, l->key ? l->key : "");
				wd_json_buf_str(w->b, l->value ? l->value : "");
			}
			jw_close(w, '}');
		}
		jw_close(w, '}');
	}
	if (ev->sandbox) {
		jw_open(w, "sandbox", '{');
		jw_str(w, "id", ev->sandbox->id);
		jw_str(w, "cgroup_path", ev->sandbox->cgroup_path);
		if (ev->sandbox->cgroup_id)
			jw_num_str(w, "cgroup_id", ev->sandbox->cgroup_id);
		jw_close(w, '}');
	}
	if (ev->rule) {
		jw_open(w, "rule", '{');
		jw_num(w, "id", ev->rule->id);
		jw_str(w, "text", ev->rule->text);
		jw_close(w, '}');
	}
	if (ev->policy_name && ev->policy_name[0]) {
		jw_open(w, "policy", '{');
		jw_str(w, "name", ev->policy_name);
		jw_close(w, '}');
	}
	jw_str(w, "hook", ev->hook);
	if (ev->decision)
		jw_enum(w, "decision", &warden__v1__decision__descriptor, ev->decision);
	if (ev->header) {
		jw_num_str(w, "seq", ev->header->seq);
		if (ev->header->sandbox_seq)
			jw_num_str(w, "sandbox_seq", ev->header->sandbox_seq);
		jw_num_str(w, "boot_ns", ev->header->boot_ns);
	}
	unmapped_action(w, ev);
	jw_close(w, '}');
}

/* The object the class is about: process, file, module, endpoint or application. */
static void object(struct jw *w, const Warden__V1__Event *ev)
{
	const Warden__V1__Process *p = ev->process;
	const Warden__V1__Confinement *k;

	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		if (p)
			process_obj(w, "process", p, ev->exec->path);
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		file_obj(w, "file", ev->file_open->path, true, FILE_TYPE_UNKNOWN);
		break;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		/* Through mprotect the kernel gives the file's name only. */
		jw_open(w, "module", '{');
		file_obj(w, "file", ev->exec_mapping->path, !ev->exec_mapping->via_mprotect,
			 FILE_TYPE_REGULAR);
		jw_close(w, '}');
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT:
		network_objs(w, ev->connect);
		break;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		connection_info(w, ev->socket_create->family, 0, NULL, false);
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		k = ev->confinement;
		if (k->target_pid && (k->what == WARDEN__V1__CONFINEMENT__WHAT__KILL ||
				      k->what == WARDEN__V1__CONFINEMENT__WHAT__PTRACE)) {
			jw_open(w, "process", '{');
			jw_num(w, "pid", k->target_pid);
			jw_close(w, '}');
		} else if (p) {
			/* The rest is reflexive: the process acting on its own confinement. */
			process_obj(w, "process", p, NULL);
		}
		break;
	case WARDEN__V1__EVENT__ACTION_LIFECYCLE:
		if (ev->lifecycle->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST)
			break;
		jw_open(w, "app", '{');
		jw_str(w, "name", "warden sandbox");
		jw_str(w, "uid", ev->sandbox ? ev->sandbox->id : NULL);
		jw_str(w, "vendor_name", "warden");
		jw_str(w, "version", ev->header ? ev->header->warden_version : NULL);
		jw_close(w, '}');
		break;
	default:
		break;
	}
}

void wd_ocsf_event_json(FILE *f, const Warden__V1__Event *ev)
{
	struct wd_buf b = {0};

	wd_ocsf_event_json_buf(&b, ev);
	if (b.len)
		fwrite(b.p, 1, b.len, f);
	wd_buf_free(&b);
}

void wd_ocsf_event_json_buf(struct wd_buf *b, const Warden__V1__Event *ev)
{
	struct jw w = {.b = b};
	struct wd_ocsf_class c;
	char text[1024];
	unsigned sev = wd_ocsf_severity(ev);

	wd_ocsf_classify(ev, &c);
	jw_open(&w, NULL, '{');
	jw_num(&w, "class_uid", c.class_uid);
	jw_str(&w, "class_name", c.class_name);
	jw_num(&w, "category_uid", c.category_uid);
	jw_str(&w, "category_name", c.category_name);
	jw_num(&w, "activity_id", c.activity_id);
	jw_str(&w, "activity_name", c.activity_name);
	jw_num(&w, "type_uid", (uint64_t)c.class_uid * 100 + c.activity_id);
	snprintf(text, sizeof(text), "%s: %s", c.class_name, c.activity_name);
	jw_str(&w, "type_name", text);
	jw_num(&w, "severity_id", sev);
	jw_str(&w, "severity", wd_ocsf_severity_name(sev));
	jw_num(&w, "time", ev->header ? ev->header->wall_ns / 1000000ull : 0);
	decision_attrs(&w, ev);
	wd_ocsf_message(ev, &c, text, sizeof(text));
	jw_str(&w, "message", text);
	metadata(&w, ev);
	if (ev->header && ev->header->node && ev->header->node[0]) {
		jw_open(&w, "device", '{');
		jw_str(&w, "hostname", ev->header->node);
		jw_num(&w, "type_id", 0);
		jw_str(&w, "type", "Unknown");
		jw_close(&w, '}');
	}
	if (ev->process)
		actor_obj(&w, ev->process);
	object(&w, ev);
	unmapped(&w, ev);
	jw_close(&w, '}');
}
