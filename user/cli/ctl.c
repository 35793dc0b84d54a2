// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI's side of the daemon: `warden status`, `warden sandbox ...`, `warden policy
 * apply|diff|show --identity/--sandbox/--node-default`, and `warden run` through the daemon.
 * Everything the daemon answers is rendered here, as text or --json. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "ctl/control.h"
#include "lib/duration.h"
#include "lib/json.h"
#include "lib/yamlx.h"
#include "warden/version.h"

#define CALL_MS 30000

extern char **environ;

static const char *sock_path(void)
{
	const char *p = getenv("WARDEN_SOCKET");

	return p && *p ? p : WD_CTL_SOCK_PATH;
}

bool wd_daemon_reachable(void)
{
	char err[WD_CTL_ERR_MAX];
	int fd;

	if (access(sock_path(), F_OK))
		return false;
	/* A socket left behind by a daemon that is gone does not count. */
	if (wd_ctl_connect(sock_path(), 1000, &fd, err, sizeof(err)))
		return false;
	close(fd);
	return true;
}

/* One request, one response; errors printed. Returns 0 with @resp, or an exit status. */
static int call(const char *who, Warden__V1__Request *rq, const int *fds, unsigned nfds,
		Warden__V1__Response **resp, unsigned timeout_ms)
{
	char err[WD_CTL_ERR_MAX], client[64];
	int fd;

	snprintf(client, sizeof(client), "warden %s: %s", WARDEN_VERSION, who);
	rq->protocol = WD_CTL_PROTOCOL;
	rq->client = client;
	if (wd_ctl_connect(sock_path(), 5000, &fd, err, sizeof(err))) {
		fprintf(stderr, "warden %s: %s\n", who, err);
		return 69; /* EX_UNAVAILABLE */
	}
	if (wd_ctl_call(fd, rq, fds, nfds, resp, timeout_ms, err, sizeof(err))) {
		fprintf(stderr, "warden %s: %s\n", who, err);
		close(fd);
		return 69;
	}
	if ((*resp)->error) {
		Warden__V1__Error *e = (*resp)->error;

		for (size_t i = 0; i < e->n_problems; i++) {
			const Warden__V1__PolicyProblem *p = e->problems[i];

			if (p->line)
				fprintf(stderr, "%s:%u:%u: %s\n", p->file, p->line, p->column,
					p->message);
			else
				fprintf(stderr, "%s: %s\n", p->file, p->message);
		}
		fprintf(stderr, "warden %s: %s\n", who, e->message);
		warden__v1__response__free_unpacked(*resp, NULL);
		close(fd);
		return e->code == WARDEN__V1__ERROR__CODE__PERMISSION_DENIED ? 77 : 1;
	}
	/* run keeps the connection for the second answer. */
	if (rq->op_case == WARDEN__V1__REQUEST__OP_RUN)
		return -fd;
	close(fd);
	return 0;
}

static void print_time(FILE *f, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, f);
}

static void json_kv_str(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", k);
	wd_json_str(f, v ? v : "");
}

static void sandbox_json(FILE *f, const Warden__V1__SandboxInfo *s)
{
	fputc('{', f);
	json_kv_str(f, "id", s->id, false);
	json_kv_str(f, "identity", s->identity, true);
	fputs(",\"labels\":{", f);
	for (size_t i = 0; i < s->n_labels; i++) {
		if (i)
			fputc(',', f);
		wd_json_str(f, s->labels[i]->key);
		fputc(':', f);
		wd_json_str(f, s->labels[i]->value);
	}
	fputc('}', f);
	json_kv_str(f, "cgroup_path", s->cgroup_path, true);
	fprintf(f, ",\"cgroup_id\":\"%" PRIu64 "\"", s->cgroup_id);
	json_kv_str(f, "state",
		    s->state == WARDEN__V1__SANDBOX_INFO__STATE__ACTIVE ? "active" : "ended", true);
	fprintf(f, ",\"created_wall_ns\":\"%" PRIu64 "\",\"expires_wall_ns\":\"%" PRIu64 "\"",
		s->created_wall_ns, s->expires_wall_ns);
	json_kv_str(f, "policy_name", s->policy_name, true);
	fprintf(f, ",\"policy_generation\":\"%" PRIu64 "\",\"audit\":%s,\"adopted\":%s",
		s->policy_generation, s->audit ? "true" : "false", s->adopted ? "true" : "false");
	fprintf(f, ",\"denials\":\"%" PRIu64 "\",\"created_by_uid\":%u,\"not_enforced\":[",
		s->denials, s->created_by_uid);
	for (size_t i = 0; i < s->n_not_enforced; i++) {
		if (i)
			fputc(',', f);
		wd_json_str(f, s->not_enforced[i]);
	}
	fputs("]}", f);
}

static void sandbox_text(FILE *f, const Warden__V1__SandboxInfo *s, bool long_form)
{
	if (!long_form) {
		fprintf(f, "%-20s %-32s %-8s %-6s ", s->id, s->identity,
			s->adopted ? "adopted" : "own", s->audit ? "audit" : "");
		print_time(f, s->created_wall_ns);
		fprintf(f, "  %s\n", s->policy_name);
		return;
	}
	fprintf(f, "id:          %s\nidentity:    %s\n", s->id, s->identity);
	for (size_t i = 0; i < s->n_labels; i++)
		fprintf(f, "label:       %s=%s\n", s->labels[i]->key, s->labels[i]->value);
	fprintf(f, "cgroup:      %s (id %" PRIu64 ")%s\n", s->cgroup_path, s->cgroup_id,
		s->adopted ? ", adopted" : "");
	fprintf(f, "created:     ");
	print_time(f, s->created_wall_ns);
	fprintf(f, " by uid %u\n", s->created_by_uid);
	if (s->expires_wall_ns) {
		fprintf(f, "expires:     ");
		print_time(f, s->expires_wall_ns);
		fputc('\n', f);
	}
	fprintf(f, "policy:      %s (generation %" PRIu64 ")%s\n", s->policy_name,
		s->policy_generation, s->audit ? ", audit mode" : "");
	fprintf(f, "denials:     %" PRIu64 "\n", s->denials);
	for (size_t i = 0; i < s->n_not_enforced; i++)
		fprintf(f, "NOT ENFORCED: %s\n", s->not_enforced[i]);
}

/* --- warden status -------------------------------------------------------------------------- */

int wd_cmd_status(int argc, char **argv)
{
	Warden__V1__Request rq = WARDEN__V1__REQUEST__INIT;
	Warden__V1__StatusRequest sr = WARDEN__V1__STATUS_REQUEST__INIT;
	Warden__V1__Response *r;
	Warden__V1__Status *s;
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	int ret;

	if (argc > 1 && !json) {
		fprintf(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"Usage: warden status [--json]\n\nWhat the warden daemon is doing: "
			"version, "
			"kernel features in use and what is not protected, sandboxes, events per "
			"second, losses, sink health.\n");
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	rq.op_case = WARDEN__V1__REQUEST__OP_STATUS;
	rq.status = &sr;
	if ((ret = call("status", &rq, NULL, 0, &r, CALL_MS)))
		return ret;
	s = r->status;
	if (json) {
		printf("{\"version\":");
		wd_json_str(stdout, s->version);
		json_kv_str(stdout, "kernel", s->kernel, true);
		json_kv_str(stdout, "enforcement", s->enforcement, true);
		printf(",\"features\":[");
		for (size_t i = 0; i < s->n_features; i++) {
			printf("%s{", i ? "," : "");
			json_kv_str(stdout, "name", s->features[i]->name, false);
			printf(",\"in_use\":%s", s->features[i]->in_use ? "true" : "false");
			json_kv_str(stdout, "detail", s->features[i]->detail, true);
			printf("}");
		}
		printf("],\"not_protected\":[");
		for (size_t i = 0; i < s->n_not_protected; i++) {
			printf("%s", i ? "," : "");
			wd_json_str(stdout, s->not_protected[i]);
		}
		printf("],\"sandboxes\":%u,\"events_total\":\"%" PRIu64
		       "\",\"events_per_second\":%.1f,\"events_lost\":\"%" PRIu64 "\",\"sinks\":[",
		       s->sandboxes, s->events_total, s->events_per_second, s->events_lost);
		for (size_t i = 0; i < s->n_sinks; i++) {
			printf("%s{", i ? "," : "");
			json_kv_str(stdout, "name", s->sinks[i]->name, false);
			printf(",\"healthy\":%s", s->sinks[i]->healthy ? "true" : "false");
			json_kv_str(stdout, "detail", s->sinks[i]->detail, true);
			printf(",\"exported\":\"%" PRIu64 "\",\"lost\":\"%" PRIu64 "\"}",
			       s->sinks[i]->exported, s->sinks[i]->lost);
		}
		printf("],\"started_wall_ns\":\"%" PRIu64 "\"}\n", s->started_wall_ns);
	} else {
		printf("warden daemon %s on %s: %s enforcement\n", s->version, s->kernel,
		       s->enforcement);
		for (size_t i = 0; i < s->n_features; i++)
			printf("  %-18s %-4s %s\n", s->features[i]->name,
			       s->features[i]->in_use ? "yes" : "NO", s->features[i]->detail);
		for (size_t i = 0; i < s->n_not_protected; i++)
			printf("  NOT PROTECTED: %s\n", s->not_protected[i]);
		printf("sandboxes: %u\nevents: %" PRIu64 " (%.1f/s), lost in the kernel: %" PRIu64
		       "\n",
		       s->sandboxes, s->events_total, s->events_per_second, s->events_lost);
		for (size_t i = 0; i < s->n_sinks; i++)
			printf("sink %s: %s, %" PRIu64 " exported, %" PRIu64 " lost: %s\n",
			       s->sinks[i]->name, s->sinks[i]->healthy ? "healthy" : "UNHEALTHY",
			       s->sinks[i]->exported, s->sinks[i]->lost, s->sinks[i]->detail);
	}
	warden__v1__response__free_unpacked(r, NULL);
	return 0;
}

/* --- Sandbox specs -------------------------------------------------------------------------- */

struct spec_buf {
	Warden__V1__SandboxSpec spec;
	Warden__V1__PolicySource src;
	Warden__V1__SandboxSpec__LabelsEntry lab[64];
	Warden__V1__SandboxSpec__LabelsEntry *labp[64];
	char *text;
};

static int read_policy(const char *path, struct spec_buf *b)
{
	struct wd_diags dg = {0};
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0) {
		fprintf(stderr, "warden: cannot open policy %s: %s\n", path, strerror(errno));
		return -errno;
	}
	err = wd_yaml_read_fd(fd, path, WD_CTL_MSG_MAX / 2, &b->text, &len, &dg);
	close(fd);
	wd_diags_print(stderr, &dg);
	wd_diags_free(&dg);
	if (err)
		return err;
	warden__v1__policy_source__init(&b->src);
	b->src.name = (char *)path;
	b->src.text = b->text;
	return 0;
}

/* Options shared by run, sandbox create and adopt. Returns the next argv index or -1. */
static int parse_spec(int argc, char **argv, const char *who, struct spec_buf *b, bool *json,
		      char **cgroup)
{
	static const struct option opts[] = {
		{"identity", required_argument, NULL, 'i'},
		{"policy", required_argument, NULL, 'p'},
		{"ttl", required_argument, NULL, 't'},
		{"audit", no_argument, NULL, 'a'},
		{"degraded", no_argument, NULL, 'D'},
		{"label", required_argument, NULL, 'l'},
		{"cgroup", required_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	uint64_t ms;
	int c;

	warden__v1__sandbox_spec__init(&b->spec);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:p:t:al:j", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			b->spec.identity = optarg;
			break;
		case 'p':
			if (read_policy(optarg, b))
				return -1;
			b->spec.policy = &b->src;
			break;
		case 't':
			if (wd_duration_parse(optarg, &ms)) {
				fprintf(stderr, "warden %s: --ttl '%s': write e.g. 90s, 15m, 1h\n",
					who, optarg);
				return -1;
			}
			b->spec.ttl_ms = ms;
			break;
		case 'a':
			b->spec.audit = true;
			break;
		case 'D':
			b->spec.degraded = true;
			break;
		case 'l': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || b->spec.n_labels == 64) {
				fprintf(stderr, "warden %s: --label '%s': write KEY=VALUE\n", who,
					optarg);
				return -1;
			}
			*eq = '\0';
			warden__v1__sandbox_spec__labels_entry__init(&b->lab[b->spec.n_labels]);
			b->lab[b->spec.n_labels].key = optarg;
			b->lab[b->spec.n_labels].value = eq + 1;
			b->labp[b->spec.n_labels] = &b->lab[b->spec.n_labels];
			b->spec.n_labels++;
			b->spec.labels = b->labp;
			break;
		}
		case 'g':
			if (cgroup)
				*cgroup = optarg;
			break;
		case 'j':
			if (json)
				*json = true;
			break;
		default:
			return -1;
		}
	}
	if (!b->spec.identity) {
		fprintf(stderr, "warden %s: --identity is required\n", who);
		return -1;
	}
	return optind;
}

/* --- warden run through the daemon ---------------------------------------------------------- */

int wd_run_via_daemon(int argc, char **argv)
{
	Warden__V1__Request rq = WARDEN__V1__REQUEST__INIT;
	Warden__V1__RunRequest run = WARDEN__V1__RUN_REQUEST__INIT;
	Warden__V1__Response *r = NULL;
	struct spec_buf b = {0};
	char cwd[PATH_MAX], err[WD_CTL_ERR_MAX];
	int fds[3] = {0, 1, 2}, idx, ret, fd;
	size_t n_env = 0;

	idx = parse_spec(argc, argv, "run", &b, NULL, NULL);
	if (idx < 0)
		return 2;
	if (idx >= argc) {
		fprintf(stderr, "warden run: no command given: warden run -i ID -- COMMAND\n");
		return 2;
	}
	while (environ[n_env])
		n_env++;
	run.sandbox = &b.spec;
	run.argv = argv + idx;
	run.n_argv = (size_t)(argc - idx);
	run.env = environ;
	run.n_env = n_env;
	run.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	rq.op_case = WARDEN__V1__REQUEST__OP_RUN;
	rq.run = &run;
	ret = call("run", &rq, fds, 3, &r, CALL_MS);
	free(b.text);
	if (ret > 0)
		return ret == 69 ? 125 : ret == 77 ? 125 : 125;
	fd = -ret;
	if (r->result_case == WARDEN__V1__RESPONSE__RESULT_RUN_STARTED && r->run_started->sandbox)
		fprintf(stderr,
			"warden run: sandbox %s (%s) started by the daemon; its events go to "
			"the daemon's sinks\n",
			r->run_started->sandbox->id, r->run_started->sandbox->identity);
	warden__v1__response__free_unpacked(r, NULL);
	r = NULL;
	/* The command holds our stdio now; wait for its end. */
	if (wd_ctl_recv(fd, &r, 0, err, sizeof(err))) {
		fprintf(stderr, "warden run: lost the daemon while the command ran: %s\n", err);
		close(fd);
		return 125;
	}
	close(fd);
	if (r->error || r->result_case != WARDEN__V1__RESPONSE__RESULT_RUN_EXITED) {
		fprintf(stderr, "warden run: %s\n",
			r->error ? r->error->message : "unexpected answer");
		warden__v1__response__free_unpacked(r, NULL);
		return 125;
	}
	if (r->run_exited->reason != WARDEN__V1__RUN_EXITED__REASON__EXITED)
		fprintf(stderr, "warden run: %s\n", r->run_exited->detail);
	ret = r->run_exited->reason == WARDEN__V1__RUN_EXITED__REASON__EXITED
		      ? r->run_exited->exit_status
		      : 128 + 9;
	warden__v1__response__free_unpacked(r, NULL);
	return ret;
}

/* --- warden sandbox ------------------------------------------------------------------------- */

static void sandbox_usage(FILE *f)
{
	fputs("Usage: warden sandbox list [--identity GLOB] [--json]\n"
	      "       warden sandbox show ID [--json]\n"
	      "       warden sandbox revoke ID [--reason TEXT] [--json]\n"
	      "       warden sandbox create --identity ID [--policy FILE] [--ttl D] [--label K=V]\n"
	      "       warden sandbox adopt --identity ID --cgroup PATH [--policy FILE] [--ttl D]\n"
	      "\n"
	      "Sandboxes of the warden daemon. create makes an empty sandbox cgroup (put "
	      "processes\n"
	      "in with clone3(CLONE_INTO_CGROUP) or cgroup.procs from outside); adopt governs a\n"
	      "cgroup a runner or container engine made. revoke kills everything in a sandbox.\n",
	      f);
}

static int print_sandbox_resp(Warden__V1__Response *r, bool json)
{
	if (r->result_case != WARDEN__V1__RESPONSE__RESULT_SANDBOX)
		return 1;
	if (json) {
		sandbox_json(stdout, r->sandbox);
		putchar('\n');
	} else {
		sandbox_text(stdout, r->sandbox, true);
	}
	return 0;
}

int wd_cmd_sandbox(int argc, char **argv)
{
	Warden__V1__Request rq = WARDEN__V1__REQUEST__INIT;
	Warden__V1__Response *r = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	bool json = false;
	int ret;

	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = true;
	if (!strcmp(sub, "list")) {
		Warden__V1__SandboxListRequest l = WARDEN__V1__SANDBOX_LIST_REQUEST__INIT;

		for (int i = 2; i + 1 < argc; i++)
			if (!strcmp(argv[i], "--identity"))
				l.identity = argv[i + 1];
		rq.op_case = WARDEN__V1__REQUEST__OP_SANDBOX_LIST;
		rq.sandbox_list = &l;
		if ((ret = call("sandbox list", &rq, NULL, 0, &r, CALL_MS)))
			return ret;
		if (json)
			putchar('[');
		for (size_t i = 0; i < r->sandbox_list->n_sandboxes; i++) {
			if (json) {
				if (i)
					putchar(',');
				sandbox_json(stdout, r->sandbox_list->sandboxes[i]);
			} else {
				sandbox_text(stdout, r->sandbox_list->sandboxes[i], false);
			}
		}
		if (json)
			puts("]");
		warden__v1__response__free_unpacked(r, NULL);
		return 0;
	}
	if ((!strcmp(sub, "show") || !strcmp(sub, "revoke")) && argc > 2 && argv[2][0] != '-') {
		Warden__V1__SandboxShowRequest s = WARDEN__V1__SANDBOX_SHOW_REQUEST__INIT;
		Warden__V1__SandboxRevokeRequest v = WARDEN__V1__SANDBOX_REVOKE_REQUEST__INIT;

		if (!strcmp(sub, "show")) {
			s.id = argv[2];
			rq.op_case = WARDEN__V1__REQUEST__OP_SANDBOX_SHOW;
			rq.sandbox_show = &s;
		} else {
			v.id = argv[2];
			for (int i = 3; i + 1 < argc; i++)
				if (!strcmp(argv[i], "--reason"))
					v.reason = argv[i + 1];
			rq.op_case = WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE;
			rq.sandbox_revoke = &v;
		}
		if ((ret = call(strcmp(sub, "show") ? "sandbox revoke" : "sandbox show", &rq, NULL,
				0, &r, CALL_MS)))
			return ret;
		if (!strcmp(sub, "revoke") && json) {
			printf("{\"id\":");
			wd_json_str(stdout, argv[2]);
			puts(",\"state\":\"revoked\"}");
		} else if (!strcmp(sub, "revoke")) {
			printf("%s revoked\n", argv[2]);
		} else
			print_sandbox_resp(r, json);
		warden__v1__response__free_unpacked(r, NULL);
		return 0;
	}
	if (!strcmp(sub, "create") || !strcmp(sub, "adopt")) {
		Warden__V1__SandboxCreateRequest c = WARDEN__V1__SANDBOX_CREATE_REQUEST__INIT;
		Warden__V1__SandboxAdoptRequest a = WARDEN__V1__SANDBOX_ADOPT_REQUEST__INIT;
		struct spec_buf b = {0};
		char *cgroup = NULL;

		if (parse_spec(argc - 1, argv + 1, sub, &b, &json, &cgroup) < 0)
			return 2;
		if (!strcmp(sub, "adopt")) {
			if (!cgroup) {
				fprintf(stderr,
					"warden sandbox adopt: --cgroup PATH is required\n");
				return 2;
			}
			a.sandbox = &b.spec;
			a.cgroup_path = cgroup;
			rq.op_case = WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT;
			rq.sandbox_adopt = &a;
		} else {
			c.sandbox = &b.spec;
			rq.op_case = WARDEN__V1__REQUEST__OP_SANDBOX_CREATE;
			rq.sandbox_create = &c;
		}
		ret = call(!strcmp(sub, "adopt") ? "sandbox adopt" : "sandbox create", &rq, NULL, 0,
			   &r, CALL_MS);
		free(b.text);
		if (ret)
			return ret;
		print_sandbox_resp(r, json);
		warden__v1__response__free_unpacked(r, NULL);
		return 0;
	}
	sandbox_usage(!strcmp(sub, "--help") || !strcmp(sub, "help") ? stdout : stderr);
	return !strcmp(sub, "--help") || !strcmp(sub, "help") ? 0 : 2;
}

/* --- warden policy apply|diff|show TARGET --------------------------------------------------- */

int wd_cmd_ctl_policy(int argc, char **argv)
{
	Warden__V1__Request rq = WARDEN__V1__REQUEST__INIT;
	Warden__V1__PolicyTarget t = WARDEN__V1__POLICY_TARGET__INIT;
	Warden__V1__Response *r = NULL;
	const char *sub = argv[0], *file = NULL;
	struct spec_buf b = {0};
	bool json = false;
	int ret;
	uint64_t gen = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--identity") && i + 1 < argc) {
			t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_IDENTITY;
			t.identity = argv[++i];
		} else if (!strcmp(argv[i], "--sandbox") && i + 1 < argc) {
			t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_SANDBOX_ID;
			t.sandbox_id = argv[++i];
		} else if (!strcmp(argv[i], "--node-default")) {
			t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_NODE_DEFAULT;
			t.node_default = true;
		} else if (!strcmp(argv[i], "--generation") && i + 1 < argc) {
			gen = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] != '-' && !file) {
			file = argv[i];
		} else {
			fprintf(stderr, "warden policy %s: unexpected '%s'\n", sub, argv[i]);
			return 2;
		}
	}
	if (!t.target_case || (strcmp(sub, "show") && !file)) {
		fprintf(stderr,
			"Usage: warden policy %s (--identity ID | --sandbox SB | "
			"--node-default)%s\n",
			sub, strcmp(sub, "show") ? " FILE" : " [--generation N] [--json]");
		return 2;
	}
	if (file && read_policy(file, &b))
		return 1;
	if (!strcmp(sub, "apply")) {
		Warden__V1__PolicyApplyRequest a = WARDEN__V1__POLICY_APPLY_REQUEST__INIT;

		a.target = &t;
		a.policy = &b.src;
		rq.op_case = WARDEN__V1__REQUEST__OP_POLICY_APPLY;
		rq.policy_apply = &a;
		if (!(ret = call("policy apply", &rq, NULL, 0, &r, CALL_MS))) {
			if (json) {
				printf("{\"generation\":\"%" PRIu64 "\",\"sandbox_ids\":[",
				       r->policy_applied->generation);
				for (size_t i = 0; i < r->policy_applied->n_sandbox_ids; i++) {
					printf("%s", i ? "," : "");
					wd_json_str(stdout, r->policy_applied->sandbox_ids[i]);
				}
				puts("]}");
			} else {
				printf("applied: generation %" PRIu64
				       ", %zu running sandboxes switched\n",
				       r->policy_applied->generation,
				       r->policy_applied->n_sandbox_ids);
			}
		}
	} else if (!strcmp(sub, "diff")) {
		Warden__V1__PolicyDiffRequest dr = WARDEN__V1__POLICY_DIFF_REQUEST__INIT;

		dr.target = &t;
		dr.policy = &b.src;
		rq.op_case = WARDEN__V1__REQUEST__OP_POLICY_DIFF;
		rq.policy_diff = &dr;
		if (!(ret = call("policy diff", &rq, NULL, 0, &r, CALL_MS))) {
			if (json) {
				printf("{\"changed\":%s,\"generation\":\"%" PRIu64 "\"",
				       r->policy_diff->changed ? "true" : "false",
				       r->policy_diff->generation);
				json_kv_str(stdout, "unified", r->policy_diff->unified, true);
				puts("}");
			} else {
				fputs(r->policy_diff->changed ? r->policy_diff->unified
							      : "no change\n",
				      stdout);
			}
			ret = r->policy_diff->changed ? 1 : 0; /* like diff(1) */
		}
	} else {
		Warden__V1__PolicyShowRequest sr = WARDEN__V1__POLICY_SHOW_REQUEST__INIT;

		sr.target = &t;
		sr.generation = gen;
		rq.op_case = WARDEN__V1__REQUEST__OP_POLICY_SHOW;
		rq.policy_show = &sr;
		if (!(ret = call("policy show", &rq, NULL, 0, &r, CALL_MS))) {
			if (json) {
				printf("{\"generation\":\"%" PRIu64 "\",\"applied_by_uid\":%u",
				       r->policy_text->generation, r->policy_text->applied_by_uid);
				json_kv_str(stdout, "source", r->policy_text->policy->name, true);
				json_kv_str(stdout, "text", r->policy_text->policy->text, true);
				puts("}");
			} else {
				printf("# generation %" PRIu64 ", from %s, applied by uid %u at ",
				       r->policy_text->generation, r->policy_text->policy->name,
				       r->policy_text->applied_by_uid);
				print_time(stdout, r->policy_text->applied_wall_ns);
				printf("\n%s", r->policy_text->policy->text);
			}
		}
	}
	if (r)
		warden__v1__response__free_unpacked(r, NULL);
	free(b.text);
	return ret;
}
