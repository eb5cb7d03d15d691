// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr, kernel half: watches arm64 KVM load and put the guest's EL1 system
 * registers and every access through vcpu_read_sys_reg()/vcpu_write_sys_reg(),
 * and streams fixed-size records (include/kvmsr_event.h) to user space.
 *
 * Three interchangeable attach backends: the kvm:kvm_vcpu_* tracepoints of
 * the kernel/ patch series where the kernel has them (exact: the accessor
 * says where it served each access), fentry/fexit where the kernel has BPF
 * trampolines, kprobe/kretprobe otherwise (Debian 6.1).  User space enables
 * one set with bpf_program__set_autoload() and retargets the VHE sysreg
 * load/put programs to the function the running kernel has.  All sets call
 * the same on_*() bodies, so they cannot drift apart.
 */
#include "kvm_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kvmsr_event.h"

char LICENSE[] SEC("license") = "GPL";

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
 * SYSREGS_ON_CPU bit to assume until it is learned (see learn_on_cpu_bit()).
 * User space seeds it only when the VHE load/put functions cannot be probed.
 */
const volatile __u32 seed_on_cpu_mask;
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
__u64 lost_events;		/* records dropped: ring buffer full */
__u64 gap_pending;		/* dropped since the last record taken: mark the next */
/*
 * Set by user space once every load/put program is attached.  Attaching one
 * takes long (a trampoline waits for RCU tasks): in the gap a load seen with
 * its put not yet watched, or the reverse, would look like an imbalance.
 */
__u32 armed;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

#define STACK_DEPTH 32

struct stack_buf {
	__u64 ips[STACK_DEPTH];
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
	__uint(max_entries, 4096);
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

/*
 * File the scratch stack under an id that names its contents (a hash of the
 * frames): the flight recorder takes a stack at every load and put, and the
 * few distinct paths that load a vCPU then share a handful of entries and
 * records instead of one per event.  A collision with a different stack
 * already filed gives no stack rather than a wrong one.
 */
static __always_inline __s32 store_stack(struct stack_buf *b, __u32 depth)
{
	__u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a over the frames */
	struct stack_buf *old;
	__u32 id;
	int i;

	/* Frames past @depth are zero (scratch_stack()): only these count. */
	for (i = 0; i < depth && i < STACK_DEPTH; i++)
		h = (h ^ b->ips[i]) * 0x100000001b3ULL;
	id = (__u32)(h ^ (h >> 32)) & 0x7fffffff;
	old = bpf_map_lookup_elem(&stacks, &id);
	if (old) {
		for (i = 0; i < STACK_DEPTH; i++)
			if (old->ips[i] != b->ips[i])
				return -1;
		return id;
	}
	if (bpf_map_update_elem(&stacks, &id, b, BPF_ANY))
		return -1;
	return id;
}

static __always_inline struct stack_buf *scratch_stack(void)
{
	__u32 zero = 0;
	struct stack_buf *b = bpf_map_lookup_elem(&stack_scratch, &zero);

	if (!b)
		return NULL;
	__builtin_memset(b, 0, sizeof(*b));
	return b;
}

/*
 * BTF-enabled programs (fentry/fexit, tp_btf): the current task's stack,
 * @depth frames at most (the walk stops there: shallower is cheaper).
 */
static __always_inline __s32 task_stack_depth(__u32 depth)
{
	struct stack_buf *b = scratch_stack();

	if (!b || bpf_get_task_stack(bpf_get_current_task_btf(), b->ips, depth * sizeof(__u64),
				     0) <= 0)
		return -1;
	return store_stack(b, depth);
}

static __always_inline __s32 task_stack(void)
{
	return task_stack_depth(STACK_DEPTH);
}

/*
 * kprobes (no BTF task pointer): the frames the registers name, e.g. the
 * accessor's caller from the link register at entry.
 */
static __always_inline __s32 frames_stack(__u64 ip0, __u64 ip1)
{
	struct stack_buf *b = scratch_stack();

	if (!b || !ip0)
		return -1;
	b->ips[0] = ip0;
	b->ips[1] = ip1;
	return store_stack(b, 2);
}

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
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct kvmsr_vcpu_agg);
} vcpu_aggs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct kvmsr_reg_key);
	__type(value, struct kvmsr_reg_agg);
} reg_aggs SEC(".maps");

