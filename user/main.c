// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The single `warden` binary: one table of subcommands, which the usage text is made from. Each
 * subcommand (user/cli/) parses its own options and is the one place that logs, once, with a
 * prefix. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "warden/version.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command's name */
	const char *summary;		  /* lines after the first start with a tab */
} commands[] = {
	{"run", wd_cmd_run, "run a command in a sandbox of a non-human identity"},
	{"policy", wd_cmd_policy, "check policies, show the embedded default"},
	{"events", wd_cmd_events, "read event files (protobuf), as lines or JSON"},
	{"config", wd_cmd_config, "check warden's config file (where events go)"},
	{"daemon", wd_cmd_daemon, "the host agent: sandboxes, policies, events, control socket"},
	{"sandbox", wd_cmd_sandbox, "list, show, revoke, create or adopt the daemon's sandboxes"},
	{"status", wd_cmd_status, "what the daemon is doing (--json)"},
	{"probe", wd_cmd_probe,
	 "report what this kernel can enforce\n\t(exit 0: full, 1: partial, 2: none)"},
};

static void usage(FILE *f)
{
	fputs("Usage: warden COMMAND [OPTIONS]\n"
	      "\n"
	      "A runtime sandbox for non-human identities.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		fprintf(f, "  %-10s ", commands[i].name);
		for (const char *s = commands[i].summary; *s; s++) {
			if (*s == '\t')
				fputs("             ", f);
			else
				fputc(*s, f);
		}
		fputc('\n', f);
	}
	fputs("  version    print the version\n"
	      "  help       this text\n"
	      "\n"
	      "Run `warden COMMAND --help` for a command's options.\n",
	      f);
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
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);

	fprintf(stderr, "warden: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
