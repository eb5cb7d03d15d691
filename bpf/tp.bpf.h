/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tp_btf programs: the tracepoint backend (kvm:kvm_vcpu_* of the kernel/
 * patch series, exact: the accessor says where it served each access), and
 * the tracepoints every backend uses (traps, guest entries and exits, WARN,
 * the debug option's direct accesses, sched_switch).  Unpack, call the body.
 */
#ifndef KVMSR_TP_BPF_H
#define KVMSR_TP_BPF_H

/* ---- the tracepoint backend ---- */

SEC("tp_btf/kvm_vcpu_load")
int BPF_PROG(tp_vcpu_load, struct kvm_vcpu *vcpu)
{
	on_load_after_vhe(vcpu);
	return 0;
}

SEC("tp_btf/kvm_vcpu_put")
int BPF_PROG(tp_vcpu_put, struct kvm_vcpu *vcpu)
{
	on_put_after_vhe(vcpu);
	return 0;
}

SEC("tp_btf/kvm_vcpu_read_sys_reg")
int BPF_PROG(tp_read_sys_reg, struct kvm_vcpu *vcpu, int reg, u64 val, int loc)
{
	on_access(KVMSR_EV_READ, vcpu, (u32)reg, val, loc & 0xff, NULL);
	return 0;
}

SEC("tp_btf/kvm_vcpu_write_sys_reg")
int BPF_PROG(tp_write_sys_reg, struct kvm_vcpu *vcpu, int reg, u64 val, int loc)
{
	on_access(KVMSR_EV_WRITE, vcpu, (u32)reg, val, loc & 0xff, NULL);
	return 0;
}

/* ---- every backend ---- */

SEC("tp_btf/kvm_vcpu_sys_reg_direct")
int BPF_PROG(tp_sys_reg_direct, struct kvm_vcpu *vcpu, int reg, bool is_write,
	     unsigned long ip)
{
	on_direct(vcpu, (u32)reg, is_write, ip);
	return 0;
}

SEC("tp_btf/kvm_sys_access")
int BPF_PROG(tp_sys_access, unsigned long vcpu_pc, struct sys_reg_params *params,
	     const struct sys_reg_desc *r)
{
	on_trap(vcpu_pc, params, r);
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(tp_kvm_entry, unsigned long vcpu_pc)
{
	on_guest_entry(vcpu_pc);
	return 0;
}

/* A WARN fired (kernel/panic.c __warn -> trace_error_report_end). */
SEC("tp_btf/error_report_end")
int BPF_PROG(tp_error_report_end, int detector, unsigned long id)
{
	if (is_warn(detector))
		on_fault(KVMSR_EV_WARN, id, task_stack());
	return 0;
}

/* ---- the flight recorder's context (--context) ---- */

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(preempt, prev, next, SWITCH_PREV_STATE(ctx));
	return 0;
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(tp_kvm_exit, int ret, unsigned int esr_ec, unsigned long vcpu_pc)
{
	on_guest_exit(ret, esr_ec, vcpu_pc);
	return 0;
}

#endif /* KVMSR_TP_BPF_H */
