#!/bin/sh
# Runs inside the test bed guest (busybox sh; the guest has no bash) for
# tests/bench/kernel-tp.sh, once per boot. Like tests/bench/payload.sh:
# alternating rounds in ONE boot, so every configuration of that boot sees the
# same kernel, memory layout and -icount clock:
#   for each round: untraced, CONFIG1, untraced, CONFIG2, ...
# With CONFIGS empty (the untraced-only boots: the unpatched baseline and the
# repeat boot) it runs UNTRACED_RUNS untraced runs instead.
# Configurations (the series' tracepoints are bare: no tracefs event to
# enable; a BPF program attached is what turns one on):
#   tp         the four kvm_vcpu_*_tp tracepoints, each with tpwatch -c's
#              tp_btf program attached (tests/kernel/tpwatch.c: it only bumps
#              a per-CPU counter, so what is measured is the cost of a hit,
#              not of a consumer)
#   tp-direct  the same plus kvm_vcpu_sys_reg_direct_tp (CONFIG_KVM_ARM_SYSREG_DEBUG)
#   kvmsr-tp   kvmsr trace --backend tracepoint --json >/dev/null, skipped
#              (BENCH-SKIP, not a failure) if kvmsr rejects that backend
# Each run times only the workload (timeit around vmm) and prints
#   BENCH-RUN config=C round=R elapsed_ns=N status=S ioctl_ns=T events=E overrun=O
# (events: tracepoint hits during the run, tpwatch's counters; overrun: the
# records the census run's ring buffer dropped, 0 otherwise; 0 when
# untraced), plus BENCH-INFO / BENCH-CENSUS / BENCH-SKIP /
# BENCH-FAIL lines for the host. A configuration that fails once is skipped
# afterwards and the payload exits non-zero.
# /bench/env sets BOOT, EXPECT (patched|unpatched), ROUNDS, ITERS, VCPUS,
# CONFIGS, UNTRACED_RUNS, BUFFER_KB (unused since the tracepoints are bare),
# CENSUS_ITERS.
# No set -e: every failure is caught, reported and counted explicitly.
# shellcheck disable=SC3040 # busybox ash has pipefail
set -u -o pipefail
# shellcheck source=/dev/null # written by kernel-tp.sh into the initramfs
. /bench/env
# shellcheck source=tests/bench/guest-lib.sh # copied there by kernel-tp.sh
. /bench/guest-lib.sh

T=/sys/kernel/tracing
# tpwatch -e names of the series' tracepoints, and the tracepoints themselves.
EV4=load,put,read,write
DIRECT=direct
TP4="kvm_vcpu_load_tp kvm_vcpu_put_tp kvm_vcpu_read_sys_reg_tp kvm_vcpu_write_sys_reg_tp"
TPD=kvm_vcpu_sys_reg_direct_tp

# What tpwatch counted ("TPWATCH hits ... total=N dropped=D ..." in $1):
# "events=N overrun=D".
tpw_events() {
	sed -n 's/^TPWATCH hits .* total=\([0-9]*\) dropped=\([0-9]*\).*/events=\1 overrun=\2/p' "$1"
}

run_untraced() { # ROUND [CONFIG]
	rm -f /tmp/time /tmp/vmm.out # no stale "vmm: ok" from the run before
	# shellcheck disable=SC2086 # $VMM is a word list on purpose
	$VMM || true
	result "${2:-untraced}" "$1" echo "events=0 overrun=0"
}

# tpwatch attaches before the settle second and detaches after the vmm
# exits: the attach/detach (static-key patching, IPIs) is outside the timed
# region, as a tracer that is already running would be.
run_tp() { # CONFIG ROUND EVENTS (tpwatch -e)
	c=$1 r=$2
	rm -f /tmp/time /tmp/vmm.out
	# shellcheck disable=SC2086
	if ! tpwatch -c -e "$3" -- $VMM 2>/tmp/tpw.err; then
		tag "BENCH-TPWATCH $c $r" /tmp/tpw.err
		[ -s /tmp/vmm.out ] || { fail "$c" "$r" "cannot-attach"; return; }
	fi
	ev=$(tpw_events /tmp/tpw.err)
	# Attached but nothing counted would be a silently broken configuration.
	case $ev in "" | events=0\ *)
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
	tp-direct) run_tp tp-direct "$2" $EV4,$DIRECT ;;
	kvmsr-tp) run_kvmsr_tp "$2" ;;
	*) fail "$1" "$2" "unknown-config" ;;
	esac
}

# One short extra run with every tracepoint recorded (tpwatch's ring buffer,
# large enough to keep them all): how many of each one workload iteration
# hits, and which callers touch the memory copy of a loaded register. Not timed.
# shellcheck disable=SC2086
census() {
	tpwatch -o /tmp/trace.txt -e $EV4,$DIRECT -- vmm --iters "$CENSUS_ITERS" --vcpus "$VCPUS" \
		>/tmp/vmm.out 2>/tmp/tpw.err
	rc=$?
	echo "BENCH-CENSUS iters=$CENSUS_ITERS vcpus=$VCPUS vmm_rc=$rc $(tpw_events /tmp/tpw.err)"
	for e in $TP4 $TPD; do
		echo "BENCH-CENSUS event=$e count=$(grep -c "^$e: " /tmp/trace.txt)"
	done
	# "... loaded, read memory copy at kvm_foo+0x12": by caller and kind.
	sed -n "s/^$TPD: .* reg \([0-9]*\) loaded, \([a-z]*\) memory copy at \([^+ ]*\).*/\3 \2 reg=\1/p" \
		/tmp/trace.txt | sort | uniq -c | sort -rn | head -n 12 | sed 's/^ */BENCH-CENSUS direct /'
}

echo "BENCH-INFO boot=$BOOT kernel=$(uname -r) iters=$ITERS vcpus=$VCPUS rounds=$ROUNDS configs=$(echo "$CONFIGS" | tr ' ' ,) untraced_runs=$UNTRACED_RUNS"
dmesg | grep -m1 -E 'VHE mode|nVHE mode|Protected nVHE|hVHE mode' | sed 's/^/BENCH-INFO mode /'
# Which of the series' tracepoints this kernel has: tpwatch attaches to each
# in turn (it fails on one the kernel's BTF lacks).
present=""
for e in load put read write direct; do
	tpwatch -c -e $e -- true 2>/dev/null && present="$present $e"
done
echo "BENCH-INFO tracepoints${present:- none}"
# Bare tracepoints: none may be a trace event.
echo "BENCH-INFO tracefs events of the series: $(grep -c -E ':kvm_vcpu_(load|put|read_sys_reg|write_sys_reg|sys_reg_direct)' $T/available_events)"
# The kernel must be the one the host meant: a "baseline" that has the
# tracepoints (or a patched kernel that lacks them) would make every number
# meaningless.
if [ "$EXPECT" = unpatched ]; then
	[ -z "$present" ] || fail kernel 0 "baseline-has-the-new-tracepoints"
else
	for e in load put read write; do
		case " $present " in *" $e "*) ;; *) fail kernel 0 "missing-tracepoint-$e" ;; esac
	done
	case " $CONFIGS " in *" tp-direct "*)
		case " $present " in *" direct "*) ;; *) fail tp-direct 0 "missing-tracepoint-$TPD (CONFIG_KVM_ARM_SYSREG_DEBUG)" ;; esac
		;;
	esac
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
	[ "$CENSUS_ITERS" -gt 0 ] && case " $present " in *" direct "*) census ;; esac
fi
echo "BENCH-UPTIME $(cut -d' ' -f1 /proc/uptime)" # no printk timestamps in the lean kernel
finish
