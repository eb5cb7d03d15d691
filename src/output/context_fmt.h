/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flight recorder's output: the events of a vCPU that led to a finding
 * (finding.context), one line each in text or an array in JSON, loads and
 * puts with the path that called them.
 */
#ifndef KVMSR_CONTEXT_FMT_H
#define KVMSR_CONTEXT_FMT_H

#include <stdio.h>
#include "analysis/analyzer.h"
#include "analysis/findings.h"

void format_context_text(FILE *out, struct findings *fs, const struct finding *f);
/* ,"context":[...] to append to a finding's JSON object. */
void format_context_json(FILE *out, struct findings *fs, const struct finding *f);

#endif /* KVMSR_CONTEXT_FMT_H */
