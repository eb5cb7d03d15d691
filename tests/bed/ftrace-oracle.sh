# Sourced by test-bed payloads (busybox sh): the kernel's function tracer
# as the independent oracle for kvmsr's loads and puts.  $T is tracefs.
# ftrace_oracle_on: record every kvm_arch_vcpu_load/put, from now on.
# ftrace_oracle_counts: "load=N put=N entries-in-buffer/entries-written: A/B ..."
#   (the tracer stopped; A != B means its buffer overflowed).
ftrace_oracle_on() {
	echo 0 > $T/tracing_on
	echo 16384 > $T/buffer_size_kb
	echo kvm_arch_vcpu_load > $T/set_ftrace_filter
	echo kvm_arch_vcpu_put >> $T/set_ftrace_filter
	echo function > $T/current_tracer
	echo > $T/trace
	echo 1 > $T/tracing_on
}

ftrace_oracle_counts() {
	echo 0 > $T/tracing_on
	echo "load=$(grep -c ': kvm_arch_vcpu_load <-' $T/trace)" \
		"put=$(grep -c ': kvm_arch_vcpu_put <-' $T/trace)" \
		"$(grep -m1 'entries-in-buffer' $T/trace | tr -d '#')"
}
