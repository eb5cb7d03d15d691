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

/* The VHE load/put's return: @exit (calib_exit or put_exit) on the stash. */
#define VHE_RETURN(exit, ...) ({					\
	struct kvm_vcpu *__v = stashed_vcpu();				\
									\
	if (__v)							\
		exit(__v, ##__VA_ARGS__);				\
})

/* kvm_arch_vcpu_load: the vCPU and the caller (LR) for the kretprobe. */
static __always_inline void stash_load(struct kvm_vcpu *vcpu, __u64 caller)
{
	struct cpu_state *st = this_cpu();

	if (st) {
		st->stash = vcpu;
		st->stash_caller = caller;
	}
}

static __always_inline void load_return(void)
{
	struct cpu_state *st = this_cpu();

	if (st && st->stash)
		on_load(st->stash, &st->stash_caller);
}

static __always_inline void put_kprobe(struct kvm_vcpu *vcpu, __u64 caller)
{
	on_put(vcpu, false, &caller);
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

THIN_PROG(BPF_KPROBE, "kprobe/kvm_arch_vcpu_load", kprobe_vcpu_load,
	  stash_load(vcpu, PT_REGS_RET(ctx)), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_KPROBE, "kprobe/kvm_arch_vcpu_load", kprobe_vcpu_load_count,
	  count_load(vcpu, -1, false), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_KRETPROBE, "kretprobe/kvm_arch_vcpu_load", kretprobe_vcpu_load, load_return())
THIN_PROG(BPF_KPROBE, "kprobe/kvm_arch_vcpu_put", kprobe_vcpu_put,
	  put_kprobe(vcpu, PT_REGS_RET(ctx)), struct kvm_vcpu *vcpu)

THIN_PROG(BPF_KPROBE, "kprobe/kvm_vcpu_load_vhe", kprobe_vhe_load,
	  (calib_enter(vcpu), stash_vcpu(vcpu)), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_KRETPROBE, "kretprobe/kvm_vcpu_load_vhe", kretprobe_vhe_load,
	  VHE_RETURN(calib_exit, true))
THIN_PROG(BPF_KPROBE, "kprobe/kvm_vcpu_put_vhe", kprobe_vhe_put,
	  (put_enter(vcpu), stash_vcpu(vcpu)), struct kvm_vcpu *vcpu)
THIN_PROG(BPF_KRETPROBE, "kretprobe/kvm_vcpu_put_vhe", kretprobe_vhe_put,
	  VHE_RETURN(put_exit))

THIN_PROG(BPF_KPROBE, "kprobe/vcpu_read_sys_reg", kprobe_read_sys_reg,
	  accessor_enter(ctx, vcpu, reg, 0), struct kvm_vcpu *vcpu, int reg)
THIN_PROG(BPF_KRETPROBE, "kretprobe/vcpu_read_sys_reg", kretprobe_read_sys_reg,
	  accessor_return(KVMSR_EV_READ, ret), u64 ret)
THIN_PROG(BPF_KPROBE, "kprobe/vcpu_write_sys_reg", kprobe_write_sys_reg,
	  accessor_enter(ctx, vcpu, reg, val), struct kvm_vcpu *vcpu, u64 val, int reg)
THIN_PROG(BPF_KRETPROBE, "kretprobe/vcpu_write_sys_reg", kretprobe_write_sys_reg,
	  accessor_return(KVMSR_EV_WRITE, 0))

/* Counting mode: the entry alone, no kretprobe (count_access()). */
THIN_PROG(BPF_KPROBE, "kprobe/vcpu_read_sys_reg", kprobe_read_sys_reg_count,
	  count_access(vcpu, (u32)reg, false, false), struct kvm_vcpu *vcpu, int reg)
THIN_PROG(BPF_KPROBE, "kprobe/vcpu_write_sys_reg", kprobe_write_sys_reg_count,
	  count_access(vcpu, (u32)reg, true, false), struct kvm_vcpu *vcpu, u64 val, int reg)

THIN_PROG(BPF_KPROBE, "kprobe/kvm_arch_destroy_vm", kprobe_vm_exit,
	  on_vm_exit(kvm), struct kvm *kvm)
THIN_PROG(BPF_KPROBE, "kprobe/die", kprobe_die,
	  on_bug(regs, false), const char *str, struct pt_regs *regs)
THIN_PROG(BPF_KPROBE, "kprobe/kvm_vcpu_ioctl", kprobe_vcpu_ioctl,
	  on_vcpu_ioctl(filp, ioctl, arg), struct file *filp, unsigned int ioctl,
	  unsigned long arg)

#endif /* KVMSR_KPROBE_BPF_H */
