#!/bin/bash
# realvm.sh -- make bench's real-VM half (issue 16): what kvmsr costs a real
# VMM running a real Linux guest, the workload its users have.
#
# Boots the newest Debian arm64 kernel (BENCH_KERNEL) once under QEMU with
# -icount shift=0,sleep=off, where guest time counts emulated instructions.
# Inside it, tests/bench/realvm-payload.sh runs Debian's arm64 QEMU with
# -accel kvm booting Debian's 6.1 kernel as an L2 whose /init
# (tests/realvm/l2-init.sh) does BENCH_L2_ITERS rounds of process creation,
# /proc reads, console output and dd into tmpfs, then powers off: untraced,
# then under each configuration, alternating, BENCH_ROUNDS times.  The report
# gives per configuration the median of the whole QEMU run (the L2's boot,
# work and power-off) and of the L2's work alone (its own clock), their
# ratios to untraced, kvmsr's events and lost records; printed and saved to
# results/bench/realvm.txt (console log next to it).
#
# Missing a target is a result; a configuration that did not run is an
# error (exit 1).
#
# Environment: BENCH_KERNEL (newest), BENCH_ROUNDS (3), BENCH_L2_ITERS (200),
# BENCH_REALVM_CONFIGS ("stat stat-s0 trace record"), BENCH_KVMSR (a kvmsr binary to
# measure instead of the tree's), BENCH_TRACE_ARGS (trace's options; default
# none, as a user runs it), BENCH_TIMEOUT (seconds of host time),
# KVMSR_CACHE (.cache).
set -euo pipefail
cd "$(dirname "$0")/../.."
start_us=${EPOCHREALTIME/./}
BENCH_NAME=bench-realvm
# shellcheck source=tests/bench/host-lib.sh
. tests/bench/host-lib.sh
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
KERNEL=${BENCH_KERNEL:-newest}
ROUNDS=${BENCH_ROUNDS:-3}
L2_ITERS=${BENCH_L2_ITERS:-200}
read -r -a CONFIGS <<<"${BENCH_REALVM_CONFIGS:-stat stat-s0 trace record}"
check_positive ROUNDS L2_ITERS
check_configs stat stat-s0 trace record
# ~150 s of host time per L2 run under -icount, untraced runs included.
TIMEOUT=${BENCH_TIMEOUT:-$((300 + ROUNDS * ${#CONFIGS[@]} * 2 * (150 + L2_ITERS)))}
BUILD=build/arm64

bash tests/bed/deps.sh
kdir=$(bash tests/bed/kernel.sh "$KERNEL")
KVMSR_BIN=${BENCH_KVMSR:-}
if [[ -z $KVMSR_BIN ]]; then
	make -s ARCH=arm64 all
	KVMSR_BIN=$BUILD/kvmsr
fi
is_aarch64 "$KVMSR_BIN" || die "$KVMSR_BIN is not an aarch64 binary"
build_timeit "$BUILD"
qdir=$(bash tests/realvm/qemu.sh)
l2=$(bash tests/realvm/l2-initramfs.sh)
l2k=$(bash tests/bed/kernel.sh 6.1)

make_tmp
TRACE_ARGS=${BENCH_TRACE_ARGS:-}
printf 'ROUNDS=%s\nL2_ITERS=%s\nCONFIGS="%s"\nTRACE_ARGS="%s"\n' "$ROUNDS" "$L2_ITERS" \
	"${CONFIGS[*]}" "$TRACE_ARGS" >"$tmp/env"
bash tests/bed/mkinitramfs.sh -o "$tmp/initrd.img" -i tests/bench/realvm-payload.sh \
	-f "$KVMSR_BIN:/bin/kvmsr" -f "$BUILD/bench/timeit:/bin/timeit" -f "$tmp/env:/bench/env" \
	-f "$l2k/Image:/realvm/Image" -f "$l2:/realvm/l2.cpio.gz" \
	-f "$qdir/usr/bin/qemu-system-aarch64:/usr/bin/qemu-system-aarch64" \
	-f "$qdir/usr/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu" \
	-f "$qdir/lib/ld-linux-aarch64.so.1:/lib/ld-linux-aarch64.so.1" 2>/dev/null

OUT=results/bench
mkdir -p "$OUT"
console=$OUT/realvm-console.log
run_log=$OUT/realvm-console.$$.log
log_setup_time
log "booting $(cat "$kdir/release") (-icount, -smp 2, -m 3G): $ROUNDS rounds of" \
	"${CONFIGS[*]}, an L2 (Debian $(cat "$l2k/release"), -accel kvm) of $L2_ITERS iterations; log $run_log"
boot_rc=0
bash tests/bed/boot.sh --kernel "$kdir" --initrd "$tmp/initrd.img" --log "$run_log" \
	--icount --mem 3G --smp 2 --cpu neoverse-n1 --timeout "$TIMEOUT" 2>"$run_log.boot" || boot_rc=$?
mv "$run_log.boot" "$console.boot"
mv "$run_log" "$console"

# --- the report ---------------------------------------------------------------
errors=()
((boot_rc == 0)) || errors+=("the guest payload did not finish cleanly (boot.sh rc=$boot_rc)")
# The console without its CRs, read by everything below.
clog=$tmp/console.txt
tr -d '\r' <"$console" >"$clog"
fail_lines "$clog"
grep -q '^BENCH-STATUS 0' "$clog" || errors+=("the payload did not report success")
# "config elapsed_ns l2_work_s" per successful run.
runs=$(sed -n 's/^BENCH-RUN config=\([^ ]*\) round=[0-9]* elapsed_ns=\([0-9]*\) status=0 l2_up=\([0-9.]*\) l2_done=\([0-9.]*\) .*/\1 \2 \3 \4/p' "$clog" |
	awk '{ print $1, $2, $4 - $3 }')
col() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' <<<"$runs"; }
kjson() { sed -n "s/^BENCH-KVMSR $1 [0-9]* //p" "$clog" | grep '^{' || true; }
u_all=$(col untraced 2 | median) u_work=$(col untraced 3 | median)
[[ -n $u_all ]] || errors+=("no successful untraced run: no reference, no ratios")
declare -A ratio=() wratio=() lost=()
report=$tmp/report.txt
{
	echo "kvmsr bench, real VM, $(date -u '+%Y-%m-%d %H:%M UTC'), tree $(git describe --always --dirty 2>/dev/null || echo '?')"
	echo "kvmsr binary: $KVMSR_BIN, sha256 $(sha256sum "$KVMSR_BIN" | cut -c1-12)"
	echo "host: Debian $(cat "$kdir/version") ($(cat "$kdir/release")), VHE; QEMU -icount shift=0,sleep=off, -smp 2 -m 3G"
	[[ -z $TRACE_ARGS ]] || echo "trace ran with: $TRACE_ARGS"
	echo "L2: Debian's QEMU $(cut -d' ' -f1 "$qdir/.complete") -accel kvm -smp 2 -m 256M, Debian $(cat "$l2k/release");" \
		"boot, $L2_ITERS iterations of ls /proc, cat /proc/*, dd 512 KiB, echo; power-off"
	echo
	printf '%-26s %4s %9s %8s %9s %8s %9s %8s\n' configuration runs all_s ratio work_s ratio events lost
	for c in untraced "${CONFIGS[@]}"; do
		n=$(col "$c" 2 | grep -c . || true)
		want=$ROUNDS
		[[ $c != untraced ]] || want=$((ROUNDS * ${#CONFIGS[@]}))
		((n >= want)) || errors+=("$c: $n of $want runs succeeded")
		if ((n == 0)) || [[ -z $u_all ]]; then
			printf '%-26s %4s %9s\n' "$c" "$n" -
			continue
		fi
		a=$(col "$c" 2 | median) w=$(col "$c" 3 | median)
		ratio[$c]=$(awk -v a="$a" -v b="$u_all" 'BEGIN { printf "%.3f", a / b }')
		wratio[$c]=$(awk -v a="$w" -v b="$u_work" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
		ev=- l=-
		if [[ $c != untraced ]]; then
			ev=$(kjson "$c" | jq -r '.events // ([.vcpus[]? | .loads + .puts] | add) // empty' 2>/dev/null | median)
			l=$(kjson "$c" | jq -r '.lost_records // empty' 2>/dev/null | sort -n | tail -n 1)
			lost[$c]=${l:-?}
		fi
		printf '%-26s %4s %9.3f %7.3fx %9.3f %7.3fx %9s %8s\n' "$c" "$n" \
			"$(awk -v a="$a" 'BEGIN { print a / 1e9 }')" "${ratio[$c]}" "$w" "${wratio[$c]}" "${ev:--}" "${l:--}"
	done
	echo
	echo "all_s: guest seconds of the whole QEMU run (median); work_s: the L2's own seconds for its iterations;"
	echo "ratio: to the untraced median; events: kvmsr's summary (stat, record: loads + puts); lost: the most in a run."
	echo
	# The runs with the kernel's BPF statistics on, one per configuration.
	ps=$(sed -n 's/^BENCH-PROGSTATS //p' "$clog")
	if [[ -n $ps ]]; then
		echo "per BPF program (one more run each, statistics on): runs, ns per run, ms in all"
		awk '$2 ~ /^prog=/ { split($2, p, "="); split($3, n, "="); split($4, t, "=")
			if (n[2] > 0) printf "  %-8s %-28s %9d %7.0f %8.1f\n", $1, p[2], n[2], t[2] / n[2], t[2] / 1e6 }
			$2 ~ /^records=/ { split($2, r, "="); split($3, b, "="); split($4, l, "=")
			printf "  %-8s to user space: %d records (%.0f bytes each), %d lost\n", $1, r[2], r[2] ? b[2] / r[2] : 0, l[2]
			for (i = 5; i <= NF; i++) { split($i, kv, "="); cpu[kv[1]] = kv[2] }
			if ("user_us" in cpu)
				printf "  %-8s kvmsr itself: %.0f ms user, %.0f ms system while the command ran\n", $1, cpu["user_us"] / 1e3, cpu["sys_us"] / 1e3 }' <<<"$ps"
		echo
	fi
	echo "targets:"
	[[ -z ${ratio[stat]:-} ]] || verdict "kvmsr stat <= 1.01x (is ${ratio[stat]}x)" "${ratio[stat]} <= 1.01"
	[[ -z ${ratio[trace]:-} ]] || verdict "kvmsr trace <= 1.10x (is ${ratio[trace]}x)" "${ratio[trace]} <= 1.10"
	for c in trace record; do
		[[ -z ${lost[$c]:-} ]] ||
			verdict "kvmsr $c loses no record (${lost[$c]})" "\"${lost[$c]}\" == \"0\""
	done
	echo "bench wall time: $(((${EPOCHREALTIME/./} - start_us) / 1000000)) s"
} >"$report"
publish "$report" "$OUT/realvm.txt" "console log: $console" "console log $console"
