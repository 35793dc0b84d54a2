// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe's results, one row per feature, and the verdict they add up to (also `warden
 * probe`'s exit status). Pure: tested without a kernel (tests/unit/test_enforce_probe_verdict.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "enforce/probe.h"

struct wd_feature *wd_probe_add(struct wd_probe *p, const char *name, enum wd_need need,
				bool available, const char *fmt, ...)
{
	struct wd_feature *f;
	va_list ap;

	if (p->n >= WD_PROBE_MAX_FEATURES)
		return NULL;
	f = &p->feats[p->n++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->need = need;
	f->available = available;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return f;
}

const struct wd_feature *wd_probe_get(const struct wd_probe *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->feats[i].name, name) == 0)
			return &p->feats[i];
	return NULL;
}

enum wd_probe_verdict wd_probe_verdict(const struct wd_probe *p)
{
	bool core = true, net = true, all = true;

	for (int i = 0; i < p->n; i++) {
		const struct wd_feature *f = &p->feats[i];

		/* A hook this kernel does not have leaves nothing unenforced, nor does one another
		 * mechanism enforces; a fallback's own rows count through those. */
		if (f->available || f->absent || f->by[0] || f->alt)
			continue;
		all = false;
		if (f->need == WD_NEED_CORE)
			core = false;
		if (f->need == WD_NEED_NETWORK)
			net = false;
	}
	if (p->n == 0 || !core || !net)
		return WD_PROBE_NONE;
	return all ? WD_PROBE_FULL : WD_PROBE_PARTIAL;
}

const char *wd_probe_mechanism(const struct wd_probe *p, enum wd_need need)
{
	bool lsm = false, other = false;
	const char *by = NULL;

	for (int i = 0; i < p->n; i++) {
		const struct wd_feature *f = &p->feats[i];

		if (f->need != need || f->alt || f->absent || strncmp(f->name, "lsm/", 4) != 0)
			continue;
		if (f->available) {
			lsm = true;
		} else if (f->by[0]) {
			other = true;
			by = f->by;
		} else {
			return NULL;
		}
	}
	if (lsm && other)
		return "bpf-lsm+fmod_ret";
	if (other)
		return by;
	return lsm ? "bpf-lsm" : NULL;
}

const char *wd_probe_verdict_name(enum wd_probe_verdict v)
{
	switch (v) {
	case WD_PROBE_FULL:
		return "full";
	case WD_PROBE_PARTIAL:
		return "partial";
	default:
		return "none";
	}
}

const char *wd_need_name(enum wd_need need)
{
	switch (need) {
	case WD_NEED_CORE:
		return "core";
	case WD_NEED_NETWORK:
		return "network";
	case WD_NEED_EVENTS:
		return "events";
	case WD_NEED_LSM:
		return "exec,file,socket";
	case WD_NEED_PINNING:
		return "daemon state";
	case WD_NEED_EXEC:
		return "exec";
	case WD_NEED_FILE:
		return "file";
	case WD_NEED_SOCKET:
		return "socket";
	case WD_NEED_CONFINE:
		return "confinement";
	}
	return "?";
}
