// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden policy check FILE...` and `warden policy show --default`: the policy CLI, and the one
 * place policy errors are printed; and `warden policy apply|diff|show TARGET`, the policies the
 * daemon applied. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lib/json.h"
#include "cli/ctl_internal.h"
#include "policy/policy.h"
#include "policy/compile.h"

static void usage(FILE *f)
{
	fputs("Usage: warden policy check [--json] FILE...\n"
	      "       warden policy show --default\n"
	      "       warden policy apply (--identity ID | --sandbox SB | --node-default) FILE\n"
	      "       warden policy diff  (--identity ID | --sandbox SB | --node-default) FILE\n"
	      "       warden policy show  (--identity ID | --sandbox SB | --node-default)\n"
	      "                           [--generation N] [--json]\n"
	      "\n"
	      "check   parses and compiles each policy FILE (- reads stdin) and prints every\n"
	      "        error as file:line:column: message. ${workdir} and ${home} are checked\n"
	      "        with placeholder values (" WD_PLACEHOLDER_WORKDIR ", " WD_PLACEHOLDER_HOME
	      ").\n"
	      "show    prints the default policy built into warden, or with a target the policy\n"
	      "        the daemon applied to it (a past one with --generation).\n"
	      "apply   the daemon validates FILE completely, then switches every running sandbox\n"
	      "        it covers at once; an invalid policy changes nothing.\n"
	      "diff    the changes FILE would make to the policy in force (exit 1 if any).\n"
	      "\n"
	      "  -j, --json      one JSON object per file (on stdout, errors included)\n"
	      "  -d, --default   with show: the built-in default policy\n"
	      "  -h, --help      this text\n"
	      "\n"
	      "Exit status: 0 every policy is valid, 1 some policy has errors, 2 usage error.\n"
	      "The policy format is described in docs/policy.md.\n"
	      "\n"
	      "EXAMPLES:\n"
	      "  warden policy check ci.yaml agents.yaml     check two policies\n"
	      "  warden policy show --default > my.yaml      start from the default policy\n"
	      "  warden policy check --json - < my.yaml | jq .ok\n",
	      f);
}

static void json_errors(const struct wd_diags *d)
{
	size_t i;

	fputs("[", stdout);
	for (i = 0; i < d->n; i++) {
		const struct wd_diag *g = &d->v[i];

		printf("%s{\"file\":", i ? "," : "");
		wd_json_str(stdout, g->file);
		printf(",\"line\":%d,\"column\":%d,\"message\":", g->line, g->col);
		wd_json_str(stdout, g->msg);
		fputs("}", stdout);
	}
	fputs("]", stdout);
}

/* Checks one file; returns 0 when it is a valid policy, 1 otherwise. */
static int check_one(const char *path, bool json)
{
	static const struct wd_policy_ctx ctx = {WD_PLACEHOLDER_WORKDIR, WD_PLACEHOLDER_HOME};
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	struct wd_compiled *c = NULL;
	struct wd_policy *p = NULL;
	struct wd_diags d;
	int err;

	wd_diags_init(&d);
	if (strcmp(path, "-") == 0)
		err = wd_policy_parse_fd(STDIN_FILENO, name, &p, &d);
	else
		err = wd_policy_parse_file(path, &p, &d);
	if (!err)
		err = wd_policy_compile(p, &ctx, 0, 1, &c, &d);
	if (err && !d.total)
		wd_diags_add(&d, name, 0, 0, "%s", strerror(-err));

	if (json) {
		fputs("{\"file\":", stdout);
		wd_json_str(stdout, name);
		printf(",\"ok\":%s", err ? "false" : "true");
		if (!err) {
			size_t i;

			fputs(",\"name\":", stdout);
			wd_json_str(stdout, p->name);
			printf(",\"mode\":\"%s\",\"rules\":%u,\"identities\":[",
			       p->audit ? "audit" : "enforce", c->n_rules);
			for (i = 0; i < p->n_identities; i++) {
				fputs(i ? "," : "", stdout);
				wd_json_str(stdout, p->identities[i]);
			}
			printf("],\"entries\":{\"exact\":%zu,\"prefix\":%zu,\"proc\":%zu,"
			       "\"net\":%zu}",
			       c->n_exact, c->n_prefix, c->n_proc, c->n_net);
		}
		fputs(",\"errors\":", stdout);
		json_errors(&d);
		if (d.total > d.n)
			printf(",\"errors_not_shown\":%zu", d.total - d.n);
		fputs("}\n", stdout);
	} else if (err) {
		wd_diags_print(stderr, &d);
	} else {
		printf("%s: ok (name %s, mode %s, %u rule%s)\n", name, p->name,
		       p->audit ? "audit" : "enforce", c->n_rules, c->n_rules == 1 ? "" : "s");
	}
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&d);
	return err ? 1 : 0;
}

