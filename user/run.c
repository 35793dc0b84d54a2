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
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "duration.h"
#include "enforce.h"
#include "event_fmt.h"
#include "policy.h"
#include "policy_compile.h"
#include "run.h"

#define EXIT_WARDEN  125
#define POLICIES_MAX 64 /* one per reload: slots and rule ids are never reused within a run */

struct run {
	const char *identity;
	const char *policy_path;
	const char *events_path;
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
};

static void usage(FILE *f)
{
	fputs("Usage: warden run --identity ID [--policy FILE] [--ttl DURATION] [--audit]\n"
	      "                  [--degraded] [--events FILE] [--stats] [--verbose] -- COMMAND "
	      "[ARG...]\n"
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
		{"stats", no_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c;

	/* '+': stop at the first non-option, the command's own options are its own. */
	while ((c = getopt_long(argc, argv, "+i:p:t:ae:svh", opts, NULL)) != -1) {
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

/* The parent of @pid from /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces. */
static uint32_t proc_ppid(uint32_t pid)
{
	char path[64], buf[512], *p;
	unsigned ppid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

static int on_event(void *ctx, const struct wd_event *e)
{
	struct run *r = ctx;
	const char *why = e->rule_id == WD_RULE_DEFAULT
				  ? (e->hdr.type == WD_EV_CONFINE ? "confinement: sandboxed tasks "
								    "cannot change cgroup"
								  : "default: no rule allows it")
				  : rule_text(r, e->rule_id);
	struct wd_event copy;

	/* The cgroup hooks cannot see the task; /proc can, while the process lives. */
	if ((!e->exe[0] || !e->ppid) && e->pid) {
		char link[64];
		ssize_t n;

		copy = *e;
		if (!copy.exe[0]) {
			snprintf(link, sizeof(link), "/proc/%u/exe", e->pid);
			n = readlink(link, copy.exe, sizeof(copy.exe) - 1);
			copy.exe[n > 0 ? n : 0] = '\0';
		}
		if (!copy.ppid)
			copy.ppid = proc_ppid(e->pid);
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
	fflush(r->events);
	return 0;
}

static const char *const lsm_hooks_needed =
	"bprm_check_security, mmap_file, file_mprotect, file_open, task_alloc, socket_create, "
	"socket_connect, socket_sendmsg, socket_setsockopt, unix_stream_connect, unix_may_send, "
	"file_receive, capable, bpf, task_kill, ptrace_access_check, ptrace_traceme, sb_mount, "
	"sb_umount, move_mount, sb_pivotroot, path_chroot, path_link, path_mkdir, path_truncate, "
	"userns_create";

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

	o.sandbox_level = r->cg.level;
	o.on_event = on_event;
	o.on_event_ctx = r;
	err = wd_enforcer_open(&r->enf, &o);
	if (err) {
		fprintf(stderr, "warden run: cannot load warden's BPF programs: %s\n",
			strerror(-err));
		return err;
	}
	if (!r->enf.lsm && !r->degraded) {
		fprintf(stderr,
			"warden run: this kernel cannot enforce exec and file rules, which every "
			"policy has: %s.\n"
			"warden run: missing BPF LSM hooks: %s.\n"
			"warden run: enable BPF LSM (CONFIG_BPF_LSM=y and 'bpf' in the lsm= kernel "
			"parameter), use the test bed (tests/vm/run -- warden run ...), or pass "
			"--degraded to enforce only the network rules.\n",
			r->enf.lsm_error, lsm_hooks_needed);
		return -EOPNOTSUPP;
	}
	if (!r->enf.lsm)
		fprintf(stderr,
			"warden run: WARNING: DEGRADED: BPF LSM is unavailable (%s).\n"
			"warden run: WARNING: NOT ENFORCED: exec rules, file rules, executable "
			"mappings, socket families, sockets passed in from outside, confinement to "
			"the sandbox cgroup.\n"
			"warden run: WARNING: enforced: network connect and send rules "
			"(cgroup/connect4, connect6, sendmsg4, sendmsg6).\n",
			r->enf.lsm_error);

	err = wd_enforcer_load_policy(&r->enf, r->compiled[0]);
	if (!err)
		err = wd_enforcer_add_sandbox(&r->enf, r->cg.id, r->compiled[0]->policy_id);
	if (!err)
		err = wd_enforcer_attach_cgroup(&r->enf, r->cg.fd);
	if (err)
		fprintf(stderr, "warden run: cannot set up the sandbox in the kernel: %s\n",
			strerror(-err));
	return err;
}

/* The child: already inside the sandbox cgroup. Nothing of warden's may leak into it. */
static void child_exec(struct run *r, const sigset_t *old)
{
	int fd;

	sigprocmask(SIG_SETMASK, old, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* A session of its own, without a controlling terminal: TIOCSTI could otherwise push
	 * keystrokes into the shell that started warden, to run after the sandbox is gone.
	 * warden forwards the terminal's signals itself. */
	if (setsid() < 0)
		_exit(EXIT_WARDEN);
	/* BPF map fds, the ring buffer, epoll: all warden's, none the command's business. */
	if (close_range(3, ~0U, 0))
		_exit(EXIT_WARDEN);
	/* Before running anything, prove the kernel sees this process as sandboxed: opening its
	 * own cgroup.procs for writing must be refused. If it is not (a cgroup namespace hiding
	 * the real cgroup depth, say), enforcement would silently not apply: refuse to run. */
	if (r->enf.lsm) {
		fd = open(r->procs, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 || errno != EPERM) {
			fprintf(stderr,
				"warden run: the kernel does not treat the sandbox as sandboxed "
				"(%s); "
				"refusing to run the command unconfined\n",
				fd >= 0 ? "its self-check write was allowed" : strerror(errno));
			_exit(EXIT_WARDEN);
		}
	}
	execvp(r->argv[0], r->argv);
	fprintf(stderr, "warden run: cannot execute '%s': %s%s\n", r->argv[0], strerror(errno),
		errno == EACCES || errno == EPERM ? " (denied by policy?)" : "");
	_exit(errno == ENOENT ? 127 : 126);
}

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
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)r->cg.fd,
	};
	long pid;

	fflush(NULL);
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(r, old);
	return (int)pid;
}

/* SIGHUP: the new policy is compiled and written completely into a fresh slot before the
 * sandbox is switched to it with one map update; the old slot is then switched off. */
static void reload(struct run *r)
{
	struct wd_compiled *next = NULL, *prev = r->compiled[r->n_compiled - 1];
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
	err = wd_enforcer_load_policy(&r->enf, next);
	if (!err)
		err = wd_enforcer_add_sandbox(&r->enf, r->cg.id, next->policy_id);
	if (err) {
		fprintf(stderr, "%s policy reload failed (%s): the policy in force stays\n", r->who,
			strerror(-err));
		wd_enforcer_unload_policy(&r->enf, next);
		wd_compiled_free(next);
		return;
	}
	r->compiled[r->n_compiled++] = next;
	wd_enforcer_unload_policy(&r->enf, prev);
	fprintf(stderr, "%s policy reloaded (rules %u-%u)\n", r->who, next->first_rule_id,
		next->first_rule_id + next->n_rules - 1);
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
		int n = epoll_wait(ep, ev, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
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
				}
			} else {
				wd_enforcer_drain(&r->enf);
			}
		}
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
		wd_enforcer_drain(&r.enf);
		lost = wd_enforcer_lost(&r.enf);
		if (lost)
			fprintf(stderr, "%s %llu events were lost (ring buffer full)\n", r.who,
				(unsigned long long)lost);
		if (r.stats)
			print_stats(&r);
		if (r.enf.bad_records)
			fprintf(stderr, "%s %llu malformed event records\n", r.who,
				(unsigned long long)r.enf.bad_records);
		wd_enforcer_close(&r.enf);
	}
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
