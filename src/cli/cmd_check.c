// SPDX-License-Identifier: GPL-2.0
/* kvmsr check: what this kernel offers and what kvmsr will do with it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "analysis/analyzer.h"
#include "probe/guest.h"
#include "output/summary.h"
#include "cli/runner.h"
#include "probe/sysinfo.h"

/* How struct kvm_vcpu_arch holds SYSREGS_ON_CPU on this kernel, from BTF. */
static void describe_flag(FILE *f)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	if (!btf) {
		fprintf(f, "loaded flag:  unknown (no kernel BTF)\n");
		return;
	}
	id = btf__find_by_name_kind(btf, "kvm_vcpu_arch", BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, m = t ? btf_members(t) : NULL; t && i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);

		if (!strcmp(name, "sysregs_loaded_on_cpu")) {
			fprintf(f, "loaded flag:  bool kvm_vcpu_arch.sysregs_loaded_on_cpu\n");
			break;
		}
		if (!strcmp(name, "sflags")) {
			fprintf(f, "loaded flag:  SYSREGS_ON_CPU bit of kvm_vcpu_arch.sflags (%lld "
				"byte%s); the bit is learned from the VHE load/put functions\n",
				(long long)btf__resolve_size(btf, m->type),
				btf__resolve_size(btf, m->type) > 1 ? "s" : "");
			break;
		}
	}
	if (!t || i == btf_vlen(t))
		fprintf(f, "loaded flag:  not found in struct kvm_vcpu_arch\n");
	btf__free(btf);
}

static void describe_targets(FILE *f, const struct targets *tg)
{
	fprintf(f, "attach targets:\n");
	for (int i = 0; i < TGT__MAX; i++) {
		const struct target *t = &tg->t[i];

		fprintf(f, "  %-16s %-28s %s\n", t->role, t->name ? t->name : t->wanted,
			!t->name ? (t->required ? "MISSING" : "absent (optional)") :
			t->traceable < 0 ? "found (traceability unknown: no tracefs)" :
			"found, traceable");
	}
}

struct probe_ctx {
	struct analyzer an;
	uint64_t ttbr0_exact;	/* TTBR0_EL1 writes carrying the guest's value */
	uint64_t next_iter;
	uint64_t located[2];	/* loaded accessor calls the kernel located: [1] on the CPU */
	int ttbr0_reg;
};

static int probe_event(void *ctx, const struct kvmsr_event *e)
{
	struct probe_ctx *p = ctx;

	analyzer_feed(&p->an, e);
	if ((e->type == KVMSR_EV_READ || e->type == KVMSR_EV_WRITE) &&
	    (e->flags & KVMSR_F_LOC) && (e->flags & KVMSR_F_LOADED))
		p->located[!!(e->loc & KVMSR_LOC_LOADED)]++;
	if (e->type == KVMSR_EV_WRITE && e->reg == p->ttbr0_reg &&
	    e->val == guest_ttbr0(0, p->next_iter)) {
		p->ttbr0_exact++;
		p->next_iter++;
	}
	return 0;
}

/* What the probes saw of the probe guest; EXIT_ERROR if loads or puts are missing. */
static int print_self_test(struct probe_ctx *p, const struct guest_probe_result *g,
			   const struct session *s, const struct sysinfo *si)
{
	struct vcpu_stats sum;
	struct run_info ri;
	uint64_t traps, seen;

	analyzer_totals(&p->an, &sum);
	fill_run_info(&ri, s, si, 0);
	coverage_ratio(&p->an, &traps, &seen);
	printf("self-test:    a %u-iteration probe guest ran %llu KVM_RUN calls; kvmsr saw "
	       "%llu loads, %llu puts%s\n", g->iters, (unsigned long long)g->runs,
	       (unsigned long long)sum.loads, (unsigned long long)sum.puts,
	       sum.loads >= g->runs && sum.loads == sum.puts ? "" : "  MISMATCH");
	if (ri.defers)
		printf("              SYSREGS_ON_CPU: sflags mask %#x, %s; %.1f ms loaded\n",
		       ri.on_cpu_mask, ri.mask_learned ? "learned at run time" :
		       "NOT learned (assumed from the version)", sum.loaded_ns / 1e6);
	else
		printf("              sysregs never went onto the CPU: not deferred in this "
		       "mode\n");
	printf("              accessor coverage: %llu of %llu trapped accesses to "
	       "memory-backed registers reached a probed accessor (%.0f%%)%s\n",
	       (unsigned long long)seen, (unsigned long long)traps,
	       traps ? 100.0 * seen / traps : 0.0,
	       !session_traps(s) ? " (unknown: no kvm:kvm_sys_access)" :
	       seen < traps ? ": WARNING, calls the probes cannot see (inlined?)" : "");
	printf("              the guest's %u TTBR0_EL1 writes seen with their exact values "
	       "at vcpu_write_sys_reg: %llu\n", g->iters, (unsigned long long)p->ttbr0_exact);
	if (session_backend(s) == BACKEND_TRACEPOINT)
		printf("              exact locations (kernel tracepoints): of the accessor calls "
		       "made while loaded, %llu were served from the CPU, %llu from memory\n",
		       (unsigned long long)p->located[1], (unsigned long long)p->located[0]);
	return sum.loads < g->runs || sum.loads != sum.puts ? EXIT_ERROR : EXIT_OK;
}

