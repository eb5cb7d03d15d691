/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of enum vcpu_sysreg indices, read from a kernel's BTF.  The enum
 * changes between kernels (SCTLR_EL1 is 3 on 4.17, 163 on 6.12), so kvmsr
 * never carries a table of its own.
 */
#ifndef KVMSR_REGNAMES_H
#define KVMSR_REGNAMES_H

#include <stdbool.h>

struct regnames {
	char **name;		/* name[index], NULL where the kernel has none */
	int count;		/* highest index + 1 */
};

/* From a raw BTF file (path) or, with path == NULL, the running kernel. */
int regnames_load(struct regnames *rn, const char *path);
void regnames_free(struct regnames *rn);

/* "TTBR0_EL1", or "sysreg#N" for an index the table does not name. */
const char *regnames_get(const struct regnames *rn, int index, char *buf, int len);

/* Index of a name (case-insensitive, "_EL1" suffix optional), -1 if unknown. */
int regnames_find(const struct regnames *rn, const char *name);

#endif /* KVMSR_REGNAMES_H */