/* kprobe backend: arguments saved at entry for the kretprobe, per thread. */
struct saved_args {
	struct kvm_vcpu *vcpu;
	__u64 reg;
	__u64 val;
	__u64 caller;		/* the link register at entry */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct saved_args);
} entry_args SEC(".maps");

/*
 * Frames of a load's or put's stack: the BPF program and trampoline (or
 * the tracepoint's four: bpf_trace_run1, __bpf_trace_*, __traceiter_*,
 * kvm_arch_vcpu_load itself) frames on top, then the callers the context
 * shows (the walk is paid on every load and put, so no deeper).
 */
#define CONTEXT_STACK_DEPTH 10

/* The flight recorder: the vCPU each thread loaded last, for its switches. */
struct vcpu_task {
	__u32 pid;
	__s32 vcpu_id;
	__u64 vcpu;		/* struct kvm_vcpu * */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct vcpu_task);
} vcpu_tasks SEC(".maps");

static __always_inline struct cpu_state *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_states, &zero);
}

/* The raw word that holds SYSREGS_ON_CPU: the old bool or sflags. */
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
 * call, on the counting path's every put.
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

static __always_inline bool word_loaded(__u32 word)
{
	__u32 mask;

	if (flag_layout == KVMSR_FLAG_BOOL)
		return word != 0;
	mask = on_cpu_mask ?: seed_on_cpu_mask;
	return (word & mask) != 0;
}

/*
 * SYSREGS_ON_CPU is a macro (BIT(4) on 6.0-6.13, BIT(2) later, and stable
 * trees differ), so BTF cannot name it.  The VHE sysreg load function sets it
 * and the put function clears it: the bits that flip across those calls,
 * intersected over calls, are the flag.  A call that flips nothing (a double
 * load, exactly what we hunt) teaches nothing and is skipped.
 */
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

static __always_inline void calib_enter(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	if (st)
		st->calib_before = flag_word(vcpu);
}

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

static __always_inline bool wanted(__u32 pid, __s32 vcpu_id)
{
	if (filter_pid && pid != filter_pid)
		return false;
	if (filter_vcpu >= 0 && vcpu_id != filter_vcpu)
		return false;
	return true;
}

static __always_inline bool in_bitmap(const volatile __u64 *bits, __u32 reg)
{
	if (reg >= KVMSR_MAX_REGS)
		return false;
	/* The compiler drops a mask it knows is redundant; the verifier needs it. */
	asm volatile("" : "+r"(reg));
	reg &= KVMSR_MAX_REGS - 1;
	return bits[reg / 64] & (1ULL << (reg % 64));
}

static __always_inline bool reg_wanted(__u32 reg)
{
	return !filter_regs || in_bitmap(reg_bitmap, reg);
}

/*
 * A subprogram, so that clang cannot hoist the relocated address above the
 * bpf_core_field_exists() guard: on kernels without vncr_array (before 6.8)
 * libbpf poisons this access and the verifier must never reach it.
 */
static __noinline __u64 *vncr_page(struct kvm_vcpu *vcpu)
{
	return BPF_CORE_READ(vcpu, arch.ctxt.vncr_array);
}

/*
 * The memory copy of a register, as __vcpu_sys_reg() locates it: sys_regs[]
 * of the vCPU context, except registers past __VNCR_START__ once a nested
 * vCPU has a VNCR page (6.8+).
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

/* Remember a register accessed while loaded, for the SAVED check at put. */
static __always_inline void touch(struct cpu_state *st, __u32 reg)
{
	__u32 n;

	if (reg >= KVMSR_MAX_REGS)
		return;
	asm volatile("" : "+r"(reg));
	reg &= KVMSR_MAX_REGS - 1;
	if (st->touched_bits[reg / 64] & (1ULL << (reg % 64)))
		return;
	n = st->nr_touched;
	if (n >= MAX_TOUCHED)
		return;		/* user space counts accesses with no SAVED as unchecked */
	st->touched_bits[reg / 64] |= 1ULL << (reg % 64);
	st->touched[n] = reg;
	st->nr_touched = n + 1;
}

