/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event ABI shared by the BPF programs (bpf/) and the user half (src/).
 *
 * One fixed-size record for every event type keeps the ring buffer, the
 * recording file format and the analyzer simple: a record is read with one
 * memcpy and never needs a length prefix.  Bump KVMSR_ABI_VERSION whenever the
 * layout or the meaning of a field changes; recordings store it.
 */
#ifndef KVMSR_EVENT_H
#define KVMSR_EVENT_H

#ifdef __bpf__
/* The BPF side gets the fixed-width types from its kernel type header. */
#else
#include <linux/types.h>
#endif

#define KVMSR_ABI_VERSION 6
/*
 * Versions whose records a reader of this one still understands (same
 * layout): 4 only added event types; 5 gave TRAP its encoding
 * (KVMSR_F_TRAP_ENC) and no value for a guest read.  A TRAP of 3 or 4 has
 * neither flag and a meaningless val on a read, which no output shows.
 * 6 gave LOAD and PUT the KVMSR_F_VIA_* bits (older ones carry a stack).
 */
#define KVMSR_ABI_OLDEST 3

/* Largest enum vcpu_sysreg index we keep per-register state for. */
#define KVMSR_MAX_REGS 1024

enum kvmsr_event_type {
	KVMSR_EV_LOAD = 1,	/* kvm_arch_vcpu_load returned */
	KVMSR_EV_PUT,		/* kvm_arch_vcpu_put called */
	KVMSR_EV_READ,		/* vcpu_read_sys_reg returned val */
	KVMSR_EV_WRITE,		/* vcpu_write_sys_reg called with val */
	KVMSR_EV_TRAP,		/* kvm:kvm_sys_access: a trapped sysreg access */
	KVMSR_EV_ENTRY,		/* kvm:kvm_entry: the vCPU enters the guest */
	KVMSR_EV_SAVED,		/* the VHE put saved a register touched while loaded */
	/* 8: retired (an exception-entry event that was never emitted) */
	KVMSR_EV_WARN = 9,	/* error_report_end(WARN): a WARN fired */
	KVMSR_EV_BUG,		/* die(): an oops (BUG) */
	KVMSR_EV_VM_EXIT,	/* kvm_arch_destroy_vm: the VM is gone */
	KVMSR_EV_DIRECT,	/* kvm_vcpu_sys_reg_direct_tp: memory copy of a
				 * loaded register accessed directly (kernel/) */
	/* The flight recorder's context (--context): */
	KVMSR_EV_SWITCH,	/* sched_switch of a vCPU thread, out or in (tid) */
	KVMSR_EV_IOCTL,		/* kvm_vcpu_ioctl: val = command, aux = argument */
	KVMSR_EV_EXIT,		/* kvm:kvm_exit: val = ESR_EL2.EC, aux = guest PC,
				 * reg = the exit's return code */
	KVMSR_EV__MAX,
};

/*
 * kvmsr_event.flags.  A bit means one thing per event type, and each name
 * says the type it is for (the types that may carry a bit are listed in
 * src/output/event_types.c, and a unit test holds every field to them).
 * LOADED is common; SWITCH reuses the bits of other types under its own
 * names.
 */
#define KVMSR_F_LOADED	 (1u << 0) /* sysregs on the CPU (SYSREGS_ON_CPU) */
#define KVMSR_F_TRAP_WRITE (1u << 1) /* TRAP: the guest wrote the register */
#define KVMSR_F_DIRECT_WRITE (1u << 1) /* DIRECT: the memory copy was written */
#define KVMSR_F_NO_VCPU	 (1u << 2) /* TRAP/ENTRY: no loaded vCPU known here */
#define KVMSR_F_MEMREG	 (1u << 3) /* TRAP: register has a sys_regs[] slot */
/*
 * TRAP without a slot: reg holds the register's encoding, packed as the
 * architecture's MRS/MSR immediate is, op0<<14 | op1<<11 | CRn<<7 | CRm<<3 |
 * op2 (KVMSR_ENC_*), its name in the BPF map trap_names (ABI 5).
 */
#define KVMSR_F_TRAP_ENC (1u << 4)
#define KVMSR_F_MEM	 (1u << 4) /* READ/WRITE/SAVED: aux holds the memory copy */
#define KVMSR_F_LOC	 (1u << 5) /* READ/WRITE: loc is the kernel's own sr_loc */
#define KVMSR_F_NO_BEFORE (1u << 6) /* SAVED: memory before the put unknown (aux 0) */
/*
 * SWITCH: the thread in tid is switched in (else out); the switch is a
 * preemption.  KVMSR_F_LOADED: out, the thread leaves with the vCPU it
 * loaded still loaded here (normal: kvm_sched_out's put follows); in, a
 * vCPU loaded by a thread other than the one leaving is still loaded on
 * this CPU (never normal: someone switched out without a put).
 */
