// SPDX-License-Identifier: GPL-2.0
/* Run summaries: stat/record/report tables and JSON, the trace summary (summary.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "output/finding_fmt.h"
#include "output/hidden_fmt.h"
#include "output/summary.h"
#include "output/text.h"

#define TOP_REGS 4
#define TOP_TRAPS 8	/* registers named on the text line of traps */

/* The finding counts as members of an open JSON object. */
void summary_findings_json(struct jw *w, const struct analyzer *a)
{
	struct vcpu_stats sum;

	analyzer_totals(a, &sum);
	jw_key(w, "findings");
	jw_obj_begin(w);
	for (int k = 0; k < FIND__MAX; k++) {
		jw_key(w, finding_kind_name(k));
		jw_u64(w, a->findings[k]);
	}
	jw_obj_end(w);
	jw_kv_u64(w, "checked", sum.checked);
	jw_kv_u64(w, "unchecked", sum.unchecked);
	jw_kv_u64(w, "unverified_imbalances", a->unverified);
	jw_kv_u64(w, "gaps", a->gaps);
	jw_kv_u64(w, "late_records", a->late);
	/* Counted by the BPF side, never streamed (default trace; among "hidden"). */
	jw_kv_u64(w, "tallied_events", a->tallied);
}

void summary_findings_text(FILE *f, const struct analyzer *a)
{
	const uint64_t *n = a->findings;
	struct vcpu_stats sum;

	analyzer_totals(a, &sum);
	fprintf(f, "findings: %llu confirmed (%llu stale reads, %llu lost writes, %llu direct "
		"accesses) in %llu loaded accesses checked (by the put, or served from the CPU as "
		"the kernel's tracepoint says; %llu not checkable); "
		"%llu suspect registers, %llu suspect mismatches (not provable on this CPU); %llu WARN, %llu BUG; %llu imbalances\n",
		(unsigned long long)(n[FIND_STALE_READ] + n[FIND_LOST_WRITE] +
				     n[FIND_DIRECT_ACCESS]),
		(unsigned long long)n[FIND_STALE_READ], (unsigned long long)n[FIND_LOST_WRITE],
		(unsigned long long)n[FIND_DIRECT_ACCESS],
		(unsigned long long)sum.checked, (unsigned long long)sum.unchecked,
		(unsigned long long)n[FIND_SUSPECT],
		(unsigned long long)(n[FIND_SUSPECT_STALE_READ] + n[FIND_SUSPECT_LOST_WRITE]),
		(unsigned long long)n[FIND_WARN],
		(unsigned long long)n[FIND_BUG],
		(unsigned long long)(n[FIND_DOUBLE_LOAD] + n[FIND_ORPHAN_PUT] + n[FIND_OPEN_AT_EXIT]));
	if (a->gaps)
		fprintf(f, "gaps: the ring buffer dropped records %llu times; %llu imbalances "
			"after a gap were not reported (a lost record could explain them), and the "
			"accesses pending then got no verdict\n", (unsigned long long)a->gaps,
			(unsigned long long)a->unverified);
	if (a->late)
		fprintf(f, "late: %llu records came after the reorder window (out of time order), "
			"each handled as a gap\n", (unsigned long long)a->late);
}

/*
 * Counting stat's findings: what it counts, and that it does not check the
 * accesses themselves (no confirmed or suspect counts, which would read as
 * "checked, none found").
 */
static void findings_counting_text(FILE *f, const struct analyzer *a)
{
	const uint64_t *n = a->findings;

	fprintf(f, "findings: counting mode does not check accesses: stale reads, lost writes "
		"and suspects need every accessor call (stat --exact, trace or record); counted: "
		"%llu imbalances (%llu loads without a put, %llu puts without a load), %llu WARN, "
		"%llu BUG\n",
		(unsigned long long)(n[FIND_DOUBLE_LOAD] + n[FIND_ORPHAN_PUT] + n[FIND_OPEN_AT_EXIT]),
		(unsigned long long)n[FIND_DOUBLE_LOAD], (unsigned long long)n[FIND_ORPHAN_PUT],
		(unsigned long long)n[FIND_WARN], (unsigned long long)n[FIND_BUG]);
}

