/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The findings sink: where the analyzer's findings go as data.  It keeps
 * them (struct finding, with its own copy of the flight recorder's context)
 * for the summary, hands each on as it comes to a consumer (trace prints
 * it, report puts it on the timeline), and decides --fail-on, once.
 * Rendering is output/'s job (finding_fmt.h).
 */
#ifndef KVMSR_FINDINGS_H
#define KVMSR_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include "analysis/analyzer.h"

#define FINDINGS_KEPT 100	/* kept for a summary; the rest are counted */

typedef void (*finding_fn)(void *ctx, const struct finding *f);

struct findings {
	unsigned int fail_mask;		/* 1 << finding_kind that fails the run */
	bool keep;			/* keep them for a summary */
	finding_fn emit;		/* each as it comes, or NULL */
	void *emit_ctx;
	struct finding kept[FINDINGS_KEPT];	/* .context owned here */
	int nr_kept;
	uint64_t dropped;		/* not kept: beyond FINDINGS_KEPT */
};

/* Parse --fail-on "confirmed,warn,bug,imbalance,suspect,any". */
int parse_fail_on(const char *list, unsigned int *mask);

void findings_init(struct findings *fs, unsigned int fail_mask, bool keep);
/* Hand each finding to @emit as it comes (before it is kept). */
void findings_stream(struct findings *fs, finding_fn emit, void *ctx);
void findings_free(struct findings *fs);
/* analyzer_config.on_finding */
void findings_on_finding(void *ctx, const struct finding *f);
/*
 * Does a run whose findings add up to @counts (analyzer.findings: streamed,
 * or counted in the kernel) match --fail-on?  The one place it is decided.
 */
bool findings_fail(const struct findings *fs, const uint64_t counts[FIND__MAX]);

#endif /* KVMSR_FINDINGS_H */
