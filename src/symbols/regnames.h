/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of enum vcpu_sysreg indices, read from a kernel's BTF.  The enum
 * changes between kernels (SCTLR_EL1 is 3 on 4.17, 163 on 6.12), so kvmsr
 * never carries a table of its own.
 */
#ifndef KVMSR_REGNAMES_H
#define KVMSR_REGNAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvmsr_limits.h"
#include "symbols/keymap.h"

/*
 * Names of trapped registers without a sys_regs[] slot, by encoding
 * (KVMSR_F_TRAP_ENC): the kernel's descriptor names them, not the enum.
 * Filled live from the BPF map through a fetch callback, the first time an
 * encoding is asked for, or from a recording's REC_TRAPNAME records.
 * Bounded: beyond REGNAMES_MAX_TRAPS encodings a register shows its encoding.
 */
#define REGNAMES_MAX_TRAPS KVMSR_MAX_TRAP_NAMES

/* The name of @enc as the kernel gave it ("" if none) into @name; false if unknown. */
typedef bool (*trapname_fetch_fn)(void *ctx, uint16_t enc, char *name, size_t len);

struct trapnames {
	struct keymap by_enc;		/* encoding -> index in name */
	char (*name)[KVMSR_TRAP_NAME_LEN];
	size_t n, cap;
	uint64_t dropped;		/* names beyond REGNAMES_MAX_TRAPS */
	trapname_fetch_fn fetch;	/* live: the BPF map; NULL for a recording */
	void *fetch_ctx;
};

struct regnames {
	char **name;		/* name[index], NULL where the kernel has none */
	int count;		/* highest index + 1 */
	/*
	 * A cache behind the names, filled as encodings are met (through a
	 * const regnames too); NULL: none, every trapped register shows its
	 * encoding.
	 */
	struct trapnames *traps;
};

/* From a raw BTF file (path) or, with path == NULL, the running kernel. */
int regnames_load(struct regnames *rn, const char *path);
void regnames_free(struct regnames *rn);

/* "TTBR0_EL1", or "sysreg#N" for an index the table does not name. */
const char *regnames_get(const struct regnames *rn, int index, char *buf, int len);

/* Index of a name (case-insensitive, "_EL1" suffix optional), -1 if unknown. */
int regnames_find(const struct regnames *rn, const char *name);

/* ---- trapped registers without a slot, by encoding ---- */

/* An empty trap-name table (regnames_load() makes one); -ENOMEM. */
int regnames_traps_init(struct regnames *rn);
/* Names of encodings not yet known come from @fetch (live). */
void regnames_trap_fetch(const struct regnames *rn, trapname_fetch_fn fetch, void *ctx);
/*
 * Name @enc @name (@len bytes, need not end in NUL; cut to fit), unless it
 * has one: the first name of an encoding stays.  True if added.
 */
bool regnames_trap_add(const struct regnames *rn, uint16_t enc, const char *name, size_t len);
/* @enc's name as the kernel gave it ("SYS_MDCR_EL2"; "" none), NULL if unknown. */
const char *regnames_trap_raw(const struct regnames *rn, uint16_t enc);
/* "S3_4_C1_C1_1": the architectural name of an encoding, into @buf. */
const char *regnames_enc(uint16_t enc, char *buf, size_t len);
/* What to call @enc: its name without "SYS_", else regnames_enc(). */
const char *regnames_trap(const struct regnames *rn, uint16_t enc, char *buf, size_t len);

#endif /* KVMSR_REGNAMES_H */
