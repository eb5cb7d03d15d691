/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flight recorder's output: the events of a vCPU that led to a finding
 * (finding.context), one line each in text or an array in JSON, loads and
 * puts with the path that called them.  Each event is described by its
 * entry in the event-type table.
 */
#ifndef KVMSR_CONTEXT_FMT_H
#define KVMSR_CONTEXT_FMT_H

#include <stdio.h>
#include "analysis/analyzer.h"
#include "output/json_writer.h"
#include "symbols/regnames.h"
#include "symbols/symbolize.h"

void context_text(FILE *out, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy);
/* "context":[...] as a member of the finding's open JSON object. */
void context_json(struct jw *w, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy);

#endif /* KVMSR_CONTEXT_FMT_H */
