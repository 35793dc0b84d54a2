// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden run`: compiles the policy, creates the sandbox cgroup, registers it in the kernel maps,
 * then starts the command directly inside the cgroup with clone3(CLONE_INTO_CGROUP), so there is
 * no instant where it runs unconfined. One epoll loop waits for the command, signals, the TTL and
 * kernel events. When the command ends or the TTL passes, the whole sandbox is killed and
 * removed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lib/cgroup.h"
#include "config/config.h"
#include "lib/duration.h"
#include "enforce/enforce.h"
#include "event/fmt.h"
#include "event/event.h"
#include "event/nodeseq.h"
#include "hooks/hooks.h"
#include "export/pipeline.h"
#include "policy/policy.h"
#include "policy/compile.h"
#include "cli/ctl.h"
#include "cli/run.h"
#include "sandbox/spawn.h"

#define EXIT_WARDEN   125
#define POLICIES_MAX  64 /* one per reload: slots and rule ids are never reused within a run */
#define LABELS_MAX    WD_PB_LABELS_MAX
#define PROC_CACHE_MS 250  /* how long what /proc said about a pid is reused */
#define POLL_MS	      20   /* allowed events do not wake warden: it collects them this often */
#define DRAIN_MS      5000 /* how long the sinks get to deliver what is queued at exit */

struct run {
	const char *identity;
	const char *policy_path;
	const char *events_path;
	const char *config_path;
	bool config_given;
	struct wd_label labels[LABELS_MAX];
	size_t n_labels;
	uint64_t ttl_ms;
	bool audit, degraded, verbose, stats;
	char **argv;

	char who[512];
	FILE *events;
	/* Every policy this run has applied, the one in force last. */
	struct wd_compiled *compiled[POLICIES_MAX];
	int n_compiled;
	struct wd_enforcer enf;
	struct wd_cgroup cg;
	unsigned long long n_events, n_denied;
	char procs[PATH_MAX + 16]; /* the sandbox's cgroup.procs, the child's self-check */
	bool self_check_seen;
	int guard_fd; /* write end of the guardian's pipe: closing it means warden is gone */

	/* Export (docs/config.md): events as warden.v1.Event to the configured sinks. */
	struct wd_config *cfg;
	struct wd_pipeline *pipe;
	struct wd_event_ctx ctx;
	struct wd_pb_event *pbe;
	struct wd_pb_packer *pk;  /* kernel records */
	char ev_cgroup[PATH_MAX]; /* the sandbox's path in events, kept after its removal */
	struct wd_proc_cache *procs_cache;
	uint64_t *node_seq;
	uint64_t sandbox_seq;
	uint64_t lost_seen, sb_lost_seen; /* kernel losses already reported */
	uint64_t *lost_cpu;
	int ncpu;
	char node[256], boot_id[40], policy_name[512];
};

static void usage(FILE *f)
{
	fputs("Usage: warden run --identity ID [--policy FILE] [--ttl DURATION] [--audit]\n"
	      "                  [--degraded] [--events FILE] [--config FILE] [--label KEY=VALUE]\n"
	      "                  [--stats] [--verbose] -- COMMAND [ARG...]\n"
	      "\n"
	      "Runs COMMAND in a new sandbox of identity ID: a cgroup whose every process, and\n"
	      "every descendant, is held to the policy. Nothing the policy does not allow is\n"
	      "allowed. Without --policy, the embedded default policy applies (warden policy show\n"
	      "--default). When COMMAND exits or the TTL passes, everything left in the sandbox "
	      "is\n"
	      "killed and the sandbox removed.\n"
	      "\n"
	      "  -i, --identity ID     the non-human identity, kind:name (e.g. ci:acme/api#8812)\n"
	      "  -p, --policy FILE     policy file (YAML); default: the embedded default policy\n"
	      "  -t, --ttl DURATION    kill the sandbox after DURATION (90s, 15m, 1h30m)\n"
	      "  -a, --audit           allow everything, report what would have been denied\n"
	      "      --degraded        on kernels without BPF LSM, enforce only what the kernel "
	      "can\n"
	      "                        (network) instead of refusing to run\n"
	      "  -e, --events FILE     write events to FILE instead of stderr\n"
	      "  -c, --config FILE     warden's config (default " WD_CONFIG_DEFAULT " if it\n"
	      "                        exists): where events are exported (docs/config.md)\n"
	      "  -l, --label KEY=VALUE a label of the identity, carried by every event "
	      "(repeatable)\n"
	      "  -s, --stats           at the end, print how often each rule decided\n"
	      "  -v, --verbose         show libbpf's messages\n"
	      "\n"
	      "With --policy, SIGHUP re-reads the file and switches the sandbox to it at once\n"
	      "(running processes meet it at their next action); an invalid file is rejected and\n"
	      "the policy in force stays. SIGINT, SIGTERM and SIGQUIT are passed to COMMAND.\n"
	      "\n"
	      "Exit status: COMMAND's; 128+N if it was killed by signal N; 125 if warden could "
	      "not\n"
	      "start it; 2 for usage errors.\n"
	      "\n"
	      "EXAMPLES:\n"
	      "  warden run --identity ci:acme/api#8812 -- make test\n"
	      "  warden run -i agent:codegen -p agent.yaml --ttl 15m -- python3 agent.py\n"
	      "  warden run -i ci:learn --audit --events audit.log -- ./build.sh\n"
	      "  tests/vm/run -- build/warden run -i ci:demo -- sh -c 'cat /etc/shadow'\n",
	      f);
}

