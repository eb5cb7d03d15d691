/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kprobe/kretprobe backend (kernels without BPF trampolines, e.g.
 * Debian 6.1).  A kretprobe has no arguments: each entry stashes what its
 * return needs (per CPU where preemption stays off until the return, per
 * thread where the function may sleep or migrate), through the two pairs of
 * helpers below, and the return calls the same body as the fexit.  The
 * link register at entry is the one frame of a kprobe's stack.
 */
#ifndef KVMSR_KPROBE_BPF_H
#define KVMSR_KPROBE_BPF_H

/* Per CPU: the vCPU argument for the kretprobe (preemption is off). */
static __always_inline void stash_vcpu(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	if (st)
		st->stash = vcpu;
}

static __always_inline struct kvm_vcpu *stashed_vcpu(void)
{
	struct cpu_state *st = this_cpu();

	return st ? st->stash : NULL;
}

/*
 * Per thread: an accessor's arguments (it may sleep or migrate).  @val: the
 * value written (writes), or the return value (reads) at the return.
 */
static __always_inline void accessor_enter(struct pt_regs *ctx, struct kvm_vcpu *vcpu,
					   int reg, __u64 val)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct saved_args a = { .vcpu = vcpu, .reg = (u32)reg, .val = val,
				.caller = PT_REGS_RET(ctx) };

	bpf_map_update_elem(&entry_args, &tid, &a, BPF_ANY);
}

static __always_inline void accessor_return(__u8 type, __u64 ret)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct saved_args *a = bpf_map_lookup_elem(&entry_args, &tid);

	if (!a)
		return;
	on_access(type, a->vcpu, a->reg, type == KVMSR_EV_READ ? ret : a->val, -1, &a->caller);
	bpf_map_delete_elem(&entry_args, &tid);
}

SEC("kprobe/kvm_arch_vcpu_load")
int BPF_KPROBE(kprobe_vcpu_load, struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	if (st) {
		st->stash = vcpu;
		st->stash_caller = PT_REGS_RET(ctx);
	}
	return 0;
}

SEC("kprobe/kvm_arch_vcpu_load")
int BPF_KPROBE(kprobe_vcpu_load_count, struct kvm_vcpu *vcpu)
{
	count_load(vcpu, -1);
	return 0;
}

SEC("kretprobe/kvm_arch_vcpu_load")
int BPF_KRETPROBE(kretprobe_vcpu_load)
{
	struct cpu_state *st = this_cpu();

	if (st && st->stash)
		on_load(st->stash, &st->stash_caller);
	return 0;
}

SEC("kprobe/kvm_arch_vcpu_put")
int BPF_KPROBE(kprobe_vcpu_put, struct kvm_vcpu *vcpu)
{
	__u64 caller = PT_REGS_RET(ctx);

	on_put(vcpu, false, &caller);
	return 0;
}

SEC("kprobe/kvm_vcpu_load_vhe")
int BPF_KPROBE(kprobe_vhe_load, struct kvm_vcpu *vcpu)
{
	calib_enter(vcpu);
	stash_vcpu(vcpu);
	return 0;
}

SEC("kretprobe/kvm_vcpu_load_vhe")
int BPF_KRETPROBE(kretprobe_vhe_load)
{
	struct kvm_vcpu *vcpu = stashed_vcpu();

	if (vcpu)
		calib_exit(vcpu, true);
	return 0;
}

SEC("kprobe/kvm_vcpu_put_vhe")
int BPF_KPROBE(kprobe_vhe_put, struct kvm_vcpu *vcpu)
{
	put_enter(vcpu);
	stash_vcpu(vcpu);
	return 0;
}

SEC("kretprobe/kvm_vcpu_put_vhe")
int BPF_KRETPROBE(kretprobe_vhe_put)
{
	struct kvm_vcpu *vcpu = stashed_vcpu();

	if (vcpu)
		put_exit(vcpu);
	return 0;
}

SEC("kprobe/vcpu_read_sys_reg")
int BPF_KPROBE(kprobe_read_sys_reg, struct kvm_vcpu *vcpu, int reg)
{
	accessor_enter(ctx, vcpu, reg, 0);
	return 0;
}

SEC("kretprobe/vcpu_read_sys_reg")
int BPF_KRETPROBE(kretprobe_read_sys_reg, u64 ret)
{
	accessor_return(KVMSR_EV_READ, ret);
	return 0;
}

SEC("kprobe/vcpu_write_sys_reg")
int BPF_KPROBE(kprobe_write_sys_reg, struct kvm_vcpu *vcpu, u64 val, int reg)
{
	accessor_enter(ctx, vcpu, reg, val);
	return 0;
}

SEC("kretprobe/vcpu_write_sys_reg")
int BPF_KRETPROBE(kretprobe_write_sys_reg)
{
	accessor_return(KVMSR_EV_WRITE, 0);
	return 0;
}

SEC("kprobe/kvm_arch_destroy_vm")
int BPF_KPROBE(kprobe_vm_exit, struct kvm *kvm)
{
	on_vm_exit(kvm);
	return 0;
}

SEC("kprobe/die")
int BPF_KPROBE(kprobe_die, const char *str, struct pt_regs *regs)
{
	on_bug(regs, false);
	return 0;
}

SEC("kprobe/kvm_vcpu_ioctl")
int BPF_KPROBE(kprobe_vcpu_ioctl, struct file *filp, unsigned int ioctl, unsigned long arg)
{
	on_vcpu_ioctl(filp, ioctl, arg);
	return 0;
}

#endif /* KVMSR_KPROBE_BPF_H */
