#!/bin/bash
# run.sh [SERIES:MODE ...]: the end-to-end matrix.  For each entry, boot that
# Debian arm64 kernel (or SERIES "patched": kvmsr's patched 7.3, whose
# tracepoints kvmsr prefers) in the test bed with kvmsr, the VMM and
# payload.sh, then assert on the console log with check.sh.  Logs go to
# results/e2e/.
set -uo pipefail
cd "$(dirname "$0")/../.."
matrix=("$@")
((${#matrix[@]})) || matrix=(6.1:vhe 6.12:vhe newest:vhe 6.12:nvhe newest:hvhe newest:protected)
iters=${E2E_ITERS:-50}
out=${E2E_OUT:-results/e2e}
mkdir -p "$out"
source tests/lib/tally.sh

env_file=$(mktemp)
trap 'rm -f "$env_file"' EXIT
echo "ITERS=$iters" > "$env_file"
initrd=$out/initrd.cpio.gz
# E2E_KVMSR_FILES: a file of SRC:DEST lines (an installed package's files
# and libraries, tests/deb/run.sh) instead of the tree's /bin/kvmsr.
kvmsr_files=(-f build/arm64/kvmsr:/bin/kvmsr)
if [[ -n ${E2E_KVMSR_FILES:-} ]]; then
	kvmsr_files=()
	while read -r f; do kvmsr_files+=(-f "$f"); done <"$E2E_KVMSR_FILES"
fi
bash tests/bed/mkinitramfs.sh -o "$initrd" -i tests/e2e/payload.sh \
	"${kvmsr_files[@]}" -f build/arm64/vmm:/bin/vmm -f "$env_file:/e2e.env" \
	-f tests/bed/ftrace-oracle.sh:/lib/ftrace-oracle.sh \
	>/dev/null || exit 1

for entry in "${matrix[@]}"; do
	series=${entry%%:*} mode=${entry#*:}
	# "patched": kvmsr's own kernel (kernel/, tests/kernel/build.sh).
	if [[ $series == patched ]]; then
		kdir=$(bash tests/kernel/build.sh) || { tally_fail "[$entry] kernel build"; continue; }
	else
		kdir=$(bash tests/bed/kernel.sh "$series") || { tally_fail "[$entry] kernel fetch"; continue; }
	fi
	log=$out/$series-$mode.log
	echo "# booting $series ($(cat "$kdir/release")) in $mode mode, log $log"
	if ! bash tests/bed/boot.sh --kernel "$kdir" --initrd "$initrd" --log "$log" \
		--mode "$mode" --timeout 300 >/dev/null 2>"$log.boot"; then
		echo "# boot did not end cleanly: $(tail -1 "$log.boot")"
	fi
	res=$(bash tests/e2e/check.sh "$log" "$series" "$mode")
	echo "$res"
	# Its last line, "e2e [SERIES MODE]: N passed, N failed"; none: one failure.
	tally_add_output "$(tail -n 1 <<<"$res")" || true
done
tally_end e2e
