// SPDX-License-Identifier: GPL-2.0
/* Chrome trace-event JSON for Perfetto (perfetto.h). */
#include <stdlib.h>
#include <string.h>
#include "output/event_fmt.h"
#include "output/event_types.h"
#include "output/finding_fmt.h"
#include "output/perfetto.h"

/* Trace-event time is in microseconds; three decimals keep nanoseconds. */
static void us(struct perfetto *p, const char *key, uint64_t ns, uint64_t from)
{
	uint64_t d = ns > from ? ns - from : 0;

	jw_key(&p->w, key);
	jw_numf(&p->w, "%llu.%03llu", (unsigned long long)(d / 1000),
		(unsigned long long)(d % 1000));
}

/*
 * The track of vCPU N of a VM is thread N + 1 of its process (tid 0: the
 * VM), in 64 bits: a file may say vCPU INT32_MAX.
 */
static void on_track(struct perfetto *p, uint32_t pid, int32_t vcpu)
{
	jw_kv_u64(&p->w, "pid", pid);
	jw_kv_i64(&p->w, "tid", vcpu >= 0 ? (int64_t)vcpu + 1 : 0);
}

static void meta(struct perfetto *p, const char *what, uint32_t pid, int32_t vcpu,
		 const char *name)
{
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "ph", "M");
	jw_kv_str(&p->w, "name", what);
	on_track(p, pid, vcpu);
	jw_key(&p->w, "args");
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "name", name);
	jw_obj_end(&p->w);
	jw_obj_end(&p->w);
}

/* The vCPU's track, named when first seen (and its VM's); by hash, not a search. */
static struct perfetto_open *track(struct perfetto *p, uint32_t pid, int32_t vcpu)
{
	uint64_t key = (uint64_t)pid << 32 | (uint32_t)vcpu;
	const struct vm_ident *id;
	char name[32 + VMID_NAME_LEN];
	uint32_t i;

	if (keymap_get(&p->by_vcpu, key, &i))
		return &p->open[i];
	if (array_room(&p->open, &p->cap, p->nr, sizeof(*p->open), 16) ||
	    keymap_put(&p->by_vcpu, key, p->nr))
		return NULL;
	snprintf(name, sizeof(name), "vCPU %d", vcpu);
	meta(p, "thread_name", pid, vcpu, name);
	if (!keymap_get(&p->vms, pid, &i)) {
		keymap_put(&p->vms, pid, 0);
		id = p->names ? vmident_get(p->names, pid) : NULL;
		if (id && id->name[0])
			snprintf(name, sizeof(name), "VM %u %s", pid, id->name);
		else
			snprintf(name, sizeof(name), "VM %u", pid);
		meta(p, "process_name", pid, -1, name);
	}
	p->open[p->nr] = (struct perfetto_open){ .pid = pid, .vcpu = vcpu };
	return &p->open[p->nr++];
}

int perfetto_begin(struct perfetto *p, FILE *f, const struct regnames *rn)
{
	memset(p, 0, sizeof(*p));
	jw_init(&p->w, f);
	p->rn = rn;
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "displayTimeUnit", "ns");
	jw_key(&p->w, "otherData");
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "source", "kvmsr report");
	jw_obj_end(&p->w);
	jw_key(&p->w, "traceEvents");
	jw_arr_begin(&p->w);
	return 0;
}

static void slice(struct perfetto *p, struct perfetto_open *o, uint64_t end)
{
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "ph", "X");
	jw_kv_str(&p->w, "cat", "load");
	jw_kv_str(&p->w, "name", o->loaded ? "sysregs on CPU" : "resident (sysregs in memory)");
	on_track(p, o->pid, o->vcpu);
	us(p, "ts", o->since, p->t0);
	us(p, "dur", end, o->since);
	jw_obj_end(&p->w);
	o->since = 0;
	p->slices++;
}

/* An instant on a vCPU's track (a VM's, for no vCPU); the caller adds args and ends it. */
static void instant(struct perfetto *p, const char *cat, const char *name, uint32_t pid,
		    int32_t vcpu, uint64_t ns)
{
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "ph", "i");
	jw_kv_str(&p->w, "s", vcpu >= 0 ? "t" : "p");
	jw_kv_str(&p->w, "cat", cat);
	jw_kv_str(&p->w, "name", name);
	on_track(p, pid, vcpu);
	us(p, "ts", ns, p->t0);
	p->instants++;
}

static void event_instant(struct perfetto *p, const struct ev_type *t, const struct kvmsr_event *e)
{
	char name[96], rb[64];
	const char *reg;

	if (t->timeline_name)
		snprintf(name, sizeof(name), "%s", t->timeline_name);
	else if ((reg = ev_reg_name(e, p->rn, rb, sizeof(rb))))
		snprintf(name, sizeof(name), "%s %s", t->name, reg);
	else
		snprintf(name, sizeof(name), "%s", t->name);
	instant(p, t->timeline_cat, name, e->pid, e->vcpu_id, e->ts_ns);
	jw_key(&p->w, "args");
	jw_obj_begin(&p->w);
	event_json_fields(&p->w, e, p->rn);
	jw_obj_end(&p->w);
	jw_obj_end(&p->w);
}

void perfetto_event(struct perfetto *p, const struct kvmsr_event *e)
{
	const struct ev_type *t = ev_type(e->type);
	struct perfetto_open *o;

	if (!p->t0)
		p->t0 = e->ts_ns;
	if (!t || e->vcpu_id < 0 || !(o = track(p, e->pid, e->vcpu_id)))
		return;
	switch (t->timeline) {
	case EVT_BEGIN:
		if (o->since)
			slice(p, o, e->ts_ns);	/* a double load: end the first there */
		o->since = e->ts_ns ? e->ts_ns : 1;
		o->loaded = e->flags & KVMSR_F_LOADED;
		break;
	case EVT_END:
		if (o->since)
			slice(p, o, e->ts_ns);
		break;
	case EVT_INSTANT:
		event_instant(p, t, e);
		break;
	}
}

void perfetto_finding(struct perfetto *p, const struct finding *f)
{
	char name[64], proof[512];

	snprintf(name, sizeof(name), "FINDING %s", finding_kind_name(f->kind));
	finding_proof(f, p->rn, proof, sizeof(proof));
	/* Findings without a vCPU (a WARN outside KVM) go on the process track. */
	instant(p, "finding", name, f->pid, f->vcpu_id, f->ts_ns);
	jw_key(&p->w, "args");
	jw_obj_begin(&p->w);
	jw_kv_str(&p->w, "proof", proof);
	jw_obj_end(&p->w);
	jw_obj_end(&p->w);
}

int perfetto_end(struct perfetto *p, uint64_t end_ns)
{
	FILE *f = p->w.f;

	for (size_t i = 0; i < p->nr; i++)
		if (p->open[i].since)
			slice(p, &p->open[i], end_ns);
	jw_arr_end(&p->w);
	jw_obj_end(&p->w);
	jw_end_line(&p->w);
	free(p->open);
	p->open = NULL;
	keymap_free(&p->by_vcpu);
	keymap_free(&p->vms);
	return fflush(f) || ferror(f) ? -1 : 0;
}
