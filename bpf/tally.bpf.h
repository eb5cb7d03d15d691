/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Default `trace` (tally_unneeded): what no rule of the analyzer can use is
 * counted here, per (vCPU, type, register), instead of streamed.  On a
 * Linux guest that is about half the stream (MDCR_EL2 reads, debug and ID
 * register traps, guest entries between loads), and every record costs the
 * ring buffer, the reader and the formatter.  What a rule needs and is
 * streamed whatever the filter (docs/detection.md):
 *  - accessor calls of the registers the put may own (checked_regs), the
 *    pending accesses, and writes of the EL2 ones (stream_writes: an EL2
 *    write may change an EL1 register on the CPU under NV: a taint);
 *  - traps of the put's registers (coverage: the accessor call that serves
 *    one is matched with it);
 *  - a guest entry while an access waits for the put's verdict (the guest
 *    may change the register: taint, or a TVM-guarded entry), or after a
 *    streamed trap (the entry ends the trap's wait for its accessor call).
 * User space adds the counts to the hidden-event counts and the analyzer's
 * counters at the end (session_tallies()).
 */
#ifndef KVMSR_TALLY_BPF_H
#define KVMSR_TALLY_BPF_H

static __always_inline void tally(__u8 type, __u8 flags, __u32 pid, __s32 id, __u16 reg)
{
	struct kvmsr_tally_key k = { .pid = pid, .vcpu_id = id, .reg = reg, .type = type,
				     .flags = flags };
	__u64 one = 1, *n = bpf_map_lookup_elem(&tallies, &k);

	/* Per CPU; atomic only against a program interrupting this one. */
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	if (!bpf_map_update_elem(&tallies, &k, &one, BPF_NOEXIST))
		return;
	/* A program interrupting this one made it meanwhile, or the map is full. */
	n = bpf_map_lookup_elem(&tallies, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		__sync_fetch_and_add(&tally_overflow, 1);
}

/* An accessor call: counted instead of streamed? */
static __always_inline bool tally_access(__u8 type, __u32 reg, __u32 pid, __s32 id,
					 struct kvm_vcpu *vcpu)
{
	if (!tally_unneeded ||
	    in_bitmap(type == KVMSR_EV_WRITE ? stream_writes : checked_regs, reg))
		return false;
	tally(type, word_loaded(flag_word(vcpu)) ? KVMSR_F_LOADED : 0, pid, id, reg);
	return true;
}

/* A trap: counted unless it is of one of the put's registers. */
static __always_inline bool tally_trap(__u8 flags, __u32 pid, __s32 id, __u16 reg)
{
	struct cpu_state *st;

	if (!tally_unneeded)
		return false;
	if ((flags & KVMSR_F_MEMREG) && in_bitmap(checked_regs, reg)) {
		st = this_cpu();
		if (st)
			st->trap_streamed = true;
		return false;
	}
	tally(KVMSR_EV_TRAP, flags, pid, id, reg);
	return true;
}

/* A guest entry: counted unless an access or a trap waits on it. */
static __always_inline bool tally_entry(struct cpu_state *st, __u8 flags, __u32 pid, __s32 id)
{
	if (!tally_unneeded)
		return false;
	if (st && st->vcpu && (st->nr_touched || st->trap_streamed)) {
		st->trap_streamed = false;
		return false;
	}
	tally(KVMSR_EV_ENTRY, flags, pid, id, 0);
	return true;
}

#endif /* KVMSR_TALLY_BPF_H */
