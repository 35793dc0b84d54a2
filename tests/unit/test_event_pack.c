// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the packer (user/event/pack.c). Its bytes are protobuf-c's for the full conversion,
 * event after event, across contexts, cgroups, rules and policy changes; a process is packed
 * once and looked up again as soon as its bytes could be wrong; too small a buffer is refused
 * with the seq the event took. */
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

#include "event/event.h"
#include "events_fixture.h"

static char *json_of(const uint8_t *buf, size_t len)
{
	Warden__V1__Event *m = warden__v1__event__unpack(NULL, len, buf);
	uint8_t again[WD_PB_RECORD_MAX];
	char *out = NULL;
	size_t size = 0;
	FILE *fp;

	assert_non_null(m);
	/* Each field came once: packing what was read gives as many bytes (a field sent twice
	 * would have been merged into one, and come out shorter). */
	assert_int_equal(warden__v1__event__pack(m, again), len);
	fp = open_memstream(&out, &size);
	wd_pb_event_json(fp, m);
	fclose(fp);
	warden__v1__event__free_unpacked(m, NULL);
	return out;
}

/* The packer's message (the parts packed once per context generation, the rest by pb/enc.c)
 * is the full conversion packed by protobuf-c, byte for byte, event after event, across
 * contexts, cgroups, rules and a policy change. */
static const char *rule_v2(void *arg, uint32_t id)
{
	return id == 7 ? "p.yaml:9:1 exec deny /opt/" : id == 8 ? "p.yaml:10:1 read allow /" : NULL;
}

static void packer_same_as_full(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_pb_packer *pk = wd_pb_packer_new();
	static const struct wd_label other_labels[] = {{"job", "\xff"
							       "7"}};
	struct wd_event_ctx other = f->ctx;
	uint64_t other_seq = 0;
	struct {
		unsigned type, dec, hook, rule;
		uint64_t cg;
	} ev[] = {
		{WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM, 7, 4242},
		{WD_EV_FILE, WD_DEC_ALLOW, WD_HOOK_FILE_OPEN, 8, 4242},
		{WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN, WD_RULE_DEFAULT, 4242},
		{WD_EV_CONFINE, WD_DEC_DENY, WD_HOOK_FILE_OPEN, WD_RULE_DEFAULT, 4242},
		{WD_EV_CONFINE, WD_DEC_DENY, WD_HOOK_BPF, WD_RULE_DEFAULT, 4243},
		{WD_EV_CONNECT, WD_DEC_AUDIT_DENY, WD_HOOK_CONNECT4, 7, 0},
		{WD_EV_MMAP, WD_DEC_ALLOW, WD_HOOK_MPROTECT, 8, 4243},
		{WD_EV_SOCKET, WD_DEC_DENY, WD_HOOK_SOCK_CREATE, 7, 4242},
		{WD_EV_LOST, 0, 0, 0, 4242},
	};
	uint8_t buf[WD_PB_RECORD_MAX];

	assert_non_null(pk);
	other.identity = "bot:\xc3(deploy";
	other.labels = other_labels;
	other.n_labels = 1;
	other.sandbox_id = "sb-other";
	other.sandbox_seq = &other_seq;
	f->ctx.gen = wd_event_ctx_gen();
	other.gen = wd_event_ctx_gen();
	assert_true(other.gen != f->ctx.gen);
	for (int round = 0; round < 4; round++) {
		if (round == 2) { /* a new policy: new rule texts, a new generation */
			f->ctx.rule_text = rule_v2;
			f->ctx.gen = wd_event_ctx_gen();
		}
		if (round == 3) /* no generation: nothing kept */
			f->ctx.gen = 0;
		for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
			struct wd_event_ctx *c = i % 2 ? &other : &f->ctx;
			struct wd_event e = wt_ev_record(ev[i].type, ev[i].dec, ev[i].hook);
			uint64_t n0 = f->node_seq, s0 = *c->sandbox_seq, seq;
			char *fast, *full;
			size_t len;

			e.rule_id = ev[i].rule;
			e.cgroup_id = ev[i].cg;
			e.lost = 3;
			strcpy(e.path, "/etc/shadow");
			assert_int_equal(wd_event_pack(pk, &e, c, buf, sizeof(buf), &len, &seq), 0);
			assert_int_equal(seq, f->node_seq);
			fast = json_of(buf, len);
			f->node_seq = n0;
			*c->sandbox_seq = s0;
			assert_int_equal(wd_event_to_pb(&e, c, f->pe), 0);
			/* Byte for byte what protobuf-c packs for the whole event. */
			assert_int_equal(warden__v1__event__pack(&f->pe->ev, f->buf), len);
			assert_memory_equal(f->buf, buf, len);
			full = json_of(f->buf, len);
			assert_string_equal(fast, full);
			if (round == 2 && i == 0)
				assert_non_null(strstr(fast, "exec deny /opt/"));
			free(fast);
			free(full);
		}
	}
	wd_pb_packer_free(pk);
}

