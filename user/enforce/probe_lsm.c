// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF LSM, each hook seen acting: the probe programs of every hook the enforcer attaches are
 * loaded (one by one only when the whole object is refused, to tell which), attached, and put
 * on trial (probe_trial.c); the summary says why LSM does not enforce when it does not. Used
 * by `warden probe` and, before they claim exec and file enforcement, the daemon and
 * `warden run` (wd_probe_lsm_enforcing()). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enforce/libbpf_log.h"
#include "enforce/probe.h"
#include "enforce/probe_internal.h"
#include "hooks/hooks.h"
#include "lib/mountinfo.h"

void wd_probe_set_why(struct lsm_run *lr, size_t i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lr->why[i], sizeof(lr->why[i]), fmt, ap);
	va_end(ap);
}

/* libbpf's own words are shown with -v. */
static void load_error(char *buf, size_t len, int err)
{
	snprintf(buf, len, "load failed: %s", strerror(-err));
}

/* Opens the probe object with only the programs @want says (by table index) and the feature
 * program @feature ("*": all of them, NULL: none) set to load, and loads it. */
static struct probe_lsm_bpf *lsm_open_load(const bool *want, const char *feature, int *err)
{
	struct probe_lsm_bpf *skel = probe_lsm_bpf__open();
	struct bpf_program *prog;
	bool store = false;

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	bpf_object__for_each_program (prog, skel->obj) {
		const struct wd_lsm_hook *h = wd_lsm_hook_by_probe(bpf_program__name(prog));
		bool on = h ? want[h - wd_lsm_hooks]
			    : feature && (strcmp(feature, "*") == 0 ||
					  strcmp(feature, bpf_program__name(prog)) == 0);

		bpf_program__set_autoload(prog, on);
		if (on && !h && strcmp(bpf_program__name(prog), "wd_p_task_store") == 0)
			store = true;
	}
	/* The task storage map only for the program that needs it: a kernel without it then
	 * fails just that feature. */
	if (!store)
		bpf_map__set_autocreate(skel->maps.wd_p_task_map, false);
	wd_libbpf_clear();
	*err = probe_lsm_bpf__load(skel);
	if (*err) {
		probe_lsm_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* One load of everything answers a healthy kernel quickly; only a refusal makes us load the
 * programs one by one to tell which hooks are refused, then the ones that load together. */
static void lsm_load_all(struct lsm_run *lr)
{
	bool want[64] = {0}, one[64] = {0};
	int err;

	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];

		/* Only hooks the enforcer itself skips when absent are "nothing to enforce";
		 * a hook it needs and the kernel lacks is missing (its load fails below). */
		if (h->optional && !wd_lsm_hook_in_kernel(lr->btf, h)) {
			lr->st[i] = H_ABSENT;
			wd_probe_set_why(
				lr, i,
				"not in this kernel (Linux 6.2 and later): nothing to enforce");
			continue;
		}
		want[i] = true;
		lr->st[i] = H_ATTACHED;
	}
	lr->skel = lsm_open_load(want, "*", &err);
	if (lr->skel)
		return;
	load_error(lr->load_why, sizeof(lr->load_why), err);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		struct probe_lsm_bpf *s;

		if (!want[i])
			continue;
		/* A quick answer (the daemon, warden run): when the first hook alone is refused
		 * too, so are all of them (our hosts refuse every LSM program). */
		if (!lr->thorough && lr->n_refused) {
			want[i] = false;
			lr->st[i] = H_LOAD_FAIL;
			snprintf(lr->why[i], sizeof(lr->why[i]), "%s", lr->why[lr->first_refused]);
			continue;
		}
		one[i] = true;
		s = lsm_open_load(one, NULL, &err);
		one[i] = false;
		if (s) {
			probe_lsm_bpf__destroy(s);
			continue;
		}
		want[i] = false;
		lr->st[i] = H_LOAD_FAIL;
		load_error(lr->why[i], sizeof(lr->why[i]), err);
		if (!lr->n_refused++)
			lr->first_refused = i;
	}
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (want[i])
			break;
		else if (i + 1 == wd_lsm_hooks_n)
			return;
	/* Some load alone: together, without the feature programs (tried on their own). */
	lr->skel = lsm_open_load(want, NULL, &err);
	if (lr->skel)
		return;
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (want[i]) {
			lr->st[i] = H_LOAD_FAIL;
			load_error(lr->why[i], sizeof(lr->why[i]), err);
		}
}

