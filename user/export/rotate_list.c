// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The names of rotated segments (STEM-<UTC time>-<n>SUFFIX[.gz]) and the listing of a
 * directory's segments in reading order, for the sinks and for their readers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/rotate_internal.h"

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool wd_rot_parse(const char *f, const char *suffix, char *stem, size_t size, uint64_t *ts,
		  uint64_t *n, bool *gz)
{
	size_t len = strlen(f), sl = strlen(suffix), nd = 0, end;
	struct tm tm = {0};
	const char *t;
	uint64_t v = 0;
	time_t secs;

	*gz = has_suffix(f, len, ".gz") && has_suffix(f, len - 3, suffix);
	if (*gz)
		end = len - 3 - sl;
	else if (has_suffix(f, len, suffix))
		end = len - sl;
	else
		return false;
	while (nd < end && nd < 19 && f[end - 1 - nd] >= '0' && f[end - 1 - nd] <= '9')
		nd++;
	if (!nd || end < nd + TS_LEN + 3 || f[end - 1 - nd] != '-' ||
	    f[end - 2 - nd - TS_LEN] != '-')
		return false;
	for (size_t i = end - nd; i < end; i++)
		v = v * 10 + (uint64_t)(f[i] - '0');
	t = f + end - 1 - nd - TS_LEN;
	if (!digits(t, 8) || t[8] != 'T' || !digits(t + 9, 6) || t[15] != 'Z')
		return false;
	sscanf(t, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	       &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		return false;
	len = end - 2 - nd - TS_LEN;
	if (len == 0 || len >= size)
		return false;
	memcpy(stem, f, len);
	stem[len] = '\0';
	*ts = (uint64_t)secs;
	*n = v;
	return true;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct wd_rot_seg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->current != y->current)
		return x->current ? 1 : -1;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	/* The compressed copy of a segment first: the other one is dropped. */
	return (int)y->compressed - (int)x->compressed;
}

void wd_rot_list_free(struct wd_rot_seg *segs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(segs[i].path);
		free(segs[i].name);
	}
	free(segs);
}

/* Whether @f is the current file STEM SUFFIX of @stem (or, with @stem NULL, of a stem @valid
 * accepts), its stem in @name. */
static bool is_current(const char *f, const char *suffix, const char *stem,
		       bool (*valid)(const char *), char *name, size_t size)
{
	size_t len = strlen(f), sl = strlen(suffix);

	if (!has_suffix(f, len, suffix) || len - sl >= size)
		return false;
	memcpy(name, f, len - sl);
	name[len - sl] = '\0';
	return stem ? strcmp(name, stem) == 0 : len > sl && valid(name);
}

int wd_rot_list(int dirfd, const char *dir, const char *suffix, const char *stem,
		bool (*valid)(const char *stem), struct wd_rot_seg **out, size_t *n)
{
	struct wd_rot_seg *segs = NULL, seg;
	size_t cnt = 0, cap = 0, k;
	char name[NAME_MAX + 1];
	struct dirent *de;
	struct stat st;
	int fd, err = 0;
	DIR *d;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *f = de->d_name;

		memset(&seg, 0, sizeof(seg));
		if (!wd_rot_parse(f, suffix, name, sizeof(name), &seg.ts, &seg.n,
				  &seg.compressed) ||
		    (stem ? strcmp(name, stem) != 0 : !valid(name))) {
			if (!is_current(f, suffix, stem, valid, name, sizeof(name)))
				continue;
			seg.current = true;
		}
		if (fstatat(fd, f, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		seg.size = (uint64_t)st.st_size;
		if (cnt == cap) {
			struct wd_rot_seg *b;

			cap = cap ? 2 * cap : 16;
			b = realloc(segs, cap * sizeof(*segs));
			if (!b) {
				err = -ENOMEM;
				break;
			}
			segs = b;
		}
		seg.name = strdup(name);
		if (asprintf(&seg.path, "%s/%s", dir, f) < 0)
			seg.path = NULL;
		if (!seg.name || !seg.path) {
			free(seg.name);
			free(seg.path);
			err = -ENOMEM;
			break;
		}
		seg.file = seg.path + strlen(seg.path) - strlen(f);
		segs[cnt++] = seg;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err) {
		wd_rot_list_free(segs, cnt);
		return err;
	}
	qsort(segs, cnt, sizeof(*segs), seg_cmp);
	/* A segment both compressed and not: the crash came before the unlink. */
	for (size_t i = k = 0; i < cnt; i++) {
		if (k && !segs[i].current && !segs[k - 1].current &&
		    strcmp(segs[i].name, segs[k - 1].name) == 0 && segs[i].n == segs[k - 1].n) {
			free(segs[i].path);
			free(segs[i].name);
			continue;
		}
		segs[k++] = segs[i];
	}
	*out = segs;
	*n = k;
	return 0;
}
