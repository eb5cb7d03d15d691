/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Summaries of the analyzer's state: the `stat` table, its JSON form with
 * the kept findings, the coverage section, and trace's closing summary.  No
 * libbpf here: recordings are reported the same way.
 */
#ifndef KVMSR_SUMMARY_H
#define KVMSR_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "analysis/analyzer.h"
#include "analysis/findings.h"
#include "output/json_writer.h"
#include "symbols/symbolize.h"
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
	int recording_cut;		/* report of a recording: 1 cut, 0 whole; -1 live */
	uint64_t recording_records;
	uint64_t recording_backward;	/* events stamped before the one before them */
	uint64_t recording_stacks_dropped;	/* beyond recording_max_stacks */
	int recording_max_stacks;
	struct vmident *vms;	/* VM and vCPU thread names; NULL: none */
};

#define SUMMARY_TEXT 1024	/* notes and names shown, at most */

void summary_text(FILE *f, const struct analyzer *a, const struct regnames *rn,
		  const struct run_info *ri);
/* One JSON object and a newline; @fs: the kept findings ("finding_list"), or NULL. */
void summary_json(struct jw *w, const struct analyzer *a, const struct regnames *rn,
		  const struct run_info *ri, const struct findings *fs, struct symbolizer *sy);

/* The finding counts: members of an open JSON object, or a text line. */
void summary_findings_json(struct jw *w, const struct analyzer *a);
void summary_findings_text(FILE *f, const struct analyzer *a);

/* trace's closing summary: NDJSON {"event":"summary",...} or text on @f. */
struct stream_filter;
/* With the counts of what @sf did not show. */
void summary_trace_json(struct jw *w, const struct analyzer *a, const struct regnames *rn,
			const struct run_info *ri, uint64_t printed,
			const struct stream_filter *sf);
void summary_trace_text(FILE *f, const struct analyzer *a, const struct regnames *rn,
			const struct run_info *ri, uint64_t printed);

/*
 * Trapped guest accesses by register, by the names trace shows: a "traps"
 * member of an open JSON object, or a text line (none if nothing trapped).
 */
void summary_traps_json(struct jw *w, const struct analyzer *a, const struct regnames *rn);
void summary_traps_text(FILE *f, const struct analyzer *a, const struct regnames *rn);

/* Share of trapped accesses to memory-backed registers seen at an accessor. */
double coverage_ratio(const struct analyzer *a, uint64_t *traps, uint64_t *seen);

#endif /* KVMSR_SUMMARY_H */