static int parse_args(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"identity", required_argument, NULL, 'i'},
		{"policy", required_argument, NULL, 'p'},
		{"ttl", required_argument, NULL, 't'},
		{"audit", no_argument, NULL, 'a'},
		{"degraded", no_argument, NULL, 'D'},
		{"events", required_argument, NULL, 'e'},
		{"config", required_argument, NULL, 'c'},
		{"label", required_argument, NULL, 'l'},
		{"stats", no_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c;

	/* '+': stop at the first non-option, the command's own options are its own. */
	while ((c = getopt_long(argc, argv, "+i:p:t:ae:c:l:svh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			r->identity = optarg;
			break;
		case 'p':
			r->policy_path = optarg;
			break;
		case 't':
			if (wd_duration_parse(optarg, &r->ttl_ms)) {
				fprintf(stderr,
					"warden run: --ttl '%s' is not a duration; write e.g. 90s, "
					"15m, 1h30m\n",
					optarg);
				return -1;
			}
			break;
		case 'a':
			r->audit = true;
			break;
		case 'D':
			r->degraded = true;
			break;
		case 'e':
			r->events_path = optarg;
			break;
		case 'c':
			r->config_path = optarg;
			r->config_given = true;
			break;
		case 'l': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg) {
				fprintf(stderr, "warden run: --label '%s': write KEY=VALUE\n",
					optarg);
				return -1;
			}
			if (r->n_labels == LABELS_MAX) {
				fprintf(stderr, "warden run: at most %d labels\n", LABELS_MAX);
				return -1;
			}
			/* A copy: argv is read again when the run goes through the daemon. */
			char *kv = strdup(optarg);

			if (!kv)
				return -1;
			kv[eq - optarg] = '\0';
			r->labels[r->n_labels].key = kv;
			r->labels[r->n_labels++].value = kv + (eq - optarg) + 1;
			break;
		}
		case 's':
			r->stats = true;
			break;
		case 'v':
			r->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'warden run --help'.\n");
			return -1;
		}
	}
	if (!r->identity) {
		fprintf(stderr,
			"warden run: --identity is required (e.g. --identity ci:acme/api#1)\n");
		return -1;
	}
	if (wd_identity_valid(r->identity)) {
		fprintf(stderr,
			"warden run: '%s' is not an identity: write kind:name, e.g. "
			"ci:acme/api#8812 "
			"(kind: lowercase letters, digits, '-')\n",
			r->identity);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "warden run: no command given: warden run -i ID -- COMMAND\n");
		return -1;
	}
	r->argv = argv + optind;
	return 0;
}

/* Parses and compiles the policy into the next slot, with rule ids after every earlier
 * policy's; prints every error as file:line:column. Nothing is applied here. */
