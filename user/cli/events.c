// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden events`: reads event files (.pb, .pb.gz, or a sink's directory), or follows a file
 * sink as it writes, and prints one line per event, for people, as JSON or OCSF-shaped JSON;
 * the one place their read errors are printed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "event/fmt.h"
#include "event/ocsf.h"
#include "event/event.h"
#include "export/sink.h"
#include "export/sink_file.h"
#include "hooks/hooks.h"

#define FILTERS_MAX 16

enum output {
	OUT_TEXT,
	OUT_JSON, /* the proto3 JSON mapping */
	OUT_OCSF,
};

struct events {
	enum output out;
	bool follow;
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
	fputs("Usage: warden events [--json | --ocsf] [--identity GLOB] [--decision DECISION]\n"
	      "                     [--kind KIND] FILE...\n"
	      "       warden events --follow [OPTIONS] DIR|DIR/NAME.pb\n"
	      "\n"
	      "Prints the events in warden event files: length-delimited warden.v1.Event\n"
	      "records (docs/events.md), gzip-compressed or not. FILEs are read in the order\n"
	      "given; a directory is read as a file sink writes it: for each sink NAME, its\n"
	      "rotated segments NAME-<time>-<n>.pb.gz oldest first, then NAME.pb. - reads\n"
	      "standard input.\n"
	      "\n"
	      "  -j, --json              one JSON object per line (the proto3 JSON mapping,\n"
	      "                          .proto field names, 64-bit numbers as strings)\n"
	      "  -o, --ocsf              one OCSF-shaped JSON object per line (OCSF 1.1.0:\n"
	      "                          Process Activity, File System Activity, Network\n"
	      "                          Activity, ...; docs/events.md has the mapping)\n"
	      "  -f, --follow            print what the file sink writes next, as tail -f\n"
	      "                          does: first what is there, then each record as it is\n"
	      "                          appended, across rotations; a half-written record is\n"
	      "                          waited for, never printed. Give the sink's directory\n"
	      "                          (every sink there) or its current segment NAME.pb\n"
	      "                          (that sink, from that segment on). Runs until killed.\n"
	      "  -i, --identity GLOB     only events of identities matching GLOB (fnmatch)\n"
	      "  -d, --decision DECISION only allowed, denied or audit-denied events\n"
	      "  -k, --kind KIND         only exec, file, connect, mmap, socket, confine or\n"
	      "                          lifecycle events\n"
	      "  -h, --help              this text\n"
	      "\n"
	      "Each filter may be given more than once: an event passes if it matches any value\n"
	      "of each filter given. Filters apply to every output format, followed or not.\n"
	      "\n"
	      "Exit status: 0 all input read, 1 some input was unreadable or corrupt (the\n"
	      "message names the file and the record; the events before it are printed),\n"
	      "2 usage error. With --follow, a corrupt record is reported and the sink is\n"
	      "followed again from its next segment; it exits only on a write error or when\n"
	      "the input cannot be read at all.\n"
	      "\n"
	      "EXAMPLES:\n"
	      "  warden events /var/log/warden                 every event of every sink there\n"
	      "  warden events --decision denied events.pb     what was refused\n"
	      "  warden events -k exec -i 'ci:acme/*' events-20250101T000000Z-7.pb.gz\n"
	      "  warden events --json /var/log/warden | jq -c 'select(.connect) | .connect'\n"
	      "  warden events --ocsf -d denied /var/log/warden > denied.ocsf.jsonl\n"
	      "  warden events --follow -d denied /var/log/warden   watch refusals live\n"
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
	case WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE:
		e->hook = WD_HOOK_PATH_CHMOD;
		e->port = (uint16_t)c->mode;
		break;
	default:
		e->hook = WD_HOOK_FILE_OPEN;
		copy_str(e->path, sizeof(e->path), c->path);
	}
}

static bool pb_to_record(const Warden__V1__Event *ev, struct wd_event *e)
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
		copy_esc(text, sizeof(text), l->sink);
		if (text[0])
			printf(" sink=%s", text);
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

