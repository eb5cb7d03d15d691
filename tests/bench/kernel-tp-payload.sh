#!/bin/sh
# Runs inside the test bed guest (busybox sh; the guest has no bash) for
# tests/bench/kernel-tp.sh, once per boot. Like tests/bench/payload.sh:
# alternating rounds in ONE boot, so every configuration of that boot sees the
# same kernel, memory layout and -icount clock:
#   for each round: untraced, CONFIG1, untraced, CONFIG2, ...
# With CONFIGS empty (the untraced-only boots: the unpatched baseline and the
# repeat boot) it runs UNTRACED_RUNS untraced runs instead.
# Configurations:
#   tp         the four kvm_vcpu_* events enabled through tracefs, into the
#              ftrace ring buffer (overwrite mode, nobody reading it: what is
#              measured is the cost of emitting, not of consuming)
#   tp-direct  the same plus kvm_vcpu_sys_reg_direct (CONFIG_KVM_ARM_SYSREG_DEBUG)
#   kvmsr-tp   kvmsr trace --backend tracepoint --json >/dev/null, skipped
#              (BENCH-SKIP, not a failure) if kvmsr rejects that backend
# Each run times only the workload (timeit around vmm) and prints
#   BENCH-RUN config=C round=R elapsed_ns=N status=S ioctl_ns=T events=E overrun=O
# (events: ring-buffer events written during the run, entries + overrun over
# all CPUs; 0 when untraced), plus BENCH-INFO / BENCH-CENSUS / BENCH-SKIP /
# BENCH-FAIL lines for the host. A configuration that fails once is skipped
# afterwards and the payload exits non-zero.
# /bench/env sets BOOT, EXPECT (patched|unpatched), ROUNDS, ITERS, VCPUS,
# CONFIGS, UNTRACED_RUNS, BUFFER_KB, CENSUS_ITERS.
# No set -e: every failure is caught, reported and counted explicitly.
# shellcheck disable=SC3040 # busybox ash has pipefail
set -u -o pipefail
# shellcheck source=/dev/null # written by kernel-tp.sh into the initramfs
. /bench/env
# shellcheck source=tests/bench/guest-lib.sh # copied there by kernel-tp.sh
. /bench/guest-lib.sh

T=/sys/kernel/tracing
EV4="kvm_vcpu_load kvm_vcpu_put kvm_vcpu_read_sys_reg kvm_vcpu_write_sys_reg"
DIRECT=kvm_vcpu_sys_reg_direct

# Ring-buffer events written since the last reset, all CPUs: what is still in
# the buffer plus what overwriting dropped. Prints "events=E overrun=O".
rb_events() {
	cat $T/per_cpu/cpu*/stats | awk '$1 == "entries:" { e += $2 } $1 == "overrun:" { o += $2 }
		END { printf "events=%d overrun=%d\n", e + o, o }'
}
events_set() { # 0|1 EVENT...
	v=$1
	shift
	for e in "$@"; do
		echo "$v" >"$T/events/kvm/$e/enable" || return 1
	done
}

run_untraced() { # ROUND [CONFIG]
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	# shellcheck disable=SC2086 # $VMM is a word list on purpose
	$VMM || true
	result "${2:-untraced}" "$1" echo "events=0 overrun=0"
}

# The events are switched on before the settle second and off after the vmm
# exits: the enable/disable (static-key patching, IPIs) is outside the timed
# region, as a tracer that is already running would be.
run_tp() { # CONFIG ROUND EVENT...
	c=$1 r=$2
	shift 2
	rm -f /tmp/time /tmp/vmm.out
	echo 0 >$T/tracing_on
	echo >$T/trace # also zeroes the per-cpu entries/overrun counters
	if ! events_set 1 "$@"; then
		events_set 0 "$@"
		fail "$c" "$r" "cannot-enable-events"
		return
	fi
	echo 1 >$T/tracing_on
	# shellcheck disable=SC2086
	$VMM || true
	events_set 0 "$@"
	ev=$(rb_events)
	# Enabled but nothing recorded would be a silently broken configuration.
	case $ev in events=0\ *)
		fail "$c" "$r" "no-events-recorded"
		return
		;;
	esac
	result "$c" "$r" echo "$ev"
}

# kvmsr's own tracepoint backend (another half of the project; optional).
# Its stdout (the NDJSON stream) goes to /dev/null as in make bench's trace.
run_kvmsr_tp() { # ROUND
	rm -f /tmp/time /tmp/vmm.out
	kvmsr_timed kvmsr-tp "$1" /dev/null trace --backend tracepoint --json &&
		result kvmsr-tp "$1" echo "events=- overrun=-"
}

# shellcheck disable=SC2086 # $EV4 is a word list on purpose (also below)
run_config() { # CONFIG ROUND
	case $1 in
	tp) run_tp tp "$2" $EV4 ;;
	tp-direct) run_tp tp-direct "$2" $EV4 $DIRECT ;;
	kvmsr-tp) run_kvmsr_tp "$2" ;;
	*) fail "$1" "$2" "unknown-config" ;;
	esac
}

