// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syslog sink's messages: each event as one RFC 5424 message, its key fields in the
 * structured data element warden@32473 and a line for people as the free text
 * (user/export/sink_syslog.h). Pure: the transport is user/export/sink_syslog.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/json.h"
#include "export/sink_syslog.h"
#include "event/fmt.h"
#include "lib/utf8.h"

#define VALUE_MAX 4096 /* input bytes of one SD-PARAM value (a kernel path's bound) */
#define WORD_MAX  64
#define FFFD	  "\xef\xbf\xbd"
#define BOM	  "\xef\xbb\xbf"

/* A bounded string builder: once full it stays full, and the result is refused. */
struct sb {
	char *p;
	size_t len, cap;
	bool full;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_u64(struct sb *b, uint64_t v)
{
	char t[20];

	sb_add(b, t, wd_put_dec(t, v));
}

/* Text as valid UTF-8 without control characters (each becomes U+FFFD: a newline in a path
 * must not become a forged line in a receiver's log file), at most @max input bytes. With @sd,
 * escaped as an SD-PARAM value: '"', '\' and ']' get a backslash (RFC 5424, 6.3.3). */
static void sb_text(struct sb *b, const char *s, size_t max, bool sd)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strnlen((const char *)p, max);

	for (size_t i = 0; i < n;) {
		size_t run = i, len;

		/* Printable ASCII that needs no escape goes in runs: most of every message. */
		while (i < n && p[i] >= 0x20 && p[i] < 0x7f &&
		       !(sd && (p[i] == '"' || p[i] == '\\' || p[i] == ']')))
			i++;
		sb_add(b, (const char *)p + run, i - run);
		if (i == n)
			break;
		len = wd_utf8_seq(p + i, n - i);
		if (len == 0 || p[i] < 0x20 || p[i] == 0x7f) {
			sb_add(b, FFFD, 3);
			i += len ? len : 1;
			continue;
		}
		if (sd && (p[i] == '"' || p[i] == '\\' || p[i] == ']'))
			sb_add(b, "\\", 1);
		sb_add(b, (const char *)p + i, len);
		i += len;
	}
}

static void param_str(struct sb *b, const char *name, const char *v)
{
	if (!v || !*v)
		return; /* "" is unknown in the event: no parameter */
	sb_add(b, " ", 1);
	sb_str(b, name);
	sb_add(b, "=\"", 2);
	sb_text(b, v, VALUE_MAX, true);
	sb_add(b, "\"", 1);
}

static void param_u64(struct sb *b, const char *name, uint64_t v)
{
	sb_add(b, " ", 1);
	sb_str(b, name);
	sb_add(b, "=\"", 2);
	sb_u64(b, v);
	sb_add(b, "\"", 1);
}

/* The enums the messages name, and the prefix their value names drop. */
enum word_of { FAMILY, PROTOCOL, SOCKET_TYPE, WHAT, KIND };

static const struct {
	const ProtobufCEnumDescriptor *d;
	const char *prefix;
} enums[] = {
	[FAMILY] = {&warden__v1__family__descriptor, "FAMILY_"},
	[PROTOCOL] = {&warden__v1__protocol__descriptor, "PROTOCOL_"},
	[SOCKET_TYPE] = {&warden__v1__socket_type__descriptor, "SOCKET_TYPE_"},
	[WHAT] = {&warden__v1__confinement__what__descriptor, ""},
	[KIND] = {&warden__v1__lifecycle__kind__descriptor, ""},
};

/* An enum value's name without its prefix, lowercase, '_' as '-': FAMILY_INET6 -> "inet6",
 * EVENTS_LOST -> "events-lost"; its number when this build does not know it. */
static const char *word(enum word_of e, int v, char buf[WORD_MAX])
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(enums[e].d, v);
	size_t pl = strlen(enums[e].prefix), i;
	const char *n;

	if (!ev) {
		snprintf(buf, WORD_MAX, "%d", v);
		return buf;
	}
	n = ev->name;
	if (!strncmp(n, enums[e].prefix, pl))
		n += pl;
	for (i = 0; n[i] && i + 1 < WORD_MAX; i++)
		buf[i] = n[i] == '_' ? '-' : (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
	buf[i] = '\0';
	return buf;
}

bool wd_syslog_field_valid(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return false;
	return true;
}

