// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tier: warden's BPF path walk (bpf/wd_path.h), used in the LSM hooks where bpf_d_path is
 * not allowed, gives the same string as bpf_d_path for the same file and root. A BPF iterator over
 * this process's open files computes both (tests/bpf/t_path_walk.bpf.c); the files come from a
 * generated tree: names of every length from 1 to 255, odd bytes in names, deep paths up to and
 * past PATH_MAX (both must then fail), mounts on mounts, bind mounts of directories and of a file,
 * deleted files, and a chroot (paths relative to the new root, and files left outside it). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "t_path_walk.skel.h"
#include "wdtest.h"

#define BUF 4096

struct rec {
	int32_t fd, len_d, len_w;
	uint32_t escaped, dname, pad;
	char d[BUF];
	char w[BUF];
};

static struct t_path_walk_bpf *skel;
static struct bpf_link *link_;
static char base[PATH_MAX];

struct tally {
	int compared, too_long, dname;
};

/* Runs the iterator over this process's files; every file must resolve the same both ways. A
 * failed bpf_d_path (too long) must be a failed walk too, never a path. */
static bool compare_all(struct tally *t, int want_at_least)
{
	static struct rec r;
	bool ok = true;
	int fd = bpf_iter_create(bpf_link__fd(link_));
	ssize_t n;

	memset(t, 0, sizeof(*t));
	if (fd < 0) {
		wt_diag("bpf_iter_create: %s", strerror(errno));
		return false;
	}
	for (;;) {
		size_t got = 0;

		while (got < sizeof(r)) {
			n = read(fd, (char *)&r + got, sizeof(r) - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got == 0)
			break;
		if (got != sizeof(r)) {
			wt_diag("short record: %zu bytes", got);
			ok = false;
			break;
		}
		if (r.dname) {
			t->dname++;
			continue;
		}
		if (r.len_d < 0) {
			if (r.len_w >= 0) {
				wt_diag("fd %d: bpf_d_path failed (%d), the walk gave '%.200s'",
					r.fd, r.len_d, r.w);
				ok = false;
			}
			t->too_long++;
			continue;
		}
		if (r.len_w != r.len_d || memcmp(r.d, r.w, (size_t)r.len_d) != 0) {
			wt_diag("fd %d: bpf_d_path '%.300s' (%d), walk '%.300s' (%d)", r.fd, r.d,
				r.len_d, r.len_w < 0 ? "" : r.w, r.len_w);
			ok = false;
		}
		t->compared++;
	}
	close(fd);
	if (t->compared < want_at_least) {
		wt_diag("only %d files compared, want at least %d", t->compared, want_at_least);
		ok = false;
	}
	return ok;
}

/* Opens PATH (O_PATH: directories, fifos and sockets too) and keeps it open. */
static int keep(const char *path)
{
	int fd = open(path, O_PATH | O_NOFOLLOW);

	if (fd < 0)
		wt_diag("open %s: %s", path, strerror(errno));
	return fd;
}

static void close_from(int first)
{
	for (int fd = first; fd < first + 4096; fd++)
		close(fd);
}

static int first_free(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static enum wt_result names_of_every_length(void)
{
	enum wt_result ret = WT_FAIL;
	char dir[PATH_MAX], p[PATH_MAX + 256], name[256];
	int first = first_free();
	struct tally t;

	snprintf(dir, sizeof(dir), "%s/names", base);
	WT_CHECK(mkdir(dir, 0755) == 0, "%s", strerror(errno));
	for (int len = 1; len <= 255; len++) {
		memset(name, 'a' + len % 26, (size_t)len);
		name[len] = '\0';
		if (len == 1)
			name[0] = 'x'; /* not "." */
		if (len == 2)
			memcpy(name, "y.", 2); /* not ".." */
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		WT_CHECK(close(open(p, O_CREAT | O_WRONLY, 0644)) == 0, "%s", strerror(errno));
		WT_CHECK(keep(p) >= 0, "");
	}
	/* Bytes a path rule or an event line must survive: spaces, newlines, UTF-8, high bytes. */
	const char *odd[] = {"with space",  "new\nline", "t\tab", "\xc3\xa9t\xc3\xa9", "\xff\xfe",
			     "back\\slash", "-dash",	 "...",	  " (deleted)"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, odd[i]);
		WT_CHECK(close(open(p, O_CREAT | O_WRONLY, 0644)) == 0, "%s: %s", p,
			 strerror(errno));
		WT_CHECK(keep(p) >= 0, "");
	}
	WT_CHECK(keep(dir) >= 0, "");
	WT_CHECK(keep("/") >= 0, "");
	WT_CHECK(compare_all(&t, 255 + 9 + 2), "");
	wt_diag("%d files compared", t.compared);
	ret = WT_PASS;
out:
	close_from(first);
	return ret;
}

/* Chains of directories, opened one below the other with openat: paths up to PATH_MAX and past
 * it, where bpf_d_path fails and the walk must fail too (not give a truncated path). */
static enum wt_result deep_paths(void)
{
	enum wt_result ret = WT_FAIL;
	char name[256];
	int first = first_free(), dfd, len;
	struct tally t;
	int kept = 0;

	/* Long names: about 17 levels of 240 bytes pass 4096. */
	dfd = open(base, O_PATH | O_DIRECTORY);
	WT_CHECK(dfd >= 0, "%s", strerror(errno));
	len = (int)strlen(base);
	memset(name, 'L', 240);
	name[240] = '\0';
	for (int i = 0; i < 20; i++) {
		int nfd;

		WT_CHECK(mkdirat(dfd, name, 0755) == 0, "level %d: %s", i, strerror(errno));
		nfd = openat(dfd, name, O_PATH | O_DIRECTORY);
		WT_CHECK(nfd >= 0, "level %d: %s", i, strerror(errno));
		dfd = nfd;
		kept++;
		len += 241;
	}
	WT_CHECK(len > 4096, "the chain is %d bytes", len);
	/* Short names: 2100 levels of "d" pass 4096 by depth (two bytes a level). */
	dfd = open(base, O_PATH | O_DIRECTORY);
	WT_CHECK(dfd >= 0, "%s", strerror(errno));
	for (int i = 0; i < 2100; i++) {
		int nfd;

		WT_CHECK(mkdirat(dfd, "d", 0755) == 0, "level %d: %s", i, strerror(errno));
		nfd = openat(dfd, "d", O_PATH | O_DIRECTORY);
		WT_CHECK(nfd >= 0, "level %d: %s", i, strerror(errno));
		if (i % 100 != 99 && i < 2000 && i != 0)
			close(dfd); /* keep every hundredth, and all from 2000 on */
		else
			kept++;
		dfd = nfd;
	}
	WT_CHECK(compare_all(&t, 20), "");
	WT_CHECK(t.too_long > 0, "no path was too long for both");
	wt_diag("%d compared, %d too long for both", t.compared, t.too_long);
	ret = WT_PASS;
out:
	close_from(first);
	return ret;
}

/* Mount points crossed on the way up: a tmpfs, a tmpfs on a tmpfs, a bind mount of a directory
 * (whose root is not its file system's root), a bind mount of a single file, a mount hidden
 * under another one, and a deleted file. */
static enum wt_result mounts_and_binds(void)
{
	enum wt_result ret = WT_FAIL;
	char m[PATH_MAX], p[PATH_MAX + 64], q[PATH_MAX + 64];
	int first = first_free(), hidden;
	struct tally t;

	snprintf(m, sizeof(m), "%s/mnt", base);
	WT_CHECK(mkdir(m, 0755) == 0, "%s", strerror(errno));
	WT_CHECK(mount("wdt", m, "tmpfs", 0, "size=1m") == 0, "%s", strerror(errno));
	snprintf(p, sizeof(p), "%s/inner", m);
	WT_CHECK(mkdir(p, 0755) == 0, "%s", strerror(errno));
	WT_CHECK(mount("wdt2", p, "tmpfs", 0, "size=1m") == 0, "%s", strerror(errno));
	snprintf(q, sizeof(q), "%s/inner/sub", m);
	WT_CHECK(mkdir(q, 0755) == 0, "%s", strerror(errno));
	snprintf(q, sizeof(q), "%s/inner/sub/file", m);
	WT_CHECK(close(open(q, O_CREAT | O_WRONLY, 0644)) == 0, "%s", strerror(errno));
	WT_CHECK(keep(q) >= 0, "");
	WT_CHECK(keep(m) >= 0, "");
	snprintf(p, sizeof(p), "%s/inner", m);
	WT_CHECK(keep(p) >= 0, "");
	/* A bind mount of inner/sub at mnt/bound: the same file under another path. */
	snprintf(p, sizeof(p), "%s/bound", m);
	WT_CHECK(mkdir(p, 0755) == 0, "%s", strerror(errno));
	snprintf(q, sizeof(q), "%s/inner/sub", m);
	WT_CHECK(mount(q, p, NULL, MS_BIND, NULL) == 0, "%s", strerror(errno));
	snprintf(p, sizeof(p), "%s/bound/file", m);
	WT_CHECK(keep(p) >= 0, "");
	/* A bind mount of one file over another. */
	snprintf(p, sizeof(p), "%s/target", m);
	WT_CHECK(close(open(p, O_CREAT | O_WRONLY, 0644)) == 0, "%s", strerror(errno));
	snprintf(q, sizeof(q), "%s/inner/sub/file", m);
	WT_CHECK(mount(q, p, NULL, MS_BIND, NULL) == 0, "%s", strerror(errno));
	WT_CHECK(keep(p) >= 0, "");
	/* A file kept open, then hidden by a mount over its directory. */
	snprintf(p, sizeof(p), "%s/under", m);
	WT_CHECK(mkdir(p, 0755) == 0, "%s", strerror(errno));
	snprintf(q, sizeof(q), "%s/under/hidden", m);
	WT_CHECK(close(open(q, O_CREAT | O_WRONLY, 0644)) == 0, "%s", strerror(errno));
	hidden = keep(q);
	WT_CHECK(hidden >= 0, "");
	WT_CHECK(mount("wdt3", p, "tmpfs", 0, "size=1m") == 0, "%s", strerror(errno));
	/* A deleted file: " (deleted)" after its path. */
	snprintf(p, sizeof(p), "%s/gone", m);
	WT_CHECK(close(open(p, O_CREAT | O_WRONLY, 0644)) == 0, "%s", strerror(errno));
	WT_CHECK(open(p, O_RDONLY) >= 0, "%s", strerror(errno));
	WT_CHECK(unlink(p) == 0, "%s", strerror(errno));
	WT_CHECK(compare_all(&t, 7), "");
	wt_diag("%d files compared", t.compared);
	ret = WT_PASS;
out:
	close_from(first);
	snprintf(p, sizeof(p), "%s/under", m);
	umount2(p, MNT_DETACH);
	snprintf(p, sizeof(p), "%s/target", m);
	umount2(p, MNT_DETACH);
	snprintf(p, sizeof(p), "%s/bound", m);
	umount2(p, MNT_DETACH);
	snprintf(p, sizeof(p), "%s/inner", m);
	umount2(p, MNT_DETACH);
	umount2(m, MNT_DETACH);
	return ret;
}

/* Both resolve relative to the task's root: after chroot, files inside it have short paths and a
 * file opened before, outside the new root, gets its path from the top of the mount tree. Runs
 * in a child, so the test's own root stays. */
static int in_chroot(void *arg)
{
	const char *root = arg;
	char p[PATH_MAX + 64];
	struct tally t;

	skel->bss->target_tgid = (uint32_t)getpid();
	snprintf(p, sizeof(p), "%s/inside", root);
	if (mkdir(p, 0755))
		return errno;
	if (keep(p) < 0 || keep("/etc") < 0)
		return errno;
	if (chroot(root) || chdir("/"))
		return errno;
	if (keep("/inside") < 0)
		return errno;
	return compare_all(&t, 4) ? 0 : EINVAL;
}

static enum wt_result chroot_root(void)
{
	char root[PATH_MAX];
	int rc;

	snprintf(root, sizeof(root), "%s/root", base);
	if (mkdir(root, 0755))
		return WT_FAIL;
	rc = wt_run_in(NULL, in_chroot, root);
	skel->bss->target_tgid = (uint32_t)getpid();
	if (rc) {
		wt_diag("child: %s", rc > 0 ? strerror(rc) : "died");
		return WT_FAIL;
	}
	return WT_PASS;
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(names_of_every_length),
		WT_CASE(deep_paths),
		WT_CASE(mounts_and_binds),
		WT_CASE(chroot_root),
	};
	int rc;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (BPF iterators, mounts)\n");
		return 0;
	}
	/* Mounts made here stay in this process's own mount namespace. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		printf("1..0 # SKIP no private mount namespace: %s\n", strerror(errno));
		return 0;
	}
	skel = t_path_walk_bpf__open_and_load();
	if (!skel) {
		printf("1..0 # SKIP the iterator does not load here: %s\n", strerror(errno));
		return 0;
	}
	skel->bss->target_tgid = (uint32_t)getpid();
	link_ = bpf_program__attach_iter(skel->progs.t_walk_files, NULL);
	if (!link_) {
		printf("1..0 # SKIP iterators cannot attach here: %s\n", strerror(errno));
		return 0;
	}
	snprintf(base, sizeof(base), "/tmp/wd-path-walk.XXXXXX");
	if (!mkdtemp(base)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* The tree lives on a tmpfs of its own, so no file system's name limits get in the way
	 * and nothing is left behind. */
	if (mount("wdt", base, "tmpfs", 0, "size=64m")) {
		printf("Bail out! tmpfs on %s: %s\n", base, strerror(errno));
		return 1;
	}
	rc = wt_main(cases, sizeof(cases) / sizeof(cases[0]));
	umount2(base, MNT_DETACH);
	rmdir(base);
	bpf_link__destroy(link_);
	t_path_walk_bpf__destroy(skel);
	return rc;
}