static int prepare_policy(struct run *r, struct wd_compiled **out)
{
	const struct wd_compiled *prev = r->n_compiled ? r->compiled[r->n_compiled - 1] : NULL;
	struct wd_diags diags;
	struct wd_policy *p = NULL;
	struct wd_policy_ctx ctx = {0};
	char cwd[PATH_MAX], workdir[PATH_MAX], home[PATH_MAX];
	const char *h = getenv("HOME");
	int err;

	wd_diags_init(&diags);
	if (r->policy_path)
		err = wd_policy_parse_file(r->policy_path, &p, &diags);
	else
		err = wd_policy_parse_string("<default policy>", wd_default_policy,
					     wd_default_policy_len, &p, &diags);
	if (err)
		goto out;
	if (!wd_policy_applies_to(p, r->identity)) {
		fprintf(stderr,
			"warden run: policy '%s' (%s) does not apply to identity '%s': add a "
			"matching glob to its identities\n",
			p->name, r->policy_path ? r->policy_path : "default", r->identity);
		err = -EPERM;
		goto out;
	}
	if (r->audit)
		p->audit = true;
	/* The variables are what the job sees: its working directory and home, symlinks
	 * resolved, because the kernel matches resolved paths. */
	if (getcwd(cwd, sizeof(cwd)) && realpath(cwd, workdir))
		ctx.workdir = workdir;
	if (h && realpath(h, home))
		ctx.home = home;
	if (p->uses_workdir && ctx.workdir && strcmp(ctx.workdir, "/") == 0) {
		fprintf(stderr,
			"warden run: refusing / as the job's working directory: the policy's "
			"${workdir} rules would cover the whole system; cd into the job's "
			"directory first\n");
		err = -EINVAL;
		goto out;
	}
	if (r->n_compiled >= POLICIES_MAX) {
		fprintf(stderr, "warden run: too many policy reloads (%d)\n", POLICIES_MAX);
		err = -ENOSPC;
		goto out;
	}
	err = wd_policy_compile(p, &ctx, r->n_compiled + 1,
				prev ? prev->first_rule_id + prev->n_rules : 1, out, &diags);
out:
	if (diags.total)
		wd_diags_print(stderr, &diags);
	wd_diags_free(&diags);
	wd_policy_free(p);
	return err;
}

static const char *rule_text(struct run *r, uint32_t rule_id)
{
	for (int i = 0; i < r->n_compiled; i++) {
		const char *t = wd_compiled_rule_text(r->compiled[i], rule_id);

		if (t)
			return t;
	}
	return NULL;
}

static bool sandbox_may_write(const struct wd_compiled *c, const char *path);

/* ---- Export to the configured sinks -------------------------------------------------------- */

static const char *ctx_rule_text(void *arg, uint32_t rule_id)
{
	return rule_text(arg, rule_id);
}

static void export_event(struct run *r, const struct wd_event *e)
{
	if (!r->pipe)
		return;
	if (wd_pipeline_emit_record(r->pipe, r->pk, e, &r->ctx) < 0)
		r->enf.bad_records++;
	/* After an exec, the process's /proc entries describe the new program. */
	if (e->hdr.type == WD_EV_EXEC)
		wd_proc_cache_forget(r->procs_cache, e->pid);
}

static void export_lifecycle(struct run *r, Warden__V1__Lifecycle__Kind kind, const char *detail)
{
	if (r->pipe && wd_event_lifecycle_to_pb(&r->ctx, kind, detail, r->pbe) == 0)
		wd_pipeline_emit(r->pipe, &r->pbe->ev);
}

/* Reserve failures in the kernel since the last look become EVENTS_LOST events, with the count
 * per CPU in the detail. Called after every drain of the ring buffer: one map read when
 * nothing was lost. */
static void check_lost(struct run *r)
{
	uint64_t total, sb, d_sb, d_other;
	char detail[512];

	if (!r->lost_cpu)
		return;
	total = wd_enforcer_lost_cpu(&r->enf, r->lost_cpu, r->ncpu);
	if (total == r->lost_seen)
		return;
	sb = wd_enforcer_sandbox_lost(&r->enf, r->cg.id);
	d_sb = sb - r->sb_lost_seen;
	d_other = total - r->lost_seen - d_sb;
	wd_lost_detail(detail, sizeof(detail), r->lost_cpu, r->ncpu);
	fprintf(r->events, "%s %llu events lost (%s)\n", r->who,
		(unsigned long long)(total - r->lost_seen), detail);
	fflush(r->events);
	if (r->pipe && d_sb && wd_event_lost_to_pb(&r->ctx, d_sb, detail, r->pbe) == 0)
		wd_pipeline_emit(r->pipe, &r->pbe->ev);
	if (r->pipe && d_other) {
		/* Not attributable to this sandbox: reported for the node. */
		struct wd_event_ctx node = {
			.node = r->ctx.node,
			.boot_id = r->ctx.boot_id,
			.node_seq = r->ctx.node_seq,
		};

		if (wd_event_lost_to_pb(&node, d_other, detail, r->pbe) == 0)
			wd_pipeline_emit(r->pipe, &r->pbe->ev);
	}
	r->lost_seen = total;
	r->sb_lost_seen = sb;
}

