# warden: one Makefile for the BPF objects, their skeletons, the protobuf-c code, the single
# `warden` binary and the three test tiers. Generated files live in $(OUT), never in git.
# `make V=1` shows the commands.

OUT      ?= build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PROTOC_C ?= protoc-c
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

MAKEFLAGS += --no-builtin-rules
# Parallel by default; sub-makes inherit the jobserver instead of forcing their own.
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

CFLAGS  ?= -O2 -g
# Truncating snprintf is deliberate where it is used (messages), so that warning is off.
WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wno-format-truncation
ALL_CFLAGS := $(CFLAGS) -std=gnu11 -D_GNU_SOURCE -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	$(WARNINGS) -Iinclude -Iuser -I$(OUT)/skel -I$(OUT)/proto -MMD -MP
LDLIBS  := -lbpf -lelf -lz -lprotobuf-c -lyaml -lsqlite3 -lcrypto

# BPF objects: CO-RE against the running kernel's BTF, warnings as errors.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Wno-unused-parameter -Iinclude -Ibpf -I$(OUT) -MMD -MP

BPF_SRCS   := $(wildcard bpf/*.bpf.c) $(wildcard tests/bpf/*.bpf.c)
BPF_OBJS   := $(patsubst %.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst %.bpf.c,$(OUT)/skel/%.skel.h,$(notdir $(BPF_SRCS)))

PROTOS     := $(shell find proto -name '*.proto')
PB_SRCS    := $(patsubst proto/%.proto,$(OUT)/proto/%.pb-c.c,$(PROTOS))
PB_HDRS    := $(PB_SRCS:.c=.h)
PB_OBJS    := $(PB_SRCS:.c=.o)

USER_SRCS  := $(wildcard user/*/*.c)
USER_OBJS  := $(patsubst %.c,$(OUT)/%.o,$(USER_SRCS)) $(OUT)/gen/default_policy.o
LIBWARDEN  := $(OUT)/libwarden.a
WARDEN     := $(OUT)/warden

TESTLIB_OBJS := $(patsubst %.c,$(OUT)/%.o,$(wildcard tests/lib/*.c))
UNIT_TESTS := $(patsubst %.c,$(OUT)/%,$(wildcard tests/unit/test_*.c))
HOST_TESTS := $(patsubst %.c,$(OUT)/%,$(wildcard tests/host/test_*.c))
VM_TESTS   := $(patsubst %.c,$(OUT)/%,$(wildcard tests/vm/test_*.c))
TEST_HELPERS := $(OUT)/tests/helpers/preload.so $(OUT)/tests/helpers/events_writer
# A 32-bit program for the compat ioctl path (tests/helpers/sti32.S): x86_64 machines only.
ifeq ($(shell uname -m),x86_64)
TEST_HELPERS += $(OUT)/tests/helpers/sti32
endif
TESTS      := $(UNIT_TESTS) $(HOST_TESTS) $(VM_TESTS) $(TEST_HELPERS)
# Benchmarks run from bench/*, never from make check; `make tests` builds them so that a change
# that breaks their build is caught before someone needs a figure.
BENCHES    := $(OUT)/bench/evbench $(OUT)/bench/wdbench

.PHONY: all tests check check-unit check-host check-vm run setup clean format format-check
.DEFAULT_GOAL := all
# Skeletons, objects and generated protobuf code are kept, not deleted as intermediates.
.SECONDARY:

all: $(WARDEN)

tests: $(WARDEN) $(TESTS) $(BENCHES)

$(OUT)/vmlinux.h:
	$(call msg,BTF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

# clang -> bpftool gen object (links and strips DWARF) -> bpftool gen skeleton.
$(OUT)/%.bpf.o: %.bpf.c $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(OUT)/skel/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUT)/skel/%.skel.h: $(OUT)/tests/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Pattern rules with two targets make both in one run.
$(OUT)/proto/%.pb-c.c $(OUT)/proto/%.pb-c.h: proto/%.proto
	$(call msg,PROTOC-C,$<)
	$(Q)mkdir -p $(OUT)/proto
	$(Q)$(PROTOC_C) -Iproto --c_out=$(OUT)/proto $<

# The default policy is embedded in the binary, byte for byte.
$(OUT)/gen/default_policy.c: policies/default.yaml
	$(call msg,EMBED,$<)
	$(Q)mkdir -p $(@D)
	$(Q){ echo '/* Generated from $< by the Makefile. */'; \
	  echo 'const char wd_default_policy[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const unsigned int wd_default_policy_len = sizeof(wd_default_policy);'; } > $@.tmp
	$(Q)mv $@.tmp $@

$(OUT)/gen/%.o: $(OUT)/gen/%.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/proto/%.pb-c.o: $(OUT)/proto/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-error -c $< -o $@

# Generated headers must exist before any C file that may include them is compiled; -MMD then
# records the real dependencies, so editing any header rebuilds exactly what includes it.
$(OUT)/%.o: %.c | $(SKELS) $(PB_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# Tests see the harness too.
$(OUT)/tests/%.o: ALL_CFLAGS += -Itests/lib

$(LIBWARDEN): $(USER_OBJS) $(PB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(WARDEN): $(OUT)/user/main.o $(LIBWARDEN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link tests/lib too: the event fixtures, and the events the syslog sink's test
# builds as the host test does (event_parts.c).
$(OUT)/tests/unit/%: $(OUT)/tests/unit/%.o $(TESTLIB_OBJS) $(LIBWARDEN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(OUT)/tests/host/%: $(OUT)/tests/host/%.o $(TESTLIB_OBJS) $(LIBWARDEN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/tests/vm/%: $(OUT)/tests/vm/%.o $(TESTLIB_OBJS) $(LIBWARDEN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/tests/helpers/%.so: tests/helpers/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $<

# The synthetic events of tests/lib/events_fixture.c through the real sinks, for host tests.
$(OUT)/tests/helpers/events_writer: $(OUT)/tests/helpers/events_writer.o $(TESTLIB_OBJS) $(LIBWARDEN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# No libc, so no i386 libraries needed: binutils assembles and links it for i386.
$(OUT)/tests/helpers/%: tests/helpers/%.S
	$(call msg,AS32,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -nostdlib -static -o $@ $<

BENCH_CFLAGS := $(filter-out -MMD -MP,$(ALL_CFLAGS))

$(OUT)/bench/evbench: $(wildcard bench/evbench/*.[ch]) $(LIBWARDEN) $(OUT)/skel/bench_events.skel.h
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $(filter %.c,$^) $(LIBWARDEN) $(LDLIBS) -lpthread

$(OUT)/bench/wdbench: $(wildcard bench/wdbench/*.[ch])
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $(filter %.c,$^)

setup:
	$(Q)scripts/setup

# The README's run command: warden's main job (a demo job in a sandbox) on its embedded default.
run: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)WARDEN=$(WARDEN) scripts/run-demo

# The README's test command: three tiers, then one total line.
check: setup
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)OUT=$(OUT) tests/check all

check-unit check-host check-vm: tests
	$(Q)OUT=$(OUT) tests/check $(@:check-%=%)

format:
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror

clean:
	$(Q)rm -rf $(OUT)

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
