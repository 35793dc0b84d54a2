// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden events`: reads event files (.pb, .pb.gz, or a sink's directory), or follows a file
 * sink as it writes, and prints one line per event, for people, as JSON or OCSF-shaped JSON;
 * the one place their read errors are printed. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "event/fmt.h"
#include "event/ocsf.h"
#include "event/event.h"
#include "export/sink_file.h"

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
	} else if (wd_event_from_pb(ev, &e)) {
		copy_esc(text, sizeof(text), ev->rule ? ev->rule->text : NULL);
		wd_event_format(stdout, &e, who, text[0] ? text : NULL);
	} else {
		printf("%s ? unknown action (seq %" PRIu64 "): a newer warden wrote it; try --json",
		       who, ev->header ? ev->header->seq : 0);
	}
	putchar('\n');
}

/* Prints @ev in the chosen format if the filters let it through. */
void wd_events_emit(struct events *x, const Warden__V1__Event *ev)
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
int wd_events_show_file(struct events *x, const char *path)
{
	struct wd_pb_reader r;
	Warden__V1__Event *ev;
	int ret = wd_pb_reader_open(&r, path);

	if (ret) {
		fprintf(stderr, "warden events: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	while ((ret = wd_pb_read_event(&r, &ev)) == 1) {
		wd_events_emit(x, ev);
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
		return wd_events_show_file(x, path);
	err = sink_file_list(path, NULL, &segs, &n);
	if (err) {
		fprintf(stderr, "warden events: %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (!n)
		fprintf(stderr, "warden events: %s: no event files (NAME.pb, NAME-*.pb.gz) here\n",
			path);
	for (size_t i = 0; i < n; i++)
		status |= wd_events_show_file(x, segs[i].path);
	sink_file_list_free(segs, n);
	return status;
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
		return wd_events_follow(&x, argv[optind]);
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
