/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The analyzer: pure C, no libbpf, no syscalls.  It is fed kvmsr_event
 * records in time order (analysis/reorder.h), from the live stream or a
 * recording alike,
 * and keeps per-vCPU state and statistics.  Unit tests drive it directly.
 */
#ifndef KVMSR_ANALYZER_H
#define KVMSR_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvmsr_event.h"
#include "kvmsr_limits.h"	/* kvmsr_log2_bucket(), shared with the BPF side */
#include "symbols/keymap.h"

/* Accessor traffic of one register on one vCPU; index [1] = while loaded. */
struct reg_stats {
	uint64_t reads[2];
	uint64_t writes[2];
	uint64_t traps;		/* trapped guest accesses (kvm_sys_access) */
	uint64_t traps_seen;	/* ... followed by a visible accessor call */
};

/*
 * Trapped guest accesses of one register, run-wide, every trap attributed
 * to a vCPU (with a slot or not): the registers a guest makes KVM emulate,
 * by the names trace shows.  Keyed by a slot index (TRAP_KEY_SLOT) or an
 * encoding (KVMSR_F_TRAP_ENC); a trap recorded before ABI 5 without a slot
 * names neither (TRAP_KEY_NONE).
 */
struct trap_tally {
	uint32_t key;
	uint64_t reads, writes;
};
#define TRAP_KEY_SLOT (1u << 16)	/* | enum vcpu_sysreg index */
#define TRAP_KEY_NONE (1u << 17)
/* Registers tallied; the traps of any more are only counted (traps_untallied). */
#define ANALYZER_MAX_TRAP_REGS 1024

enum finding_kind {
	FIND_STALE_READ,	/* confirmed: a read returned a value the CPU did not hold */
	FIND_LOST_WRITE,	/* confirmed: a write never reached the CPU */
	FIND_SUSPECT,		/* reads served from memory while loaded, unprovable */
	FIND_WARN,		/* a WARN fired */
	FIND_BUG,		/* an oops (BUG) */
	FIND_DOUBLE_LOAD,	/* loaded again without a put (maybe on another CPU) */
	FIND_ORPHAN_PUT,	/* put without a load */
	FIND_OPEN_AT_EXIT,	/* the VM went away with the vCPU still loaded */
	FIND_DIRECT_ACCESS,	/* confirmed: the kernel says the memory copy of a
				 * loaded register was used (kvm_vcpu_sys_reg_direct_tp) */
	FIND_SUSPECT_STALE_READ, /* read != what the put saved, unprovable (doubt) */
	FIND_SUSPECT_LOST_WRITE, /* write != what the put saved, unprovable (doubt) */
	FIND__MAX,
};

/* Why a mismatch between an access and the put is only a suspect. */
enum finding_doubt {
	DOUBT_NONE,
	DOUBT_UNHELD_BITS,	/* differs only in bits this CPU was never seen to
				 * hold both as 0 and as 1: RES0/RES1, WI, or lost */
	DOUBT_CPU_OWNED,	/* IMPLEMENTATION DEFINED or CPU-written register */
};

struct finding {
	enum finding_kind kind;
	uint32_t pid;
	int32_t vcpu_id;
	uint16_t cpu, other_cpu;	/* DOUBLE_LOAD: the CPU it was loaded on */
	int reg;			/* -1 if none */
	uint64_t ts_ns;
	uint64_t value;			/* read/written value; WARN, DIRECT: caller; BUG: pc */
	uint64_t saved;			/* what the put saved (the CPU's value) */
	uint64_t before;		/* the memory copy before that put; DIRECT: now */
	uint64_t guarded_entries;	/* guest entries in between, TVM-trapped */
	uint64_t held;			/* STALE/LOST (probe backends): bits of the
					 * register this CPU held both as 0 and 1 */
	enum finding_doubt doubt;	/* SUSPECT_STALE/LOST: why not confirmed */
	uint64_t count;			/* SUSPECT: reads */
	int32_t stack_id;		/* of the accessor call / WARN / BUG, -1 if none */
	bool vcpu_loaded;		/* WARN/BUG: a vCPU was loaded on that CPU */
	bool before_known;		/* STALE/LOST: .before is valid; DIRECT: .before */
	bool exact;			/* STALE/LOST: the accessor's tracepoint said
					 * it served memory */
	bool is_write;			/* DIRECT: a write */
	/*
	 * The flight recorder: the vCPU's last events up to and including the
	 * one that gave the finding, oldest first (analyzer_config.context);
	 * valid during the on_finding callback only.
	 */
	const struct kvmsr_event *context;
	size_t nr_context;
};

