/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `warden run`: one command in a fresh sandbox, enforced from its first instruction. */
#ifndef WD_RUN_H
#define WD_RUN_H

/* argv[0] is "run". Returns the exit status: the command's, 128 + signal if it was killed, or
 * 125 when warden could not start it (2 for usage errors). */
int wd_cmd_run(int argc, char **argv);

#endif
