// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr report FILE: a recording through the same analyzer and the same
 * summary as `kvmsr stat --exact` live, with the recording host's register
 * names and symbolized stacks, so it reads the same on any machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "analysis/analyzer.h"
#include "cli/cli.h"
#include "output/finding_fmt.h"
#include "analysis/findings.h"
#include "output/perfetto.h"
#include "recording/file.h"
#include "output/summary.h"
#include "cli/runner.h"

static bool file_stack(void *ctx, int32_t id, struct rec_stack *out)
{
	const struct rec_stack *st = rec_find_stack(ctx, id);

	if (!st)
		return false;
	*out = *st;
	return true;
}

static void file_name(void *ctx, uint64_t ip, char *buf, size_t len)
{
	const char *n = rec_name_of(ctx, ip);

	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "%#llx", (unsigned long long)ip);
}

struct report_ctx {
	struct findings *fs;
	struct perfetto *pf;	/* NULL without --perfetto */
	const struct regnames *rn;
};

/* Findings go to the summary, and with --perfetto onto the timeline too. */
static void on_finding(void *ctx, const struct finding *f)
{
	struct report_ctx *rc = ctx;
	char proof[512];

	findings_on_finding(rc->fs, f);
	if (rc->pf) {
		finding_proof(f, rc->rn, proof, sizeof(proof));
		perfetto_finding(rc->pf, f, proof);
	}
}

/* What the live summary had: from the END record, or the events if cut. */
static void file_run_info(struct run_info *ri, const struct rec_reader *r,
			  const struct analyzer *a, bool loaded_seen)
{
	memset(ri, 0, sizeof(*ri));
	ri->backend = r->info.backend;
	ri->notes = r->info.notes;
	ri->recording_cut = !r->ended;
	ri->recording_records = r->records;
	if (r->ended) {
		ri->kvm_mode = r->end.kvm_mode;
		ri->defers = r->end.defers;
		ri->lost = r->end.lost;
		ri->probe_misses = r->end.probe_misses;
		ri->on_cpu_mask = r->end.on_cpu_mask;
		ri->mask_learned = r->end.mask_learned;
		ri->mask_disagrees = r->end.mask_disagrees;
		ri->traps = r->end.traps;
		ri->duration_ns = r->end.duration_ns;
		return;
	}
	ri->kvm_mode = r->info.kvm_mode;
	ri->defers = loaded_seen || !strcmp(r->info.kvm_mode, "VHE");
	ri->lost = r->lost;
	ri->traps = a->events[KVMSR_EV_TRAP] > 0;
	ri->duration_ns = a->last_ns > r->info.start_ns ? a->last_ns - r->info.start_ns : 0;
}

/* --perfetto OUT.json: open it and start the timeline; EXIT_* code. */
static int open_perfetto(const struct cli *cli, struct report_ctx *rctx, struct perfetto *pf,
			 FILE **pff, const struct regnames *rn)
{
	*pff = NULL;
	if (!cli->perfetto)
		return EXIT_OK;
	*pff = fopen(cli->perfetto, "w");
	if (!*pff) {
		fprintf(stderr, "kvmsr: cannot write %s: %s\n", cli->perfetto, strerror(errno));
		return EXIT_ERROR;
	}
	perfetto_begin(pf, *pff, rn);
	rctx->pf = pf;
	return EXIT_OK;
}

/* Every event of the file that --pid/--vcpu keep; >0 never, 0 at the end, <0 damage. */
static int feed_events(const struct cli *cli, struct rec_reader *r, struct analyzer *an,
		       struct perfetto *pf, bool *loaded_seen, char *err, size_t len)
{
	struct kvmsr_event e;
	int k;

	while ((k = rec_next_event(r, &e, err, len)) > 0) {
		if ((cli->pid && e.pid != cli->pid) || (cli->vcpu >= 0 && e.vcpu_id >= 0 &&
							 e.vcpu_id != cli->vcpu))
			continue;
		*loaded_seen |= e.type == KVMSR_EV_LOAD && (e.flags & KVMSR_F_LOADED);
		analyzer_feed(an, &e);
		if (pf)
			perfetto_event(pf, &e);
	}
	return k;
}

/* The summary, as stat --exact printed it live. */
static void print_report(const struct cli *cli, const struct rec_reader *r, struct analyzer *an,
			 struct findings *fs, struct run_info *ri)
{
	if (cli->json) {
		ri->finding_json = fs->kept;
		ri->nr_finding_json = fs->nr_kept;
		report_stat_json(stdout, an, &r->rn, ri);
	} else {
		printf("recording: %s, kernel %s (%s), %llu records%s\n", cli->input,
		       r->info.release, r->info.machine, (unsigned long long)r->records,
		       r->ended ? "" : ", CUT");
		report_stat_text(stdout, an, &r->rn, ri);
		findings_print_kept(fs, stdout);
	}
	fflush(stdout);
}

/* A damaged or cut file, said after its summary (@k from feed_events()). */
static int say_damage(const struct cli *cli, const struct rec_reader *r, int k, const char *err,
		      int rc)
{
	if (k < 0) {
		/* Everything before the damage is reported above. */
		fprintf(stderr, "kvmsr: %s: %s\n", cli->input, err);
		return EXIT_ERROR;
	}
	if (!r->ended && rc == EXIT_OK)
		fprintf(stderr, "kvmsr: %s: the recording was cut after %llu records (kvmsr "
			"killed?); everything before is reported\n", cli->input,
			(unsigned long long)r->records);
	return rc;
}

int cmd_report(const struct cli *cli)
{
	struct analyzer an;
	struct findings fs;
	struct rec_reader r;
	struct run_info ri;
	struct analyzer_config ac;
	struct perfetto pf;
	struct report_ctx rctx = { .fs = &fs };
	FILE *pff = NULL;
	bool loaded_seen = false;
	char err[512] = "";
	int k, rc = EXIT_OK;

	if (rec_open(&r, cli->input, err, sizeof(err))) {
		fprintf(stderr, "kvmsr: %s\n", err);
		return EXIT_ERROR;
	}
	if (open_perfetto(cli, &rctx, &pf, &pff, &r.rn)) {
		rec_close_reader(&r);
		return EXIT_ERROR;
	}
	rctx.rn = &r.rn;
	analyzer_init(&an);
	findings_init(&fs, &r.rn, cli->json, NULL, cli->fail_mask);
	fs.source = (struct stack_source){ file_stack, file_name, &r };
	setup_detection(&an, &fs, cli->context);
	ac = an.cfg;
	ac.on_finding = on_finding;
	ac.ctx = &rctx;
	analyzer_configure(&an, &ac);
	k = feed_events(cli, &r, &an, rctx.pf, &loaded_seen, err, sizeof(err));
	analyzer_finish(&an, r.ended ? r.end.end_ns : an.last_ns);
	if (pff && (perfetto_end(&pf, r.ended ? r.end.end_ns : an.last_ns) | fclose(pff))) {
		fprintf(stderr, "kvmsr: writing %s failed\n", cli->perfetto);
		rc = EXIT_ERROR;
	}
	file_run_info(&ri, &r, &an, loaded_seen);
	print_report(cli, &r, &an, &fs, &ri);
	rc = say_damage(cli, &r, k, err, rc);
	if (rc == EXIT_OK && fs.failed)
		rc = EXIT_FINDINGS;
	findings_free(&fs);
	analyzer_free(&an);
	rec_close_reader(&r);
	return rc;
}