double coverage_ratio(const struct analyzer *a, uint64_t *traps, uint64_t *seen)
{
	struct vcpu_stats sum;

	analyzer_totals(a, &sum);
	*traps = sum.traps;
	*seen = sum.traps_seen;
	return sum.traps ? (double)sum.traps_seen / (double)sum.traps : 1.0;
}

static uint64_t reg_total(const struct reg_stats *r)
{
	return r ? r->reads[0] + r->reads[1] + r->writes[0] + r->writes[1] : 0;
}

/* Indices of the busiest registers of a vCPU, most accessed first. */
static int top_regs(const struct vcpu_stats *v, int *idx, int max)
{
	uint64_t prev = UINT64_MAX;
	int n;

	if (!v->nr_regs)
		return 0;
	/* Selection by descending total; ties go to the lower index. */
	for (n = 0; n < max; n++) {
		uint64_t best = 0;
		int pick = -1;

		for (int r = 0; r < KVMSR_MAX_REGS; r++) {
			uint64_t t = reg_total(vcpu_reg_find(v, r));
			bool taken = false;

			for (int j = 0; j < n; j++)
				taken |= idx[j] == r;
			if (!taken && t > best && t <= prev) {
				best = t;
				pick = r;
			}
		}
		if (pick < 0)
			break;
		idx[n] = pick;
		prev = best;
	}
	return n;
}

/* Registers trapped but never seen at an accessor: where coverage is lost. */
static void print_gaps(FILE *f, const struct analyzer *a, const struct regnames *rn)
{
	uint64_t traps[KVMSR_MAX_REGS] = { 0 }, seen[KVMSR_MAX_REGS] = { 0 };
	char buf[48];
	int shown = 0;

	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];

		for (int r = 0; v->nr_regs && r < KVMSR_MAX_REGS; r++) {
			const struct reg_stats *s = vcpu_reg_find(v, r);

			traps[r] += s ? s->traps : 0;
			seen[r] += s ? s->traps_seen : 0;
		}
	}
	for (int r = 0; r < KVMSR_MAX_REGS; r++) {
		if (traps[r] == seen[r])
			continue;
		fprintf(f, "%s%s %llu/%llu", shown++ ? ", " : "  not seen at an accessor: ",
			text_reg(rn, r, buf, sizeof(buf)),
			(unsigned long long)(traps[r] - seen[r]), (unsigned long long)traps[r]);
	}
	if (shown)
		fputc('\n', f);
}

static void print_coverage(FILE *f, const struct analyzer *a, const struct regnames *rn,
			   const struct run_info *ri)
{
	uint64_t traps, seen;
	double ratio = coverage_ratio(a, &traps, &seen);

	if (ri->sampling) {
		fprintf(f, "coverage: not measured by counting stat (kvmsr check measures it; "
			"stat --exact and trace report it)\n");
		return;
	}
	if (!ri->traps) {
		fprintf(f, "coverage: unknown (kvm:kvm_sys_access not available)\n");
		return;
	}
	fprintf(f, "coverage: %llu of %llu trapped accesses to memory-backed registers were "
		"seen at an accessor (%.1f%%)\n",
		(unsigned long long)seen, (unsigned long long)traps, 100.0 * ratio);
	if (traps && ratio < 0.9)
		fprintf(f, "WARNING: accessor coverage is incomplete: calls the probes cannot see "
			"(inlined into their callers?) go unchecked\n");
	print_gaps(f, a, rn);
}

/* The name trace gives a tallied register (raw: clean it for a terminal); NULL: none. */
static const char *trap_tally_name(const struct trap_tally *t, const struct regnames *rn,
				   char *buf, size_t len)
{
	if (t->key & TRAP_KEY_SLOT)
		return regnames_get(rn, t->key & 0xffff, buf, len);
	return t->key & TRAP_KEY_NONE ? NULL : regnames_trap(rn, t->key, buf, len);
}

