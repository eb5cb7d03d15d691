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
	uint64_t start_ns;
};

static int on_event(void *ctx, const struct kvmsr_event *e)
{
	struct stat_ctx *st = ctx;

	analyzer_feed(&st->an, e);
	return 0;
}

static void print(struct stat_ctx *st, struct session *s, uint64_t now)
{
	struct run_info ri;

	fill_run_info(&ri, s, &st->si, now - st->start_ns);
	if (st->cli->json)
		report_stat_json(stdout, &st->an, &st->rn, &ri);
	else
		report_stat_text(stdout, &st->an, &st->rn, &ri);
	fflush(stdout);
}

static void on_tick(void *ctx, struct session *s)
{
	struct stat_ctx *st = ctx;

	if (!st->cli->json)
		printf("\n--- after %.1f s\n", (now_ns() - st->start_ns) / 1e9);
	print(st, s, now_ns());
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
	if (regnames_load(&st.rn, NULL)) {
		fprintf(stderr, "kvmsr: this kernel's BTF has no enum vcpu_sysreg: not an arm64 "
			"KVM kernel, or no BTF (/sys/kernel/btf/vmlinux)\n");
		return EXIT_ERROR;
	}
	if (config_from_cli(cli, &st.rn, &cfg)) {
		regnames_free(&st.rn);
		return EXIT_USAGE;
	}
	cfg.cb = on_event;
	cfg.ctx = &st;
	analyzer_init(&st.an);
	st.start_ns = now_ns();
	err = run_session(cli, &s, &cfg, &h, &r);
	if (!err) {
		st.start_ns = r.start_ns;
		analyzer_finish(&st.an, r.end_ns);
		if (!cli->json)
			printf("\n--- total, %.3f s\n", (r.end_ns - r.start_ns) / 1e9);
		print(&st, &s, r.end_ns);
		session_close(&s);
		err = child_exit_code(&r);
	}
	analyzer_free(&st.an);
	regnames_free(&st.rn);
	return err;
}
