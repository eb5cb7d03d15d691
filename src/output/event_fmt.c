// SPDX-License-Identifier: GPL-2.0
/* Events as text lines and JSON objects (event_fmt.h). */
#include <string.h>
#include "output/event_fmt.h"
#include "output/event_types.h"

void event_text_header(FILE *f)
{
	fprintf(f, "%-12s %3s %7s %4s %-5s %-16s %-18s %-6s %s\n",
		"TIME(s)", "CPU", "PID", "VCPU", "EVENT", "REGISTER", "VALUE", "LOADED", "SERVED");
}

void event_text(FILE *f, const struct kvmsr_event *e, const struct regnames *rn, uint64_t t0_ns)
{
	const struct ev_type *t = ev_type(e->type);
	struct ev_text c = { "", "", "", "" };
	char vcpu[16] = "-";

	if (e->vcpu_id >= 0)
		snprintf(vcpu, sizeof(vcpu), "%d", e->vcpu_id);
	if (t)
		t->text(e, rn, &c);
	fprintf(f, "%-12.6f %3u %7u %4s %-5s %-16s %-18s %-6s %s%s\n",
		(double)(e->ts_ns - t0_ns) / 1e9, e->cpu, e->pid, vcpu,
		t ? t->name : "?", c.reg, c.val, c.state, c.served,
		e->gap & KVMSR_GAP_LATE ? " LATE (out of time order)" : "");
}

static void field_json(struct jw *w, const struct ev_field *f, const struct kvmsr_event *e,
		       const struct regnames *rn)
{
	uint64_t v = ev_field_value(f, e);
	char buf[64];

	/* The table's keys are literals (a unit test holds them to plain bytes). */
	jw_lit_key(w, f->key, f->key_len);
	if (f->fmt == EVF_REG) {
		jw_str(w, regnames_get(rn, v, buf, sizeof(buf)));
		jw_kv_u64(w, "reg_index", v);
		return;
	}
	if (f->fmt == EVF_TRAPREG) {
		jw_str(w, regnames_trap(rn, v, buf, sizeof(buf)));
		jw_kv_str(w, "reg_enc", regnames_enc(v, buf, sizeof(buf)));
		return;
	}
	switch (f->fmt) {
	case EVF_HEX: jw_hex(w, v); break;
	case EVF_U64: jw_u64(w, v); break;
	case EVF_BOOL: jw_bool(w, v); break;
	case EVF_LOC: jw_str(w, loc_name(v, buf, sizeof(buf))); break;
	case EVF_IOCTL: jw_str(w, vcpu_ioctl_name(v)); break;
	case EVF_DIR: jw_str(w, v ? "in" : "out"); break;
	case EVF_VIA: jw_str(w, v ? "switch" : "ioctl"); break;
	}
}

void event_json_fields(struct jw *w, const struct kvmsr_event *e, const struct regnames *rn)
{
	const struct ev_type *t = ev_type(e->type);

	for (const struct ev_field *f = t ? t->fields : NULL; f && f->key; f++)
		if (ev_field_present(f, e))
			field_json(w, f, e, rn);
}

void event_json(struct jw *w, const struct kvmsr_event *e, const struct regnames *rn)
{
	event_json_vm(w, e, rn, NULL);
}

void event_json_vm(struct jw *w, const struct kvmsr_event *e, const struct regnames *rn,
		   const char *vm)
{
	jw_obj_begin(w);
	jw_kv_u64(w, "ts_ns", e->ts_ns);
	jw_kv_str(w, "event", event_type_name(e->type));
	jw_kv_u64(w, "cpu", e->cpu);
	jw_kv_u64(w, "pid", e->pid);
	if (vm && vm[0])
		jw_kv_str(w, "vm", vm);
	jw_kv_u64(w, "tid", e->tid);
	jw_kv_i64(w, "vcpu", e->vcpu_id);
	if (e->gap & KVMSR_GAP_BEFORE)	/* records were dropped just before this one */
		jw_kv_bool(w, "gap_before", true);
	if (e->gap & KVMSR_GAP_LATE)	/* out of time order: it missed the reorder window */
		jw_kv_bool(w, "late", true);
	event_json_fields(w, e, rn);
	jw_obj_end(w);
}