#define KVMSR_F_SW_IN	 (1u << 1)
#define KVMSR_F_SW_PREEMPT (1u << 3)
/*
 * SWITCH out: the vCPU's preempt notifier is on the thread's list; the
 * kernel's preempt_notifier_key was read, and is enabled.  All three and
 * LOADED: the scheduler must call kvm_sched_out, which puts the vCPU.
 */
#define KVMSR_F_SW_NOTIFIER (1u << 4)
#define KVMSR_F_SW_KEY_KNOWN (1u << 5)
#define KVMSR_F_SW_KEY_ON  (1u << 6)
/*
 * LOAD/PUT whose caller the events around it prove, taken without a stack
 * (--context): VIA_SWITCH, the vCPU's preempt notifier (kvm_sched_in or
 * kvm_sched_out) at the sched_switch just before on this CPU; VIA_IOCTL, a
 * load, the thread's first since it entered the vCPU ioctl before it.
 */
#define KVMSR_F_VIA_SWITCH (1u << 1)
#define KVMSR_F_VIA_IOCTL  (1u << 2)

/*
 * kvmsr_event.loc: where vcpu_read_sys_reg()/vcpu_write_sys_reg() located the
 * register, as the kernel's kvm_vcpu_{read,write}_sys_reg tracepoints say
 * (enum sr_loc_attr, translated by CO-RE).  0: memory.
 */
#define KVMSR_LOC_LOADED  (1u << 0)	/* on the CPU */
#define KVMSR_LOC_MAPPED  (1u << 1)	/* in another CPU register */
#define KVMSR_LOC_XLATED  (1u << 2)	/* translated to fit another register */
#define KVMSR_LOC_SPECIAL (1u << 3)	/* needs special handling (EL2 timers, ...) */

struct kvmsr_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	/*
	 * READ: returned; WRITE: written; TRAP: the value the guest wrote
	 * (KVMSR_F_TRAP_WRITE; 0 for a read since ABI 5); SAVED: memory copy
	 * after the put; ENTRY: HCR_EL2; WARN: caller address; BUG: PC;
	 * DIRECT: the caller of the direct access; SWITCH: prev_state of
	 * the thread switched out; IOCTL: the command; EXIT: ESR_EL2.EC.
	 */
	__u64 val;
	/*
	 * LOAD/PUT: raw flag word; READ/WRITE: memory copy after the call
	 * (KVMSR_F_MEM); SAVED: memory copy before the put; TRAP/ENTRY/EXIT:
	 * guest PC; DIRECT: the memory copy; SWITCH: the other thread's tid;
	 * IOCTL: the argument.
	 */
	__u64 aux;
	__u32 pid;		/* VM process (tgid of the VMM) */
	__u32 tid;		/* thread doing it */
	__s32 vcpu_id;		/* vcpu->vcpu_id, -1 when unknown */
	__s32 stack_id;		/* kernel stack in the stacks map, -1 if none; ids
				 * name stack contents, so equal stacks share one */
	__u16 cpu;		/* CPU it happened on */
	/*
	 * enum vcpu_sysreg index (READ, WRITE, SAVED, DIRECT; TRAP with
	 * KVMSR_F_MEMREG); TRAP with KVMSR_F_TRAP_ENC: the encoding.
	 */
	__u16 reg;
	__u8 type;		/* enum kvmsr_event_type */
	__u8 flags;		/* KVMSR_F_* */
	__u8 loc;		/* READ/WRITE with KVMSR_F_LOC: KVMSR_LOC_* */
	/*
	 * KVMSR_GAP_BEFORE: the ring buffer dropped records (on any CPU) since
	 * the last record it took: what came before this one is incomplete.
	 */
	__u8 gap;
};

#define KVMSR_GAP_BEFORE 1
/*
 * KVMSR_GAP_LATE: set by user space, never by the BPF side: the record came
 * after records stamped later than it had been handed on (it missed the
 * reorder window, src/analysis/reorder.h), so the stream steps back here.
 */
#define KVMSR_GAP_LATE 2

/* A trapped register's encoding (KVMSR_F_TRAP_ENC): 2+3+4+4+3 = 16 bits. */
#define KVMSR_ENC(op0, op1, crn, crm, op2) \
	((((op0) & 3) << 14) | (((op1) & 7) << 11) | (((crn) & 15) << 7) | \
	 (((crm) & 15) << 3) | ((op2) & 7))
