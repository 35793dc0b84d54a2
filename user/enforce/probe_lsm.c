// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF LSM, each hook seen acting: the probe programs of every hook the enforcer attaches are
 * loaded (one by one only when the whole object is refused, to tell which), attached, and put
 * on trial (probe_trial.c); the summary says why LSM does not enforce when it does not. Where
 * BPF LSM does not run, the same is tried again with the programs attached as fmod_ret to the
 * security_* functions calling the hooks (rung 2, user/hooks/hooks.c). Used by `warden probe`
 * and, before they claim exec and file enforcement, the daemon and `warden run`
 * (wd_probe_lsm_enforcing()). */
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

#include "enforce/internal.h"
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

/* WARDEN_DISABLE (tests only): a comma-separated list of what the probe must not use, so that a
 * test sees a kernel without it: "fmodret" (rung 2 altogether) or "fmodret:FN" (one function, as
 * if it were missing from the kernel's BTF). It can only take mechanisms away, never claim one. */
static bool fr_disabled(const char *fn)
{
	const char *env = getenv("WARDEN_DISABLE");
	char buf[512], *save = NULL;

	if (!env || !*env)
		return false;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "fmodret") == 0 ||
		    (fn && strncmp(t, "fmodret:", 8) == 0 && strcmp(t + 8, fn) == 0))
			return true;
	return false;
}

/* The row whose hook probe program @prog (a hook's or a feature's) is attached to. */
static const struct wd_lsm_hook *probe_row(const struct bpf_program *prog)
{
	const struct wd_lsm_hook *h = wd_lsm_hook_by_probe(bpf_program__name(prog));

	for (size_t i = 0; !h && i < wd_lsm_features_n; i++)
		if (strcmp(wd_lsm_features[i].probe, bpf_program__name(prog)) == 0)
			h = wd_lsm_hook_by_hook(wd_lsm_features[i].hook);
	return h;
}

/* Opens the probe object with only the programs @want says (by table index) and the feature
 * program @feature ("*": all of them, NULL: none) set to load, attached by @mech, and loads
 * it. */
static struct probe_lsm_bpf *lsm_open_load(const bool *want, const char *feature, enum wd_mech mech,
					   int *err)
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
		if (on && mech == WD_MECH_FMODRET) {
			const struct wd_lsm_hook *row = probe_row(prog);

			*err = row ? wd_enf_retarget(prog, row) : -ENOENT;
			if (*err) {
				probe_lsm_bpf__destroy(skel);
				return NULL;
			}
		}
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
		if (lr->mech == WD_MECH_FMODRET && fr_disabled(h->fn)) {
			lr->st[i] = H_LOAD_FAIL;
			wd_probe_set_why(lr, i, "not tried: WARDEN_DISABLE says so (a test)");
			continue;
		}
		if (lr->mech == WD_MECH_FMODRET && !wd_lsm_fn_in_kernel(lr->btf, h)) {
			lr->st[i] = H_LOAD_FAIL;
			wd_probe_set_why(lr, i,
					 "%s is not in this kernel's BTF: nothing to attach to",
					 h->fn ? h->fn : "no function");
			continue;
		}
		want[i] = true;
		lr->st[i] = H_ATTACHED;
	}
	lr->skel = lsm_open_load(want, "*", lr->mech, &err);
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
		s = lsm_open_load(one, NULL, lr->mech, &err);
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
	lr->skel = lsm_open_load(want, NULL, lr->mech, &err);
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
		lr->links[i] = prog ? wd_enf_attach_prog(prog) : NULL;
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

/* Loads, attaches by @mech and sees every hook of the table act; NULL only when out of memory. */
static struct lsm_run *lsm_run(const char *cgroup2, bool thorough, enum wd_mech mech)
{
	struct lsm_run *lr = calloc(1, sizeof(*lr));

