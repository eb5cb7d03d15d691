/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach targets per kernel.  KVM renamed its VHE sysreg load/put functions
 * twice (docs/kernels.md): kvm_vcpu_{load,put}_sysregs on 4.17-5.8,
 * kvm_vcpu_{load,put}_sysregs_vhe on 5.9-6.6 (13aeb9b400c5), and
 * __vcpu_{load,put}_switch_sysregs from 6.7 (27cde4c0fe28).  The candidates are tried innermost first, because the innermost
 * one flips SYSREGS_ON_CPU and little else.
 */
#ifndef KVMSR_TARGETS_H
#define KVMSR_TARGETS_H

#include <stdbool.h>

enum target_id {
	TGT_VCPU_LOAD,		/* kvm_arch_vcpu_load */
	TGT_VCPU_PUT,		/* kvm_arch_vcpu_put */
	TGT_VHE_LOAD,		/* sets SYSREGS_ON_CPU (VHE only) */
	TGT_VHE_PUT,		/* clears it */
	TGT_READ,		/* vcpu_read_sys_reg */
	TGT_WRITE,		/* vcpu_write_sys_reg */
	TGT_VM_EXIT,		/* kvm_arch_destroy_vm */
	TGT_DIE,		/* die: BUG() */
	TGT__MAX,
};

struct target {
	const char *role;	/* what it is for, for `check` */
	const char *name;	/* resolved function, NULL if none found */
	const char *wanted;	/* first candidate, to name a missing target */
	bool required;
	bool in_kallsyms;
	int traceable;		/* 1 yes, 0 no, -1 unknown (no tracefs) */
};

struct targets {
	struct target t[TGT__MAX];
};

/* Resolve against /proc/kallsyms and tracefs available_filter_functions. */
void targets_resolve(struct targets *tg);

#endif /* KVMSR_TARGETS_H */