/* The options of check and show: one flag (--@name, -@letter) and --help. Returns -1 to go on,
 * with *@flag set when the flag was given, or the exit status. */
static int parse_flag(int argc, char **argv, const char *name, int letter, bool *flag)
{
	const struct option opts[] = {
		{name, no_argument, NULL, letter},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char shortopts[] = {(char)letter, 'h', '\0'};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (c == letter) {
			*flag = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "Try 'warden policy --help'.\n");
			return 2;
		}
	}
	return -1;
}

static int cmd_check(int argc, char **argv)
{
	bool json = false;
	int i, ret;

	ret = parse_flag(argc, argv, "json", 'j', &json);
	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		fprintf(stderr, "warden policy check: no policy file given (- reads stdin)\n");
		return 2;
	}
	ret = 0;
	for (i = optind; i < argc; i++)
		ret |= check_one(argv[i], json);
	fflush(stdout);
	return ret;
}

static int cmd_show(int argc, char **argv)
{
	bool dflt = false;
	int ret;

	ret = parse_flag(argc, argv, "default", 'd', &dflt);
	if (ret >= 0)
		return ret;
	if (!dflt || optind < argc) {
		fprintf(stderr, "warden policy show: only --default can be shown\n");
		return 2;
	}
	if (fwrite(wd_default_policy, 1, wd_default_policy_len, stdout) != wd_default_policy_len ||
	    fflush(stdout)) {
		fprintf(stderr, "warden policy show: cannot write: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* --- warden policy apply|diff|show TARGET --------------------------------------------------- */

/* argv[0] is "apply", "diff" or "show". */
static int cmd_daemon(int argc, char **argv)
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
	if (file && wd_cli_read_policy(file, &b))
		return 1;
	if (!strcmp(sub, "apply")) {
		Warden__V1__PolicyApplyRequest a = WARDEN__V1__POLICY_APPLY_REQUEST__INIT;

		a.target = &t;
		a.policy = &b.src;
		rq.op_case = WARDEN__V1__REQUEST__OP_POLICY_APPLY;
		rq.policy_apply = &a;
		if (!(ret = wd_cli_call("policy apply", &rq, NULL, 0, &r, CALL_MS))) {
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
		if (!(ret = wd_cli_call("policy diff", &rq, NULL, 0, &r, CALL_MS))) {
			if (json) {
				printf("{\"changed\":%s,\"generation\":\"%" PRIu64 "\"",
				       r->policy_diff->changed ? "true" : "false",
				       r->policy_diff->generation);
				wd_cli_json_kv_str(stdout, "unified", r->policy_diff->unified,
						   true);
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
		if (!(ret = wd_cli_call("policy show", &rq, NULL, 0, &r, CALL_MS))) {
			if (json) {
				printf("{\"generation\":\"%" PRIu64 "\",\"applied_by_uid\":%u",
				       r->policy_text->generation, r->policy_text->applied_by_uid);
				wd_cli_json_kv_str(stdout, "source", r->policy_text->policy->name,
						   true);
				wd_cli_json_kv_str(stdout, "text", r->policy_text->policy->text,
						   true);
				puts("}");
			} else {
				printf("# generation %" PRIu64 ", from %s, applied by uid %u at ",
				       r->policy_text->generation, r->policy_text->policy->name,
				       r->policy_text->applied_by_uid);
				wd_cli_print_time(stdout, r->policy_text->applied_wall_ns);
				printf("\n%s", r->policy_text->policy->text);
			}
		}
	}
	if (r)
		warden__v1__response__free_unpacked(r, NULL);
	free(b.text);
	return ret;
}

int wd_cmd_policy(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub) {
		usage(stderr);
		return 2;
	}
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(sub, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(sub, "apply") || !strcmp(sub, "diff"))
		return cmd_daemon(argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0) {
		/* A target means the daemon's policy for it. */
		for (int i = 2; i < argc; i++)
			if (!strcmp(argv[i], "--identity") || !strcmp(argv[i], "--sandbox") ||
			    !strcmp(argv[i], "--node-default"))
				return cmd_daemon(argc - 1, argv + 1);
		return cmd_show(argc - 1, argv + 1);
	}
	fprintf(stderr,
		"warden policy: unknown subcommand '%s'; expected check, show, apply or diff\n",
		sub);
	usage(stderr);
	return 2;
}
