// SPDX-License-Identifier: GPL-2.0
/* stat summaries (report.h). */
#include <stdlib.h>
#include <string.h>
#include "output/summary.h"

#define TOP_REGS 4

void report_findings(FILE *f, const struct analyzer *a, bool json)
{
	const uint64_t *n = a->findings;
	struct vcpu_stats sum;

	analyzer_totals(a, &sum);
	if (json) {
		fprintf(f, "\"findings\":{");
		for (int k = 0; k < FIND__MAX; k++)
			fprintf(f, "%s\"%s\":%llu", k ? "," : "", finding_kind_name(k),
				(unsigned long long)n[k]);
		fprintf(f, "},\"checked\":%llu,\"unchecked\":%llu,\"unverified_imbalances\":%llu,"
			"\"gaps\":%llu", (unsigned long long)sum.checked,
			(unsigned long long)sum.unchecked, (unsigned long long)a->unverified,
			(unsigned long long)a->gaps);
		return;
	}
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
	return r->reads[0] + r->reads[1] + r->writes[0] + r->writes[1];
}

/* Indices of the busiest registers of a vCPU, most accessed first. */
static int top_regs(const struct vcpu_stats *v, int *idx, int max)
{
	uint64_t prev = UINT64_MAX;
	int n;

	if (!v->regs)
		return 0;
	/* Selection by descending total; ties go to the lower index. */
	for (n = 0; n < max; n++) {
		uint64_t best = 0;
		int pick = -1;

		for (int r = 0; r < KVMSR_MAX_REGS; r++) {
			uint64_t t = reg_total(&v->regs[r]);
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
	char buf[32];
	int shown = 0;

	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];

		for (int r = 0; v->regs && r < KVMSR_MAX_REGS; r++) {
			traps[r] += v->regs[r].traps;
			seen[r] += v->regs[r].traps_seen;
		}
	}
	for (int r = 0; r < KVMSR_MAX_REGS; r++) {
		if (traps[r] == seen[r])
			continue;
		fprintf(f, "%s%s %llu/%llu", shown++ ? ", " : "  not seen at an accessor: ",
			regnames_get(rn, r, buf, sizeof(buf)),
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

void report_stat_text(FILE *f, const struct analyzer *a, const struct regnames *rn,
		      const struct run_info *ri)
{
	char buf[32];

	fprintf(f, "%-8s %4s %7s %7s %12s %6s %15s %15s  %s\n", "VM_PID", "VCPU", "LOADS",
		"PUTS", "LOADED_MS", "SHARE", "READS(cpu/mem)", "WRITES(cpu/mem)",
		"TOP REGISTERS");
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];
		char rd[32], wr[32];
		int top[TOP_REGS], n = top_regs(v, top, TOP_REGS);

		snprintf(rd, sizeof(rd), "%llu/%llu", (unsigned long long)v->reads[1],
			 (unsigned long long)v->reads[0]);
		snprintf(wr, sizeof(wr), "%llu/%llu", (unsigned long long)v->writes[1],
			 (unsigned long long)v->writes[0]);
		fprintf(f, "%-8u %4d %7llu %7llu %12.3f %5.1f%% %15s %15s ", v->pid, v->vcpu_id,
			(unsigned long long)v->loads, (unsigned long long)v->puts,
			v->loaded_ns / 1e6, 100.0 * vcpu_loaded_share(v), rd, wr);
		for (int j = 0; j < n; j++)
			fprintf(f, " %s:%llu", regnames_get(rn, top[j], buf, sizeof(buf)),
				(unsigned long long)reg_total(&v->regs[top[j]]));
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
	if (!a->nr_vcpus)
		fprintf(f, "(no vCPU was loaded while tracing)\n");
	fprintf(f, "backend: %s; KVM mode: %s; ", ri->backend, ri->kvm_mode);
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
	if (ri->sampling)
		fprintf(f, "findings: stale reads and lost writes are not checked by counting "
			"stat (use --exact or trace); ");
	report_findings(f, a, false);
	fprintf(f, "lost records: %llu%s\n", (unsigned long long)ri->lost,
		ri->lost ? " (ring buffer full: counts above are low)" : "");
	if (ri->probe_misses)
		fprintf(f, "WARNING: the kernel skipped %llu probe runs (BPF recursion "
			"protection): counts above are low by as much\n",
			(unsigned long long)ri->probe_misses);
	if (a->bad_records)
		fprintf(f, "malformed records: %llu\n", (unsigned long long)a->bad_records);
	if (ri->notes && ri->notes[0])
		fprintf(f, "note: %s\n", ri->notes);
	if (ri->recording_cut > 0)
		fprintf(f, "WARNING: the recording was cut after %llu records (kvmsr killed?): "
			"everything before that is reported above\n",
			(unsigned long long)ri->recording_records);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void report_stat_json(FILE *f, const struct analyzer *a, const struct regnames *rn,
		      const struct run_info *ri)
{
	uint64_t traps, seen;
	char buf[32];

	coverage_ratio(a, &traps, &seen);
	fprintf(f, "{\"backend\":");
	json_str(f, ri->backend);
	fprintf(f, ",\"kvm_mode\":");
	json_str(f, ri->kvm_mode);
	fprintf(f, ",\"sysregs_deferred\":%s,\"on_cpu_mask\":%u,\"on_cpu_mask_learned\":%s,"
		"\"on_cpu_mask_disagrees\":%s,\"duration_ns\":%llu,\"lost_records\":%llu,"
		"\"probe_misses\":%llu,\"malformed_records\":%llu,"
		"\"coverage\":{\"available\":%s,\"trapped\":%llu,\"seen\":%llu},"
		"\"exact\":%s,\"vcpus\":[",
		ri->defers ? "true" : "false", ri->on_cpu_mask, ri->mask_learned ? "true" : "false",
		ri->mask_disagrees ? "true" : "false",
		(unsigned long long)ri->duration_ns, (unsigned long long)ri->lost,
		(unsigned long long)ri->probe_misses, (unsigned long long)a->bad_records,
		ri->traps ? "true" : "false",
		(unsigned long long)traps, (unsigned long long)seen, ri->sampling ? "false" : "true");
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];
		int first = 1;

		fprintf(f, "%s{\"pid\":%u,\"vcpu\":%d,\"loads\":%llu,\"puts\":%llu,"
			"\"loaded_ns\":%llu,\"resident_ns\":%llu,\"loaded_share\":%.6f,"
			"\"reads_loaded\":%llu,\"reads_unloaded\":%llu,\"writes_loaded\":%llu,"
			"\"writes_unloaded\":%llu,\"trapped\":%llu,\"trapped_seen\":%llu,"
			"\"entries\":%llu,\"double_loads\":%llu,\"orphan_puts\":%llu,"
			"\"missed_puts\":%llu,\"loaded_hist_log2_ns\":[",
			i ? "," : "", v->pid, v->vcpu_id, (unsigned long long)v->loads,
			(unsigned long long)v->puts, (unsigned long long)v->loaded_ns,
			(unsigned long long)v->resident_ns, vcpu_loaded_share(v),
			(unsigned long long)v->reads[1], (unsigned long long)v->reads[0],
			(unsigned long long)v->writes[1], (unsigned long long)v->writes[0],
			(unsigned long long)v->traps, (unsigned long long)v->traps_seen,
			(unsigned long long)v->entries, (unsigned long long)v->double_loads,
			(unsigned long long)v->orphan_puts, (unsigned long long)v->missed_puts);
		for (int b = 0; b < KVMSR_HIST_BUCKETS; b++)
			fprintf(f, "%s%llu", b ? "," : "", (unsigned long long)v->hist[b]);
		fprintf(f, "],\"regs\":{");
		for (int r = 0; v->regs && r < KVMSR_MAX_REGS; r++) {
			const struct reg_stats *s = &v->regs[r];

			if (!reg_total(s) && !s->traps)
				continue;
			fprintf(f, "%s", first ? "" : ",");
			first = 0;
			json_str(f, regnames_get(rn, r, buf, sizeof(buf)));
			fprintf(f, ":{\"index\":%d,\"reads_loaded\":%llu,\"reads_unloaded\":%llu,"
				"\"writes_loaded\":%llu,\"writes_unloaded\":%llu,\"trapped\":%llu,"
				"\"trapped_seen\":%llu}", r, (unsigned long long)s->reads[1],
				(unsigned long long)s->reads[0], (unsigned long long)s->writes[1],
				(unsigned long long)s->writes[0], (unsigned long long)s->traps,
				(unsigned long long)s->traps_seen);
		}
		fprintf(f, "}}");
	}
	fprintf(f, "],\"sampling\":");
	json_str(f, ri->sampling ? ri->sampling : "exact");
	fprintf(f, ",");
	report_findings(f, a, true);
	if (ri->recording_cut >= 0)
		fprintf(f, ",\"recording\":{\"records\":%llu,\"cut\":%s}",
			(unsigned long long)ri->recording_records,
			ri->recording_cut ? "true" : "false");
	fprintf(f, ",\"finding_list\":[");
	for (int i = 0; i < ri->nr_finding_json; i++)
		fprintf(f, "%s%.*s", i ? "," : "", (int)strcspn(ri->finding_json[i], "\n"),
			ri->finding_json[i]);
	fprintf(f, "],\"notes\":");
	json_str(f, ri->notes);
	fprintf(f, "}\n");
}
