// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sandbox spec options `warden run` (through the daemon), `warden sandbox create` and
 * `warden sandbox adopt` share, and reading the policy file a request carries. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl_internal.h"
#include "lib/duration.h"
#include "lib/yamlx.h"

int wd_cli_read_policy(const char *path, struct spec_buf *b)
{
	struct wd_diags dg = {0};
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0) {
		fprintf(stderr, "warden: cannot open policy %s: %s\n", path, strerror(errno));
		return -errno;
	}
	err = wd_yaml_read_fd(fd, path, WD_CTL_MSG_MAX / 2, &b->text, &len, &dg);
	close(fd);
	wd_diags_print(stderr, &dg);
	wd_diags_free(&dg);
	if (err)
		return err;
	warden__v1__policy_source__init(&b->src);
	b->src.name = (char *)path;
	b->src.text = b->text;
	return 0;
}

/* Options shared by run, sandbox create and adopt. Returns the next argv index or -1. */
int wd_cli_parse_spec(int argc, char **argv, const char *who, struct spec_buf *b, bool *json,
		      char **cgroup)
{
	static const struct option opts[] = {
		{"identity", required_argument, NULL, 'i'},
		{"policy", required_argument, NULL, 'p'},
		{"ttl", required_argument, NULL, 't'},
		{"audit", no_argument, NULL, 'a'},
		{"degraded", no_argument, NULL, 'D'},
		{"label", required_argument, NULL, 'l'},
		{"cgroup", required_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	uint64_t ms;
	int c;

	warden__v1__sandbox_spec__init(&b->spec);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:p:t:al:j", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			b->spec.identity = optarg;
			break;
		case 'p':
			if (wd_cli_read_policy(optarg, b))
				return -1;
			b->spec.policy = &b->src;
			break;
		case 't':
			if (wd_duration_parse(optarg, &ms)) {
				fprintf(stderr, "warden %s: --ttl '%s': write e.g. 90s, 15m, 1h\n",
					who, optarg);
				return -1;
			}
			b->spec.ttl_ms = ms;
			break;
		case 'a':
			b->spec.audit = true;
			break;
		case 'D':
			b->spec.degraded = true;
			break;
		case 'l': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || b->spec.n_labels == 64) {
				fprintf(stderr, "warden %s: --label '%s': write KEY=VALUE\n", who,
					optarg);
				return -1;
			}
			*eq = '\0';
			warden__v1__sandbox_spec__labels_entry__init(&b->lab[b->spec.n_labels]);
			b->lab[b->spec.n_labels].key = optarg;
			b->lab[b->spec.n_labels].value = eq + 1;
			b->labp[b->spec.n_labels] = &b->lab[b->spec.n_labels];
			b->spec.n_labels++;
			b->spec.labels = b->labp;
			break;
		}
		case 'g':
			if (cgroup)
				*cgroup = optarg;
			break;
		case 'j':
			if (json)
				*json = true;
			break;
		default:
			return -1;
		}
	}
	if (!b->spec.identity) {
		fprintf(stderr, "warden %s: --identity is required\n", who);
		return -1;
	}
	return optind;
}
