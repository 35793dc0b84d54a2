// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pinning (the daemon): maps and links in bpffs, so that enforcement outlives the process and a
 * daemon started after it takes over what is pinned. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"

static int mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -errno : 0;
}

/* Pins need a BPF file system at (or above) @dir; systemd mounts one at /sys/fs/bpf, a bare
 * host or container may not have: then it is mounted there, mode 0700. Elsewhere a directory
 * that is not on one is -EMEDIUMTYPE (the wrong kind of file system), for the caller to say so. */
static int ensure_bpffs(const char *dir)
{
	char probe[PATH_MAX];
	struct statfs sf;

	snprintf(probe, sizeof(probe), "%s", dir);
	for (;;) {
		char *slash;

		if (statfs(probe, &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
			return 0;
		if (access(probe, F_OK) == 0)
			break;
		slash = strrchr(probe, '/');
		if (!slash || slash == probe)
			return -ENOENT;
		*slash = '\0';
	}
	/* The first existing directory is not bpffs: mount one there if it is /sys/fs/bpf. */
	if (strcmp(probe, "/sys/fs/bpf"))
		return -EMEDIUMTYPE;
	if (mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return -errno;
	return 0;
}

int wd_enf_pin_prepare(struct wd_enforcer *e, const char *pin_dir)
{
	char dir[PATH_MAX];
	int err;

	err = ensure_bpffs(pin_dir);
	if (err)
		return err;
	snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", pin_dir);
	snprintf(dir, sizeof(dir), "%s/maps", pin_dir);
	err = mkdir_p(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	if (!err)
		err = mkdir_p(dir, 0700);
	return err;
}

/* Every map of @obj is pinned as DIR/maps/NAME: found there, it is reused (libbpf checks that
 * type, sizes and limits match), else created and pinned. */
int wd_enf_set_pins(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map (map, obj) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/maps/%s", dir, bpf_map__name(map));
		if (bpf_map__set_pin_path(map, path))
			return -errno;
		/* One pinned by a build with another size (the ring buffer grew): reused as it
		 * is, with what it holds, rather than refused. The new size comes with new pins
		 * (a reboot, or the pins removed while no daemon runs). */
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(map) &&
		    info.max_entries != bpf_map__max_entries(map))
			bpf_map__set_max_entries(map, info.max_entries);
		close(fd);
	}
	return 0;
}

/* Attaches @prog and pins the link as @path, unless a link is pinned there already (a running
 * enforcement from before this process): then that one is kept and 1 returned. */
int wd_enf_attach_pinned(struct bpf_program *prog, const char *path, struct bpf_link **out)
{
	struct bpf_link *l;
	int err;

	*out = NULL;
	if (access(path, F_OK) == 0)
		return 1;
	l = wd_enf_attach_prog(prog);
	if (!l)
		return -errno;
	err = bpf_link__pin(l, path);
	if (err) {
		bpf_link__destroy(l);
		return err;
	}
	*out = l;
	return 0;
}

/* Pins @l as @path, replacing what is pinned there in one rename: the old link (a daemon's
 * before this one, maybe of another build) goes only once the new one is attached. */
int wd_enf_pin_replace(struct bpf_link *l, const char *path)
{
	char tmp[PATH_MAX + 8];
	int err;

	/* bpffs refuses names with a dot. */
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	err = bpf_link__pin(l, tmp);
	if (!err && rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	bpf_link__destroy(l); /* the pin holds it */
	return err;
}

/* Attaches @prog to the cgroup @cgroup_fd and pins the link as @path, unless a link is pinned
 * there already (kept: enforcement outlives the daemon). */
int wd_enf_attach_cgroup_pinned(struct bpf_program *prog, int cgroup_fd, const char *path)
{
	struct bpf_link *l;
	int err;

	if (access(path, F_OK) == 0)
		return 0;
	l = bpf_program__attach_cgroup(prog, cgroup_fd);
	if (!l)
		return -errno;
	err = bpf_link__pin(l, path);
	bpf_link__destroy(l); /* the pin holds it */
	return err;
}

static int unlink_all(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dh = opendir(dir);
	int ret = 0;

	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dh))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) && !ret)
			ret = -errno;
	}
	closedir(dh);
	if (rmdir(dir) && errno != ENOENT && !ret)
		ret = -errno;
	return ret;
}

int wd_enforcer_unpin_all(const char *pin_dir)
{
	char dir[PATH_MAX];
	int a, b;

	/* Links first: enforcement ends with them; the maps go once nothing uses them. */
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	a = unlink_all(dir);
	snprintf(dir, sizeof(dir), "%s/maps", pin_dir);
	b = unlink_all(dir);
	if (rmdir(pin_dir) && errno != ENOENT && !a && !b)
		return -errno;
	return a ? a : b;
}
