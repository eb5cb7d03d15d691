// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition of kvmsr's counts (metrics.h). */
#include "output/metrics.h"

/* Label values: \, " and newline escaped, as the format wants. */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * A vCPU's labels, without braces: vm_pid and vcpu, then its VM's name (vm)
 * and UUID (vm_uuid) where known, which survive a VMM restart as vm_pid
 * does not.  Names are cleaned and cut where they are made (vmident.h); the
 * labels of VMs that are gone go with their vCPUs (serve prunes both).
 */
static void vcpu_labels(FILE *f, const struct vcpu_stats *v, struct vmident *vms)
{
	const struct vm_ident *id = vms ? vmident_get(vms, v->pid) : NULL;

	fprintf(f, "vm_pid=\"%u\",vcpu=\"%d\"", v->pid, v->vcpu_id);
	if (id && id->name[0]) {
		fputs(",vm=", f);
		label(f, id->name);
	}
	if (id && id->uuid[0]) {
		fputs(",vm_uuid=", f);
		label(f, id->uuid);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per vCPU of a per-vCPU counter. */
#define PER_VCPU(name, help, expr)						\
	do {									\
		head(f, name, "counter", help);					\
		for (size_t i = 0; i < a->nr_vcpus; i++) {			\
			const struct vcpu_stats *v = &a->vcpus[i];		\
										\
			fputs(name "{", f);					\
			vcpu_labels(f, v, ri->vms);				\
			fprintf(f, "} %.17g\n", (double)(expr));		\
		}								\
	} while (0)

/* Histogram boundaries: 2^k ns for even k, 1.024 us .. 68.7 s (log2 buckets). */
#define LE_FIRST 10
#define LE_LAST 36

static void loaded_histogram(FILE *f, const struct analyzer *a, struct vmident *vms)
{
	const char *n = "kvmsr_vcpu_loaded_interval_seconds";

	head(f, n, "histogram", "Durations of the intervals a vCPU spent with its sysregs on "
	     "the CPU (load to put).");
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];
		uint64_t cum = 0, total = 0;
		int b = 0;

		for (int k = 0; k < KVMSR_HIST_BUCKETS; k++)
			total += v->hist[k];
		for (int k = LE_FIRST; k <= LE_LAST; k += 2) {
			/* Bucket b holds durations in [2^b, 2^(b+1)) ns: all below 2^k. */
			for (; b < k && b < KVMSR_HIST_BUCKETS; b++)
				cum += v->hist[b];
			fprintf(f, "%s_bucket{", n);
			vcpu_labels(f, v, vms);
			fprintf(f, ",le=\"%.9g\"} %llu\n", (double)(1ULL << k) / 1e9,
				(unsigned long long)cum);
		}
		fprintf(f, "%s_bucket{", n);
		vcpu_labels(f, v, vms);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)total);
		fprintf(f, "%s_sum{", n);
		vcpu_labels(f, v, vms);
		fprintf(f, "} %.9f\n", v->loaded_ns / 1e9);
		fprintf(f, "%s_count{", n);
		vcpu_labels(f, v, vms);
		fprintf(f, "} %llu\n", (unsigned long long)total);
	}
}

static void accessor_calls(FILE *f, const struct analyzer *a, struct vmident *vms)
{
	const char *n = "kvmsr_vcpu_accessor_calls_total";

	head(f, n, "counter", "vcpu_read_sys_reg()/vcpu_write_sys_reg() calls while the "
	     "accessor probes were attached (see kvmsr_accessor_sampling_ratio), by "
	     "operation and by where the sysregs were.");
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];
		const uint64_t *cnt[2] = { v->reads, v->writes };

		for (int op = 0; op < 2; op++)
			for (int on = 0; on < 2; on++) {
				fprintf(f, "%s{", n);
				vcpu_labels(f, v, vms);
				fprintf(f, ",op=\"%s\",sysregs=\"%s\"} %llu\n", op ? "write" : "read",
					on ? "cpu" : "memory", (unsigned long long)cnt[op][on]);
			}
	}
}

enum prog_figure { PROG_RUNS, PROG_SECONDS, PROG_MISSES };

/* One counter per BPF program, labelled prog. */
static void per_prog(FILE *f, const struct metrics_self *m, const char *name, const char *help,
		     enum prog_figure which)
{
	head(f, name, "counter", help);
	for (size_t i = 0; i < m->nr_progs; i++) {
		const struct metrics_prog *p = &m->progs[i];

		fprintf(f, "%s{prog=", name);
		label(f, p->name);
		if (which == PROG_SECONDS)
			fprintf(f, "} %.9f\n", p->run_ns / 1e9);
		else
			fprintf(f, "} %llu\n", (unsigned long long)(which == PROG_RUNS ?
								    p->runs : p->misses));
	}
}

/*
 * kvmsr's own cost: its BPF programs (while the kernel's statistics are on:
 * kvmsr_bpf_stats_enabled says), its ring buffer, its process: named
 * kvmsr_process_*, not process_*, which node_exporter serves for itself and
 * would refuse from a textfile.
 */
