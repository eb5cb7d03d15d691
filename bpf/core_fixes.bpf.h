/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-layout quirks, one place (after bcc libbpf-tools' core_fixes.bpf.h).
 *
 * Every helper here reads something whose name, type or presence changed
 * between kernels, and says which change it follows.  Each is decided by
 * CO-RE against the running kernel's BTF (bpf_core_field_exists(),
 * bpf_core_enum_value_exists(), ___flavour types in kvm_types.h): one object
 * for every arm64 kernel, no #ifdef KERNEL_VERSION.  Commit ids are
 * Linus' tree's; where none is given the id could not be confirmed and the
 * version is cited instead.  docs/kernels.md tells the same per version.  Quirks decided in user space (which VHE
 * load/put function to attach to: kvm_vcpu_load_sysregs_vhe on 5.9-6.6,
 * kvm_vcpu_load_vhe/__vcpu_load_switch_sysregs on 6.7+) live in
 * src/probe/targets.c.
 */
#ifndef KVMSR_CORE_FIXES_BPF_H
#define KVMSR_CORE_FIXES_BPF_H

/*
 * The raw word that holds SYSREGS_ON_CPU.
 *
 * 4.17-5.19: `bool sysregs_loaded_on_cpu` in struct kvm_vcpu_arch.
 * 6.0+: a bit of `sflags`, since 30b6ab45f813 ("KVM: arm64: Convert vcpu
 *   sysregs_loaded_on_cpu to a state flag"); sflags is a u8 since
 *   54ddda919c4b ("KVM: arm64: Reduce the size of the vcpu flag members"),
 *   both v6.0, and a u16 from ~6.16 on, when NESTED_SERROR_PENDING took
 *   BIT(8) (id not confirmed).  BPF_CORE_READ_BITFIELD_PROBED reads whatever
 *   size this kernel declares.
 * The bit itself is a macro BTF cannot name: BIT(4) on 6.0-6.13, BIT(2)
 *   since "KVM: arm64: Move host SVE/SME state flags out of vCPU" (v6.14;
 *   id not confirmed against Linus' tree; 6.12.y stable keeps BIT(4)).
 *   calib.bpf.h learns it.
 */
static __always_inline __u32 flag_word(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu___bool *old = (void *)vcpu;

	if (bpf_core_field_exists(old->arch.sysregs_loaded_on_cpu)) {
		/*
		 * Read before writing: a store on every call would bounce the
		 * cache line of .bss between all CPUs.
		 */
		if (flag_layout != KVMSR_FLAG_BOOL)
			flag_layout = KVMSR_FLAG_BOOL;
		return BPF_CORE_READ(old, arch.sysregs_loaded_on_cpu);
	}
	if (bpf_core_field_exists(vcpu->arch.sflags)) {
		if (flag_layout != KVMSR_FLAG_SFLAGS)
			flag_layout = KVMSR_FLAG_SFLAGS;
		/* Reads u8 or u16, whatever this kernel declares. */
		return BPF_CORE_READ_BITFIELD_PROBED(vcpu, arch.sflags);
	}
	return 0;
}

/*
 * The same from a BTF program (fentry, tp_btf), whose vCPU pointer the
 * verifier lets it read directly: a load instead of a probe-read helper
 * call, on the counting path's every put.  Same quirk as flag_word().
 */
static __always_inline __u32 flag_word_direct(struct kvm_vcpu *vcpu)
{
	if (bpf_core_field_exists(vcpu->arch.sflags)) {
		if (flag_layout != KVMSR_FLAG_SFLAGS)
			flag_layout = KVMSR_FLAG_SFLAGS;
		return BPF_CORE_READ_BITFIELD(vcpu, arch.sflags);
	}
	return flag_word(vcpu);
}

/*
 * The vCPU's id: a plain load from a BTF program (@direct), a probe-read
 * from a kprobe, whose vCPU pointer is a number to the verifier.
 */
static __always_inline __s32 vcpu_id_of(struct kvm_vcpu *vcpu, bool direct)
{
	return direct ? vcpu->vcpu_id : BPF_CORE_READ(vcpu, vcpu_id);
}

/* The flag word the same way (flag_word(), flag_word_direct()). */
static __always_inline __u32 flag_word_of(struct kvm_vcpu *vcpu, bool direct)
{
	return direct ? flag_word_direct(vcpu) : flag_word(vcpu);
}

/*
 * 6.8+: registers past __VNCR_START__ live in a separate page once a nested
 * vCPU has one, since d8bd48e3f0ee ("KVM: arm64: nv: Map VNCR-capable
 * registers to a separate page").  A subprogram, so that clang cannot hoist
 * the relocated address above the bpf_core_field_exists() guard: on kernels
 * without vncr_array libbpf poisons this access and the verifier must never
 * reach it.
 */