/* The first file of the sinks (or the node counter) the sandbox may write, or NULL. */
static const char *sink_writable(struct run *r, const struct wd_compiled *c, char *buf, size_t size)
{
	if (r->node_seq && sandbox_may_write(c, WD_NODE_SEQ_FILE))
		return WD_NODE_SEQ_FILE;
	for (size_t i = 0; r->cfg && i < r->cfg->n_sinks; i++) {
		const struct wd_sink_cfg *s = &r->cfg->sinks[i];

		if (s->kind == WD_SINK_FILE)
			snprintf(buf, size, "%s/%s.pb", s->dir, s->name);
		else if (s->kind == WD_SINK_JSONL)
			snprintf(buf, size, "%s", s->path);
		else
			continue;
		if (sandbox_may_write(c, buf))
			return buf;
	}
	return NULL;
}

static int load_config(struct run *r)
{
	struct wd_diags d = {0};
	int err;

	if (!r->config_path && access(WD_CONFIG_DEFAULT, F_OK) == 0)
		r->config_path = WD_CONFIG_DEFAULT;
	if (!r->config_path) {
		r->cfg = wd_config_empty();
		return r->cfg ? 0 : -ENOMEM;
	}
	err = wd_config_parse_file(r->config_path, &r->cfg, &d);
	if (err) {
		wd_diags_print(stderr, &d);
		fprintf(stderr,
			"warden run: the config %s is not valid; nothing was started (check it "
			"with warden config check %s)\n",
			r->config_path, r->config_path);
	}
	wd_diags_free(&d);
	return err;
}

static int setup_export(struct run *r)
{
	struct utsname u;
	char err[512], path[PATH_MAX];
	const char *w;
	int ret;

	if (!r->cfg->n_sinks)
		return 0;
	if (r->cfg->node)
		snprintf(r->node, sizeof(r->node), "%s", r->cfg->node);
	else if (uname(&u) == 0)
		snprintf(r->node, sizeof(r->node), "%s", u.nodename);
	wd_boot_id(r->boot_id, sizeof(r->boot_id));
	ret = wd_node_seq_open(WD_NODE_SEQ_FILE, &r->node_seq);
	if (ret) {
		fprintf(stderr,
			"warden run: cannot open the node's event counter %s: %s (it must be a "
			"regular file of root's, mode 0600)\n",
			WD_NODE_SEQ_FILE, strerror(-ret));
		return ret;
	}
	if (r->enf.lsm && (w = sink_writable(r, r->compiled[0], path, sizeof(path)))) {
		fprintf(stderr,
			"warden run: the sandbox may write %s, so it could forge or erase its own "
			"record; put the sinks where the policy does not allow writes\n",
			w);
		return -EPERM;
	}
	r->ncpu = libbpf_num_possible_cpus();
	r->lost_cpu = r->ncpu > 0 ? calloc((size_t)r->ncpu, sizeof(*r->lost_cpu)) : NULL;
	r->pbe = malloc(sizeof(*r->pbe));
	r->pk = wd_pb_packer_new();
	if (!r->lost_cpu || !r->pbe || !r->pk)
		return -ENOMEM;
	snprintf(r->policy_name, sizeof(r->policy_name), "%s",
		 r->policy_path ? r->policy_path : "<default>");
	snprintf(r->ev_cgroup, sizeof(r->ev_cgroup), "%s", r->cg.path);
	r->ctx = (struct wd_event_ctx){
		.identity = r->identity,
		.labels = r->labels,
		.n_labels = r->n_labels,
		.sandbox_id = strrchr(r->ev_cgroup, '/') + 1,
		.cgroup_path = r->ev_cgroup,
		.cgroup_id = r->cg.id,
		.policy_name = r->policy_name,
		.node = r->node,
		.boot_id = r->boot_id,
		.rule_text = ctx_rule_text,
		.rule_text_arg = r,
		.node_seq = r->node_seq,
		.sandbox_seq = &r->sandbox_seq,
		.gen = wd_event_ctx_gen(),
	};
	wd_proc_cache_ctx(r->procs_cache, &r->ctx);
	ret = wd_pipeline_open(&r->pipe, r->cfg->sinks, r->cfg->n_sinks, r->node, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "warden run: %s: %s; nothing was started\n", r->config_path, err);
		return ret;
	}
	export_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED, NULL);
	snprintf(err, sizeof(err), "rules %u-%u", r->compiled[0]->first_rule_id,
		 r->compiled[0]->first_rule_id + r->compiled[0]->n_rules - 1);
	export_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, err);
	return 0;
}