static void render_self(FILE *f, const struct metrics_self *m)
{
	head(f, "kvmsr_bpf_stats_enabled", "gauge", "1 while the kernel counts BPF program "
	     "run time (serve --bpf-stats, or sysctl kernel.bpf_stats_enabled): only then are "
	     "the kvmsr_bpf_prog_* series exported.");
	fprintf(f, "kvmsr_bpf_stats_enabled %d\n", m->bpf_stats);
	if (m->bpf_stats) {
		per_prog(f, m, "kvmsr_bpf_prog_runs_total", "Runs of each of kvmsr's BPF "
			 "programs.", PROG_RUNS);
		per_prog(f, m, "kvmsr_bpf_prog_run_seconds_total", "Time spent in each of "
			 "kvmsr's BPF programs (on the host's CPUs, in the vCPU threads' "
			 "path).", PROG_SECONDS);
		per_prog(f, m, "kvmsr_bpf_prog_misses_total", "Runs of each program the kernel "
			 "skipped (recursion).", PROG_MISSES);
	}
	head(f, "kvmsr_ringbuf_records_total", "counter", "Ring-buffer records kvmsr read.");
	fprintf(f, "kvmsr_ringbuf_records_total %llu\n", (unsigned long long)m->records);
	if (m->ring_known) {
		head(f, "kvmsr_ringbuf_used_bytes", "gauge", "Ring-buffer bytes queued and not "
		     "read yet (records are lost when it is full).");
		fprintf(f, "kvmsr_ringbuf_used_bytes %llu\n", (unsigned long long)m->ring_used);
		head(f, "kvmsr_ringbuf_size_bytes", "gauge", "The ring buffer's size.");
		fprintf(f, "kvmsr_ringbuf_size_bytes %llu\n", (unsigned long long)m->ring_size);
	}
	head(f, "kvmsr_scrape_collect_seconds", "gauge", "Time this answer took to read the "
	     "BPF maps.");
	fprintf(f, "kvmsr_scrape_collect_seconds %.9f\n", m->collect_seconds);
	head(f, "kvmsr_process_cpu_seconds_total", "counter", "User and system CPU time kvmsr spent.");
	fprintf(f, "kvmsr_process_cpu_seconds_total %.6f\n", m->cpu_seconds);
	head(f, "kvmsr_process_resident_memory_bytes", "gauge", "kvmsr's resident memory.");
	fprintf(f, "kvmsr_process_resident_memory_bytes %llu\n", (unsigned long long)m->rss_bytes);
	head(f, "kvmsr_process_start_time_seconds", "gauge", "When kvmsr started, in seconds since "
	     "the epoch.");
	fprintf(f, "kvmsr_process_start_time_seconds %.3f\n", m->start_time);
}

void metrics_render(FILE *f, const struct analyzer *a, const struct run_info *ri,
		    const struct metrics_info *mi)
{
	head(f, "kvmsr_info", "gauge", "kvmsr's version, attach backend, the kernel and its "
	     "KVM mode; always 1.");
	fputs("kvmsr_info{version=", f);
	label(f, mi->version);
	fputs(",backend=", f);
	label(f, ri->backend);
	fputs(",kernel=", f);
	label(f, mi->kernel);
	fputs(",kvm_mode=", f);
	label(f, ri->kvm_mode);
	fprintf(f, ",sysregs_deferred=\"%s\"} 1\n", ri->defers ? "true" : "false");

	PER_VCPU("kvmsr_vcpu_loads_total", "vCPU loads (kvm_arch_vcpu_load).", v->loads);
	PER_VCPU("kvmsr_vcpu_puts_total", "vCPU puts (kvm_arch_vcpu_put).", v->puts);
	PER_VCPU("kvmsr_vcpu_sysregs_loaded_seconds_total", "Time the vCPU's EL1 sysregs "
		 "were on the CPU (closed load-put intervals).", v->loaded_ns / 1e9);
	PER_VCPU("kvmsr_vcpu_resident_seconds_total", "Time between a vCPU's load and put, "
		 "sysregs on the CPU or not.", v->resident_ns / 1e9);
	loaded_histogram(f, a, ri->vms);
	accessor_calls(f, a, ri->vms);

	head(f, "kvmsr_accessor_sampling_ratio", "gauge", "Share of the time the accessor "
	     "probes were attached (1 = every call counted).");
	fprintf(f, "kvmsr_accessor_sampling_ratio %.6f\n", mi->sampling_ratio);
	head(f, "kvmsr_findings_total", "counter", "Findings by kind: confirmed stale-read, "
	     "lost-write, direct-access; warn and bug hits; imbalances.");
	for (int k = 0; k < FIND__MAX; k++)
		fprintf(f, "kvmsr_findings_total{kind=\"%s\"} %llu\n", finding_kind_name(k),
			(unsigned long long)a->findings[k]);
	head(f, "kvmsr_lost_records_total", "counter", "Ring-buffer records the kernel could "
	     "not queue (the counts above are low by as much).");
	fprintf(f, "kvmsr_lost_records_total %llu\n", (unsigned long long)ri->lost);
	head(f, "kvmsr_probe_misses_total", "counter", "Program runs the kernel skipped "
	     "(BPF recursion protection).");
	fprintf(f, "kvmsr_probe_misses_total %llu\n", (unsigned long long)ri->probe_misses);
	if (mi->http) {
		head(f, "kvmsr_http_clients_dropped_total", "counter", "Connections to /metrics "
		     "closed without their answer, by reason: slow (request or answer not done "
		     "in time), idle (nothing sent in time), cap (too many connections), "
		     "malformed (answered 400).");
		for (int r = 0; r < HTTP_DROP__MAX; r++)
			fprintf(f, "kvmsr_http_clients_dropped_total{reason=\"%s\"} %llu\n",
				http_drop_name(r), (unsigned long long)mi->http->dropped[r]);
	}
	if (mi->self)
		render_self(f, mi->self);
}