/* Prints @ev in the chosen format if the filters let it through. */
static void emit(struct events *x, const Warden__V1__Event *ev)
{
	if (!wanted(x, ev))
		return;
	switch (x->out) {
	case OUT_JSON:
		wd_pb_event_json(stdout, ev);
		putchar('\n');
		break;
	case OUT_OCSF:
		wd_ocsf_event_json(stdout, ev);
		putchar('\n');
		break;
	default:
		print_line(ev);
	}
	x->shown++;
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
		emit(x, ev);
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

/* --follow. Each sink is followed on its own: its current segment NAME.pb is read by offset as
 * records are appended, whole records only; when NAME.pb is renamed away (rotated), the rest of
 * it is read through the descriptor still open on it, segments rotated since are read from
 * their rotated files, and the new NAME.pb is followed from its start. */

#define FOLLOW_BUF     (4 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX))
#define FOLLOW_WAIT_MS 1000 /* a wake-up without inotify, or should it miss something */

struct follow {
	char *name; /* the sink's name */
	char *cur;  /* DIR/NAME.pb */
	int fd;	    /* the segment being followed, or -1 */
	dev_t dev;
	ino_t ino;
	uint64_t done;	  /* bytes of it read as whole records */
	uint64_t records; /* whole records read from it */
	uint64_t seen;	  /* rotation numbers up to this one are read, or were there before */
	bool broken;	  /* a corrupt record: nothing more is read from this segment */
};

struct follower {
	char *dir;
	bool one; /* NAME.pb was given: that sink only */
	struct follow *f;
	size_t n;
};

static void follow_error(const struct follow *f, int err, const char *then)
{
	fflush(stdout);
	fprintf(stderr, "warden events: %s: record %llu (at byte %llu): %s; %s\n", f->cur,
		(unsigned long long)f->records + 1, (unsigned long long)f->done,
		wd_pb_strerror(err), then);
}

/* Prints the whole records appended since the last call; a record not all there yet is left
 * for the next call. */
static void follow_read(struct events *x, struct follow *f)
{
	static uint8_t buf[FOLLOW_BUF];
	ssize_t got;

	if (f->fd < 0 || f->broken)
		return;
	do {
		size_t off = 0;
		int err = 0;

		got = pread(f->fd, buf, sizeof(buf), (off_t)f->done);
		if (got < 0)
			err = -errno;
		while (!err && (size_t)got > off) {
			size_t avail = (size_t)got - off;
			Warden__V1__Event *ev;
			uint64_t len;
			int used = wd_pb_varint_get(buf + off, avail, &len);

			if (used < 0 || (used > 0 && len > WD_PB_RECORD_MAX)) {
				err = used < 0 ? -EBADMSG : -EMSGSIZE;
				break;
			}
			/* The writer has not put all of it there yet. */
			if (used == 0 || len > avail - (size_t)used)
				break;
			ev = warden__v1__event__unpack(NULL, len, buf + off + used);
			if (!ev) {
				err = -EPROTO;
				break;
			}
			emit(x, ev);
			warden__v1__event__free_unpacked(ev, NULL);
			off += (size_t)used + len;
			f->done += (size_t)used + len;
			f->records++;
		}
		if (err) {
			follow_error(f, err, "following this sink again from its next segment");
			f->broken = true;
			return;
		}
		if (!off)
			break;
	} while ((size_t)got == sizeof(buf));
}

/* NAME.pb was renamed away or removed: what the writer put into it is final. Reads its rest,
 * and works out which rotation it became, so that it is not read again from there. */
static void follow_finish(struct events *x, struct follower *w, struct follow *f)
{
	struct sink_file_segment *segs;
	struct stat st;
	size_t n;

	follow_read(x, f);
	if (!f->broken && !fstat(f->fd, &st) && (uint64_t)st.st_size > f->done)
		follow_error(f, -EBADMSG, "the segment was rotated with it");
	if (!sink_file_list(w->dir, f->name, &segs, &n)) {
		for (size_t i = 0; i < n; i++) {
			if (segs[i].current || segs[i].n <= f->seen)
				continue;
			/* The first rotation after it is it, unless that is a plain file of
			 * another inode: then its own was deleted already. */
			if (segs[i].compressed || (!stat(segs[i].path, &st) &&
						   st.st_ino == f->ino && st.st_dev == f->dev))
				f->seen = segs[i].n;
			break;
		}
		sink_file_list_free(segs, n);
	}
	close(f->fd);
	f->fd = -1;
	f->broken = false;
}

/* Reads the segments rotated since f->seen, then opens NAME.pb; when a rotation comes between
 * the listing and the open, the listing is done again, so that no segment is skipped and none
 * read twice. */
static void follow_catch_up(struct events *x, struct follower *w, struct follow *f)
{
	struct sink_file_segment *segs;
	struct stat st;
	bool again = true;
	size_t n;
	int err;

	while (again) {
		again = false;
		err = sink_file_list(w->dir, f->name, &segs, &n);
		if (err) {
			fprintf(stderr, "warden events: %s: %s\n", w->dir, strerror(-err));
			return;
		}
		for (size_t i = 0; i < n; i++) {
			if (segs[i].current || segs[i].n <= f->seen)
				continue;
			/* NAME.pb, opened just before, may be this one: read it from here. */
			if (f->fd >= 0) {
				close(f->fd);
				f->fd = -1;
			}
			show_file(x, segs[i].path);
			f->seen = segs[i].n;
		}
		sink_file_list_free(segs, n);
		if (f->fd >= 0)
			return;
		f->fd = open(f->cur, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			if (errno != ENOENT)
				fprintf(stderr, "warden events: %s: %s\n", f->cur, strerror(errno));
			return;
		}
		if (fstat(f->fd, &st)) {
			close(f->fd);
			f->fd = -1;
			return;
		}
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->done = f->records = 0;
		f->broken = false;
		again = true;
	}
}

static void follow_step(struct events *x, struct follower *w, struct follow *f)
{
	struct stat st;

	if (f->fd >= 0) {
		/* Cut shorter than what was read: not by warden (it cuts only torn tails). */
		if (!fstat(f->fd, &st) && (uint64_t)st.st_size < f->done) {
			fprintf(stderr,
				"warden events: %s was truncated to %llu bytes by someone else; "
				"following on from there\n",
				f->cur, (unsigned long long)st.st_size);
			f->done = (uint64_t)st.st_size;
		}
		follow_read(x, f);
		if (!stat(f->cur, &st) && st.st_ino == f->ino && st.st_dev == f->dev)
			return;
		follow_finish(x, w, f);
	}
	follow_catch_up(x, w, f);
}

static struct follow *follow_add(struct follower *w, const char *name, uint64_t seen)
{
	struct follow *v = realloc(w->f, (w->n + 1) * sizeof(*v)), *f;

	if (!v)
		return NULL;
	w->f = v;
	f = &v[w->n];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->seen = seen;
	f->name = strdup(name);
	if (!f->name || asprintf(&f->cur, "%s/%s.pb", w->dir, name) < 0) {
		free(f->name);
		return NULL;
	}
	w->n++;
	return f;
}

/* Sinks that appeared in the directory since the last look (all of them, the first time). */
static int follow_discover(struct follower *w)
{
	struct sink_file_segment *segs = NULL;
	size_t n = 0, k;
	int err = sink_file_list(w->dir, NULL, &segs, &n);

	for (size_t i = 0; !err && i < n; i++) {
		for (k = 0; k < w->n && strcmp(w->f[k].name, segs[i].name); k++)
			;
		if (k == w->n && !follow_add(w, segs[i].name, 0))
			err = -ENOMEM;
	}
	if (segs)
		sink_file_list_free(segs, n);
	return err;
}

static int follow(struct events *x, const char *arg)
{
	struct follower w = {0};
	struct stat st;
	char ev[4096];
	size_t len = strlen(arg);
	int in;

	if (strcmp(arg, "-") == 0) {
		fprintf(stderr,
			"warden events: --follow follows a file sink's directory or its "
			"current segment NAME.pb; standard input is read to its end without "
			"--follow\n");
		return 2;
	}
	if (stat(arg, &st)) {
		fprintf(stderr, "warden events: --follow %s: %s\n", arg, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode) &&
	    (!S_ISREG(st.st_mode) || len < 4 || strcmp(arg + len - 3, ".pb"))) {
		fprintf(stderr,
			"warden events: --follow %s: give a file sink's directory or its current "
			"segment NAME.pb (rotated segments never change)\n",
			arg);
		return 2;
	}
	if (S_ISDIR(st.st_mode)) {
		w.dir = strdup(arg);
		if (!w.dir)
			goto oom;
	} else {
		const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
		struct sink_file_segment *segs;
		uint64_t seen = 0;
		size_t n;
		char *name;

		w.one = true;
		w.dir = base == arg	  ? strdup(".")
			: base == arg + 1 ? strdup("/")
					  : strndup(arg, (size_t)(base - 1 - arg));
		name = strndup(base, strlen(base) - 3);
		if (!w.dir || !name)
			goto oom;
		/* From this segment on: the rotated ones there already are older. */
		if (!sink_file_list(w.dir, name, &segs, &n)) {
			for (size_t i = 0; i < n; i++)
				if (!segs[i].current && segs[i].n > seen)
					seen = segs[i].n;
			sink_file_list_free(segs, n);
		}
		if (!follow_add(&w, name, seen))
			goto oom;
		free(name);
	}
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in >= 0 && inotify_add_watch(in, w.dir,
					 IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO |
						 IN_DELETE | IN_CLOSE_WRITE) < 0) {
		close(in);
		in = -1;
	}
	for (;;) {
		if (!w.one && follow_discover(&w) == -ENOMEM)
			goto oom;
		for (size_t i = 0; i < w.n; i++)
			follow_step(x, &w, &w.f[i]);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "warden events: writing the output: %s\n", strerror(errno));
			return 1;
		}
		if (in >= 0) {
			struct pollfd p = {.fd = in, .events = POLLIN};

			if (poll(&p, 1, FOLLOW_WAIT_MS) > 0)
				while (read(in, ev, sizeof(ev)) > 0)
					;
		} else {
			poll(NULL, 0, FOLLOW_WAIT_MS / 4);
		}
	}
