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

/* What tally() did: not counted (streamed instead), a key's first count, another. */
enum tally_res { TALLY_NO, TALLY_FIRST, TALLY_AGAIN };

/* Add @add to the map's count of @k (per CPU; atomic only against nesting). */
static __always_inline enum tally_res tally_add(const struct kvmsr_tally_key *k, __u64 add)
{
	__u64 *n = bpf_map_lookup_elem(&tallies, k);

	if (n) {
		__sync_fetch_and_add(n, add);
		return TALLY_AGAIN;
	}
	if (!bpf_map_update_elem(&tallies, k, &add, BPF_NOEXIST))
		return TALLY_FIRST;
	/* A program interrupting this one made it meanwhile, or the map is full. */
	n = bpf_map_lookup_elem(&tallies, k);
	if (n)
		__sync_fetch_and_add(n, add);
	else
		__sync_fetch_and_add(&tally_overflow, add);
	return TALLY_FIRST;
}

static __always_inline struct kvmsr_tally_cache *tally_cache_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tally_cache, &zero);
}

/* A slot's count to the map: the slot is free again. */
static __always_inline void tally_evict(struct kvmsr_tally_cache *c, __u32 i)
{
	struct kvmsr_tally_slot *sl;

	i &= KVMSR_TALLY_SLOTS - 1;
	sl = &c->slot[i];
	tally_add(&(struct kvmsr_tally_key){ .pid = c->pid, .vcpu_id = c->vcpu_id,
					     .reg = sl->reg, .type = sl->type,
					     .flags = sl->flags }, sl->n);
	c->used &= ~(1ULL << i);
}

/*
 * A vCPU loaded here: the cache becomes its own, the last owner's counts go
 * to the map.  The same vCPU loaded again on its CPU, the usual case, costs
 * a lookup.  Nothing moves once disarmed: user space reads both at the end.
 */
static __always_inline void tally_own(__u32 pid, __s32 id)
{
	struct kvmsr_tally_cache *c;
	__u32 i;

	if (!tally_unneeded || !armed || !(c = tally_cache_here()) ||
	    (c->pid == pid && c->vcpu_id == id))
		return;
	for (i = 0; i < KVMSR_TALLY_SLOTS; i++)
		if (c->used & (1ULL << i))
			tally_evict(c, i);
	c->pid = pid;
	c->vcpu_id = id;
}

/* A slot per (register, type, flags), spread by a multiplicative hash. */
static __always_inline __u32 tally_slot(__u16 reg, __u8 type, __u8 flags)
{
	__u32 h = ((__u32)reg << 16 | (__u32)type << 8 | flags) * 0x9e3779b1u;

	return h >> (32 - 6) & (KVMSR_TALLY_SLOTS - 1);
}

/* Room for a count before a slot is written back (a u32 at 1 M/s: 71 min). */
#define TALLY_SLOT_MAX 0x80000000u

/*
 * Count one event of the vCPU (@pid, @id): in the cache if the vCPU owns
 * it, else in the map.  Programs preempted inside this (fully preemptible
 * kernels only) can lose a count to a load on their CPU meanwhile.
 */
static __always_inline enum tally_res tally(__u8 type, __u8 flags, __u32 pid, __s32 id,
					    __u16 reg)
{
	struct kvmsr_tally_cache *c;
	struct kvmsr_tally_slot *sl;
	__u32 i;

	if (!armed)
		return TALLY_AGAIN;
	c = tally_cache_here();
	/* The key is built only off the cache's path: the usual count is an increment. */
	if (!c || c->pid != pid || c->vcpu_id != id)
		return tally_add(&(struct kvmsr_tally_key){ .pid = pid, .vcpu_id = id, .reg = reg,
							    .type = type, .flags = flags }, 1);
	i = tally_slot(reg, type, flags);
	sl = &c->slot[i];
	if (c->used & (1ULL << i)) {
		if (sl->reg == reg && sl->type == type && sl->flags == flags &&
		    sl->n < TALLY_SLOT_MAX) {
			sl->n++;
			return TALLY_AGAIN;
		}
		tally_evict(c, i);
	}
	sl->reg = reg;
	sl->type = type;
	sl->flags = flags;
	sl->n = 1;
	c->used |= 1ULL << i;
	/* New to the slot, maybe not to the map: first as far as this CPU knows. */
	return TALLY_FIRST;
}

/* An accessor call: counted instead of streamed? */
static __always_inline bool tally_access(__u8 type, __u32 reg, __u32 pid, __s32 id,
					 bool loaded)
{
	if (!tally_unneeded ||
	    in_bitmap(type == KVMSR_EV_WRITE ? stream_writes : checked_regs, reg))
		return false;
	tally(type, loaded ? KVMSR_F_LOADED : 0, pid, id, reg);
	return true;
}

/* A trap: counted unless it is of one of the put's registers. */
static __always_inline enum tally_res tally_trap(__u8 flags, __u32 pid, __s32 id, __u16 reg)
{
	struct cpu_state *st;

	if (!tally_unneeded)
		return TALLY_NO;
	if ((flags & KVMSR_F_MEMREG) && in_bitmap(checked_regs, reg)) {
		st = this_cpu();
		if (st)
			st->trap_streamed = true;
		return TALLY_NO;
	}
	return tally(KVMSR_EV_TRAP, flags, pid, id, reg);
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
