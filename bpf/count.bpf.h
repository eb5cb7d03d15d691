/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counting mode (`stat`): per-vCPU records (loads, puts, loaded and resident
 * time, a log2 histogram, imbalances) and per-(vCPU, register) accessor
 * counters in hash maps that src/probe/agg.c reads.  No record per event.
 */
#ifndef KVMSR_COUNT_BPF_H
#define KVMSR_COUNT_BPF_H

/* The vCPU's record; created, with its VM pid and id, on first sight. */
static __always_inline struct kvmsr_vcpu_agg *vcpu_agg(struct kvm_vcpu *vcpu, __u64 now)
{
	__u64 key = (__u64)vcpu;
	struct kvmsr_vcpu_agg *a = bpf_map_lookup_elem(&vcpu_aggs, &key);
	struct kvmsr_vcpu_agg init = { .first_ns = now };

	if (a)
		return a;
	init.pid = bpf_get_current_pid_tgid() >> 32;
	init.vcpu_id = BPF_CORE_READ(vcpu, vcpu_id);
	bpf_map_update_elem(&vcpu_aggs, &key, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&vcpu_aggs, &key);
}

static __always_inline void close_agg(struct kvmsr_vcpu_agg *a, __u64 now, bool loaded)
{
	/* A clock read behind the load (seen under QEMU TCG): no negative time. */
	__u64 d = now > a->open_since ? now - a->open_since : 0;

	a->resident_ns += d;
	if (loaded) {
		__u32 b = kvmsr_log2_bucket(d);

		a->loaded_ns += d;
		/*
		 * A bound the verifier can see.  Not "& (BUCKETS - 1)": 40 is no
		 * power of two, and that mask put 0.5 ms intervals in the 4 ns
		 * bucket (found by the exporter's histogram).
		 */
		asm volatile("" : "+r"(b));
		if (b < KVMSR_HIST_BUCKETS)
			a->hist[b]++;
	}
	a->open_since = 0;
}

/*
 * Counting mode confirms the SYSREGS_ON_CPU bit assumed from the version
 * (seed_on_cpu_mask) with its own load and put probes instead of attaching
 * the VHE ones: at the entry of kvm_arch_vcpu_load the VHE load has not run
 * yet, at the entry of kvm_arch_vcpu_put the VHE put has not, so the flag is
 * among the bits set across one load->put pair on a CPU.  Other bits may be
 * set there too (PMUSERENR_ON_CPU at the VHE load, IN_WFI before a halt's
 * put), so a pair can confirm the assumed bit, never find another one:
 * CALIB_CONFIRM pairs that all set it make it the learned mask; one pair
 * that set bits without it stops the confirming, and user space attaches
 * the VHE probes to learn the bit exactly (calib.bpf.h,
 * session_calibrate()).  A double load sets nothing new: no sample.  In
 * nVHE a pair sets nothing, or other bits only (a miss: the VHE probes are
 * attached and never fire, the bit stays unlearned).
 */
#define CALIB_CONFIRM 8

static __always_inline bool confirming(void)
{
	return !on_cpu_mask && !confirm_misses && flag_layout != KVMSR_FLAG_BOOL;
}

static __always_inline void confirm_on_cpu_bit(__u32 at_load, __u32 at_put)
{
	__u32 set = at_put & ~at_load;

	if (!set)
		return;
	if (!(set & seed_on_cpu_mask)) {
		__sync_fetch_and_add(&confirm_misses, 1);
		return;
	}
	/* No fetching atomics: the object is built for BPF ISA v1. */
	__sync_fetch_and_add(&confirm_hits, 1);
	if (confirm_hits >= CALIB_CONFIRM && !confirm_misses)
		on_cpu_mask = seed_on_cpu_mask;
}

/*
 * Counting mode keeps the load/put probes, the ones that never detach, as
 * light as they can be: the load side is an fentry that reads nothing from
 * the vCPU; whether the interval had the sysregs on the CPU is read at its
 * put, before the VHE put clears the flag.  The tracepoints fire after the
 * VHE load and put instead: @loaded_now (-1 for probes) is the flag after
 * the load, kept for the put.
 */
