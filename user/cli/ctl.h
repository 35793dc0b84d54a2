/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CLI commands that talk to the warden daemon. */
#ifndef WD_CMD_CTL_H
#define WD_CMD_CTL_H

#include <stdbool.h>

/* Whether a daemon answers on the control socket ($WARDEN_SOCKET or /run/warden/control.sock). */
bool wd_daemon_reachable(void);

int wd_cmd_status(int argc, char **argv);
int wd_cmd_sandbox(int argc, char **argv);
/* `warden run` through the daemon: the same options as warden run's, minus the local-only ones. */
int wd_run_via_daemon(int argc, char **argv);

#endif