oom:
	fprintf(stderr, "warden events: out of memory\n");
	return 1;
}

/* The test aid behind --selftest-write (tests/host/test_events_pb.sh): synthetic events of
 * every kind through the real encoder and file sink, with strings that need escaping and
 * bytes that are not UTF-8. Not for production use, hence not in --help. */

#define ST_SANDBOX "sb-5e1f7e5700000001"
/* 17 kinds of record, 11 of confinement, and the end of the sandbox. */
#define SELFTEST_VARIANTS 29

static int selftest_proc(void *arg, uint32_t pid, struct wd_proc_info *buf,
			 const struct wd_proc_info **res)
{
	struct wd_proc_info *out = buf;

	*res = buf;
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

typedef int (*selftest_put_fn)(void *arg, const Warden__V1__Event *ev, const uint8_t *rec,
			       size_t len);

/* Makes @n synthetic events, numbered on from *@node_seq, and hands each to @put. */
static int selftest_events(unsigned long n, uint64_t *node_seq, selftest_put_fn put, void *arg)
{
	static const struct wd_label labels[] = {
		{"repo", "acme/api"},
		{"note", "tab\there \"quoted\" back\\slash"},
	};
	uint64_t sb_seq = 0;
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
		.node_seq = node_seq,
		.sandbox_seq = &sb_seq,
	};
	static uint8_t buf[WD_PB_RECORD_MAX];
	struct wd_pb_event *pe = malloc(sizeof(*pe));
	int err = pe ? 0 : -ENOMEM;

	for (unsigned long i = 0; !err && i < n; i++) {
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
			break;
		size = warden__v1__event__get_packed_size(&pe->ev);
		if (size > sizeof(buf)) {
			err = -EMSGSIZE;
			break;
		}
		warden__v1__event__pack(&pe->ev, buf);
		err = put(arg, &pe->ev, buf, size);
	}
	free(pe);
	return err;
}

