// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SIGHUP: the config's policy files and adoption rules read again; all of them valid, or none
 * taken. Sinks, sockets and directories stay as started. */
#include <stdio.h>

#include "daemon/internal.h"

void reload(struct daemon *d)
{
	struct wd_config *c = NULL;
	struct cfg_policy *v = NULL, *av = NULL;
	struct wd_diags dg = {0};
	size_t n = 0;

	sd_notify_("RELOADING=1");
	if (wd_config_parse_file(d->config_path, &c, &dg) || load_cfg_policies(c, &v, &n, &av)) {
		wd_diags_print(stderr, &dg);
		logf_("reload of %s rejected: the configuration in force stays", d->config_path);
		wd_config_free(c);
		wd_diags_free(&dg);
		sd_notify_("READY=1");
		return;
	}
	wd_diags_free(&dg);
	cpol_free(d->cpol, d->n_cpol);
	d->cpol = v;
	d->n_cpol = n;
	if (d->apol)
		cpol_free(d->apol, d->cfg->daemon.n_adopt);
	d->apol = av;
	/* Sinks, sockets and directories stay as started; the policies and adoption rules are
	 * what a reload changes. */
	{
		struct wd_adopt_rule *a = c->daemon.adopt;
		size_t na = c->daemon.n_adopt;

		c->daemon.adopt = d->cfg->daemon.adopt;
		c->daemon.n_adopt = d->cfg->daemon.n_adopt;
		d->cfg->daemon.adopt = a;
		d->cfg->daemon.n_adopt = na;
		d->n_failed = 0;
	}
	wd_config_free(c);
	hold_install(d);
	adopt_watch_reset(d);
	repolicy_config_sandboxes(d);
	logf_("reloaded %s: %zu policy files, %zu adoption rules", d->config_path, d->n_cpol,
	      d->cfg->daemon.n_adopt);
	sd_notify_("READY=1");
}