	if (!lr)
		return NULL;
	lr->thorough = thorough;
	lr->mech = mech;
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

/* Whether every hook of @lr this kernel has was seen refusing. */
static bool all_seen(const struct lsm_run *lr)
{
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (lr->st[i] != H_SEEN && lr->st[i] != H_ABSENT)
			return false;
	return true;
}

/* Rung 2's part of the report: what the programs attached as fmod_ret did, for the fmod_ret
 * row and wd_probe_lsm_enforcing(). */
static void fmodret_summary(const struct lsm_run *fr, char *buf, size_t len)
{
	size_t n_present = 0;

	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		n_present += fr->st[i] != H_ABSENT;
	if (!fr->n_loaded)
		snprintf(buf, len,
			 "fmod_ret programs on the security_* functions are refused (%s): rung 2 "
			 "needs kernel BTF and BPF trampolines",
			 fr->load_why[0] ? fr->load_why : "none loaded");
	else if (!fr->n_seen)
		snprintf(buf, len,
			 "fmod_ret programs load (%d of %zu hooks) but none was seen refusing a "
			 "test child's action",
			 fr->n_loaded, n_present);
	else
		snprintf(
			buf, len,
			"rung 2: the LSM programs attached as fmod_ret to the security_* functions "
			"run and refuse: %d of %zu hooks seen acting",
			fr->n_seen, n_present);
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

/* A feature program (bpf_d_path, task storage) loaded and attached by @mech: from @lr's object
 * when it is there, else on its own. Returns whether it attached; @why says why not. */
static bool feature_works(const struct wd_lsm_feature *ft, const struct lsm_run *lr,
			  enum wd_mech mech, char *why, size_t len)
{
	struct probe_lsm_bpf *one = NULL;
	struct bpf_program *prog = NULL;
	struct bpf_link *link = NULL;
	int err = 0;

	why[0] = '\0';
	if (lr && lr->skel)
		prog = bpf_object__find_program_by_name(lr->skel->obj, ft->probe);
	if (!prog || !bpf_program__autoload(prog)) {
		bool none[64] = {0};

		/* Not in the object that loaded: on its own. */
		one = lsm_open_load(none, ft->probe, mech, &err);
		prog = one ? bpf_object__find_program_by_name(one->obj, ft->probe) : NULL;
		if (!one)
			load_error(why, len, err);
	}
	if (prog && !(link = wd_enf_attach_prog(prog)))
		snprintf(why, len, "attach failed: %s", strerror(errno));
	bpf_link__destroy(link);
	probe_lsm_bpf__destroy(one);
	return link != NULL;
}

void wd_probe_lsm(struct wd_probe *p)
{
	struct lsm_run *lr = lsm_run(p->cgroup2, true, WD_MECH_LSM), *fr = NULL;
	char detail[240];
	bool ok, covered = true;
	struct wd_feature *f;

	if (!lr) {
		wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, false, "out of memory");
		return;
	}
	lsm_summary(lr, &ok, detail, sizeof(detail));
	/* Rung 2 only where BPF LSM leaves hooks unenforced. */
	if (!all_seen(lr) && !fr_disabled(NULL))
		fr = lsm_run(p->cgroup2, true, WD_MECH_FMODRET);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (lr->st[i] != H_SEEN && lr->st[i] != H_ABSENT && !(fr && fr->st[i] == H_SEEN))
			covered = false;
	f = wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, ok, "%s", detail);
	if (f && !ok && fr && fr->n_seen && covered)
		snprintf(f->by, sizeof(f->by), "%s", wd_mech_name(WD_MECH_FMODRET));
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];
		bool by_fr = lr->st[i] != H_SEEN && fr && fr->st[i] == H_SEEN;
		char name[48];

		snprintf(name, sizeof(name), "lsm/%s", h->hook);
		f = wd_probe_add(p, name, h->need, lr->st[i] == H_SEEN, "%s%s%s", lr->why[i],
				 by_fr ? "; enforced by fmod_ret/" : "", by_fr ? h->fn : "");
		if (!f)
			continue;
		f->absent = lr->st[i] == H_ABSENT;
		if (by_fr)
			snprintf(f->by, sizeof(f->by), "%s", wd_mech_name(WD_MECH_FMODRET));
	}
	/* Features: helpers and maps, loaded and attached (there is nothing for them to refuse). */
	for (size_t i = 0; i < wd_lsm_features_n; i++) {
		const struct wd_lsm_feature *ft = &wd_lsm_features[i];
		const struct wd_lsm_hook *h = wd_lsm_hook_by_hook(ft->hook);
		char why[200], frwhy[200];
		bool linked = feature_works(ft, lr, WD_MECH_LSM, why, sizeof(why));

		if (linked && !ok)
			snprintf(why, sizeof(why),
				 "loads and attaches, but LSM programs do not run on this kernel");
		if (ok && linked) {
			wd_probe_add(p, ft->name, WD_NEED_LSM, true, "%s", ft->yes);
			continue;
		}
		if (fr && fr->n_seen && h &&
		    feature_works(ft, fr, WD_MECH_FMODRET, frwhy, sizeof(frwhy))) {
			f = wd_probe_add(p, ft->name, WD_NEED_LSM, false,
					 "%s; usable in fmod_ret/%s", why, h->fn);
			if (f)
				snprintf(f->by, sizeof(f->by), "%s", wd_mech_name(WD_MECH_FMODRET));
			continue;
		}
		wd_probe_add(p, ft->name, WD_NEED_LSM, false, "%s", why);
	}
	if (fr) {
		fmodret_summary(fr, detail, sizeof(detail));
		f = wd_probe_add(p, "fmod_ret", WD_NEED_LSM, fr->n_seen > 0, "%s", detail);
		if (f)
			f->alt = true;
		for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
			const struct wd_lsm_hook *h = &wd_lsm_hooks[i];
			char name[48];

			snprintf(name, sizeof(name), "fmod_ret/%s", h->fn ? h->fn : h->hook);
			f = wd_probe_add(p, name, h->need, fr->st[i] == H_SEEN, "%s", fr->why[i]);
			if (!f)
				continue;
			f->absent = fr->st[i] == H_ABSENT;
			f->alt = true;
		}
		lsm_run_free(fr);
	}
	lsm_run_free(lr);
}

