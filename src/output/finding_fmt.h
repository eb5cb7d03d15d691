/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A finding (struct finding, from the analysis) as a text block or a JSON
 * object: its proof, its stack and the flight recorder's context.  Trace
 * renders each as it comes; stat and report the ones the sink kept.
 */
#ifndef KVMSR_FINDING_FMT_H
#define KVMSR_FINDING_FMT_H

#include <stdio.h>
#include "analysis/analyzer.h"
#include "analysis/findings.h"
#include "output/json_writer.h"
#include "symbols/regnames.h"
#include "symbols/symbolize.h"

/* The frames of a finding's stack shown, innermost first. */
struct finding_frames {
	int n;
	char name[12][SYM_NAME_LEN];
};

/* The one-line proof or description of a finding. */
void finding_proof(const struct finding *f, const struct regnames *rn, char *buf, size_t len);
/* "confirmed", "suspect", "hit" or "imbalance". */
const char *finding_strength(enum finding_kind k);

void finding_text(FILE *out, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy);
void finding_json(struct jw *w, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy);

/* The findings the sink kept: text blocks, or a JSON array. */
void findings_text(FILE *out, const struct findings *fs, const struct regnames *rn,
		   struct symbolizer *sy);
void findings_json(struct jw *w, const struct findings *fs, const struct regnames *rn,
		   struct symbolizer *sy);

#endif /* KVMSR_FINDING_FMT_H */
