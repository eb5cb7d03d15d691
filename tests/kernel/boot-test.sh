#!/bin/bash
# boot-test.sh [KERNEL_DIR]   (default: the output of tests/kernel/build.sh)
#
# Boots the patched kernel in the test bed (VHE, neoverse-n1) with
# tests/kernel/payload.sh, which enables the new kvm tracepoints through
# tracefs, runs `vmm --iters 5 --vcpus 1` (plain, then with TTBR0_EL1
# fault-injected as "not loaded"), and provokes an LKDTM WARNING. Then
# asserts on the console log. Exit 0 when every check passes.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
kdir=${1:-$("$repo/tests/kernel/build.sh")}
out=${KVMSR_KERNEL_TEST_OUT:-$CACHE/kernel-test}
mkdir -p "$out"
make -s -C "$repo" build/arm64/vmm >&2
"$repo/tests/bed/mkinitramfs.sh" -o "$out/initrd.cpio.gz" \
	-f "$repo/build/arm64/vmm:/usr/bin/vmm" -i "$repo/tests/kernel/payload.sh"
brc=0
"$repo/tests/bed/boot.sh" --kernel "$kdir" --initrd "$out/initrd.cpio.gz" \
	--log "$out/console.log" --timeout 600 || brc=$?
log=$out/console.log

# Register numbers from the kernel's own BTF (enum vcpu_sysreg).
btfc=$(bpftool btf dump file "$kdir/btf" format c)
regnum() { grep -oE "^\s+$1 = [0-9]+" <<<"$btfc" | head -n 1 | grep -oE '[0-9]+$'; }
TTBR0=$(regnum TTBR0_EL1)
[[ -n $TTBR0 ]] || { echo "boot-test: TTBR0_EL1 not in $kdir/btf" >&2; exit 1; }

TALLY_OK_PREFIX="PASS " TALLY_FAIL_PREFIX="FAIL "
source "$repo/tests/lib/tally.sh"
ok() { tally_ok "$@"; }
ko() { tally_fail "$@"; }
check() { tally_expect "$@"; }

((brc == 0)) && ok "boot + payload (rc=0)" || ko "boot + payload (boot.sh rc=$brc)"
check "VHE mode" grep -q 'KT-MODE .*VHE mode initialized' "$log"
for e in kvm_vcpu_load kvm_vcpu_put kvm_vcpu_read_sys_reg kvm_vcpu_write_sys_reg; do
	check "event $e in tracefs" grep -q "KT-EVENT $e present" "$log"
done
P='KT-PLAIN-TRACE'
n_load=$(grep -c "$P .* kvm_vcpu_load: .*sysregs on cpu" "$log" || true)
n_put=$(grep -c "$P .* kvm_vcpu_put: .*sysregs in memory" "$log" || true)
check "loads ($n_load) > 0, all with sysregs on cpu" test "$n_load" -gt 0
check "puts ($n_put) == loads" test "$n_put" -eq "$n_load"
check "vmm plain run rc=0" grep -q 'KT-PLAIN-VMM-RC 0' "$log"
for i in 1 2 3 4 5; do
	v=$(printf '0x%016x' $((i * 0x1000)))
	check "TTBR0_EL1(reg $TTBR0) write $v served loaded" \
		grep -qE "$P .* kvm_vcpu_write_sys_reg: VM [0-9]+ vcpu 0 reg $TTBR0 val $v loaded$" "$log"
done
check "reads served loaded and from memory" \
	bash -c "grep -q '$P .* kvm_vcpu_read_sys_reg: .* loaded\$' '$log' && grep -q '$P .* kvm_vcpu_read_sys_reg: .* memory\$' '$log'"
# Fault injection: the same writes now land in memory only.
if grep -q 'KT-FI-KNOB TTBR0_EL1' "$log"; then
	ok "fault-injection knob accepts TTBR0_EL1"
	check "FI: TTBR0_EL1 writes served from memory" \
		grep -qE "KT-FI-TRACE .* kvm_vcpu_write_sys_reg: .* reg $TTBR0 val 0x0000000000001000 memory$" "$log"
	check "FI: no TTBR0_EL1 access served loaded" \
		bash -c "! grep -qE 'KT-FI-TRACE .* kvm_vcpu_(read|write)_sys_reg: .* reg $TTBR0 .* loaded\$' '$log'"
	check "FI: knob back to none" grep -q 'KT-FI-KNOB-AFTER none' "$log"
	echo "INFO FI vmm: $(grep -E 'KT-FI-VMM' "$log" | head -5 | tr '\n' ' ')"
else
	ko "fault-injection knob"
fi
check "event kvm_vcpu_sys_reg_direct in tracefs" grep -q "KT-EVENT kvm_vcpu_sys_reg_direct present" "$log"
echo "INFO direct memory accesses to loaded sysregs (plain run): $(grep -c "$P .* kvm_vcpu_sys_reg_direct:" "$log" || true)"
grep -m5 "$P .* kvm_vcpu_sys_reg_direct:" "$log" | sed 's/^/INFO   /' || true
check "LKDTM WARNING in dmesg" grep -q 'KT-LKDTM .*WARNING:' "$log"
tally_end "" "(log $log)"
