// SPDX-License-Identifier: GPL-2.0
/* kvmsr trace: the live event stream, findings among the events as they come. */
#include <stdio.h>
#include <unistd.h>
#include "cli/pipeline.h"
#include "cli/runner.h"
#include "output/event_fmt.h"
#include "output/finding_fmt.h"
#include "output/hidden_fmt.h"
#include "output/summary.h"
#include "output/text.h"
#include "probe/sysinfo.h"

struct trace_ctx {
	const struct cli *cli;
	struct regnames rn;
	struct pipeline p;
	struct stream_filter sf;	/* what is printed; counts of the rest */
	struct jw w;		/* stdout, with --json */
	uint64_t t0;
	uint64_t printed;
	struct keymap vm_said;	/* text: VM pid -> the vm_ident.gen its line said */
};

static void on_opened(void *ctx, struct session *s)
{
	struct trace_ctx *t = ctx;

	pipeline_live(&t->p, s);
}

/*
 * The name of @e's VM, resolved when first seen (again after its VM_EXIT);
 * in text, a line says it once per VM, before its first event shown.
 */
static const char *vm_of(struct trace_ctx *t, const struct kvmsr_event *e,
			 const struct vm_ident *id)
{
	char name[VMID_NAME_LEN], uuid[VMID_UUID_LEN];
	uint32_t gen;

	if (!id || t->cli->json || (keymap_get(&t->vm_said, e->pid, &gen) && gen == id->gen))
		return id ? id->name : NULL;
	keymap_put(&t->vm_said, e->pid, id->gen);
	printf("vm %u: %s (%s%s%s)\n", e->pid, text_clean(id->name, name, sizeof(name)),
	       vmident_source_name(id->source), id->uuid[0] ? ", uuid " : "",
	       text_clean(id->uuid, uuid, sizeof(uuid)));
	return id->name;
}

/* In time order (the pipeline's reorder stage): analyze, then print if shown. */
static void on_event(void *ctx, const struct kvmsr_event *e)
{
	struct trace_ctx *t = ctx;
	const struct vm_ident *id;
	const char *vm;

	analyzer_feed(&t->p.an, e);
	/*
	 * Its VM named when first seen, shown or not, and again if seen after
	 * its exit; a VM_EXIT keeps the name it had (the VMM's cmdline is gone).
	 */
	id = e->type == KVMSR_EV_VM_EXIT ? vmident_get(t->p.sy.vm, e->pid) :
					   vmident_seen(t->p.sy.vm, e->pid);
	if (e->type == KVMSR_EV_VM_EXIT)
		vmident_exited(t->p.sy.vm, e->pid);
	if (!stream_filter_show(&t->sf, e))
		return;
	if (!t->t0)
		t->t0 = e->ts_ns;
	vm = vm_of(t, e, id);
	if (t->cli->json) {
		event_json_vm(&t->w, e, &t->rn, vm);
		jw_end_line(&t->w);
	} else {
		event_text(stdout, e, &t->rn, t->t0);
	}
	t->printed++;
}

/* Each finding as it comes, between the events, seen at once. */
static void on_finding(void *ctx, const struct finding *f)
{
	struct trace_ctx *t = ctx;

	if (t->cli->json) {
		finding_json(&t->w, f, &t->rn, &t->p.sy);
		jw_end_line(&t->w);
		jw_flush(&t->w);
	} else {
		finding_text(stdout, f, &t->rn, &t->p.sy);
	}
	fflush(stdout);
}

/* What the BPF side counted instead of streaming: hidden, and counted. */
static void on_tally(void *ctx, const struct kvmsr_tally_key *k, uint64_t n)
{
	struct trace_ctx *t = ctx;
	struct kvmsr_event e = { .type = k->type, .flags = k->flags, .reg = k->reg,
				 .pid = k->pid, .vcpu_id = k->vcpu_id, .stack_id = -1 };

	analyzer_tally(&t->p.an, &e, n);
	stream_filter_count(&t->sf, &e, n);
}

static void summary(struct trace_ctx *t, struct session *s, const struct sysinfo *si,
		    const struct run_result *r)
{
	uint64_t overflow = session_tallies(s, on_tally, t);
	struct run_info ri;
	uint64_t traps, seen;

	fill_run_info(&ri, s, si, r->end_ns - r->start_ns);
	coverage_ratio(&t->p.an, &traps, &seen);
	stream_filter_sort(&t->sf);
	if (t->cli->json) {
		summary_trace_json(&t->w, &t->p.an, &t->rn, &ri, t->printed, &t->sf);
		jw_flush(&t->w);
	} else {
		summary_trace_text(stderr, &t->p.an, &t->rn, &ri, t->printed);
		hidden_text(stderr, &t->sf, &t->rn);
	}
	if (overflow)
		fprintf(stderr, "kvmsr: WARNING: %llu events were neither shown nor counted (too "
			"many kinds for the BPF side's counts): the counts above are low\n",
			(unsigned long long)overflow);
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
	struct run_hooks h = { .opened = on_opened, .drained = pipeline_drained, .ctx = &t,
			       .stream = &t.p };
	struct run_result r;
	struct session *s = NULL;
	struct sysinfo si;
	int err;

	sysinfo_read(&si);
	err = prepare_run(cli, &t.rn, &cfg, pipeline_push, &t.p);
	if (err)
		return err;
	cfg.stacks = true;
	cfg.context = cli->context > 0;
	/* A record per guest exit doubles the guest-side stream: on request. */
	cfg.context_exits = cfg.context && (cli->event_mask & (1u << KVMSR_EV_EXIT));
	pipeline_init(&t.p, &t.rn, cli->fail_mask, false, cli->context);
	pipeline_deliver(&t.p, on_event, &t);
	/* Without --events, --reg or --all: what kvmsr is about (stream_filter.h). */
	stream_filter_init(&t.sf, cli->event_mask, !cli->events_given && !cli->regs && !cli->all,
			   t.p.reg_class);
	/* ... and what no rule can use is counted in BPF, never streamed. */
	cfg.tally = t.sf.deferred_only;
	findings_stream(&t.p.fs, on_finding, &t);
	jw_init(&t.w, stdout);
	/* A pipe or file gets big writes; a terminal sees lines as they come. */
	if (!isatty(STDOUT_FILENO)) {
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
		jw_batch_lines(&t.w, true);
	}
	if (!cli->json)
		event_text_header(stdout);
	err = run_session(cli, &s, &cfg, &h, &r);
	pipeline_flush(&t.p);
	if (!err) {
		analyzer_finish(&t.p.an, r.end_ns);
		summary(&t, s, &si, &r);
		err = child_exit_code(&r);
		if (pipeline_failed(&t.p, &t.p.an))
			err = EXIT_FINDINGS;
	}
	jw_flush(&t.w);
	fflush(stdout);
	session_close(s);
	stream_filter_free(&t.sf);
	keymap_free(&t.vm_said);
	pipeline_free(&t.p);
	regnames_free(&t.rn);
	return err;
}
