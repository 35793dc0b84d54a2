// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden probe`. Reading /sys/kernel/security/lsm or kernel versions is not enough: a kernel
 * may list `bpf` and still refuse LSM programs, or load and attach them without ever running
 * them (`bpf` missing from the active LSM list), so every LSM hook warden attaches is seen
 * refusing a test child's action in a throwaway cgroup before it is called enforcing.
 *
 * This file finds the kernel facts (BTF, the cgroup2 and BPF file systems, the ring buffer)
 * and runs every probe; the hooks are probed by probe_cgroup.c and probe_lsm.c
 * (enforce/probe_internal.h lists the probe's files). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enforce/libbpf_log.h"
#include "enforce/probe.h"
#include "enforce/probe_internal.h"
#include "lib/mountinfo.h"

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
	wd_probe_cgroup_hooks(p);
	wd_probe_lsm(p);
	return 0;
}
