/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machinery of `kvmsr stat`, shared by the commands built on it: serve
 * (the counting stat as a Prometheus exporter) and record (stat --exact that
 * also writes every event).  Internal to src/cli.
 *
 * A command embeds struct stat_ctx first in its own context and adds what it
 * does through struct stat_ext hooks; stat_run() does the rest.
 */
#ifndef KVMSR_STAT_RUN_H
#define KVMSR_STAT_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "cli/pipeline.h"
#include "cli/runner.h"
#include "output/summary.h"
#include "probe/sysinfo.h"

struct stat_ctx;

/* What a command adds to stat; every hook may be NULL. */
struct stat_ext {
	/* First, before BTF is read or anything attached: an EXIT_* code. */
	int (*setup)(struct stat_ctx *st);
	void (*opened)(struct stat_ctx *st, struct session *s);
	void (*event)(struct stat_ctx *st, const struct kvmsr_event *e);
	void (*poll)(struct stat_ctx *st, struct session *s);	/* each turn of the loop, <= 50 ms apart */
	/* Every --interval; NULL: print the report so far. */
	void (*tick)(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns);
	/* After the run; NULL: stat_report().  An EXIT_* code. */
	int (*finish)(struct stat_ctx *st, const struct run_result *r);
	/* Last, once setup succeeded, whatever happened next. */
	void (*cleanup)(struct stat_ctx *st);
};

struct stat_ctx {
	const struct cli *cli;
	const struct stat_ext *ext;	/* NULL: plain stat */
	struct regnames rn;
	struct pipeline p;	/* streamed events: all (--exact) or hits only */
	uint64_t reported[FIND__MAX];	/* the most of each kind a report showed */
	struct sysinfo si;
	bool window_on;
	uint64_t sampled_ns, last_poll;
	bool calib_dropped;
	char sampling[160];
	struct session *s;	/* from the moment it is attached */
	uint64_t elapsed_ns;	/* at the last poll */
	struct run_info ri;	/* what stat_report() printed */
	uint64_t named_ns;	/* counting: when new vCPUs' VMs were last named */
	struct keymap named;	/* ... the vCPUs (kvm_vcpu pointers) named so far */
};

/* The context of the command that embeds @st first. */
#define stat_owner(st, type) ((type *)(st))

/* Set up, attach, run until done, report; returns an EXIT_* code. */
int stat_run(struct stat_ctx *st);

/*
 * What to report: in counting mode a snapshot of the BPF maps (into @snap,
 * with the hits and imbalances streamed meanwhile), else the stream's
 * analyzer.  The caller frees @snap when it is returned.
 */
struct analyzer *stat_current(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns,
			      struct analyzer *snap, struct run_info *ri);

/* The final report of stat: the totals, then the findings kept (text). */
int stat_report(struct stat_ctx *st, const struct run_result *r);

#endif /* KVMSR_STAT_RUN_H */
