// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3 for one sandbox: the plan from its compiled policy, and the refusal when it would
 * enforce less than every policy needs (see rung3_plan.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/rung3_plan.h"

/* What the scan of the node's sockets at this start found, after the unix sockets row. */
static void sockets_note(const struct wd_sock_scan *s, struct wd_feature_row *row)
{
	size_t len = strlen(row->detail);

	if (len + 3 < sizeof(row->detail)) {
		memcpy(row->detail + len, "; ", 3);
		wd_sockets_describe(s, row->detail + len + 2, sizeof(row->detail) - len - 2);
	}
}

int wd_rung3_plan(const struct wd_compiled *c, const struct wd_rung3 *r3, bool degraded,
		  struct wd_rung3_plan *out, char *why, size_t size)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->confine.ruleset_fd = -1;
	if (!r3->landlock) {
		snprintf(why, size, "Landlock was not seen refusing a test child (%s)",
			 r3->ll_detail[0] ? r3->ll_detail : "not tried");
		return -EOPNOTSUPP;
	}
	err = wd_confine_build(c, r3, &out->confine, why, size);
	if (err)
		return err == -EPERM ? err : -EOPNOTSUPP;
	if (out->confine.unexpressed[0] && !degraded) {
		snprintf(why, size, "%s", out->confine.unexpressed);
		wd_confine_free(&out->confine);
		return -EPERM;
	}
	out->n_rows = wd_rung_report(NULL, r3, true, c, out->rows, WD_FEATURES_MAX);
	for (size_t i = 0; out->confine.socks_scanned && i < out->n_rows; i++)
		if (!strcmp(out->rows[i].feature, "unix sockets"))
			sockets_note(&out->confine.socks, &out->rows[i]);
	for (size_t i = 0; !degraded && i < out->n_rows; i++) {
		if (!out->rows[i].required || out->rows[i].enforced)
			continue;
		snprintf(why, size, "rung 3 here cannot enforce %s (%s)", out->rows[i].feature,
			 out->rows[i].detail);
		wd_confine_free(&out->confine);
		return -EOPNOTSUPP;
	}
	return 0;
}

void wd_rung3_plan_free(struct wd_rung3_plan *p)
{
	wd_confine_free(&p->confine);
}

const char *wd_rung3_plan_mechs(const struct wd_rung3_plan *p, char *buf, size_t size)
{
	snprintf(buf, size, "landlock%s%s", p->confine.mounts ? ", mount-ns" : "",
		 p->confine.seccomp ? ", seccomp" : "");
	return buf;
}

/* Appends @sep then @s, as far as they fit (*@len reaching @size marks the cut). */
static void add(char *buf, size_t size, size_t *len, const char *sep, const char *s)
{
	int k;

	if (*len >= size)
		return;
	k = snprintf(buf + *len, size - *len, "%s%s", sep, s);
	*len = k < 0 ? size : *len + (size_t)k;
}

void wd_rung_summary(const struct wd_feature_row *rows, size_t n, char *buf, size_t size)
{
	bool done[WD_FEATURES_MAX] = {false}, any_not = false;
	size_t len = 0;

	if (!size)
		return;
	buf[0] = '\0';
	add(buf, size, &len, "", "enforced by ");
	for (size_t i = 0; i < n && i < WD_FEATURES_MAX; i++) {
		if (done[i] || !rows[i].enforced)
			continue;
		add(buf, size, &len, len > strlen("enforced by ") ? "; " : "", rows[i].mech);
		add(buf, size, &len, "", ":");
		for (size_t j = i; j < n && j < WD_FEATURES_MAX; j++)
			if (!done[j] && rows[j].enforced && !strcmp(rows[j].mech, rows[i].mech)) {
				add(buf, size, &len, j == i ? " " : ", ", rows[j].feature);
				done[j] = true;
			}
	}
	if (len == strlen("enforced by ")) {
		len = 0; /* nothing is: only the list below */
		buf[0] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		if (!rows[i].enforced) {
			add(buf, size, &len,
			    any_not ? ", "
			    : len   ? "; NOT ENFORCED: "
				    : "NOT ENFORCED: ",
			    rows[i].feature);
			any_not = true;
		}
	if (len >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
}