/* @tid: the thread the record is about, 0 for the current one. */
static __always_inline void emit_full(__u8 type, __u8 flags, __u32 pid, __u32 tid,
				      __s32 vcpu_id, __u64 reg, __u64 val, __u64 aux,
				      __s32 stack_id, __u8 loc)
{
	struct kvmsr_event *e;
	__u64 wake;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		if (!gap_pending)
			__sync_lock_test_and_set(&gap_pending, 1);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->val = val;
	e->aux = aux;
	e->pid = pid;
	e->tid = tid ?: (__u32)bpf_get_current_pid_tgid();
	e->vcpu_id = vcpu_id;
	e->cpu = bpf_get_smp_processor_id();
	e->reg = reg;
	e->type = type;
	e->flags = flags;
	e->loc = loc;
	/*
	 * The first record taken after a drop says so, so that the analyzer
	 * stops trusting what it could not see (a lost put looks like a
	 * double load, a lost write would make a read look stale).  A plain
	 * read first: the exchange only when there was a drop.
	 */
	e->gap = gap_pending && __sync_lock_test_and_set(&gap_pending, 0) ? KVMSR_GAP_BEFORE : 0;
	e->stack_id = stack_id;
	/*
	 * A wakeup is an irq_work self-IPI, and on a vCPU thread every IPI is
	 * a guest exit: more events, more IPIs (the bench saw 270k per run).
	 * So never wake for the stream: user space drains on a timer.  Only
	 * the rare WARN/BUG records wake it at once.
	 */
	wake = type == KVMSR_EV_WARN || type == KVMSR_EV_BUG || type == KVMSR_EV_DIRECT ?
	       0 : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, wake);
}

static __always_inline void emit_stack(__u8 type, __u8 flags, __u32 pid, __s32 vcpu_id,
				       __u64 reg, __u64 val, __u64 aux, __s32 stack_id, __u8 loc)
{
	emit_full(type, flags, pid, 0, vcpu_id, reg, val, aux, stack_id, loc);
}

static __always_inline void emit(__u8 type, __u8 flags, __u32 pid, __s32 vcpu_id,
				 __u64 reg, __u64 val, __u64 aux)
{
	emit_stack(type, flags, pid, vcpu_id, reg, val, aux, -1, 0);
}

static __always_inline __u32 current_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

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

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	/* Unrolled binary search: bounded for the verifier, ~6 steps. */
	if (v >> 32) { v >>= 32; b += 32; }
	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) b += 1;
	return b < KVMSR_HIST_BUCKETS ? b : KVMSR_HIST_BUCKETS - 1;
}

