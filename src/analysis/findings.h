/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where findings go: stack ids resolved through the session's stack map and
 * /proc/kallsyms, printed (trace) or kept for the summary (stat), and
 * counted against --fail-on.
 */
#ifndef KVMSR_FINDINGS_H
#define KVMSR_FINDINGS_H

#include <stdbool.h>
#include <stdio.h>
#include "analysis/analyzer.h"
#include "symbols/ksyms.h"
#include "recording/file.h"
#include "symbols/regnames.h"

#define FINDINGS_KEPT 100	/* stat lists at most this many in its summary */

/* Where stacks and code names come from when not from the live session. */
struct stack_source {
	bool (*stack)(void *ctx, int32_t id, struct rec_stack *out);
	void (*name)(void *ctx, uint64_t ip, char *buf, size_t len);
	void *ctx;
};

struct findings {
	const struct regnames *rn;
	struct stack_source source;	/* a recording's; unset: the session's map */
	struct ksyms ks;
	bool ks_loaded;
	int stacks_fd;			/* -1 until the session is open */
	bool json;
	FILE *stream;			/* print as they happen (trace), or NULL */
	char *kept[FINDINGS_KEPT];	/* formatted, for the stat summary */
	int nr_kept;
	uint64_t dropped;		/* beyond FINDINGS_KEPT */
	unsigned int fail_mask;		/* 1 << finding_kind that fails the run */
	bool failed;
	uint8_t reg_class[KVMSR_MAX_REGS];
};

/* Parse --fail-on "confirmed,warn,bug,imbalance,suspect,any". */
int parse_fail_on(const char *list, unsigned int *mask);

void findings_init(struct findings *fs, const struct regnames *rn, bool json, FILE *stream,
		   unsigned int fail_mask);
void findings_free(struct findings *fs);
/* analyzer_config.on_finding */
void findings_on_finding(void *ctx, const struct finding *f);
/* Stack @id with every frame symbolized (live map or source); false if none. */
bool findings_stack(struct findings *fs, int32_t id, struct rec_stack *st);
/* The name of code address @ip ("func+0x1c"; "0x..." if unknown). */
void findings_name(struct findings *fs, uint64_t ip, char *buf, size_t len);
/* Print the kept findings (stat summary). */
void findings_print_kept(struct findings *fs, FILE *out);

#endif /* KVMSR_FINDINGS_H */
