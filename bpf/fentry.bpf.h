/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fentry/fexit backend (kernels with BPF trampolines): unpack the
 * arguments, call the shared body.  The VHE load/put programs are retargeted
 * by user space to the function this kernel has (src/probe/targets.c).
 * fexit, not fentry, for the writes: the memory copy after the write tells
 * where it went.  Counting mode's load and accessors are fentry, cheaper than
 * fexit: counting needs nothing the call returns.
 */
#ifndef KVMSR_FENTRY_BPF_H
#define KVMSR_FENTRY_BPF_H

THIN_PROG(BPF_PROG, "fexit/kvm_arch_vcpu_load", fexit_vcpu_load,
	  on_load(vcpu, NULL), struct kvm_vcpu *vcpu, int cpu)
THIN_PROG(BPF_PROG, "fentry/kvm_arch_vcpu_load", fentry_vcpu_load_count,
	  count_load(vcpu, -1, true), struct kvm_vcpu *vcpu, int cpu)
THIN_PROG(BPF_PROG, "fentry/kvm_arch_vcpu_put", fentry_vcpu_put,
	  on_put(vcpu, false, NULL), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "fentry/kvm_vcpu_load_vhe", fentry_vhe_load,
	  calib_enter(vcpu), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "fexit/kvm_vcpu_load_vhe", fexit_vhe_load,
	  calib_exit(vcpu, true), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "fentry/kvm_vcpu_put_vhe", fentry_vhe_put,
	  put_enter(vcpu), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "fexit/kvm_vcpu_put_vhe", fexit_vhe_put,
	  put_exit(vcpu), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_PROG, "fexit/vcpu_read_sys_reg", fexit_read_sys_reg,
	  on_access(KVMSR_EV_READ, vcpu, (u32)reg, ret, -1, NULL),
	  struct kvm_vcpu *vcpu, int reg, u64 ret)
THIN_PROG(BPF_PROG, "fexit/vcpu_write_sys_reg", fexit_write_sys_reg,
	  on_access(KVMSR_EV_WRITE, vcpu, (u32)reg, val, -1, NULL),
	  struct kvm_vcpu *vcpu, u64 val, int reg)
THIN_PROG(BPF_PROG, "fentry/vcpu_read_sys_reg", fentry_read_sys_reg_count,
	  count_access(vcpu, (u32)reg, false, true), struct kvm_vcpu *vcpu, int reg)
THIN_PROG(BPF_PROG, "fentry/vcpu_write_sys_reg", fentry_write_sys_reg_count,
	  count_access(vcpu, (u32)reg, true, true), struct kvm_vcpu *vcpu, u64 val, int reg)
THIN_PROG(BPF_PROG, "fentry/kvm_arch_destroy_vm", fentry_vm_exit,
	  on_vm_exit(kvm), struct kvm *kvm)
THIN_PROG(BPF_PROG, "fentry/die", fentry_die,
	  on_bug(regs, true), const char *str, struct pt_regs *regs, long err)
THIN_PROG(BPF_PROG, "fentry/kvm_vcpu_ioctl", fentry_vcpu_ioctl,
	  on_vcpu_ioctl(filp, ioctl, arg), struct file *filp, unsigned int ioctl,
	  unsigned long arg)

#endif /* KVMSR_FENTRY_BPF_H */
