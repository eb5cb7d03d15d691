#!/bin/bash
# boot-test.sh [KERNEL_DIR]   (default: the output of tests/kernel/build.sh)
#
# Boots the patched kernel in the test bed (VHE, neoverse-n1) with
# tests/kernel/payload.sh, which records the series' bare tracepoints with
# tpwatch (tests/kernel/tpwatch.c: tp_btf, no tracefs) and counts the calls
# of the functions they sit in with the function tracer, around
# `vmm --iters 5 --vcpus 1` (plain, then with TTBR0_EL1 fault-injected as
# "not loaded"), and provokes an LKDTM WARNING. Then asserts on the console
# log and on the kernel's BTF. Exit 0 when every check passes.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
kdir=${1:-$("$repo/tests/kernel/build.sh")}
out=${KVMSR_KERNEL_TEST_OUT:-$CACHE/kernel-test}
mkdir -p "$out"
make -s -C "$repo" build/arm64/vmm build/arm64/tpwatch >&2
"$repo/tests/bed/mkinitramfs.sh" -o "$out/initrd.cpio.gz" \
	-f "$repo/build/arm64/vmm:/usr/bin/vmm" -f "$repo/build/arm64/tpwatch:/usr/bin/tpwatch" \
	-i "$repo/tests/kernel/payload.sh"
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
eq() { [[ $1 == "$2" ]]; }
in_btf() { grep -qE "$1" <<<"$btfc"; }
# $1 >= $2 > 0, both numbers
ge_pos() { [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] && (($2 > 0 && $1 >= $2)); }

((brc == 0)) && ok "boot + payload (rc=0)" || ko "boot + payload (boot.sh rc=$brc)"
check "VHE mode" grep -q 'KT-MODE .*VHE mode initialized' "$log"

# Bare tracepoints: a BTF type each, no trace event.
for e in kvm_vcpu_load kvm_vcpu_put kvm_vcpu_read_sys_reg kvm_vcpu_write_sys_reg kvm_vcpu_sys_reg_direct; do
	check "BTF has btf_trace_${e}_tp" in_btf "^typedef void \(\*btf_trace_${e}_tp\)\(void \*"
	check "BTF has no trace event (struct trace_event_raw_$e)" eval "! in_btf '^struct trace_event_raw_$e \{'"
done
check "enum sr_loc_attr in BTF" in_btf '^enum sr_loc_attr \{'
# The negative check above must be able to fail: a trace event's struct is there.
check "BTF has the stock event kvm_sys_access (struct trace_event_raw_kvm_sys_access)" \
	in_btf '^struct trace_event_raw_kvm_sys_access \{'
check "tracefs has no event of the series (kvm has $(sed -n 's/^KT-TRACEFS-KVM-EVENTS //p' "$log") others)" \
	bash -c "grep -q '^KT-TRACEFS-EVENTS 0$' '$log' && grep -qE '^KT-TRACEFS-KVM-EVENTS [1-9]' '$log'"
check "tpwatch attached to all five bare tracepoints" \
	grep -q 'KT-PLAIN-TPW tpwatch: attached kvm_vcpu_load_tp kvm_vcpu_put_tp kvm_vcpu_read_sys_reg_tp kvm_vcpu_write_sys_reg_tp kvm_vcpu_sys_reg_direct_tp' "$log"

P='KT-PLAIN-TRACE'
tpw() { sed -n "s/^KT-$1-TPW TPWATCH hits .* $2=\([0-9]*\).*/\1/p" "$log"; }
func() { sed -n "s/^KT-$1-FUNC $2 \([0-9]*\)$/\1/p" "$log"; }
for t in PLAIN FI; do
	check "$t: tpwatch dropped nothing ($(tpw $t dropped)) and printed every hit" \
		bash -c "[[ '$(tpw $t dropped)' == 0 && -n '$(tpw $t total)' && '$(tpw $t printed)' == '$(tpw $t total)' ]]"
