/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmsr's BPF state: the configuration user space fixes before load
 * (.rodata), the results it reads back (.bss), every map, and the per-CPU
 * slot of what is loaded where.  Names are the skeleton's (kvmsr_bpf):
 * src/probe/ reads them by name.
 */
#ifndef KVMSR_MAPS_BPF_H
#define KVMSR_MAPS_BPF_H

#include "kvmsr_limits.h"

/* Filters, fixed before load so the verifier prunes what is unused. */
const volatile __u32 filter_pid;
const volatile __s32 filter_vcpu = -1;
const volatile bool filter_regs;
const volatile __u64 reg_bitmap[KVMSR_MAX_REGS / 64];
/*
 * Registers the put may own (docs/detection.md), set by user space from
 * their names: only their loaded accesses can become findings, so only
 * they are remembered for the SAVED check and get a stack.
 */
const volatile __u64 checked_regs[KVMSR_MAX_REGS / 64];
/*
 * SYSREGS_ON_CPU bit to assume until it is learned (calib.bpf.h).
 * User space seeds it only when the VHE load/put functions cannot be probed.
 */
const volatile __u32 seed_on_cpu_mask;
/*
 * Default trace: count what no rule can use instead of streaming it
 * (tally.bpf.h); writes of @stream_writes are streamed (the put's registers
 * and the EL2 ones, whose writes may change an EL1 register under NV).
 */
const volatile bool tally_unneeded;
const volatile __u64 stream_writes[KVMSR_MAX_REGS / 64];
/* Capture kernel stacks of accessor calls that may turn into findings. */
const volatile bool capture_stacks;
/* `stat`: count in maps instead of streaming a record per event. */
const volatile bool aggregate;
/*
 * The flight recorder (--context): stacks of every load and put, and the
 * events around them (vCPU thread switches, vCPU ioctls, guest exits).
 */
const volatile bool context_events;
/*
 * Address of the kernel's preempt_notifier_key (a static key: its first
 * int is the enable count), from /proc/kallsyms; 0 if unknown.  With it a
 * vCPU thread's switch says whether the kernel had to call kvm_sched_out.
 */
const volatile __u64 preempt_key_addr;

/* Results read back by user space through the skeleton's .bss. */
__u32 flag_layout;		/* enum kvmsr_flag_layout, set at first use */
__u32 on_cpu_mask;		/* learned SYSREGS_ON_CPU bit in sflags */
__u32 calib_samples;		/* VHE load/put calls that confirmed it */
__u32 calib_conflicts;		/* VHE load/put calls that contradicted it */
__u32 confirm_hits;		/* counting: load/put pairs that set the assumed bit */
__u32 confirm_misses;		/* ... that set other bits only (count.bpf.h) */
__u64 lost_events;		/* records dropped: ring buffer full */
__u64 tally_overflow;		/* events neither streamed nor counted: tallies full */
__u64 gap_pending;		/* dropped since the last record taken: mark the next */
/*
 * Set by user space once every load/put program is attached.  Attaching one
 * takes long (a trampoline waits for RCU tasks): in the gap a load seen with
 * its put not yet watched, or the reverse, would look like an imbalance.
 */
__u32 armed;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KVMSR_RINGBUF_BYTES);
} events SEC(".maps");

struct stack_buf {
	__u64 ips[KVMSR_STACK_DEPTH];
};

/*
 * Kernel stacks of possible findings, by an id the event carries.  Not a
 * STACK_TRACE map: bpf_get_stackid() walks through perf, and arm64's
 * perf_callchain_kernel() returns nothing while a vCPU is loaded
 * (perf_guest_state(): KVM says "in guest" from vcpu_load to vcpu_put),
 * which is exactly when kvmsr wants stacks.  bpf_get_task_stack() on the
 * current task walks the frame records directly.  LRU: a finding is decided
 * at the put that ends the interval, long before 4096 newer stacks.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVMSR_MAX_STACKS);
	__type(key, __u32);
	__type(value, struct stack_buf);
} stacks SEC(".maps");

/* Per CPU: the stack being taken. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_buf);
} stack_scratch SEC(".maps");

/* Registers accessed while loaded, whose value the put must be checked for. */
#define MAX_TOUCHED 32

