/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbols from /proc/kallsyms: to name stack frames and WARN callers, and to find a symbol. */
#ifndef KVMSR_KSYMS_H
#define KVMSR_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char *name;
	size_t seq;		/* line in kallsyms: orders aliases as the kernel does */
};

struct ksyms {
	struct ksym *syms;
	size_t nr;
};

/* 0, or -errno; a missing file leaves an empty table (addresses print raw). */
int ksyms_load(struct ksyms *ks, const char *path);
void ksyms_free(struct ksyms *ks);
/*
 * The address of symbol @name, data included (CONFIG_KALLSYMS_ALL), from
 * @path (NULL: /proc/kallsyms) without loading the table; 0 if not found.
 */
uint64_t ksyms_addr_of(const char *path, const char *name);
/* "func+0x1c" into buf (raw hex if unknown); returns buf. */
const char *ksyms_name(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);

#endif /* KVMSR_KSYMS_H */
