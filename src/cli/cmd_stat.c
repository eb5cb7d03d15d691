// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr stat: per-vCPU residency and accessor traffic.
 *
 * By default it counts in the kernel (BPF maps): loads, puts and loaded time
 * exactly, accessor calls in sampling windows, because probing every
 * accessor call costs more than a host can leave on.  Only WARN/BUG hits and
 * VM teardown are streamed.  --exact streams everything through the analyzer
 * instead, like trace.  serve and record are built on it (stat_run.h).
 */
#include <stdio.h>
#include <string.h>
#include "cli/stat_run.h"
#include "output/finding_fmt.h"
#include "output/summary.h"
#include "probe/agg.h"

/*
 * Accessor probes are attached for sample_pct % of every period, from its
 * start.  Each attach and detach rewrites the trampoline and the traced
 * call sites, and costs the host more than the window's probes: with 2 s
 * periods, stat cost 1.019x on make bench's real VM against 1.005x without
 * windows.  10 s keeps a window (1 s at the default 10 %) in the first
 * second of every run, and five times fewer rewrites.
 */
#define WINDOW_PERIOD_NS 10000000000ull

/* In time order (the pipeline's reorder stage): record it, analyze it. */
static void on_event(void *ctx, const struct kvmsr_event *e)
{
	struct stat_ctx *st = ctx;

	/*
	 * A VM's name once per pid, and again if the pid is seen after its VM
	 * exited; at its exit, the last chance for a VM never named (a VMM
	 * exiting has no cmdline left: named by its cgroup or comm then).
	 */
	if (e->type != KVMSR_EV_VM_EXIT)
		vmident_seen(st->p.sy.vm, e->pid);
	else
		vmident_get(st->p.sy.vm, e->pid);
	if (st->ext && st->ext->event)
		st->ext->event(st, e);
	analyzer_feed(&st->p.an, e);
	if (e->type == KVMSR_EV_VM_EXIT)
		vmident_exited(st->p.sy.vm, e->pid);
}

static void on_opened(void *ctx, struct session *s)
{
	struct stat_ctx *st = ctx;

	pipeline_live(&st->p, s);
	st->s = s;
	if (st->ext && st->ext->opened)
		st->ext->opened(st, s);
	if (st->cli->exact)
		return;
	/* Counting mode: the accessor probes start detached unless always on. */
	st->window_on = st->cli->sample_pct > 0;
	if (st->cli->sample_pct < 100 && !st->window_on)
		session_set_accessors(s, false);
}

/* A VM's name while its process is there: it cannot be read once it exited. */
static void name_vm(void *ctx, uint32_t pid)
{
	struct stat_ctx *st = ctx;

	vmident_seen(st->p.sy.vm, pid);
}

/*
 * Counting mode streams no vCPU events: look for new vCPUs in the map, so
 * that a VM is named by its process while it runs (a stat -- CMD prints
 * after the VMM exited; a VM_EXIT is read once the process may be gone).
 * A walk costs a syscall per vCPU: every poll (50 ms) on a host of a few
 * dozen vCPUs, every NAME_NS_PER_VCPU per vCPU seen beyond, so at most
 * ~1000 syscalls a second whatever the host.
 */
#define NAME_NS_PER_VCPU 1000000ull

static void name_new_vms(struct stat_ctx *st, struct session *s, uint64_t elapsed)
{
	if (st->named_ns && elapsed - st->named_ns < st->named.n * NAME_NS_PER_VCPU)
		return;
	st->named_ns = elapsed ? elapsed : 1;
	agg_new_vcpus(s, &st->named, name_vm, st);
}

/* Open and close the accessor sampling window; drop calibration once learned. */
static void on_poll(void *ctx, struct session *s, uint64_t elapsed)
{
	struct stat_ctx *st = ctx;
	uint64_t in_period = elapsed % WINDOW_PERIOD_NS;
	bool want = in_period < WINDOW_PERIOD_NS / 100 * st->cli->sample_pct;

	st->elapsed_ns = elapsed;
	if (st->ext && st->ext->poll)
		st->ext->poll(st, s);
	if (st->cli->exact)
		return;
	name_new_vms(st, s, elapsed);
	if (st->window_on && elapsed > st->last_poll)
		st->sampled_ns += elapsed - st->last_poll;
	st->last_poll = elapsed;
	if (st->cli->sample_pct > 0 && st->cli->sample_pct < 100 && want != st->window_on) {
		if (!session_set_accessors(s, want))
			st->window_on = want;
	}
	if (!st->calib_dropped)
		st->calib_dropped = session_calibrate(s);
}

/*
 * What a report showed, for --fail-on: the most of each kind, since serve
 * forgets the vCPUs of VMs that are gone.
 */
static struct analyzer *note_reported(struct stat_ctx *st, struct analyzer *a)
{
	for (int k = 0; k < FIND__MAX; k++)
		if (a->findings[k] > st->reported[k])
			st->reported[k] = a->findings[k];
	return a;
}

