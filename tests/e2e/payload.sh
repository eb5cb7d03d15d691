#!/bin/sh
# Runs inside the test bed guest (busybox sh).  Exercises kvmsr against the
# tiny VMM and prints tagged lines that tests/e2e/check.sh asserts on from
# the host.  ITERS comes from /e2e.env.
. /e2e.env
T=/sys/kernel/tracing
dmesg -n 1	# keep kernel messages from interleaving with our lines

tag() { sed "s/^/$1 /"; }

kvmsr check > /tmp/check.txt 2>&1
echo "E2E-CHECK-RC $?"
tag E2E-CHECK < /tmp/check.txt

# Independent oracle: the ftrace function tracer counts every call of
# kvm_arch_vcpu_load/put while kvmsr runs.
echo 0 > $T/tracing_on
echo 16384 > $T/buffer_size_kb
echo kvm_arch_vcpu_load > $T/set_ftrace_filter
echo kvm_arch_vcpu_put >> $T/set_ftrace_filter
echo function > $T/current_tracer
echo > $T/trace
echo 1 > $T/tracing_on
kvmsr stat --json -- sh -c "vmm --iters $ITERS --vcpus 2 > /tmp/vmm1.out" \
	> /tmp/stat.json 2> /tmp/stat.err
echo "E2E-STAT-RC $?"
echo 0 > $T/tracing_on
echo "E2E-ORACLE load=$(grep -c ': kvm_arch_vcpu_load <-' $T/trace)" \
	"put=$(grep -c ': kvm_arch_vcpu_put <-' $T/trace)" \
	"$(grep -m1 'entries-in-buffer' $T/trace | tr -d '#')"
echo nop > $T/current_tracer
tag E2E-STAT < /tmp/stat.json
tag E2E-STAT-ERR < /tmp/stat.err
tag E2E-VMM1 < /tmp/vmm1.out

# The register values the guest wrote, as the accessor saw them.
kvmsr trace --json --events write --reg TTBR0_EL1,MAIR_EL1,TCR_EL1 \
	-- sh -c "vmm --iters 5 --vcpus 2 > /tmp/vmm2.out" > /tmp/trace.json 2> /tmp/trace.err
echo "E2E-TRACE-RC $?"
tag E2E-TRACE < /tmp/trace.json
tag E2E-TRACE-ERR < /tmp/trace.err
tag E2E-VMM2 < /tmp/vmm2.out

# Bad input gets a clear message and a usage exit code.
kvmsr trace --reg NOT_A_REGISTER --duration 1 > /dev/null 2> /tmp/bad.err
echo "E2E-BADREG-RC $?"
tag E2E-BADREG < /tmp/bad.err