static void close_export(struct run *r)
{
	if (r->pipe)
		wd_pipeline_close(r->pipe, DRAIN_MS);
	r->pipe = NULL;
	wd_node_seq_close(r->node_seq);
	wd_proc_cache_free(r->procs_cache);
	free(r->pbe);
	wd_pb_packer_free(r->pk);
	free(r->lost_cpu);
	wd_config_free(r->cfg);
}

static int on_event(void *ctx, const struct wd_event *e)
{
	struct run *r = ctx;
	const char *why =
		e->rule_id == WD_RULE_DEFAULT ? wd_default_rule_text(e) : rule_text(r, e->rule_id);
	struct wd_event copy;

	/* The cgroup hooks cannot see the task; /proc can, while the process lives. */
	if ((!e->exe[0] || !e->ppid) && e->pid) {
		const struct wd_proc_info *pi;
		struct wd_proc_info buf;

		copy = *e;
		if (wd_proc_cache_lookup(r->procs_cache, e->pid, &buf, &pi) == 0) {
			if (!copy.exe[0])
				memcpy(copy.exe, pi->exe, sizeof(copy.exe));
			if (!copy.ppid)
				copy.ppid = pi->ppid;
		}
		e = &copy;
	}
	/* The child's own self-check (see child_exec) is expected, once, not news. */
	if (!r->self_check_seen && e->hdr.type == WD_EV_CONFINE && e->hook == WD_HOOK_FILE_OPEN &&
	    strncmp(e->path, r->procs, sizeof(e->path)) == 0) {
		r->self_check_seen = true;
		return 0;
	}
	r->n_events++;
	if (e->decision != WD_DEC_ALLOW)
		r->n_denied++;
	wd_event_format(r->events, e, r->who, why);
	fputc('\n', r->events);
	export_event(r, e);
	return 0;
}

static int setup_sandbox(struct run *r)
{
	struct wd_enforcer_opts o = {.want_lsm = true, .verbose = r->verbose};
	unsigned char rnd[8];
	char name[32];
	int err;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -errno;
	snprintf(name, sizeof(name), "sb-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	err = wd_cgroup_create(&r->cg, name);
	if (err) {
		fprintf(stderr,
			"warden run: cannot create the sandbox cgroup: %s (warden needs root "
			"and a cgroup v2 mount)\n",
			strerror(-err));
		return err;
	}
	snprintf(r->who, sizeof(r->who), "warden[%s %s]:", r->identity, name);
	o.on_event = on_event;
	o.on_event_ctx = r;
	err = wd_enforcer_open(&r->enf, &o);
	if (err) {
		fprintf(stderr, "warden run: cannot load warden's BPF programs: %s\n",
			strerror(-err));
		return err;
	}
	for (const char *l = r->enf.lsm_hooks_why; r->verbose && l && *l; l = strchr(l, '\n') + 1)
		fprintf(stderr, "warden run: %.*s\n", (int)strcspn(l, "\n"), l);
	if (r->enf.lsm && r->verbose)
		fprintf(stderr, "warden run: BPF LSM: %s\n", r->enf.lsm_probe);
	if (!r->enf.lsm && !r->degraded) {
		fprintf(stderr,
			"warden run: this kernel cannot enforce exec and file rules, which every "
			"policy has: %s.\n"
			"warden run: missing BPF LSM hooks: %s (not seen refusing a test child).\n"
			"warden run: enable BPF LSM (CONFIG_BPF_LSM=y and 'bpf' in the lsm= kernel "
			"parameter), use the test bed (tests/vm/run -- warden run ...), or pass "
			"--degraded to enforce only the network rules.\n",
			r->enf.lsm_error,
			r->enf.lsm_missing[0] ? r->enf.lsm_missing : "all of them");
		return -EOPNOTSUPP;
	}
	if (!r->enf.lsm)
		fprintf(stderr,
			"warden run: WARNING: DEGRADED: BPF LSM is unavailable (%s).\n"
			"warden run: WARNING: NOT ENFORCED: " WD_DEGRADED_NOT_ENFORCED ".\n"
			"warden run: WARNING: enforced: " WD_DEGRADED_ENFORCED ".\n",
			r->enf.lsm_error);

	err = wd_enforcer_load_policy(&r->enf, r->compiled[0]);
	if (!err)
		err = wd_enforcer_add_sandbox(&r->enf, r->cg.id, r->cg.level,
					      r->compiled[0]->policy_id);
	if (!err)
		err = wd_enforcer_attach_cgroup(&r->enf, r->cg.fd);
	if (err)
		fprintf(stderr, "warden run: cannot set up the sandbox in the kernel: %s\n",
			strerror(-err));
	return err;
}

/* The child: already inside the sandbox cgroup. Nothing of warden's may leak into it. */
/* The guardian: a process outside the sandbox that holds duplicates of every BPF link and map
 * fd. If warden dies however it dies (SIGKILL, OOM), the programs stay attached through the
 * guardian, which kills the whole sandbox before it lets go: the sandbox never outlives its
 * enforcement. Sandboxed tasks can signal or ptrace neither warden nor the guardian. */
static int start_guardian(struct run *r)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		char b;

		close(p[1]);
		/* Out of the terminal's process group: a Ctrl-C is for warden and the command. */
		setsid();
		prctl(PR_SET_NAME, "warden-guard");
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		/* Whatever is left of the sandbox dies while enforcement still holds. */
		while (r->cg.path[0] && wd_cgroup_destroy(&r->cg, 1000) == -EBUSY)
			;
		_exit(0);
	}
	close(p[0]);
	r->guard_fd = p[1];
	return 0;
}

