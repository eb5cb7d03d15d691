/* SPDX-License-Identifier: GPL-2.0 */
/* Parsed command line shared by the subcommands. */
#ifndef KVMSR_CLI_H
#define KVMSR_CLI_H

#include <stdbool.h>
#include "probe/session.h"

/* kvmsr's own version: --version, kvmsr_info, the Debian package's changelog. */
#define KVMSR_VERSION "0.1"

/* Exit codes, documented in --help and README. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* could not set up or attach */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_FINDINGS = 3,	/* a finding matched --fail-on */
	EXIT_CMD_FAILED = 4,	/* the command after -- exited non-zero */
};

struct cli {
	const char *command;		/* check, trace, stat, serve, record, report */
	enum backend backend;
	unsigned int pid;
	const char *vm;			/* --vm NAME: a VM by name or UUID */
	int vcpu;
	const char *regs;		/* --reg list, resolved after BTF load */
	double duration;		/* seconds, 0 = until interrupted */
	double interval;		/* stat: seconds between reports */
	bool json;
	bool verbose;
	bool no_probe;			/* check: skip the probe guest */
	bool exact;			/* stat: stream every event (coverage, findings) */
	int sample_pct;			/* stat: % of time accessor probes are attached */
	unsigned int event_mask;	/* trace: 1 << KVMSR_EV_* to print */
	bool events_given;		/* trace: --events LIST */
	bool all;			/* trace: --all, every type and register */
	unsigned int fail_mask;		/* --fail-on: 1 << finding_kind */
	char **cmd;			/* argv after --, NULL if none */
	const char *output;		/* record: -o FILE */
	const char *input;		/* report: FILE */
	const char *perfetto;		/* report: --perfetto OUT.json */
	const char *listen;		/* serve: --listen ADDR:PORT */
	const char *textfile;		/* serve: --textfile PATH */
	bool bpf_stats;			/* serve: BPF run-time statistics on, exported */
	int context;			/* --context N: flight recorder depth; -1: default */
	unsigned int ring_mib;		/* --ring-size: the ring buffer, MiB; 0: default */
};

#define CONTEXT_DEFAULT 16	/* trace, record, report */
/*
 * The ring buffer of the live event stream (trace, record, stat --exact):
 * it rides out bursts and a stalled reader.  At make bench's worst case
 * (~280 k records/s of 48 bytes) record's reader keeps the ring under
 * 2 MiB, trace's (formatting too) under 11 MiB, and 16 MiB lost records in
 * one run in seven to a stall of over a second; 64 MiB is ~4.8 s of that
 * rate.  Counting (stat, serve) streams only WARN/BUG hits: 16 MiB.
 */
#define STREAM_RING_MIB 64
#define RING_MIB_MAX 1024

int cmd_check(const struct cli *cli);
int cmd_trace(const struct cli *cli);
int cmd_stat(const struct cli *cli);
int cmd_serve(const struct cli *cli);	/* counting stat as an exporter */
int cmd_record(const struct cli *cli);	/* stat --exact into -o FILE */
int cmd_report(const struct cli *cli);

#endif /* KVMSR_CLI_H */