static __noinline __u64 *vncr_page(struct kvm_vcpu *vcpu)
{
	return BPF_CORE_READ(vcpu, arch.ctxt.vncr_array);
}

/*
 * The memory copy of a register, as __vcpu_sys_reg() locates it: sys_regs[]
 * of the vCPU context (NR_SYS_REGS entries: the size comes from BTF, the
 * enum changes every release), except registers past __VNCR_START__ once a
 * nested vCPU has a VNCR page (6.8+, above).
 */
static __always_inline bool read_mem(struct kvm_vcpu *vcpu, __u32 reg, __u64 *out)
{
	__u32 nr = bpf_core_field_size(vcpu->arch.ctxt.sys_regs) / sizeof(__u64);
	__u64 *base;

	if (reg >= nr)
		return false;
	if (bpf_core_field_exists(vcpu->arch.ctxt.vncr_array) &&
	    bpf_core_enum_value_exists(enum vcpu_sysreg___kvmsr, __VNCR_START__)) {
		__u64 *vncr = vncr_page(vcpu);
		__u32 start = bpf_core_enum_value(enum vcpu_sysreg___kvmsr, __VNCR_START__);

		if (vncr && reg >= start)
			return !bpf_probe_read_kernel(out, sizeof(*out), vncr + (reg - start));
	}
	base = __builtin_preserve_access_index(&vcpu->arch.ctxt.sys_regs[0]);
	return !bpf_probe_read_kernel(out, sizeof(*out), base + reg);
}

/*
 * The kernel's enum sr_loc_attr bits as KVMSR_LOC_*, values by CO-RE.  The
 * enum came with locate_register()/struct sr_loc in ec0ab059d435 ("KVM:
 * arm64: Fix vcpu_{read,write}_sys_reg() accessors", 6.17-rc); kvmsr's
 * kernel/0002 moves it to sys_regs.h for its tracepoints.  Without it in
 * BTF the tracepoint's low bits are taken as they are.
 */
static __always_inline __u8 abi_loc(int kloc)
{
	__u8 loc = 0;

	if (!bpf_core_enum_value_exists(enum sr_loc_attr___kvmsr, SR_LOC_LOADED))
		return kloc & 0xf;
	if (kloc & bpf_core_enum_value(enum sr_loc_attr___kvmsr, SR_LOC_LOADED))
		loc |= KVMSR_LOC_LOADED;
	if (kloc & bpf_core_enum_value(enum sr_loc_attr___kvmsr, SR_LOC_MAPPED))
		loc |= KVMSR_LOC_MAPPED;
	if (kloc & bpf_core_enum_value(enum sr_loc_attr___kvmsr, SR_LOC_XLATED))
		loc |= KVMSR_LOC_XLATED;
	if (kloc & bpf_core_enum_value(enum sr_loc_attr___kvmsr, SR_LOC_SPECIAL))
		loc |= KVMSR_LOC_SPECIAL;
	return loc;
}

/*
 * The VMM that created a VM: kvm->userspace_pid where the kernel's struct
 * kvm has it (probed: the version and commit that added it are not
 * confirmed), else the current process.
 */
static __always_inline __u32 vm_pid(struct kvm *kvm)
{
	if (bpf_core_field_exists(kvm->userspace_pid))
		return BPF_CORE_READ(kvm, userspace_pid);
	return current_pid();
}

/*
 * sched_switch's prev_state: the tracepoint's 4th argument since 9c2136be0878
 * ("sched/tracing: Append prev_state to tp args instead", v5.18).
 */
#define SWITCH_PREV_STATE(ctx) ((__u64)(ctx)[3])

/*
 * error_report_end(detector, id) is fired by __warn() with
 * ERROR_DETECTOR_WARN from 5.17 on (version from the merge window; id not
 * confirmed); the enum's value comes from BTF.
 */
static __always_inline bool is_warn(int detector)
{
	return detector == bpf_core_enum_value(enum error_detector___kvmsr, ERROR_DETECTOR_WARN);
}

/*
 * CONFIG_PREEMPT_NOTIFIERS: task_struct.preempt_notifiers exists only with
 * it (KVM selects it).  Is @node among the first four of the thread's list?
 */
static __always_inline bool on_notifier_list(struct task_struct *t, __u64 node)
{
	struct hlist_node *n;
	int i;

	if (!bpf_core_field_exists(t->preempt_notifiers))
		return false;
	n = BPF_CORE_READ(t, preempt_notifiers.first);
	for (i = 0; i < 4 && n; i++) {
		if ((__u64)n == node)
			return true;
		n = BPF_CORE_READ(n, next);
	}
	return false;
}

#endif /* KVMSR_CORE_FIXES_BPF_H */