/* Whether the compiled policy lets the sandbox write @path (exact entry and the longest prefix
 * entry, deny winning, as the kernel decides). */
static bool sandbox_may_write(const struct wd_compiled *c, const char *path)
{
	char real[PATH_MAX];
	size_t best = 0;
	uint8_t v = WD_V_NONE;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (size_t i = 0; i < c->n_exact; i++)
		if (strcmp(c->exact[i].key.path, real) == 0)
			v = c->exact[i].rule.verdict[WD_OP_WRITE];
	if (v == WD_V_DENY)
		return false;
	for (size_t i = 0; i < c->n_prefix; i++) {
		const char *pre = c->prefix[i].key.path;
		size_t n = strlen(pre);

		if (n > best && strncmp(real, pre, n) == 0) {
			best = n;
			if (c->prefix[i].rule.verdict[WD_OP_WRITE] == WD_V_DENY)
				return false;
			if (c->prefix[i].rule.verdict[WD_OP_WRITE] == WD_V_ALLOW)
				v = WD_V_ALLOW;
		}
	}
	return v == WD_V_ALLOW;
}

static int spawn(struct run *r, const sigset_t *old, int *pidfd)
{
	struct wd_spawn sp = {
		.cgroup_fd = r->cg.fd,
		/* The self-check needs the LSM hooks; without them nothing could refuse it. */
		.procs = r->enf.lsm ? r->procs : NULL,
		.argv = r->argv,
		.stdio = {-1, -1, -1},
		.sigmask = old,
		.who = "warden run",
	};

	return wd_spawn(&sp, pidfd);
}

/* SIGHUP: the new policy is compiled and written completely into a fresh slot before the
 * sandbox is switched to it with one map update; the old slot is then switched off. */
