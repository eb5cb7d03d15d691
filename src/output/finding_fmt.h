/* SPDX-License-Identifier: GPL-2.0 */
/* A finding as a text block or an NDJSON object, with its proof and stack. */
#ifndef KVMSR_FINDING_FMT_H
#define KVMSR_FINDING_FMT_H

#include <stdbool.h>
#include <stdio.h>
#include "analysis/analyzer.h"
#include "symbols/regnames.h"

/* The one-line proof or description of a finding. */
void finding_proof(const struct finding *f, const struct regnames *rn, char *buf, size_t len);

/* frames: symbolized kernel stack, innermost first (may be empty). */
void format_finding_text(FILE *out, const struct finding *f, const struct regnames *rn,
			 const char *const *frames, int nframes);
/* Without the closing "}\n": the caller may append members (the context). */
void format_finding_json(FILE *out, const struct finding *f, const struct regnames *rn,
			 const char *const *frames, int nframes);

/* @s as a JSON string, quotes included. */
void json_escaped(FILE *out, const char *s);

/* Is this frame BPF, trampoline or kprobe plumbing rather than kernel code? */
bool frame_is_plumbing(const char *frame);

#endif /* KVMSR_FINDING_FMT_H */
