/* SPDX-License-Identifier: GPL-2.0 */
/* tpwatch: what its BPF half hands its user half (tests/kernel/tpwatch.c). */
#ifndef TPWATCH_H
#define TPWATCH_H

#include <linux/types.h>

enum tpw_event {
	TPW_LOAD,		/* kvm_vcpu_load_tp, aux: vcpu->arch.sflags */
	TPW_PUT,		/* kvm_vcpu_put_tp, aux: vcpu->arch.sflags */
	TPW_READ,		/* kvm_vcpu_read_sys_reg_tp, aux: enum sr_loc_attr */
	TPW_WRITE,		/* kvm_vcpu_write_sys_reg_tp, aux: enum sr_loc_attr */
	TPW_DIRECT,		/* kvm_vcpu_sys_reg_direct_tp, val: caller, aux: is_write */
	TPW_SYS_ACCESS,		/* kvm_sys_access (trace event), val: guest pc */
	TPW_NR
};

struct tpw_record {
	__u32 event;
	__u32 cpu;
	__s32 pid;		/* the VM's userspace_pid */
	__s32 vcpu_id;
	__u32 reg;		/* enum vcpu_sysreg */
	__u32 pad;
	__u64 val;
	__u64 aux;
};

#endif /* TPWATCH_H */
