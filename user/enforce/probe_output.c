// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden probe`'s output: the results as a table for people or as JSON, with the verdict. */
#include <stdio.h>
#include <string.h>

#include "enforce/probe.h"
#include "hooks/hooks.h"
#include "lib/json.h"
#include "warden/version.h"

static const char *verdict_text(enum wd_probe_verdict v)
{
	switch (v) {
	case WD_PROBE_FULL:
		return "full enforcement: exec, file and network";
	case WD_PROBE_PARTIAL:
		return "partial: network enforcement through cgroup hooks works; features marked "
		       "'no' above are not enforced (warden run refuses policies that need them "
		       "unless --degraded)";
	default:
		return "none: warden cannot enforce here (see the features marked 'no')";
	}
}

void wd_probe_print_table(FILE *f, const struct wd_probe *p)
{
	enum wd_probe_verdict v = wd_probe_verdict(p);

	fprintf(f, "warden %s probe on kernel %s\n\n", WARDEN_VERSION, p->kernel);
	fprintf(f, "%-26s %-4s %-17s %s\n", "FEATURE", "OK", "NEEDED FOR", "DETAIL");
	for (int i = 0; i < p->n; i++)
		fprintf(f, "%-26s %-4s %-17s %s\n", p->feats[i].name,
			p->feats[i].absent	? "n/a"
			: p->feats[i].available ? "yes"
						: "no",
			wd_need_name(p->feats[i].need), p->feats[i].detail);
	fprintf(f, "\nverdict: %s\n", verdict_text(v));
	if (v == WD_PROBE_FULL)
		return;
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->feats[i].name, "bpf_lsm") && !p->feats[i].available)
			fprintf(f,
				"without BPF LSM, not enforced: %s\n"
				"still enforced by the cgroup hooks: %s\n",
				WD_DEGRADED_NOT_ENFORCED, WD_DEGRADED_ENFORCED);
	fputs("missing:", f);
	for (int i = 0, n = 0; i < p->n; i++)
		if (!p->feats[i].available && !p->feats[i].absent)
			fprintf(f, "%s %s", n++ ? "," : "", p->feats[i].name);
	fputc('\n', f);
}

void wd_probe_print_json(FILE *f, const struct wd_probe *p)
{
	enum wd_probe_verdict v = wd_probe_verdict(p);

	fputs("{\"warden_version\":", f);
	wd_json_str(f, WARDEN_VERSION);
	fputs(",\"kernel\":", f);
	wd_json_str(f, p->kernel);
	fputs(",\"cgroup2\":", f);
	wd_json_str(f, p->cgroup2);
	fprintf(f, ",\"verdict\":\"%s\",\"full_enforcement\":%s,\"features\":[",
		wd_probe_verdict_name(v), v == WD_PROBE_FULL ? "true" : "false");
	for (int i = 0; i < p->n; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		wd_json_str(f, p->feats[i].name);
		fprintf(f, ",\"available\":%s,\"absent\":%s,\"needed_for\":",
			p->feats[i].available ? "true" : "false",
			p->feats[i].absent ? "true" : "false");
		wd_json_str(f, wd_need_name(p->feats[i].need));
		fputs(",\"detail\":", f);
		wd_json_str(f, p->feats[i].detail);
		fputc('}', f);
	}
	fputs("]}\n", f);
}