static void lsm_attach_all(struct lsm_run *lr)
{
	for (size_t i = 0; lr->skel && i < wd_lsm_hooks_n; i++) {
		struct bpf_program *prog;

		if (lr->st[i] != H_ATTACHED)
			continue;
		lr->n_loaded++;
		prog = bpf_object__find_program_by_name(lr->skel->obj, wd_lsm_hooks[i].probe);
		lr->links[i] = prog ? bpf_program__attach(prog) : NULL;
		if (!lr->links[i]) {
			lr->st[i] = H_ATTACH_FAIL;
			wd_probe_set_why(lr, i, "loaded, attach failed: %s",
					 strerror(prog ? errno : ENOENT));
			continue;
		}
		lr->n_attached++;
	}
}

/* The active LSM list, for the report; "" if unreadable (*@why says why). */
static void lsm_list(char *buf, size_t len, const char **why)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");

	buf[0] = '\0';
	*why = "not readable in";
	if (!f) {
		if (errno == ENOENT)
			*why = "not known (securityfs is not mounted) in";
		return;
	}
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool listed(const char *list, const char *name)
{
	char buf[512];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, name) == 0)
			return true;
	return false;
}

/* Detaching a trampoline program waits for a grace period of its own (about 0.2 s each under
 * qemu's TCG): a helper process holds the links and lets go of them once ours are closed, so
 * the caller does not wait. Disarmed, the programs decide nothing meanwhile. */
static void links_free(struct lsm_run *lr)
{
	int p[2] = {-1, -1};
	pid_t pid = lr->n_attached > 1 && !pipe2(p, O_CLOEXEC) ? fork() : -1;

	if (pid == 0) {
		close(p[1]);
		if (fork() == 0) {
			char b;

			while (read(p[0], &b, 1) < 0 && errno == EINTR)
				;
			_exit(0); /* the kernel detaches the programs as the links close */
		}
		_exit(0);
	}
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		bpf_link__destroy(lr->links[i]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
}

static void lsm_run_free(struct lsm_run *lr)
{
	if (lr->skel) {
		lr->skel->bss->wd_p_cgid = 0;
		lr->skel->bss->wd_p_arm = 0;
	}
	links_free(lr);
	probe_lsm_bpf__destroy(lr->skel);
	btf__free(lr->btf);
	free(lr);
}

/* Loads, attaches and sees every hook of the table act; NULL only when out of memory. */
static struct lsm_run *lsm_run(const char *cgroup2, bool thorough)
{
	struct lsm_run *lr = calloc(1, sizeof(*lr));

	if (!lr)
		return NULL;
	lr->thorough = thorough;
	lr->btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(lr->btf))
		lr->btf = NULL;
	lsm_load_all(lr);
	lsm_attach_all(lr);
	if (lr->n_attached)
		wd_probe_lsm_act(lr, cgroup2);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (lr->st[i] == H_ATTACHED) { /* the actions could not be tried */
			lr->st[i] = H_NOT_SEEN;
			wd_probe_set_why(lr, i, "attached, not seen acting: %s", lr->act_why);
		}
	return lr;
}

/* Why BPF LSM does not enforce, for the bpf_lsm row and wd_probe_lsm_enforcing(). */
static void lsm_summary(const struct lsm_run *lr, bool *ok, char *buf, size_t len)
{
	char list[256];
	const char *unreadable;
	size_t n_present = 0, n_absent = 0;

	lsm_list(list, sizeof(list), &unreadable);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		lr->st[i] == H_ABSENT ? n_absent++ : n_present++;
	*ok = lr->n_seen > 0;
	if (!lr->n_loaded) {
		snprintf(buf, len,
			 "LSM programs are refused (%s); 'bpf' is %s /sys/kernel/security/lsm. "
			 "Needs CONFIG_BPF_LSM=y and bpf in lsm= on the kernel command line",
			 lr->load_why[0] ? lr->load_why : "none loaded",
			 !list[0]	       ? unreadable
			 : listed(list, "bpf") ? "listed in"
					       : "missing from");
	} else if (!lr->n_seen && list[0] && !listed(list, "bpf")) {
		snprintf(buf, len,
			 "LSM programs load and attach but never run: 'bpf' is missing from the "
			 "active LSM list (%s); boot with lsm=%s,bpf",
			 list, list);
	} else if (!lr->n_seen) {
		snprintf(buf, len,
			 "LSM programs load (%d of %zu hooks) but none was seen refusing a test "
			 "child's action",
			 lr->n_loaded, n_present);
	} else {
		snprintf(buf, len, "LSM programs run and refuse: %d of %zu hooks seen acting%s",
			 lr->n_seen, n_present,
			 n_absent ? "; the others of newer kernels are absent here" : "");
	}
}

