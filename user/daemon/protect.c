// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Self-protection: the rules every sandbox's policy gets so that nothing in a sandbox can read
 * or write the daemon's state, control socket, counter or pins (docs/daemon.md,
 * "Self-protection"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/internal.h"

/* Every sandbox's policy also denies reading and writing the daemon's own state, its control
 * socket and counter, and its pins, whatever the policy's author wrote: deny wins. */
int protect_daemon(struct daemon *d, struct wd_policy *p)
{
	const char *dirs[] = {d->cfg->daemon.state_dir, d->cfg->daemon.run_dir,
			      d->cfg->daemon.bpf_dir};

	for (int op = WD_OP_READ; op <= WD_OP_WRITE; op++) {
		struct wd_path_list *l = &p->paths[op][WD_DENY];
		struct wd_path_rule *v = realloc(l->v, (l->n + 3) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		for (int i = 0; i < 3; i++) {
			struct wd_path_rule *r = &l->v[l->n];

			memset(r, 0, sizeof(*r));
			if (asprintf(&r->text, "%s/", dirs[i]) < 0)
				return -ENOMEM;
			r->kind = WD_PATH_PREFIX;
			l->n++;
			p->n_rules++;
		}
	}
	return 0;
}
