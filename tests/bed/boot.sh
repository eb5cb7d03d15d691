#!/bin/bash
# boot.sh --kernel DIR|Image --initrd FILE --log FILE [--mode vhe|nvhe|hvhe|protected]
#         [--cpu neoverse-n1] [--smp 2] [--mem 2G] [--timeout 600] [--icount]
#         [--append "EXTRA KERNEL ARGS"] [--out FILE] [--accel ACCEL]
#
# --out FILE: a virtio serial port (/dev/vport*p1 in the guest) whose bytes
# land in FILE: how a payload hands files (recordings) to the host.
# --accel: QEMU's -accel value (default tcg; e.g. tcg,thread=single).
# KVMSR_QEMU: the emulator: unset or "bookworm" = qemu-system-aarch64 from
# PATH (bookworm's 7.2, tests/bed/deps.sh); "backports" = bookworm-backports'
# newest (10.0.x), unpacked into the cache by tests/bed/qemu.sh; else a path.
#
# Boots an arm64 kernel at EL2 under TCG (so the guest has KVM), console to
# FILE. Exit 0 only if the payload reported "KVMSR-BED: END rc=0".
set -euo pipefail

die() { echo "boot: error: $*" >&2; exit 2; }
usage() {
	die "usage: $0 --kernel DIR|Image --initrd FILE --log FILE [--mode vhe|nvhe|hvhe|protected]" \
		"[--cpu CPU] [--smp N] [--mem SIZE] [--timeout S] [--icount] [--append ARGS]" \
		"[--out FILE] [--accel ACCEL]"
}

kernel="" initrd="" log="" mode=vhe cpu=neoverse-n1 smp=2 mem=2G timeout=600 icount=0 extra=""
out="" accel=tcg
while (($#)); do
	case $1 in
	--kernel) kernel=${2:?} ;;
	--initrd) initrd=${2:?} ;;
	--log) log=${2:?} ;;
	--mode) mode=${2:?} ;;
	--cpu) cpu=${2:?} ;;
	--smp) smp=${2:?} ;;
	--mem) mem=${2:?} ;;
	--timeout) timeout=${2:?} ;;
	--append) extra=${2?} ;;
	--out) out=${2:?} ;;
	--accel) accel=${2:?} ;;
	--icount) icount=1; shift; continue ;;
	*) usage ;;
	esac
	shift 2
done
[[ -n $kernel && -n $initrd && -n $log ]] || usage
[[ -d $kernel ]] && kernel=$kernel/Image
[[ -r $kernel ]] || die "no kernel Image at $kernel"
[[ -r $initrd ]] || die "no initrd at $initrd"
case ${KVMSR_QEMU:-bookworm} in
bookworm) emu="qemu-system-aarch64" ;;
backports) emu=$(bash "$(dirname "${BASH_SOURCE[0]}")/qemu.sh") || die "tests/bed/qemu.sh failed" ;;
*) emu=$KVMSR_QEMU ;;
esac
command -v "$emu" >/dev/null || die "$emu missing (run tests/bed/deps.sh)"

# VHE is what KVM picks by itself when the CPU has it; the others are forced.
case $mode in
vhe) kvm_args="" ;;
nvhe) kvm_args="kvm-arm.mode=nvhe" ;;
hvhe) kvm_args="kvm-arm.mode=nvhe arm64_sw.hvhe=1" ;;
protected) kvm_args="kvm-arm.mode=protected" ;;
*) usage ;;
esac

# virtualization=on: boot at EL2, else no /dev/kvm. -nic none: otherwise QEMU
# wants efi-virtio.rom. -no-reboot + panic=-1: a panic ends QEMU at once.
# shellcheck disable=SC2054 # commas belong to QEMU option values
qemu=("$emu" -M virt,virtualization=on,gic-version=3 -accel "$accel" -cpu "$cpu"
	-smp "$smp" -m "$mem" -nographic -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyAMA0 panic=-1 rdinit=/init $kvm_args $extra")
# Deterministic guest time for benchmarks (forces single-threaded TCG).
# shellcheck disable=SC2054
((icount)) && qemu+=(-icount shift=0,sleep=off)
# shellcheck disable=SC2054
[[ -n $out ]] && qemu+=(-device virtio-serial-pci -chardev "file,id=out,path=$out"
	-device virtserialport,chardev=out,name=out)

mkdir -p "$(dirname "$log")"
echo "boot: ${qemu[*]}" >&2
start=${EPOCHREALTIME/./}
rc=0
# Serial output has CRLF line ends; store plain lines so callers can grep/parse.
# Line-buffered: a watchdog on the log's mtime sees a live guest as it prints.
timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 | stdbuf -oL tr -d '\r' >"$log" ||
	rc=${PIPESTATUS[0]}
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
echo "boot: QEMU exited rc=$rc after $((ms / 1000)).$((ms % 1000 / 100))s, log $log" >&2

if ((rc == 124 || rc == 137)); then
	tail -n 20 "$log" >&2
	die "TIMEOUT: QEMU killed after ${timeout}s"
fi
if grep -qE 'KVMSR-BED: END rc=0([^0-9]|$)' "$log"; then
	exit 0
fi
tail -n 20 "$log" >&2
end=$(grep -o 'KVMSR-BED: END rc=[0-9]*' "$log" | tail -n 1 || true)
if [[ -n $end ]]; then
	echo "boot: payload failed (${end#KVMSR-BED: END })" >&2
else
	echo "boot: no 'KVMSR-BED: END' marker (kernel panic or QEMU error?)" >&2
fi
exit 1
