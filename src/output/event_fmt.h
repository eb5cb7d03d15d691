/* SPDX-License-Identifier: GPL-2.0 */
/* One event as a `trace` text line or an NDJSON object, from the event-type table. */
#ifndef KVMSR_EVENT_FMT_H
#define KVMSR_EVENT_FMT_H

#include <stdint.h>
#include <stdio.h>
#include "kvmsr_event.h"
#include "output/json_writer.h"
#include "symbols/regnames.h"

void event_text_header(FILE *f);
void event_text(FILE *f, const struct kvmsr_event *e, const struct regnames *rn, uint64_t t0_ns);
/* The event as one JSON object: the fields every event has, then its type's. */
void event_json(struct jw *w, const struct kvmsr_event *e, const struct regnames *rn);
/* ... with the name of its VM (symbols/vmident.h) after "pid", if @vm is not NULL or "". */
void event_json_vm(struct jw *w, const struct kvmsr_event *e, const struct regnames *rn,
		   const char *vm);
/* Only the fields of its type (Perfetto's args). */
void event_json_fields(struct jw *w, const struct kvmsr_event *e, const struct regnames *rn);

#endif /* KVMSR_EVENT_FMT_H */
