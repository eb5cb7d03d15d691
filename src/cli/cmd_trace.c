// SPDX-License-Identifier: GPL-2.0
/* kvmsr trace: the live event stream. */
#include <stdio.h>
#include <unistd.h>
#include "analysis/analyzer.h"
#include "analysis/findings.h"
#include "output/event_fmt.h"
#include "output/summary.h"
#include "cli/runner.h"
#include "probe/sysinfo.h"

struct trace_ctx {
	const struct cli *cli;
	struct regnames rn;
	struct analyzer an;
	struct findings fs;
	uint64_t t0;
	uint64_t printed;
};

static void on_opened(void *ctx, struct session *s)
{
	struct trace_ctx *t = ctx;

	t->fs.stacks_fd = session_stacks_fd(s);
}

static int on_event(void *ctx, const struct kvmsr_event *e)
{
	struct trace_ctx *t = ctx;

	analyzer_feed(&t->an, e);
	if (!(t->cli->event_mask & (1u << e->type)))
		return 0;
	if (!t->t0)
		t->t0 = e->ts_ns;
	if (t->cli->json)
		format_event_json(stdout, e, &t->rn);
	else
		format_event_text(stdout, e, &t->rn, t->t0);
	t->printed++;
	return 0;
}

static void summary(struct trace_ctx *t, struct session *s, const struct sysinfo *si,
		    const struct run_result *r)
{
	struct run_info ri;
	uint64_t traps, seen, total = 0;

	fill_run_info(&ri, s, si, r->end_ns - r->start_ns);
	coverage_ratio(&t->an, &traps, &seen);
	for (int i = 0; i < KVMSR_EV__MAX; i++)
		total += t->an.events[i];
	if (t->cli->json) {
		printf("{\"event\":\"summary\",\"backend\":\"%s\",\"kvm_mode\":\"%s\","
		       "\"on_cpu_mask\":%u,\"on_cpu_mask_learned\":%s,"
		       "\"events\":%llu,\"printed\":%llu,\"lost_records\":%llu,"
		       "\"probe_misses\":%llu,"
		       "\"coverage_trapped\":%llu,\"coverage_seen\":%llu,",
		       ri.backend, ri.kvm_mode, ri.on_cpu_mask, ri.mask_learned ? "true" : "false",
		       (unsigned long long)total,
		       (unsigned long long)t->printed, (unsigned long long)ri.lost,
		       (unsigned long long)ri.probe_misses,
		       (unsigned long long)traps, (unsigned long long)seen);
		report_findings(stdout, &t->an, true);
		printf("}\n");
	} else {
		fprintf(stderr, "kvmsr: %llu events (%llu shown), %llu lost; backend %s; "
			"coverage %llu/%llu trapped accesses seen at an accessor\n",
			(unsigned long long)total, (unsigned long long)t->printed,
			(unsigned long long)ri.lost, ri.backend, (unsigned long long)seen,
			(unsigned long long)traps);
		report_findings(stderr, &t->an, false);
	}
	if (ri.probe_misses)
		fprintf(stderr, "kvmsr: WARNING: the kernel skipped %llu probe runs (BPF recursion "
			"protection): events are missing, imbalances may be kvmsr's own\n",
			(unsigned long long)ri.probe_misses);
	if (ri.notes && ri.notes[0])
		fprintf(stderr, "kvmsr: note: %s\n", ri.notes);
	if (traps && seen < 0.9 * traps)
		fprintf(stderr, "kvmsr: WARNING: accessor coverage is incomplete: %llu of %llu "
			"trapped accesses reached no probed accessor (calls inlined?)\n",
			(unsigned long long)(traps - seen), (unsigned long long)traps);
	fflush(stdout);
}

int cmd_trace(const struct cli *cli)
{
	struct trace_ctx t = { .cli = cli };
	struct session_config cfg;
	struct run_hooks h = { .opened = on_opened, .ctx = &t };
	struct run_result r;
	struct session *s = NULL;
	struct sysinfo si;
	int err;

	sysinfo_read(&si);
	err = prepare_run(cli, &t.rn, &cfg, on_event, &t);
	if (err)
		return err;
	cfg.stacks = true;
	cfg.context = cli->context > 0;
	/* A record per guest exit doubles the guest-side stream: on request. */
	cfg.context_exits = cfg.context && (cli->event_mask & (1u << KVMSR_EV_EXIT));
	analyzer_init(&t.an);
	findings_init(&t.fs, &t.rn, cli->json, stdout, cli->fail_mask);
	setup_detection(&t.an, &t.fs, cli->context);
	/* A pipe or file gets big writes; a terminal sees lines as they come. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (!cli->json)
		format_header(stdout);
	err = run_session(cli, &s, &cfg, &h, &r);
	if (!err) {
		analyzer_finish(&t.an, r.end_ns);
		summary(&t, s, &si, &r);
		err = child_exit_code(&r);
		if (t.fs.failed)
			err = EXIT_FINDINGS;
	}
	session_close(s);
	findings_free(&t.fs);
	analyzer_free(&t.an);
	regnames_free(&t.rn);
	return err;
}
