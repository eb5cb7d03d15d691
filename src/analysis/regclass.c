// SPDX-License-Identifier: GPL-2.0
/* Register classes by architectural name (regclass.h). */
#include <string.h>
#include "analysis/regclass.h"

/*
 * Saved by the VHE put path (__sysreg_save_el1_state, __sysreg_save_user_state,
 * __sysreg32_save_state) on every kernel from 4.17 to 7.x (docs/kernels.md,
 * "Registers deferred on VHE"), and nothing but the accessor and the put
 * writes them while loaded.
 */
static const char *const deferred[] = {
	"SCTLR_EL1", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "ESR_EL1", "AFSR0_EL1",
	"AFSR1_EL1", "FAR_EL1", "MAIR_EL1", "VBAR_EL1", "CONTEXTIDR_EL1", "AMAIR_EL1",
	"TPIDR_EL1", "SP_EL1", "ELR_EL1", "SPSR_EL1", "TPIDR_EL0", "TPIDRRO_EL0",
	"DACR32_EL2", "IFSR32_EL2", NULL,
};

/*
 * Deferred on some versions or configurations only (CSSELR until 6.3, ACTLR
 * until 5.8, MTE, FEAT_TCR2/S1PIE/S1POE/SCTLR2, SVE), or written by other
 * KVM code too (CPACR, PAR, CNTKCTL, DBGVCR32): a verdict needs the put to
 * have written the register back in that very put.
 */
static const char *const deferred_some[] = {
	"CPACR_EL1", "PAR_EL1", "CNTKCTL_EL1", "DBGVCR32_EL2", "CSSELR_EL1", "ACTLR_EL1",
	"TFSR_EL1", "TFSRE0_EL1", "TCR2_EL1", "PIR_EL1", "PIRE0_EL1", "POR_EL1",
	"SCTLR2_EL1", "ZCR_EL1", NULL,
};

/*
 * HCR_EL2.TVM traps guest writes of these, and the CPU itself never writes
 * them (unlike ESR/FAR/AFSR, which a guest exception updates untrapped).
 */
static const char *const tvm_only[] = {
	"SCTLR_EL1", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "MAIR_EL1", "AMAIR_EL1",
	"CONTEXTIDR_EL1", NULL,
};

/*
 * The Arm ARM leaves their contents IMPLEMENTATION DEFINED (ACTLR, AMAIR,
 * AFSR0/1: RAZ/WI on many cores, status bits on others), or the CPU writes
 * them while KVM runs at EL2 with the guest's EL1 state loaded (PAR_EL1:
 * every AT instruction, e.g. the NV AT emulation in arch/arm64/kvm/at.c).
 */
static const char *const cpu_owned[] = {
	"ACTLR_EL1", "AMAIR_EL1", "AFSR0_EL1", "AFSR1_EL1", "PAR_EL1", NULL,
};

/* enter_exception64() writes these on the CPU without the accessor. */
static const char *const exc_entry[] = { "ELR_EL1", "SPSR_EL1", NULL };

static int in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return 1;
	return 0;
}

uint8_t regclass_of(const char *name)
{
	size_t n;
	uint8_t c = 0;

	if (!name)
		return 0;
	n = strlen(name);
	if (in(name, deferred))
		c |= RC_DEFERRED;
	if (in(name, deferred_some))
		c |= RC_DEFERRED_SOME;
	if (in(name, tvm_only))
		c |= RC_TVM_ONLY;
	if (in(name, exc_entry))
		c |= RC_EXC_ENTRY;
	if (in(name, cpu_owned))
		c |= RC_CPU_OWNED;
	if ((n > 4 && !strcmp(name + n - 4, "_EL2")) || (n > 5 && !strcmp(name + n - 5, "_EL12")))
		if (!(c & (RC_DEFERRED | RC_DEFERRED_SOME)))
			c |= RC_NV_ALIAS;
	return c;
}
