// SPDX-License-Identifier: GPL-2.0
/* kvmsr stat: per-vCPU residency and accessor traffic. */
#include <stdio.h>
#include "analyzer.h"
#include "findings.h"
#include "report.h"
#include "runner.h"
#include "sysinfo.h"

struct stat_ctx {
	const struct cli *cli;
	struct regnames rn;
	struct analyzer an;
	struct findings fs;
	struct sysinfo si;
};

static void on_opened(void *ctx, struct session *s)
{
	struct stat_ctx *st = ctx;

	st->fs.stacks_fd = session_stacks_fd(s);
}

static int on_event(void *ctx, const struct kvmsr_event *e)
{
	struct stat_ctx *st = ctx;

	analyzer_feed(&st->an, e);
	return 0;
}

static void print(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns)
{
	struct run_info ri;

	fill_run_info(&ri, s, &st->si, elapsed_ns);
	if (st->cli->json) {
		ri.finding_json = st->fs.kept;
		ri.nr_finding_json = st->fs.nr_kept;
	}
	if (st->cli->json)
		report_stat_json(stdout, &st->an, &st->rn, &ri);
	else
		report_stat_text(stdout, &st->an, &st->rn, &ri);
	fflush(stdout);
}

static void on_tick(void *ctx, struct session *s, uint64_t elapsed_ns)
{
	struct stat_ctx *st = ctx;

	if (!st->cli->json)
		printf("\n--- after %.1f s\n", elapsed_ns / 1e9);
	print(st, s, elapsed_ns);
}

int cmd_stat(const struct cli *cli)
{
	struct stat_ctx st = { .cli = cli };
	struct run_hooks h = { .tick = on_tick, .opened = on_opened, .ctx = &st };
	struct session_config cfg;
	struct run_result r;
	struct session s;
	int err;

	sysinfo_read(&st.si);
	err = prepare_run(cli, &st.rn, &cfg, on_event, &st);
	if (err)
		return err;
	analyzer_init(&st.an);
	/* stat is for always-on use: no stacks. */
	findings_init(&st.fs, &st.rn, cli->json, NULL, cli->fail_mask);
	setup_detection(&st.an, &st.fs);
	err = run_session(cli, &s, &cfg, &h, &r);
	if (!err) {
		analyzer_finish(&st.an, r.end_ns);
		if (!cli->json)
			printf("\n--- total, %.3f s\n", (r.end_ns - r.start_ns) / 1e9);
		print(&st, &s, r.end_ns - r.start_ns);
		if (!cli->json)
			findings_print_kept(&st.fs, stdout);
		session_close(&s);
		err = child_exit_code(&r);
		if (st.fs.failed)
			err = EXIT_FINDINGS;
	}
	findings_free(&st.fs);
	analyzer_free(&st.an);
	regnames_free(&st.rn);
	return err;
}