static __always_inline void close_agg(struct kvmsr_vcpu_agg *a, __u64 now, bool loaded)
{
	/* A clock read behind the load (seen under QEMU TCG): no negative time. */
	__u64 d = now > a->open_since ? now - a->open_since : 0;

	a->resident_ns += d;
	if (loaded) {
		__u32 b = log2_bucket(d);

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
 * Counting mode keeps the load/put probes, the ones that never detach, as
 * light as they can be: the load side is an fentry that reads nothing from
 * the vCPU; whether the interval had the sysregs on the CPU is read at its
 * put, before the VHE put clears the flag.  The tracepoints fire after the
 * VHE load and put instead: @loaded_now (-1 for probes) is the flag after
 * the load, kept for the put.
 */
static __always_inline void count_load(struct kvm_vcpu *vcpu, int loaded_now)
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
	bool first = false;

	if (st && st->vcpu == vcpu)
		st->vcpu = NULL;
	if (!armed)
		return;
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
	close_agg(a, now, after_put ? a->open_loaded :
			  word_loaded(direct ? flag_word_direct(vcpu) : flag_word(vcpu)));
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
 * The flight recorder's stack of a load or put: the task's (BTF programs),
 * or for kprobes (@caller non-NULL) the one frame the link register named.
 */
static __always_inline __s32 context_stack(const __u64 *caller)
{
	if (!context_events)
		return -1;
	/* BPF and trampoline frames, then the few callers the context shows. */
	return caller ? frames_stack(*caller, 0) : task_stack_depth(CONTEXT_STACK_DEPTH);
}

/* The flight recorder: remember which vCPU this thread runs, for its switches. */
static __always_inline void note_vcpu_task(struct kvm_vcpu *vcpu, __u32 tid, __u32 pid,
					   __s32 id)
{
	struct vcpu_task vt = { .pid = pid, .vcpu_id = id, .vcpu = (__u64)vcpu };
	struct vcpu_task *old;

	if (!context_events)
		return;
	old = bpf_map_lookup_elem(&vcpu_tasks, &tid);
	if (!old || old->vcpu != vt.vcpu || old->pid != pid || old->vcpu_id != id)
		bpf_map_update_elem(&vcpu_tasks, &tid, &vt, BPF_ANY);
}

/* @caller: NULL, or (kprobes) where the caller of kvm_arch_vcpu_load was saved. */
static __always_inline void on_load(struct kvm_vcpu *vcpu, const __u64 *caller)
{
	struct cpu_state *st = this_cpu();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	__s32 id = BPF_CORE_READ(vcpu, vcpu_id);
	__u32 word = flag_word(vcpu);

	if (st) {
		st->vcpu = vcpu;
		st->tid = tid;
		st->pid = pid;
		st->vcpu_id = id;
		st->nr_touched = 0;
		__builtin_memset(st->touched_bits, 0, sizeof(st->touched_bits));
	}
	if (armed && wanted(pid, id)) {
		note_vcpu_task(vcpu, tid, pid, id);
		emit_full(KVMSR_EV_LOAD, word_loaded(word) ? KVMSR_F_LOADED : 0, pid, tid, id, 0, 0,
			  word, context_stack(caller), 0);
	}
}

static __always_inline void on_put(struct kvm_vcpu *vcpu, bool after_put, const __u64 *caller)
{
	struct cpu_state *st;
	__u32 pid, word;
	__s32 id;

	if (aggregate) {
		count_put(vcpu, after_put, !caller);
		return;
	}
	st = this_cpu();
	pid = current_pid();
	id = BPF_CORE_READ(vcpu, vcpu_id);
	word = flag_word(vcpu);
	if (st && st->vcpu == vcpu)
		st->vcpu = NULL;
	if (armed && wanted(pid, id))
		emit_stack(KVMSR_EV_PUT, word_loaded(word) ? KVMSR_F_LOADED : 0, pid, id, 0, 0,
			   word, context_stack(caller), 0);
}

/* The kernel's enum sr_loc_attr bits as KVMSR_LOC_* (CO-RE: no fixed values). */
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
 * An accessor call: its stack, the memory copy after the call, and
 * the register remembered for the check against what the put saves.  Stacks
 * are taken only where the access could become a finding: served from
 * memory while loaded, as the tracepoint says (@kloc, the kernel's sr_loc),
 * or, from a probe (@kloc < 0), the value equals the memory copy.
 * @caller: NULL, or (kprobes) where the accessor's caller was saved.
 */
static __always_inline void on_access(__u8 type, struct kvm_vcpu *vcpu, __u32 reg,
				      __u64 val, int kloc, const __u64 *caller)
{
	__u32 pid = current_pid();
	struct cpu_state *st;
	__s32 id, stack = -1;
	__u64 mem = 0;
	__u8 flags = 0, loc = 0;
	bool from_mem;

	if (!reg_wanted(reg))
		return;
	if (aggregate) {
		/* The cheap path: no vcpu_id, no memory copy, no record. */
		if (!filter_pid || pid == filter_pid)
			agg_access(vcpu, reg, type == KVMSR_EV_WRITE, word_loaded(flag_word(vcpu)));
		return;
	}
	/* The vCPU loaded on this CPU is the usual caller: its id is cached. */
	st = this_cpu();
	if (st && st->vcpu == vcpu)
		id = st->vcpu_id;
	else
		id = BPF_CORE_READ(vcpu, vcpu_id);
	if (!wanted(pid, id))
		return;
	if (read_mem(vcpu, reg, &mem))
		flags |= KVMSR_F_MEM;
	if (kloc >= 0) {
		flags |= KVMSR_F_LOC;
		loc = abi_loc(kloc);
		from_mem = !(loc & KVMSR_LOC_LOADED);
	} else {
		from_mem = (flags & KVMSR_F_MEM) && mem == val;
	}
	if (word_loaded(flag_word(vcpu))) {
		flags |= KVMSR_F_LOADED;
		/* A tracepoint proves a CPU-served access right: nothing to check. */
		if (in_bitmap(checked_regs, reg) && (kloc < 0 || from_mem)) {
			if (st && st->vcpu == vcpu)
				touch(st, reg);
			/*
			 * A kprobe cannot walk the task's stack (no BTF task
			 * pointer): @caller, the link register at entry, is its
			 * one frame.  A compile-time choice: the verifier
			 * rejects the other helper in that program type.
			 */
			if (capture_stacks && from_mem)
				stack = caller ? frames_stack(*caller, 0) : task_stack();
		}
	}
	emit_stack(type, flags, pid, id, reg, val, mem, stack, loc);
}

/* Entry of the VHE put: the memory copies before the put saves the CPU's. */
static __always_inline void put_enter(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();
	__u32 i, n;

	calib_enter(vcpu);
	if (!st)
		return;
	n = st->nr_touched;
	for (i = 0; i < MAX_TOUCHED && i < n; i++)
		if (!read_mem(vcpu, st->touched[i], &st->before[i]))
			st->before[i] = 0;
}

/*
 * What the put saved for every register touched while loaded: the memory
 * copy now, and before the put when known (@before_known: the VHE put's
 * entry was probed; the put tracepoint only fires after it).
 */
static __always_inline void emit_saved(struct cpu_state *st, struct kvm_vcpu *vcpu,
				       bool before_known)
{
	__u8 flags = KVMSR_F_MEM | (before_known ? 0 : KVMSR_F_NO_BEFORE);
	__u32 i, n = st->nr_touched;
	__u64 after;

	for (i = 0; i < MAX_TOUCHED && i < n; i++) {
		if (!read_mem(vcpu, st->touched[i], &after))
			continue;
		if (wanted(st->pid, st->vcpu_id))
			emit(KVMSR_EV_SAVED, flags, st->pid, st->vcpu_id, st->touched[i], after,
			     before_known ? st->before[i] : 0);
	}
	st->nr_touched = 0;
	__builtin_memset(st->touched_bits, 0, sizeof(st->touched_bits));
}

/* Exit of the VHE put. */
static __always_inline void put_exit(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	calib_exit(vcpu, false);
	if (st)
		emit_saved(st, vcpu, true);
}

/* Guest-side events carry no vCPU: attribute them to the one loaded here. */
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

/* ---- fentry/fexit backend ---- */

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

/* Retargeted by user space to this kernel's VHE sysreg load/put function. */
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

static __always_inline void on_vm_exit(struct kvm *kvm)
{
	__u32 pid = current_pid();

	if (bpf_core_field_exists(kvm->userspace_pid))
		pid = BPF_CORE_READ(kvm, userspace_pid);
	if (!filter_pid || pid == filter_pid)
		emit(KVMSR_EV_VM_EXIT, 0, pid, -1, 0, 0, 0);
}

SEC("fentry/kvm_arch_destroy_vm")
int BPF_PROG(fentry_vm_exit, struct kvm *kvm)
{
	on_vm_exit(kvm);
	return 0;
}

/*
 * An oops: BUG() ends in die() on arm64.  Attributed to the loaded vCPU.
 * @task_walk: walk the task's stack (fentry), else the faulting PC and LR.
 */
static __always_inline void on_bug(struct pt_regs *regs, bool task_walk)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;
	__u64 pc = BPF_CORE_READ(regs, user_regs.pc);
	__s32 stack = task_walk ? task_stack() :
		      frames_stack(pc, BPF_CORE_READ(regs, user_regs.regs[30]));

	loaded_here(&pid, &id, &flags);
	if (!(flags & KVMSR_F_NO_VCPU))
		flags |= KVMSR_F_LOADED;
	emit_stack(KVMSR_EV_BUG, flags, pid, id, 0, pc, 0, stack, 0);
}

SEC("fentry/die")
int BPF_PROG(fentry_die, const char *str, struct pt_regs *regs, long err)
{
	on_bug(regs, true);
	return 0;
}

/* ---- tracepoint backend: kvm:kvm_vcpu_* of the kernel/ patch series ---- */

/*
 * After the VHE load: the flag word is kept to learn SYSREGS_ON_CPU from
 * what the put clears (the tracepoints fire after the VHE load and put).
 */
SEC("tp_btf/kvm_vcpu_load")
int BPF_PROG(tp_vcpu_load, struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();
	__u32 word = flag_word(vcpu);

	if (st)
		st->calib_before = word;
	if (aggregate)
		count_load(vcpu, word_loaded(word));
	else
		on_load(vcpu, NULL);
	return 0;
}

SEC("tp_btf/kvm_vcpu_put")
int BPF_PROG(tp_vcpu_put, struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();
	__u32 word = flag_word(vcpu);

	if (st && st->vcpu == vcpu) {
		/*
		 * Between these two tracepoints more than SYSREGS_ON_CPU flips
		 * (VHE activates traps at load: PMUSERENR_ON_CPU too).  When the
		 * version's bit is among them, it is the one.
		 */
		__u32 flipped = st->calib_before & ~word;

		if (flipped & seed_on_cpu_mask)
			flipped &= seed_on_cpu_mask;
		if (flag_layout == KVMSR_FLAG_SFLAGS)
			learn_on_cpu_bit(flipped);
		if (!aggregate)
			emit_saved(st, vcpu, false);
	}
	on_put(vcpu, true, NULL);
	return 0;
}

SEC("tp_btf/kvm_vcpu_read_sys_reg")
int BPF_PROG(tp_read_sys_reg, struct kvm_vcpu *vcpu, int reg, u64 val, int loc)
{
	on_access(KVMSR_EV_READ, vcpu, (u32)reg, val, loc & 0xff, NULL);
	return 0;
}

SEC("tp_btf/kvm_vcpu_write_sys_reg")
int BPF_PROG(tp_write_sys_reg, struct kvm_vcpu *vcpu, int reg, u64 val, int loc)
{
	on_access(KVMSR_EV_WRITE, vcpu, (u32)reg, val, loc & 0xff, NULL);
	return 0;
}

/*
 * CONFIG_KVM_ARM_SYSREG_DEBUG: __vcpu_sys_reg() and friends touched the
 * memory copy of a register the accessors would have found on the CPU.
 * Rare by nature (a bug), so streamed in every mode, stack included.
 */
SEC("tp_btf/kvm_vcpu_sys_reg_direct")
int BPF_PROG(tp_sys_reg_direct, struct kvm_vcpu *vcpu, int reg, bool is_write,
	     unsigned long ip)
{
	__u32 pid = current_pid();
	__s32 id = BPF_CORE_READ(vcpu, vcpu_id);
	__u8 flags = KVMSR_F_LOADED | (is_write ? KVMSR_F_WRITE : 0);
	__u64 mem = 0;

	if (!wanted(pid, id) || !reg_wanted((u32)reg))
		return 0;
	if (read_mem(vcpu, (u32)reg, &mem))
		flags |= KVMSR_F_MEM;
	emit_stack(KVMSR_EV_DIRECT, flags, pid, id, (u32)reg, ip, mem, task_stack(), 0);
	return 0;
}

/* ---- kprobe/kretprobe backend ---- */

SEC("kprobe/kvm_arch_vcpu_load")
int BPF_KPROBE(kprobe_vcpu_load, struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	/* Preemption is off until the return: the CPU slot is ours. */
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
	struct cpu_state *st = this_cpu();

	calib_enter(vcpu);
	if (st)
		st->stash = vcpu;
	return 0;
}

SEC("kretprobe/kvm_vcpu_load_vhe")
int BPF_KRETPROBE(kretprobe_vhe_load)
{
	struct cpu_state *st = this_cpu();

	if (st && st->stash)
		calib_exit(st->stash, true);
	return 0;
}

SEC("kprobe/kvm_vcpu_put_vhe")
int BPF_KPROBE(kprobe_vhe_put, struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	put_enter(vcpu);
	if (st)
		st->stash = vcpu;
	return 0;
}

SEC("kretprobe/kvm_vcpu_put_vhe")
int BPF_KRETPROBE(kretprobe_vhe_put)
{
	struct cpu_state *st = this_cpu();

	if (st && st->stash)
		put_exit(st->stash);
	return 0;
}

SEC("kprobe/vcpu_read_sys_reg")
int BPF_KPROBE(kprobe_read_sys_reg, struct kvm_vcpu *vcpu, int reg)
{
	/* The accessor may sleep or migrate: key the arguments by thread. */
	__u64 tid = bpf_get_current_pid_tgid();
	struct saved_args a = { .vcpu = vcpu, .reg = (u32)reg,
				.caller = PT_REGS_RET(ctx) };

	bpf_map_update_elem(&entry_args, &tid, &a, BPF_ANY);
	return 0;
}

SEC("kretprobe/vcpu_read_sys_reg")
int BPF_KRETPROBE(kretprobe_read_sys_reg, u64 ret)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct saved_args *a = bpf_map_lookup_elem(&entry_args, &tid);

	if (!a)
		return 0;
	on_access(KVMSR_EV_READ, a->vcpu, a->reg, ret, -1, &a->caller);
	bpf_map_delete_elem(&entry_args, &tid);
	return 0;
}

SEC("kprobe/vcpu_write_sys_reg")
int BPF_KPROBE(kprobe_write_sys_reg, struct kvm_vcpu *vcpu, u64 val, int reg)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct saved_args a = { .vcpu = vcpu, .reg = (u32)reg, .val = val,
				.caller = PT_REGS_RET(ctx) };

	bpf_map_update_elem(&entry_args, &tid, &a, BPF_ANY);
	return 0;
}

