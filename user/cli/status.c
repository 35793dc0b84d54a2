// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden status`: what the daemon is doing, as text or --json. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/ctl_internal.h"
#include "lib/json.h"

int wd_cmd_status(int argc, char **argv)
{
	Warden__V1__Request rq = WARDEN__V1__REQUEST__INIT;
	Warden__V1__StatusRequest sr = WARDEN__V1__STATUS_REQUEST__INIT;
	Warden__V1__Response *r;
	Warden__V1__Status *s;
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	int ret;

	if (argc > 1 && !json) {
		fprintf(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"Usage: warden status [--json]\n\nWhat the warden daemon is doing: "
			"version, "
			"kernel features in use and what is not protected, sandboxes, events per "
			"second, losses, sink health.\n");
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	rq.op_case = WARDEN__V1__REQUEST__OP_STATUS;
	rq.status = &sr;
	if ((ret = wd_cli_call("status", &rq, NULL, 0, &r, CALL_MS)))
		return ret;
	s = r->status;
	if (json) {
		printf("{\"version\":");
		wd_json_str(stdout, s->version);
		wd_cli_json_kv_str(stdout, "kernel", s->kernel, true);
		wd_cli_json_kv_str(stdout, "enforcement", s->enforcement, true);
		printf(",\"features\":[");
		for (size_t i = 0; i < s->n_features; i++) {
			printf("%s{", i ? "," : "");
			wd_cli_json_kv_str(stdout, "name", s->features[i]->name, false);
			printf(",\"in_use\":%s", s->features[i]->in_use ? "true" : "false");
			wd_cli_json_kv_str(stdout, "detail", s->features[i]->detail, true);
			printf("}");
		}
		printf("],\"not_protected\":[");
		for (size_t i = 0; i < s->n_not_protected; i++) {
			printf("%s", i ? "," : "");
			wd_json_str(stdout, s->not_protected[i]);
		}
		printf("],\"sandboxes\":%u,\"events_total\":\"%" PRIu64
		       "\",\"events_per_second\":%.1f,\"events_lost\":\"%" PRIu64 "\",\"sinks\":[",
		       s->sandboxes, s->events_total, s->events_per_second, s->events_lost);
		for (size_t i = 0; i < s->n_sinks; i++) {
			printf("%s{", i ? "," : "");
			wd_cli_json_kv_str(stdout, "name", s->sinks[i]->name, false);
			printf(",\"healthy\":%s", s->sinks[i]->healthy ? "true" : "false");
			wd_cli_json_kv_str(stdout, "detail", s->sinks[i]->detail, true);
			printf(",\"exported\":\"%" PRIu64 "\",\"lost\":\"%" PRIu64 "\"}",
			       s->sinks[i]->exported, s->sinks[i]->lost);
		}
		printf("],\"started_wall_ns\":\"%" PRIu64 "\"}\n", s->started_wall_ns);
	} else {
		printf("warden daemon %s on %s: %s enforcement\n", s->version, s->kernel,
		       s->enforcement);
		for (size_t i = 0; i < s->n_features; i++)
			printf("  %-18s %-4s %s\n", s->features[i]->name,
			       s->features[i]->in_use ? "yes" : "NO", s->features[i]->detail);
		for (size_t i = 0; i < s->n_not_protected; i++)
			printf("  NOT PROTECTED: %s\n", s->not_protected[i]);
		printf("sandboxes: %u\nevents: %" PRIu64 " (%.1f/s), lost in the kernel: %" PRIu64
		       "\n",
		       s->sandboxes, s->events_total, s->events_per_second, s->events_lost);
		for (size_t i = 0; i < s->n_sinks; i++)
			printf("sink %s: %s, %" PRIu64 " exported, %" PRIu64 " lost: %s\n",
			       s->sinks[i]->name, s->sinks[i]->healthy ? "healthy" : "UNHEALTHY",
			       s->sinks[i]->exported, s->sinks[i]->lost, s->sinks[i]->detail);
	}
	warden__v1__response__free_unpacked(r, NULL);
	return 0;
}
