// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden probe`. Reading /sys/kernel/security/lsm or kernel versions is not enough: a kernel
 * may list `bpf` and still refuse LSM programs, so every hook is loaded and attached for real. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "json.h"
#include "libbpf_log.h"
#include "mountinfo.h"
#include "probe.h"
#include "probe_cgroup.skel.h"
#include "probe_lsm.skel.h"
#include "warden/version.h"

/* Each LSM hook warden relies on, with the probe program that stands for it. */
static const struct {
	const char *name;
	const char *prog;
} lsm_hooks[] = {
	{"lsm/bprm_check_security", "wd_p_bprm"},   {"lsm/mmap_file", "wd_p_mmap_file"},
	{"lsm/file_mprotect", "wd_p_mprotect"},	    {"lsm/file_open", "wd_p_file_open"},
	{"lsm/file_receive", "wd_p_file_recv"},	    {"lsm/path_link", "wd_p_path_link"},
	{"lsm/socket_create", "wd_p_sk_create"},    {"lsm/socket_connect", "wd_p_sk_conn"},
	{"lsm/socket_sendmsg", "wd_p_sk_send"},	    {"lsm/unix_stream_connect", "wd_p_unix_conn"},
	{"lsm/task_alloc", "wd_p_task_alloc"},	    {"lsm/task_kill", "wd_p_task_kill"},
	{"lsm/ptrace_access_check", "wd_p_ptrace"}, {"lsm/bpf", "wd_p_bpf"},
	{"lsm/userns_create", "wd_p_userns"},	    {"lsm/sb_mount", "wd_p_sb_mount"},
	{"lsm/move_mount", "wd_p_move_mount"},
};

static const struct {
	const char *name;
	const char *prog;
} cgroup_hooks[] = {
	{"cgroup/connect4", "wd_p_connect4"},
	{"cgroup/connect6", "wd_p_connect6"},
	{"cgroup/sendmsg4", "wd_p_sendmsg4"},
	{"cgroup/sendmsg6", "wd_p_sendmsg6"},
};

struct wd_feature *wd_probe_add(struct wd_probe *p, const char *name, enum wd_need need,
				bool available, const char *fmt, ...)
{
	struct wd_feature *f;
	va_list ap;

	if (p->n >= WD_PROBE_MAX_FEATURES)
		return NULL;
	f = &p->feats[p->n++];
	f->name = name;
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

static void probe_btf(struct wd_probe *p)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err = libbpf_get_error(btf);

	if (err) {
		wd_probe_add(p, "btf", WD_NEED_CORE, false,
			     "no kernel BTF (%s): warden needs CONFIG_DEBUG_INFO_BTF=y",
			     strerror(-err));
		return;
	}
	wd_probe_add(p, "btf", WD_NEED_CORE, true, "kernel BTF loaded; CO-RE relocations work");
	btf__free(btf);
}

static void probe_mounts(struct wd_probe *p)
{
	char path[PATH_MAX];
	FILE *f;
	bool supported = false;
	int err;

	err = wd_mount_find_self("cgroup2", p->cgroup2, sizeof(p->cgroup2));
	if (err) {
		p->cgroup2[0] = '\0';
		wd_probe_add(p, "cgroup2", WD_NEED_CORE, false,
			     "no cgroup2 mount in /proc/self/mountinfo: mount -t cgroup2 none "
			     "/sys/fs/cgroup");
	} else {
		wd_probe_add(p, "cgroup2", WD_NEED_CORE, true, "mounted at %s", p->cgroup2);
	}

	f = fopen("/proc/filesystems", "re");
	if (f) {
		char line[128];

		while (fgets(line, sizeof(line), f))
			if (strcmp(line, "nodev\tbpf\n") == 0)
				supported = true;
		fclose(f);
	}
	if (wd_mount_find_self("bpf", path, sizeof(path)) == 0)
		wd_probe_add(p, "bpffs", WD_NEED_PINNING, true, "mounted at %s", path);
	else if (supported)
		wd_probe_add(
			p, "bpffs", WD_NEED_PINNING, true,
			"supported, not mounted; warden mounts it at /sys/fs/bpf when it pins");
	else
		wd_probe_add(p, "bpffs", WD_NEED_PINNING, false,
			     "this kernel has no bpf filesystem (CONFIG_BPF_SYSCALL)");
}