void wd_probe_lsm(struct wd_probe *p)
{
	struct lsm_run *lr = lsm_run(p->cgroup2, true);
	char detail[240];
	bool ok;

	if (!lr) {
		wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, false, "out of memory");
		return;
	}
	lsm_summary(lr, &ok, detail, sizeof(detail));
	wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, ok, "%s", detail);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		char name[48];
		struct wd_feature *f;

		snprintf(name, sizeof(name), "lsm/%s", wd_lsm_hooks[i].hook);
		f = wd_probe_add(p, name, wd_lsm_hooks[i].need, lr->st[i] == H_SEEN, "%s",
				 lr->why[i]);
		if (f)
			f->absent = lr->st[i] == H_ABSENT;
	}
	/* Features: helpers and maps, loaded and attached (there is nothing for them to refuse). */
	for (size_t i = 0; i < wd_lsm_features_n; i++) {
		const struct wd_lsm_feature *ft = &wd_lsm_features[i];
		struct probe_lsm_bpf *one = NULL;
		struct bpf_program *prog = NULL;
		struct bpf_link *link = NULL;
		char why[200] = "";
		int err = 0;

		if (lr->skel)
			prog = bpf_object__find_program_by_name(lr->skel->obj, ft->probe);
		if (!prog || !bpf_program__autoload(prog)) {
			bool none[64] = {0};

			/* Not in the object that loaded: on its own. */
			one = lsm_open_load(none, ft->probe, &err);
			prog = one ? bpf_object__find_program_by_name(one->obj, ft->probe) : NULL;
			if (!one)
				load_error(why, sizeof(why), err);
		}
		if (prog && !(link = bpf_program__attach(prog)))
			snprintf(why, sizeof(why), "attach failed: %s", strerror(errno));
		if (link && !ok)
			snprintf(why, sizeof(why),
				 "loads and attaches, but LSM programs do not run on this kernel");
		wd_probe_add(p, ft->name, WD_NEED_LSM, link && ok, "%s",
			     link && ok ? ft->yes : why);
		bpf_link__destroy(link);
		probe_lsm_bpf__destroy(one);
	}
	lsm_run_free(lr);
}

bool wd_probe_lsm_enforcing(bool verbose, char *why, size_t len, char *missing, size_t mlen,
			    char **hooks_why)
{
	char cgroup2[PATH_MAX] = "", absent[256] = "", *hw_buf = NULL;
	struct lsm_run *lr;
	size_t off = 0, aoff = 0, n_missing = 0, hw_len = 0;
	bool ok, all = true;
	FILE *hw;

	if (hooks_why)
		*hooks_why = NULL;
	wd_libbpf_log_init(verbose);
	if (wd_mount_find_self("cgroup2", cgroup2, sizeof(cgroup2)))
		cgroup2[0] = '\0';
	lr = lsm_run(cgroup2, false);
	if (!lr) {
		snprintf(why, len, "out of memory");
		snprintf(missing, mlen, "all");
		return false;
	}
	lsm_summary(lr, &ok, why, len);
	missing[0] = '\0';
	/* A line per hook not seen refusing, for the caller to show (with --verbose). */
	hw = hooks_why ? open_memstream(&hw_buf, &hw_len) : NULL;
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		if (lr->st[i] == H_ABSENT && aoff < sizeof(absent))
			aoff += (size_t)snprintf(absent + aoff, sizeof(absent) - aoff, "%s%s",
						 aoff ? ", " : "", wd_lsm_hooks[i].hook);
		if (lr->st[i] == H_SEEN || lr->st[i] == H_ABSENT)
			continue;
		all = false;
		n_missing++;
		if (off < mlen)
			off += (size_t)snprintf(missing + off, mlen - off, "%s%s", off ? ", " : "",
						wd_lsm_hooks[i].hook);
		if (hw)
			fprintf(hw, "lsm/%s: %s\n", wd_lsm_hooks[i].hook, lr->why[i]);
	}
	if (hw && !fclose(hw) && hw_len)
		*hooks_why = hw_buf;
	else
		free(hw_buf);
	if (ok && !all)
		snprintf(
			why, len,
			"BPF LSM runs, but %zu hooks warden attaches were not seen refusing a test "
			"child's action (warden probe says why)",
			n_missing);
	else if (ok && absent[0])
		snprintf(why, len,
			 "every LSM hook seen refusing a test child; absent on this kernel (newer "
			 "hooks, nothing to enforce): %s",
			 absent);
	else if (ok)
		snprintf(why, len, "every LSM hook seen refusing a test child");
	lsm_run_free(lr);
	return ok && all;
}
