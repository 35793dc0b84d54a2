// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden daemon`: its options and usage; the daemon itself is daemon/ (wd_daemon_main). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "config/config.h"
#include "daemon/daemon.h"

static void usage(FILE *f)
{
	fputs("Usage: warden daemon [--config FILE] [--check] [--reset] [--verbose]\n"
	      "\n"
	      "Runs the warden host agent in the foreground (under systemd: Type=notify). It\n"
	      "governs sandboxes for `warden run`, `warden sandbox` and adoption rules, exports\n"
	      "their events to the configured sinks and serves the control socket and metrics.\n"
	      "Its kernel programs and maps are pinned: stopping or killing the daemon leaves\n"
	      "every sandbox enforced, and starting it again takes them over.\n"
	      "\n"
	      "  -c, --config FILE  the config (default " WD_CONFIG_DEFAULT ", if it exists)\n"
	      "      --check        validate the config and its policy files, then exit\n"
	      "      --reset        remove the pinned programs and maps (ends all enforcement)\n"
	      "                     and exit; refuses while sandboxes are active\n"
	      "  -v, --verbose      libbpf's messages\n"
	      "\n"
	      "SIGHUP reloads the policy files and adoption rules; SIGTERM stops the daemon,\n"
	      "leaving enforcement in place. See docs/daemon.md.\n",
	      f);
}

int wd_cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'C'},
		{"reset", no_argument, NULL, 'R'},	  {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},	  {},
	};
	struct wd_daemon_opts o = {0};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'C':
			o.check = true;
			break;
		case 'R':
			o.reset = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return wd_daemon_main(&o);
}
