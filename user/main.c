// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The single `warden` binary: dispatches subcommands. Each subcommand parses its own options and
 * is the one place that logs, once, with a prefix. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_ctl.h"
#include "config.h"
#include "daemon.h"
#include "event_pb.h"
#include "policy.h"
#include "probe.h"
#include "run.h"
#include "warden/version.h"

static void usage(FILE *f)
{
	fputs("Usage: warden COMMAND [OPTIONS]\n"
	      "\n"
	      "A runtime sandbox for non-human identities.\n"
	      "\n"
	      "Commands:\n"
	      "  run        run a command in a sandbox of a non-human identity\n"
	      "  policy     check policies, show the embedded default\n"
	      "  events     read event files (protobuf), as lines or JSON\n"
	      "  config     check warden's config file (where events go)\n"
	      "  daemon     the host agent: sandboxes, policies, events, control socket\n"
	      "  sandbox    list, show, revoke, create or adopt the daemon's sandboxes\n"
	      "  status     what the daemon is doing (--json)\n"
	      "  probe      report what this kernel can enforce\n"
	      "             (exit 0: full, 1: partial, 2: none)\n"
	      "  version    print the version\n"
	      "  help       this text\n"
	      "\n"
	      "Run `warden COMMAND --help` for a command's options.\n",
	      f);
}

static int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct wd_probe *p;
	bool json = false, verbose = false;
	int c, err, verdict;

	while ((c = getopt_long(argc, argv, "jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			printf("Usage: warden probe [--json] [--verbose]\n"
			       "\n"
			       "Loads and attaches a tiny BPF program for every kernel feature "
			       "warden\n"
			       "relies on and reports which work here.\n"
			       "\n"
			       "  -j, --json      machine-readable output\n"
			       "  -v, --verbose   show libbpf's messages\n"
			       "\n"
			       "Exit status: 0 full enforcement (exec, file, network), 1 partial "
			       "(network\n"
			       "through cgroup hooks; the missing features are listed), 2 none.\n"
			       "\n"
			       "EXAMPLES:\n"
			       "  warden probe                   table for people\n"
			       "  warden probe --json | jq .verdict\n"
			       "  tests/vm/run -- build/warden probe   the same in the BPF LSM "
			       "test bed\n");
			return 0;
		default:
			fprintf(stderr, "Try 'warden probe --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "warden probe: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (geteuid() != 0)
		fprintf(stderr,
			"warden probe: not running as root; loading BPF programs needs "
			"CAP_BPF and CAP_SYS_ADMIN, so most features will show as refused\n");

	p = calloc(1, sizeof(*p));
	if (!p) {
		fprintf(stderr, "warden probe: out of memory\n");
		return 2;
	}
	err = wd_probe_run(p, verbose);
	if (err) {
		fprintf(stderr, "warden probe: %s\n", strerror(-err));
		free(p);
		return 2;
	}
	if (json)
		wd_probe_print_json(stdout, p);
	else
		wd_probe_print_table(stdout, p);
	verdict = wd_probe_verdict(p);
	free(p);
	return verdict;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("warden %s\n", WARDEN_VERSION);
		return 0;
	}
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return wd_cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "policy") == 0)
		return wd_cmd_policy(argc - 1, argv + 1);
	if (strcmp(cmd, "daemon") == 0)
		return wd_cmd_daemon(argc - 1, argv + 1);
	if (strcmp(cmd, "sandbox") == 0)
		return wd_cmd_sandbox(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return wd_cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "config") == 0)
		return wd_cmd_config(argc - 1, argv + 1);
	if (strcmp(cmd, "events") == 0)
		return wd_cmd_events(argc - 1, argv + 1);

	fprintf(stderr, "warden: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
