#!/bin/sh
# Runs inside the test bed guest booted on the patched kernel
# (tests/kernel/boot-test.sh). Prints tagged lines the host asserts on.
# The series' tracepoints are bare (no tracefs event): tpwatch (a tp_btf
# recorder of the test's own, tests/kernel/tpwatch.c) records them, and
# the function tracer counts the calls of the functions they sit in, as a
# second witness that needs no tracepoint at all.
T=/sys/kernel/tracing
K=/sys/kernel/debug/kvm/sysreg_not_loaded
FUNCS="kvm_arch_vcpu_load kvm_arch_vcpu_put vcpu_read_sys_reg vcpu_write_sys_reg"
dmesg -n 1
rc=0
echo "KT-UNAME $(uname -r)"
dmesg | grep -m1 -E 'VHE mode|nVHE mode|Protected nVHE|hVHE mode' | sed 's/^/KT-MODE /'
# No tracefs ABI: none of the series' tracepoints may be a trace event.
echo "KT-TRACEFS-EVENTS $(grep -c -E ':kvm_vcpu_(load|put|read_sys_reg|write_sys_reg|sys_reg_direct)' $T/available_events)"
echo "KT-TRACEFS-KVM-EVENTS $(grep -c '^kvm:' $T/available_events)"

ftrace_on() {
	echo 0 > $T/tracing_on
	echo 8192 > $T/buffer_size_kb
	echo "$FUNCS" | tr ' ' '\n' > $T/set_ftrace_filter
	echo function > $T/current_tracer
	echo > $T/trace
	echo 1 > $T/tracing_on
}
ftrace_off() { # TAG: the calls of $FUNCS, counted (before the switch to
	# nop, which empties the buffer)
	echo 0 > $T/tracing_on
	for f in $FUNCS; do
		echo "KT-$1-FUNC $f $(grep -c " $f <-" $T/trace)"
	done
	grep -m1 'entries-in-buffer' $T/trace | tr -d '#' | sed "s/^/KT-$1-FUNC-BUF /"
	echo nop > $T/current_tracer
	echo > $T/set_ftrace_filter
}

run() { # run TAG: record one vmm run
	ftrace_on
	tpwatch -o /tmp/tp.txt -- vmm --iters 5 --vcpus 1 > /tmp/vmm.out 2> /tmp/tpw.err
	echo "KT-$1-VMM-RC $?"
	ftrace_off "$1"
	sed "s/^/KT-$1-VMM /" /tmp/vmm.out
	sed "s/^/KT-$1-TPW /" /tmp/tpw.err
	sed "s/^/KT-$1-TRACE /" /tmp/tp.txt
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
