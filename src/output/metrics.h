/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kvmsr serve`: the summary as Prometheus text exposition (format 0.0.4),
 * for GET /metrics and node_exporter's textfile collector.  Pure C: it
 * renders an analyzer (a snapshot of the BPF maps) and the run's facts.
 */
#ifndef KVMSR_METRICS_H
#define KVMSR_METRICS_H

#include <stdio.h>
#include "analysis/analyzer.h"
#include "symbols/regnames.h"
#include "output/http.h"
#include "output/summary.h"

/* One BPF program's cost, as the kernel counts it (bpf_prog_info). */
struct metrics_prog {
	const char *name;
	uint64_t runs, run_ns, misses;
};

/* What kvmsr itself costs and holds. */
struct metrics_self {
	bool bpf_stats;			/* the kernel counts run times: progs are exported */
	const struct metrics_prog *progs;
	size_t nr_progs;
	uint64_t records;		/* ring-buffer records read */
	bool ring_known;
	uint64_t ring_used, ring_size;	/* bytes queued and not read; the ring's size */
	double cpu_seconds;		/* user + system, since the process started */
	uint64_t rss_bytes;
	double start_time;		/* seconds since the epoch */
	double collect_seconds;		/* this answer's snapshot of the BPF maps */
};

struct metrics_info {
	const char *kernel;		/* uname release */
	const char *version;		/* kvmsr's */
	double sampling_ratio;		/* share of time the accessor probes ran */
	const struct http_stats *http;	/* the /metrics server's, NULL: none */
	const struct metrics_self *self;	/* NULL: none */
};

void metrics_render(FILE *f, const struct analyzer *a, const struct run_info *ri,
		    const struct metrics_info *mi);

#endif /* KVMSR_METRICS_H */