SEC("kretprobe/vcpu_write_sys_reg")
int BPF_KRETPROBE(kretprobe_write_sys_reg)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct saved_args *a = bpf_map_lookup_elem(&entry_args, &tid);

	if (!a)
		return 0;
	on_access(KVMSR_EV_WRITE, a->vcpu, a->reg, a->val, -1, &a->caller);
	bpf_map_delete_elem(&entry_args, &tid);
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

/* ---- tracepoints, both backends ---- */

/*
 * Every trapped sysreg access, before its handler runs.  Matching these with
 * accessor events tells how much of KVM's sysreg traffic kvmsr can see: on
 * kernels where the compiler inlined the accessor into sys_regs.c, probes
 * miss those calls and this is the only way to notice.
 */
SEC("tp_btf/kvm_sys_access")
int BPF_PROG(tp_sys_access, unsigned long vcpu_pc, struct sys_reg_params *params,
	     const struct sys_reg_desc *r)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;
	int reg = BPF_CORE_READ(r, reg);

	if (BPF_CORE_READ(params, is_write))
		flags |= KVMSR_F_WRITE;
	if (reg > 0)
		flags |= KVMSR_F_MEMREG;
	if (!loaded_here(&pid, &id, &flags) || !reg_wanted(reg > 0 ? reg : 0))
		return 0;
	emit(KVMSR_EV_TRAP, flags, pid, id, reg > 0 ? reg : 0,
	     BPF_CORE_READ(params, regval), vcpu_pc);
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(tp_kvm_entry, unsigned long vcpu_pc)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;

	struct cpu_state *st;
	__u64 hcr = 0;

	if (!loaded_here(&pid, &id, &flags))
		return 0;
	/* HCR_EL2.TVM tells whether the guest can change VM registers unseen. */
	st = this_cpu();
	if (st && st->vcpu) {
		/* A plain variable: CO-RE must not relocate the cpu_state access. */
		struct kvm_vcpu *vcpu = st->vcpu;

		hcr = BPF_CORE_READ(vcpu, arch.hcr_el2);
	}
	emit(KVMSR_EV_ENTRY, flags, pid, id, 0, hcr, vcpu_pc);
	return 0;
}

