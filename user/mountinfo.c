// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parses /proc/self/mountinfo (proc(5)): the mount point is field 5, the filesystem type follows
 * the "-" separator that ends the optional fields. Mount points escape space, tab, newline and
 * backslash as three octal digits. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

/* Decodes mountinfo's \ooo escapes in place. */
static void unescape(char *s)
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

int wd_mount_find(FILE *mountinfo, const char *fstype, char *path, size_t size)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;

	while (getline(&line, &cap, mountinfo) > 0) {
		char *save = NULL, *tok, *mnt = NULL;
		bool after_sep = false;
		int field = 0;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			field++;
			if (field == 5)
				mnt = tok;
			else if (field > 6 && !after_sep && strcmp(tok, "-") == 0)
				after_sep = true;
			else if (after_sep)
				break;
		}
		if (!tok || !mnt || strcmp(tok, fstype) != 0)
			continue;
		unescape(mnt);
		if (strlen(mnt) >= size) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(path, mnt);
		ret = 0;
		break;
	}
	free(line);
	return ret;
}

int wd_mount_find_self(const char *fstype, char *path, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret;

	if (!f)
		return -errno;
	ret = wd_mount_find(f, fstype, path, size);
	fclose(f);
	return ret;
}