static void reload(struct run *r)
{
	struct wd_compiled *next = NULL, *prev = r->compiled[r->n_compiled - 1];
	char path[PATH_MAX], detail[64];
	const char *w;
	int err;

	if (sandbox_may_write(prev, r->policy_path)) {
		fprintf(stderr,
			"%s policy reload refused: the sandbox itself may write %s, so its content "
			"cannot be trusted; keep policies where the sandbox cannot write\n",
			r->who, r->policy_path);
		return;
	}
	if (prepare_policy(r, &next)) {
		fprintf(stderr, "%s policy reload rejected: the policy in force stays\n", r->who);
		return;
	}
	if (r->enf.lsm && (w = sink_writable(r, next, path, sizeof(path)))) {
		fprintf(stderr,
			"%s policy reload rejected: it lets the sandbox write %s, where its events "
			"are kept; the policy in force stays\n",
			r->who, w);
		wd_compiled_free(next);
		return;
	}
	err = wd_enforcer_load_policy(&r->enf, next);
	if (!err)
		err = wd_enforcer_add_sandbox(&r->enf, r->cg.id, r->cg.level, next->policy_id);
	if (err) {
		fprintf(stderr, "%s policy reload failed (%s): the policy in force stays\n", r->who,
			strerror(-err));
		wd_enforcer_unload_policy(&r->enf, next);
		wd_compiled_free(next);
		return;
	}
	r->compiled[r->n_compiled++] = next;
	r->ctx.gen = wd_event_ctx_gen(); /* the new rules' texts in events from now on */
	wd_enforcer_unload_policy(&r->enf, prev);
	fprintf(stderr, "%s policy reloaded (rules %u-%u)\n", r->who, next->first_rule_id,
		next->first_rule_id + next->n_rules - 1);
	snprintf(detail, sizeof(detail), "reloaded: rules %u-%u", next->first_rule_id,
		 next->first_rule_id + next->n_rules - 1);
	export_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, detail);
}

static void print_stats(struct run *r)
{
	uint64_t n = wd_enforcer_hits(&r->enf, WD_RULE_DEFAULT);

	fprintf(stderr, "%s rule hits:\n", r->who);
	if (n)
		fprintf(stderr, "  rule 0: %llu (default: no rule allows it)\n",
			(unsigned long long)n);
	for (int i = 0; i < r->n_compiled; i++) {
		const struct wd_compiled *c = r->compiled[i];

		for (uint32_t id = c->first_rule_id; id < c->first_rule_id + c->n_rules; id++) {
			n = wd_enforcer_hits(&r->enf, id);
			if (n)
				fprintf(stderr, "  rule %u: %llu (%s)\n", id, (unsigned long long)n,
					wd_compiled_rule_text(c, id));
		}
	}
}

static int loop(struct run *r, int pidfd, int sfd, int tfd)
{
	struct epoll_event ev[8];
	int ep = epoll_create1(EPOLL_CLOEXEC), status = EXIT_WARDEN;
	bool done = false, expired = false;

	if (ep < 0)
		return EXIT_WARDEN;
	ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = pidfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev[0]);
	ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = sfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev[0]);
	ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = wd_enforcer_events_fd(&r->enf)};
	epoll_ctl(ep, EPOLL_CTL_ADD, ev[0].data.fd, &ev[0]);
	if (tfd >= 0) {
		ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = tfd};
		epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev[0]);
	}

	while (!done) {
		int n = epoll_wait(ep, ev, 8, POLL_MS);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == pidfd) {
				siginfo_t si = {0};

				if (waitid(P_PIDFD, pidfd, &si, WEXITED) == 0) {
					status = si.si_code == CLD_EXITED ? si.si_status
									  : 128 + si.si_status;
					done = true;
				}
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP && r->policy_path)
					reload(r);
				else
					syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL,
						0);
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) > 0 && !expired) {
					expired = true;
					fprintf(stderr, "%s TTL expired: killing the sandbox\n",
						r->who);
					wd_cgroup_destroy(&r->cg, 0);
					export_lifecycle(
						r, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED,
						"time to live passed: every process killed");
				}
			}
		}
		/* Every round, woken or not: allowed events arrive without a wake-up. The clock
		 * offset for the events' wall-clock times is read here, not per event. */
		{
			struct timespec rt, bt;

			clock_gettime(CLOCK_REALTIME, &rt);
			clock_gettime(CLOCK_BOOTTIME, &bt);
			r->ctx.boot_to_wall_ns = (int64_t)(rt.tv_sec - bt.tv_sec) * 1000000000ll +
						 (rt.tv_nsec - bt.tv_nsec);
		}
		wd_enforcer_drain(&r->enf);
		check_lost(r);
		wd_pipeline_kick(r->pipe);
		fflush(r->events);
	}
	close(ep);
	return status;
}

