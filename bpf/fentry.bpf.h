/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fentry/fexit backend (kernels with BPF trampolines): unpack the
 * arguments, call the shared body.  The VHE load/put programs are retargeted
 * by user space to the function this kernel has (src/probe/targets.c).
 */
#ifndef KVMSR_FENTRY_BPF_H
#define KVMSR_FENTRY_BPF_H

SEC("fexit/kvm_arch_vcpu_load")
int BPF_PROG(fexit_vcpu_load, struct kvm_vcpu *vcpu, int cpu)
{
	on_load(vcpu, NULL);
	return 0;
}

/* Counting mode's load: an fentry, cheaper than the fexit above. */
SEC("fentry/kvm_arch_vcpu_load")
int BPF_PROG(fentry_vcpu_load_count, struct kvm_vcpu *vcpu, int cpu)
{
	count_load(vcpu, -1);
	return 0;
}

SEC("fentry/kvm_arch_vcpu_put")
int BPF_PROG(fentry_vcpu_put, struct kvm_vcpu *vcpu)
{
	on_put(vcpu, false, NULL);
	return 0;
}

SEC("fentry/kvm_vcpu_load_vhe")
int BPF_PROG(fentry_vhe_load, struct kvm_vcpu *vcpu)
{
	calib_enter(vcpu);
	return 0;
}

SEC("fexit/kvm_vcpu_load_vhe")
int BPF_PROG(fexit_vhe_load, struct kvm_vcpu *vcpu)
{
	calib_exit(vcpu, true);
	return 0;
}

SEC("fentry/kvm_vcpu_put_vhe")
int BPF_PROG(fentry_vhe_put, struct kvm_vcpu *vcpu)
{
	put_enter(vcpu);
	return 0;
}

SEC("fexit/kvm_vcpu_put_vhe")
int BPF_PROG(fexit_vhe_put, struct kvm_vcpu *vcpu)
{
	put_exit(vcpu);
	return 0;
}

SEC("fexit/vcpu_read_sys_reg")
int BPF_PROG(fexit_read_sys_reg, struct kvm_vcpu *vcpu, int reg, u64 ret)
{
	on_access(KVMSR_EV_READ, vcpu, (u32)reg, ret, -1, NULL);
	return 0;
}

/* fexit, not fentry: the memory copy after the write tells where it went. */
SEC("fexit/vcpu_write_sys_reg")
int BPF_PROG(fexit_write_sys_reg, struct kvm_vcpu *vcpu, u64 val, int reg)
{
	on_access(KVMSR_EV_WRITE, vcpu, (u32)reg, val, -1, NULL);
	return 0;
}

SEC("fentry/kvm_arch_destroy_vm")
int BPF_PROG(fentry_vm_exit, struct kvm *kvm)
{
	on_vm_exit(kvm);
	return 0;
}

SEC("fentry/die")
int BPF_PROG(fentry_die, const char *str, struct pt_regs *regs, long err)
{
	on_bug(regs, true);
	return 0;
}

SEC("fentry/kvm_vcpu_ioctl")
int BPF_PROG(fentry_vcpu_ioctl, struct file *filp, unsigned int ioctl, unsigned long arg)
{
	on_vcpu_ioctl(filp, ioctl, arg);
	return 0;
}

#endif /* KVMSR_FENTRY_BPF_H */
