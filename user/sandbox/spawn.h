/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Starting a command directly inside a sandbox cgroup: clone3(CLONE_INTO_CGROUP), so there is
 * no instant where it runs outside. Shared by `warden run` and the daemon. */
#ifndef WD_SPAWN_H
#define WD_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define WD_EXIT_WARDEN 125 /* the command could not be started */

struct wd_confine;

struct wd_spawn {
	int cgroup_fd;		 /* O_DIRECTORY fd of the sandbox cgroup */
	const char *procs;	 /* its cgroup.procs, for the self-check; NULL: no self-check */
	char *const *argv;	 /* argv[0] is looked up in PATH */
	char *const *envp;	 /* NULL: this process's environment */
	const char *cwd;	 /* NULL: this process's */
	int stdio[3];		 /* -1: inherited */
	const sigset_t *sigmask; /* the child's signal mask; NULL: unchanged */
	/* Credentials to run as (the daemon runs a client's command as the client); with
	 * set_creds false the command keeps this process's. */
	bool set_creds;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
	const char *who; /* prefix of the child's error messages, e.g. "warden run" */
	/* Rung 3 (sandbox/confine.h): applied by the child before it runs the command; NULL:
	 * the BPF LSM enforces. With it, the self-check expects the refusal of Landlock or of a
	 * read-only mount (EACCES, EROFS) instead of the LSM's EPERM. With a pid namespace
	 * (confine->pidns) the pid and pidfd are of the namespace's init, which ends with the
	 * command's status (pidns.h). */
	const struct wd_confine *confine;
	/* Out: the job's pid as this process sees it, where it differs from the returned one (in
	 * a pid namespace the returned pid is its init's); 0 when the job did not say. The job
	 * calls landlock_restrict_self(), so audit records name its domain by this pid. */
	pid_t *job_pid;
};

/* Starts the command. Returns its pid with a pidfd in *@pidfd, or -errno. Errors in the child
 * (its self-check failing, exec failing) end it with WD_EXIT_WARDEN, 126 or 127 and a message on
 * its stderr. */
int wd_spawn(const struct wd_spawn *s, int *pidfd);

#endif