bool wd_probe_lsm_enforcing(bool verbose, char *why, size_t len, char *missing, size_t mlen,
			    char **hooks_why, enum wd_mech *mech)
{
	char cgroup2[PATH_MAX] = "", absent[256] = "", frwhy[240] = "", *hw_buf = NULL;
	struct lsm_run *lr, *fr = NULL;
	size_t off = 0, aoff = 0, n_missing = 0, n_fr = 0, n_lsm = 0, hw_len = 0;
	bool ok, all = true;
	FILE *hw;

	if (hooks_why)
		*hooks_why = NULL;
	wd_libbpf_log_init(verbose);
	if (wd_mount_find_self("cgroup2", cgroup2, sizeof(cgroup2)))
		cgroup2[0] = '\0';
	lr = lsm_run(cgroup2, false, WD_MECH_LSM);
	if (lr && !all_seen(lr) && !fr_disabled(NULL))
		fr = lsm_run(cgroup2, false, WD_MECH_FMODRET);
	if (!lr) {
		snprintf(why, len, "out of memory");
		snprintf(missing, mlen, "all");
		return false;
	}
	lsm_summary(lr, &ok, why, len);
	if (fr)
		fmodret_summary(fr, frwhy, sizeof(frwhy));
	missing[0] = '\0';
	/* A line per hook not seen refusing, for the caller to show (with --verbose). */
	hw = hooks_why ? open_memstream(&hw_buf, &hw_len) : NULL;
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];

		mech[i] = lr->st[i] == H_SEEN	      ? WD_MECH_LSM
			  : fr && fr->st[i] == H_SEEN ? WD_MECH_FMODRET
						      : WD_MECH_NONE;
		n_lsm += mech[i] == WD_MECH_LSM;
		n_fr += mech[i] == WD_MECH_FMODRET;
		if (lr->st[i] == H_ABSENT && aoff < sizeof(absent))
			aoff += (size_t)snprintf(absent + aoff, sizeof(absent) - aoff, "%s%s",
						 aoff ? ", " : "", h->hook);
		if (mech[i] != WD_MECH_NONE || lr->st[i] == H_ABSENT)
			continue;
		all = false;
		n_missing++;
		if (off < mlen)
			off += (size_t)snprintf(missing + off, mlen - off, "%s%s", off ? ", " : "",
						h->hook);
		if (hw) {
			fprintf(hw, "lsm/%s: %s\n", h->hook, lr->why[i]);
			if (fr)
				fprintf(hw, "fmod_ret/%s: %s\n", h->fn ? h->fn : h->hook,
					fr->why[i]);
		}
	}
	if (hw && !fclose(hw) && hw_len)
		*hooks_why = hw_buf;
	else
		free(hw_buf);
	if (all && n_fr)
		snprintf(why, len,
			 "BPF LSM does not run here; every hook seen refusing a test child as "
			 "fmod_ret on its security_* function (rung 2: %zu hooks%s)%s%s",
			 n_fr, n_lsm ? ", the others by BPF LSM" : "",
			 absent[0] ? "; absent on this kernel (newer hooks, nothing to enforce): "
				   : "",
			 absent);
	else if (all && absent[0])
		snprintf(why, len,
			 "every LSM hook seen refusing a test child; absent on this kernel (newer "
			 "hooks, nothing to enforce): %s",
			 absent);
	else if (all)
		snprintf(why, len, "every LSM hook seen refusing a test child");
	else if (ok)
		snprintf(
			why, len,
			"BPF LSM runs, but %zu hooks warden attaches were not seen refusing a test "
			"child's action (warden probe says why)",
			n_missing);
	else if (fr) {
		size_t n = strlen(why);

		snprintf(why + n, len - n, "; %s", frwhy);
	}
	lsm_run_free(lr);
	if (fr)
		lsm_run_free(fr);
	return all && n_lsm + n_fr > 0;
}