int wd_syslog_severity(const Warden__V1__Event *ev)
{
	if (ev->action_case == WARDEN__V1__EVENT__ACTION_LIFECYCLE)
		return ev->lifecycle && ev->lifecycle->kind ==
						WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST
			       ? 3
			       : 5;
	switch (ev->decision) {
	case WARDEN__V1__DECISION__DECISION_DENIED:
		return 4;
	case WARDEN__V1__DECISION__DECISION_ALLOWED:
		return 6;
	default:
		return 5;
	}
}

const char *wd_syslog_msgid(const Warden__V1__Event *ev)
{
	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		return "exec";
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		return "file";
	case WARDEN__V1__EVENT__ACTION_CONNECT:
		return "connect";
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		return "mmap";
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		return "socket";
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		return "confine";
	case WARDEN__V1__EVENT__ACTION_LIFECYCLE:
		return "lifecycle";
	default:
		return "-";
	}
}

static const char *decision_param(Warden__V1__Decision d)
{
	switch (d) {
	case WARDEN__V1__DECISION__DECISION_ALLOWED:
		return "allowed";
	case WARDEN__V1__DECISION__DECISION_DENIED:
		return "denied";
	case WARDEN__V1__DECISION__DECISION_AUDIT_DENIED:
		return "audit-denied";
	default:
		return NULL;
	}
}

/* As `warden run` prints decisions. */
static const char *decision_word(Warden__V1__Decision d)
{
	switch (d) {
	case WARDEN__V1__DECISION__DECISION_ALLOWED:
		return "allow";
	case WARDEN__V1__DECISION__DECISION_DENIED:
		return "DENY";
	case WARDEN__V1__DECISION__DECISION_AUDIT_DENIED:
		return "AUDIT-DENY";
	default:
		return "?";
	}
}

static const char *file_access(const Warden__V1__FileOpen *f)
{
	if (wd_change_name(f->change))
		return wd_change_name(f->change);
	if (f->truncate)
		return "truncate";
	if (f->write)
		return "write";
	return f->read ? "read" : NULL;
}

/* The action's own parameters. */
static void sd_action(struct sb *b, const Warden__V1__Event *ev)
{
	char t[WORD_MAX];

	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		param_str(b, "path", ev->exec->path);
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		param_str(b, "path", ev->file_open->path);
		param_str(b, "access", file_access(ev->file_open));
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT: {
		const Warden__V1__Connect *c = ev->connect;

		param_str(b, "family", word(FAMILY, c->family, t));
		param_str(b, "addr", c->address_text);
		if (c->port)
			param_u64(b, "port", c->port);
		if (c->protocol)
			param_str(b, "proto", word(PROTOCOL, c->protocol, t));
		if (c->ip_protocol && c->protocol == WARDEN__V1__PROTOCOL__PROTOCOL_OTHER)
			param_u64(b, "ip_proto", c->ip_protocol);
		if (c->is_send)
			param_str(b, "send", "true");
		break;
	}
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		param_str(b, "path", ev->exec_mapping->path);
		if (ev->exec_mapping->via_mprotect)
			param_str(b, "mprotect", "true");
		break;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		param_str(b, "family", word(FAMILY, ev->socket_create->family, t));
		param_str(b, "type", word(SOCKET_TYPE, ev->socket_create->type, t));
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT: {
		const Warden__V1__Confinement *c = ev->confinement;

		param_str(b, "what", word(WHAT, c->what, t));
		param_str(b, "path", c->path);
		if (c->what == WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY)
			param_u64(b, "capability", c->capability);
		if (c->what == WARDEN__V1__CONFINEMENT__WHAT__BPF)
			param_u64(b, "bpf_cmd", c->bpf_command);
		if (c->what == WARDEN__V1__CONFINEMENT__WHAT__KILL)
			param_u64(b, "signal", c->signal);
		if (c->target_pid)
			param_u64(b, "target_pid", c->target_pid);
		if (c->what == WARDEN__V1__CONFINEMENT__WHAT__PTRACE)
			param_u64(b, "ptrace_mode", c->ptrace_mode);
		if (c->what == WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING)
			param_u64(b, "sockopt", c->socket_option);
		if (c->what == WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE)
			param_u64(b, "mode", c->mode);
		break;
	}
	case WARDEN__V1__EVENT__ACTION_LIFECYCLE: {
		const Warden__V1__Lifecycle *l = ev->lifecycle;

		param_str(b, "lifecycle", word(KIND, l->kind, t));
		if (l->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
			param_u64(b, "lost", l->lost_count);
			if (l->lost_first_seq || l->lost_last_seq) {
				param_u64(b, "lost_first", l->lost_first_seq);
				param_u64(b, "lost_last", l->lost_last_seq);
			}
		}
		break;
	}
	default:
		break;
	}
}

