// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden probe`'s output: the results as a table for people or as JSON, with the verdict. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "enforce/probe.h"
#include "hooks/hooks.h"
#include "lib/json.h"
#include "warden/version.h"

/* What the LSM programs enforce, each by one mechanism or another (wd_probe_mechanism()). */
static const enum wd_need lsm_needs[] = {WD_NEED_EXEC, WD_NEED_FILE, WD_NEED_SOCKET,
					 WD_NEED_CONFINE};

static bool network_ok(const struct wd_probe *p)
{
	int n = 0;

	for (int i = 0; i < p->n; i++) {
		if (p->feats[i].need != WD_NEED_NETWORK)
			continue;
		if (!p->feats[i].available)
			return false;
		n++;
	}
	return n > 0;
}

static const char *verdict_text(enum wd_probe_verdict v)
{
	switch (v) {
	case WD_PROBE_FULL:
		return "full enforcement: exec, file and network";
	case WD_PROBE_PARTIAL:
		return "partial: network enforcement through cgroup hooks works; features marked "
		       "'no' above are not enforced by kernel hooks (cgroups the daemon adopts); "
		       "warden run: see ENFORCEMENT BY FEATURE (rung 3), else it refuses policies "
		       "that need them unless --degraded";
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
	fputs("\nenforced by:", f);
	for (size_t i = 0; i < sizeof(lsm_needs) / sizeof(lsm_needs[0]); i++) {
		const char *m = wd_probe_mechanism(p, lsm_needs[i]);

		fprintf(f, "%s %s %s", i ? "," : "", wd_need_name(lsm_needs[i]),
			m ? m : "NOT ENFORCED");
	}
	fprintf(f, ", network %s\n", network_ok(p) ? "cgroup" : "NOT ENFORCED");
	fprintf(f, "verdict: %s%s\n", verdict_text(v),
		v == WD_PROBE_FULL && wd_probe_mechanism(p, WD_NEED_EXEC) &&
				strstr(wd_probe_mechanism(p, WD_NEED_EXEC), "fmod_ret")
			? " (exec, file, socket and confinement hooks by fmod_ret on the "
			  "security_* "
			  "functions: rung 2, BPF LSM is off)"
			: "");
	if (v == WD_PROBE_FULL)
		return;
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->feats[i].name, "bpf_lsm") && !p->feats[i].available &&
		    !p->feats[i].by[0])
			fprintf(f,
				"without BPF LSM, not enforced: %s\n"
				"still enforced by the cgroup hooks: %s\n",
				WD_DEGRADED_NOT_ENFORCED, WD_DEGRADED_ENFORCED);
	fputs("missing:", f);
	for (int i = 0, n = 0; i < p->n; i++)
		if (!p->feats[i].available && !p->feats[i].absent && !p->feats[i].by[0] &&
		    !p->feats[i].alt)
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
		fprintf(f, ",\"available\":%s,\"absent\":%s,\"fallback\":%s,\"needed_for\":",
			p->feats[i].available ? "true" : "false",
			p->feats[i].absent ? "true" : "false", p->feats[i].alt ? "true" : "false");
		wd_json_str(f, wd_need_name(p->feats[i].need));
		if (p->feats[i].by[0]) {
			fputs(",\"enforced_by\":", f);
			wd_json_str(f, p->feats[i].by);
		}
		fputs(",\"detail\":", f);
		wd_json_str(f, p->feats[i].detail);
		fputc('}', f);
	}
	fputs("],\"enforcement\":{", f);
	for (size_t i = 0; i < sizeof(lsm_needs) / sizeof(lsm_needs[0]); i++) {
		const char *m = wd_probe_mechanism(p, lsm_needs[i]);

		fprintf(f, "%s\"%s\":", i ? "," : "", wd_need_name(lsm_needs[i]));
		wd_json_str(f, m ? m : "none");
	}
	fprintf(f, ",\"network\":\"%s\"}}\n", network_ok(p) ? "cgroup" : "none");
}
