/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop shared by trace and stat: optionally start a command held
 * at the gate until the probes are attached (like perf), poll the ring
 * buffer, stop on SIGINT/SIGTERM, --duration or the command's exit.
 */
#ifndef KVMSR_RUNNER_H
#define KVMSR_RUNNER_H

#include <stdint.h>
#include "cli/cli.h"
#include "symbols/regnames.h"
#include "probe/session.h"

struct run_hooks {
	void (*opened)(void *ctx, struct session *s);	/* probes attached */
	void (*poll)(void *ctx, struct session *s, uint64_t elapsed_ns); /* each turn of the loop, <= 50 ms apart */
	void (*tick)(void *ctx, struct session *s, uint64_t elapsed_ns); /* every --interval */
	/* A poll that began at @t_ns (CLOCK_MONOTONIC) emptied the ring buffer. */
	void (*drained)(void *stream, uint64_t t_ns);
	void *ctx;
	void *stream;		/* drained()'s argument */
};

struct run_result {
	bool child_ran;
	int child_status;	/* as from waitpid() */
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC = bpf_ktime_get_ns() */
	uint64_t start_cpu_us[2]; /* kvmsr's own user, system CPU time at start_ns */
	/* The reader's health (KVMSR_PROG_STATS): where a lossy run lost. */
	uint64_t max_gap_ns;	/* longest time between two drains of the ring */
	uint64_t max_gap_cpu_ns; /* ... the reader's CPU time in it (less: off the CPU) */
	uint64_t max_gap_end_ns; /* ... when it ended, since start_ns */
	uint64_t peak_fill;	/* most bytes seen waiting in the ring at a drain */
	uint64_t first_loss_ns;	/* since start_ns, when records were first lost; 0 none */
};

/* Monotonic nanoseconds, the clock BPF timestamps use. */
uint64_t now_ns(void);
/* kvmsr's own CPU time so far, in microseconds: user, system. */
void cpu_used_us(uint64_t us[2]);

/*
 * Load the register names from the kernel's BTF and fill a session config
 * from the command line (resolving --reg); returns an EXIT_* code.
 */
int prepare_run(const struct cli *cli, struct regnames *rn, struct session_config *cfg,
		session_cb cb, void *ctx);

/*
 * session_new() and session_open() into *s: 0, or -errno with the message in
 * @err.  The caller closes *s (NULL if out of memory) either way.
 */
int start_session(struct session **s, const struct session_config *cfg, char *err, size_t len);

/*
 * Open a session into *s, run until done, drain; returns an EXIT_* code.
 * The caller closes *s (session_close), whatever the code: it is NULL or a
 * session, opened only if EXIT_OK.
 */
int run_session(const struct cli *cli, struct session **s, struct session_config *cfg,
		const struct run_hooks *h, struct run_result *r);

/* EXIT_CMD_FAILED if the command failed, else EXIT_OK; says so on stderr. */
int child_exit_code(const struct run_result *r);


struct sysinfo;
struct run_info;
/* Summarize a session for report.c; notes point into s. */
void fill_run_info(struct run_info *ri, const struct session *s, const struct sysinfo *si,
		   uint64_t duration_ns);

#endif /* KVMSR_RUNNER_H */