static void sd(struct sb *b, const Warden__V1__Event *ev)
{
	const Warden__V1__Process *p = ev->process;

	sb_str(b, "[" WD_SYSLOG_SD_ID);
	param_u64(b, "seq", ev->header ? ev->header->seq : 0);
	if (ev->header && ev->header->sandbox_seq)
		param_u64(b, "sandbox_seq", ev->header->sandbox_seq);
	param_str(b, "identity", ev->identity ? ev->identity->name : NULL);
	param_str(b, "sandbox", ev->sandbox ? ev->sandbox->id : NULL);
	param_str(b, "decision", decision_param(ev->decision));
	if (ev->rule)
		param_u64(b, "rule", ev->rule->id);
	param_str(b, "policy", ev->policy_name);
	param_str(b, "hook", ev->hook);
	if (p) {
		param_u64(b, "pid", p->pid);
		param_u64(b, "uid", p->uid);
		param_str(b, "exe", p->exe);
	}
	sd_action(b, ev);
	sb_add(b, "]", 1);
}

/* @pre, @s as free text, then @post; nothing when @s is empty. */
static void msg_part(struct sb *b, const char *pre, const char *s, const char *post)
{
	if (!s || !*s)
		return;
	sb_str(b, pre);
	sb_text(b, s, VALUE_MAX, false);
	sb_str(b, post);
}

/* The address of a connect as people write it: 192.0.2.1:443/tcp, [2001:db8::1]:53/udp. */
static void msg_connect(struct sb *b, const Warden__V1__Connect *c)
{
	char t[WORD_MAX];

	sb_str(b, c->is_send ? "send " : "connect ");
	if (c->family == WARDEN__V1__FAMILY__FAMILY_UNIX) {
		sb_str(b, "unix:");
		sb_text(b, c->address_text, VALUE_MAX, false);
		return;
	}
	if (c->family == WARDEN__V1__FAMILY__FAMILY_INET6)
		sb_add(b, "[", 1);
	sb_text(b, c->address_text[0] ? c->address_text : "?", VALUE_MAX, false);
	if (c->family == WARDEN__V1__FAMILY__FAMILY_INET6)
		sb_add(b, "]", 1);
	sb_add(b, ":", 1);
	sb_u64(b, c->port);
	if (c->protocol) {
		sb_add(b, "/", 1);
		sb_str(b, word(PROTOCOL, c->protocol, t));
	}
}

static void msg_lifecycle(struct sb *b, const Warden__V1__Event *ev)
{
	const Warden__V1__Lifecycle *l = ev->lifecycle;
	char t[WORD_MAX];

	sb_str(b, word(KIND, l->kind, t));
	if (l->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
		sb_add(b, " ", 1);
		sb_u64(b, l->lost_count);
		sb_str(b, " events (seq ");
		sb_u64(b, l->lost_first_seq);
		sb_add(b, "-", 1);
		sb_u64(b, l->lost_last_seq);
		sb_add(b, ")", 1);
	}
	msg_part(b, " identity=", ev->identity ? ev->identity->name : NULL, "");
	msg_part(b, " sandbox=", ev->sandbox ? ev->sandbox->id : NULL, "");
	msg_part(b, " policy=", ev->policy_name, "");
	msg_part(b, " (", l->detail, ")");
}

/* The free text: "DENY exec /tmp/x identity=ci:a sandbox=sb-1 pid=12 exe=/usr/bin/sh rule=7
 * (p.yaml:3:5 exec deny /tmp/)". */