#define KVMSR_ENC_OP0(enc) (((enc) >> 14) & 3)
#define KVMSR_ENC_OP1(enc) (((enc) >> 11) & 7)
#define KVMSR_ENC_CRN(enc) (((enc) >> 7) & 15)
#define KVMSR_ENC_CRM(enc) (((enc) >> 3) & 15)
#define KVMSR_ENC_OP2(enc) ((enc) & 7)

/*
 * The BPF map trap_names: a trapped register's name as its sys_reg_desc
 * gives it ("SYS_MDCR_EL2", "SYS_DBGBVRn_EL1(0)"), "" where it has none,
 * cut to fit; keyed by the encoding (a __u32).  Written once per encoding,
 * before the first event that carries it.
 */
#define KVMSR_TRAP_NAME_LEN 48
struct kvmsr_trap_name {
	char name[KVMSR_TRAP_NAME_LEN];
};

/*
 * In-kernel aggregation (`kvmsr stat`): one record per vCPU, keyed by the
 * struct kvm_vcpu pointer, and one per (vCPU, register) for accessor counts.
 */
#define KVMSR_HIST_BUCKETS 40	/* log2(ns) of loaded intervals: 1 ns .. ~18 min */

struct kvmsr_vcpu_agg {
	__u32 pid;
	__s32 vcpu_id;
	__u64 loads, puts;
	__u64 loaded_ns;	/* closed intervals with sysregs on the CPU */
	__u64 resident_ns;	/* closed load->put intervals */
	__u64 first_ns, last_ns;
	__u64 open_since;	/* load time of the open interval, 0 if none */
	__u64 double_loads, orphan_puts;
	__u64 missed_puts;	/* a load found the interval open, flag clear */
	__u32 open_cpu;
	__u8 open_loaded;
	__u8 pad[3];
	__u64 hist[KVMSR_HIST_BUCKETS];	/* loaded-interval durations */
};

struct kvmsr_reg_key {
	__u64 vcpu;		/* struct kvm_vcpu pointer */
	__u32 reg;
	__u32 pad;
};

struct kvmsr_reg_agg {
	__u64 reads[2];		/* [1]: sysregs on the CPU */
	__u64 writes[2];
};

/*
 * Default `trace`: events no rule can use (accessor calls of registers the
 * put never owns, traps of such registers, guest entries while nothing
 * waits for a verdict) are counted in the BPF map `tallies` instead of
 * streamed (bpf/tally.bpf.h), keyed by what the hidden-event counts and
 * the analyzer's counters need; the value is a per-CPU __u64 count.
 */
struct kvmsr_tally_key {
	__u32 pid;
	__s32 vcpu_id;		/* -1: no vCPU loaded there */
	__u16 reg;		/* as kvmsr_event.reg (TRAP: slot or encoding) */
	__u8 type;		/* READ, WRITE, TRAP, ENTRY */
	__u8 flags;		/* as kvmsr_event.flags */
};

/*
 * A write-back cache of `tallies` per CPU (map `tally_cache`): the counts
 * of one vCPU, the last one loaded on the CPU, in direct-mapped slots.  A
 * hash update per event cost the default trace more than streaming some
 * of them; the slots are written to `tallies` when another vCPU is loaded
 * there or another key takes the slot, and user space adds what is left
 * in them at the end (session_tallies()).
 */
#define KVMSR_TALLY_SLOTS 64

struct kvmsr_tally_slot {
	__u16 reg;
	__u8 type;
	__u8 flags;
	__u32 n;
};

struct kvmsr_tally_cache {
	__u32 pid;		/* the owner: the slots' key without reg, type, flags */
	__s32 vcpu_id;
	__u64 used;		/* bit i: slot[i] holds a count */
	struct kvmsr_tally_slot slot[KVMSR_TALLY_SLOTS];
};

/* HCR_EL2.TVM (architectural): guest writes of the VM registers trap. */
#define KVMSR_HCR_TVM (1ULL << 26)

/*
 * Where the "sysregs on CPU" state lives in struct kvm_vcpu_arch; reported by
 * the BPF side in kvmsr_bss.flag_layout.
 */
enum kvmsr_flag_layout {
	KVMSR_FLAG_UNKNOWN = 0,
	KVMSR_FLAG_BOOL,	/* bool sysregs_loaded_on_cpu (4.17-5.19) */
	KVMSR_FLAG_SFLAGS,	/* a bit of u8/u16 sflags (6.0+) */
};

#endif /* KVMSR_EVENT_H */
