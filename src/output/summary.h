/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Summaries of the analyzer's state: the `stat` table, its JSON form and the
 * coverage section.  No libbpf here: recordings will be reported the same way.
 */
#ifndef KVMSR_REPORT_H
#define KVMSR_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "analysis/analyzer.h"
#include "symbols/regnames.h"

struct run_info {
	const char *backend;
	const char *kvm_mode;
	bool defers;		/* sysregs deferred to load/put on this host */
	uint64_t lost;		/* ring-buffer records dropped */
	uint64_t probe_misses;	/* program runs the kernel skipped (recursion) */
	uint32_t on_cpu_mask;	/* SYSREGS_ON_CPU bit(s), 0 if never seen */
	bool mask_learned;	/* ... learned at run time, not assumed */
	bool mask_disagrees;	/* learned bit != the one assumed for early events */
	bool traps;		/* kvm:kvm_sys_access was attached */
	uint64_t duration_ns;
	const char *notes;	/* warnings from attaching */
	const char *sampling;	/* how accessor counts were sampled, NULL if exact */
	char *const *finding_json;	/* rendered findings (JSON objects) to embed */
	int nr_finding_json;
	int recording_cut;		/* report of a recording: 1 cut, 0 whole; -1 live */
	uint64_t recording_records;
};

void report_stat_text(FILE *f, const struct analyzer *a, const struct regnames *rn,
		      const struct run_info *ri);
void report_stat_json(FILE *f, const struct analyzer *a, const struct regnames *rn,
		      const struct run_info *ri);

/* The finding counts: a JSON fragment ("findings":{...},...) or a text line. */
void report_findings(FILE *f, const struct analyzer *a, bool json);

/* Share of trapped accesses to memory-backed registers seen at an accessor. */
double coverage_ratio(const struct analyzer *a, uint64_t *traps, uint64_t *seen);

#endif /* KVMSR_REPORT_H */
