/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Learning SYSREGS_ON_CPU.  The bit is a macro (BIT(4) on 6.0-6.13, BIT(2)
 * later, and stable trees differ: core_fixes.bpf.h), so BTF cannot name it.
 * The VHE sysreg load function sets it and the put function clears it: the
 * bits that flip across those calls, intersected over calls, are the flag.
 * A call that flips nothing (a double load, exactly what we hunt) teaches
 * nothing and is skipped.
 */
#ifndef KVMSR_CALIB_BPF_H
#define KVMSR_CALIB_BPF_H

/* Were the sysregs on the CPU, by the flag word flag_word() read? */
static __always_inline bool word_loaded(__u32 word)
{
	__u32 mask;

	if (flag_layout == KVMSR_FLAG_BOOL)
		return word != 0;
	mask = on_cpu_mask ?: seed_on_cpu_mask;
	return (word & mask) != 0;
}

static __always_inline void learn_on_cpu_bit(__u32 flipped)
{
	__u32 mask = on_cpu_mask;

	if (!flipped)
		return;
	if (!mask || (mask & flipped) == mask) {
		on_cpu_mask = mask ? mask : flipped;
		__sync_fetch_and_add(&calib_samples, 1);
	} else if (mask & flipped) {
		on_cpu_mask = mask & flipped;
		__sync_fetch_and_add(&calib_samples, 1);
	} else {
		__sync_fetch_and_add(&calib_conflicts, 1);
	}
}

/* Entry of the VHE load or put: the flag word before. */
static __always_inline void calib_enter(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	if (st)
		st->calib_before = flag_word(vcpu);
}

/* Exit of the VHE load (@is_load) or put: what it set, or cleared. */
static __always_inline void calib_exit(struct kvm_vcpu *vcpu, bool is_load)
{
	struct cpu_state *st = this_cpu();
	__u32 after, before;

	if (!st || flag_layout != KVMSR_FLAG_SFLAGS)
		return;
	after = flag_word(vcpu);
	before = st->calib_before;
	learn_on_cpu_bit(is_load ? after & ~before : before & ~after);
}

/*
 * The tracepoint backend: kvm_vcpu_load_tp/put_tp fire after the VHE load and put,
 * so the word after the load (@st->calib_before, kept by the load) against
 * the word after the put.  Between them more than SYSREGS_ON_CPU flips (VHE
 * activates traps at load: PMUSERENR_ON_CPU too).  When the version's bit is
 * among them, it is the one.
 */
static __always_inline void calib_tp_put(struct cpu_state *st, __u32 word)
{
	__u32 flipped = st->calib_before & ~word;

	if (flipped & seed_on_cpu_mask)
		flipped &= seed_on_cpu_mask;
	if (flag_layout == KVMSR_FLAG_SFLAGS)
		learn_on_cpu_bit(flipped);
}

#endif /* KVMSR_CALIB_BPF_H */
