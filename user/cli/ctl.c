// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI's side of the daemon: whether one answers, one call with its errors printed, and the
 * rendering of what it answers that several verbs share. The verbs are status.c, sandbox.c,
 * policy.c (apply, diff, show of a target) and run_daemon.c. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/ctl_internal.h"
#include "lib/json.h"
#include "warden/version.h"

static const char *sock_path(void)
{
	const char *p = getenv("WARDEN_SOCKET");

	return p && *p ? p : WD_CTL_SOCK_PATH;
}

bool wd_daemon_reachable(void)
{
	char err[WD_CTL_ERR_MAX];
	int fd;

	if (access(sock_path(), F_OK))
		return false;
	/* A socket left behind by a daemon that is gone does not count. */
	if (wd_ctl_connect(sock_path(), 1000, &fd, err, sizeof(err)))
		return false;
	close(fd);
	return true;
}

/* One request, one response; errors printed. Returns 0 with @resp, or an exit status. */
int wd_cli_call(const char *who, Warden__V1__Request *rq, const int *fds, unsigned nfds,
		Warden__V1__Response **resp, unsigned timeout_ms)
{
	char err[WD_CTL_ERR_MAX], client[64];
	int fd, ret;

	snprintf(client, sizeof(client), "warden %s: %s", WARDEN_VERSION, who);
	rq->protocol = WD_CTL_PROTOCOL;
	rq->client = client;
	if (wd_ctl_connect(sock_path(), 5000, &fd, err, sizeof(err))) {
		fprintf(stderr, "warden %s: %s\n", who, err);
		return 69; /* EX_UNAVAILABLE */
	}
	if (wd_ctl_call(fd, rq, fds, nfds, resp, timeout_ms, err, sizeof(err))) {
		fprintf(stderr, "warden %s: %s\n", who, err);
		close(fd);
		return 69;
	}
	if ((*resp)->error) {
		Warden__V1__Error *e = (*resp)->error;

		for (size_t i = 0; i < e->n_problems; i++) {
			const Warden__V1__PolicyProblem *p = e->problems[i];

			if (p->line)
				fprintf(stderr, "%s:%u:%u: %s\n", p->file, p->line, p->column,
					p->message);
			else
				fprintf(stderr, "%s: %s\n", p->file, p->message);
		}
		fprintf(stderr, "warden %s: %s\n", who, e->message);
		ret = e->code == WARDEN__V1__ERROR__CODE__PERMISSION_DENIED ? 77 : 1;
		/* The caller frees what is left in *resp: nothing, now. */
		warden__v1__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		close(fd);
		return ret;
	}
	/* run keeps the connection for the second answer. */
	if (rq->op_case == WARDEN__V1__REQUEST__OP_RUN)
		return -fd;
	close(fd);
	return 0;
}

void wd_cli_print_time(FILE *f, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, f);
}

void wd_cli_json_kv_str(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", k);
	wd_json_str(f, v ? v : "");
}

void wd_cli_sandbox_json(FILE *f, const Warden__V1__SandboxInfo *s)
{
	fputc('{', f);
	wd_cli_json_kv_str(f, "id", s->id, false);
	wd_cli_json_kv_str(f, "identity", s->identity, true);
	fputs(",\"labels\":{", f);
	for (size_t i = 0; i < s->n_labels; i++) {
		if (i)
			fputc(',', f);
		wd_json_str(f, s->labels[i]->key);
		fputc(':', f);
		wd_json_str(f, s->labels[i]->value);
	}
	fputc('}', f);
	wd_cli_json_kv_str(f, "cgroup_path", s->cgroup_path, true);
	fprintf(f, ",\"cgroup_id\":\"%" PRIu64 "\"", s->cgroup_id);
	wd_cli_json_kv_str(f, "state",
			   s->state == WARDEN__V1__SANDBOX_INFO__STATE__ACTIVE ? "active" : "ended",
			   true);
	fprintf(f, ",\"created_wall_ns\":\"%" PRIu64 "\",\"expires_wall_ns\":\"%" PRIu64 "\"",
		s->created_wall_ns, s->expires_wall_ns);
	wd_cli_json_kv_str(f, "policy_name", s->policy_name, true);
	fprintf(f, ",\"policy_generation\":\"%" PRIu64 "\",\"audit\":%s,\"adopted\":%s",
		s->policy_generation, s->audit ? "true" : "false", s->adopted ? "true" : "false");
	fprintf(f, ",\"denials\":\"%" PRIu64 "\",\"created_by_uid\":%u,\"not_enforced\":[",
		s->denials, s->created_by_uid);
	for (size_t i = 0; i < s->n_not_enforced; i++) {
		if (i)
			fputc(',', f);
		wd_json_str(f, s->not_enforced[i]);
	}
	fputs("]}", f);
}

void wd_cli_sandbox_text(FILE *f, const Warden__V1__SandboxInfo *s, bool long_form)
{
	if (!long_form) {
		fprintf(f, "%-20s %-32s %-8s %-6s ", s->id, s->identity,
			s->adopted ? "adopted" : "own", s->audit ? "audit" : "");
		wd_cli_print_time(f, s->created_wall_ns);
		fprintf(f, "  %s\n", s->policy_name);
		return;
	}
	fprintf(f, "id:          %s\nidentity:    %s\n", s->id, s->identity);
	for (size_t i = 0; i < s->n_labels; i++)
		fprintf(f, "label:       %s=%s\n", s->labels[i]->key, s->labels[i]->value);
	fprintf(f, "cgroup:      %s (id %" PRIu64 ")%s\n", s->cgroup_path, s->cgroup_id,
		s->adopted ? ", adopted" : "");
	fprintf(f, "created:     ");
	wd_cli_print_time(f, s->created_wall_ns);
	fprintf(f, " by uid %u\n", s->created_by_uid);
	if (s->expires_wall_ns) {
		fprintf(f, "expires:     ");
		wd_cli_print_time(f, s->expires_wall_ns);
		fputc('\n', f);
	}
	fprintf(f, "policy:      %s (generation %" PRIu64 ")%s\n", s->policy_name,
		s->policy_generation, s->audit ? ", audit mode" : "");
	fprintf(f, "denials:     %" PRIu64 "\n", s->denials);
	for (size_t i = 0; i < s->n_not_enforced; i++)
		fprintf(f, "NOT ENFORCED: %s\n", s->not_enforced[i]);
}
