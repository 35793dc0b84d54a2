// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden events`: reads event files (.pb, .pb.gz, or a sink's directory) and prints one line
 * per event, for people or as JSON; the one place their read errors are printed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "event_fmt.h"
#include "event_pb.h"
#include "sink_file.h"

#define FILTERS_MAX 16

struct events {
	bool json;
	const char *identity[FILTERS_MAX];
	int n_identity;
	Warden__V1__Decision decision[FILTERS_MAX];
	int n_decision;
	Warden__V1__Event__ActionCase kind[FILTERS_MAX];
	int n_kind;
	unsigned long long shown;
};

static void usage(FILE *f)
{
	fputs("Usage: warden events [--json] [--identity GLOB] [--decision DECISION]\n"
	      "                     [--kind KIND] FILE...\n"
	      "\n"
	      "Prints the events in warden event files: length-delimited warden.v1.Event\n"
	      "records (docs/events.md), gzip-compressed or not. FILEs are read in the order\n"
	      "given; a directory is read as a file sink writes it: for each sink NAME, its\n"
	      "rotated segments NAME-<time>-<n>.pb.gz oldest first, then NAME.pb. - reads\n"
	      "standard input.\n"
	      "\n"
	      "  -j, --json              one JSON object per line (the proto3 JSON mapping,\n"
	      "                          .proto field names, 64-bit numbers as strings)\n"
	      "  -i, --identity GLOB     only events of identities matching GLOB (fnmatch)\n"
	      "  -d, --decision DECISION only allowed, denied or audit-denied events\n"
	      "  -k, --kind KIND         only exec, file, connect, mmap, socket, confine or\n"
	      "                          lifecycle events\n"
	      "  -h, --help              this text\n"
	      "\n"
	      "Each filter may be given more than once: an event passes if it matches any value\n"
	      "of each filter given.\n"
	      "\n"
	      "Exit status: 0 all input read, 1 some input was unreadable or corrupt (the\n"
	      "message names the file and the record; the events before it are printed),\n"
	      "2 usage error.\n"
	      "\n"
	      "EXAMPLES:\n"
	      "  warden events /var/log/warden                 every event of every sink there\n"
	      "  warden events --decision denied events.pb     what was refused\n"
	      "  warden events -k exec -i 'ci:acme/*' events-20250101T000000Z-7.pb.gz\n"
	      "  warden events --json /var/log/warden | jq -c 'select(.connect) | .connect'\n"
	      "  ssh node7 cat /var/log/warden/events.pb | warden events -\n",
	      f);
}

static int parse_decision(const char *s, Warden__V1__Decision *d)
{
	if (strcmp(s, "allowed") == 0)
		*d = WARDEN__V1__DECISION__DECISION_ALLOWED;
	else if (strcmp(s, "denied") == 0)
		*d = WARDEN__V1__DECISION__DECISION_DENIED;
	else if (strcmp(s, "audit-denied") == 0)
		*d = WARDEN__V1__DECISION__DECISION_AUDIT_DENIED;
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	Warden__V1__Event__ActionCase action;
} kinds[] = {
	{"exec", WARDEN__V1__EVENT__ACTION_EXEC},
	{"file", WARDEN__V1__EVENT__ACTION_FILE_OPEN},
	{"connect", WARDEN__V1__EVENT__ACTION_CONNECT},
	{"mmap", WARDEN__V1__EVENT__ACTION_EXEC_MAPPING},
	{"socket", WARDEN__V1__EVENT__ACTION_SOCKET_CREATE},
	{"confine", WARDEN__V1__EVENT__ACTION_CONFINEMENT},
	{"lifecycle", WARDEN__V1__EVENT__ACTION_LIFECYCLE},
};

static int parse_kind(const char *s, Warden__V1__Event__ActionCase *k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, kinds[i].name) == 0) {
			*k = kinds[i].action;
			return 0;
		}
	}
	return -EINVAL;
}

