// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the event context of sandboxes (user/sandbox/context.c): what a sandbox's events say
 * about it and about the node, its labels, its cgroup path kept after removal, its counters,
 * and the exe and parent /proc fills in for the cgroup hooks. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cgroup.h"
#include "lib/clock.h"
#include "sandbox/context.h"

static const char *text_of(void *arg, uint32_t rule_id)
{
	return rule_id == 7 ? arg : NULL;
}

static const struct wd_label labels[] = {{"team", "api"}, {"pipeline", "8812"}};

static void test_sandbox_ctx(void **state)
{
	struct wd_sb_node n;
	struct wd_sb_ev ev, ev2;
	struct wd_cgroup cg = {.path = "/sys/fs/cgroup/warden/sb-0123456789abcdef", .id = 4242};
	uint64_t counter = 0;
	char err[256];
	struct wd_sb_desc d = {
		.id = "sb-0123456789abcdef",
		.identity = "ci:acme/api#8812",
		.labels = labels,
		.n_labels = 2,
		.cg = &cg,
		.policy_name = "agent.yaml",
		.rule_text = text_of,
		.rule_text_arg = "t.yaml:3:5 files.read deny /etc/shadow",
	};

	(void)state;
	assert_int_equal(wd_sb_node_open(&n, "build-7", NULL, err, sizeof(err)), 0);
	assert_string_equal(n.name, "build-7");
	assert_int_equal(strlen(n.boot_id), 36);
	assert_null(n.seq);
	assert_ptr_equal(n.ctx.node, n.name);
	assert_null(n.ctx.sandbox_id);
	/* As wd_sb_node_seq() sets them, without the shared page. */
	n.seq = &counter;
	n.ctx.node_seq = &counter;
	n.ctx.boot_to_wall_ns = 12345;

	wd_sb_ev_init(&ev, &n, &d);
	assert_string_equal(ev.ctx.identity, "ci:acme/api#8812");
	assert_ptr_equal(ev.ctx.labels, labels);
	assert_int_equal(ev.ctx.n_labels, 2);
	assert_string_equal(ev.ctx.labels[1].key, "pipeline");
	assert_string_equal(ev.ctx.labels[1].value, "8812");
	assert_string_equal(ev.ctx.sandbox_id, "sb-0123456789abcdef");
	assert_int_equal(ev.ctx.cgroup_id, 4242);
	assert_string_equal(ev.ctx.policy_name, "agent.yaml");
	assert_string_equal(ev.ctx.node, "build-7");
	assert_string_equal(ev.ctx.boot_id, n.boot_id);
	assert_ptr_equal(ev.ctx.node_seq, &counter);
	assert_ptr_equal(ev.ctx.sandbox_seq, &ev.seq);
	assert_int_equal(ev.ctx.boot_to_wall_ns, 12345);
	assert_non_null(ev.ctx.proc_lookup);
	assert_string_equal(ev.ctx.rule_text(ev.ctx.rule_text_arg, 7),
			    "t.yaml:3:5 files.read deny /etc/shadow");
	assert_null(ev.ctx.rule_text(ev.ctx.rule_text_arg, 8));
	/* The path in events outlives the cgroup (removed: its path cleared). */
	cg.path[0] = '\0';
	assert_string_equal(ev.ctx.cgroup_path, "/sys/fs/cgroup/warden/sb-0123456789abcdef");
	/* Every context starts a generation of its own. */
	assert_int_not_equal(ev.ctx.gen, 0);
	wd_sb_ev_init(&ev2, &n, &d);
	assert_int_not_equal(ev2.ctx.gen, ev.ctx.gen);

	/* A lifecycle event without sinks is made, numbered on the node and in the sandbox. */
	assert_int_equal(wd_sb_lifecycle(&n, NULL, &ev.ctx,
					 WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED, NULL),
			 0);
	assert_int_equal(ev.seq, 1);
	assert_int_equal(counter, 1);
	assert_int_equal(n.pbe->hdr.sandbox_seq, 1);
	assert_string_equal(n.pbe->id.name, "ci:acme/api#8812");
	assert_int_equal(n.pbe->id.n_labels, 2);
	assert_string_equal(n.pbe->sb.id, "sb-0123456789abcdef");
	/* Losses of the node: no sandbox, node seq numbers set aside for them. */
	assert_int_equal(wd_sb_lost(&n, NULL, &n.ctx, 5, "cpu0=5"), 0);
	assert_int_equal(n.pbe->act.lifecycle.lost_count, 5);
	assert_int_equal(n.pbe->act.lifecycle.lost_first_seq, 2);
	assert_int_equal(n.pbe->act.lifecycle.lost_last_seq, 6);
	assert_int_equal(counter, 7);
	assert_int_equal(ev.seq, 1);
	/* Losses of the sandbox: its own numbering skips them too; the event itself comes after
	 * them in both. */
	assert_int_equal(wd_sb_lost(&n, NULL, &ev.ctx, 3, "cpu1=3"), 0);
	assert_int_equal(n.pbe->act.lifecycle.lost_first_seq, 8);
	assert_int_equal(n.pbe->act.lifecycle.lost_last_seq, 10);
	assert_string_equal(n.pbe->sb.id, "sb-0123456789abcdef");
	assert_int_equal(n.pbe->hdr.seq, 11);
	assert_int_equal(n.pbe->hdr.sandbox_seq, 5);
	assert_int_equal(ev.seq, 5);
	assert_int_equal(wd_sb_lifecycle(&n, NULL, &ev.ctx,
					 WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED, "done"),
			 0);
	assert_int_equal(n.pbe->hdr.sandbox_seq, 6);
	assert_int_equal(counter, 12);
	n.seq = NULL;
	wd_sb_node_close(&n);
}