/*
 * Run a tiny guest of our own under kvmsr (retsnoop-style calibration): it
 * proves the probes fire, learns SYSREGS_ON_CPU and measures how much of the
 * trapped sysreg traffic reaches a probed accessor on this very kernel.
 */
static int self_test(const struct cli *cli, const struct sysinfo *si)
{
	struct session_config cfg = { .backend = cli->backend, .vcpu = -1,
				      .verbose = cli->verbose, .pid = getpid(),
				      .cb = probe_event };
	struct guest_probe_result g;
	struct probe_ctx p = { .ttbr0_reg = -1 };
	struct regnames rn;
	char err[SESSION_TEXT];
	struct session *s = NULL;
	int rc = EXIT_OK;

	if (!si->dev_kvm) {
		printf("self-test:    skipped (no /dev/kvm)\n");
		return EXIT_OK;
	}
	if (regnames_load(&rn, NULL))
		return EXIT_ERROR;
	p.ttbr0_reg = regnames_find(&rn, "TTBR0_EL1");
	cfg.ctx = &p;
	analyzer_init(&p.an);
	if (start_session(&s, &cfg, err, sizeof(err))) {
		printf("self-test:    not run: %s\n", err);
		rc = EXIT_ERROR;
		goto out;
	}
	if (guest_probe_run(GUEST_PROBE_ITERS, &g, err, sizeof(err)) || !g.match) {
		printf("self-test:    the probe guest failed: %s\n", err);
		rc = EXIT_ERROR;
	}
	while (session_poll(s, 0) > 0)
		;
	analyzer_finish(&p.an, now_ns());
	if (print_self_test(&p, &g, s, si))
		rc = EXIT_ERROR;
out:
	session_close(s);
	analyzer_free(&p.an);
	regnames_free(&rn);
	return rc;
}

/* The kernel, its KVM mode, registers and tracepoints; EXIT_ERROR if no registers. */
static int describe_kernel(const struct sysinfo *si)
{
	struct regnames rn;
	int rc = EXIT_OK, sctlr;

	printf("kernel:       %s (%s)\n", si->release, si->machine);
	printf("BTF:          %s\n", si->btf ? "yes, /sys/kernel/btf/vmlinux" : "NO: kvmsr needs "
	       "CONFIG_DEBUG_INFO_BTF");
	printf("/dev/kvm:     %s\n", si->dev_kvm ? "yes" : "no");
	printf("KVM mode:     %s (%s)%s\n", kvm_mode_name(si->mode), si->mode_source,
	       kvm_mode_defers(si->mode) ? ": EL1 sysregs are deferred to vcpu load/put" :
	       si->mode == KVM_MODE_UNKNOWN ? "" :
	       ": sysregs are switched on every entry/exit, nothing is deferred");
	if (strcmp(si->machine, "aarch64"))
		printf("WARNING: kvmsr traces arm64 KVM; this is %s\n", si->machine);
	if (!regnames_load(&rn, NULL)) {
		sctlr = regnames_find(&rn, "SCTLR_EL1");
		printf("registers:    enum vcpu_sysreg from BTF, highest index %d (SCTLR_EL1=%d)\n",
		       rn.count - 1, sctlr);
		regnames_free(&rn);
	} else {
		printf("registers:    NO enum vcpu_sysreg in the kernel's BTF\n");
		rc = EXIT_ERROR;
	}
	describe_flag(stdout);
	printf("tracepoints:  kvm:kvm_sys_access %s, kvm:kvm_entry %s\n",
	       kernel_has_btf_tracepoint("kvm_sys_access") ? "yes" : "no",
	       kernel_has_btf_tracepoint("kvm_entry") ? "yes" : "no");
	printf("kvmsr series: kvm_vcpu_{load,put,read_sys_reg,write_sys_reg}_tp %s; "
	       "kvm_vcpu_sys_reg_direct_tp %s\n",
	       kernel_has_kvmsr_tracepoints() ? "yes: every accessor call with its exact "
	       "location (memory or CPU)" : "no (stock kernel: locations are inferred)",
	       kernel_has_btf_tracepoint("kvm_vcpu_sys_reg_direct_tp") ? "yes: direct uses of "
	       "a loaded register's memory copy are reported" : "no");
	return rc;
}

int cmd_check(const struct cli *cli)
{
	struct session_config cfg = { .backend = cli->backend, .vcpu = -1,
				      .verbose = cli->verbose };
	char err[SESSION_TEXT];
	struct sysinfo si;
	struct session *s;
	int rc;

	sysinfo_read(&si);
	rc = describe_kernel(&si);
	if (start_session(&s, &cfg, err, sizeof(err))) {
		if (s)
			describe_targets(stdout, session_targets(s));
		printf("backend:      NONE: %s\n", err);
		session_close(s);
		return EXIT_ERROR;
	}
	describe_targets(stdout, session_targets(s));
	printf("backend:      %s\n", session_why(s));
	if (session_notes(s)[0])
		printf("coverage:     WARNING: %s\n", session_notes(s));
	session_close(s);
	if (!cli->no_probe && self_test(cli, &si))
		rc = EXIT_ERROR;
	return rc;
}