struct analyzer *stat_current(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns,
			      struct analyzer *snap, struct run_info *ri)
{
	fill_run_info(ri, s, &st->si, elapsed_ns);
	ri->vms = st->p.sy.vm;
	if (st->cli->exact)
		return note_reported(st, &st->p.an);
	analyzer_init(snap);
	agg_snapshot(s, snap, now_ns(), st->cli->vcpu);
	/* Imbalances are counted in the kernel here, not streamed. */
	memcpy(snap->findings, st->p.an.findings, sizeof(snap->findings));
	for (size_t i = 0; i < snap->nr_vcpus; i++) {
		snap->findings[FIND_DOUBLE_LOAD] += snap->vcpus[i].double_loads;
		snap->findings[FIND_ORPHAN_PUT] += snap->vcpus[i].orphan_puts;
	}
	snprintf(st->sampling, sizeof(st->sampling), "sampled: accessor probes attached "
		 "%.0f%% of the time (%.2f s of %.2f s; --sample 100 or --exact for all)",
		 elapsed_ns ? 100.0 * st->sampled_ns / elapsed_ns : 0.0,
		 st->sampled_ns / 1e9, elapsed_ns / 1e9);
	ri->sampling = st->cli->sample_pct == 100 ? "all calls counted in the kernel" :
		       st->sampling;
	return note_reported(st, snap);
}

static void print(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns,
		  struct run_info *out)
{
	struct analyzer snap, *a;
	struct run_info ri;

	a = stat_current(st, s, elapsed_ns, &snap, &ri);
	if (st->cli->json) {
		struct jw w;

		jw_init(&w, stdout);
		summary_json(&w, a, &st->rn, &ri, &st->p.fs, &st->p.sy);
	} else {
		summary_text(stdout, a, &st->rn, &ri);
	}
	if (a == &snap)
		analyzer_free(&snap);
	fflush(stdout);
	if (out)
		*out = ri;
}

static void on_tick(void *ctx, struct session *s, uint64_t elapsed_ns)
{
	struct stat_ctx *st = ctx;

	if (st->ext && st->ext->tick) {
		st->ext->tick(st, s, elapsed_ns);
		return;
	}
	if (!st->cli->json)
		printf("\n--- after %.1f s\n", elapsed_ns / 1e9);
	print(st, s, elapsed_ns, NULL);
}

int stat_report(struct stat_ctx *st, const struct run_result *r)
{
	if (!st->cli->json)
		printf("\n--- total, %.3f s\n", (r->end_ns - r->start_ns) / 1e9);
	print(st, st->s, r->end_ns - r->start_ns, &st->ri);
	if (!st->cli->json)
		findings_text(stdout, &st->p.fs, &st->rn, &st->p.sy);
	return EXIT_OK;
}

/* The session's config and the command's own set-up; an EXIT_* code. */
static int stat_setup(struct stat_ctx *st, struct session_config *cfg)
{
	const struct cli *cli = st->cli;
	int err;

	sysinfo_read(&st->si);
	/* Its outputs first (-o FILE, --listen, --textfile): said before anything loads. */
	err = st->ext && st->ext->setup ? st->ext->setup(st) : EXIT_OK;
	if (err)
		return err;
	err = prepare_run(cli, &st->rn, cfg, pipeline_push, &st->p);
	if (err) {
		if (st->ext && st->ext->cleanup)
			st->ext->cleanup(st);
		return err;
	}
	cfg->aggregate = !cli->exact;
	/* stat is for always-on use: no stacks; a recording and --context keep them. */
	cfg->stacks = cli->output != NULL || cli->context > 0;
	cfg->context = cli->exact && cli->context > 0;
	pipeline_init(&st->p, &st->rn, cli->fail_mask, true, cli->context);
	pipeline_deliver(&st->p, on_event, st);
	return EXIT_OK;
}

/* After a run: the last poll, the report, the exit code. */
static int stat_finish(struct stat_ctx *st, const struct run_result *r)
{
	int err;

	pipeline_flush(&st->p);
	on_poll(st, st->s, r->end_ns - r->start_ns);
	analyzer_finish(&st->p.an, r->end_ns);
	err = st->ext && st->ext->finish ? st->ext->finish(st, r) : stat_report(st, r);
	if (!err)
		err = child_exit_code(r);
	note_reported(st, &st->p.an);
	if (findings_fail(&st->p.fs, st->reported))
		err = EXIT_FINDINGS;
	return err;
}

int stat_run(struct stat_ctx *st)
{
	struct run_hooks h = { .tick = on_tick, .opened = on_opened, .poll = on_poll,
			       .drained = pipeline_drained, .ctx = st, .stream = &st->p };
	struct session_config cfg;
	struct session *s = NULL;
	struct run_result r;
	int err;

	err = stat_setup(st, &cfg);
	if (err)
		return err;
	err = run_session(st->cli, &s, &cfg, &h, &r);
	if (!err)
		err = stat_finish(st, &r);
	session_close(s);
	keymap_free(&st->named);
	if (st->ext && st->ext->cleanup)
		st->ext->cleanup(st);
	pipeline_free(&st->p);
	regnames_free(&st->rn);
	return err;
}

int cmd_stat(const struct cli *cli)
{
	struct stat_ctx st = { .cli = cli };

	return stat_run(&st);
}
