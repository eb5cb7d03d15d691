// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr report FILE: a recording through the same analyzer and the same
 * summary as `kvmsr stat --exact` live, with the recording host's register
 * names and symbolized stacks, so it reads the same on any machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "cli/cli.h"
#include "cli/pipeline.h"
#include "output/finding_fmt.h"
#include "output/perfetto.h"
#include "output/summary.h"
#include "output/text.h"
#include "recording/file.h"
#include "recording/outfile.h"

static bool file_stack(void *ctx, int32_t id, struct sym_stack *out)
{
	const struct sym_stack *st = rec_find_stack(ctx, id);

	if (!st)
		return false;
	*out = *st;
	return true;
}

static bool file_name(void *ctx, uint64_t ip, char *buf, size_t len)
{
	const char *n = rec_name_of(ctx, ip);

	if (n)
		snprintf(buf, len, "%s", n);
	return n;
}

/* With --perfetto, findings go onto the timeline as they come, too. */
static void on_finding(void *ctx, const struct finding *f)
{
	perfetto_finding(ctx, f);
}

/* What the live summary had: from the END record, or the events if cut. */
static void file_run_info(struct run_info *ri, struct rec_reader *r,
			  const struct analyzer *a, bool loaded_seen)
{
	memset(ri, 0, sizeof(*ri));
	ri->backend = r->info.backend;
	ri->notes = r->info.notes;
	ri->recording_cut = !r->ended;
	ri->recording_records = r->records;
	ri->recording_stacks_dropped = r->stacks_dropped;
	ri->recording_max_stacks = REC_MAX_STACKS;
	ri->vms = &r->vms;	/* the recording's names (the symbolizer's), never this host's */
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

/*
 * --perfetto OUT.json: its temporary file (outfile.h; never the recording
 * being read) and the start of the timeline; EXIT_* code.
 */
static int open_perfetto(const struct cli *cli, struct rec_reader *r, struct pipeline *p,
			 struct perfetto *pf, struct outfile *out)
{
	char err[1024];
	FILE *f;

	if (!cli->perfetto)
		return EXIT_OK;
	if (outfile_open(out, cli->perfetto, fileno(r->f), err, sizeof(err))) {
		fprintf(stderr, "kvmsr: %s\n", err);
		return EXIT_ERROR;
	}
	f = outfile_stream(out);
	if (!f) {
		fprintf(stderr, "kvmsr: cannot write %s: %s\n", cli->perfetto, strerror(ENOMEM));
		outfile_discard(out);
		return EXIT_ERROR;
	}
	perfetto_begin(pf, f, &r->rn);
	pf->names = &r->vms;
	findings_stream(&p->fs, on_finding, pf);
	return EXIT_OK;
}

/* The end of the timeline; the file replaces OUT.json only if all of it was written. */
static int close_perfetto(const struct cli *cli, struct perfetto *pf, struct outfile *out,
			  uint64_t end_ns)
{
	char err[1024];
	int e;

	if (!cli->perfetto)
		return EXIT_OK;
	errno = 0;
	e = perfetto_end(pf, end_ns) ? (errno ? -errno : -EIO) : 0;
	if (outfile_commit(out, e, err, sizeof(err))) {
		fprintf(stderr, "kvmsr: %s\n", err);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* Is @pid the VM --vm names, by the names the recording holds? */
static bool vm_matches(const struct cli *cli, struct rec_reader *r, uint32_t pid)
{
	const struct vm_ident *id;

	if (!cli->vm)
		return true;
	id = vmident_get(&r->vms, pid);
	return id && (!strcmp(id->name, cli->vm) || (id->uuid[0] && !strcasecmp(id->uuid, cli->vm)));
}

/* Does the recording name a VM as --vm does? */
static bool vm_named(const struct cli *cli, struct rec_reader *r)
{
	for (size_t i = 0; i < r->vms.nr_vm; i++)
		if (vm_matches(cli, r, r->vms.vm[i].pid))
			return true;
	return false;
}

/* Where the file's events go, in time order. */
struct report_feed {
	struct analyzer *an;
	struct perfetto *pf;		/* NULL without --perfetto */
	bool loaded_seen;
	uint64_t last_ns, backward;	/* the file's own order (older kvmsr: ring order) */
};

static void deliver(void *ctx, const struct kvmsr_event *e)
{
	struct report_feed *f = ctx;

	f->loaded_seen |= e->type == KVMSR_EV_LOAD && (e->flags & KVMSR_F_LOADED);
	analyzer_feed(f->an, e);
	if (f->pf)
		perfetto_event(f->pf, e);
}

/*
 * Every event of the file that --pid/--vm/--vcpu keep, through the reorder stage
 * (a file of an older kvmsr is in ring-buffer order); >0 never, 0 at the
 * end, <0 damage.
 */
static int feed_events(const struct cli *cli, struct rec_reader *r, struct pipeline *p,
		       struct report_feed *f, char *err, size_t len)
{
	struct kvmsr_event e;
	int k;

	while ((k = rec_next_event(r, &e, err, len)) > 0) {
		if ((cli->pid && e.pid != cli->pid) || (cli->vcpu >= 0 && e.vcpu_id >= 0 &&
							 e.vcpu_id != cli->vcpu) ||
		    !vm_matches(cli, r, e.pid))
			continue;
		f->backward += e.ts_ns < f->last_ns;
		f->last_ns = e.ts_ns;
		pipeline_push(p, &e);
	}
	pipeline_flush(p);
	return k;
}

/* The summary, as stat --exact printed it live. */
static void print_report(const struct cli *cli, const struct rec_reader *r, struct pipeline *p,
			 struct run_info *ri)
{
	char rel[sizeof(r->info.release)], mach[sizeof(r->info.machine)];
	struct jw w;

	if (cli->json) {
		jw_init(&w, stdout);
		summary_json(&w, &p->an, &r->rn, ri, &p->fs, &p->sy);
	} else {
		printf("recording: %s, kernel %s (%s), %llu records%s\n", cli->input,
		       text_clean(r->info.release, rel, sizeof(rel)),
		       text_clean(r->info.machine, mach, sizeof(mach)),
		       (unsigned long long)r->records, r->ended ? "" : ", CUT");
		summary_text(stdout, &p->an, &r->rn, ri);
		findings_text(stdout, &p->fs, &r->rn, &p->sy);
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
	struct pipeline p;
	struct rec_reader r;
	struct run_info ri;
	struct perfetto pf;
	struct sym_source src = { file_stack, file_name, &r };
	struct outfile pfo;
	struct report_feed feed;
	char err[512] = "";
	int k, rc = EXIT_OK;

	if (rec_open(&r, cli->input, err, sizeof(err))) {
		fprintf(stderr, "kvmsr: %s\n", err);
		return EXIT_ERROR;
	}
	pipeline_init(&p, &r.rn, cli->fail_mask, true, cli->context);
	sym_use_source(&p.sy, &src);
	sym_use_vms(&p.sy, &r.vms);
	if (open_perfetto(cli, &r, &p, &pf, &pfo)) {
		pipeline_free(&p);
		rec_close_reader(&r);
		return EXIT_ERROR;
	}
	feed = (struct report_feed){ &p.an, cli->perfetto ? &pf : NULL, false, 0, 0 };
	pipeline_deliver(&p, deliver, &feed);
	k = feed_events(cli, &r, &p, &feed, err, sizeof(err));
	analyzer_finish(&p.an, r.ended ? r.end.end_ns : p.an.last_ns);
	rc = close_perfetto(cli, &pf, &pfo, r.ended ? r.end.end_ns : p.an.last_ns);
	file_run_info(&ri, &r, &p.an, feed.loaded_seen);
	ri.recording_backward = feed.backward;
	print_report(cli, &r, &p, &ri);
	rc = say_damage(cli, &r, k, err, rc);
	if (rc == EXIT_OK && cli->vm && !vm_named(cli, &r)) {
		fprintf(stderr, "kvmsr: %s: no VM of the recording is named '%s' (a recording "
			"made before kvmsr recorded names has none)\n", cli->input, cli->vm);
		rc = EXIT_ERROR;
	}
	if (rc == EXIT_OK && pipeline_failed(&p, &p.an))
		rc = EXIT_FINDINGS;
	pipeline_free(&p);
	rec_close_reader(&r);
	return rc;
}
