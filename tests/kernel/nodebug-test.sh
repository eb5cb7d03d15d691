#!/bin/bash
# nodebug-test.sh [KERNEL_DIR]   (default: the output of tests/kernel/build.sh)
#
# The series as a distribution would build it: the patched kernel with its
# debug options off (CONFIG_KVM_ARM_SYSREG_DEBUG, and the test-only
# CONFIG_KVM_ARM_SYSREG_FAULT_INJECT), built incrementally from build.sh's
# tree by tests/bench/kernel-tp-nodebug.sh (make bench-kernel's (b0) kernel,
# cached). Checks that it builds, and that its BTF (strings of the Image's
# .BTF section) has the four always-on tracepoints and not the debug one.
# Exit 0 when every check passes; the last line is "N passed, N failed".
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kdir=${1:-$("$repo/tests/kernel/build.sh")}

TALLY_OK_PREFIX="PASS " TALLY_FAIL_PREFIX="FAIL "
source "$repo/tests/lib/tally.sh"

# Was $1 set to y in the build's config?
opt_on() { grep -q "^CONFIG_$2=y" "$1/config"; }
# Does the Image carry BTF type name $2 (a .BTF string)?
btf_name() { LC_ALL=C grep -aq "$2" "$1/Image"; }

tally_expect "the patched kernel has CONFIG_KVM_ARM_SYSREG_DEBUG (the reference)" \
	opt_on "$kdir" KVM_ARM_SYSREG_DEBUG
tally_expect "the patched kernel's Image has btf_trace_kvm_vcpu_sys_reg_direct_tp (the check can fail)" \
	btf_name "$kdir" btf_trace_kvm_vcpu_sys_reg_direct_tp
t0=$(date +%s)
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if nd=$(bash "$repo/tests/bench/kernel-tp-nodebug.sh" 2>"$err"); then
	tally_ok "builds with the debug options off ($(($(date +%s) - t0)) s; $nd)"
	for o in KVM_ARM_SYSREG_DEBUG KVM_ARM_SYSREG_FAULT_INJECT; do
		tally_expect "CONFIG_$o is off" eval "! opt_on '$nd' $o"
	done
	for e in load put read_sys_reg write_sys_reg; do
		tally_expect "BTF has btf_trace_kvm_vcpu_${e}_tp" btf_name "$nd" "btf_trace_kvm_vcpu_${e}_tp"
	done
	tally_expect "BTF has no btf_trace_kvm_vcpu_sys_reg_direct_tp" \
		eval "! btf_name '$nd' btf_trace_kvm_vcpu_sys_reg_direct_tp"
else
	tally_fail "the patched kernel with the debug options off did not build (tests/bench/kernel-tp-nodebug.sh)"
	tail -n 5 "$err" | sed 's/^/INFO   /'

fi
tally_end ""