static uint64_t trap_total(const struct trap_tally *t)
{
	return t->reads + t->writes;
}

/* Most trapped first; ties in order of the key (slots after encodings). */
static int by_traps(const void *x, const void *y)
{
	const struct trap_tally *a = *(const struct trap_tally *const *)x;
	const struct trap_tally *b = *(const struct trap_tally *const *)y;

	if (trap_total(a) != trap_total(b))
		return trap_total(a) > trap_total(b) ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* The tallied registers, most trapped first, in a new array (NULL: none or no memory). */
static const struct trap_tally **traps_sorted(const struct analyzer *a)
{
	const struct trap_tally **o;

	if (!a->nr_trap_regs || !(o = calloc(a->nr_trap_regs, sizeof(*o))))
		return NULL;
	for (size_t i = 0; i < a->nr_trap_regs; i++)
		o[i] = &a->trap_regs[i];
	qsort(o, a->nr_trap_regs, sizeof(*o), by_traps);
	return o;
}

void summary_traps_text(FILE *f, const struct analyzer *a, const struct regnames *rn)
{
	const struct trap_tally **o = traps_sorted(a);
	char raw[KVMSR_TRAP_NAME_LEN + 16], buf[KVMSR_TRAP_NAME_LEN + 16];
	size_t n = o ? a->nr_trap_regs : 0, shown = n < TOP_TRAPS ? n : TOP_TRAPS;

	if (!a->traps_total) {
		free(o);
		return;
	}
	fprintf(f, "traps: %llu trapped guest accesses, by register (reads/writes):",
		(unsigned long long)a->traps_total);
	for (size_t i = 0; i < shown; i++) {
		const char *name = trap_tally_name(o[i], rn, raw, sizeof(raw));

		fprintf(f, "%s %s %llu/%llu", i ? "," : "",
			text_clean(name ? name : "(no slot)", buf, sizeof(buf)),
			(unsigned long long)o[i]->reads, (unsigned long long)o[i]->writes);
	}
	if (n > shown)
		fprintf(f, "; %zu more register%s", n - shown, n - shown > 1 ? "s" : "");
	if (a->traps_untallied)
		fprintf(f, "; %llu traps of registers beyond the first %d not tallied",
			(unsigned long long)a->traps_untallied, ANALYZER_MAX_TRAP_REGS);
	fputc('\n', f);
	free(o);
}

void summary_traps_json(struct jw *w, const struct analyzer *a, const struct regnames *rn)
{
	const struct trap_tally **o = traps_sorted(a);
	char buf[KVMSR_TRAP_NAME_LEN + 16];

	jw_key(w, "traps");
	jw_obj_begin(w);
	jw_kv_u64(w, "total", a->traps_total);
	jw_kv_u64(w, "untallied", a->traps_untallied);
	jw_key(w, "by_reg");
	jw_arr_begin(w);
	for (size_t i = 0; o && i < a->nr_trap_regs; i++) {
		const char *name = trap_tally_name(o[i], rn, buf, sizeof(buf));

		jw_obj_begin(w);
		if (name)
			jw_kv_str(w, "reg", name);
		if (o[i]->key & TRAP_KEY_SLOT)
			jw_kv_u64(w, "reg_index", o[i]->key & 0xffff);
		else if (!(o[i]->key & TRAP_KEY_NONE))
			jw_kv_str(w, "reg_enc", regnames_enc(o[i]->key, buf, sizeof(buf)));
		jw_kv_u64(w, "reads", o[i]->reads);
		jw_kv_u64(w, "writes", o[i]->writes);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	free(o);
}

/* A vCPU and the name of its VM, to order the rows by. */
struct vcpu_row {
	const struct vcpu_stats *v;
	char vm[VMID_NAME_LEN];
};

static int row_cmp(const void *pa, const void *pb)
{
	const struct vcpu_row *a = pa, *b = pb;
	int c = strcmp(a->vm, b->vm);

	if (c)
		return c;
	if (a->v->pid != b->v->pid)
		return a->v->pid < b->v->pid ? -1 : 1;
	return (a->v->vcpu_id > b->v->vcpu_id) - (a->v->vcpu_id < b->v->vcpu_id);
}

/*
 * The vCPUs by VM name, VM pid, then vCPU id: the analyzer keeps them in
 * the order it met them (the BPF map's hash order in counting mode).  The
 * caller frees the rows; NULL (out of memory) means the analyzer's order.
 */
static struct vcpu_row *sorted_vcpus(const struct analyzer *a, struct vmident *vms)
{
	struct vcpu_row *rows = calloc(a->nr_vcpus ? a->nr_vcpus : 1, sizeof(*rows));

	for (size_t i = 0; rows && i < a->nr_vcpus; i++) {
		const struct vm_ident *id = vms ? vmident_get(vms, a->vcpus[i].pid) : NULL;

		rows[i].v = &a->vcpus[i];
		snprintf(rows[i].vm, sizeof(rows[i].vm), "%s", id ? id->name : "");
	}
	if (rows)
		qsort(rows, a->nr_vcpus, sizeof(*rows), row_cmp);
	return rows;
}

/* The i-th vCPU in the order of @rows, or of the analyzer without them. */
static const struct vcpu_stats *nth_vcpu(const struct analyzer *a, const struct vcpu_row *rows,
					 size_t i)
{
	return rows ? rows[i].v : &a->vcpus[i];
}

/* One vCPU's row of the stat table, and what is wrong with its counts. */
static void vcpu_row(FILE *f, const struct vcpu_stats *v, const char *vm,
		     const struct regnames *rn)
{
	char rd[32], wr[32], buf[48], name[VMID_NAME_LEN];
	int top[TOP_REGS], n = top_regs(v, top, TOP_REGS);

	snprintf(rd, sizeof(rd), "%llu/%llu", (unsigned long long)v->reads[1],
		 (unsigned long long)v->reads[0]);
	snprintf(wr, sizeof(wr), "%llu/%llu", (unsigned long long)v->writes[1],
		 (unsigned long long)v->writes[0]);
	fprintf(f, "%-8u %-16s %4d %7llu %7llu %12.3f %5.1f%% %15s %15s ", v->pid,
		vm[0] ? text_clean(vm, name, sizeof(name)) : "-", v->vcpu_id,
		(unsigned long long)v->loads, (unsigned long long)v->puts,
		v->loaded_ns / 1e6, 100.0 * vcpu_loaded_share(v), rd, wr);
	for (int j = 0; j < n; j++)
		fprintf(f, " %s:%llu", text_reg(rn, top[j], buf, sizeof(buf)),
			(unsigned long long)reg_total(vcpu_reg_find(v, top[j])));
	fputc('\n', f);
	if (v->missed_puts)
		fprintf(f, "  WARNING: %llu put(s) not seen by the probe (the VHE put had "
			"cleared SYSREGS_ON_CPU by the next load): loaded time is high by "
			"up to those gaps\n", (unsigned long long)v->missed_puts);
	if (v->double_loads || v->orphan_puts)
		fprintf(f, "  imbalance: %llu load(s) without a put, %llu put(s) without a "
			"load\n", (unsigned long long)v->double_loads,
			(unsigned long long)v->orphan_puts);
}

void summary_text(FILE *f, const struct analyzer *a, const struct regnames *rn,
		  const struct run_info *ri)
{
	struct vcpu_row *rows = sorted_vcpus(a, ri->vms);
	char tb[SUMMARY_TEXT];

	fprintf(f, "%-8s %-16s %4s %7s %7s %12s %6s %15s %15s  %s\n", "VM_PID", "VM", "VCPU",
		"LOADS", "PUTS", "LOADED_MS", "SHARE", "READS(cpu/mem)", "WRITES(cpu/mem)",
		"TOP REGISTERS");
	for (size_t i = 0; i < a->nr_vcpus; i++)
		vcpu_row(f, nth_vcpu(a, rows, i), rows ? rows[i].vm : "", rn);
	free(rows);
	if (!a->nr_vcpus)
		fprintf(f, "(no vCPU was loaded while tracing)\n");
	fprintf(f, "backend: %s; ", text_clean(ri->backend, tb, sizeof(tb)));
	fprintf(f, "KVM mode: %s; ", text_clean(ri->kvm_mode, tb, sizeof(tb)));
	if (!ri->defers)
		fprintf(f, "sysregs are not deferred to load/put in this mode\n");
	else if (ri->on_cpu_mask)
		fprintf(f, "SYSREGS_ON_CPU = sflags mask %#x (%s)\n", ri->on_cpu_mask,
			ri->mask_learned ? "learned at run time" : "assumed from the version");
	else
		fprintf(f, "SYSREGS_ON_CPU not seen set yet\n");
	if (ri->mask_disagrees)
		fprintf(f, "WARNING: the learned SYSREGS_ON_CPU bit differs from the one assumed "
			"from the kernel version: events before the first VHE load may show the "
			"wrong loaded state\n");
	if (ri->sampling)
		fprintf(f, "accessor counts: %s\n", ri->sampling);
	print_coverage(f, a, rn, ri);
	summary_traps_text(f, a, rn);
	if (ri->sampling)
		findings_counting_text(f, a);
	else
		summary_findings_text(f, a);
	fprintf(f, "lost records: %llu%s\n", (unsigned long long)ri->lost,
		ri->lost ? " (ring buffer full: counts above are low)" : "");
	if (ri->probe_misses)
		fprintf(f, "WARNING: the kernel skipped %llu probe runs (BPF recursion "
			"protection): counts above are low by as much\n",
			(unsigned long long)ri->probe_misses);
	if (a->bad_records)
		fprintf(f, "malformed records: %llu\n", (unsigned long long)a->bad_records);
	if (a->vcpu_events_dropped)
		fprintf(f, "WARNING: %llu events of vCPUs beyond the first %d were not analyzed "
			"(kvmsr follows at most %d vCPUs per run)\n",
			(unsigned long long)a->vcpu_events_dropped, ANALYZER_MAX_VCPUS,
			ANALYZER_MAX_VCPUS);
	if (ri->recording_stacks_dropped)
		fprintf(f, "WARNING: %llu stack records beyond the recording's first %d stacks "
			"were dropped: findings that need them show no stack\n",
			(unsigned long long)ri->recording_stacks_dropped, ri->recording_max_stacks);
	if (ri->notes && ri->notes[0])
		fprintf(f, "note: %s\n", text_clean(ri->notes, tb, sizeof(tb)));
	if (ri->recording_cut > 0)
		fprintf(f, "WARNING: the recording was cut after %llu records (kvmsr killed?): "
			"everything before that is reported above\n",
			(unsigned long long)ri->recording_records);
}

/* Accessor traffic, of a vCPU or of one of its registers: members of an open object. */
static void access_json(struct jw *w, const uint64_t reads[2], const uint64_t writes[2],
			uint64_t traps, uint64_t traps_seen)
{
	jw_kv_u64(w, "reads_loaded", reads[1]);
	jw_kv_u64(w, "reads_unloaded", reads[0]);
	jw_kv_u64(w, "writes_loaded", writes[1]);
	jw_kv_u64(w, "writes_unloaded", writes[0]);
	jw_kv_u64(w, "trapped", traps);
	jw_kv_u64(w, "trapped_seen", traps_seen);
}

static void regs_json(struct jw *w, const struct vcpu_stats *v, const struct regnames *rn)
{
	char buf[64];

	jw_key(w, "regs");
	jw_obj_begin(w);
	for (int r = 0; v->nr_regs && r < KVMSR_MAX_REGS; r++) {
		const struct reg_stats *s = vcpu_reg_find(v, r);

		if (!s || (!reg_total(s) && !s->traps))
			continue;
		jw_key(w, regnames_get(rn, r, buf, sizeof(buf)));
		jw_obj_begin(w);
		jw_kv_i64(w, "index", r);
		access_json(w, s->reads, s->writes, s->traps, s->traps_seen);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* Who the vCPU is to an operator: its VM's name and UUID, its thread's name, where known. */
static void ident_json(struct jw *w, const struct vcpu_stats *v, struct vmident *vms)
{
	const struct vm_ident *id = vms ? vmident_get(vms, v->pid) : NULL;
	const char *thread = vms && v->tid ? vmident_thread(vms, v->pid, v->tid) : NULL;

	if (id && id->name[0]) {
		jw_kv_str(w, "vm", id->name);
		jw_kv_str(w, "vm_source", vmident_source_name(id->source));
	}
	if (id && id->uuid[0])
		jw_kv_str(w, "vm_uuid", id->uuid);
	if (v->tid)
		jw_kv_u64(w, "tid", v->tid);
	if (thread)
		jw_kv_str(w, "thread", thread);
}

static void vcpu_json(struct jw *w, const struct vcpu_stats *v, const struct regnames *rn,
		      struct vmident *vms)
{
	static const struct { const char *key; size_t off; } before[] = {
		{ "loads", offsetof(struct vcpu_stats, loads) },
		{ "puts", offsetof(struct vcpu_stats, puts) },
		{ "loaded_ns", offsetof(struct vcpu_stats, loaded_ns) },
		{ "resident_ns", offsetof(struct vcpu_stats, resident_ns) },
	}, after[] = {
		{ "entries", offsetof(struct vcpu_stats, entries) },
		{ "double_loads", offsetof(struct vcpu_stats, double_loads) },
		{ "orphan_puts", offsetof(struct vcpu_stats, orphan_puts) },
		{ "missed_puts", offsetof(struct vcpu_stats, missed_puts) },
	};
#define U64_AT(v, off) (*(const uint64_t *)((const char *)(v) + (off)))

	jw_obj_begin(w);
	jw_kv_u64(w, "pid", v->pid);
	jw_kv_i64(w, "vcpu", v->vcpu_id);
	ident_json(w, v, vms);
	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
		jw_key(w, before[i].key);
		jw_u64(w, U64_AT(v, before[i].off));
	}
	jw_key(w, "loaded_share");
	jw_numf(w, "%.6f", vcpu_loaded_share(v));
	access_json(w, v->reads, v->writes, v->traps, v->traps_seen);
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		jw_key(w, after[i].key);
		jw_u64(w, U64_AT(v, after[i].off));
	}
	jw_key(w, "loaded_hist_log2_ns");
	jw_arr_begin(w);
	for (int b = 0; b < KVMSR_HIST_BUCKETS; b++)
		jw_u64(w, v->hist[b]);
	jw_arr_end(w);
	regs_json(w, v, rn);
	jw_obj_end(w);
#undef U64_AT
}

static void run_json(struct jw *w, const struct analyzer *a, const struct run_info *ri)
{
	uint64_t traps, seen;

	coverage_ratio(a, &traps, &seen);
	jw_kv_str(w, "backend", ri->backend);
	jw_kv_str(w, "kvm_mode", ri->kvm_mode);
	jw_kv_bool(w, "sysregs_deferred", ri->defers);
	jw_kv_u64(w, "on_cpu_mask", ri->on_cpu_mask);
	jw_kv_bool(w, "on_cpu_mask_learned", ri->mask_learned);
	jw_kv_bool(w, "on_cpu_mask_disagrees", ri->mask_disagrees);
	jw_kv_u64(w, "duration_ns", ri->duration_ns);
	jw_kv_u64(w, "lost_records", ri->lost);
	jw_kv_u64(w, "probe_misses", ri->probe_misses);
	jw_kv_u64(w, "malformed_records", a->bad_records);
	if (a->vcpu_events_dropped)
		jw_kv_u64(w, "vcpu_events_dropped", a->vcpu_events_dropped);
	jw_key(w, "coverage");
	jw_obj_begin(w);
	jw_kv_bool(w, "available", ri->traps);
	jw_kv_u64(w, "trapped", traps);
	jw_kv_u64(w, "seen", seen);
	jw_obj_end(w);
	jw_kv_bool(w, "exact", !ri->sampling);
}

void summary_json(struct jw *w, const struct analyzer *a, const struct regnames *rn,
		  const struct run_info *ri, const struct findings *fs, struct symbolizer *sy)
{
	struct vcpu_row *rows = sorted_vcpus(a, ri->vms);

	jw_obj_begin(w);
	run_json(w, a, ri);
	jw_key(w, "vcpus");
	jw_arr_begin(w);
	for (size_t i = 0; i < a->nr_vcpus; i++)
		vcpu_json(w, nth_vcpu(a, rows, i), rn, ri->vms);
	jw_arr_end(w);
	free(rows);
	jw_kv_str(w, "sampling", ri->sampling ? ri->sampling : "exact");
	summary_traps_json(w, a, rn);
	summary_findings_json(w, a);
	if (ri->recording_cut >= 0) {
		jw_key(w, "recording");
		jw_obj_begin(w);
		jw_kv_u64(w, "records", ri->recording_records);
		jw_kv_bool(w, "cut", ri->recording_cut);
		/* 0 from this kvmsr on (one stream in time order); reported sorted anyway. */
		jw_kv_u64(w, "backward_steps", ri->recording_backward);
		if (ri->recording_stacks_dropped)
			jw_kv_u64(w, "stacks_dropped", ri->recording_stacks_dropped);
		jw_obj_end(w);
	}
	jw_key(w, "finding_list");
	if (fs)
		findings_json(w, fs, rn, sy);
	else {
		jw_arr_begin(w);
		jw_arr_end(w);
	}
	jw_kv_str(w, "notes", ri->notes ? ri->notes : "");
	jw_obj_end(w);
	jw_end_line(w);
}

/* Records of every type the analyzer was fed. */
static uint64_t events_total(const struct analyzer *a)
{
	uint64_t total = 0;

	for (int i = 0; i < KVMSR_EV__MAX; i++)
		total += a->events[i];
	return total;
}

/* trace's closing line: what was streamed, shown, lost and checked. */
void summary_trace_json(struct jw *w, const struct analyzer *a, const struct regnames *rn,
			const struct run_info *ri, uint64_t printed,
			const struct stream_filter *sf)
{
	uint64_t traps, seen;

	coverage_ratio(a, &traps, &seen);
	jw_obj_begin(w);
	jw_kv_str(w, "event", "summary");
	jw_kv_str(w, "backend", ri->backend);
	jw_kv_str(w, "kvm_mode", ri->kvm_mode);
	jw_kv_u64(w, "on_cpu_mask", ri->on_cpu_mask);
	jw_kv_bool(w, "on_cpu_mask_learned", ri->mask_learned);
	jw_kv_u64(w, "events", events_total(a));
	jw_kv_u64(w, "printed", printed);
	hidden_json(w, sf, rn);
	jw_kv_u64(w, "lost_records", ri->lost);
	jw_kv_u64(w, "probe_misses", ri->probe_misses);
	jw_kv_u64(w, "coverage_trapped", traps);
	jw_kv_u64(w, "coverage_seen", seen);
	summary_traps_json(w, a, rn);
	summary_findings_json(w, a);
	jw_obj_end(w);
	jw_end_line(w);
}

void summary_trace_text(FILE *f, const struct analyzer *a, const struct regnames *rn,
			const struct run_info *ri, uint64_t printed)
{
	uint64_t traps, seen;
	char tb[SUMMARY_TEXT];

	coverage_ratio(a, &traps, &seen);
	fprintf(f, "kvmsr: %llu events (%llu shown), %llu lost; backend %s; coverage %llu/%llu "
		"trapped accesses seen at an accessor\n", (unsigned long long)events_total(a),
		(unsigned long long)printed, (unsigned long long)ri->lost,
		text_clean(ri->backend, tb, sizeof(tb)), (unsigned long long)seen,
		(unsigned long long)traps);
	summary_traps_text(f, a, rn);
	summary_findings_text(f, a);
}