/* A loaded accessor access waiting for the put's verdict. */
struct pending_access {
	uint64_t ts_ns;
	uint64_t val;
	uint64_t guarded_entries;
	int32_t stack_id;
	uint16_t reg;
	uint8_t type;
	bool tainted;		/* the CPU's value may have changed since */
	bool exact;		/* the kernel's tracepoint: served from memory */
};

#define MAX_PENDING 64

/* An event kept by the flight recorder, with its position in the stream. */
struct ctx_slot {
	struct kvmsr_event e;
	uint64_t seq;
};
#define CONTEXT_LIFECYCLE 8	/* lifecycle events kept besides the last N */

struct vcpu_stats {
	uint32_t pid;
	int32_t vcpu_id;
	uint32_t tid;		/* the thread of its last load, 0 if none seen */
	uint64_t loads, puts;
	uint64_t loaded_ns;	/* load->put time with sysregs on the CPU */
	uint64_t resident_ns;	/* load->put time, whatever the flag */
	uint64_t first_ns, last_ns;
	uint64_t reads[2], writes[2];
	uint64_t traps, traps_seen;
	uint64_t entries;
	uint64_t hist[KVMSR_HIST_BUCKETS];	/* log2(ns) of loaded intervals */
	uint64_t double_loads;	/* load while already loaded, no put between */
	uint64_t orphan_puts;	/* put without a load seen */
	uint64_t missed_puts;	/* counting mode: a put the probe did not see */
	/* Records were dropped since its last clean put: imbalances unprovable. */
	bool gap;
	uint64_t gaps_seen;	/* analyzer.gaps when @gap and pending were last updated */
	/*
	 * Per-register traffic, only of the registers touched (vcpu_reg(),
	 * vcpu_reg_find()): reg_slot[reg] is 1 + its index in regs, 0 if
	 * untouched; both allocated on first use.
	 */
	uint16_t *reg_slot;
	struct reg_stats *regs;
	size_t nr_regs, cap_regs;

	/* Open load->put interval. */
	bool in;
	bool in_loaded;
	uint64_t since_ns;
	/* Trap awaiting its accessor call (coverage), -1 if none. */
	int pending_trap;
	uint16_t cpu;		/* where the open interval was loaded */
	uint64_t checked, unchecked;	/* loaded accesses given / denied a verdict */
	uint64_t findings[FIND__MAX];
	struct pending_access pending[MAX_PENDING];
	int nr_pending;
	/*
	 * The flight recorder: a ring of the last events (allocated on first
	 * use), and one of the last lifecycle events (loads, puts, switches,
	 * ioctls, WARN/BUG), which a run of accessor events would push out of
	 * the first; each with the events' positions in the stream.
	 */
	struct ctx_slot *ring;		/* ring_cap slots, grown up to the context */
	uint32_t ring_next, ring_len, ring_cap;
	struct ctx_slot life[CONTEXT_LIFECYCLE];
	uint32_t life_next, life_len;
};

/* What the detector needs to know beyond the events. */
struct analyzer_config {
	const uint8_t *reg_class;	/* KVMSR_MAX_REGS RC_* bits (regclass.h), or NULL */
	unsigned int context;		/* events kept per vCPU for findings, 0: none */
	void (*on_finding)(void *ctx, const struct finding *f);
	void *ctx;
};

/*
 * vCPUs followed per run, (VM pid, vCPU id) pairs: as many as counting
 * stat's BPF map holds.  The events of any more are counted, not analyzed.
 */
#define ANALYZER_MAX_VCPUS KVMSR_MAX_VCPUS

