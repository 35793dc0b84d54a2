/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `warden daemon`: the host agent (docs/daemon.md). */
#ifndef WD_DAEMON_H
#define WD_DAEMON_H

int wd_cmd_daemon(int argc, char **argv);

#endif
