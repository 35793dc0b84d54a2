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
#include "lib/json.h"
#include "sandbox/rung3.h"
#include "sandbox/rung4.h"

/* Rung 3's trials, then which mechanism enforces each feature for `warden run`. */
static void print_table(const struct wd_probe *p, const struct wd_rung3 *r3, int rung,
			const struct wd_feature_row *rows, size_t n)
{
	wd_probe_print_table(stdout, p);
	if (r3->tried) {
		printf("\nRUNG 3 (sandboxes warden starts: warden run)\n");
		printf("%-26s %-4s %s\n", "landlock", r3->landlock ? "yes" : "no", r3->ll_detail);
		printf("%-26s %-4s %s\n", "landlock/scope", r3->ll_scope ? "yes" : "no",
		       r3->ll_scope ? "signals and abstract unix sockets out of the sandbox"
				    : "not seen (needs Landlock ABI 6)");
		printf("%-26s %-4s %s\n", "mount_ns", r3->mount_ns ? "yes" : "no", r3->mnt_detail);
		printf("%-26s %-4s %s\n", "seccomp", r3->seccomp ? "yes" : "no", r3->sc_detail);
		printf("%-26s %-4s %s\n", "pid_ns", r3->pid_ns ? "yes" : "no", r3->pid_detail);
		printf("%-26s %-4s %s\n", "cgroup/dev", r3->cg_dev ? "yes" : "no", r3->dev_detail);
		printf("%-26s %-4s %s\n", "cgroup/unix", r3->cg_unix ? "yes" : "no",
		       r3->unix_detail);
		printf("%-26s %-4s %s\n", "exec_tracepoint", r3->exec_tp ? "yes" : "no",
		       r3->exec_detail);
	}
	printf("\nENFORCEMENT BY FEATURE (warden run; rung %d: %s)\n", rung,
	       rung == 1   ? "BPF LSM"
	       : rung == 2 ? "LSM programs as fmod_ret, cgroup hooks"
	       : rung == 3 ? "Landlock, mount namespace, seccomp, cgroup hooks"
			   : "cgroup hooks only: warden run needs --degraded");
	for (size_t i = 0; i < n; i++)
		printf("%-28s %-22s %s\n", rows[i].feature, rows[i].mech, rows[i].detail);
}

static void json_rows(const struct wd_feature_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"feature\":", i ? "," : "");
		wd_json_str(stdout, rows[i].feature);
		fputs(",\"mechanism\":", stdout);
		wd_json_str(stdout, rows[i].mech);
		printf(",\"enforced\":%s,\"required\":%s,\"detail\":",
		       rows[i].enforced ? "true" : "false", rows[i].required ? "true" : "false");
		wd_json_str(stdout, rows[i].detail);
		fputc('}', stdout);
	}
}

/* Rung 4's trial, and what the daemon enforces in sandboxes it adopts without a command. */
static void print_rung4(const struct wd_rung4 *r4, const struct wd_feature_row *rows, size_t n,
			bool json)
{
	if (json) {
		printf(",\"rung4\":{\"tried\":%s,\"fanotify\":%s,\"detail\":",
		       r4->tried ? "true" : "false", r4->fanotify ? "true" : "false");
		wd_json_str(stdout, r4->detail);
		fputs(",\"adopted_enforcement\":[", stdout);
		json_rows(rows, n);
		fputs("]}", stdout);
		return;
	}
	printf("\nRUNG 4 (sandboxes the daemon adopts or makes without a command)\n");
	printf("%-26s %-4s %s\n", "fanotify_perm", r4->fanotify ? "yes" : "no", r4->detail);
	printf("\nENFORCEMENT BY FEATURE (adopted sandboxes: %s)\n",
	       r4->fanotify ? "fanotify, cgroup hooks" : "cgroup hooks only: needs degraded");
	for (size_t i = 0; i < n; i++)
		printf("%-28s %-22s %s\n", rows[i].feature, rows[i].mech, rows[i].detail);
}

/* The probe's JSON, with "rung3", "run_rung" and "run_enforcement" added (the caller closes
 * the object). */
