// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: warden's config file. Every sink type's keys land in the right fields with their
 * defaults; every mistake is reported at its line and column, all of them at once, and a config
 * with any error is never returned. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

#define NS (1000000000ull)

static struct wd_config *parse_ok(const char *yaml)
{
	struct wd_diags d = {0};
	struct wd_config *c = NULL;
	int err = wd_config_parse_string("c.yaml", yaml, strlen(yaml), &c, &d);

	if (err)
		wd_diags_print(stderr, &d);
	assert_int_equal(err, 0);
	assert_int_equal(d.total, 0);
	wd_diags_free(&d);
	return c;
}

/* Parses @yaml expecting failure; returns the diagnostics as "line:col: msg\n" lines. */
static char *parse_bad(const char *yaml)
{
	struct wd_diags d = {0};
	struct wd_config *c = (void *)1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(wd_config_parse_string("c.yaml", yaml, strlen(yaml), &c, &d), -EINVAL);
	assert_null(c);
	assert_true(d.total > 0);
	wd_diags_print(f, &d);
	fclose(f);
	wd_diags_free(&d);
	return buf;
}

static void all_sink_types(void **state)
{
	struct wd_config *c = parse_ok("version: 1\n"
				       "node: build-7\n"
				       "events:\n"
				       "  sinks:\n"
				       "    - name: local\n"
				       "      type: file\n"
				       "      dir: /var/log/warden\n"
				       "      queue: 16MiB\n"
				       "      rotate: {size: 64MiB, age: 1h}\n"
				       "      retain: {size: 1GiB, age: 7d, files: 100}\n"
				       "      gzip_level: 9\n"
				       "    - name: siem\n"
				       "      type: syslog\n"
				       "      address: tcp:siem.example.com:6514\n"
				       "      facility: 4\n"
				       "      app_name: warden-ci\n"
				       "      reconnect: {min: 250ms, max: 1m}\n"
				       "    - name: collector\n"
				       "      type: stream\n"
				       "      address: unix:/run/collector.sock\n"
				       "      ack: true\n"
				       "    - name: ocsf\n"
				       "      type: jsonl\n"
				       "      path: /var/log/warden/ocsf.json\n"
				       "      format: ocsf\n");

	(void)state;
	assert_string_equal(c->node, "build-7");
	assert_int_equal(c->n_sinks, 4);
	assert_string_equal(c->sinks[0].name, "local");
	assert_int_equal(c->sinks[0].kind, WD_SINK_FILE);
	assert_string_equal(c->sinks[0].dir, "/var/log/warden");
	assert_int_equal(c->sinks[0].queue_bytes, 16ull << 20);
	assert_int_equal(c->sinks[0].max_bytes, 64ull << 20);
	assert_int_equal(c->sinks[0].max_age_ns, 3600 * NS);
	assert_int_equal(c->sinks[0].keep_bytes, 1ull << 30);
	assert_int_equal(c->sinks[0].keep_age_ns, 7 * 86400 * NS);
	assert_int_equal(c->sinks[0].keep_files, 100);
	assert_int_equal(c->sinks[0].gzip_level, 9);
	assert_int_equal(c->sinks[0].line, 5);
	assert_int_equal(c->sinks[1].kind, WD_SINK_SYSLOG);
	assert_string_equal(c->sinks[1].address, "tcp:siem.example.com:6514");
	assert_int_equal(c->sinks[1].facility, 4);
	assert_string_equal(c->sinks[1].app_name, "warden-ci");
	assert_int_equal(c->sinks[1].reconnect_min_ns, 250000000ull);
	assert_int_equal(c->sinks[1].reconnect_max_ns, 60 * NS);
	assert_int_equal(c->sinks[2].kind, WD_SINK_STREAM);
	assert_true(c->sinks[2].ack);
	assert_int_equal(c->sinks[3].kind, WD_SINK_JSONL);
	assert_int_equal(c->sinks[3].json, WD_JSON_OCSF);
	assert_string_equal(c->sinks[3].path, "/var/log/warden/ocsf.json");
	wd_config_free(c);
}

