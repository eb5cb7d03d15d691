#!/bin/bash
# tests/realvm/run.sh [SERIES...]   (default: newest 6.12)
#
# Issue 12: a real VMM booting a real Linux guest under kvmsr.  Inside the
# test bed's host (SERIES, VHE, -m 3G), Debian's arm64 QEMU (tests/realvm/
# qemu.sh) boots Debian's 6.1 arm64 kernel with a busybox initramfs (the L2,
# tests/realvm/l2-init.sh: its own boot, a few processes, console output, dd
# into tmpfs, then poweroff) with -accel kvm -cpu host -smp 2.  Each run of
# the L2 is under one kvmsr mode (stat, trace, record + report, serve), with
# the function tracer on kvm_arch_vcpu_load/put in the same run as the
# oracle; tests/realvm/check.sh asserts.  Part of `make test`.
#
# Environment:
#   REALVM_RUNS=1     rounds of REALVM_MODES per boot (a campaign: more)
#   REALVM_MODES="stat trace:busy record:busy serve"   (:busy = two busy
#                     loops in the host during the run: vCPU threads get
#                     preempted while loaded)
#   REALVM_KEEP=1     recordings with a confirmed finding sent to the host
#                     per boot (kept in $REALVM_OUT/<series>-<time>/)
#   REALVM_KEEP_BUSY=0  recordings of busy record runs sent whatever they
#                     hold (to replay with another analyzer on the host)
#   REALVM_OUT=results/realvm   L2_SECS=3 (seconds of work in the L2)
#   REALVM_LOADED_TOL, REALVM_LOAD_NS: see check.sh
#   REALVM_TIMEOUT: seconds per boot (default 240 + 150 per run)
# Prints per boot a "realvm-boot:" summary, and last "realvm: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
series=("$@")
((${#series[@]})) || series=(newest 6.12)
RUNS=${REALVM_RUNS:-1} MODES=${REALVM_MODES:-stat trace:busy record:busy serve}
KEEP=${REALVM_KEEP:-1} OUT=${REALVM_OUT:-results/realvm}
source tests/lib/tally.sh
finish() { tally_end realvm; exit; }
nok() { tally_fail "realvm: $*"; }
mkdir -p "$OUT"

t0=${EPOCHREALTIME/./}
make -s ARCH=arm64 all || { nok "make ARCH=arm64"; finish; }
qdir=$(bash tests/realvm/qemu.sh) || { nok "Debian's arm64 QEMU and its libraries"; finish; }
l2=$(bash tests/realvm/l2-initramfs.sh) || { nok "the L2 initramfs"; finish; }
l2k=$(bash tests/bed/kernel.sh 6.1) || { nok "the L2's kernel (6.1)"; finish; }
nmodes=$(wc -w <<<"$MODES")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'RUNS=%s\nMODES="%s"\nKEEP=%s\nKEEP_BUSY=%s\nL2_SECS=%s\n' "$RUNS" "$MODES" "$KEEP" \
	"${REALVM_KEEP_BUSY:-0}" "${L2_SECS:-3}" >"$tmp/env"
initrd=$OUT/initrd.cpio.gz
bash tests/bed/mkinitramfs.sh -o "$initrd" -i tests/realvm/payload.sh \
	-f build/arm64/kvmsr:/bin/kvmsr -f tests/bed/ftrace-oracle.sh:/lib/ftrace-oracle.sh \
	-f "$tmp/env:/realvm.env" -f "$l2k/Image:/realvm/Image" -f "$l2:/realvm/l2.cpio.gz" \
	-f "$qdir/usr/bin/qemu-system-aarch64:/usr/bin/qemu-system-aarch64" \
	-f "$qdir/usr/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu" \
	-f "$qdir/lib/ld-linux-aarch64.so.1:/lib/ld-linux-aarch64.so.1" 2>/dev/null ||
	{ nok "initramfs"; finish; }
prep=$(((${EPOCHREALTIME/./} - t0) / 1000000))
echo "# realvm: QEMU $(cut -d' ' -f1-2 "$qdir/.complete") libraries, L2 $(cat "$l2k/release"), initramfs $(($(stat -c %s "$initrd") >> 20)) MB, prepared in ${prep}s"

for s in "${series[@]}"; do
	kdir=$(bash tests/bed/kernel.sh "$s") || { nok "kernel $s"; continue; }
	stamp=$(date +%Y%m%d-%H%M%S)
	log=$OUT/$s.log rec=$OUT/$s.out
	rm -f "$rec"
	b0=${EPOCHREALTIME/./}
	bash tests/bed/boot.sh --kernel "$kdir" --initrd "$initrd" --log "$log" --mem 3G \
		--timeout "${REALVM_TIMEOUT:-$((240 + RUNS * nmodes * 150))}" --out "$rec" >/dev/null 2>"$log.boot" ||
		nok "$s: boot ($(tail -n 1 "$log.boot"))"
	secs=$(((${EPOCHREALTIME/./} - b0) / 1000000))
	# Recordings with a confirmed finding: a tar stream per recording on the
	# virtio port, or base64 on the console.
	keep=$OUT/$s-$stamp
	if [[ -s $rec ]]; then
		mkdir -p "$keep" && tar -xif "$rec" -C "$keep"
	fi
	if grep -q '^RV-B64-BEGIN' "$log"; then
		mkdir -p "$keep"
		sed -n '/^RV-B64-BEGIN/,/^RV-B64-END/p' "$log" | grep -v '^RV-B64' | base64 -d |
			gunzip | tar -xif - -C "$keep"
	fi
	for f in "$keep"/rec-*/rec.kvmsr; do
		[[ -f $f ]] || continue
		build/x86/kvmsr report "$f" >"${f%.kvmsr}.report.txt" 2>&1
		echo "# realvm $s: kept $f ($(($(stat -c %s "$f") >> 10)) KiB): $(grep -m1 '^findings:' "${f%.kvmsr}.report.txt")"
	done
	out=$(REALVM_EXPECT_RUNS=$((RUNS * nmodes)) bash tests/realvm/check.sh "$log" "$s")
	grep -v '^realvm-check:' <<<"$out"
	tally_add_output "$out" realvm-check || true
	echo "# realvm $s: boot took ${secs}s (log $log)"
done
echo "# realvm: total $(((${EPOCHREALTIME/./} - t0) / 1000000))s"
finish
