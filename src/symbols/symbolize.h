/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbolization, the bottom of the user half: a kernel stack id or a code
 * address becomes names.  Live, the ips come from a fetch callback (the BPF
 * stack map, wired by the command) and the names from /proc/kallsyms, read
 * when first needed; for a recording, both come from its stack table through
 * a source callback.  Everyone above calls this; it calls no one above it.
 */
#ifndef KVMSR_SYMBOLIZE_H
#define KVMSR_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvmsr_limits.h"
#include "symbols/ksyms.h"
#include "symbols/vmident.h"

#define SYM_STACK_DEPTH KVMSR_STACK_DEPTH	/* what the BPF side captures */
#define SYM_NAME_LEN 96

/* A kernel stack, innermost frame first, every frame named. */
struct sym_stack {
	int32_t id;
	int n;
	uint64_t ip[SYM_STACK_DEPTH];
	char name[SYM_STACK_DEPTH][SYM_NAME_LEN];
};

/* Stacks and names already resolved elsewhere (a recording's table). */
struct sym_source {
	bool (*stack)(void *ctx, int32_t id, struct sym_stack *out);
	bool (*name)(void *ctx, uint64_t ip, char *buf, size_t len);
	void *ctx;
};

/* The raw ips of stack @id (SYM_STACK_DEPTH, 0-terminated); false if none. */
typedef bool (*sym_fetch_fn)(void *ctx, int32_t id, uint64_t *ips);

struct symbolizer {
	struct sym_source src;		/* set: a recording's names */
	sym_fetch_fn fetch;		/* live stack ips, or NULL */
	void *fetch_ctx;
	struct ksyms ks;
	bool ks_loaded;
	/*
	 * VM names and vCPU thread names: own_vm, from /proc, live; a
	 * recording's table (sym_use_vms()) for a file.
	 */
	struct vmident *vm;
	struct vmident own_vm;
};

void sym_init(struct symbolizer *sy);
void sym_use_source(struct symbolizer *sy, const struct sym_source *src);
void sym_use_fetch(struct symbolizer *sy, sym_fetch_fn fetch, void *ctx);
/* VM and thread names from @vms (a recording's), not this host's /proc. */
void sym_use_vms(struct symbolizer *sy, struct vmident *vms);
void sym_free(struct symbolizer *sy);

/*
 * Read kallsyms now rather than at the first name (live only): for a
 * command that names every stack, before the workload starts, where its
 * ~150k lines cost no guest any time.
 */
void sym_preload(struct symbolizer *sy);
/* Stack @id with every frame named; false if unknown. */
bool sym_stack(struct symbolizer *sy, int32_t id, struct sym_stack *out);
/* The name of code address @ip ("func+0x1c"; "0x..." if unknown). */
void sym_name(struct symbolizer *sy, uint64_t ip, char *buf, size_t len);
/* Is this frame BPF, trampoline or kprobe plumbing rather than kernel code? */
bool sym_is_plumbing(const char *frame);

#endif /* KVMSR_SYMBOLIZE_H */