static void defaults(void **state)
{
	struct wd_config *c = parse_ok("version: 1\n");

	(void)state;
	assert_null(c->node);
	assert_int_equal(c->n_sinks, 0);
	wd_config_free(c);
	c = parse_ok("version: 1\nevents:\n  sinks:\n    - {name: s, type: syslog, address: "
		     "\"tcp:[::1]:514\"}\n");
	assert_int_equal(c->sinks[0].facility, 13);
	assert_false(c->sinks[0].ack);
	wd_config_free(c);
}

static void every_error_with_its_place(void **state)
{
	char *out = parse_bad("version: 1\n"
			      "events:\n"
			      "  sinks:\n"
			      "    - name: main\n"
			      "      type: file\n"
			      "      dri: /var/log\n"
			      "      rotate: {size: 12XB, age: soon}\n"
			      "    - name: main\n"
			      "      type: syslog\n"
			      "      address: unix:/dev/log\n"
			      "      ack: true\n"
			      "    - name: s\n"
			      "      type: stream\n"
			      "      address: tcp:host\n"
			      "    - name: j\n"
			      "      type: jsonl\n"
			      "      path: relative.json\n"
			      "      format: xml\n"
			      "    - name: q\n"
			      "      type: carrier-pigeon\n");

	(void)state;
	assert_non_null(strstr(out, "c.yaml:4:7: a file sink needs dir"));
	assert_non_null(strstr(out, "c.yaml:6:7: unknown key \"dri\""));
	assert_non_null(strstr(out, "(did you mean \"dir\"?)"));
	assert_non_null(strstr(out, "c.yaml:7:22: rotate.size: \"12XB\" is not a size"));
	assert_non_null(strstr(out, "c.yaml:7:33: rotate.age: \"soon\" is not a duration"));
	assert_non_null(strstr(out, "c.yaml:8:7: a second sink named \"main\" (first at line 4)"));
	assert_non_null(strstr(out, "c.yaml:10:16: a syslog sink speaks TCP"));
	assert_non_null(strstr(out, "c.yaml:11:7: a syslog sink has no \"ack\""));
	assert_non_null(strstr(out, "c.yaml:14:16: address \"tcp:host\""));
	assert_non_null(strstr(out, "c.yaml:17:13: path must be an absolute path"));
	assert_non_null(strstr(out, "c.yaml:18:15: format \"xml\": expected warden or ocsf"));
	assert_non_null(strstr(out, "c.yaml:20:13: unknown sink type \"carrier-pigeon\""));
	free(out);
}

static void root_errors(void **state)
{
	char *out;

	(void)state;
	out = parse_bad("node: x\n");
	assert_non_null(strstr(out, "missing required key \"version\""));
	free(out);
	out = parse_bad("version: 2\n");
	assert_non_null(strstr(out, "c.yaml:1:10: unsupported config version \"2\""));
	free(out);
	out = parse_bad("version: 1\nsinks: []\n");
	assert_non_null(strstr(out, "c.yaml:2:1: unknown key \"sinks\" in the config"));
	free(out);
	out = parse_bad("version: 1\n---\nversion: 1\n");
	assert_non_null(strstr(out, "a second YAML document"));
	free(out);
	out = parse_bad("version: [1\n");
	assert_non_null(strstr(out, "YAML syntax error"));
	free(out);
	out = parse_bad("");
	assert_non_null(strstr(out, "the config is empty"));
	free(out);
}