/* A WARN fired (kernel/panic.c __warn -> trace_error_report_end). */
SEC("tp_btf/error_report_end")
int BPF_PROG(tp_error_report_end, int detector, unsigned long id)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 vcpu;

	if (detector != bpf_core_enum_value(enum error_detector___kvmsr, ERROR_DETECTOR_WARN))
		return 0;
	loaded_here(&pid, &vcpu, &flags);
	if (!(flags & KVMSR_F_NO_VCPU))
		flags |= KVMSR_F_LOADED;
	emit_stack(KVMSR_EV_WARN, flags, pid, vcpu, 0, id, 0, task_stack(), 0);
	return 0;
}

/* ---- the flight recorder's context (--context) ---- */

/*
 * What obliges the scheduler to call kvm_sched_out for this thread: the
 * vCPU's preempt notifier on the thread's list, and preempt_notifier_key
 * enabled (its static branches guard both notifier calls).
 */
static __always_inline __u8 notifier_flags(struct task_struct *t, __u64 vcpu)
{
	__u64 mine = vcpu + bpf_core_field_offset(struct kvm_vcpu, preempt_notifier);
	struct hlist_node *n;
	__u8 f = 0;
	int i, enabled = 0;

	if (bpf_core_field_exists(t->preempt_notifiers)) {
		n = BPF_CORE_READ(t, preempt_notifiers.first);
		for (i = 0; i < 4 && n; i++) {
			if ((__u64)n == mine) {
				f |= KVMSR_F_SW_NOTIFIER;
				break;
			}
			n = BPF_CORE_READ(n, next);
		}
	}
	if (preempt_key_addr &&
	    !bpf_probe_read_kernel(&enabled, sizeof(enabled), (void *)preempt_key_addr)) {
		f |= KVMSR_F_SW_KEY_KNOWN;
		if (enabled > 0)
			f |= KVMSR_F_SW_KEY_ON;
	}
	return f;
}

