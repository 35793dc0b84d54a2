// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3: planning in the parent, applying in the child (see confine.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "policy/compile.h"
#include "sandbox/confine.h"
#include "sandbox/rung3.h"

static void abstract_check(const struct wd_compiled *c, struct wd_confine *out)
{
	for (size_t i = 0; i < c->n_abstract; i++) {
		const char *rule = wd_compiled_rule_text(c, c->abstract[i].rule_id);

		if (c->abstract[i].verdict != WD_V_ALLOW)
			continue;
		snprintf(out->unexpressed, sizeof(out->unexpressed),
			 "%s: rung 3 cannot allow an abstract unix socket made outside the "
			 "sandbox: Landlock's scope refuses all of them or none",
			 rule ? rule : "an abstract: allow rule");
		return;
	}
	out->ll.scoped |= WD_LL_SCOPE_ABSTRACT_UNIX;
}

int wd_confine_build(const struct wd_compiled *c, const struct wd_rung3 *r3, struct wd_confine *out,
		     char *why, size_t size)
{
	FILE *mi = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	out->ruleset_fd = -1;
	if (!r3->landlock) {
		snprintf(why, size, "Landlock: %s", r3->ll_detail);
		return -EOPNOTSUPP;
	}
	if (c->cfg.flags & WD_POL_AUDIT) {
		snprintf(why, size,
			 "audit mode needs BPF LSM: rung 3 (Landlock) cannot let a would-be denial "
			 "through and report it");
		return -EOPNOTSUPP;
	}
	mi = fopen("/proc/self/mountinfo", "re");
	if (!mi) {
		err = -errno;
		snprintf(why, size, "/proc/self/mountinfo: %s", strerror(errno));
		return err;
	}
	err = wd_mounts_check_aliases(mi, c, why, size);
	if (!err)
		err = wd_landlock_plan(c, r3->ll_abi, r3->mount_ns ? WD_LL_PLAN_MOUNTS : 0,
				       &wd_ll_fs_real, &out->ll, why, size);
	if (err)
		goto out;
	if (r3->ll_scope) {
		out->ll.scoped |= WD_LL_SCOPE_SIGNAL;
		abstract_check(c, out);
	}
	if (r3->mount_ns) {
		rewind(mi);
		err = wd_mounts_plan(mi, &out->ll, &out->mnt, why, size);
		if (err)
			goto out;
		out->mounts = true;
	}
	if (r3->seccomp) {
		const struct wd_seccomp_opts so = {
			.families = c->cfg.families,
			.raw_families = c->cfg.raw_families,
			.allow_fileless = c->cfg.flags & WD_POL_ALLOW_FILELESS,
		};

		err = wd_seccomp_build(&so, &out->sc);
		if (err) {
			snprintf(why, size, "assembling the seccomp filter: %s", strerror(-err));
			goto out;
		}
		out->seccomp = true;
	}
	err = wd_landlock_ruleset(&out->ll, why, size);
	if (err >= 0) {
		out->ruleset_fd = err;
		err = 0;
	}
out:
	fclose(mi);
	if (err)
		wd_confine_free(out);
	return err;
}

void wd_confine_free(struct wd_confine *cf)
{
	if (cf->ruleset_fd >= 0)
		close(cf->ruleset_fd);
	wd_landlock_plan_free(&cf->ll);
	wd_mounts_free(&cf->mnt);
	wd_seccomp_free(&cf->sc);
	cf->ruleset_fd = -1;
	cf->mounts = cf->seccomp = false;
}

int wd_confine_enter(const struct wd_confine *cf, char *why, size_t size)
{
	int err;

	if (cf->mounts) {
		err = wd_mounts_apply(&cf->mnt, why, size);
		if (err)
			return err;
	}
	for (int cap = 0; cap < 64; cap++)
		if ((WD_CONFINE_CAPS & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL) {
			err = -errno;
			snprintf(why, size, "dropping capability %d: %s", cap, strerror(errno));
			return err;
		}
	err = wd_landlock_restrict(cf->ruleset_fd);
	if (err)
		snprintf(why, size, "entering the Landlock domain: %s", strerror(-err));
	return err;
}

int wd_confine_finish(const struct wd_confine *cf, char *why, size_t size)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	int err;

	if (syscall(SYS_capget, &h, d) == 0) {
		for (int i = 0; i < 2; i++) {
			__u32 drop = (__u32)(WD_CONFINE_CAPS >> (32 * i));

			d[i].effective &= ~drop;
			d[i].permitted &= ~drop;
			d[i].inheritable &= ~drop;
		}
		if (syscall(SYS_capset, &h, d)) {
			err = -errno;
			snprintf(why, size, "dropping capabilities: %s", strerror(errno));
			return err;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (cf->seccomp) {
		err = wd_seccomp_install(&cf->sc);
		if (err) {
			snprintf(why, size, "installing the seccomp filter: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}
