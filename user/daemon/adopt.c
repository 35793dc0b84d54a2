// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Adoption by pattern: cgroups matching an adoption rule become sandboxes, found by inotify as
 * they are made and by the timer's scan, with the identity the rule's template gives. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/identity.h"
#include "daemon/internal.h"
#include "lib/mountinfo.h"

void auto_adopt(struct daemon *d, const char *how)
{
	char mnt[PATH_MAX], root[PATH_MAX], pat[PATH_MAX * 2];

	if (!d->cfg->daemon.n_adopt ||
	    wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return;
	for (size_t r = 0; r < d->cfg->daemon.n_adopt; r++) {
		const struct wd_adopt_rule *ar = &d->cfg->daemon.adopt[r];
		glob_t g;

		snprintf(pat, sizeof(pat), "%s%s", mnt, ar->cgroup);
		if (glob(pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g))
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			Warden__V1__SandboxSpec spec = WARDEN__V1__SANDBOX_SPEC__INIT;
			Warden__V1__PolicySource ps = WARDEN__V1__POLICY_SOURCE__INIT;
			Warden__V1__Error__Code code;
			struct wd_diags dg = {0};
			struct sb_req q = {0};
			char identity[512], why[512];
			struct stat st;
			struct dsb *s;

			bool failed = false;

			if (stat(g.gl_pathv[i], &st) || sb_by_cgid(d, st.st_ino))
				continue;
			for (size_t k = 0; k < d->n_failed; k++)
				failed |= d->failed[k] == st.st_ino;
			if (failed)
				continue;
			wd_identity_from_template(ar->identity, g.gl_pathv[i] + strlen(mnt),
						  identity, sizeof(identity));
			spec.identity = identity;
			if (d->apol && d->apol[r].text) {
				ps.name = d->apol[r].path;
				ps.text = d->apol[r].text;
				spec.policy = &ps;
				q.rule_policy = true;
			}
			q.identity = identity;
			q.spec = &spec;
			q.origin = WD_SB_AUTO;
			q.adopt_path = g.gl_pathv[i];
			if (sb_create(d, &q, &s, &code, why, sizeof(why), &dg) == 0) {
				logf_("adoption rule at %s:%d: %s adopted as %s (%s%s)",
				      d->config_path, ar->line, g.gl_pathv[i], identity, how,
				      s->was_held ? "; held by the kernel since it was made" : "");
			} else {
				logf_("cannot adopt %s as %s (rule at %s:%d): %s", g.gl_pathv[i],
				      identity, d->config_path, ar->line, why);
				wd_diags_print(stderr, &dg);
				/* Not again at every tick: once per cgroup. */
				if (d->n_failed < sizeof(d->failed) / sizeof(d->failed[0]))
					d->failed[d->n_failed++] = st.st_ino;
			}
			wd_diags_free(&dg);
		}
		globfree(&g);
	}
}

/* Watches, with inotify, every directory a new cgroup matching an adoption rule may appear in
 * (the levels above each pattern's last component, as far as they exist now), so that it is
 * adopted as soon as it is made rather than at the next tick. The tick's scan stays: a full
 * inotify queue or a level made between two looks is caught there. Adding a watch twice
 * keeps one. */
static void adopt_watch(struct daemon *d)
{
	char mnt[PATH_MAX], root[PATH_MAX], pat[PATH_MAX * 2];

	if (d->ino < 0 || !d->cfg->daemon.n_adopt ||
	    wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return;
	for (size_t r = 0; r < d->cfg->daemon.n_adopt; r++) {
		size_t m = strlen(mnt);

		snprintf(pat, sizeof(pat), "%s%s", mnt, d->cfg->daemon.adopt[r].cgroup);
		for (char *cut = pat + m; cut && *cut == '/'; cut = strchr(cut + 1, '/')) {
			char keep = *cut;
			glob_t g;

			*cut = '\0';
			if (glob(cut == pat + m ? mnt : pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL,
				 &g) == 0) {
				for (size_t i = 0; i < g.gl_pathc; i++)
					if (inotify_add_watch(d->ino, g.gl_pathv[i],
							      IN_CREATE | IN_MOVED_TO |
								      IN_ONLYDIR) < 0 &&
					    !d->ino_warned) {
						d->ino_warned = true;
						logf_("inotify: cannot watch %s: %s; cgroups made "
						      "there are adopted at the next tick (every "
						      "%d ms) instead",
						      g.gl_pathv[i], strerror(errno), TICK_MS);
					}
				globfree(&g);
			}
			*cut = keep;
		}
	}
}

/* New inotify, watching for the rules in force (after a reload: only theirs). */
void adopt_watch_reset(struct daemon *d)
{
	if (d->ino >= 0) {
		epoll_ctl(d->ep, EPOLL_CTL_DEL, d->ino, NULL);
		close(d->ino);
		d->ino = -1;
	}
	if (!d->cfg->daemon.n_adopt)
		return;
	d->ino_warned = false;
	d->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ino < 0) {
		logf_("inotify: %s: new cgroups matching adoption rules are adopted at the next "
		      "tick (every %d ms) instead",
		      strerror(errno), TICK_MS);
		return;
	}
	d->ino_tag = (struct ep_tag){EP_INO};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->ino,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->ino_tag});
	adopt_watch(d);
}

void on_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(d->ino, buf, sizeof(buf)) > 0)
		;
	/* Levels made just now get their watches before the scan, so that nothing made in
	 * them afterwards is missed. */
	adopt_watch(d);
	auto_adopt(d, "seen by inotify");
}
