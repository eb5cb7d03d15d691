// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr stat: per-vCPU residency and accessor traffic.
 *
 * By default it counts in the kernel (BPF maps): loads, puts and loaded time
 * exactly, accessor calls in sampling windows, because probing every
 * accessor call costs more than a host can leave on.  Only WARN/BUG hits and
 * VM teardown are streamed.  --exact streams everything through the analyzer
 * instead, like trace.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "probe/agg.h"
#include "output/http.h"
#include "output/metrics.h"
#include "analysis/analyzer.h"
#include "analysis/findings.h"
#include "recording/recorder.h"
#include "output/summary.h"
#include "cli/runner.h"
#include "probe/sysinfo.h"

/* Accessor probes are attached for sample_pct % of every period. */
#define WINDOW_PERIOD_NS 2000000000ull
/* Enough VHE load/put calls to trust the learned SYSREGS_ON_CPU bit. */
#define CALIB_ENOUGH 8

struct stat_ctx {
	const struct cli *cli;
	struct regnames rn;
	struct analyzer an;	/* streamed events: all (--exact) or hits only */
	struct findings fs;
	struct sysinfo si;
	bool window_on;
	uint64_t window_start, sampled_ns, last_poll;
	bool calib_dropped;
	char sampling[160];
	struct recorder rec;	/* record: every event into cli->output */
	/* serve: the exporter */
	struct session *s;
	int http_fd;
	uint64_t elapsed_ns;
};

static void render_metrics(void *ctx, FILE *f);

static int on_event(void *ctx, const struct kvmsr_event *e)
{
	struct stat_ctx *st = ctx;

	if (st->cli->output)
		recorder_event(&st->rec, &st->fs, e);
	analyzer_feed(&st->an, e);
	return 0;
}

static void on_opened(void *ctx, struct session *s)
{
	struct stat_ctx *st = ctx;
	int e;

	st->fs.stacks_fd = session_stacks_fd(s);
	st->s = s;
	if (st->cli->output) {
		struct recorder_origin o = {
			.release = st->si.release, .machine = st->si.machine,
			.kvm_mode = kvm_mode_name(st->si.mode),
			.backend = backend_name(session_backend(s)), .notes = session_notes(s),
		};

		e = recorder_open(&st->rec, st->cli->output, &o, &st->rn, now_ns());
		if (e)
			fprintf(stderr, "kvmsr: cannot write %s: %s\n", st->cli->output,
				strerror(-e));
	}
	if (st->cli->exact)
		return;
	/* Counting mode: the accessor probes start detached unless always on. */
	st->window_on = st->cli->sample_pct > 0;
	if (st->cli->sample_pct < 100 && !st->window_on)
		session_set_accessors(s, false);
}

/* Open and close the accessor sampling window; drop calibration once learned. */
static void on_poll(void *ctx, struct session *s, uint64_t elapsed)
{
	struct stat_ctx *st = ctx;
	uint64_t in_period = elapsed % WINDOW_PERIOD_NS;
	bool want = in_period < WINDOW_PERIOD_NS / 100 * st->cli->sample_pct;
	uint32_t layout, samples, conflicts;

	if (st->cli->output)
		recorder_tick(&st->rec, session_lost(s));
	st->elapsed_ns = elapsed;
	if (st->http_fd >= 0)
		http_serve(st->http_fd, render_metrics, st);
	if (st->cli->exact)
		return;
	if (st->window_on && elapsed > st->last_poll)
		st->sampled_ns += elapsed - st->last_poll;
	st->last_poll = elapsed;
	if (st->cli->sample_pct > 0 && st->cli->sample_pct < 100 && want != st->window_on) {
		if (!session_set_accessors(s, want))
			st->window_on = want;
	}
	if (!st->calib_dropped) {
		session_on_cpu_mask(s, &layout, &samples, &conflicts);
		if (samples >= CALIB_ENOUGH && !conflicts) {
			session_drop_calibration(s);
			st->calib_dropped = true;
		}
	}
}

/*
 * What to report: in counting mode a snapshot of the BPF maps (into @snap,
 * with the hits and imbalances streamed meanwhile), else the stream's
 * analyzer.  The caller frees @snap when it is returned.
 */
static struct analyzer *current(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns,
				struct analyzer *snap, struct run_info *ri)
{
	fill_run_info(ri, s, &st->si, elapsed_ns);
	if (st->cli->exact)
		return &st->an;
	analyzer_init(snap);
	agg_snapshot(s, snap, now_ns(), st->cli->vcpu);
	memcpy(snap->findings, st->an.findings, sizeof(snap->findings));
	for (size_t i = 0; i < snap->nr_vcpus; i++) {
		snap->findings[FIND_DOUBLE_LOAD] += snap->vcpus[i].double_loads;
		snap->findings[FIND_ORPHAN_PUT] += snap->vcpus[i].orphan_puts;
	}
	/* Imbalances are counted in the kernel here, not streamed. */
	if ((st->fs.fail_mask & (1u << FIND_DOUBLE_LOAD) && snap->findings[FIND_DOUBLE_LOAD]) ||
	    (st->fs.fail_mask & (1u << FIND_ORPHAN_PUT) && snap->findings[FIND_ORPHAN_PUT]))
		st->fs.failed = true;
	snprintf(st->sampling, sizeof(st->sampling), "sampled: accessor probes attached "
		 "%.0f%% of the time (%.2f s of %.2f s; --sample 100 or --exact for all)",
		 elapsed_ns ? 100.0 * st->sampled_ns / elapsed_ns : 0.0,
		 st->sampled_ns / 1e9, elapsed_ns / 1e9);
	ri->sampling = st->cli->sample_pct == 100 ? "all calls counted in the kernel" :
		       st->sampling;
	return snap;
}

