// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden run` through the daemon: the command runs in a sandbox the daemon makes, with this
 * process's stdin, stdout and stderr, and its exit status comes back as ours. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/ctl_internal.h"

extern char **environ;

int wd_run_via_daemon(int argc, char **argv)
{
	Warden__V1__Request rq = WARDEN__V1__REQUEST__INIT;
	Warden__V1__RunRequest run = WARDEN__V1__RUN_REQUEST__INIT;
	Warden__V1__Response *r = NULL;
	struct spec_buf b = {0};
	char cwd[PATH_MAX], err[WD_CTL_ERR_MAX];
	int fds[3] = {0, 1, 2}, idx, ret, fd;
	size_t n_env = 0;

	idx = wd_cli_parse_spec(argc, argv, "run", &b, NULL, NULL);
	if (idx < 0)
		return 2;
	if (idx >= argc) {
		fprintf(stderr, "warden run: no command given: warden run -i ID -- COMMAND\n");
		return 2;
	}
	while (environ[n_env])
		n_env++;
	run.sandbox = &b.spec;
	run.argv = argv + idx;
	run.n_argv = (size_t)(argc - idx);
	run.env = environ;
	run.n_env = n_env;
	run.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	rq.op_case = WARDEN__V1__REQUEST__OP_RUN;
	rq.run = &run;
	ret = wd_cli_call("run", &rq, fds, 3, &r, CALL_MS);
	free(b.text);
	if (ret > 0)
		return 125; /* no daemon, or it refused: said above */
	fd = -ret;
	if (r->result_case == WARDEN__V1__RESPONSE__RESULT_RUN_STARTED && r->run_started->sandbox)
		fprintf(stderr,
			"warden run: sandbox %s (%s) started by the daemon; its events go to "
			"the daemon's sinks\n",
			r->run_started->sandbox->id, r->run_started->sandbox->identity);
	warden__v1__response__free_unpacked(r, NULL);
	r = NULL;
	/* The command holds our stdio now; wait for its end. */
	if (wd_ctl_recv(fd, &r, 0, err, sizeof(err))) {
		fprintf(stderr, "warden run: lost the daemon while the command ran: %s\n", err);
		close(fd);
		return 125;
	}
	close(fd);
	if (r->error || r->result_case != WARDEN__V1__RESPONSE__RESULT_RUN_EXITED) {
		fprintf(stderr, "warden run: %s\n",
			r->error ? r->error->message : "unexpected answer");
		warden__v1__response__free_unpacked(r, NULL);
		return 125;
	}
	if (r->run_exited->reason != WARDEN__V1__RUN_EXITED__REASON__EXITED)
		fprintf(stderr, "warden run: %s\n", r->run_exited->detail);
	ret = r->run_exited->reason == WARDEN__V1__RUN_EXITED__REASON__EXITED
		      ? r->run_exited->exit_status
		      : 128 + 9;
	warden__v1__response__free_unpacked(r, NULL);
	return ret;
}