struct analyzer {
	struct vcpu_stats *vcpus;
	size_t nr_vcpus, cap_vcpus;
	size_t last;		/* index of the last vCPU found */
	struct keymap by_vcpu;	/* (pid, vcpu_id) -> index in vcpus */
	uint64_t vcpu_events_dropped;	/* of vCPUs beyond ANALYZER_MAX_VCPUS */
	uint64_t events[KVMSR_EV__MAX];
	uint64_t first_ns, last_ns;
	uint64_t bad_records;	/* unknown type: never silently dropped */
	uint64_t gaps;		/* records marked KVMSR_GAP_BEFORE: drops before them,
				 * or KVMSR_GAP_LATE */
	uint64_t late;		/* records marked KVMSR_GAP_LATE: out of time order */
	uint64_t tallied;	/* events counted by the BPF side, not streamed */
	uint64_t unverified;	/* imbalances not reported: records were lost */
	struct analyzer_config cfg;
	uint64_t findings[FIND__MAX];	/* all vCPUs, and WARN/BUG outside any */
	/* Per register, across the run, for suspects. */
	uint64_t *suspect_reads;	/* loaded reads that returned the memory copy */
	int32_t *suspect_stack;
	uint8_t *reg_flags;		/* REGF_* */
	bool exact_locations;		/* accessor events carry the kernel's sr_loc */
	struct kvmsr_event *context_out;	/* a finding's context, oldest first */
	int16_t *held_slot;		/* register -> index in held_bits, -1: none */
	struct held_bits **held;	/* per physical CPU, lazily */
	uint64_t seq;			/* events fed so far */
	struct trap_tally *trap_regs;	/* by register, in order of first trap */
	size_t nr_trap_regs, cap_trap_regs;
	struct keymap trap_by_key;	/* trap_tally.key -> index in trap_regs */
	uint64_t traps_total, traps_untallied;
};

#define ANALYZER_MAX_CONTEXT 4096	/* --context limit */

/*
 * What each physical CPU has been seen to hold in the registers the put may
 * own, as evidence of which bits it stores (docs/detection.md): bits seen
 * as 1, bits seen as 0.  A small table per CPU, for at most HELD_REGS
 * registers and HELD_CPUS CPUs; beyond that no bit counts as held.
 */
#define HELD_REGS 64
#define HELD_CPUS 4096
struct held_bits {
	uint64_t one[HELD_REGS], zero[HELD_REGS];
};

#define REGF_PROVEN_CPU	 (1 << 0)	/* a loaded read returned != memory copy */
#define REGF_WRITTEN_BACK (1 << 1)	/* a put changed its memory copy */
#define REGF_CONFIRMED	 (1 << 2)	/* has a confirmed finding */
#define REGF_LOCATED_CPU (1 << 3)	/* an accessor tracepoint said "loaded" */

void analyzer_init(struct analyzer *a);
void analyzer_configure(struct analyzer *a, const struct analyzer_config *cfg);
const char *finding_kind_name(enum finding_kind k);
bool finding_is_confirmed(enum finding_kind k);
bool finding_is_suspect(enum finding_kind k);
const char *finding_doubt_name(enum finding_doubt d);
/* Bits of @reg that CPU @cpu has been seen to hold both as 0 and as 1. */
uint64_t analyzer_held(const struct analyzer *a, uint16_t cpu, unsigned int reg);
void analyzer_free(struct analyzer *a);

/* Returns the vCPU the event was attributed to, NULL if none. */
struct vcpu_stats *analyzer_feed(struct analyzer *a, const struct kvmsr_event *e);
/*
 * @n events like @e that the BPF side counted instead of streaming (no rule
 * can use them: bpf/tally.bpf.h): into the counts only (events, accessor
 * calls, traps by register, guest entries), never into a rule.
 */
void analyzer_tally(struct analyzer *a, const struct kvmsr_event *e, uint64_t n);

/* Close what is still open at the end of tracing (time end_ns); reports suspects. */
void analyzer_finish(struct analyzer *a, uint64_t end_ns);

/* Share of a vCPU's observed wall time spent with its sysregs loaded. */
double vcpu_loaded_share(const struct vcpu_stats *v);

struct vcpu_stats *analyzer_find(struct analyzer *a, uint32_t pid, int32_t vcpu_id);
/* Find or add; NULL when out of memory or beyond ANALYZER_MAX_VCPUS. */
struct vcpu_stats *analyzer_vcpu(struct analyzer *a, uint32_t pid, int32_t vcpu_id);
/* Register @reg's counters of @v, added at first use; NULL if out of range or memory. */
struct reg_stats *vcpu_reg(struct vcpu_stats *v, unsigned int reg);
/* ... NULL if @reg was never touched on @v. */
const struct reg_stats *vcpu_reg_find(const struct vcpu_stats *v, unsigned int reg);

/* The key of @e (a TRAP) in trap_regs. */
uint32_t trap_key(const struct kvmsr_event *e);

/* Sum of all vCPUs, for the coverage summary. */
void analyzer_totals(const struct analyzer *a, struct vcpu_stats *sum);

#endif /* KVMSR_ANALYZER_H */
