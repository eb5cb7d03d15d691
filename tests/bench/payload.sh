#!/bin/sh
# Runs inside the test bed guest (busybox sh; the guest has no bash) for
# tests/bench/run.sh. Alternating rounds in ONE boot, so every configuration
# sees the same kernel, the same memory layout and the same -icount clock:
#   for each round: untraced, CONFIG1, untraced, CONFIG2, ...
# Each run times only the workload (timeit around vmm, inside whatever tracer
# is attached) and prints one tagged line the host parses:
#   BENCH-RUN config=C round=R elapsed_ns=N status=S ioctl_ns=T irq_work=W
# plus BENCH-KVMSR / BENCH-BT lines (what the tracer reported) and
# BENCH-FAIL lines. A configuration that fails once is skipped afterwards (a
# bpftrace attach error would fail identically every round) and the payload
# exits non-zero, so the host never reports a broken configuration silently.
# /bench/env sets ROUNDS, ITERS, VCPUS, CONFIGS, ATTACH_TIMEOUT.
# No set -e: every failure is caught, reported and counted explicitly.
# busybox ash has pipefail; POSIX sh does not, hence the directive.
# shellcheck disable=SC3040
set -u -o pipefail
# shellcheck source=/dev/null # written by run.sh into the initramfs
. /bench/env
# shellcheck source=tests/bench/guest-lib.sh # copied there by run.sh
. /bench/guest-lib.sh

# IRQ-work IPIs so far, all CPUs: a BPF ring buffer wakes its reader through
# irq_work, so this counts the wakeups a tracer forced (plus attach/detach).
irq_work() {
	awk '/IRQ work/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts
}
# The last field of every BENCH-RUN line: IRQ work since start_run.
# shellcheck disable=SC2317 # called by result
irq_work_since() { echo "irq_work=$(($(irq_work) - iw0))"; }
start_run() {
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	iw0=$(irq_work)
}

# The reference: the same timeit + vmm with nothing attached.
run_untraced() {
	start_run
	# shellcheck disable=SC2086 # $VMM is a word list on purpose
	$VMM || true
	result untraced "$1" irq_work_since
}

# kvmsr stat: its one JSON report is printed after the command exits, i.e.
# outside the timed region, so a file costs the same as /dev/null and keeps
# the event and lost-record counts.
run_stat() {
	start_run
	# shellcheck disable=SC2086 # STAT_ARGS is a word list
	kvmsr_timed stat "$1" /tmp/kvmsr.out stat --json ${STAT_ARGS:-} &&
		result stat "$1" irq_work_since
}

# kvmsr stat --sample 0: the counting bpftrace (a) does (loads, puts, the
# loaded-time histogram), nothing sampled: the same job, side by side.
run_stat_s0() {
	start_run
	# shellcheck disable=SC2086 # STAT_ARGS is a word list
	kvmsr_timed stat-s0 "$1" /tmp/kvmsr.out stat --json --sample 0 ${STAT_ARGS:-} &&
		result stat-s0 "$1" irq_work_since
}

# kvmsr trace --json: every event is formatted and written while the workload
# runs, to /dev/null as specified (so its summary line is lost; see
# run_trace_tail for the counts).
run_trace() {
	start_run
	# shellcheck disable=SC2086 # TRACE_ARGS is a word list
	kvmsr_timed trace "$1" /dev/null trace --json ${TRACE_ARGS:-} &&
		result trace "$1" irq_work_since
}

# kvmsr record: every event to a file (the guest's RAM), with the analysis
# stat --exact does; its JSON report (events, lost records) after the run.
run_record() {
	start_run
	rm -f /tmp/bench.kvmsr
	kvmsr_timed record "$1" /tmp/kvmsr.out record --json -o /tmp/bench.kvmsr &&
		result record "$1" irq_work_since
	rm -f /tmp/bench.kvmsr
}

# One extra run of trace --json, after the rounds, with its stdout piped to
# `tail -n 1`: the NDJSON summary (events, lost records) is the last line.
# Not a file: 20000 iterations make ~600 MB of NDJSON, too much for the
# guest's RAM next to bpftrace's root. Reported apart from the /dev/null
# runs, since the reader costs something too.
run_trace_tail() {
	start_run
	# shellcheck disable=SC2086
	kvmsr trace --json ${TRACE_ARGS:-} -- $VMM 2>/tmp/kvmsr.err | tail -n 1 >/tmp/kvmsr.out
	rc=$? # pipefail: kvmsr's status unless tail failed
	tag "BENCH-KVMSR trace-tail 1" /tmp/kvmsr.out
	tag "BENCH-KVMSR-ERR trace-tail 1" /tmp/kvmsr.err
	if [ $rc != 0 ]; then
		fail trace-tail 1 "kvmsr-rc-$rc"
		return
	fi
	result trace-tail 1 irq_work_since
}

