// SPDX-License-Identifier: GPL-2.0
/* The shared event loop (runner.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "cli/runner.h"
#include "analysis/regclass.h"
#include "output/summary.h"
#include "probe/sysinfo.h"
#include "symbols/vmident.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * --vm NAME: the pid of the one running VMM whose VM has that name or UUID
 * (symbols/vmident.h), once, at start: the BPF side filters by pid.  0, or
 * -errno said on stderr.
 */
static int vm_pid(const char *name, uint32_t *pid)
{
	uint32_t pids[8];
	int n = vmident_find("/proc", name, pids, 8);

	if (n == 1) {
		*pid = pids[0];
		return 0;
	}
	if (n < 0)
		fprintf(stderr, "kvmsr: --vm: cannot read /proc: %s\n", strerror(-n));
	else if (!n)
		fprintf(stderr, "kvmsr: --vm: no running VM is named '%s' (QEMU's -name or "
			"-uuid, the libvirt domain or the VMM's process name of a process with a "
			"KVM VM); it must run when kvmsr starts\n", name);
	else {
		fprintf(stderr, "kvmsr: --vm: %d VMs are named '%s' (pids", n, name);
		for (int i = 0; i < n && i < 8; i++)
			fprintf(stderr, " %u", pids[i]);
		fprintf(stderr, "%s): choose one with --pid\n", n > 8 ? " ..." : "");
	}
	return n < 0 ? n : -ESRCH;
}

static int config_from_cli(const struct cli *cli, const struct regnames *rn,
			   struct session_config *cfg)
{
	char *list, *tok, *save = NULL;

	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = cli->backend;
	cfg->pid = cli->pid;
	if (cli->vm && vm_pid(cli->vm, &cfg->pid))
		return -ESRCH;
	cfg->vcpu = cli->vcpu;
	cfg->verbose = cli->verbose;
	cfg->ring_bytes = cli->ring_mib << 20;
	if (!cli->regs)
		return 0;
	list = strdup(cli->regs);
	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int idx = regnames_find(rn, tok);

		if (idx < 0) {
			fprintf(stderr, "kvmsr: --reg: this kernel's enum vcpu_sysreg has no "
				"register '%s'\n", tok);
			free(list);
			return -EINVAL;
		}
		cfg->reg_bitmap[idx / 64] |= 1ull << (idx % 64);
		cfg->filter_regs = true;
	}
	free(list);
	/* An empty list is not "no registers" (main.c refuses it first). */
	if (!cfg->filter_regs) {
		fprintf(stderr, "kvmsr: --reg names no register\n");
		return -EINVAL;
	}
	return 0;
}

int prepare_run(const struct cli *cli, struct regnames *rn, struct session_config *cfg,
		session_cb cb, void *ctx)
{
	if (regnames_load(rn, NULL)) {
		fprintf(stderr, "kvmsr: this kernel's BTF has no enum vcpu_sysreg: not an arm64 "
			"KVM kernel, or no BTF (/sys/kernel/btf/vmlinux)\n");
		return EXIT_ERROR;
	}
	if (config_from_cli(cli, rn, cfg)) {
		regnames_free(rn);
		return EXIT_USAGE;
	}
	/*
	 * Registers the put may own: the only ones that can become findings;
	 * writes of the EL2 ones may change them (NV): both always streamed.
	 */
	for (int i = 0; i < rn->count && i < KVMSR_MAX_REGS; i++) {
		uint8_t c = regclass_of(rn->name[i]);

		if (c & (RC_DEFERRED | RC_DEFERRED_SOME))
			cfg->checked_regs[i / 64] |= 1ull << (i % 64);
		if (c & (RC_DEFERRED | RC_DEFERRED_SOME | RC_NV_ALIAS))
			cfg->stream_writes[i / 64] |= 1ull << (i % 64);
	}
	cfg->cb = cb;
	cfg->ctx = ctx;
	return EXIT_OK;
}