/* A /proc that a test changes, behind warden's pid cache; lookups counted. */
struct proc_table {
	struct wd_proc_cache *cache;
	char make_exe[32];
	uint64_t sh_start;
	unsigned lookups;
};

static int table_read(void *arg, uint32_t pid, struct wd_proc_info *out)
{
	struct proc_table *t = arg;
	const struct wd_proc_info *res;
	int err = wt_ev_proc(NULL, pid, out, &res);

	if (!err && pid == 10)
		strcpy(out->exe, t->make_exe);
	if (!err && pid == 12)
		out->start_ticks = t->sh_start;
	return err;
}

static int table_lookup(void *arg, uint32_t pid, struct wd_proc_info *buf,
			const struct wd_proc_info **out)
{
	struct proc_table *t = arg;

	t->lookups++;
	return wd_proc_cache_lookup(t->cache, pid, buf, out);
}

/* Packs @e both ways; the packer's bytes must be protobuf-c's for the full conversion. */
static void pack_check(struct wt_ev_fixture *f, struct wd_pb_packer *pk, const struct wd_event *e,
		       const char *want)
{
	uint8_t buf[WD_PB_RECORD_MAX];
	uint64_t n0 = f->node_seq, s0 = f->sb_seq, seq;
	size_t len;
	char *fast;

	assert_int_equal(wd_event_pack(pk, e, &f->ctx, buf, sizeof(buf), &len, &seq), 0);
	f->node_seq = n0;
	f->sb_seq = s0;
	assert_int_equal(wd_event_to_pb(e, &f->ctx, f->pe), 0);
	assert_int_equal(warden__v1__event__pack(&f->pe->ev, f->buf), len);
	fast = json_of(buf, len);
	if (want && !strstr(fast, want))
		fail_msg("'%s' not in %s", want, fast);
	assert_memory_equal(f->buf, buf, len);
	free(fast);
}

/* A process is packed once and its bytes reused, and looked up again as soon as they could be
 * wrong: the pid cache changed, the record names another thread, command or parent, the event
 * is later than the cache's lifetime or earlier than the process's start, the context changed.
 * Always byte for byte the full conversion. */