/* What is loaded on this CPU; load and put run with preemption disabled. */
struct cpu_state {
	struct kvm_vcpu *vcpu;	/* loaded vCPU, NULL between put and load */
	__u32 tid;		/* the thread that loaded it */
	__u32 pid;
	__s32 vcpu_id;
	struct kvm_vcpu *stash;	/* kprobe backend: vCPU argument for the kretprobe */
	__u64 stash_caller;	/* ... and the caller of kvm_arch_vcpu_load */
	__u32 calib_before;	/* sflags at entry of the VHE load/put */
	__u32 nr_touched;
	__u64 touched_bits[KVMSR_MAX_REGS / 64];
	__u16 touched[MAX_TOUCHED];
	__u64 before[MAX_TOUCHED];	/* memory copies at entry of the VHE put */
	/* A trap was streamed since the last streamed guest entry (tally.bpf.h). */
	bool trap_streamed;
	/*
	 * The notifier's load or put that the last sched_switch on this CPU
	 * makes certain (flight.bpf.h): for this thread (0: none) and vCPU.
	 */
	__u32 sw_in_tid, sw_out_tid;
	__u64 sw_in_vcpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpu_states SEC(".maps");

/* Aggregation (`stat`): per vCPU, and per (vCPU, register). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KVMSR_MAX_VCPUS);
	__type(key, __u64);
	__type(value, struct kvmsr_vcpu_agg);
} vcpu_aggs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KVMSR_MAX_REG_AGGS);
	__type(key, struct kvmsr_reg_key);
	__type(value, struct kvmsr_reg_agg);
} reg_aggs SEC(".maps");

/*
 * Names of trapped registers without a sys_regs[] slot, by encoding
 * (KVMSR_F_TRAP_ENC), each copied once from its descriptor: a trap costs
 * one lookup, and user space reads a name when it first meets the
 * encoding.  A few hundred registers trap at most.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KVMSR_MAX_TRAP_NAMES);
	__type(key, __u32);
	__type(value, struct kvmsr_trap_name);
} trap_names SEC(".maps");

/* Default trace: counts of what was not streamed (tally.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KVMSR_MAX_TALLIES);
	__type(key, struct kvmsr_tally_key);
	__type(value, __u64);
} tallies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kvmsr_tally_cache);
} tally_cache SEC(".maps");

/* kprobe backend: arguments saved at entry for the kretprobe, per thread. */
struct saved_args {
	struct kvm_vcpu *vcpu;
	__u64 reg;
	__u64 val;
	__u64 caller;		/* the link register at entry */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KVMSR_MAX_THREADS);
	__type(key, __u64);
	__type(value, struct saved_args);
} entry_args SEC(".maps");

/* The flight recorder: the vCPU each thread loaded last, for its switches. */
struct vcpu_task {
	__u32 pid;
	__s32 vcpu_id;
	__u64 vcpu;		/* struct kvm_vcpu * */
	__u32 ioctl_fresh;	/* in a vCPU ioctl of @vcpu that loaded nothing yet */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVMSR_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct vcpu_task);
} vcpu_tasks SEC(".maps");

static __always_inline struct cpu_state *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_states, &zero);
}

static __always_inline __u32 current_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline bool wanted(__u32 pid, __s32 vcpu_id)
{
	if (filter_pid && pid != filter_pid)
		return false;
	if (filter_vcpu >= 0 && vcpu_id != filter_vcpu)
		return false;
	return true;
}

/* A register index made provably < KVMSR_MAX_REGS for the verifier. */
#define REG_BOUNDED(reg) ({						\
	/* The compiler drops a mask it knows is redundant; the verifier needs it. */ \
	asm volatile("" : "+r"(reg));					\
	reg &= KVMSR_MAX_REGS - 1;					\
})

static __always_inline bool in_bitmap(const volatile __u64 *bits, __u32 reg)
{
	if (reg >= KVMSR_MAX_REGS)
		return false;
	REG_BOUNDED(reg);
	return bits[reg / 64] & (1ULL << (reg % 64));
}

static __always_inline bool reg_wanted(__u32 reg)
{
	return !filter_regs || in_bitmap(reg_bitmap, reg);
}

/*
 * Guest-side events carry no vCPU: attribute them to the one loaded here
 * (else the current process, KVMSR_F_NO_VCPU in @flags).  Wanted?
 */
static __always_inline bool loaded_here(__u32 *pid, __s32 *id, __u8 *flags)
{
	struct cpu_state *st = this_cpu();

	if (st && st->vcpu) {
		*pid = st->pid;
		*id = st->vcpu_id;
		return wanted(*pid, *id);
	}
	*pid = current_pid();
	*id = -1;
	*flags |= KVMSR_F_NO_VCPU;
	return !filter_pid || *pid == filter_pid;
}

#endif /* KVMSR_MAPS_BPF_H */
