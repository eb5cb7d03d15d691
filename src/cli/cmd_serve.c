// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr serve: the counting stat as a Prometheus exporter, to leave on:
 * GET /metrics (--listen) and/or a node_exporter textfile (--textfile).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "probe/agg.h"
#include "output/http.h"
#include "output/metrics.h"
#include "recording/outfile.h"
#include "cli/privs.h"
#include "cli/stat_run.h"

struct serve_ctx {
	struct stat_ctx st;	/* first: stat_owner() */
	int http_fd;
	struct http_server *http;	/* --listen: owns http_fd */
	double start_time;	/* wall clock at start, seconds since the epoch */
};

#define SERVE_MAX_PROGS 64

/* kvmsr's process: CPU time and resident memory (the kvmsr_process_* metrics). */
static void process_facts(struct metrics_self *m)
{
	unsigned long long size, resident;
	uint64_t cpu[2];
	FILE *f;

	cpu_used_us(cpu);
	m->cpu_seconds = (cpu[0] + cpu[1]) / 1e6;
	f = fopen("/proc/self/statm", "r");
	if (f && fscanf(f, "%llu %llu", &size, &resident) == 2)
		m->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
	if (f)
		fclose(f);
}

/* What kvmsr itself costs: its programs, its ring buffer, its process. */
static void self_facts(struct serve_ctx *sv, struct session *s, struct metrics_self *m,
		       struct metrics_prog *progs)
{
	struct session_prog_stat ps[SERVE_MAX_PROGS];
	uint64_t bytes;
	int n;

	m->bpf_stats = session_prog_stats_on(s);
	n = m->bpf_stats ? session_prog_stats(s, ps, SERVE_MAX_PROGS) : 0;
	for (int i = 0; i < n; i++)
		progs[i] = (struct metrics_prog){ ps[i].name, ps[i].run_cnt, ps[i].run_time_ns,
						  ps[i].misses };
	m->progs = progs;
	m->nr_progs = n;
	session_stream_stats(s, &m->records, &bytes);
	m->ring_known = session_ring_fill(s, &m->ring_used, &m->ring_size);
	m->start_time = sv->start_time;
	process_facts(m);
}

static bool vm_alive(uint32_t pid)
{
	return !(kill(pid, 0) && errno == ESRCH);
}

/* The metrics of now; the vCPUs of VMs that are gone are dropped first. */
static void render_metrics(void *ctx, FILE *f)
{
	struct stat_ctx *st = ctx;
	struct serve_ctx *sv = stat_owner(st, struct serve_ctx);
	struct metrics_prog progs[SERVE_MAX_PROGS];
	struct metrics_self self = { 0 };
	struct metrics_info mi = { .kernel = st->si.release, .version = KVMSR_VERSION,
				   .http = sv->http ? http_server_stats(sv->http) : NULL,
				   .self = &self };
	struct analyzer snap, *a;
	struct run_info ri;
	uint64_t elapsed = st->elapsed_ns, t0 = now_ns();

	agg_prune(st->s, vm_alive);
	/* Names too: the vm labels stay as many as the VMs that are there. */
	vmident_prune(st->p.sy.vm, vm_alive);
	a = stat_current(st, st->s, elapsed, &snap, &ri);
	self.collect_seconds = (now_ns() - t0) / 1e9;
	self_facts(sv, st->s, &self, progs);
	mi.sampling_ratio = st->cli->sample_pct == 100 ? 1.0 :
			    elapsed ? (double)st->sampled_ns / elapsed : 0.0;
	metrics_render(f, a, &ri, &mi);
	if (a == &snap)
		analyzer_free(&snap);
}

/*
 * node_exporter's textfile collector: rewritten atomically (outfile.h: a
 * temporary file beside it, renamed over it), 0600 when new; -errno.
 */
