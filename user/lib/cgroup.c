// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sandbox cgroups on cgroup v2. The mount is found in mountinfo, never assumed: on hybrid hosts
 * it is /sys/fs/cgroup/unified. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cgroup.h"
#include "lib/mountinfo.h"

static unsigned components(const char *p)
{
	unsigned n = 0;

	for (; *p; p++)
		if (*p != '/' && (p[1] == '/' || p[1] == '\0'))
			n++;
	return n;
}

unsigned wd_cgroup_level(const char *mnt_root, const char *rel)
{
	return components(mnt_root) + components(rel);
}

/* Opens cg->path (at @rel below the cgroup2 mount) and fills in its id and level; on error
 * cg->path is cleared. */
static int open_at_path(struct wd_cgroup *cg, const char *root, const char *rel)
{
	struct stat st;
	int err;

	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (cg->fd < 0 || fstat(cg->fd, &st)) {
		err = -errno;
		if (cg->fd >= 0)
			close(cg->fd);
		cg->fd = -1;
		cg->path[0] = '\0';
		return err;
	}
	/* On cgroup2 the directory's inode number is the cgroup id. */
	cg->id = st.st_ino;
	cg->level = wd_cgroup_level(root, rel);
	return 0;
}

int wd_cgroup_create(struct wd_cgroup *cg, const char *name)
{
	char mnt[PATH_MAX], root[PATH_MAX], rel[PATH_MAX], made[PATH_MAX];
	int err;

	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	err = wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root));
	if (err)
		return err;
	if (snprintf(rel, sizeof(rel), "warden/%s", name) >= (int)sizeof(rel) ||
	    snprintf(cg->path, sizeof(cg->path), "%s/%s", mnt, rel) >= (int)sizeof(cg->path))
		return -ENAMETOOLONG;
	if (snprintf(mnt + strlen(mnt), sizeof(mnt) - strlen(mnt), "/warden") >= PATH_MAX)
		return -ENAMETOOLONG;
	if (mkdir(mnt, 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(cg->path, 0755))
		return -errno;
	/* mnt holds <cgroup2>/warden now; the sandbox's path is kept for a cleanup. */
	snprintf(made, sizeof(made), "%s", cg->path);
	err = open_at_path(cg, root, rel);
	if (err)
		rmdir(made);
	return err;
}

bool wd_cgroup_populated(const struct wd_cgroup *cg)
{
	char p[PATH_MAX + 32], line[64];
	bool populated = true; /* unknown counts as populated: never remove blindly */
	FILE *f;

	snprintf(p, sizeof(p), "%s/cgroup.events", cg->path);
	f = fopen(p, "re");
	if (!f)
		return errno != ENOENT;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "populated ", 10) == 0)
			populated = line[10] == '1';
	fclose(f);
	return populated;
}

/* Removes sub-cgroups depth first: rmdir of a cgroup with children fails. */
static void remove_tree(const char *path, int depth)
{
	DIR *d;
	struct dirent *de;

	if (depth > 32)
		return;
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			char sub[PATH_MAX];

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
			    (int)sizeof(sub))
				remove_tree(sub, depth + 1);
		}
		closedir(d);
	}
	rmdir(path);
}

int wd_cgroup_open(struct wd_cgroup *cg, const char *path)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	const char *rel;
	size_t n;
	int err;

	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	err = wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root));
	if (err)
		return err;
	n = strlen(mnt);
	/* Absolute in the file system, or relative to the cgroup2 mount. */
	if (strncmp(path, mnt, n) == 0 && (path[n] == '/' || !path[n]))
		rel = path + n;
	else
		rel = path;
	while (*rel == '/')
		rel++;
	if (!*rel || strstr(rel, "..") || strstr(rel, "//"))
		return -EINVAL;
	if (snprintf(cg->path, sizeof(cg->path), "%s/%s", mnt, rel) >= (int)sizeof(cg->path))
		return -ENAMETOOLONG;
	return open_at_path(cg, root, rel);
}

void wd_cgroup_close(struct wd_cgroup *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	cg->path[0] = '\0';
}

int wd_cgroup_kill(const struct wd_cgroup *cg, int timeout_ms)
{
	char p[PATH_MAX + 32];
	struct timespec ts = {.tv_nsec = 5 * 1000 * 1000};
	int fd, waited = 0;

	if (!cg->path[0])
		return 0;
	snprintf(p, sizeof(p), "%s/cgroup.kill", cg->path);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1) {
			/* An empty cgroup has nothing to kill. */
		}
		close(fd);
	}
	while (wd_cgroup_populated(cg) && waited < timeout_ms) {
		nanosleep(&ts, NULL);
		waited += 5;
	}
	return wd_cgroup_populated(cg) ? -EBUSY : 0;
}

int wd_cgroup_destroy(struct wd_cgroup *cg, int timeout_ms)
{
	if (!cg->path[0])
		return 0;
	if (wd_cgroup_kill(cg, timeout_ms))
		return -EBUSY;
	remove_tree(cg->path, 0);
	if (access(cg->path, F_OK) == 0)
		return -EBUSY;
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	cg->path[0] = '\0';
	return 0;
}
