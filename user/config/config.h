/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* warden's config file (docs/config.md): the node's name and where events go. */
#ifndef WD_CONFIG_H
#define WD_CONFIG_H

#include <stddef.h>

#include "policy/policy.h" /* struct wd_diags */
#include "export/sink.h"

/* Looked for when no --config is given; its absence is not an error. */
#define WD_CONFIG_DEFAULT "/etc/warden/warden.yaml"

/* A rule for adopting cgroups others create (docs/config.md, "Adoption"). */
struct wd_adopt_rule {
	char *cgroup;	/* glob on the cgroup's path below the cgroup2 mount, e.g.
			 * "/kubepods.slice/kubepods-*.slice/kubepods-*-pod*.slice" */
	char *identity; /* template: {0} the whole path, {N} its Nth component, {base} the last */
	char *policy;	/* a policy file for them, or NULL: the identity's applied policy */
	int line, col;
};

/* The daemon's settings (docs/config.md, "The daemon"). Defaults filled in by the parser. */
struct wd_daemon_cfg {
	char *state_dir;      /* /var/lib/warden: state.db */
	char *run_dir;	      /* /run/warden: control.sock, seq */
	char *bpf_dir;	      /* /sys/fs/bpf/warden: pinned maps and links */
	char *admin_group;    /* may change things (root always may); NULL: root only */
	char *readonly_group; /* may look */
	char *metrics;	      /* "127.0.0.1:9464"; NULL: off */
	char **policies;      /* policy files applied at start and on reload */
	size_t n_policies;
	struct wd_adopt_rule *adopt;
	size_t n_adopt;
	bool degraded; /* without BPF LSM, enforce what the kernel can instead of refusing */
};

struct wd_config {
	char *source; /* the file it came from, or "<defaults>" */
	char *node;   /* NULL: uname -n */
	struct wd_sink_cfg *sinks;
	size_t n_sinks;
	struct wd_daemon_cfg daemon;
};

/* Parses a config file. Every error goes to @diags as file:line:column; on any error *@out is
 * NULL and -EINVAL (or -errno of reading) is returned: nothing of an invalid config is used. */
int wd_config_parse_file(const char *path, struct wd_config **out, struct wd_diags *diags);
int wd_config_parse_string(const char *name, const char *yaml, size_t len, struct wd_config **out,
			   struct wd_diags *diags);
/* A config with no sinks. */
struct wd_config *wd_config_empty(void);
void wd_config_free(struct wd_config *c);

/* "64MiB", "1GiB", "512KiB", "1500": bytes. Returns 0 or -EINVAL. */
int wd_size_parse(const char *s, uint64_t *bytes);

#endif