static int write_textfile(struct stat_ctx *st)
{
	struct outfile o;
	char err[1024];
	FILE *f;
	int e;

	e = outfile_open(&o, st->cli->textfile, -1, err, sizeof(err));
	if (e) {
		fprintf(stderr, "kvmsr: %s\n", err);
		return e;
	}
	f = outfile_stream(&o);
	if (f)
		render_metrics(st, f);
	e = outfile_commit(&o, f ? 0 : -ENOMEM, err, sizeof(err));
	if (e)
		fprintf(stderr, "kvmsr: %s\n", err);
	return e;
}

/* Before anything is loaded: the textfile's directory takes a file, --listen is bound. */
static int serve_setup(struct stat_ctx *st)
{
	struct serve_ctx *sv = stat_owner(st, struct serve_ctx);
	char herr[1024];
	struct outfile o;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	sv->start_time = ts.tv_sec + ts.tv_nsec / 1e9;
	if (st->cli->textfile) {
		if (outfile_open(&o, st->cli->textfile, -1, herr, sizeof(herr))) {
			fprintf(stderr, "kvmsr: %s\n", herr);
			return EXIT_ERROR;
		}
		outfile_discard(&o);
	}
	if (!st->cli->listen)
		return EXIT_OK;
	sv->http_fd = http_listen(st->cli->listen, herr, sizeof(herr));
	if (sv->http_fd < 0) {
		fprintf(stderr, "kvmsr: %s\n", herr);
		return EXIT_ERROR;
	}
	sv->http = http_server_new(sv->http_fd, NULL);
	if (!sv->http) {
		fprintf(stderr, "kvmsr: --listen: %s\n", strerror(ENOMEM));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/*
 * Attached: every capability serve will not use again goes (privs.h).
 * The kprobe backend attaches its VHE probes on demand, and its sampled
 * accessor probes every window: it keeps CAP_PERFMON.  --verbose says
 * what is left.
 */
static void serve_opened(struct stat_ctx *st, struct session *s)
{
	uint64_t keep = session_backend(s) == BACKEND_KPROBE ? PRIVS_CAP(CAP_PERFMON) : 0;
	int e = privs_keep_only(keep);

	if (e)
		fprintf(stderr, "kvmsr: cannot drop capabilities: %s\n", strerror(-e));
	else if (st->cli->verbose)
		fprintf(stderr, "kvmsr: capabilities left: %#llx\n",
			(unsigned long long)privs_effective());
}

/* Every turn of the loop: what the clients allow now, never waiting for one (http.h). */
static void serve_poll(struct stat_ctx *st, struct session *s)
{
	struct serve_ctx *sv = stat_owner(st, struct serve_ctx);

	if (sv->http)
		http_server_step(sv->http, render_metrics, st);
}

/* Every --interval: the textfile, never a report. */
static void serve_tick(struct stat_ctx *st, struct session *s, uint64_t elapsed_ns)
{
	if (st->cli->textfile)
		write_textfile(st);
}

/* And at the end, where a textfile that could not be written is an error. */
static int serve_finish(struct stat_ctx *st, const struct run_result *r)
{
	return st->cli->textfile && write_textfile(st) ? EXIT_ERROR : EXIT_OK;
}

static void serve_cleanup(struct stat_ctx *st)
{
	struct serve_ctx *sv = stat_owner(st, struct serve_ctx);

	if (sv->http)
		http_server_free(sv->http);	/* and http_fd */
	else if (sv->http_fd >= 0)
		close(sv->http_fd);
}

/* Counting stat, never printed: the metrics go out by HTTP and the textfile. */
static const struct stat_ext serve_ext = {
	.setup = serve_setup, .opened = serve_opened, .poll = serve_poll, .tick = serve_tick,
	.finish = serve_finish, .cleanup = serve_cleanup,
};

int cmd_serve(const struct cli *cli)
{
	struct serve_ctx sv = { .st = { .cli = cli, .ext = &serve_ext }, .http_fd = -1 };

	return stat_run(&sv.st);
}