static int parse_count(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*s || *end || errno ? -EINVAL : 0;
}

static int put_file(void *arg, const Warden__V1__Event *ev, const uint8_t *rec, size_t len)
{
	return sink_file_write(arg, rec, len);
}

/* --selftest-write DIR/NAME.pb N [MAX_BYTES]: through the file sink. */
static int selftest_write(const char *path, const char *count, const char *max_bytes)
{
	struct sink_file_opts o = {0};
	struct sink_file *s = NULL;
	char *dir = NULL, *slash;
	uint64_t n, node_seq = 0;
	const void *last;
	size_t lastlen, len = strlen(path);
	int err;

	if (parse_count(count, &n) || len < 4 || strcmp(path + len - 3, ".pb") ||
	    (max_bytes && parse_count(max_bytes, &o.max_bytes))) {
		fprintf(stderr, "warden events: --selftest-write DIR/NAME.pb N [MAX_BYTES]\n");
		return 2;
	}
	dir = strdup(path);
	if (!dir) {
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
	err = selftest_events(n, &node_seq, put_file, s);
out:
	if (s) {
		int e = sink_file_close(s);

		if (!err)
			err = e;
	}
	if (err)
		fprintf(stderr, "warden events: --selftest-write %s: %s\n", path, strerror(-err));
	free(dir);
	return err ? 1 : 0;
}

struct jsonl_put {
	const struct wd_sink_ops *ops;
	void *impl;
};

static int put_jsonl(void *arg, const Warden__V1__Event *ev, const uint8_t *rec, size_t len)
{
	struct jsonl_put *j = arg;

	return j->ops->write(j->impl, rec, len, ev);
}

/* --selftest-jsonl PATH N warden|ocsf [MAX_BYTES]: through the JSON lines sink as the pipeline
 * drives it (write, flush, tick, close). */
static int selftest_jsonl(const char *path, const char *count, const char *format,
			  const char *max_bytes)
{
	struct wd_sink_cfg c = {.name = "selftest", .kind = WD_SINK_JSONL, .path = (char *)path};
	struct jsonl_put j;
	struct timespec now;
	uint64_t n, node_seq = 0;
	char why[256] = "";
	int err;

	if (parse_count(count, &n) || (strcmp(format, "warden") && strcmp(format, "ocsf")) ||
	    (max_bytes && parse_count(max_bytes, &c.max_bytes))) {
		fprintf(stderr, "warden events: --selftest-jsonl PATH N warden|ocsf [MAX_BYTES]\n");
		return 2;
	}
	c.json = strcmp(format, "ocsf") ? WD_JSON_WARDEN : WD_JSON_OCSF;
	err = wd_sink_jsonl_backend(&c, "selftest-node", &j.ops, &j.impl, why, sizeof(why));
	if (err) {
		fprintf(stderr, "warden events: --selftest-jsonl: %s\n", why);
		return 1;
	}
	err = selftest_events(n, &node_seq, put_jsonl, &j);
	if (!err)
		err = j.ops->flush(j.impl);
	clock_gettime(CLOCK_REALTIME, &now);
	if (!err)
		err = j.ops->tick(j.impl,
				  (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	j.ops->close(j.impl);
	if (err)
		fprintf(stderr, "warden events: --selftest-jsonl %s: %s\n", path, strerror(-err));
	return err ? 1 : 0;
}

int wd_cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"ocsf", no_argument, NULL, 'o'},
		{"follow", no_argument, NULL, 'f'},
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
	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "--selftest-jsonl") == 0)
		return selftest_jsonl(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);

	while ((c = getopt_long(argc, argv, "jofi:d:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'o':
			if (x.out != OUT_TEXT && x.out != (c == 'j' ? OUT_JSON : OUT_OCSF)) {
				fprintf(stderr, "warden events: --json and --ocsf are two output "
						"formats: give one\n");
				return 2;
			}
			x.out = c == 'j' ? OUT_JSON : OUT_OCSF;
			break;
		case 'f':
			x.follow = true;
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
					"mmap, socket, confine or lifecycle\n",
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
	if (x.follow) {
		if (argc - optind != 1) {
			fprintf(stderr, "warden events: --follow follows one file sink: give its "
					"directory or its current segment NAME.pb\n");
			return 2;
		}
		return follow(&x, argv[optind]);
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
