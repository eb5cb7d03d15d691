/* SPDX-License-Identifier: GPL-2.0 */
/* What the default trace filter did not show, as counts (analysis/stream_filter.h). */
#ifndef KVMSR_HIDDEN_FMT_H
#define KVMSR_HIDDEN_FMT_H

#include <stdio.h>
#include "analysis/stream_filter.h"
#include "output/json_writer.h"
#include "symbols/regnames.h"

/* "hidden_events" and "hidden" [{event, reg, count}...]: members of an open object. */
void hidden_json(struct jw *w, const struct stream_filter *sf, const struct regnames *rn);
/* One line, the most frequent first; nothing if nothing was hidden. */
void hidden_text(FILE *f, const struct stream_filter *sf, const struct regnames *rn);

#endif /* KVMSR_HIDDEN_FMT_H */
