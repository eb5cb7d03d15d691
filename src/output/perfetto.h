/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kvmsr report FILE --perfetto OUT.json`: the Chrome trace-event JSON that
 * Perfetto and chrome://tracing open.  One process per VM, one track per
 * vCPU: loaded intervals as slices ("sysregs on CPU", or "resident" when
 * they stayed in memory), and the instants the event-type table marks
 * (guest entries, accessor calls) with their fields as args; findings as
 * instant events with their proof.  Pure C, fed the recording's events in
 * order.
 */
#ifndef KVMSR_PERFETTO_H
#define KVMSR_PERFETTO_H

#include <stdint.h>
#include <stdio.h>
#include "analysis/analyzer.h"
#include "output/json_writer.h"
#include "symbols/keymap.h"
#include "symbols/regnames.h"
#include "symbols/vmident.h"

struct perfetto_open {
	uint32_t pid;
	int32_t vcpu;
	uint64_t since;
	bool loaded;
};

struct perfetto {
	struct jw w;
	const struct regnames *rn;
	uint64_t t0;			/* ns of the first event: time 0 */
	struct perfetto_open *open;	/* vCPUs seen, with their open interval */
	size_t nr, cap;
	struct keymap by_vcpu;		/* (pid, vCPU) -> index in open */
	struct keymap vms;		/* pids with a process track */
	struct vmident *names;		/* VM names for the process tracks, or NULL */
	uint64_t slices, instants;
};

int perfetto_begin(struct perfetto *p, FILE *f, const struct regnames *rn);
void perfetto_event(struct perfetto *p, const struct kvmsr_event *e);
void perfetto_finding(struct perfetto *p, const struct finding *f);
/* Close what is still open at @end_ns and the JSON; -1 on a write error. */
int perfetto_end(struct perfetto *p, uint64_t end_ns);

#endif /* KVMSR_PERFETTO_H */