static void print(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns,
		  struct run_info *out)
{
	struct analyzer snap, *a;
	struct run_info ri;

	a = current(st, s, elapsed_ns, &snap, &ri);
	if (st->cli->json) {
		ri.finding_json = st->fs.kept;
		ri.nr_finding_json = st->fs.nr_kept;
		report_stat_json(stdout, a, &st->rn, &ri);
	} else {
		report_stat_text(stdout, a, &st->rn, &ri);
	}
	if (a == &snap)
		analyzer_free(&snap);
	fflush(stdout);
	if (out)
		*out = ri;
}

static bool vm_alive(uint32_t pid)
{
	return !(kill(pid, 0) && errno == ESRCH);
}

/* serve: the metrics of now; the vCPUs of VMs that are gone are dropped first. */
static void render_metrics(void *ctx, FILE *f)
{
	struct stat_ctx *st = ctx;
	struct metrics_info mi = { .kernel = st->si.release, .version = "0.1" };
	struct analyzer snap, *a;
	struct run_info ri;
	uint64_t elapsed = st->elapsed_ns;

	agg_prune(st->s, vm_alive);
	a = current(st, st->s, elapsed, &snap, &ri);
	mi.sampling_ratio = st->cli->sample_pct == 100 ? 1.0 :
			    elapsed ? (double)st->sampled_ns / elapsed : 0.0;
	metrics_render(f, a, &ri, &mi);
	if (a == &snap)
		analyzer_free(&snap);
}

/* node_exporter's textfile collector: rewrite atomically (write, rename). */
static void write_textfile(struct stat_ctx *st)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", st->cli->textfile, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "kvmsr: cannot write %s: %s\n", tmp, strerror(errno));
		return;
	}
	render_metrics(st, f);
	if (fclose(f) || rename(tmp, st->cli->textfile)) {
		fprintf(stderr, "kvmsr: cannot write %s: %s\n", st->cli->textfile,
			strerror(errno));
		unlink(tmp);
	}
}

static void on_tick(void *ctx, struct session *s, uint64_t elapsed_ns)
{
	struct stat_ctx *st = ctx;

	if (st->cli->serve) {
		if (st->cli->textfile)
			write_textfile(st);
		return;
	}
	if (!st->cli->json)
		printf("\n--- after %.1f s\n", elapsed_ns / 1e9);
	print(st, s, elapsed_ns, NULL);
}

int cmd_stat(const struct cli *cli)
{
	struct stat_ctx st = { .cli = cli, .http_fd = -1 };
	struct run_hooks h = { .tick = on_tick, .opened = on_opened, .poll = on_poll,
			       .ctx = &st };
	struct session_config cfg;
	struct run_result r;
	struct run_info ri;
	struct session *s = NULL;
	int err;

	sysinfo_read(&st.si);
	err = prepare_run(cli, &st.rn, &cfg, on_event, &st);
	if (err)
		return err;
	cfg.aggregate = !cli->exact;
	/* stat is for always-on use: no stacks; a recording and --context keep them. */
	cfg.stacks = cli->output != NULL || cli->context > 0;
	cfg.context = cli->exact && cli->context > 0;
	if (cli->output && recorder_check(cli->output)) {
		regnames_free(&st.rn);
		return EXIT_ERROR;
	}
	if (cli->listen) {
		char herr[256];

		st.http_fd = http_listen(cli->listen, herr, sizeof(herr));
		if (st.http_fd < 0) {
			fprintf(stderr, "kvmsr: %s\n", herr);
			regnames_free(&st.rn);
			return EXIT_ERROR;
		}
	}
	analyzer_init(&st.an);
	findings_init(&st.fs, &st.rn, cli->json, NULL, cli->fail_mask);
	setup_detection(&st.an, &st.fs, cli->context);
	err = run_session(cli, &s, &cfg, &h, &r);
	if (!err) {
		on_poll(&st, s, r.end_ns - r.start_ns);
		analyzer_finish(&st.an, r.end_ns);
		if (cli->serve && cli->textfile)
			write_textfile(&st);
		if (!cli->json && !cli->serve)
			printf("\n--- total, %.3f s\n", (r.end_ns - r.start_ns) / 1e9);
		if (!cli->serve)
			print(&st, s, r.end_ns - r.start_ns, &ri);
		if (!cli->json && !cli->serve)
			findings_print_kept(&st.fs, stdout);
		if (cli->output && recorder_close(&st.rec, &ri, r.end_ns)) {
			fprintf(stderr, "kvmsr: writing %s failed\n", cli->output);
			err = EXIT_ERROR;
		}
		if (!err)
			err = child_exit_code(&r);
		if (st.fs.failed)
			err = EXIT_FINDINGS;
	}
	session_close(s);
	if (st.http_fd >= 0)
		close(st.http_fd);
	findings_free(&st.fs);
	analyzer_free(&st.an);
	regnames_free(&st.rn);
	return err;
}
