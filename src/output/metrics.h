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

struct metrics_info {
	const char *kernel;		/* uname release */
	const char *version;		/* kvmsr's */
	double sampling_ratio;		/* share of time the accessor probes ran */
	const struct http_stats *http;	/* the /metrics server's, NULL: none */
};

void metrics_render(FILE *f, const struct analyzer *a, const struct run_info *ri,
		    const struct metrics_info *mi);

#endif /* KVMSR_METRICS_H */