static bool wanted(const struct events *x, const Warden__V1__Event *ev)
{
	const char *id = ev->identity && ev->identity->name ? ev->identity->name : "";
	bool ok;
	int i;

	for (ok = !x->n_identity, i = 0; !ok && i < x->n_identity; i++)
		ok = fnmatch(x->identity[i], id, 0) == 0;
	if (!ok)
		return false;
	for (ok = !x->n_decision, i = 0; !ok && i < x->n_decision; i++)
		ok = ev->decision == x->decision[i];
	if (!ok)
		return false;
	for (ok = !x->n_kind, i = 0; !ok && i < x->n_kind; i++)
		ok = ev->action_case == x->kind[i];
	return ok;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* For strings wd_event_format() does not escape itself (who, why): control bytes and
 * backslashes as \xNN, as it does, so one event stays one line and a crafted name cannot forge
 * a line of its own. */
static void copy_esc(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p; p++) {
		bool esc = *p < 0x20 || *p == 0x7f || *p == '\\';

		if (o + (esc ? 4 : 1) >= size)
			break;
		if (esc)
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", *p);
		else
			dst[o++] = (char)*p;
	}
	dst[o] = '\0';
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
		e->port = (uint16_t)c->capability;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__BPF:
		e->hook = WD_HOOK_BPF;
		e->port = (uint16_t)c->bpf_command;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__KILL:
		e->hook = WD_HOOK_TASK_KILL;
		e->port = (uint16_t)c->signal;
		e->lost = c->target_pid;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__PTRACE:
		e->hook = WD_HOOK_PTRACE;
		e->port = (uint16_t)c->ptrace_mode;
		e->lost = c->target_pid;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__MOUNT:
	case WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR:
		e->hook = WD_HOOK_MOUNT;
		e->port = c->what == WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__CHROOT:
		e->hook = WD_HOOK_CHROOT;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__USER_NAMESPACE:
		e->hook = WD_HOOK_USERNS;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING:
		e->hook = WD_HOOK_SETSOCKOPT;
		e->port = (uint16_t)c->socket_option;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__RECEIVE_SOCKET:
		e->hook = WD_HOOK_FILE_RECEIVE;
		break;
	case WARDEN__V1__CONFINEMENT__WHAT__HARDLINK:
		e->hook = WD_HOOK_PATH_LINK;
		break;
	default:
		e->hook = WD_HOOK_FILE_OPEN;
		copy_str(e->path, sizeof(e->path), c->path);
	}
}

static bool pb_to_record(const Warden__V1__Event *ev, struct wd_event *e)
{
	const Warden__V1__Process *p = ev->process;
	unsigned hook = wd_pb_hook_id(ev->hook);

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

static const char *lifecycle_name(Warden__V1__Lifecycle__Kind k)
{
	switch (k) {
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED:
		return "sandbox-created";
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED:
		return "sandbox-expired";
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_REVOKED:
		return "sandbox-revoked";
	case WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED:
		return "sandbox-ended";
	case WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED:
		return "policy-applied";
	case WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST:
		return "events-lost";
	default:
		return "lifecycle";
	}
}

static void print_line(const Warden__V1__Event *ev)
{
	uint64_t wall = ev->header ? ev->header->wall_ns : 0;
	time_t t = (time_t)(wall / 1000000000ull);
	char ts[40] = "-", who[640], id[256], sb[128], text[1024];
	struct wd_event e;
	struct tm tm;

	if (wall && gmtime_r(&t, &tm)) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03uZ",
			 (unsigned)(wall / 1000000 % 1000));
	}
	copy_esc(id, sizeof(id), ev->identity && ev->identity->name[0] ? ev->identity->name : "-");
	copy_esc(sb, sizeof(sb), ev->sandbox && ev->sandbox->id[0] ? ev->sandbox->id : "-");
	snprintf(who, sizeof(who), "warden[%s %s]:", id, sb);
	printf("%s ", ts);
	if (ev->action_case == WARDEN__V1__EVENT__ACTION_LIFECYCLE) {
		const Warden__V1__Lifecycle *l = ev->lifecycle;

		printf("%s %s", who, lifecycle_name(l->kind));
		if (l->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST)
			printf(" %" PRIu64 " events (seq %" PRIu64 "-%" PRIu64 ")", l->lost_count,
			       l->lost_first_seq, l->lost_last_seq);
		copy_esc(text, sizeof(text), ev->policy_name);
		if (text[0])
			printf(" policy=%s", text);
		copy_esc(text, sizeof(text), l->detail);
		if (text[0])
			printf(" (%s)", text);
	} else if (pb_to_record(ev, &e)) {
		copy_esc(text, sizeof(text), ev->rule ? ev->rule->text : NULL);
		wd_event_format(stdout, &e, who, text[0] ? text : NULL);
	} else {
		printf("%s ? unknown action (seq %" PRIu64 "): a newer warden wrote it; try --json",
		       who, ev->header ? ev->header->seq : 0);
	}
	putchar('\n');
}

