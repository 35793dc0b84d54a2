/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the CLI's verbs that talk to the daemon share: one call with its errors printed and the
 * rendering of times and sandboxes (ctl.c), and the sandbox spec options of run, sandbox create
 * and adopt with the policy file they name (spec.c). */
#ifndef WD_CLI_CTL_INTERNAL_H
#define WD_CLI_CTL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl/control.h"

#define CALL_MS 30000

/* One request, one response; errors printed. Returns 0 with @resp, or an exit status; for run,
 * minus the connection's fd, kept open for the second answer. */
int wd_cli_call(const char *who, Warden__V1__Request *rq, const int *fds, unsigned nfds,
		Warden__V1__Response **resp, unsigned timeout_ms);

void wd_cli_print_time(FILE *f, uint64_t ns);
void wd_cli_json_kv_str(FILE *f, const char *k, const char *v, bool comma);
void wd_cli_sandbox_json(FILE *f, const Warden__V1__SandboxInfo *s);
void wd_cli_sandbox_text(FILE *f, const Warden__V1__SandboxInfo *s, bool long_form);

struct spec_buf {
	Warden__V1__SandboxSpec spec;
	Warden__V1__PolicySource src;
	Warden__V1__SandboxSpec__LabelsEntry lab[64];
	Warden__V1__SandboxSpec__LabelsEntry *labp[64];
	char *text;
};

/* Reads the policy file @path into @b (b->src names it; free b->text), printing what is wrong. */
int wd_cli_read_policy(const char *path, struct spec_buf *b);

/* Options shared by run, sandbox create and adopt. Returns the next argv index or -1. */
int wd_cli_parse_spec(int argc, char **argv, const char *who, struct spec_buf *b, bool *json,
		      char **cgroup);

#endif