static void probe_ringbuf(struct wd_probe *p)
{
	int ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);

	if (ret == 1)
		wd_probe_add(p, "ringbuf", WD_NEED_EVENTS, true, "BPF ring buffer map created");
	else
		wd_probe_add(p, "ringbuf", WD_NEED_EVENTS, false, "BPF ring buffer map refused: %s",
			     ret < 0 ? strerror(-ret) : "unsupported map type (needs Linux 5.8+)");
}

/* Attaches each sock_addr program to a throwaway cgroup of its own: attaching to a live cgroup,
 * even an allow-all program, would be a change to the system a probe must not make. */
static void probe_cgroup_hooks(struct wd_probe *p)
{
	struct probe_cgroup_bpf *skel = NULL;
	char cg[PATH_MAX + 64] = "";
	const char *why = NULL;
	char whybuf[256];
	int cgfd = -1, err;
	size_t i;

	if (!p->cgroup2[0]) {
		why = "no cgroup2 mount";
		goto fail;
	}
	snprintf(cg, sizeof(cg), "%s/warden-probe.%d", p->cgroup2, getpid());
	if (mkdir(cg, 0700) && errno != EEXIST) {
		snprintf(whybuf, sizeof(whybuf), "cannot create a cgroup under %s: %s", p->cgroup2,
			 strerror(errno));
		why = whybuf;
		cg[0] = '\0';
		goto fail;
	}
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		snprintf(whybuf, sizeof(whybuf), "open %s: %s", cg, strerror(errno));
		why = whybuf;
		goto fail;
	}
	skel = probe_cgroup_bpf__open();
	if (!skel) {
		snprintf(whybuf, sizeof(whybuf), "open BPF object: %s", strerror(errno));
		why = whybuf;
		goto fail;
	}
	err = probe_cgroup_bpf__load(skel);
	if (err) {
		snprintf(whybuf, sizeof(whybuf), "load failed: %s", strerror(-err));
		why = whybuf;
		goto fail;
	}
	for (i = 0; i < sizeof(cgroup_hooks) / sizeof(cgroup_hooks[0]); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(skel->obj, cgroup_hooks[i].prog);
		struct bpf_link *link = prog ? bpf_program__attach_cgroup(prog, cgfd) : NULL;

		if (link) {
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, true,
				     "loaded and attached to a test cgroup");
			bpf_link__destroy(link);
		} else {
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, false,
				     "attach failed: %s", strerror(errno));
		}
	}
	goto out;
fail:
	for (i = 0; i < sizeof(cgroup_hooks) / sizeof(cgroup_hooks[0]); i++)
		wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, false, "%s", why);
out:
	probe_cgroup_bpf__destroy(skel);
	if (cgfd >= 0)
		close(cgfd);
	if (cg[0])
		rmdir(cg);
}

/* Loads the LSM probe object with only @only enabled (all programs when NULL); the task storage
 * map is created only when a program needs it, so a kernel without it fails just that probe. */
