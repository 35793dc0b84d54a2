/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The node's event sequence counter, shared by every warden process on the node through a
 * MAP_SHARED page of a file under /run/warden. */
#ifndef WD_NODESEQ_H
#define WD_NODESEQ_H

#include <stdint.h>

#define WD_RUN_DIR	 "/run/warden"
#define WD_NODE_SEQ_FILE WD_RUN_DIR "/seq"

/* Maps the counter at @path (created when missing, seeded with CLOCK_REALTIME in ns, so it keeps
 * growing across reboots). *@counter points into the shared page; update it only with atomic
 * operations. Returns 0 or -errno. */
int wd_node_seq_open(const char *path, uint64_t **counter);
void wd_node_seq_close(uint64_t *counter);

#endif
