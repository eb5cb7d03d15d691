#!/bin/sh
# guest-lib.sh -- what the two bench payloads share, tests/bench/payload.sh
# (make bench) and tests/bench/kernel-tp-payload.sh (make bench-kernel).
# Runs inside the test bed guest (busybox sh): run.sh and kernel-tp.sh copy it
# to /bench/guest-lib.sh, and each payload sources it right after /bench/env
# (it needs ITERS and VCPUS). Sourcing it also sets up the timed workload.
# The payload defines run_untraced ROUND and run_config CONFIG ROUND, which
# run_rounds calls.
dmesg -n 1 # keep kernel messages from interleaving with our lines

# The workload, timed by timeit around exactly the vmm. The vmm's watchdog
# counts from its start: give slow traced runs room. Every timed run starts
# with /tmp/settle: one idle second lets deferred work of the previous run or
# tracer's attach or teardown (RCU callbacks, trampoline frees) finish outside
# the measurement. Under -icount,sleep=off an idle guest skips ahead to its
# next timer, so the second costs no host time.
VMM="/tmp/settle timeit /tmp/time /tmp/vmm.out vmm --iters $ITERS --vcpus $VCPUS --timeout 3600"
printf '#!/bin/sh\nsleep 1\nexec "$@"\n' >/tmp/settle
chmod 755 /tmp/settle
broken=" "
status=0

tag() { sed "s/^/$1 /" "$2"; }
fail() { # CONFIG ROUND REASON
	echo "BENCH-FAIL config=$1 round=$2 reason=$3"
	broken="$broken$1 "
	status=1
}
is_broken() {
	case $broken in *" $1 "*) return 0 ;; esac
	return 1
}

# result CONFIG ROUND CMD...: validate the timed vmm run and print its
# BENCH-RUN line, ended by what CMD... prints (run last, after the checks).
result() {
	if ! grep -q '^vmm: ok$' /tmp/vmm.out || [ ! -s /tmp/time ]; then
		tag "BENCH-VMM $1 $2" /tmp/vmm.out
		fail "$1" "$2" "vmm-not-ok"
		return 1
	fi
	# Sum of the vCPUs' time inside KVM_RUN: a second view of the same run.
	ioctl=$(sed -n 's/.* ioctl_ns=\([0-9]*\) .*/\1/p' /tmp/vmm.out | awk '{ s += $1 } END { print s + 0 }')
	echo "BENCH-RUN config=$1 round=$2 $(cat /tmp/time) ioctl_ns=$ioctl $(shift 2 && "$@")"
}

# kvmsr_timed CONFIG ROUND OUT ARG...: the timed `kvmsr ARG... -- $VMM`, its
# stdout to OUT (tagged BENCH-KVMSR unless /dev/null), its stderr tagged
# BENCH-KVMSR-ERR. Fails CONFIG and returns 1 unless kvmsr exited 0.
kvmsr_timed() {
	kt_c=$1 kt_r=$2 kt_o=$3
	shift 3
	# shellcheck disable=SC2086 # $VMM is a word list on purpose
	KVMSR_STREAM_STATS=1 kvmsr "$@" -- $VMM >"$kt_o" 2>/tmp/kvmsr.err
	rc=$?
	[ "$kt_o" = /dev/null ] || tag "BENCH-KVMSR $kt_c $kt_r" "$kt_o"
	tag "BENCH-KVMSR-ERR $kt_c $kt_r" /tmp/kvmsr.err
	[ $rc = 0 ] && return 0
	tag "BENCH-VMM $kt_c $kt_r" /tmp/vmm.out
	fail "$kt_c" "$kt_r" "kvmsr-rc-$rc"
	return 1
}

# Alternating rounds in ONE boot, so that every configuration sees the same
# kernel, memory layout and -icount clock:
#   for each round: untraced, CONFIG1, untraced, CONFIG2, ...
run_rounds() {
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
}

# The end of a payload: a kernel WARNING or BUG during the runs is worth
# knowing about; non-zero if any configuration failed.
finish() {
	dmesg | grep -E 'WARNING|BUG|Oops|RCU stall' | sed 's/^/BENCH-DMESG /'
	exit $status
}
