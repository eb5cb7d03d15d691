#!/bin/sh
# Runs inside the test bed guest for tests/bench/realvm.sh (make bench's
# real-VM half): Debian's arm64 QEMU boots Debian's 6.1 kernel as an L2 with
# -accel kvm, whose /init (tests/realvm/l2-init.sh) does L2_ITERS rounds of
# processes, /proc reads, console output and dd into tmpfs, then powers off.
# Alternating rounds in ONE -icount boot: untraced, then each configuration.
# Each run times the whole QEMU process (timeit: the L2's boot, work and
# power-off) and prints
#   BENCH-RUN config=C round=R elapsed_ns=N status=S l2_up=U l2_done=D l2_iters=I
# (U, D: the L2's uptime at the start and the end of its work, in its own
# clock, which under -icount also counts instructions), plus BENCH-KVMSR
# lines (kvmsr's JSON summary) and BENCH-FAIL lines.
# /bench/env sets ROUNDS, L2_ITERS, CONFIGS, TRACE_ARGS.
# shellcheck disable=SC3040
set -u -o pipefail
# shellcheck source=/dev/null # written by realvm.sh into the initramfs
. /bench/env
dmesg -n 1
status=0

# The L2, started by whatever measures it; -append needs its own words.
cat >/tmp/l2 <<EOT
#!/bin/sh
exec qemu-system-aarch64 -name bench-l2 -M virt,gic-version=3 -accel kvm -cpu host \\
 -smp 2 -m 256M -display none -nodefaults -serial file:/tmp/l2.log -no-reboot \\
 -kernel /realvm/Image -initrd /realvm/l2.cpio.gz \\
 -append "console=ttyAMA0 panic=-1 rdinit=/init quiet L2_ITERS=$L2_ITERS"
EOT
chmod 755 /tmp/l2
# One idle second first: the previous run's teardown finishes outside the
# measurement (under -icount,sleep=off idle time costs no host time).
L2="sh -c 'sleep 1; exec timeit /tmp/time /tmp/qemu.out /tmp/l2'"

fail() { # CONFIG ROUND REASON
	echo "BENCH-FAIL config=$1 round=$2 reason=$3"
	status=1
}
tag() { sed "s/^/$1 /" "$2"; }
# result CONFIG ROUND: the run's line, if the L2 did all its work.
result() {
	up=$(sed -n 's/.*L2-UP .* uptime=\([0-9.]*\).*/\1/p' /tmp/l2.log | tr -d '\r')
	done=$(sed -n 's/.*L2-DONE iters=\([0-9]*\) uptime=\([0-9.]*\).*/\1 \2/p' /tmp/l2.log | tr -d '\r')
	if [ -z "$up" ] || [ "${done%% *}" != "$L2_ITERS" ] || [ ! -s /tmp/time ]; then
		tail -n 3 /tmp/l2.log >/tmp/l2.last
		tag "BENCH-L2 $1 $2" /tmp/l2.last
		fail "$1" "$2" "l2-incomplete"
		return 1
	fi
	echo "BENCH-RUN config=$1 round=$2 $(cat /tmp/time) l2_up=$up l2_done=${done#* } l2_iters=${done%% *}"
}
start() { rm -f /tmp/time /tmp/l2.log /tmp/qemu.out /tmp/k.out; }

run() { # CONFIG ROUND
	start
	case $1 in
	untraced) eval "$L2" ;;
	stat) eval "kvmsr stat --json -- $L2" >/tmp/k.out 2>/tmp/k.err ;;
	stat-s0) eval "kvmsr stat --json --sample 0 -- $L2" >/tmp/k.out 2>/tmp/k.err ;;
	trace) eval "kvmsr trace --json ${TRACE_ARGS:-} -- $L2" >/tmp/k.out 2>/tmp/k.err ;;
	record) eval "kvmsr record --json -o /tmp/bench.kvmsr -- $L2" >/tmp/k.out 2>/tmp/k.err ;;
	*) fail "$1" "$2" unknown-config; return ;;
	esac
	rc=$?
	if [ "$1" != untraced ]; then
		# The JSON report; trace's NDJSON went to a file (the guest's RAM):
		# its last line, the summary.
		tail -n 1 /tmp/k.out >/tmp/k.last
		tag "BENCH-KVMSR $1 $2" /tmp/k.last
		tag "BENCH-KVMSR-ERR $1 $2" /tmp/k.err
		echo "BENCH-BYTES config=$1 round=$2 $(wc -c </tmp/k.out) $(wc -c </tmp/bench.kvmsr 2>/dev/null || echo 0)"
	fi
	rm -f /tmp/k.out /tmp/bench.kvmsr
	[ "$rc" = 0 ] || { fail "$1" "$2" "rc-$rc"; return; }
	result "$1" "$2"
}

echo "BENCH-INFO kernel=$(uname -r) l2_iters=$L2_ITERS rounds=$ROUNDS configs=$(echo "$CONFIGS" | tr ' ' ,)"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		run untraced "$r"
		run "$c" "$r"
	done
	echo "BENCH-ROUND $r done at $(cut -d' ' -f1 /proc/uptime)s guest uptime"
	r=$((r + 1))
done
# Where the cost goes: each configuration once more with the kernel's BPF
# statistics on (KVMSR_PROG_STATS=1: kvmsr prints every program's runs and
# run time, and the records that reached it), reported apart.
export KVMSR_PROG_STATS=1
for c in $CONFIGS; do
	run "$c" stats >/dev/null
	sed -En 's/^kvmsr: (prog-stats|stream-stats) /BENCH-PROGSTATS '"$c"' /p' /tmp/k.err
done
unset KVMSR_PROG_STATS
echo "BENCH-STATUS $status"
