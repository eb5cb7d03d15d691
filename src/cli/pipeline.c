// SPDX-License-Identifier: GPL-2.0
/* The streaming commands' pipeline (pipeline.h). */
#include <string.h>
#include "analysis/regclass.h"
#include "cli/pipeline.h"
#include "probe/session.h"

void pipeline_init(struct pipeline *p, const struct regnames *rn, unsigned int fail_mask,
		   bool keep, unsigned int context)
{
	struct analyzer_config ac = {
		.reg_class = p->reg_class,
		.on_finding = findings_on_finding,
		.ctx = &p->fs,
		.context = context,
	};

	p->rn = rn;
	memset(p->reg_class, 0, sizeof(p->reg_class));
	for (int i = 0; i < rn->count && i < KVMSR_MAX_REGS; i++)
		p->reg_class[i] = regclass_of(rn->name[i]);
	analyzer_init(&p->an);
	analyzer_configure(&p->an, &ac);
	findings_init(&p->fs, fail_mask, keep);
	sym_init(&p->sy);
	reorder_init(&p->ro, NULL, NULL);
}

void pipeline_deliver(struct pipeline *p, reorder_out_fn deliver, void *ctx)
{
	p->ro.out = deliver;
	p->ro.ctx = ctx;
}

int pipeline_push(void *ctx, const struct kvmsr_event *e)
{
	struct pipeline *p = ctx;

	/*
	 * Its VM named as it arrives, not when the reorder window hands it on:
	 * a VMM that lives less than the window would have no /proc left (so
 * would a vCPU thread: named at its load).
	 */
	vmident_get(p->sy.vm, e->pid);
	if (e->type == KVMSR_EV_LOAD)
		vmident_thread(p->sy.vm, e->pid, e->tid);
	reorder_push(&p->ro, e);
	return 0;
}

void pipeline_drained(void *ctx, uint64_t t_ns)
{
	struct pipeline *p = ctx;

	reorder_drained(&p->ro, t_ns);
}

void pipeline_flush(struct pipeline *p)
{
	reorder_flush(&p->ro);
}

static bool live_stack(void *s, int32_t id, uint64_t *ips)
{
	return session_stack(s, id, ips) == 0;
}

static bool live_trap_name(void *s, uint16_t enc, char *name, size_t len)
{
	return session_trap_name(s, enc, name, len) == 0;
}

void pipeline_live(struct pipeline *p, struct session *s)
{
	sym_use_fetch(&p->sy, live_stack, s);
	/* Trapped registers without a slot: named from the BPF map as they come. */
	regnames_trap_fetch(p->rn, live_trap_name, s);
}

bool pipeline_failed(const struct pipeline *p, const struct analyzer *a)
{
	return findings_fail(&p->fs, a->findings);
}

void pipeline_free(struct pipeline *p)
{
	reorder_free(&p->ro);
	regnames_trap_fetch(p->rn, NULL, NULL);	/* the session goes away */
	sym_free(&p->sy);
	findings_free(&p->fs);
	analyzer_free(&p->an);
}