# bpftrace runs system-wide in the background: wait for its attached_probes
# record, time the workload, then SIGINT makes it print its maps and exit.
run_bpftrace() { # CONFIG ROUND SCRIPT
	start_run
	bpftrace -f json "$3" >/tmp/bt.out 2>&1 &
	bp=$!
	i=0
	while ! grep -q '"attached_probes"' /tmp/bt.out; do
		if ! kill -0 $bp 2>/dev/null || [ $i -ge $((ATTACH_TIMEOUT * 10)) ]; then
			kill -KILL $bp 2>/dev/null
			wait $bp
			tag "BENCH-BT $1 $2" /tmp/bt.out
			fail "$1" "$2" "bpftrace-attach"
			return
		fi
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	$VMM || true
	if [ -n "${PROG_STATS_ON:-}" ]; then
		progstats >/tmp/ps.out 2>&1
		tag "BENCH-PROGSTATS $1 $2" /tmp/ps.out
	fi
	kill -INT $bp
	i=0
	while kill -0 $bp 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $bp 2>/dev/null
	wait $bp
	rc=$?
	tag "BENCH-BT $1 $2" /tmp/bt.out
	if [ $rc != 0 ]; then
		fail "$1" "$2" "bpftrace-rc-$rc"
		return
	fi
	# Attached but counted nothing would be a silently broken baseline.
	if ! grep -q '"@loads": {"' /tmp/bt.out; then
		fail "$1" "$2" "bpftrace-saw-no-loads"
		return
	fi
	result "$1" "$2" irq_work_since
}

run_config() { # CONFIG ROUND
	case $1 in
	stat) run_stat "$2" ;;
	stat-s0) run_stat_s0 "$2" ;;
	trace) run_trace "$2" ;;
	record) run_record "$2" ;;
	bpftrace-a) run_bpftrace "$1" "$2" /bench/bpftrace-a.bt ;;
	bpftrace-b) run_bpftrace "$1" "$2" /bench/bpftrace-b.bt ;;
	*) fail "$1" "$2" "unknown-config" ;;
	esac
}

# One more run of each configuration after the rounds, with the kernel's
# BPF statistics on: each program's runs and run time, and the records
# that reached kvmsr (KVMSR_PROG_STATS=1: on kvmsr's stderr, BENCH-KVMSR-ERR
# CONFIG+stats 1 kvmsr: prog-stats ...; bpftrace's through progstats).
# Apart from the measured rounds, because the statistics cost two clock
# reads per program run, and with ONE vCPU: under -icount the CPUs share one
# clock that counts the instructions of all of them, and QEMU runs them in
# turn, so a program on one CPU when QEMU switches to the other is charged
# all the other ran until it switches back.  With two busy vCPUs that made
# a program's ns per hit vary 2.5x between identical runs; with one, the
# other CPU is idle (sleep=off: it runs nothing) and a program's run time
# is its own.  Their reference is an untraced run with one vCPU.
VMM1="/tmp/settle timeit /tmp/time /tmp/vmm.out vmm --iters $ITERS --vcpus 1 --timeout 3600"

run_untraced_1vcpu() {
	start_run
	# shellcheck disable=SC2086 # $VMM1 is a word list on purpose
	$VMM1 || true
	result untraced-1vcpu 1 irq_work_since
}

run_prog_stats() { # CONFIG
	ps_c=$1+stats
	ps_vmm=$VMM
	VMM=$VMM1
	export KVMSR_PROG_STATS=1
	start_run
	# shellcheck disable=SC2086 # word lists
	case $1 in
	# --sample 100: the accessor probes for the whole run (a 1-vCPU run
	# would fall between two windows), their cost per hit and hits per
	# iteration; the default attaches them a tenth of the time.
	stat) kvmsr_timed "$ps_c" 1 /tmp/kvmsr.out stat --json ${STAT_ARGS:-} --sample 100 ;;
	stat-s0) kvmsr_timed "$ps_c" 1 /tmp/kvmsr.out stat --json --sample 0 ${STAT_ARGS:-} ;;
	trace) kvmsr_timed "$ps_c" 1 /dev/null trace --json ${TRACE_ARGS:-} ;;
	record) kvmsr_timed "$ps_c" 1 /tmp/kvmsr.out record --json -o /tmp/bench.kvmsr ;;
	esac && result "$ps_c" 1 irq_work_since
	rm -f /tmp/bench.kvmsr
	unset KVMSR_PROG_STATS
	VMM=$ps_vmm
}

# The same for bpftrace: the sysctl on, its programs read by progstats
# while it is still attached (BENCH-PROGSTATS CONFIG+stats 1 prog-stats ...).
run_bt_prog_stats() { # CONFIG
	ps_vmm=$VMM
	VMM=$VMM1
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	PROG_STATS_ON=1
	run_bpftrace "$1+stats" 1 "/bench/$1.bt"
	PROG_STATS_ON=
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
	VMM=$ps_vmm
}

echo "BENCH-INFO kernel=$(uname -r) iters=$ITERS vcpus=$VCPUS rounds=$ROUNDS configs=$(echo "$CONFIGS" | tr ' ' ,)"
echo "BENCH-INFO bpftrace=$(bpftrace --version 2>&1 | head -n 1)"
run_rounds
case " $CONFIGS " in *" trace "*) is_broken trace || run_trace_tail ;; esac
run_untraced_1vcpu
for c in $CONFIGS; do
	is_broken "$c" && continue
	case $c in
	stat | stat-s0 | trace | record) run_prog_stats "$c" ;;
	bpftrace-*) run_bt_prog_stats "$c" ;;
	esac
done
finish