static __always_inline void count_load(struct kvm_vcpu *vcpu, int loaded_now, bool direct)
{
	struct cpu_state *st = this_cpu();
	__u64 now = bpf_ktime_get_ns();
	struct kvmsr_vcpu_agg *a;

	if (!armed || (filter_pid && current_pid() != filter_pid))
		return;
	a = vcpu_agg(vcpu, now);
	if (!a)
		return;
	if (st) {
		st->vcpu = vcpu;
		st->pid = a->pid;
		st->vcpu_id = a->vcpu_id;
		/* The flag word before the VHE load, for its put to confirm the bit. */
		if (loaded_now < 0 && confirming())
			st->calib_before = flag_word_of(vcpu, direct);
	}
	a->loads++;
	a->last_ns = now;
	if (a->open_since) {
		/*
		 * No put seen since the last load.  If SYSREGS_ON_CPU is still
		 * set, KVM really loaded twice (the KVM_BUG_ON in
		 * kvm_vcpu_load_debug); if the VHE put cleared it, our put probe
		 * missed a call: say so, do not accuse KVM.  A tracepoint is
		 * never skipped but for BPF recursion, which user space reports.
		 */
		bool still = loaded_now >= 0 || word_loaded(flag_word(vcpu));

		if (still)
			a->double_loads++;
		else
			a->missed_puts++;
		close_agg(a, now, loaded_now >= 0 ? a->open_loaded : still);
	}
	a->open_since = now;
	if (loaded_now >= 0)
		a->open_loaded = loaded_now;
}

/* @direct: called from a BTF program (see flag_word_direct()). */
static __always_inline void count_put(struct kvm_vcpu *vcpu, bool after_put, bool direct)
{
	struct cpu_state *st = this_cpu();
	__u64 key = (__u64)vcpu, now = bpf_ktime_get_ns();
	struct kvmsr_vcpu_agg *a = bpf_map_lookup_elem(&vcpu_aggs, &key);
	bool first = false, paired = st && st->vcpu == vcpu;
	__u32 word = 0;

	if (paired)
		st->vcpu = NULL;
	if (!armed)
		return;
	if (!after_put) {
		word = flag_word_of(vcpu, direct);
		/* A load of this vCPU on this CPU came before: a pair. */
		if (paired && confirming())
			confirm_on_cpu_bit(st->calib_before, word);
	}
	if (!a) {
		if (filter_pid && current_pid() != filter_pid)
			return;
		a = vcpu_agg(vcpu, now);
		if (!a)
			return;
		first = true;
	}
	if (filter_pid && a->pid != filter_pid)
		return;
	a->puts++;
	a->last_ns = now;
	if (!a->open_since) {
		/* A first sight may end an interval that began before tracing. */
		if (!first)
			a->orphan_puts++;
		return;
	}
	close_agg(a, now, after_put ? a->open_loaded : word_loaded(word));
}

static __always_inline void agg_access(struct kvm_vcpu *vcpu, __u32 reg, bool write,
				       bool loaded)
{
	struct kvmsr_reg_key key = { .vcpu = (__u64)vcpu, .reg = reg };
	struct kvmsr_reg_agg *r = bpf_map_lookup_elem(&reg_aggs, &key);

	if (!r) {
		struct kvmsr_reg_agg zero = {};

		bpf_map_update_elem(&reg_aggs, &key, &zero, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&reg_aggs, &key);
		if (!r)
			return;
	}
	if (write)
		r->writes[loaded]++;
	else
		r->reads[loaded]++;
}

/*
 * An accessor call, counted (fentry or kprobe: counting needs nothing the
 * call returns, and an entry probe costs about half an exit probe, which
 * runs the function from its trampoline).  Whether the sysregs are on the
 * CPU is the same at entry as at return: no accessor loads or puts them.
 * @direct: called from a BTF program (see flag_word_direct()).
 */
static __always_inline void count_access(struct kvm_vcpu *vcpu, __u32 reg, bool write,
					 bool direct)
{
	if (!reg_wanted(reg) || (filter_pid && current_pid() != filter_pid))
		return;
	agg_access(vcpu, reg, write,
		   word_loaded(flag_word_of(vcpu, direct)));
}

#endif /* KVMSR_COUNT_BPF_H */