/* Prints the events of one file; returns 0, or 1 after printing why the rest is unreadable. */
static int show_file(struct events *x, const char *path)
{
	struct wd_pb_reader r;
	Warden__V1__Event *ev;
	int ret = wd_pb_reader_open(&r, path);

	if (ret) {
		fprintf(stderr, "warden events: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	while ((ret = wd_pb_read_event(&r, &ev)) == 1) {
		if (wanted(x, ev)) {
			if (x->json) {
				wd_pb_event_json(stdout, ev);
				putchar('\n');
			} else {
				print_line(ev);
			}
			x->shown++;
		}
		warden__v1__event__free_unpacked(ev, NULL);
	}
	if (ret < 0) {
		fflush(stdout);
		fprintf(stderr,
			"warden events: %s: record %llu (at byte %llu%s): %s; the %llu records "
			"before it were read\n",
			path, (unsigned long long)r.n + 1, (unsigned long long)r.offset,
			gzdirect(r.gz) ? "" : " of the decompressed data", wd_pb_strerror(ret),
			(unsigned long long)r.n);
	}
	wd_pb_reader_close(&r);
	return ret < 0;
}

static int show(struct events *x, const char *path)
{
	struct sink_file_segment *segs;
	struct stat st;
	size_t n;
	int status = 0, err;

	if (strcmp(path, "-") == 0 || stat(path, &st) || !S_ISDIR(st.st_mode))
		return show_file(x, path);
	err = sink_file_list(path, NULL, &segs, &n);
	if (err) {
		fprintf(stderr, "warden events: %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (!n)
		fprintf(stderr, "warden events: %s: no event files (NAME.pb, NAME-*.pb.gz) here\n",
			path);
	for (size_t i = 0; i < n; i++)
		status |= show_file(x, segs[i].path);
	sink_file_list_free(segs, n);
	return status;
}

/* The test aid behind --selftest-write (tests/host/test_events_pb.sh): synthetic events of
 * every kind through the real encoder and file sink, with strings that need escaping and
 * bytes that are not UTF-8. Not for production use, hence not in --help. */

#define ST_SANDBOX "sb-5e1f7e5700000001"
/* 17 kinds of record, 11 of confinement, and the end of the sandbox. */
#define SELFTEST_VARIANTS 29

static int selftest_proc(void *arg, uint32_t pid, struct wd_proc_info *out)
{
	memset(out, 0, sizeof(*out));
	out->start_ticks = 100 + pid;
	out->gid = 1000;
	switch (pid) {
	case 900: /* the sandbox's first process */
		out->ppid = 800;
		copy_str(out->comm, sizeof(out->comm), "make");
		copy_str(out->exe, sizeof(out->exe), "/usr/bin/make");
		break;
	case 800: /* warden itself, outside the sandbox: ancestry stops before it */
		out->ppid = 1;
		copy_str(out->comm, sizeof(out->comm), "warden");
		copy_str(out->exe, sizeof(out->exe), "/usr/sbin/warden");
		copy_str(out->cgroup, sizeof(out->cgroup), "/system.slice/warden.service");
		return 0;
	default:
		if (pid < 1000)
			return -ENOENT;
		out->ppid = 900;
		copy_str(out->comm, sizeof(out->comm), "sh");
		copy_str(out->exe, sizeof(out->exe), "/usr/bin/dash");
	}
	copy_str(out->cgroup, sizeof(out->cgroup), "/warden/" ST_SANDBOX);
	return 0;
}

static const char *selftest_rule(void *arg, uint32_t id)
{
	static char buf[128];

	if (!id)
		return NULL;
	snprintf(buf, sizeof(buf), "selftest.yaml:%u:7 rule \"%u\"", id, id);
	return buf;
}

/* Variant @i of the synthetic events; returns a Lifecycle kind for events warden makes, 0 for a
 * kernel record in @e. */
static int selftest_event(unsigned i, struct wd_event *e)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	memset(e, 0, sizeof(*e));
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.ktime_ns = 200000000000ull + i * 1000000ull;
	e->cgroup_id = 4242;
	e->policy_id = 1;
	e->pid = 1000 + i % 7;
	e->tid = e->pid + (i % 2);
	e->uid = 1000;
	e->decision = WD_DEC_DENY;
	e->rule_id = i % 5;
	memcpy(e->comm, "sh\"x\\y0123456789", WD_COMM_LEN); /* no NUL: bounded */
	copy_str(e->exe, sizeof(e->exe), i % 3 ? "/usr/bin/dash" : "");
	switch (i % SELFTEST_VARIANTS) {
	case 0:
		return WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED;
	case 1:
		e->hdr.type = WD_EV_EXEC;
		e->hook = WD_HOOK_BPRM;
		e->decision = WD_DEC_ALLOW;
		copy_str(e->path, sizeof(e->path), "/usr/bin/make");
		break;
	case 2:
		e->hdr.type = WD_EV_EXEC;
		e->hook = WD_HOOK_BPRM;
		copy_str(e->path, sizeof(e->path), "/tmp/payload");
		break;
	case 3:
		e->hdr.type = WD_EV_FILE;
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_READ;
		copy_str(e->path, sizeof(e->path), "/etc/shadow");
		break;
	case 4:
		e->hdr.type = WD_EV_FILE;
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_WRITE;
		e->decision = WD_DEC_ALLOW;
		copy_str(e->path, sizeof(e->path), "/tmp/we\xff\xfeird\n\"name\"\ttab");
		break;
	case 5:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_CONNECT4;
		e->family = AF_INET;
		e->proto = 6;
		e->port = 80;
		e->addr[10] = e->addr[11] = 0xff;
		e->addr[12] = 169;
		e->addr[13] = 254;
		e->addr[14] = 169;
		e->addr[15] = 254;
		break;
	case 6:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_SENDMSG6;
		e->decision = WD_DEC_AUDIT_DENY;
		e->family = AF_INET6;
		e->proto = 17;
		e->port = 53;
		memcpy(e->addr, v6, 16);
		break;
	case 7:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_UNIX_CONNECT;
		e->family = AF_UNIX;
		copy_str(e->path, sizeof(e->path), "docker.sock");
		break;
	case 8:
		e->hdr.type = WD_EV_MMAP;
		e->hook = WD_HOOK_MMAP;
		e->decision = WD_DEC_ALLOW;
		e->op = WD_OP_EXEC;
		copy_str(e->path, sizeof(e->path), "/usr/lib/x86_64-linux-gnu/libc.so.6");
		break;
	case 9:
		e->hdr.type = WD_EV_MMAP;
		e->hook = WD_HOOK_MPROTECT;
		e->op = WD_OP_EXEC;
		copy_str(e->path, sizeof(e->path), "payload.so");
		break;
	case 10:
		e->hdr.type = WD_EV_SOCKET;
		e->hook = WD_HOOK_SOCK_CREATE;
		e->family = 17; /* AF_PACKET */
		e->proto = 3;	/* SOCK_RAW */
		break;
	case 11:
		e->hdr.type = WD_EV_CONFINE;
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_WRITE;
		e->rule_id = 0;
		copy_str(e->path, sizeof(e->path), "/sys/fs/cgroup/cgroup.procs");
		break;
	case 12:
		e->hdr.type = WD_EV_CONFINE;
		e->hook = WD_HOOK_TASK_ALLOC;
		e->rule_id = 0;
		break;
	case 13:
		e->hdr.type = WD_EV_LOST;
		e->lost = 3;
		break;
	case 14:
		return WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED;
	case 15:
		e->hdr.type = WD_EV_FILE;
		e->hook = WD_HOOK_TRUNCATE;
		e->op = WD_OP_WRITE;
		copy_str(e->path, sizeof(e->path), "/etc/hosts");
		break;
	case 16:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_UNIX_SEND;
		e->family = AF_UNIX;
		copy_str(e->path, sizeof(e->path), "log");
		break;
	case SELFTEST_VARIANTS - 1:
		return WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED;
	default: {
		/* Confinement: hook, then what the kernel puts in port and lost. */
		static const uint16_t confine[][3] = {
			{WD_HOOK_CAPABLE, 21, 0},    {WD_HOOK_BPF, 5, 0},
			{WD_HOOK_TASK_KILL, 9, 800}, {WD_HOOK_PTRACE, 0x11, 800},
			{WD_HOOK_MOUNT, 0, 0},	     {WD_HOOK_MOUNT, 1, 0},
			{WD_HOOK_CHROOT, 0, 0},	     {WD_HOOK_USERNS, 0, 0},
			{WD_HOOK_SETSOCKOPT, 7, 0},  {WD_HOOK_FILE_RECEIVE, 0, 0},
			{WD_HOOK_PATH_LINK, 0, 0},
		};
		const uint16_t *c = confine[i % SELFTEST_VARIANTS - 17];

		e->hdr.type = WD_EV_CONFINE;
		e->rule_id = 0;
		e->hook = c[0];
		e->port = c[1];
		e->lost = c[2];
	}
	}
	return 0;
}

static int selftest_write(const char *path, const char *count, const char *max_bytes)
{
	static const struct wd_label labels[] = {
		{"repo", "acme/api"},
		{"note", "tab\there \"quoted\" back\\slash"},
	};
	uint64_t node_seq = 0, sb_seq = 0;
	struct wd_event_ctx ctx = {
		.identity = "ci:selftest/api#1",
		.labels = labels,
		.n_labels = 2,
		.sandbox_id = ST_SANDBOX,
		.cgroup_path = "/sys/fs/cgroup/warden/" ST_SANDBOX,
		.cgroup_id = 4242,
		.policy_name = "selftest",
		.node = "selftest-node",
		.boot_id = "5e1f7e57-0000-4000-8000-000000000001",
		.boot_to_wall_ns = 1700000000000000000ll,
		.rule_text = selftest_rule,
		.proc_lookup = selftest_proc,
		.node_seq = &node_seq,
		.sandbox_seq = &sb_seq,
	};
	struct sink_file_opts o = {0};
	struct wd_pb_event *pe = NULL;
	struct sink_file *s = NULL;
	static uint8_t buf[WD_PB_RECORD_MAX];
	char *dir = NULL, *slash, *end;
	unsigned long n;
	const void *last;
	size_t lastlen, len = strlen(path);
	int err;

	n = strtoul(count, &end, 10);
	if (*end || !*count || len < 4 || strcmp(path + len - 3, ".pb")) {
		fprintf(stderr, "warden events: --selftest-write DIR/NAME.pb N [MAX_BYTES]\n");
		return 2;
	}
	if (max_bytes) {
		o.max_bytes = strtoull(max_bytes, &end, 10);
		if (*end || !*max_bytes) {
			fprintf(stderr, "warden events: MAX_BYTES '%s' is not a number\n",
				max_bytes);
			return 2;
		}
	}
	dir = strdup(path);
	pe = malloc(sizeof(*pe));
	if (!dir || !pe) {
		err = -ENOMEM;
		goto out;
	}
	dir[len - 3] = '\0';
	slash = strrchr(dir, '/');
	o.name = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	o.dir = slash ? (dir[0] ? dir : "/") : ".";
	err = sink_file_open(&s, &o);
	if (err)
		goto out;
	/* Numbering continues after what the sink holds, as warden does after a restart. */
	if (sink_file_last_record(s, &last, &lastlen) == 0)
		wd_pb_record_seq(last, lastlen, &node_seq);
	for (unsigned long i = 0; i < n; i++) {
		struct wd_event e;
		int kind = selftest_event((unsigned)i, &e);
		size_t size;

		if (kind)
			err = wd_event_lifecycle_to_pb(
				&ctx, kind,
				kind == WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED ? "exit status 0"
										   : NULL,
				pe);
		else
			err = wd_event_to_pb(&e, &ctx, pe);
		if (err)
			goto out;
		size = warden__v1__event__get_packed_size(&pe->ev);
		if (size > sizeof(buf)) {
			err = -EMSGSIZE;
			goto out;
		}
		warden__v1__event__pack(&pe->ev, buf);
		err = sink_file_write(s, buf, size);
		if (err)
			goto out;
	}
out:
	if (s) {
		int e = sink_file_close(s);

		if (!err)
			err = e;
	}
	if (err)
		fprintf(stderr, "warden events: --selftest-write %s: %s\n", path, strerror(-err));
	free(pe);
	free(dir);
	return err ? 1 : 0;
}

int wd_cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"identity", required_argument, NULL, 'i'},
		{"decision", required_argument, NULL, 'd'},
		{"kind", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct events x = {0};
	int c, status = 0;

	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "--selftest-write") == 0)
		return selftest_write(argv[2], argv[3], argc == 5 ? argv[4] : NULL);

	while ((c = getopt_long(argc, argv, "ji:d:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			x.json = true;
			break;
		case 'i':
			if (x.n_identity == FILTERS_MAX)
				goto too_many;
			x.identity[x.n_identity++] = optarg;
			break;
		case 'd':
			if (x.n_decision == FILTERS_MAX)
				goto too_many;
			if (parse_decision(optarg, &x.decision[x.n_decision++])) {
				fprintf(stderr,
					"warden events: --decision '%s': write allowed, denied or "
					"audit-denied\n",
					optarg);
				return 2;
			}
			break;
		case 'k':
			if (x.n_kind == FILTERS_MAX)
				goto too_many;
			if (parse_kind(optarg, &x.kind[x.n_kind++])) {
				fprintf(stderr,
					"warden events: --kind '%s': write exec, file, connect, "
					"mmap, "
					"socket, confine or lifecycle\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'warden events --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "warden events: no input: give event files or a directory "
				"(warden events --help)\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		status |= show(&x, argv[i]);
	if (fflush(stdout)) {
		fprintf(stderr, "warden events: writing the output: %s\n", strerror(errno));
		return 1;
	}
	return status;

too_many:
	fprintf(stderr, "warden events: at most %d values per filter\n", FILTERS_MAX);
	return 2;
}