static struct probe_lsm_bpf *lsm_load(const char *only, int *err)
{
	struct probe_lsm_bpf *skel = probe_lsm_bpf__open();
	struct bpf_program *prog;

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	bpf_object__for_each_program (prog, skel->obj)
		bpf_program__set_autoload(prog,
					  !only || strcmp(bpf_program__name(prog), only) == 0);
	if (only && strcmp(only, "wd_p_task_store") != 0)
		bpf_map__set_autocreate(skel->maps.wd_p_task_map, false);
	*err = probe_lsm_bpf__load(skel);
	if (*err) {
		probe_lsm_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Loads and attaches one program; on failure writes why to @why. */
static bool lsm_try(struct probe_lsm_bpf *all, const char *name, char *why, size_t len)
{
	struct probe_lsm_bpf *one = NULL;
	struct bpf_program *prog;
	struct bpf_link *link;
	int err = 0;

	if (!all) {
		one = lsm_load(name, &err);
		if (!one) {
			snprintf(why, len, "load failed: %s", strerror(-err));
			return false;
		}
	}
	prog = bpf_object__find_program_by_name((all ? all : one)->obj, name);
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		snprintf(why, len, "attach failed: %s", strerror(errno));
		probe_lsm_bpf__destroy(one);
		return false;
	}
	bpf_link__destroy(link);
	probe_lsm_bpf__destroy(one);
	return true;
}

/* What /sys/kernel/security/lsm says of bpf, for the report only: it never decides. */
static const char *lsm_listed(void)
{
	char buf[512] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	const char *what = "missing from";

	if (!f)
		return errno == ENOENT ? "not known (securityfs is not mounted) in"
				       : "not readable in";
	if (fgets(buf, sizeof(buf), f)) {
		char *save = NULL;

		for (char *t = strtok_r(buf, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save))
			if (strcmp(t, "bpf") == 0)
				what = "listed in";
	}
	fclose(f);
	return what;
}

static void probe_lsm(struct wd_probe *p)
{
	struct probe_lsm_bpf *all;
	char why[200];
	int err, ok = 0, idx;
	size_t i;
	const char *listed = lsm_listed();

	/* One load of everything answers a healthy kernel quickly; only a refusal makes us load
	 * the programs one by one to tell which hooks are missing. */
	all = lsm_load(NULL, &err);

	idx = p->n;
	wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, false, "(filled below)");
	for (i = 0; i < sizeof(lsm_hooks) / sizeof(lsm_hooks[0]); i++) {
		bool yes = lsm_try(all, lsm_hooks[i].prog, why, sizeof(why));

		wd_probe_add(p, lsm_hooks[i].name, WD_NEED_LSM, yes, "%s",
			     yes ? "loaded and attached" : why);
		ok += yes;
	}

	if (ok) {
		p->feats[idx].available = true;
		snprintf(p->feats[idx].detail, sizeof(p->feats[idx].detail),
			 "LSM programs load and attach (%d of %zu hooks)", ok,
			 sizeof(lsm_hooks) / sizeof(lsm_hooks[0]));
	} else {
		snprintf(p->feats[idx].detail, sizeof(p->feats[idx].detail),
			 "LSM programs are refused (%s); 'bpf' is %s /sys/kernel/security/lsm. "
			 "Needs CONFIG_BPF_LSM=y and bpf in lsm= on the kernel command line",
			 why, listed);
	}

	if (lsm_try(all, "wd_p_d_path", why, sizeof(why)))
		wd_probe_add(p, "bpf_d_path", WD_NEED_LSM, true, "usable in lsm/file_open");
	else
		wd_probe_add(p, "bpf_d_path", WD_NEED_LSM, false, "%s", why);
	if (lsm_try(all, "wd_p_task_store", why, sizeof(why)))
		wd_probe_add(p, "task_storage", WD_NEED_LSM, true, "usable in lsm/task_alloc");
	else
		wd_probe_add(p, "task_storage", WD_NEED_LSM, false, "%s", why);

	probe_lsm_bpf__destroy(all);
}

int wd_probe_run(struct wd_probe *p, bool verbose)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	if (uname(&u) == 0)
		snprintf(p->kernel, sizeof(p->kernel), "%s %s", u.release, u.machine);
	wd_libbpf_log_init(verbose);

	probe_btf(p);
	probe_mounts(p);
	probe_ringbuf(p);
	probe_cgroup_hooks(p);
	probe_lsm(p);
	return 0;
}

enum wd_probe_verdict wd_probe_verdict(const struct wd_probe *p)
{
	bool core = true, net = true, all = true;

	for (int i = 0; i < p->n; i++) {
		const struct wd_feature *f = &p->feats[i];

		if (f->available)
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
	}
	return "?";
}

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
			p->feats[i].available ? "yes" : "no", wd_need_name(p->feats[i].need),
			p->feats[i].detail);
	fprintf(f, "\nverdict: %s\n", verdict_text(v));
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
		fprintf(f, ",\"available\":%s,\"needed_for\":",
			p->feats[i].available ? "true" : "false");
		wd_json_str(f, wd_need_name(p->feats[i].need));
		fputs(",\"detail\":", f);
		wd_json_str(f, p->feats[i].detail);
		fputc('}', f);
	}
	fputs("]}\n", f);
}
