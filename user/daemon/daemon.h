/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `warden daemon`: the host agent (docs/daemon.md). Its command line is cli/daemon.c's. */
#ifndef WD_DAEMON_H
#define WD_DAEMON_H

#include <stdbool.h>

struct wd_daemon_opts {
	const char *config_path; /* NULL: WD_CONFIG_DEFAULT if it exists, else the defaults */
	bool check;		 /* validate the config and its policy files, then return */
	bool reset;   /* remove the pinned programs and maps (none active), then return */
	bool verbose; /* libbpf's messages */
};

/* Runs the daemon in the foreground until SIGTERM or SIGINT, or only checks or resets; the
 * exit status. It prints its own messages, prefixed "warden daemon: ". */
int wd_daemon_main(const struct wd_daemon_opts *o);

#endif
