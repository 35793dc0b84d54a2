// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden probe`: what this kernel can enforce, as a table or JSON (user/enforce/probe.c finds
 * it out). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "enforce/probe.h"

int wd_cmd_probe(int argc, char **argv)
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
