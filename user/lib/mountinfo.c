// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parses /proc/self/mountinfo (proc(5)): the mount point is field 5, the filesystem type follows
 * the "-" separator that ends the optional fields. Mount points escape space, tab, newline and
 * backslash as three octal digits. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mountinfo.h"

void wd_mountinfo_unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

int wd_mount_find_root(FILE *mountinfo, const char *fstype, char *path, size_t size, char *root,
		       size_t root_size)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;

	while (getline(&line, &cap, mountinfo) > 0) {
		char *save = NULL, *tok, *mnt = NULL, *mroot = NULL;
		bool after_sep = false;
		int field = 0;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			field++;
			if (field == 4)
				mroot = tok;
			else if (field == 5)
				mnt = tok;
			else if (field > 6 && !after_sep && strcmp(tok, "-") == 0)
				after_sep = true;
			else if (after_sep)
				break;
		}
		if (!tok || !mnt || !mroot || strcmp(tok, fstype) != 0)
			continue;
		wd_mountinfo_unescape(mnt);
		wd_mountinfo_unescape(mroot);
		if (strlen(mnt) >= size || (root && strlen(mroot) >= root_size)) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(path, mnt);
		if (root)
			strcpy(root, mroot);
		ret = 0;
		break;
	}
	free(line);
	return ret;
}

int wd_mount_find(FILE *mountinfo, const char *fstype, char *path, size_t size)
{
	return wd_mount_find_root(mountinfo, fstype, path, size, NULL, 0);
}

int wd_mount_find_self_root(const char *fstype, char *path, size_t size, char *root,
			    size_t root_size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret;

	if (!f)
		return -errno;
	ret = wd_mount_find_root(f, fstype, path, size, root, root_size);
	fclose(f);
	return ret;
}

int wd_mount_find_self(const char *fstype, char *path, size_t size)
{
	return wd_mount_find_self_root(fstype, path, size, NULL, 0);
}