int wd_cmd_run(int argc, char **argv)
{
	struct run r = {.cg.fd = -1, .guard_fd = -1};
	sigset_t mask, old;
	int pidfd = -1, sfd = -1, tfd = -1, status = EXIT_WARDEN, err;
	uint64_t lost;

	if (parse_args(&r, argc, argv))
		return 2;
	/* With a daemon running, it makes the sandbox (and keeps its TTL); options only a local
	 * run has (--events, --config, --stats, --verbose) keep it local, and so does
	 * WARDEN_LOCAL=1. */
	if (!r.events_path && !r.config_given && !r.stats && !r.verbose &&
	    !(getenv("WARDEN_LOCAL") && strcmp(getenv("WARDEN_LOCAL"), "0")) &&
	    wd_daemon_reachable())
		return wd_run_via_daemon(argc, argv);
	/* A closed stderr or events pipe must not kill warden: its death would end enforcement. */
	signal(SIGPIPE, SIG_IGN);
	r.events = stderr;
	if (r.events_path) {
		r.events = fopen(r.events_path, "we");
		if (!r.events) {
			fprintf(stderr, "warden run: cannot open --events %s: %s\n", r.events_path,
				strerror(errno));
			return EXIT_WARDEN;
		}
	}
	r.procs_cache = wd_proc_cache_new(PROC_CACHE_MS);
	if (!r.procs_cache || load_config(&r))
		goto out;
	if (prepare_policy(&r, &r.compiled[0]))
		goto out;
	r.n_compiled = 1;
	if (setup_sandbox(&r))
		goto out;
	if (r.events_path && r.enf.lsm && sandbox_may_write(r.compiled[0], r.events_path)) {
		fprintf(stderr,
			"warden run: the sandbox may write the --events file %s, so it could forge "
			"or erase its own record; put it where the policy does not allow writes\n",
			r.events_path);
		goto out;
	}
	if (r.events_path && !r.enf.lsm)
		fprintf(stderr,
			"warden run: WARNING: file rules are not enforced, so the sandbox can "
			"write "
			"the --events file %s\n",
			r.events_path);
	if (setup_export(&r))
		goto out;
	snprintf(r.procs, sizeof(r.procs), "%s/cgroup.procs", r.cg.path);

	/* Signals for warden become messages in the loop, forwarded to the command. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (r.ttl_ms) {
		struct itimerspec its = {.it_value = {.tv_sec = r.ttl_ms / 1000,
						      .tv_nsec = (r.ttl_ms % 1000) * 1000000}};

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
			fprintf(stderr, "warden run: cannot arm the TTL timer: %s\n",
				strerror(errno));
			goto out;
		}
	}
	if (sfd < 0) {
		fprintf(stderr, "warden run: signalfd: %s\n", strerror(errno));
		goto out;
	}
	err = start_guardian(&r);
	if (err) {
		fprintf(stderr, "warden run: cannot start the guardian process: %s\n",
			strerror(-err));
		goto out;
	}
	err = spawn(&r, &old, &pidfd);
	if (err < 0) {
		fprintf(stderr, "warden run: cannot start the command in the sandbox: %s\n",
			strerror(-err));
		goto out;
	}
	status = loop(&r, pidfd, sfd, tfd);
out:
	/* Whatever the command left behind dies with the sandbox. */
	if (r.cg.path[0] && wd_cgroup_destroy(&r.cg, 5000))
		fprintf(stderr, "warden run: WARNING: could not remove sandbox cgroup %s\n",
			r.cg.path);
	if (r.enf.cg) {
		wd_enforcer_drain_all(&r.enf);
		check_lost(&r);
		lost = wd_enforcer_lost(&r.enf);
		if (lost)
			fprintf(stderr, "%s %llu events were lost (ring buffer full)\n", r.who,
				(unsigned long long)lost);
		if (r.pipe && pidfd >= 0) {
			char how[64];

			if (status >= 128 && status < 128 + 65)
				snprintf(how, sizeof(how), "killed by signal %d", status - 128);
			else
				snprintf(how, sizeof(how), "exit status %d", status);
			export_lifecycle(&r, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED, how);
		}
		if (r.stats)
			print_stats(&r);
		if (r.enf.bad_records)
			fprintf(stderr, "%s %llu malformed event records\n", r.who,
				(unsigned long long)r.enf.bad_records);
		wd_enforcer_close(&r.enf);
	}
	close_export(&r);
	if (r.guard_fd >= 0)
		close(r.guard_fd);
	for (int i = 0; i < r.n_compiled; i++)
		wd_compiled_free(r.compiled[i]);
	if (pidfd >= 0)
		close(pidfd);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (r.events && r.events != stderr)
		fclose(r.events);
	return status;
}
