// SPDX-License-Identifier: GPL-2.0
/* The analyzer: per-vCPU state machine over the event stream (analyzer.h). */
#include <stdlib.h>
#include <string.h>
#include "analyzer.h"

void analyzer_init(struct analyzer *a)
{
	memset(a, 0, sizeof(*a));
}

void analyzer_free(struct analyzer *a)
{
	for (size_t i = 0; i < a->nr_vcpus; i++)
		free(a->vcpus[i].regs);
	free(a->vcpus);
	memset(a, 0, sizeof(*a));
}

struct vcpu_stats *analyzer_find(struct analyzer *a, uint32_t pid, int32_t vcpu_id)
{
	/* A host runs a handful of vCPUs: a linear scan beats hashing here. */
	for (size_t i = 0; i < a->nr_vcpus; i++)
		if (a->vcpus[i].pid == pid && a->vcpus[i].vcpu_id == vcpu_id)
			return &a->vcpus[i];
	return NULL;
}

static struct vcpu_stats *get_vcpu(struct analyzer *a, uint32_t pid, int32_t vcpu_id)
{
	struct vcpu_stats *v = analyzer_find(a, pid, vcpu_id);

	if (v)
		return v;
	if (a->nr_vcpus == a->cap_vcpus) {
		size_t cap = a->cap_vcpus ? a->cap_vcpus * 2 : 16;
		struct vcpu_stats *n = realloc(a->vcpus, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->vcpus = n;
		a->cap_vcpus = cap;
	}
	v = &a->vcpus[a->nr_vcpus++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	v->vcpu_id = vcpu_id;
	v->pending_trap = -1;
	return v;
}

static struct reg_stats *reg_of(struct vcpu_stats *v, unsigned int reg)
{
	if (reg >= KVMSR_MAX_REGS)
		return NULL;
	if (!v->regs)
		v->regs = calloc(KVMSR_MAX_REGS, sizeof(*v->regs));
	return v->regs ? &v->regs[reg] : NULL;
}

static void close_interval(struct vcpu_stats *v, uint64_t ts)
{
	uint64_t d = ts > v->since_ns ? ts - v->since_ns : 0;

	v->resident_ns += d;
	if (v->in_loaded)
		v->loaded_ns += d;
	v->in = false;
	v->in_loaded = false;
}

static void on_access(struct vcpu_stats *v, const struct kvmsr_event *e)
{
	int loaded = !!(e->flags & KVMSR_F_LOADED);
	struct reg_stats *r = reg_of(v, e->reg);
	int is_write = e->type == KVMSR_EV_WRITE;

	if (is_write)
		v->writes[loaded]++;
	else
		v->reads[loaded]++;
	if (r) {
		if (is_write)
			r->writes[loaded]++;
		else
			r->reads[loaded]++;
	}
	if (v->pending_trap == e->reg) {
		v->traps_seen++;
		if (r)
			r->traps_seen++;
		v->pending_trap = -1;
	}
}

static void on_trap(struct vcpu_stats *v, const struct kvmsr_event *e)
{
	struct reg_stats *r;

	v->pending_trap = -1;
	/* Only registers with a sys_regs[] slot can go through the accessor. */
	if (!(e->flags & KVMSR_F_MEMREG))
		return;
	r = reg_of(v, e->reg);
	v->traps++;
	if (r)
		r->traps++;
	v->pending_trap = e->reg;
}

struct vcpu_stats *analyzer_feed(struct analyzer *a, const struct kvmsr_event *e)
{
	struct vcpu_stats *v;

	if (e->type == 0 || e->type >= KVMSR_EV__MAX) {
		a->bad_records++;
		return NULL;
	}
	a->events[e->type]++;
	if (!a->first_ns || e->ts_ns < a->first_ns)
		a->first_ns = e->ts_ns;
	if (e->ts_ns > a->last_ns)
		a->last_ns = e->ts_ns;
	if (e->vcpu_id < 0)
		return NULL;	/* a guest event with no loaded vCPU known */
	v = get_vcpu(a, e->pid, e->vcpu_id);
	if (!v)
		return NULL;
	if (!v->first_ns)
		v->first_ns = e->ts_ns;
	if (e->ts_ns > v->last_ns)
		v->last_ns = e->ts_ns;

	switch (e->type) {
	case KVMSR_EV_LOAD:
		v->loads++;
		v->pending_trap = -1;
		if (v->in) {
			v->double_loads++;
			close_interval(v, e->ts_ns);
		}
		v->in = true;
		v->in_loaded = e->flags & KVMSR_F_LOADED;
		v->since_ns = e->ts_ns;
		break;
	case KVMSR_EV_PUT:
		v->puts++;
		v->pending_trap = -1;
		if (v->in)
			close_interval(v, e->ts_ns);
		else
			v->orphan_puts++;
		break;
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
		on_access(v, e);
		break;
	case KVMSR_EV_TRAP:
		on_trap(v, e);
		break;
	case KVMSR_EV_ENTRY:
		v->entries++;
		v->pending_trap = -1;
		break;
	}
	return v;
}

void analyzer_finish(struct analyzer *a, uint64_t end_ns)
{
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		struct vcpu_stats *v = &a->vcpus[i];

		if (v->in) {
			if (end_ns > v->last_ns)
				v->last_ns = end_ns;
			close_interval(v, v->last_ns);
		}
		v->pending_trap = -1;
	}
}

double vcpu_loaded_share(const struct vcpu_stats *v)
{
	uint64_t wall = v->last_ns > v->first_ns ? v->last_ns - v->first_ns : 0;

	return wall ? (double)v->loaded_ns / (double)wall : 0.0;
}

void analyzer_totals(const struct analyzer *a, struct vcpu_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->vcpu_id = -1;
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];

		sum->loads += v->loads;
		sum->puts += v->puts;
		sum->loaded_ns += v->loaded_ns;
		sum->resident_ns += v->resident_ns;
		for (int l = 0; l < 2; l++) {
			sum->reads[l] += v->reads[l];
			sum->writes[l] += v->writes[l];
		}
		sum->traps += v->traps;
		sum->traps_seen += v->traps_seen;
		sum->entries += v->entries;
		sum->double_loads += v->double_loads;
		sum->orphan_puts += v->orphan_puts;
	}
}
