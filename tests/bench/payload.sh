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
dmesg -n 1 # keep kernel messages from interleaving with our lines

# The vmm's watchdog counts from its start: give slow traced runs room.
# Every timed run starts with /tmp/settle: one idle second lets deferred work
# of the previous tracer's attach or teardown (RCU callbacks, trampoline
# frees) finish outside the measurement. Under -icount,sleep=off an idle
# guest skips ahead to its next timer, so the second costs no host time.
VMM="/tmp/settle timeit /tmp/time /tmp/vmm.out vmm --iters $ITERS --vcpus $VCPUS --timeout 3600"
printf '#!/bin/sh\nsleep 1\nexec "$@"\n' >/tmp/settle
chmod 755 /tmp/settle
broken=" "
status=0

tag() { sed "s/^/$1 /" "$2"; }
# IRQ-work IPIs so far, all CPUs: a BPF ring buffer wakes its reader through
# irq_work, so this counts the wakeups a tracer forced (plus attach/detach).
irq_work() {
	awk '/IRQ work/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts
}
fail() { # CONFIG ROUND REASON
	echo "BENCH-FAIL config=$1 round=$2 reason=$3"
	broken="$broken$1 "
	status=1
}
is_broken() {
	case $broken in *" $1 "*) return 0 ;; esac
	return 1
}

# result CONFIG ROUND: validate the timed vmm run and print its BENCH-RUN line.
result() {
	if ! grep -q '^vmm: ok$' /tmp/vmm.out || [ ! -s /tmp/time ]; then
		tag "BENCH-VMM $1 $2" /tmp/vmm.out
		fail "$1" "$2" "vmm-not-ok"
		return 1
	fi
	# Sum of the vCPUs' time inside KVM_RUN: a second view of the same run.
	ioctl=$(sed -n 's/.* ioctl_ns=\([0-9]*\) .*/\1/p' /tmp/vmm.out | awk '{ s += $1 } END { print s + 0 }')
	echo "BENCH-RUN config=$1 round=$2 $(cat /tmp/time) ioctl_ns=$ioctl irq_work=$(($(irq_work) - iw0))"
}

# The reference: the same timeit + vmm with nothing attached.
run_untraced() {
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	iw0=$(irq_work)
	# shellcheck disable=SC2086 # $VMM is a word list on purpose
	$VMM || true
	result untraced "$1"
}

# kvmsr stat: its one JSON report is printed after the command exits, i.e.
# outside the timed region, so a file costs the same as /dev/null and keeps
# the event and lost-record counts.
run_stat() {
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	iw0=$(irq_work)
	# shellcheck disable=SC2086
	# shellcheck disable=SC2086 # STAT_ARGS is a word list
	kvmsr stat --json ${STAT_ARGS:-} -- $VMM >/tmp/kvmsr.out 2>/tmp/kvmsr.err
	rc=$?
	tag "BENCH-KVMSR stat $1" /tmp/kvmsr.out
	tag "BENCH-KVMSR-ERR stat $1" /tmp/kvmsr.err
	if [ $rc != 0 ]; then
		tag "BENCH-VMM stat $1" /tmp/vmm.out
		fail stat "$1" "kvmsr-rc-$rc"
		return
	fi
	result stat "$1"
}

# kvmsr trace --json: every event is formatted and written while the workload
# runs, to /dev/null as specified (so its summary line is lost; see
# run_trace_tail for the counts).
run_trace() {
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	iw0=$(irq_work)
	# shellcheck disable=SC2086
	kvmsr trace --json -- $VMM >/dev/null 2>/tmp/kvmsr.err
	rc=$?
	tag "BENCH-KVMSR-ERR trace $1" /tmp/kvmsr.err
	if [ $rc != 0 ]; then
		tag "BENCH-VMM trace $1" /tmp/vmm.out
		fail trace "$1" "kvmsr-rc-$rc"
		return
	fi
	result trace "$1"
}

# One extra run of trace --json, after the rounds, with its stdout piped to
# `tail -n 1`: the NDJSON summary (events, lost records) is the last line.
# Not a file: 20000 iterations make ~600 MB of NDJSON, too much for the
# guest's RAM next to bpftrace's root. Reported apart from the /dev/null
# runs, since the reader costs something too.
run_trace_tail() {
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	iw0=$(irq_work)
	# shellcheck disable=SC2086
	kvmsr trace --json -- $VMM 2>/tmp/kvmsr.err | tail -n 1 >/tmp/kvmsr.out
	rc=$? # pipefail: kvmsr's status unless tail failed
	tag "BENCH-KVMSR trace-tail 1" /tmp/kvmsr.out
	tag "BENCH-KVMSR-ERR trace-tail 1" /tmp/kvmsr.err
	if [ $rc != 0 ]; then
		fail trace-tail 1 "kvmsr-rc-$rc"
		return
	fi
	result trace-tail 1
}

# bpftrace runs system-wide in the background: wait for its attached_probes
# record, time the workload, then SIGINT makes it print its maps and exit.
run_bpftrace() { # CONFIG ROUND SCRIPT
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	iw0=$(irq_work)
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
	result "$1" "$2"
}

run_config() { # CONFIG ROUND
	case $1 in
	stat) run_stat "$2" ;;
	trace) run_trace "$2" ;;
	bpftrace-a) run_bpftrace "$1" "$2" /bench/bpftrace-a.bt ;;
	bpftrace-b) run_bpftrace "$1" "$2" /bench/bpftrace-b.bt ;;
	*) fail "$1" "$2" "unknown-config" ;;
	esac
}

echo "BENCH-INFO kernel=$(uname -r) iters=$ITERS vcpus=$VCPUS rounds=$ROUNDS configs=$(echo "$CONFIGS" | tr ' ' ,)"
echo "BENCH-INFO bpftrace=$(bpftrace --version 2>&1 | head -n 1)"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		is_broken untraced && break # no reference, no ratios
		is_broken "$c" && continue
		run_untraced "$r"
		run_config "$c" "$r"
	done
	echo "BENCH-ROUND $r done at $(cut -d' ' -f1 /proc/uptime)s guest uptime"
	r=$((r + 1))
done
case " $CONFIGS " in *" trace "*) is_broken trace || run_trace_tail ;; esac
# A kernel WARNING or BUG during the runs is worth knowing about.
dmesg | grep -E 'WARNING|BUG|Oops|RCU stall' | sed 's/^/BENCH-DMESG /'
exit $status