done
n_load=$(grep -c "$P kvm_vcpu_load_tp: " "$log" || true)
n_put=$(grep -c "$P kvm_vcpu_put_tp: " "$log" || true)
check "loads ($n_load) > 0" test "$n_load" -gt 0
check "puts ($n_put) == loads" test "$n_put" -eq "$n_load"
# The function tracer, which needs no tracepoint: one load/put hit per call.
check "loads == kvm_arch_vcpu_load calls ($(func PLAIN kvm_arch_vcpu_load))" eq "$n_load" "$(func PLAIN kvm_arch_vcpu_load)"
check "puts == kvm_arch_vcpu_put calls ($(func PLAIN kvm_arch_vcpu_put))" eq "$n_put" "$(func PLAIN kvm_arch_vcpu_put)"
# Accessor calls inlined into their callers escape the function tracer, not
# the tracepoint: at least as many hits as traced calls, and some calls.
for f in read write; do
	n=$(grep -c "$P kvm_vcpu_${f}_sys_reg_tp: " "$log" || true)
	c=$(func PLAIN "vcpu_${f}_sys_reg")
	check "${f}s ($n) >= vcpu_${f}_sys_reg calls ($c) > 0" ge_pos "$n" "$c"
done
# SYSREGS_ON_CPU (its bit is not in BTF): some sflags bit is set at every
# load and clear at every put, i.e. the load fires after the VHE load and
# the put after the VHE put.
on_load=-1 on_put=0
while read -r ev fl; do
	if [[ $ev == kvm_vcpu_load_tp: ]]; then
		on_load=$((on_load & fl))
	else
		on_put=$((on_put | fl))
	fi
done < <(sed -n "s/^$P \(kvm_vcpu_\(load\|put\)_tp:\) .* sflags \(0x[0-9a-f]*\)$/\1 \3/p" "$log")
mask=$((n_load > 0 ? on_load & ~on_put : 0))
check "a flag bit set at every load, clear at every put (sflags mask $(printf 0x%x $mask))" test "$mask" -ne 0
check "vmm plain run rc=0" grep -q 'KT-PLAIN-VMM-RC 0' "$log"
for i in 1 2 3 4 5; do
	v=$(printf '0x%016x' $((i * 0x1000)))
	check "TTBR0_EL1(reg $TTBR0) write $v served loaded" \
		grep -qE "$P kvm_vcpu_write_sys_reg_tp: VM [0-9]+ vcpu 0 reg $TTBR0 val $v loaded$" "$log"
done
check "reads served loaded and from memory" \
	bash -c "grep -q '$P kvm_vcpu_read_sys_reg_tp: .* loaded\$' '$log' && grep -q '$P kvm_vcpu_read_sys_reg_tp: .* memory\$' '$log'"
# Fault injection: the same writes now land in memory only.
if grep -q 'KT-FI-KNOB TTBR0_EL1' "$log"; then
	ok "fault-injection knob accepts TTBR0_EL1"
	check "FI: TTBR0_EL1 writes served from memory" \
		grep -qE "KT-FI-TRACE kvm_vcpu_write_sys_reg_tp: .* reg $TTBR0 val 0x0000000000001000 memory$" "$log"
	check "FI: no TTBR0_EL1 access served loaded" \
		bash -c "! grep -qE 'KT-FI-TRACE kvm_vcpu_(read|write)_sys_reg_tp: .* reg $TTBR0 .* loaded\$' '$log'"
	check "FI: knob back to none" grep -q 'KT-FI-KNOB-AFTER none' "$log"
	echo "INFO FI vmm: $(grep -E 'KT-FI-VMM' "$log" | head -5 | tr '\n' ' ')"
else
	ko "fault-injection knob"
fi
echo "INFO direct memory accesses to loaded sysregs (plain run): $(grep -c "$P kvm_vcpu_sys_reg_direct_tp:" "$log" || true)"
grep -m5 "$P kvm_vcpu_sys_reg_direct_tp:" "$log" | sed 's/^/INFO   /' || true
check "LKDTM WARNING in dmesg" grep -q 'KT-LKDTM .*WARNING:' "$log"
tally_end "" "(log $log)"
