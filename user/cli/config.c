// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden config check`: every error of the config file at its line and column. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"

int wd_cmd_config(int argc, char **argv)
{
	struct wd_config *c = NULL;
	struct wd_diags d = {0};
	const char *path;
	int err;

	if (argc < 2 || strcmp(argv[1], "check") || argc > 3 ||
	    (argc == 3 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")))) {
		FILE *f = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
					(argc == 3 && strcmp(argv[1], "check") == 0))
				  ? stdout
				  : stderr;

		fputs("Usage: warden config check [FILE]\n"
		      "\n"
		      "Checks warden's config file (default " WD_CONFIG_DEFAULT "): every error\n"
		      "as file:line:column: message. Exit status 0 valid, 1 invalid, 2 usage.\n"
		      "The format: docs/config.md.\n",
		      f);
		return f == stdout ? 0 : 2;
	}
	path = argc == 3 ? argv[2] : WD_CONFIG_DEFAULT;
	err = wd_config_parse_file(path, &c, &d);
	wd_diags_print(stderr, &d);
	wd_diags_free(&d);
	if (err)
		return 1;
	printf("%s: valid: %zu sink%s\n", path, c->n_sinks, c->n_sinks == 1 ? "" : "s");
	for (size_t i = 0; i < c->n_sinks; i++) {
		const struct wd_sink_cfg *s = &c->sinks[i];
		const struct wd_sink_type *t = wd_sink_type_of(s->kind);

		printf("  %s: %s %s\n", s->name, t ? t->name : "?",
		       s->dir	    ? s->dir
		       : s->path    ? s->path
		       : s->address ? s->address
				    : "");
	}
	wd_config_free(c);
	return 0;
}