/* Fork the command, parked on a pipe until the probes are in place. */
static pid_t spawn_parked(char **argv, int *gate)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;

		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(126);	/* kvmsr gave up before attaching */
		close(fds[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "kvmsr: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*gate = fds[1];
	return pid;
}

int child_exit_code(const struct run_result *r)
{
	int st = r->child_status;

	if (!r->child_ran)
		return EXIT_OK;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return EXIT_OK;
	if (WIFEXITED(st))
		fprintf(stderr, "kvmsr: the command exited with status %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		fprintf(stderr, "kvmsr: the command was killed by signal %d\n", WTERMSIG(st));
	return EXIT_CMD_FAILED;
}

/* The final drain after a stop: at most this long. */
#define DRAIN_NS 250000000ull

/* A command being run under kvmsr: 0 if none (or reaped), and its gate. */
struct child {
	pid_t pid;
	int gate;
};

/* Start the command held at its gate, if there is one; EXIT_* code. */
static int start_child(const struct cli *cli, struct child *c)
{
	c->pid = 0;
	c->gate = -1;
	if (!cli->cmd)
		return EXIT_OK;
	c->pid = spawn_parked(cli->cmd, &c->gate);
	if (c->pid < 0) {
		fprintf(stderr, "kvmsr: cannot start %s: %s\n", cli->cmd[0], strerror(errno));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int start_session(struct session **s, const struct session_config *cfg, char *err, size_t len)
{
	*s = session_new(cfg);
	if (!*s) {
		snprintf(err, len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return session_open(*s, err, len);
}

/* Open and attach the session; on failure the parked command never runs. */
static int open_session(struct session **s, const struct session_config *cfg,
			const struct child *c)
{
	char err[SESSION_TEXT];

	if (!start_session(s, cfg, err, sizeof(err)))
		return EXIT_OK;
	fprintf(stderr, "kvmsr: %s\n", err);
	if (c->pid > 0) {
		close(c->gate);
		waitpid(c->pid, NULL, 0);
	}
	return EXIT_ERROR;
}

/* Release the parked command: the probes are in place. */
static void release_child(const struct child *c, struct run_result *r)
{
	if (c->pid <= 0)
		return;
	if (write(c->gate, "g", 1) != 1)
		fprintf(stderr, "kvmsr: cannot release the command: %s\n", strerror(errno));
	close(c->gate);
	r->child_ran = true;
}

/* The reader thread's own CPU time: a gap without it was spent off the CPU. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Before a drain: how long since the last one (and how much of it the
 * reader spent on the CPU), how full the ring is, and whether records were
 * lost yet.  A clock read, two loads from a mapped page and one from the
 * BPF side's .bss: nothing next to the drain itself.
 */
static void note_reader(const struct session *s, struct run_result *r, uint64_t t,
			uint64_t *last, uint64_t *last_cpu)
{
	uint64_t used, size, cpu = thread_cpu_ns();

	if (t - *last > r->max_gap_ns) {
		r->max_gap_ns = t - *last;
		r->max_gap_cpu_ns = cpu - *last_cpu;
		r->max_gap_end_ns = t - r->start_ns;
	}
	*last = t;
	*last_cpu = cpu;
	if (session_ring_fill(s, &used, &size) && used > r->peak_fill)
		r->peak_fill = used;
	if (!r->first_loss_ns && session_lost(s))
		r->first_loss_ns = t - r->start_ns;
}

/* Poll until a signal, --duration or the command's exit; hooks on the way. */
static void poll_until_stop(const struct cli *cli, struct session *s, const struct run_hooks *h,
			    struct run_result *r, struct child *c)
{
	uint64_t deadline = 0, next_tick = 0, last = r->start_ns, last_cpu = thread_cpu_ns();
	bool more = false;
	int n;

	if (cli->duration > 0)
		deadline = r->start_ns + (uint64_t)(cli->duration * 1e9);
	if (h->tick && cli->interval > 0)
		next_tick = r->start_ns + (uint64_t)(cli->interval * 1e9);
	while (!stop_requested) {
		uint64_t t = now_ns();

		note_reader(s, r, t, &last, &last_cpu);

		/*
		 * The BPF side never wakes us for the stream: drain every 50 ms,
		 * and at once again while a drain ends on its budget (more is
		 * waiting): a 50 ms nap per budget capped the reader at 16384
		 * records per 50 ms, below what two busy vCPUs make.
		 */
		n = session_poll(s, more ? 0 : 50);
		if (n < 0) {
			fprintf(stderr, "kvmsr: reading events failed: %s\n", strerror(-n));
			break;
		}
		more = n >= SESSION_POLL_BUDGET;
		if (h->drained && !more)
			h->drained(h->stream, t);
		t = now_ns();
		if (h->poll)
			h->poll(h->ctx, s, t - r->start_ns);
		if (next_tick && t >= next_tick) {
			h->tick(h->ctx, s, t - r->start_ns);
			next_tick += (uint64_t)(cli->interval * 1e9);
		}
		if (deadline && t >= deadline)
			break;
		if (c->pid > 0 && waitpid(c->pid, &r->child_status, WNOHANG) == c->pid) {
			c->pid = 0;
			break;
		}
	}
}

/*
 * Drain what the kernel queued before we stopped, but not forever: a VM
 * that keeps running keeps queueing.  What comes after the stop belongs to
 * no report.  Then stop the command if it still runs: we started it.
 */
static void drain_and_reap(struct session *s, struct run_result *r, const struct child *c)
{
	uint64_t t_stop = now_ns();

	while (session_poll(s, 0) > 0 && now_ns() - t_stop < DRAIN_NS)
		;
	r->end_ns = now_ns();
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, &r->child_status, 0);
	}
}

void cpu_used_us(uint64_t us[2])
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	us[0] = (uint64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
	us[1] = (uint64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

/*
 * KVMSR_PROG_STATS=1 (make bench): what each BPF program cost, one line
 * each on stderr after the run.  The kernel times programs only while its
 * statistics are on, which costs something itself: the bench measures with
 * and without.
 */
static void print_prog_stats(const struct session *s)
{
	struct session_prog_stat ps[64];
	int n = session_prog_stats(s, ps, 64);

	for (int i = 0; i < n; i++)
		fprintf(stderr, "kvmsr: prog-stats prog=%s run_cnt=%llu run_time_ns=%llu "
			"misses=%llu\n", ps[i].name, (unsigned long long)ps[i].run_cnt,
			(unsigned long long)ps[i].run_time_ns, (unsigned long long)ps[i].misses);
}

/*
 * KVMSR_PROG_STATS or KVMSR_STREAM_STATS (free: make bench sets it on every
 * run): what reached user space, the reader's health (where a lossy run
 * lost) and the CPU time kvmsr itself took while the command ran (its
 * reader, analyzer and formatting compete with the vCPUs for the host's
 * CPUs; set-up excluded).
 */
static void print_stream_stats(const struct session *s, const struct run_result *r)
{
	uint64_t records, bytes, cpu[2], used, size = 0;

	session_stream_stats(s, &records, &bytes);
	session_ring_fill(s, &used, &size);
	cpu_used_us(cpu);
	fprintf(stderr, "kvmsr: stream-stats records=%llu bytes=%llu lost=%llu elapsed_ns=%llu "
		"user_us=%llu sys_us=%llu max_gap_ns=%llu max_gap_cpu_ns=%llu max_gap_end_ns=%llu "
		"peak_fill=%llu ring_bytes=%llu first_loss_ns=%llu\n",
		(unsigned long long)records, (unsigned long long)bytes,
		(unsigned long long)session_lost(s), (unsigned long long)(r->end_ns - r->start_ns),
		(unsigned long long)(cpu[0] - r->start_cpu_us[0]),
		(unsigned long long)(cpu[1] - r->start_cpu_us[1]),
		(unsigned long long)r->max_gap_ns, (unsigned long long)r->max_gap_cpu_ns,
		(unsigned long long)r->max_gap_end_ns, (unsigned long long)r->peak_fill,
		(unsigned long long)size, (unsigned long long)r->first_loss_ns);
}

/*
 * The reader of a stream ahead of the vCPU threads: on a host whose CPUs
 * all run vCPUs, a reader at their priority gets a share of a CPU and
 * drops records (make bench: 1.1 M of 1.5 M with two busy vCPUs on two
 * CPUs).  Only kvmsr itself, after the command was forked (it keeps the
 * caller's priority); unprivileged, the attempt fails and nothing changes.
 */
#define STREAM_NICE (-10)

static void prefer_reader(void)
{
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) > STREAM_NICE && !errno)
		setpriority(PRIO_PROCESS, 0, STREAM_NICE);
}

/* An environment switch: set, and neither empty nor "0". */
static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

int run_session(const struct cli *cli, struct session **s, struct session_config *cfg,
		const struct run_hooks *h, struct run_result *r)
{
	bool print_stats = env_set("KVMSR_PROG_STATS");

	struct child c;

	memset(r, 0, sizeof(*r));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	cfg->prog_stats = print_stats || cli->bpf_stats;
	if (start_child(cli, &c) || open_session(s, cfg, &c))
		return EXIT_ERROR;
	if (!cfg->aggregate)
		prefer_reader();
	if (h->opened)
		h->opened(h->ctx, *s);
	/* Scripts wait for this line before starting their workload. */
	fprintf(stderr, "kvmsr: attached (%s backend); %s\n",
		backend_name(session_backend(*s)), cli->cmd ? "running the command" :
		"Ctrl-C to stop");
	r->start_ns = now_ns();
	cpu_used_us(r->start_cpu_us);
	release_child(&c, r);
	poll_until_stop(cli, *s, h, r, &c);
	drain_and_reap(*s, r, &c);
	if (print_stats)
		print_prog_stats(*s);
	if (print_stats || env_set("KVMSR_STREAM_STATS"))
		print_stream_stats(*s, r);
	return EXIT_OK;
}

void fill_run_info(struct run_info *ri, const struct session *s, const struct sysinfo *si,
		   uint64_t duration_ns)
{
	uint32_t layout, samples, conflicts;

	memset(ri, 0, sizeof(*ri));
	ri->backend = backend_name(session_backend(s));
	ri->on_cpu_mask = session_on_cpu_mask(s, &layout, &samples, &conflicts);
	ri->mask_learned = samples > 0 || layout == KVMSR_FLAG_BOOL;
	ri->mask_disagrees = samples > 0 && ri->on_cpu_mask != session_assumed_mask(s);
	/* A flag seen flipping by the VHE functions proves VHE, whatever the log said. */
	ri->defers = kvm_mode_defers(si->mode) || samples > 0;
	ri->kvm_mode = samples > 0 && si->mode == KVM_MODE_UNKNOWN ? "VHE" : kvm_mode_name(si->mode);
	ri->lost = session_lost(s);
	ri->probe_misses = session_probe_misses(s);
	ri->traps = session_traps(s);
	ri->duration_ns = duration_ns;
	ri->notes = session_notes(s);
	ri->recording_cut = -1;
}
