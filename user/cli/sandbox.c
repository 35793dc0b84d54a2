// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden sandbox list|show|revoke|create|adopt`: the daemon's sandboxes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/ctl_internal.h"
#include "lib/json.h"

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
		wd_cli_sandbox_json(stdout, r->sandbox);
		putchar('\n');
	} else {
		wd_cli_sandbox_text(stdout, r->sandbox, true);
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
		if ((ret = wd_cli_call("sandbox list", &rq, NULL, 0, &r, CALL_MS)))
			return ret;
		if (json)
			putchar('[');
		for (size_t i = 0; i < r->sandbox_list->n_sandboxes; i++) {
			if (json) {
				if (i)
					putchar(',');
				wd_cli_sandbox_json(stdout, r->sandbox_list->sandboxes[i]);
			} else {
				wd_cli_sandbox_text(stdout, r->sandbox_list->sandboxes[i], false);
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
		if ((ret = wd_cli_call(strcmp(sub, "show") ? "sandbox revoke" : "sandbox show", &rq,
				       NULL, 0, &r, CALL_MS)))
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

		if (wd_cli_parse_spec(argc - 1, argv + 1, sub, &b, &json, &cgroup) < 0)
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
		ret = wd_cli_call(!strcmp(sub, "adopt") ? "sandbox adopt" : "sandbox create", &rq,
				  NULL, 0, &r, CALL_MS);
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
