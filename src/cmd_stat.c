// SPDX-License-Identifier: GPL-2.0
/* kvmsr stat: per-vCPU residency and accessor traffic. */
#include <stdio.h>
#include "analyzer.h"
#include "report.h"
#include "runner.h"
#include "sysinfo.h"

struct stat_ctx {
	const struct cli *cli;
	struct regnames rn;
	struct analyzer an;
	struct sysinfo si;
};

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
	struct run_hooks h = { .tick = on_tick, .ctx = &st };
	struct session_config cfg;
	struct run_result r;
	struct session s;
	int err;

	sysinfo_read(&st.si);
	err = prepare_run(cli, &st.rn, &cfg, on_event, &st);
	if (err)
		return err;
	analyzer_init(&st.an);
	err = run_session(cli, &s, &cfg, &h, &r);
	if (!err) {
		analyzer_finish(&st.an, r.end_ns);
		if (!cli->json)
			printf("\n--- total, %.3f s\n", (r.end_ns - r.start_ns) / 1e9);
		print(&st, &s, r.end_ns - r.start_ns);
		session_close(&s);
		err = child_exit_code(&r);
	}
	analyzer_free(&st.an);
	regnames_free(&st.rn);
	return err;
}