static void sizes(void **state)
{
	uint64_t b;

	(void)state;
	assert_int_equal(wd_size_parse("1500", &b), 0);
	assert_int_equal(b, 1500);
	assert_int_equal(wd_size_parse("64MiB", &b), 0);
	assert_int_equal(b, 64ull << 20);
	assert_int_equal(wd_size_parse("2 GiB", &b), 0);
	assert_int_equal(b, 2ull << 30);
	assert_int_equal(wd_size_parse("1KiB", &b), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(wd_size_parse("-1", &b), -EINVAL);
	assert_int_equal(wd_size_parse("12XB", &b), -EINVAL);
	assert_int_equal(wd_size_parse("MiB", &b), -EINVAL);
	assert_int_equal(wd_size_parse("99999999999999999999", &b), -EINVAL);
	assert_int_equal(wd_size_parse("20000000TiB", &b), -EINVAL);
}

/* Adoption rules: what the kernel cannot match when a cgroup is made is refused, with its place;
 * a valid rule keeps its policy file. */
static void adopt_rules(void **state)
{
	struct wd_config *c;
	char deep[400] = "", *out;

	(void)state;
	c = parse_ok("version: 1\n"
		     "daemon:\n"
		     "  adopt:\n"
		     "    - cgroup: /ci/job-*\n"
		     "      identity: \"ci:{base}\"\n"
		     "      policy: /etc/warden/ci.yaml\n");
	assert_int_equal(c->daemon.n_adopt, 1);
	assert_string_equal(c->daemon.adopt[0].cgroup, "/ci/job-*");
	assert_string_equal(c->daemon.adopt[0].policy, "/etc/warden/ci.yaml");
	wd_config_free(c);

	out = parse_bad("version: 1\n"
			"daemon:\n"
			"  adopt:\n"
			"    - cgroup: /ci/job-[0-9]*\n"
			"      identity: \"ci:{base}\"\n");
	assert_non_null(strstr(out, "c.yaml:4:15: adopt.cgroup \"/ci/job-[0-9]*\" may use * and ? "
				    "only, not brackets or backslashes"));
	free(out);

	static const char *const spelled[] = {"/ci/job-*/", "/ci/./job-*", "/ci//job-*", "/ci/.*",
					      "/ci/../job-*"};
	for (size_t i = 0; i < sizeof(spelled) / sizeof(spelled[0]); i++) {
		char yaml[300];

		snprintf(yaml, sizeof(yaml),
			 "version: 1\ndaemon:\n  adopt:\n    - cgroup: \"%s\"\n      identity: "
			 "x:y\n",
			 spelled[i]);
		out = parse_bad(yaml);
		if (!strstr(out, "must name each level once"))
			fail_msg("%s: %s", spelled[i], out);
		free(out);
	}

	for (int i = 0; i < 16; i++)
		strcat(deep, "/a*");
	{
		char yaml[600];

		snprintf(yaml, sizeof(yaml),
			 "version: 1\ndaemon:\n  adopt:\n    - cgroup: %s\n      identity: x:y\n",
			 deep);
		out = parse_bad(yaml);
		assert_non_null(strstr(out, "is 16 levels deep; sandboxes can be at most 15 deep"));
		free(out);
	}
}

/* Diagnostics of wd_config_parse_file(@path) as "file:line:col: msg" lines, after writing @yaml
 * there unless it is NULL; its return in @err. */
static char *parse_file(const char *path, const char *yaml, int *err, struct wd_config **c)
{
	struct wd_diags d = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (yaml) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(yaml, f);
		fclose(f);
	}
	f = open_memstream(&buf, &len);
	*err = wd_config_parse_file(path, c, &d);
	wd_diags_print(f, &d);
	fclose(f);
	wd_diags_free(&d);
	return buf;
}

/* A file is read and parsed under its own name; what cannot be read is said with its errno. */
static void from_a_file(void **state)
{
	char dir[] = "/tmp/wd-config.XXXXXX", path[64], want[128], *out;
	struct wd_config *c = (void *)1;
	int err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.yaml", dir);
	out = parse_file(path, NULL, &err, &c);
	assert_int_equal(err, -ENOENT);
	assert_null(c);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory\n", path);
	assert_string_equal(out, want);
	free(out);

	out = parse_file(dir, NULL, &err, &c);
	assert_int_equal(err, -EISDIR);
	assert_null(c);
	free(out);

	out = parse_file(path,
			 "version: 1\nnode: n1\nevents:\n  sinks:\n    - {name: s, type: stream}\n",
			 &err, &c);
	assert_int_equal(err, -EINVAL);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:5:7: a stream sink needs address", path);
	assert_non_null(strstr(out, want));
	free(out);

	out = parse_file(path, "version: 1\nnode: n1\n", &err, &c);
	assert_int_equal(err, 0);
	assert_string_equal(out, "");
	assert_string_equal(c->source, path);
	assert_string_equal(c->node, "n1");
	wd_config_free(c);
	free(out);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_sink_types),
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_error_with_its_place),
		cmocka_unit_test(root_errors),
		cmocka_unit_test(sizes),
		cmocka_unit_test(adopt_rules),
		cmocka_unit_test(from_a_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
