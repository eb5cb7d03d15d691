/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types kvmsr's BPF programs touch, declared by hand.
 *
 * Every struct carries preserve_access_index, so each field access becomes a
 * CO-RE relocation that libbpf resolves against the running kernel's BTF: the
 * offsets written here do not matter, only the names.  That is what lets one
 * object serve 6.1 through 7.x without a vmlinux.h per kernel.  Types whose
 * layout changed between kernels come in ___flavor variants and are probed
 * with bpf_core_field_exists().
 */
#ifndef KVMSR_KVM_TYPES_H
#define KVMSR_KVM_TYPES_H

#define __VMLINUX_H__		/* tell bpf_tracing.h to use kernel names */

#include <linux/types.h>
#include <linux/bpf.h>

typedef _Bool bool;
#define true 1
#define false 0

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* arm64 kprobe context: struct pt_regs starts with struct user_pt_regs. */
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

struct pt_regs {
	struct user_pt_regs user_regs;
};

struct hlist_node {
	struct hlist_node *next;
};

struct hlist_head {
	struct hlist_node *first;
};

/* The hook KVM hangs on a vCPU thread for kvm_sched_in/kvm_sched_out. */
struct preempt_notifier {
	struct hlist_node link;
};

struct task_struct {
	int pid;
	struct hlist_head preempt_notifiers;	/* CONFIG_PREEMPT_NOTIFIERS */
};

struct file {
	void *private_data;	/* a vCPU fd: its struct kvm_vcpu */
};

struct kvm {
	int userspace_pid;	/* the VMM that created the VM */
};

struct kvm_cpu_context {
	__u64 sys_regs[1];	/* NR_SYS_REGS entries: size from BTF */
	__u64 *vncr_array;	/* 6.8+: registers >= __VNCR_START__ with NV */
};

struct kvm_vcpu_arch {
	struct kvm_cpu_context ctxt;
	__u64 hcr_el2;
	__u16 sflags;		/* 6.0+: single-bit flags, u8 until ~6.16, u16 after */
};

struct kvm_vcpu {
	struct kvm *kvm;
	int cpu;
	int vcpu_id;
	struct preempt_notifier preempt_notifier;
	struct kvm_vcpu_arch arch;
};

/* 4.17-5.19: a plain bool instead of the SYSREGS_ON_CPU flag. */
struct kvm_vcpu_arch___bool {
	bool sysregs_loaded_on_cpu;
};

struct kvm_vcpu___bool {
	struct kvm_vcpu_arch___bool arch;
};

/* Arguments of the kvm:kvm_sys_access tracepoint (arch/arm64/kvm/sys_regs.h). */
struct sys_reg_params {
	__u64 regval;
	bool is_write;
};

/*
 * A descriptor of sys_regs.c's tables: the name is the SYS_DESC() macro's
 * argument as a string ("SYS_MDCR_EL2", "SYS_DBGBVRn_EL1(0)"), NULL in
 * entries without one; Op0..Op2 the encoding (u8 each on 6.1 through 7.3).
 */
struct sys_reg_desc {
	const char *name;
	u8 Op0;
	u8 Op1;
	u8 CRn;
	u8 CRm;
	u8 Op2;
	int reg;		/* enum vcpu_sysreg index, 0 if none */
};

#pragma clang attribute pop

/* Only for bpf_core_enum_value(): the kernel's enum decides the values. */
enum vcpu_sysreg___kvmsr {
	__VNCR_START__ = 0,
};

enum error_detector___kvmsr {
	ERROR_DETECTOR_WARN = 0,
};

/* Where the accessors found a register (kernel/0002, arch/arm64/kvm/sys_regs.h). */
enum sr_loc_attr___kvmsr {
	SR_LOC_LOADED = 1,
	SR_LOC_MAPPED = 2,
	SR_LOC_XLATED = 4,
	SR_LOC_SPECIAL = 8,
};


#endif /* KVMSR_KVM_TYPES_H */
