// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden run`: its options, and where the sandbox is made. With a daemon running, the daemon
 * makes it (cli/ctl.c); otherwise this process does (run_local.c): it compiles the policy,
 * creates the sandbox cgroup, registers it in the kernel maps, then starts the command directly
 * inside the cgroup with clone3(CLONE_INTO_CGROUP), so there is no instant where it runs
 * unconfined. One epoll loop waits for the command, signals, the TTL and kernel events. When
 * the command ends or the TTL passes, the whole sandbox is killed and removed. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/duration.h"
#include "policy/policy.h"
#include "cli/ctl.h"
#include "cli/run.h"
#include "cli/run_local.h"

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

int wd_cmd_run(int argc, char **argv)
{
	struct run r = {.cg.fd = -1, .guard_fd = -1};

	if (parse_args(&r, argc, argv))
		return 2;
	/* With a daemon running, it makes the sandbox (and keeps its TTL); options only a local
	 * run has (--events, --config, --stats, --verbose) keep it local, and so does
	 * WARDEN_LOCAL=1. */
	if (!r.events_path && !r.config_given && !r.stats && !r.verbose &&
	    !(getenv("WARDEN_LOCAL") && strcmp(getenv("WARDEN_LOCAL"), "0")) &&
	    wd_daemon_reachable())
		return wd_run_via_daemon(argc, argv);
	return wd_run_local(&r);
}
