#!/bin/sh
# Runs inside the test bed guest booted on the patched kernel
# (tests/kernel/tp-test.sh): kvmsr against the fault-injection knobs, with
# the kernel's own record of the same run as the oracle: the series' bare
# tracepoints (no tracefs event) and kvm_sys_access, recorded by tpwatch
# (tests/kernel/tpwatch.c, a tp_btf recorder that shares no code with
# kvmsr), plus dmesg. Prints tagged lines the host asserts on. ITERS and
# VCPUS come from /tp.env.
. /tp.env
D=/sys/kernel/debug/kvm
dmesg -n 1
tag() { sed "s/^/$1 /"; }

kvmsr check > /tmp/check.txt 2>&1
echo "TP-CHECK-RC $?"
tag TP-CHECK < /tmp/check.txt

# run TAG BACKEND [vmm args]: one traced vmm run; findings and the summary
# are all the NDJSON prints with --events vm-exit. tpwatch records the
# kernel's tracepoints around it (attached before kvmsr starts, detached
# after it ends) into /tmp/TAG.tp: the oracle, tagged TAG-KREC; its own
# summary (TPWATCH hits ... dropped=N) goes to TAG-ERR with kvmsr's stderr.
run() {
	t=$1 b=$2
	shift 2
	tpwatch -o /tmp/$t.tp -- kvmsr trace --json --backend "$b" --events vm-exit \
		-- vmm --iters "$ITERS" --vcpus "$VCPUS" --timeout 30 "$@" \
		> /tmp/$t.json 2> /tmp/$t.err
	echo "$t-RC $?"
	tag "$t-KREC" < /tmp/$t.tp
	tag "$t-OUT" < /tmp/$t.json
	tag "$t-ERR" < /tmp/$t.err
}

knob() { # FILE REG
	echo "$2" > $D/$1
	echo "TP-KNOB $1 $(cat $D/$1)"
}

# No fault: nothing to report, by either backend.
run TP-OFF-TP tracepoint --toggle-sctlr
run TP-OFF-FE fentry --toggle-sctlr

# (1) missed accessor case: SCTLR_EL1 treated as not loaded.
knob sysreg_not_loaded SCTLR_EL1
run TP-NL-TP tracepoint --toggle-sctlr
run TP-NL-FE fentry --toggle-sctlr
# The same in trace's default mode, which counts in BPF what no rule can use
# (bpf/tally.bpf.h): the same findings.  Only they and the summary are kept.
kvmsr trace --json --backend fentry -- vmm --iters "$ITERS" --vcpus "$VCPUS" --timeout 30 \
	--toggle-sctlr 2> /tmp/TP-NL-FD.err | grep '"event":"finding"\|"event":"summary"' > /tmp/TP-NL-FD.json
echo "TP-NL-FD-RC $?"
tag "TP-NL-FD-OUT" < /tmp/TP-NL-FD.json
tag "TP-NL-FD-ERR" < /tmp/TP-NL-FD.err
knob sysreg_not_loaded none

# (3) a trap handler reads the memory copy of TTBR0_EL1.
knob sysreg_direct_access SYS_TTBR0_EL1	# the SYS_ prefix is accepted too
run TP-DA-TP tracepoint
knob sysreg_direct_access none

# (2) the WARN path: SCTLR_EL1 located as loaded, missing from the CPU
# helpers. WARN_ON_ONCE: once per boot and function, so this comes last,
# with one vCPU (two CPUs may both pass the "once" check at the same time).
dmesg -c > /dev/null
knob sysreg_not_on_cpu SCTLR_EL1
run TP-NC-TP tracepoint --toggle-sctlr --vcpus 1
knob sysreg_not_on_cpu none
dmesg | grep -A1 '^.*WARNING:' | tag TP-NC-DMESG
echo "TP-DONE"