/*
 * A vCPU thread leaves or takes a CPU.  sched_switch fires before the
 * preempt notifiers: a thread leaving with its vCPU loaded is normal (the
 * put of kvm_sched_out follows), a thread coming in while a vCPU is still
 * loaded on the CPU means the last one to leave was never put.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(tp_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u8 flags = preempt ? KVMSR_F_SW_PREEMPT : 0;
	/* prev_state: the tracepoint's 4th argument (5.18+). */
	__u64 state = ctx[3];
	struct cpu_state *st;
	struct vcpu_task *vt;
	__u32 ptid, ntid;

	/* Every context switch of the host comes here: out early when no vCPU thread. */
	if (!armed)
		return 0;
	ptid = BPF_CORE_READ(prev, pid);
	ntid = BPF_CORE_READ(next, pid);
	/* Leaving with its own vCPU loaded: kvm_sched_out will put it. */
	vt = bpf_map_lookup_elem(&vcpu_tasks, &ptid);
	if (vt && wanted(vt->pid, vt->vcpu_id) && (st = this_cpu()))
		emit_full(KVMSR_EV_SWITCH, flags | (st->vcpu && st->tid == ptid ? KVMSR_F_LOADED : 0) |
			  notifier_flags(prev, vt->vcpu), vt->pid, ptid, vt->vcpu_id, 0, state, ntid,
			  -1, 0);
	/* Coming in while a vCPU that prev did not load is still loaded here. */
	vt = bpf_map_lookup_elem(&vcpu_tasks, &ntid);
	if (vt && wanted(vt->pid, vt->vcpu_id) && (st = this_cpu()))
		emit_full(KVMSR_EV_SWITCH, flags | KVMSR_F_SW_IN |
			  (st->vcpu && st->tid != ptid ? KVMSR_F_LOADED : 0),
			  vt->pid, ntid, vt->vcpu_id, 0, 0, ptid, -1, 0);
	return 0;
}