static void print_json(const struct wd_probe *p, const struct wd_rung3 *r3, int rung,
		       const struct wd_feature_row *rows, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	wd_probe_print_json(m, p);
	fclose(m);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '}'))
		if (buf[--len] == '}')
			break;
	fwrite(buf, 1, len, stdout);
	free(buf);
	printf(",\"rung3\":{\"tried\":%s,\"landlock_abi\":%d,\"landlock\":%s,"
	       "\"landlock_scope\":%s,\"mount_ns\":%s,\"seccomp\":%s,\"landlock_detail\":",
	       r3->tried ? "true" : "false", r3->ll_abi, r3->landlock ? "true" : "false",
	       r3->ll_scope ? "true" : "false", r3->mount_ns ? "true" : "false",
	       r3->seccomp ? "true" : "false");
	wd_json_str(stdout, r3->ll_detail);
	fputs(",\"mount_ns_detail\":", stdout);
	wd_json_str(stdout, r3->mnt_detail);
	fputs(",\"seccomp_detail\":", stdout);
	wd_json_str(stdout, r3->sc_detail);
	printf(",\"pid_ns\":%s,\"pid_ns_detail\":", r3->pid_ns ? "true" : "false");
	wd_json_str(stdout, r3->pid_detail);
	printf(",\"cgroup_network\":%s,\"cgroup_network_detail\":", r3->cg_net ? "true" : "false");
	wd_json_str(stdout, r3->cg_detail);
	printf(",\"cgroup_device\":%s,\"cgroup_device_detail\":", r3->cg_dev ? "true" : "false");
	wd_json_str(stdout, r3->dev_detail);
	printf(",\"cgroup_unix\":%s,\"cgroup_unix_detail\":", r3->cg_unix ? "true" : "false");
	wd_json_str(stdout, r3->unix_detail);
	printf(",\"exec_tracepoint\":%s,\"exec_tracepoint_detail\":",
	       r3->exec_tp ? "true" : "false");
	wd_json_str(stdout, r3->exec_detail);
	printf("},\"run_rung\":%d,\"run_enforcement\":[", rung);
	json_rows(rows, n);
	fputs("]", stdout);
}

int wd_cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct wd_feature_row rows[WD_FEATURES_MAX];
	struct wd_feature_row rows4[WD_FEATURES_MAX];
	struct wd_rung3 r3 = {0};
	struct wd_rung4 r4 = {0};
	struct wd_probe *p;
	const char *lsm;
	bool json = false, verbose = false;
	int c, err, verdict, rung;
	size_t n, n4 = 0;

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
			       "Without BPF LSM, rung 3 (Landlock, a mount namespace, seccomp) is "
			       "tried\n"
			       "too: ENFORCEMENT BY FEATURE says what `warden run` enforces with "
			       "what\n"
			       "(JSON: run_rung, run_enforcement).\n"
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
	verdict = wd_probe_verdict(p);
	if (verdict != WD_PROBE_FULL && wd_rung3_probe(&r3))
		memset(&r3, 0, sizeof(r3));
	lsm = verdict == WD_PROBE_FULL ? wd_probe_mechanism(p, WD_NEED_EXEC) : NULL;
	if (verdict == WD_PROBE_FULL && !lsm)
		lsm = "bpf-lsm";
	n = wd_rung_report(lsm, &r3, r3.landlock, NULL, rows, WD_FEATURES_MAX);
	rung = !lsm ? (r3.landlock ? 3 : 0) : strstr(lsm, "bpf-lsm") ? 1 : 2;
	if (verdict != WD_PROBE_FULL && wd_rung4_probe(&r4))
		memset(&r4, 0, sizeof(r4));
	if (verdict != WD_PROBE_FULL)
		n4 = wd_rung4_report(&r4, &r3, NULL, rows4, WD_FEATURES_MAX);
	if (json)
		print_json(p, &r3, rung, rows, n);
	else
		print_table(p, &r3, rung, rows, n);
	if (r4.tried)
		print_rung4(&r4, rows4, n4, json);
	if (json)
		fputs("}\n", stdout);
	free(p);
	return verdict;
}
