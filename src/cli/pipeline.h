/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one path from event to output that every streaming command wires:
 * events into the analyzer, its findings into the sink (kept, handed on,
 * counted against --fail-on), stacks and names through one symbolizer,
 * live (the session's stack map and kallsyms) or from a recording.  The
 * outputs render what the pipeline holds.  Records come in through the
 * reorder stage (analysis/reorder.h): the command's deliver function, the
 * analyzer and every output see one stream in time order.
 */
#ifndef KVMSR_PIPELINE_H
#define KVMSR_PIPELINE_H

#include <stdbool.h>
#include "analysis/analyzer.h"
#include "analysis/findings.h"
#include "analysis/reorder.h"
#include "symbols/regnames.h"
#include "symbols/symbolize.h"

struct session;

struct pipeline {
	const struct regnames *rn;
	struct analyzer an;
	struct findings fs;
	struct symbolizer sy;
	struct reorder ro;
	uint8_t reg_class[KVMSR_MAX_REGS];	/* regclass.h, from rn's names */
};

/*
 * @keep: keep findings for a summary; @context: events kept per vCPU and
 * given with its findings (--context).
 */
void pipeline_init(struct pipeline *p, const struct regnames *rn, unsigned int fail_mask,
		   bool keep, unsigned int context);
/*
 * Where records go once in time order (the command's own handling, which
 * feeds p->an).  Until called, records go nowhere.
 */
void pipeline_deliver(struct pipeline *p, reorder_out_fn deliver, void *ctx);
/* A session_cb: a record into the reorder stage (@p: the pipeline). */
int pipeline_push(void *p, const struct kvmsr_event *e);
/* The ring buffer was found empty at @t_ns: what is older than the window goes on. */
void pipeline_drained(void *p, uint64_t t_ns);
/* The end of the stream: everything held goes on. */
void pipeline_flush(struct pipeline *p);
/*
 * Stacks from the live session's map, names from /proc/kallsyms; trapped
 * registers' names from its trap_names map.
 */
void pipeline_live(struct pipeline *p, struct session *s);
/* Does the run fail --fail-on?  @a: what was reported (a counting snapshot, or p->an). */
bool pipeline_failed(const struct pipeline *p, const struct analyzer *a);
void pipeline_free(struct pipeline *p);

#endif /* KVMSR_PIPELINE_H */