# One short extra run with every event on and a buffer large enough to keep
# them all: how many of each event one workload iteration emits, and which
# callers touch the memory copy of a loaded register. Not timed.
# shellcheck disable=SC2086
census() {
	echo 0 >$T/tracing_on
	echo 16384 >$T/buffer_size_kb
	echo >$T/trace
	events_set 1 $EV4 $DIRECT || { fail census 1 cannot-enable-events; return; }
	echo 1 >$T/tracing_on
	vmm --iters "$CENSUS_ITERS" --vcpus "$VCPUS" >/tmp/vmm.out 2>&1
	rc=$?
	events_set 0 $EV4 $DIRECT
	echo 0 >$T/tracing_on
	echo "BENCH-CENSUS iters=$CENSUS_ITERS vcpus=$VCPUS vmm_rc=$rc $(rb_events)"
	grep -v '^#' $T/trace >/tmp/trace.txt
	for e in $EV4 $DIRECT; do
		echo "BENCH-CENSUS event=$e count=$(grep -c " $e: " /tmp/trace.txt)"
	done
	# "... loaded, read memory copy at kvm_foo+0x12/0x34": by caller and kind.
	sed -n "s/.* $DIRECT: .* reg \([0-9]*\) loaded, \([a-z]*\) memory copy at \([^+ ]*\).*/\3 \2 reg=\1/p" \
		/tmp/trace.txt | sort | uniq -c | sort -rn | head -n 12 | sed 's/^ */BENCH-CENSUS direct /'
	echo "$BUFFER_KB" >$T/buffer_size_kb
	echo >$T/trace
	echo 1 >$T/tracing_on
}

echo "BENCH-INFO boot=$BOOT kernel=$(uname -r) iters=$ITERS vcpus=$VCPUS rounds=$ROUNDS configs=$(echo "$CONFIGS" | tr ' ' ,) untraced_runs=$UNTRACED_RUNS"
dmesg | grep -m1 -E 'VHE mode|nVHE mode|Protected nVHE|hVHE mode' | sed 's/^/BENCH-INFO mode /'
present=""
for e in $EV4 $DIRECT; do
	[ -d "$T/events/kvm/$e" ] && present="$present $e"
done
echo "BENCH-INFO events${present:- none}"
# The kernel must be the one the host meant: a "baseline" that has the events
# (or a patched kernel that lacks them) would make every number meaningless.
if [ "$EXPECT" = unpatched ]; then
	[ -z "$present" ] || fail kernel 0 "baseline-has-the-new-events"
else
	for e in $EV4; do
		[ -d "$T/events/kvm/$e" ] || fail kernel 0 "missing-event-$e"
	done
	case " $CONFIGS " in *" tp-direct "*)
		[ -d $T/events/kvm/$DIRECT ] || fail tp-direct 0 "missing-event-$DIRECT (CONFIG_KVM_ARM_SYSREG_DEBUG)"
		;;
	esac
	echo "$BUFFER_KB" >$T/buffer_size_kb
	echo "BENCH-INFO buffer_size_kb=$(cat $T/buffer_size_kb) per cpu, overwrite=$(cat $T/options/overwrite)"
fi
is_broken kernel && exit 1

# kvmsr-tp: does this kvmsr have the backend? A usage error (exit 2) naming
# the backend means "not yet": skip it, loudly, without failing the bench.
case " $CONFIGS " in *" kvmsr-tp "*)
	kvmsr trace --backend tracepoint --json -- true >/dev/null 2>/tmp/kvmsr.err
	rc=$?
	if [ $rc = 2 ] && grep -qi backend /tmp/kvmsr.err; then
		echo "BENCH-SKIP config=kvmsr-tp reason=kvmsr rejects --backend tracepoint: $(head -n 1 /tmp/kvmsr.err)"
		CONFIGS=$(echo " $CONFIGS " | sed 's/ kvmsr-tp / /')
	elif [ $rc != 0 ]; then
		tag "BENCH-KVMSR-ERR kvmsr-tp 0" /tmp/kvmsr.err
		fail kvmsr-tp 0 "preflight-rc-$rc"
	else
		echo "BENCH-INFO kvmsr-tp preflight ok: kvmsr accepts --backend tracepoint"
	fi
	;;
esac

# The first vmm of a boot runs ~40 % longer than the next ones (first exec
# of the binary, first VM's allocations): one untimed warm-up run, reported as
# config=warmup and left out of every median.
run_untraced 0 warmup
if [ -z "$(echo "$CONFIGS" | tr -d ' ')" ]; then
	i=1
	while [ $i -le "$UNTRACED_RUNS" ]; do
		is_broken untraced && break
		run_untraced $i
		i=$((i + 1))
	done
else
	run_rounds
	[ "$CENSUS_ITERS" -gt 0 ] && [ -d $T/events/kvm/$DIRECT ] && census
fi
echo "BENCH-UPTIME $(cut -d' ' -f1 /proc/uptime)" # no printk timestamps in the lean kernel
finish
