// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr record: stat --exact that also writes every event, with the register
 * names and symbolized stacks of this host, to -o FILE (recording/recorder.h).
 */
#include <stdio.h>
#include <string.h>
#include "recording/recorder.h"
#include "cli/stat_run.h"

struct record_ctx {
	struct stat_ctx st;	/* first: stat_owner() */
	struct recorder rec;
};

/*
 * Before attaching: -o FILE's temporary file (.FILE.XXXXXX beside it), so a
 * FILE that cannot be written is said at once; FILE itself is untouched
 * until the recording is complete.
 */
static int record_setup(struct stat_ctx *st)
{
	struct record_ctx *rc = stat_owner(st, struct record_ctx);

	return recorder_begin(&rc->rec, st->cli->output) ? EXIT_ERROR : EXIT_OK;
}

static void record_opened(struct stat_ctx *st, struct session *s)
{
	struct record_ctx *rc = stat_owner(st, struct record_ctx);
	struct recorder_origin o = {
		.release = st->si.release, .machine = st->si.machine,
		.kvm_mode = kvm_mode_name(st->si.mode),
		.backend = backend_name(session_backend(s)), .notes = session_notes(s),
	};
	int e;

	/* Every stack is named as it first comes: kallsyms before the command runs. */
	sym_preload(&st->p.sy);
	e = recorder_open(&rc->rec, &o, &st->rn, now_ns());
	if (e)
		fprintf(stderr, "kvmsr: cannot write %s: %s\n", st->cli->output, strerror(-e));
}

static void record_event(struct stat_ctx *st, const struct kvmsr_event *e)
{
	recorder_event(&stat_owner(st, struct record_ctx)->rec, &st->p.sy, e);
}

static void record_poll(struct stat_ctx *st, struct session *s)
{
	recorder_tick(&stat_owner(st, struct record_ctx)->rec, session_lost(s));
}

/* stat's report, then the summary facts into the file. */
static int record_finish(struct stat_ctx *st, const struct run_result *r)
{
	struct record_ctx *rc = stat_owner(st, struct record_ctx);

	struct rec_end end;

	stat_report(st, r);
	end = (struct rec_end){
		.end_ns = r->end_ns, .duration_ns = st->ri.duration_ns, .lost = st->ri.lost,
		.probe_misses = st->ri.probe_misses, .on_cpu_mask = st->ri.on_cpu_mask,
		.mask_learned = st->ri.mask_learned, .mask_disagrees = st->ri.mask_disagrees,
		.defers = st->ri.defers, .traps = st->ri.traps,
	};

	snprintf(end.kvm_mode, sizeof(end.kvm_mode), "%s", st->ri.kvm_mode);
	/* recorder_close() says what failed. */
	return recorder_close(&rc->rec, &end) ? EXIT_ERROR : EXIT_OK;
}

/* Attaching failed (or the run did not end normally): no recording. */
static void record_cleanup(struct stat_ctx *st)
{
	recorder_discard(&stat_owner(st, struct record_ctx)->rec);
}

/* stat --exact (main.c sets it) with every event also into the file. */
static const struct stat_ext record_ext = {
	.setup = record_setup, .opened = record_opened, .event = record_event,
	.poll = record_poll, .finish = record_finish, .cleanup = record_cleanup,
};

int cmd_record(const struct cli *cli)
{
	struct record_ctx rc = { .st = { .cli = cli, .ext = &record_ext } };

	return stat_run(&rc.st);
}
