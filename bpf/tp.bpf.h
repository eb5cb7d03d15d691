/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tp_btf programs: the tracepoint backend (the kvm_vcpu_*_tp bare
 * tracepoints of the kernel/ patch series, exact: the accessor says where it
 * served each access), and the tracepoints every backend uses:
 * kvm_vcpu_sys_reg_direct_tp (the debug option), kvm_sys_access (traps),
 * kvm_entry, error_report_end (a WARN: kernel/panic.c __warn), and the
 * flight recorder's sched_switch and kvm_exit.  Unpack, call the body.
 * Bare tracepoints (DECLARE_TRACE) have no tracefs event; the kernel names
 * them <name>_tp, and their BTF type is btf_trace_<name>_tp.
 */
#ifndef KVMSR_TP_BPF_H
#define KVMSR_TP_BPF_H

THIN_PROG(BPF_PROG, "tp_btf/kvm_vcpu_load_tp", tp_vcpu_load,
	  on_load_after_vhe(vcpu), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "tp_btf/kvm_vcpu_put_tp", tp_vcpu_put,
	  on_put_after_vhe(vcpu), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "tp_btf/kvm_vcpu_read_sys_reg_tp", tp_read_sys_reg,
	  on_access(KVMSR_EV_READ, vcpu, (u32)reg, val, loc & 0xff, NULL),
	  struct kvm_vcpu *vcpu, int reg, u64 val, int loc)
THIN_PROG(BPF_PROG, "tp_btf/kvm_vcpu_write_sys_reg_tp", tp_write_sys_reg,
	  on_access(KVMSR_EV_WRITE, vcpu, (u32)reg, val, loc & 0xff, NULL),
	  struct kvm_vcpu *vcpu, int reg, u64 val, int loc)

THIN_PROG(BPF_PROG, "tp_btf/kvm_vcpu_sys_reg_direct_tp", tp_sys_reg_direct,
	  on_direct(vcpu, (u32)reg, is_write, ip),
	  struct kvm_vcpu *vcpu, int reg, bool is_write, unsigned long ip)
THIN_PROG(BPF_PROG, "tp_btf/kvm_sys_access", tp_sys_access,
	  on_trap(vcpu_pc, params, r),
	  unsigned long vcpu_pc, struct sys_reg_params *params, const struct sys_reg_desc *r)
THIN_PROG(BPF_PROG, "tp_btf/kvm_entry", tp_kvm_entry,
	  on_guest_entry(vcpu_pc), unsigned long vcpu_pc)
THIN_PROG(BPF_PROG, "tp_btf/error_report_end", tp_error_report_end,
	  on_warn(detector, id), int detector, unsigned long id)

THIN_PROG(BPF_PROG, "tp_btf/sched_switch", tp_sched_switch,
	  on_switch(preempt, prev, next, SWITCH_PREV_STATE(ctx)),
	  bool preempt, struct task_struct *prev, struct task_struct *next)
THIN_PROG(BPF_PROG, "tp_btf/kvm_exit", tp_kvm_exit,
	  on_guest_exit(ret, esr_ec, vcpu_pc), int ret, unsigned int esr_ec,
	  unsigned long vcpu_pc)

#endif /* KVMSR_TP_BPF_H */
