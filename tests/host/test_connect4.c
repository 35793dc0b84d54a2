// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tier: proves cgroup/connect4 enforcement on the host kernel with a child process inside a
 * throwaway cgroup (and one in a sub-cgroup), and that the same connect is allowed outside it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "t_deny_connect4.skel.h"
#include "wdtest.h"

/* A listener on 127.0.0.1 so an allowed connect really succeeds. Returns the fd; *port set. */
static int listen_lo(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Child body: connect to 127.0.0.1:port, return 0 or the errno seen. */
static int do_connect(void *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(*(uint16_t *)arg),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		ret = errno;
	close(fd);
	return ret;
}

static enum wt_result connect4_denied_inside_allowed_outside(void)
{
	struct t_deny_connect4_bpf *skel = NULL;
	struct wt_cgroup cg = {.fd = -1}, sub = {.fd = -1};
	struct bpf_link *link = NULL;
	enum wt_result ret = WT_FAIL;
	uint16_t deny_port = 0, allow_port = 0;
	int lfd_deny = -1, lfd_allow = -1, err;
	char subname[64];

	lfd_deny = listen_lo(&deny_port);
	lfd_allow = listen_lo(&allow_port);
	WT_CHECK(lfd_deny >= 0 && lfd_allow >= 0, "listen on 127.0.0.1: %s", strerror(errno));

	err = wt_cgroup_create(&cg, "connect4");
	if (err) {
		ret = wt_skip("cannot create a cgroup v2 cgroup: %s", strerror(-err));
		goto out;
	}
	snprintf(subname, sizeof(subname), "connect4/sub");
	err = wt_cgroup_create(&sub, subname);
	WT_CHECK(err == 0, "create sub-cgroup: %s", strerror(-err));

	skel = t_deny_connect4_bpf__open();
	WT_CHECK(skel, "open skeleton: %s", strerror(errno));
	skel->rodata->deny_port = deny_port;
	err = t_deny_connect4_bpf__load(skel);
	WT_CHECK(err == 0, "load: %s", strerror(-err));
	link = bpf_program__attach_cgroup(skel->progs.wd_t_connect4, cg.fd);
	WT_CHECK(link, "attach to %s: %s", cg.path, strerror(errno));

	/* Inside the cgroup: the denied port gets EPERM, the other connects. */
	WT_CHECK_INT(wt_run_in(&cg, do_connect, &deny_port), EPERM);
	WT_CHECK_INT(wt_run_in(&cg, do_connect, &allow_port), 0);
	/* A sub-cgroup inherits the program: descendants stay governed. */
	WT_CHECK_INT(wt_run_in(&sub, do_connect, &deny_port), EPERM);
	/* Outside, the same connect to the same listener succeeds. */
	WT_CHECK_INT(wt_run_in(NULL, do_connect, &deny_port), 0);

	WT_CHECK_INT(skel->bss->denied, 2);
	WT_CHECK_INT(skel->bss->allowed, 1);
	ret = WT_PASS;
out:
	bpf_link__destroy(link);
	t_deny_connect4_bpf__destroy(skel);
	wt_cgroup_destroy(&sub);
	wt_cgroup_destroy(&cg);
	if (lfd_deny >= 0)
		close(lfd_deny);
	if (lfd_allow >= 0)
		close(lfd_allow);
	return ret;
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(connect4_denied_inside_allowed_outside),
	};

	return wt_main(cases, sizeof(cases) / sizeof(cases[0]));
}