static void msg(struct sb *b, const Warden__V1__Event *ev)
{
	const Warden__V1__Process *p = ev->process;
	const Warden__V1__FileOpen *f;
	char t[WORD_MAX];

	sb_str(b, BOM);
	if (ev->action_case == WARDEN__V1__EVENT__ACTION_LIFECYCLE) {
		msg_lifecycle(b, ev);
		return;
	}
	sb_str(b, decision_word(ev->decision));
	sb_add(b, " ", 1);
	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		sb_str(b, "exec ");
		sb_text(b, ev->exec->path, VALUE_MAX, false);
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		f = ev->file_open;
		if (wd_change_name(f->change)) {
			sb_str(b, wd_change_name(f->change));
			sb_str(b, " ");
		} else {
			sb_str(b, f->truncate ? "truncate "
				  : f->write  ? "open-write "
					      : "open-read ");
		}
		sb_text(b, f->path, VALUE_MAX, false);
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT:
		msg_connect(b, ev->connect);
		break;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		sb_str(b, "mmap-exec ");
		sb_text(b, ev->exec_mapping->path, VALUE_MAX, false);
		if (ev->exec_mapping->via_mprotect)
			sb_str(b, " (mprotect)");
		break;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		sb_str(b, "socket ");
		sb_str(b, word(FAMILY, ev->socket_create->family, t));
		sb_add(b, "/", 1);
		sb_str(b, word(SOCKET_TYPE, ev->socket_create->type, t));
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT:
		sb_str(b, "confine ");
		sb_str(b, word(WHAT, ev->confinement->what, t));
		msg_part(b, " ", ev->confinement->path, "");
		break;
	default:
		sb_str(b, "? (an action newer than this warden)");
		break;
	}
	msg_part(b, " identity=", ev->identity ? ev->identity->name : NULL, "");
	msg_part(b, " sandbox=", ev->sandbox ? ev->sandbox->id : NULL, "");
	if (p) {
		sb_str(b, " pid=");
		sb_u64(b, p->pid);
		msg_part(b, " exe=", p->exe, "");
	}
	if (ev->rule) {
		sb_str(b, " rule=");
		sb_u64(b, ev->rule->id);
		msg_part(b, " (", ev->rule->text, ")");
	}
}

static void timestamp(struct sb *b, uint64_t wall_ns)
{
	/* gmtime_r() and strftime() cost more than the rest of the header: the text of the
	 * last second is kept, per thread (each sink formats on its own thread). */
	static __thread struct {
		time_t t;
		size_t len; /* 0: nothing kept, or "-" */
		char ts[32];
	} last;
	time_t t = (time_t)(wall_ns / 1000000000ull);
	char frac[7];
	unsigned us = (unsigned)(wall_ns / 1000 % 1000000);
	struct tm tm;

	if (!wall_ns) {
		sb_add(b, "-", 1);
		return;
	}
	if (!last.len || last.t != t) {
		if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999) {
			sb_add(b, "-", 1);
			return;
		}
		last.len = strftime(last.ts, sizeof(last.ts), "%Y-%m-%dT%H:%M:%S", &tm);
		last.t = t;
	}
	sb_add(b, last.ts, last.len);
	sb_add(b, ".", 1);
	for (int i = 5; i >= 0; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	frac[6] = 'Z';
	sb_add(b, frac, sizeof(frac));
}

/* Cuts @len bytes of text at @start back to at most @max, at a UTF-8 character boundary. */
static size_t cut_utf8(const char *start, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)start[max] & 0xc0) == 0x80)
		max--;
	return max;
}

int wd_syslog_format(const struct wd_syslog_opts *o, const Warden__V1__Event *ev, char *buf,
		     size_t size)
{
	struct sb b = {.p = buf, .cap = size};
	const Warden__V1__Process *p = ev->process;
	size_t msg_at;

	sb_add(&b, "<", 1);
	sb_u64(&b, (unsigned)(o->facility * 8 + wd_syslog_severity(ev)));
	sb_add(&b, ">1 ", 3);
	timestamp(&b, ev->header ? ev->header->wall_ns : 0);
	sb_add(&b, " ", 1);
	sb_str(&b, o->hostname);
	sb_add(&b, " ", 1);
	sb_str(&b, o->app_name);
	sb_add(&b, " ", 1);
	if (p && p->pid && ev->action_case != WARDEN__V1__EVENT__ACTION_LIFECYCLE)
		sb_u64(&b, p->pid);
	else
		sb_add(&b, "-", 1);
	sb_add(&b, " ", 1);
	sb_str(&b, wd_syslog_msgid(ev));
	sb_add(&b, " ", 1);
	sd(&b, ev);
	sb_add(&b, " ", 1);
	msg_at = b.len;
	msg(&b, ev);
	if (b.full)
		return -ENOBUFS;
	/* Keep within what receivers accept by default, at the cost of the free text only. */
	if (b.len > WD_SYSLOG_MSG_TARGET) {
		size_t keep = msg_at + sizeof(BOM) - 1 + 64;

		if (WD_SYSLOG_MSG_TARGET > keep)
			keep = WD_SYSLOG_MSG_TARGET;
		b.len = msg_at + cut_utf8(buf + msg_at, b.len - msg_at, keep - msg_at);
	}
	return (int)b.len;
}