static void test_node_name(void **state)
{
	struct wd_sb_node n;
	struct utsname u;
	char err[256];

	(void)state;
	assert_int_equal(uname(&u), 0);
	assert_int_equal(wd_sb_node_open(&n, NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(n.name, u.nodename);
	wd_sb_node_close(&n);
	assert_null(n.pc);
}

/* The node's counter that cannot be opened says which and why; the clock offset is measured
 * into the node's context. */
static void test_node_seq_clock(void **state)
{
	struct wd_sb_node n;
	struct wd_event e = {.pid = 1};
	int64_t off, want;
	char err[256] = "";

	(void)state;
	assert_int_equal(wd_sb_node_open(&n, "n", "/nonexistent/wdc/x/seq", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "cannot open the node's event counter /nonexistent/wdc/x/seq: "
				 "No such file or directory");
	assert_null(n.seq);
	assert_null(n.ctx.node_seq);
	wd_sb_node_close(&n);

	assert_int_equal(wd_sb_node_open(&n, "n", NULL, err, sizeof(err)), 0);
	want = (int64_t)(wd_clock_ns(CLOCK_REALTIME) - wd_clock_ns(CLOCK_BOOTTIME));
	off = wd_sb_node_clock(&n);
	assert_int_equal(n.ctx.boot_to_wall_ns, off);
	assert_true(off - want < 1000000000 && want - off < 1000000000);
	/* A record without sinks: nothing to hand over, no error. */
	e.hdr.type = WD_EV_EXEC;
	assert_int_equal(wd_sb_record(&n, NULL, &e, &n.ctx), 0);
	wd_sb_node_close(&n);
}

/* The cgroup hooks' records have no exe and no parent: /proc has them while the process
 * lives; a record that has both is used as it is. */
static void test_fill(void **state)
{
	struct wd_sb_node n;
	struct wd_event e = {.pid = (uint32_t)getpid()}, buf;
	const struct wd_event *out;
	char err[256], exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	assert_true(len > 0);
	exe[len] = '\0';
	assert_int_equal(wd_sb_node_open(&n, "n", NULL, err, sizeof(err)), 0);
	out = wd_sb_fill(&n, &e, &buf);
	assert_ptr_equal(out, &buf);
	assert_string_equal(out->exe, exe);
	assert_int_equal(out->ppid, (uint32_t)getppid());

	snprintf(e.exe, sizeof(e.exe), "/usr/bin/curl");
	e.ppid = 1;
	assert_ptr_equal(wd_sb_fill(&n, &e, &buf), &e);
	e.exe[0] = '\0';
	e.pid = 0; /* no process to ask about */
	assert_ptr_equal(wd_sb_fill(&n, &e, &buf), &e);
	wd_sb_node_close(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_ctx),
		cmocka_unit_test(test_node_name),
		cmocka_unit_test(test_node_seq_clock),
		cmocka_unit_test(test_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
