#!/bin/sh
# Runs inside the test bed guest booted on the patched kernel
# (tests/kernel/boot-test.sh). Prints tagged lines the host asserts on.
T=/sys/kernel/tracing
K=/sys/kernel/debug/kvm/sysreg_not_loaded
EV="kvm_vcpu_load kvm_vcpu_put kvm_vcpu_read_sys_reg kvm_vcpu_write_sys_reg"
# CONFIG_KVM_ARM_SYSREG_DEBUG (kernel/0004): memory accesses to loaded sysregs
[ -d $T/events/kvm/kvm_vcpu_sys_reg_direct ] && EV="$EV kvm_vcpu_sys_reg_direct"
dmesg -n 1
rc=0
echo "KT-UNAME $(uname -r)"
grep -q 'VHE mode initialized' /dev/null 2>/dev/null
dmesg | grep -m1 -E 'VHE mode|nVHE mode|Protected nVHE|hVHE mode' | sed 's/^/KT-MODE /'
for e in $EV; do
	if [ -d $T/events/kvm/$e ]; then
		echo "KT-EVENT $e present"
		sed -n 's/^print fmt: /KT-FMT '"$e"' /p' $T/events/kvm/$e/format
	else
		echo "KT-EVENT $e MISSING"; rc=1
	fi
done

run() { # run TAG: trace one vmm run with the new events
	echo 0 > $T/tracing_on
	echo 8192 > $T/buffer_size_kb
	echo > $T/trace
	for e in $EV; do echo 1 > $T/events/kvm/$e/enable; done
	echo 1 > $T/tracing_on
	vmm --iters 5 --vcpus 1 > /tmp/vmm.out 2>&1
	echo "KT-$1-VMM-RC $?"
	echo 0 > $T/tracing_on
	for e in $EV; do echo 0 > $T/events/kvm/$e/enable; done
	sed "s/^/KT-$1-VMM /" /tmp/vmm.out
	grep -v '^#' $T/trace | sed "s/^/KT-$1-TRACE /"
}
run PLAIN

# Fault injection: TTBR0_EL1 "not loaded" -> writes go to memory only.
if [ -e $K ]; then
	echo TTBR0_EL1 > $K
	echo "KT-FI-KNOB $(cat $K)"
	run FI
	echo none > $K
	echo "KT-FI-KNOB-AFTER $(cat $K)"
	dmesg | grep -m1 'fault injection:' | sed 's/^/KT-FI-DMESG /'
else
	echo "KT-FI MISSING $K"
fi

# LKDTM: a WARNING on demand.
if [ -e /sys/kernel/debug/provoke-crash/DIRECT ]; then
	echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
	dmesg | grep -A2 -m1 'WARNING:' | sed 's/^/KT-LKDTM /'
else
	echo "KT-LKDTM MISSING"; rc=1
fi
exit $rc