static void packer_keeps_processes(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_pb_packer *pk = wd_pb_packer_new();
	struct proc_table t = {.sh_start = 50};
	struct wd_event e = wt_ev_record(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_CONNECT4);
	long hz = sysconf(_SC_CLK_TCK);
	unsigned n;

	assert_non_null(pk);
	strcpy(t.make_exe, "/usr/bin/make");
	t.cache = wd_proc_cache_new(60000);
	assert_non_null(t.cache);
	wd_proc_cache_set_reader(t.cache, table_read, &t);
	wd_proc_cache_ctx(t.cache, &f->ctx);
	assert_non_null(f->ctx.proc_gen);
	assert_true(f->ctx.proc_keep_ns == 60000000000ull);
	f->ctx.proc_lookup = table_lookup;
	f->ctx.proc_lookup_arg = &t;
	f->ctx.gen = wd_event_ctx_gen();
	e.ppid = 10;

	pack_check(f, pk, &e, "/usr/bin/make");
	n = t.lookups / 2;	/* the packer's and the full conversion's */
	assert_int_equal(n, 3); /* sh, its parent make, and warden outside the sandbox */
	e.hdr.ktime_ns += 1000;
	pack_check(f, pk, &e, "/usr/bin/make");
	pack_check(f, pk, &e, "/usr/bin/make");
	assert_int_equal(t.lookups, 4 * n); /* the full conversions' only: none to pack */

	/* /proc changed but the cache does not know yet: the cache's answer stands, kept. */
	strcpy(t.make_exe, "/opt/evil");
	pack_check(f, pk, &e, "/usr/bin/make");
	/* The parent execed: forgotten, looked up again. */
	wd_proc_cache_forget(t.cache, 10);
	t.lookups = 0;
	pack_check(f, pk, &e, "/opt/evil");
	assert_int_equal(t.lookups, 2 * n);

	/* Another thread, command, parent, uid: each its own lookup. */
	for (int i = 0; i < 4; i++) {
		struct wd_event o = e;

		if (i == 0)
			o.tid += 64; /* a thread that may share the packer's slot */
		if (i == 1)
			strcpy(o.comm, "curl");
		if (i == 2)
			o.ppid = 9;
		if (i == 3)
			o.uid = 0;
		t.lookups = 0;
		pack_check(f, pk, &o, NULL);
		assert_true(t.lookups > n);
		pack_check(f, pk, &e, NULL);
	}

	/* A parent that /proc does not know (gone, or a failed read) or that started after the
	 * event: nothing kept, looked up again each time. */
	for (int i = 0; i < 2; i++) {
		struct wd_event o = e;

		o.ppid = i ? 77 : 11;
		pack_check(f, pk, &o, NULL);
		t.lookups = 0;
		pack_check(f, pk, &o, NULL);
		assert_int_equal(t.lookups, 2 * 2);
	}

	/* Later than the pid cache's lifetime in event time: looked up again. */
	t.lookups = 0;
	e.hdr.ktime_ns += 60000000000ull;
	pack_check(f, pk, &e, NULL);
	assert_int_equal(t.lookups, 2 * n);

	/* A new context generation: looked up again. */
	f->ctx.gen = wd_event_ctx_gen();
	t.lookups = 0;
	pack_check(f, pk, &e, NULL);
	assert_int_equal(t.lookups, 2 * n);

	/* An event from before the process started (sh's pid then was another process's): the
	 * kept bytes, which name this process, are not used for it. */
	if (hz > 0) {
		struct wd_event early = e;

		wd_proc_cache_forget(t.cache, 12);
		t.sh_start = (e.hdr.ktime_ns / 1000000000ull) * (uint64_t)hz;
		pack_check(f, pk, &e, NULL);
		assert_true(f->pe->proc.exec_id[0] != '\0');
		pack_check(f, pk, &e, NULL);
		early.hdr.ktime_ns = 1000000000ull;
		t.lookups = 0;
		pack_check(f, pk, &early, NULL);
		assert_true(t.lookups > 0);
		assert_string_equal(f->pe->proc.exec_id, "");
	} else {
		print_message("no clock ticks per second: pid reuse case not run\n");
	}

	/* Without a generation of the lookups, nothing is kept. */
	f->ctx.proc_gen = NULL;
	t.lookups = 0;
	pack_check(f, pk, &e, NULL);
	assert_int_equal(t.lookups, 2 * n);
	wd_pb_packer_free(pk);
	wd_proc_cache_free(t.cache);
}

/* Too small a buffer: refused, and the seq the event took is reported so its gap can be. */
static void packer_too_big(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_pb_packer *pk = wd_pb_packer_new();
	struct wd_event e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
	uint8_t buf[64];
	uint64_t seq;
	size_t len = 1;

	f->ctx.gen = wd_event_ctx_gen();
	assert_int_equal(wd_event_pack(pk, &e, &f->ctx, buf, sizeof(buf), &len, &seq), -EMSGSIZE);
	assert_int_equal(seq, 1);
	assert_int_equal(len, 0);
	e.hdr.version = WD_ABI_VERSION + 1;
	assert_int_equal(wd_event_pack(pk, &e, &f->ctx, buf, sizeof(buf), &len, &seq), -EINVAL);
	assert_int_equal(seq, 0);
	wd_pb_packer_free(pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(packer_same_as_full, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(packer_keeps_processes, wt_ev_setup,
						wt_ev_teardown),
		cmocka_unit_test_setup_teardown(packer_too_big, wt_ev_setup, wt_ev_teardown),
	};

	return cmocka_run_group_tests_name("event_pack", tests, NULL, NULL);
}
