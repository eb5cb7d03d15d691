# kvmsr build.  `make` builds for this machine, `make ARCH=arm64` a static
# aarch64 binary from the same sources; output goes to build/<arch>/.
# The BPF half is one CO-RE object for every arm64 kernel, embedded in the
# binary through a bpftool skeleton.

HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/' -e 's/x86_64/x86/')
ARCH ?= $(HOST_ARCH)
ifeq ($(ARCH),aarch64)
override ARCH := arm64
endif

BUILD := build/$(ARCH)
# make SANITIZE=1 ...: the same targets with ASan+UBSan, any report fatal,
# into build/asan/ (host only; tests/fuzz/run.sh runs the unit tests and
# every fixture's report with them).
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifneq ($(SANITIZE),)
BUILD := build/asan
endif
BPF_BUILD := build/bpf
CLANG ?= clang
BPFTOOL ?= bpftool

ifeq ($(ARCH),$(HOST_ARCH))
CC := gcc
PKG_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
LDFLAGS ?=
else ifeq ($(ARCH),arm64)
CC := aarch64-linux-gnu-gcc
PKG_LIBS := -lbpf -lelf -lz
LDFLAGS ?= -static
else
$(error unsupported ARCH=$(ARCH): use the host's or arm64)
endif

CFLAGS ?= -O2 -g
ifneq ($(SANITIZE),)
ifneq ($(ARCH),$(HOST_ARCH))
$(error SANITIZE=1 is for the host's ARCH only)
endif
CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -I$(BPF_BUILD) -Isrc
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_arm64 -Wall -Werror -Iinclude \
	-I/usr/include/$(shell uname -m)-linux-gnu

# src/ in layers, each calling only those below it (docs/design.md):
# cli -> probe, output -> analysis -> recording -> symbols.
SYMBOLS_SRCS := src/symbols/ksyms.c src/symbols/regnames.c src/symbols/symbolize.c \
	src/symbols/keymap.c src/symbols/vmident.c
RECORDING_SRCS := src/recording/file.c src/recording/outfile.c
ANALYZER_SRCS := src/analysis/analyzer.c src/analysis/regclass.c src/symbols/keymap.c
ANALYSIS_SRCS := $(ANALYZER_SRCS) src/analysis/findings.c src/analysis/reorder.c src/analysis/stream_filter.c
OUTPUT_SRCS := src/output/json_writer.c src/output/text.c src/output/event_types.c \
	src/output/event_fmt.c src/output/summary.c src/output/finding_fmt.c \
	src/output/context_fmt.c src/output/perfetto.c src/output/metrics.c src/output/http.c \
	src/output/hidden_fmt.c
PROBE_SRCS := src/probe/session.c src/probe/targets.c src/probe/agg.c src/probe/sysinfo.c \
	src/probe/guest.c
CLI_SRCS := src/cli/main.c src/cli/runner.c src/cli/pipeline.c src/cli/cmd_check.c src/cli/cmd_trace.c \
	src/cli/cmd_stat.c src/cli/cmd_serve.c src/cli/cmd_record.c src/cli/cmd_report.c src/cli/privs.c \
	src/recording/recorder.c
USER_SRCS := $(CLI_SRCS) $(PROBE_SRCS) $(OUTPUT_SRCS) $(ANALYSIS_SRCS) $(RECORDING_SRCS) \
	$(SYMBOLS_SRCS)
UNIT_SRCS := tests/unit/unit_main.c tests/unit/test_analyzer.c tests/unit/test_format.c \
	tests/unit/test_regnames.c tests/unit/test_detect.c tests/unit/test_ksyms.c \
	tests/unit/test_recording.c tests/unit/test_context.c tests/unit/test_replay.c \
	tests/unit/test_replay_masked.c tests/unit/test_outfile.c tests/unit/test_hostile.c \
	tests/unit/test_hostile_vcpus.c tests/unit/test_http.c tests/unit/test_reorder.c \
	tests/unit/test_trapnames.c tests/unit/test_vmident.c \
	$(ANALYSIS_SRCS) $(OUTPUT_SRCS) $(RECORDING_SRCS) $(SYMBOLS_SRCS) src/probe/sysinfo.c \
	src/recording/recorder.c
SRC_HDRS := $(wildcard src/*/*.h)

KVMSR := $(BUILD)/kvmsr
UNIT := $(BUILD)/unit-tests
VMM := build/arm64/vmm

.PHONY: deb all deps fuzz fuzz-build asan-build test test-kernel test-selftests unit unit-build e2e demo bench bench-analyzer bench-kernel bench-realvm clean install
all: $(KVMSR)

# One translation unit: bpf/kvmsr.bpf.c includes the other bpf/ pieces
# (why not `bpftool gen object`: see the head of bpf/kvmsr.bpf.c), so the
# object depends on every file in bpf/ and the shared headers in include/.
BPF_SRCS := $(wildcard bpf/*.c bpf/*.h) $(wildcard include/*.h)

$(BPF_BUILD)/kvmsr.bpf.o: bpf/kvmsr.bpf.c $(BPF_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_BUILD)/kvmsr.skel.h: $(BPF_BUILD)/kvmsr.bpf.o
	$(BPFTOOL) gen skeleton $< name kvmsr_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: src/%.c $(SRC_HDRS) $(wildcard include/*.h) $(BPF_BUILD)/kvmsr.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/unit/%.c $(SRC_HDRS) $(wildcard tests/unit/*.h include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -c $< -o $@

$(KVMSR): $(patsubst src/%.c,$(BUILD)/%.o,$(USER_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(PKG_LIBS) -o $@

$(UNIT): $(patsubst tests/unit/%.c,$(BUILD)/tests/%.o,$(filter tests/%,$(UNIT_SRCS))) \
	 $(patsubst src/%.c,$(BUILD)/%.o,$(filter src/%,$(UNIT_SRCS)))
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(PKG_LIBS) -o $@

$(VMM): tests/vmm/vmm.c src/probe/guest.c src/probe/guest.h
	@mkdir -p $(@D)
	aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -Isrc -o $@ tests/vmm/vmm.c src/probe/guest.c

# The kernel tests' own tp_btf recorder/counter on the kernel/ series' bare
# tracepoints (tests/kernel/tpwatch.c): their oracle, apart from kvmsr's code.
$(BPF_BUILD)/tpwatch.bpf.o: tests/kernel/tpwatch.bpf.c tests/kernel/tpwatch.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Itests/kernel -c $< -o $@

$(BPF_BUILD)/tpwatch.skel.h: $(BPF_BUILD)/tpwatch.bpf.o
	$(BPFTOOL) gen skeleton $< name tpwatch_bpf > $@.tmp && mv $@.tmp $@

build/arm64/tpwatch: tests/kernel/tpwatch.c tests/kernel/tpwatch.h $(BPF_BUILD)/tpwatch.skel.h
	@mkdir -p $(@D)
	aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
		-Itests/kernel -I$(BPF_BUILD) -o $@ $< -lbpf -lelf -lz

# A service's uid and ambient capabilities, for tests/serve/privs-test.sh.
build/arm64/runas: tests/serve/runas.c
	@mkdir -p $(@D)
	aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# Slow, idle, malformed and well-behaved /metrics clients (tests/serve/abuse-test.sh).
build/arm64/abuse: tests/serve/abuse.c
	@mkdir -p $(@D)
	aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

build/arm64/kvm_hold: tests/flight/kvm_hold.c
	@mkdir -p $(@D)
	aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# libFuzzer targets (tests/fuzz/): clang with ASan+UBSan, on the host.
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -O1 -g $(SAN_FLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -Isrc
FUZZ_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
# `kvmsr report` whole: its command, the pipeline and every layer below.
FUZZ_REPORT_SRCS := src/cli/cmd_report.c src/cli/pipeline.c $(OUTPUT_SRCS) $(ANALYSIS_SRCS) \
	$(RECORDING_SRCS) $(SYMBOLS_SRCS)
FUZZ_HTTP_SRCS := src/output/http.c
FUZZERS := $(FUZZ_BUILD)/fuzz_report $(FUZZ_BUILD)/fuzz_http
# make fuzz: each target this long (make test runs tests/fuzz/run.sh for 60 s).
FUZZ_SECONDS ?= 600

$(FUZZ_BUILD)/%.o: src/%.c $(SRC_HDRS) $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_report: tests/fuzz/fuzz_report.c $(patsubst src/%.c,$(FUZZ_BUILD)/%.o,$(FUZZ_REPORT_SRCS))
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(FUZZ_LIBS) -o $@

$(FUZZ_BUILD)/fuzz_http: tests/fuzz/fuzz_http.c $(patsubst src/%.c,$(FUZZ_BUILD)/%.o,$(FUZZ_HTTP_SRCS))
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@

fuzz-build: $(FUZZERS)

# kvmsr and the unit tests under ASan+UBSan: build/asan/.
asan-build:
	$(MAKE) --no-print-directory SANITIZE=1 build/asan/kvmsr build/asan/unit-tests

# Every target FUZZ_SECONDS (600) from its corpus (results/fuzz/), seeds and
# saved crashes, then the sanitizer runs: tests/fuzz/run.sh.
fuzz: fuzz-build asan-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

# Packages, then the arm64 kernels of the test matrix into .cache/ (offline once cached).
deps:
	bash tests/bed/deps.sh
	bash tests/bed/kernel.sh 6.1 6.12 7.3 newest >/dev/null

unit-build: $(UNIT)

unit: $(UNIT)
	$(UNIT)

test: deps
	bash tests/run.sh

# Builds kvmsr's patched kernel, newest 7.x (cached; ~12 min cold on 2 cores) and runs
# the tests that need it: tests/kernel/run.sh.
test-kernel: deps $(KVMSR)
	bash tests/kernel/run.sh

# The kernel's own arm64 KVM selftests under kvmsr, with and without it, on
# 7.1, the newest 7.x, the patched kernel and 6.12: tests/selftests/run.sh.
test-selftests: deps
	bash tests/selftests/run.sh

demo: deps
	bash tests/demo.sh

ANALYZER_BENCH := $(BUILD)/analyzer-bench

$(ANALYZER_BENCH): tests/bench/analyzer_bench.c $(ANALYZER_SRCS) src/analysis/analyzer.h $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) tests/bench/analyzer_bench.c $(ANALYZER_SRCS) -o $@

# Replay throughput of the analyzer on this machine, one core.
bench-analyzer: $(ANALYZER_BENCH)
	$(ANALYZER_BENCH)

# Sets itself up (deps, kernel, bpftrace) and boots once for the worst-case
# loop (tests/bench/run.sh), once more for a real VM: Debian's QEMU booting
# a Linux guest with -accel kvm inside the test bed (tests/bench/realvm.sh).
bench: deps bench-analyzer
	bash tests/bench/run.sh; a=$$?; bash tests/bench/realvm.sh; b=$$?; exit $$((a | b))

bench-realvm: deps
	bash tests/bench/realvm.sh

# Cost of the kernel/ tracepoints, off and on: patched vs unpatched lean 7.3,
# one -icount boot each (builds them if needed): see tests/bench/kernel-tp.sh.
bench-kernel:
	bash tests/bench/kernel-tp.sh

# make install [PREFIX=/usr/local] [DESTDIR=...] [UNITDIR=...]: the binary
# of this build (ARCH=arm64 for the aarch64 one), the man page, bash
# completion, the systemd unit (its ExecStart pointed at PREFIX) and the
# Prometheus rules.
PREFIX ?= /usr/local
UNITDIR ?= $(PREFIX)/lib/systemd/system
install: $(KVMSR)
	install -D -m 0755 $(KVMSR) $(DESTDIR)$(PREFIX)/sbin/kvmsr
	install -D -m 0644 docs/kvmsr.8 $(DESTDIR)$(PREFIX)/share/man/man8/kvmsr.8
	install -D -m 0644 docs/completion/kvmsr \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/kvmsr
	install -D -m 0644 docs/prometheus/kvmsr.rules.yml \
		$(DESTDIR)$(PREFIX)/share/doc/kvmsr/prometheus/kvmsr.rules.yml
	mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/kvmsr|$(PREFIX)/sbin/kvmsr|' docs/kvmsr.service \
		> $(DESTDIR)$(UNITDIR)/kvmsr.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kvmsr.service

# make deb: Debian packages of this tree (debian/), for the build machine's
# architecture and for arm64, lintian-checked, into build/deb (tests/deb).
deb:
	bash tests/deb/build.sh

clean:
	rm -rf build
