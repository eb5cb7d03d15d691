/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kvmsr knows about a register by its architectural name, never by an
 * index: which registers VHE defers to load/put, which guest writes
 * HCR_EL2.TVM traps, which the CPU changes behind KVM's back.  Used only to
 * decide what can be proven; docs/detection.md explains every list.
 */
#ifndef KVMSR_REGCLASS_H
#define KVMSR_REGCLASS_H

#include <stdint.h>

enum {
	RC_DEFERRED = 1 << 0,	/* saved by the VHE put on every kernel (documented) */
	RC_DEFERRED_SOME = 1 << 4, /* ... on some versions only: needs evidence */
	RC_TVM_ONLY = 1 << 1,	/* guest can change it only by a TVM-trapped write */
	RC_EXC_ENTRY = 1 << 2,	/* written by exception entry (__kvm_adjust_pc) */
	RC_NV_ALIAS = 1 << 3,	/* an EL2 register: may alias an EL1 one on the CPU */
	/*
	 * Contents IMPLEMENTATION DEFINED (may be RAZ/WI, may change by
	 * themselves) or written by the CPU outside the guest (PAR_EL1 by the
	 * AT instructions KVM itself issues): a mismatch proves nothing.
	 */
	RC_CPU_OWNED = 1 << 5,
};

/* Class bits of a register name (NULL: 0). */
uint8_t regclass_of(const char *name);

#endif /* KVMSR_REGCLASS_H */