/* The vCPU ioctl being served (KVM_RUN, KVM_SET_ONE_REG, ...). */
static __always_inline void on_vcpu_ioctl(struct file *filp, __u32 cmd, __u64 arg)
{
	struct kvm_vcpu *vcpu = BPF_CORE_READ(filp, private_data);
	__u32 pid = current_pid();
	__s32 id;

	if (!armed || !vcpu)
		return;
	id = BPF_CORE_READ(vcpu, vcpu_id);
	if (wanted(pid, id))
		emit(KVMSR_EV_IOCTL, 0, pid, id, 0, cmd, arg);
}

SEC("fentry/kvm_vcpu_ioctl")
int BPF_PROG(fentry_vcpu_ioctl, struct file *filp, unsigned int ioctl, unsigned long arg)
{
	on_vcpu_ioctl(filp, ioctl, arg);
	return 0;
}

SEC("kprobe/kvm_vcpu_ioctl")
int BPF_KPROBE(kprobe_vcpu_ioctl, struct file *filp, unsigned int ioctl, unsigned long arg)
{
	on_vcpu_ioctl(filp, ioctl, arg);
	return 0;
}

/* A guest exit: why (ESR_EL2.EC) and where (guest PC). */
SEC("tp_btf/kvm_exit")
int BPF_PROG(tp_kvm_exit, int ret, unsigned int esr_ec, unsigned long vcpu_pc)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;

	if (loaded_here(&pid, &id, &flags))
		emit(KVMSR_EV_EXIT, flags, pid, id, (__u16)ret, esr_ec, vcpu_pc);
	return 0;
}
