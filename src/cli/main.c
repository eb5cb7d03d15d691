// SPDX-License-Identifier: GPL-2.0
/* kvmsr: command line entry point. */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli/cli.h"
#include "analysis/findings.h"
#include "output/event_types.h"
#include "output/http.h"
#include "recording/file.h"

/*
 * --version: kvmsr's, and the formats a tool or a recording must agree on
 * (the event ABI, the recording format), and the libbpf it runs with.
 */
static void print_version(FILE *f, struct argp_state *state)
{
	fprintf(f, "kvmsr %s\nevent ABI %d\nrecording format %d (reads %d to %d)\n"
		"libbpf %s\n", KVMSR_VERSION, KVMSR_ABI_VERSION, REC_VERSION, REC_VERSION_OLDEST,
		REC_VERSION, libbpf_version_string());
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;
const char *argp_program_bug_address = "the kvmsr issue tracker";

static const char doc[] =
"kvmsr -- watch arm64 KVM defer a guest's EL1 system registers\n"
"\n"
"COMMANDS\n"
"  check    what this kernel offers: KVM mode, backend, attach targets; then\n"
"           runs a tiny probe guest to measure what the probes can see\n"
"  trace    stream vCPU load/put and sysreg accessor events as they happen\n"
"  stat     per-vCPU residency: loads, puts, time with sysregs loaded,\n"
"           accessor reads/writes split loaded/unloaded, top registers;\n"
"           counted in the kernel, cheap enough to leave on (--exact: all\n"
"           events through the analyzer, with coverage and findings)\n"
"  serve    stat as a Prometheus exporter, to leave on: GET /metrics\n"
"           (--listen) and/or a node_exporter textfile (--textfile)\n"
"  record   stat --exact that also writes every event, with the register\n"
"           names and symbolized stacks of this host, to -o FILE\n"
"  report   FILE: the summary of a recording, as stat --exact printed it\n"
"           live; reads on any machine, says if the file was cut;\n"
"           --perfetto OUT.json: its timeline for ui.perfetto.dev\n"
"\n"
"FINDINGS (trace prints them as they happen, stat in its summary)\n"
"  confirmed  stale-read / lost-write: proven from what the put saved (a\n"
"             write only in bits this CPU was seen to hold both ways);\n"
"             direct-access: the kernel's kvm_vcpu_sys_reg_direct_tp tracepoint\n"
"             (kernel/ series, CONFIG_KVM_ARM_SYSREG_DEBUG)\n"
"  suspect    suspect-stale-read / suspect-lost-write: a mismatch with the\n"
"             put that the CPU itself may explain (RES0/RES1 or write-ignored\n"
"             bits, IMPLEMENTATION DEFINED registers: \"doubt\" says which);\n"
"             suspect: loaded reads that always returned the memory copy\n"
"  hit        a WARN or BUG, attributed to the vCPU loaded on that CPU\n"
"  imbalance  double load, put without load, VM gone while loaded\n"
"\n"
"EXAMPLES\n"
"  kvmsr check\n"
"  kvmsr trace --reg TTBR0_EL1,MAIR_EL1 --pid 4242\n"
"  kvmsr trace --json --duration 5 > events.ndjson\n"
"  kvmsr stat --interval 1\n"
"  kvmsr stat --json -- ./vmm --iters 100\n"
"  kvmsr trace --json --fail-on any -- ./selftest   (CI: exit 3 on a finding)\n"
"  kvmsr record -o run.kvmsr -- ./vmm --iters 100; kvmsr report run.kvmsr\n"
"  kvmsr serve --listen 127.0.0.1:9464   (Prometheus scrapes /metrics)\n"
"\n"
"EXIT STATUS\n"
"  0 success, 1 set-up or attach error, or an output that could not be\n"
"  written, 2 bad command line,\n"
"  3 a finding matched --fail-on, 4 the command given after -- exited non-zero\n"
"  (3 wins over 4; an output that could not be written, over both).\n"
"\n"
"OPTIONS";

enum { OPT_BACKEND = 'b', OPT_PID = 'p', OPT_VCPU = 'c', OPT_REG = 'r',
       OPT_DURATION = 'd', OPT_INTERVAL = 'i', OPT_JSON = 'j', OPT_EVENTS = 'e',
       OPT_VERBOSE = 'v', OPT_NO_PROBE = 0x100, OPT_FAIL_ON = 'f', OPT_EXACT = 0x101,
       OPT_SAMPLE = 's', OPT_OUTPUT = 'o', OPT_PERFETTO = 0x102, OPT_LISTEN = 'l',
       OPT_TEXTFILE = 0x103, OPT_CONTEXT = 0x104, OPT_ALL = 0x105, OPT_VM = 0x106,
       OPT_BPF_STATS = 0x107, OPT_RING_SIZE = 0x108 };

static struct argp_option options[] = {
	{ "backend", OPT_BACKEND, "NAME", 0, "tracepoint, fentry, kprobe or auto (default: "
	  "auto: tracepoint if the kernel has kvmsr's kvm_vcpu_*_tp tracepoints, else "
	  "fentry if it has BPF trampolines, else kprobe)", 0 },
	{ "output", OPT_OUTPUT, "FILE", 0, "record: the recording to write", 0 },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0, "serve: Prometheus endpoint, GET /metrics "
	  "(default 127.0.0.1:9464 unless --textfile is given)", 0 },
	{ "textfile", OPT_TEXTFILE, "PATH", 0, "serve: rewrite PATH (node_exporter's textfile "
	  "collector, *.prom) every --interval (default 15 s), atomically", 0 },
	{ "perfetto", OPT_PERFETTO, "OUT.json", 0, "report: also write a timeline for Perfetto / "
	  "chrome://tracing (one track per vCPU)", 0 },
	{ "bpf-stats", OPT_BPF_STATS, NULL, 0, "serve: turn on the kernel's BPF statistics "
	  "while serving (needs CAP_SYS_ADMIN) and export each kvmsr program's run count and "
	  "run time (two clock reads per program run)", 0 },
	{ "pid", OPT_PID, "PID", 0, "only the VM of this VMM process", 0 },
	{ "vm", OPT_VM, "NAME", 0, "only the VM of this name or UUID (QEMU's -name or -uuid, "
	  "the libvirt domain, else the process name), as --pid: it must be running when "
	  "kvmsr starts; report: the names the recording holds", 0 },
	{ "vcpu", OPT_VCPU, "N", 0, "only vCPU N (vcpu_id)", 0 },
	{ "reg", OPT_REG, "NAMES", 0, "only these registers, e.g. TTBR0_EL1,mair "
	  "(names from the kernel's enum vcpu_sysreg)", 0 },
	{ "duration", OPT_DURATION, "SECONDS", 0, "stop after this long", 0 },
	{ "interval", OPT_INTERVAL, "SECONDS", 0, "stat: also report every interval", 0 },
	{ "json", OPT_JSON, NULL, 0, "machine-readable output (NDJSON for trace)", 0 },
	{ "events", OPT_EVENTS, "LIST", 0, NULL /* events_doc(): the event-type table */, 0 },
	{ "all", OPT_ALL, NULL, 0, "trace: every event type of every register (by default "
	  "accessor calls and traps are shown only for the registers the VHE put saves, the "
	  "rest counted at the end)", 0 },
	{ "exact", OPT_EXACT, NULL, 0, "stat: stream every event through the analyzer "
	  "(accessor coverage and confirmed findings; costs like trace)", 0 },
	{ "sample", OPT_SAMPLE, "PCT", 0, "stat: share of the time the accessor probes are "
	  "attached (default 10; 100 = always, 0 = never); loads, puts and loaded time "
	  "are always exact", 0 },
	{ "context", OPT_CONTEXT, "N", 0, "the flight recorder: print with every finding the "
	  "last N events of its vCPU (loads and puts with their callers, thread switches, "
	  "vCPU ioctls, guest entries, accessor calls; guest exits too with trace --events "
	  "...,exit); trace, record, report (default 16) and stat --exact (default 0); record "
	  "stores them; 0 = off, at most 4096", 0 },
	{ "ring-size", OPT_RING_SIZE, "MIB", 0, "trace, record, stat --exact: the ring "
	  "buffer the events reach kvmsr through, in MiB, a power of two (default 64): "
	  "larger rides out a longer stall of kvmsr's reader before records are lost", 0 },
	{ "fail-on", OPT_FAIL_ON, "KINDS", 0, "exit 3 if a finding of these kinds occurred: "
	  "confirmed, warn, bug, imbalance, suspect, any (= all but suspect)", 0 },
	{ "verbose", OPT_VERBOSE, NULL, 0, "show libbpf's messages", 0 },
	{ "no-probe", OPT_NO_PROBE, NULL, 0, "check: do not run the probe guest (a 20-iteration "
	  "VM of kvmsr's own that measures what the probes can see)", 0 },
	{ 0 },
};

/*
 * The longest --duration or --interval: 10 years.  Beyond any real run, and
 * far inside what the event loop's u64 nanoseconds hold (584 years), so
 * the conversion to nanoseconds is always defined.
 */
#define SECONDS_MAX (10 * 365.25 * 24 * 3600)

static double parse_seconds(const char *arg, struct argp_state *state, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* !(v > 0) also refuses nan. */
	if (errno || end == arg || *end || !isfinite(v) || !(v > 0))
		argp_error(state, "%s must be a positive number of seconds, not '%s'", what, arg);
	else if (v > SECONDS_MAX)
		argp_error(state, "%s is at most 10 years (%.0f seconds), not '%s'", what,
			   SECONDS_MAX, arg);
	return v;
}

/* Decimal digits only: not empty (which strtol reads as 0), no sign, no space. */
static long parse_uint(const char *arg, struct argp_state *state, const char *what)
{
	char *end;
	long v = -1;

	errno = 0;
	if (arg[0] >= '0' && arg[0] <= '9')
		v = strtol(arg, &end, 10);
	if (v < 0 || errno || *end || v > 0x7fffffff)
		argp_error(state, "%s must be a non-negative integer, not '%s'", what, arg);
	return v;
}

/* --reg NAMES: comma-separated, none empty (the names are checked against BTF later). */
static void check_reg_list(const char *arg, struct argp_state *state)
{
	size_t n = strlen(arg);

	if (!n || arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
		argp_error(state, "--reg wants register names separated by commas, e.g. "
			   "TTBR0_EL1,MAIR_EL1, not '%s'", arg);
}

static error_t parse_backend(const char *arg, struct argp_state *state, enum backend *b)
{
	static const enum backend all[] = {
		BACKEND_TRACEPOINT, BACKEND_FENTRY, BACKEND_KPROBE, BACKEND_AUTO,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(arg, backend_name(all[i]))) {
			*b = all[i];
			return 0;
		}
	}
	argp_error(state, "unknown backend '%s' (tracepoint, fentry, kprobe or auto)", arg);
	return EINVAL;
}

/* The options that take a number; ARGP_ERR_UNKNOWN if @key is none of them. */
static error_t parse_number(int key, char *arg, struct argp_state *state)
{
	struct cli *c = state->input;

	switch (key) {
	case OPT_PID:
		c->pid = parse_uint(arg, state, "--pid");
		if (!c->pid)
			argp_error(state, "--pid must not be 0");
		break;
	case OPT_VCPU:
		c->vcpu = parse_uint(arg, state, "--vcpu");
		break;
	case OPT_DURATION:
		c->duration = parse_seconds(arg, state, "--duration");
		break;
	case OPT_INTERVAL:
		c->interval = parse_seconds(arg, state, "--interval");
		break;
	case OPT_SAMPLE:
		c->sample_pct = parse_uint(arg, state, "--sample");
		if (c->sample_pct > 100)
			argp_error(state, "--sample is a percentage, 0 to 100");
		break;
	case OPT_RING_SIZE:
		c->ring_mib = parse_uint(arg, state, "--ring-size");
		/* The kernel's ring buffer: a power of two of pages. */
		if (!c->ring_mib || c->ring_mib > RING_MIB_MAX || (c->ring_mib & (c->ring_mib - 1)))
			argp_error(state, "--ring-size is a power of two of MiB, 1 to %d",
				   RING_MIB_MAX);
		break;
	case OPT_CONTEXT:
		c->context = parse_uint(arg, state, "--context");
		if (c->context > ANALYZER_MAX_CONTEXT)
			argp_error(state, "--context is at most %d events", ANALYZER_MAX_CONTEXT);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The options that take a name or a list of names. */
static error_t parse_choice(int key, char *arg, struct argp_state *state)
{
	struct cli *c = state->input;

	switch (key) {
	case OPT_BACKEND:
		return parse_backend(arg, state, &c->backend);
	case OPT_EVENTS:
		c->events_given = true;
		if (parse_event_types(arg, &c->event_mask))
			argp_error(state, "bad --events '%s': use %s or all", arg,
				   event_type_list());
		return 0;
	case OPT_FAIL_ON:
		if (parse_fail_on(arg, &c->fail_mask))
			argp_error(state, "bad --fail-on '%s': use confirmed, warn, bug, imbalance, "
				   "suspect or any", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* Switches and options whose value is kept as given. */
static error_t parse_plain(int key, char *arg, struct argp_state *state)
{
	struct cli *c = state->input;

	switch (key) {
	case OPT_JSON:
		c->json = true;
		break;
	case OPT_VERBOSE:
		c->verbose = true;
		break;
	case OPT_EXACT:
		c->exact = true;
		break;
	case OPT_ALL:
		c->all = true;
		break;
	case OPT_NO_PROBE:
		c->no_probe = true;
		break;
	case OPT_REG:
		check_reg_list(arg, state);
		c->regs = arg;
		break;
	case OPT_OUTPUT:
		c->output = arg;
		break;
	case OPT_PERFETTO:
		c->perfetto = arg;
		break;
	case OPT_LISTEN: {
		struct sockaddr_storage ss;
		socklen_t len;
		char err[256];

		/* The syntax here (exit 2); binding it, when serve starts (exit 1). */
		if (http_parse_addr(arg, &ss, &len, err, sizeof(err)))
			argp_error(state, "%s", err);
		c->listen = arg;
		break;
	}
	case OPT_TEXTFILE:
		c->textfile = arg;
		break;
	case OPT_BPF_STATS:
		c->bpf_stats = true;
		break;
	case OPT_VM:
		if (!arg[0])
			argp_error(state, "--vm wants a VM name or UUID");
		c->vm = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* What a command takes, for the checks of its options (bpftool's cmd table). */
enum {
	CMD_OUTPUT = 1 << 0,		/* needs -o FILE, which only it takes */
	CMD_INPUT = 1 << 1,		/* needs FILE; --perfetto is only its */
	CMD_SERVES = 1 << 2,		/* --listen, --textfile, --bpf-stats are only its */
	CMD_STREAM = 1 << 3,		/* the event stream: --context, by default 16 */
	CMD_STREAM_EXACT = 1 << 4,	/* the event stream with --exact (default 0) */
	CMD_NO_ARGV = 1 << 5,		/* takes no -- CMD */
};

struct cmd {
	const char *name;
	int (*fn)(const struct cli *cli);
	unsigned int flags;
	int (*prepare)(struct cli *c);	/* after parsing: its checks and defaults */
};

static int prepare_serve(struct cli *c)
{
	if (c->cmd || c->exact)
		return fprintf(stderr, "kvmsr: serve takes no command and counts in the "
			       "kernel (no --exact)\n"), EXIT_USAGE;
	if (!c->listen && !c->textfile)
		c->listen = "127.0.0.1:9464";
	if (c->textfile && !c->interval)
		c->interval = 15;
	return EXIT_OK;
}

static int prepare_record(struct cli *c)
{
	c->exact = true;
	return EXIT_OK;
}

static const struct cmd cmds[] = {
	{ "check", cmd_check, CMD_NO_ARGV, NULL },
	{ "trace", cmd_trace, CMD_STREAM, NULL },
	{ "stat", cmd_stat, CMD_STREAM_EXACT, NULL },
	{ "serve", cmd_serve, CMD_SERVES, prepare_serve },
	{ "record", cmd_record, CMD_OUTPUT | CMD_STREAM, prepare_record },
	{ "report", cmd_report, CMD_INPUT | CMD_STREAM | CMD_NO_ARGV, NULL },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; name && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

/* The command, then report's FILE; anything else belongs after --. */
static void take_arg(struct cli *c, char *arg, struct argp_state *state)
{
	const struct cmd *cmd = find_cmd(c->command);

	if (cmd && (cmd->flags & CMD_INPUT) && !c->input) {
		c->input = arg;
		return;
	}
	if (c->command)
		argp_error(state, "unexpected argument '%s' (a command goes after --)", arg);
	c->command = arg;
}

/* Does the command read the live event stream (trace, record, stat --exact)? */
static bool live_stream(unsigned int f, bool exact)
{
	return !(f & CMD_INPUT) && ((f & CMD_STREAM) || ((f & CMD_STREAM_EXACT) && exact));
}

/* Options that belong to another command, or a command missing its own. */
static void check_options(const struct cli *c, struct argp_state *state)
{
	const struct cmd *cmd = find_cmd(c->command);
	unsigned int f = cmd ? cmd->flags : 0;

	if (!c->command)
		argp_error(state, "which command: check, trace, stat, serve, record or report?");
	if (c->vm && c->pid)
		argp_error(state, "--vm and --pid both choose the VM: give one");
	if ((f & CMD_OUTPUT) && !c->output)
		argp_error(state, "record needs -o FILE");
	if (!(f & CMD_OUTPUT) && c->output)
		argp_error(state, "-o FILE is for record");
	if ((f & CMD_INPUT) && !c->input)
		argp_error(state, "report needs the FILE to read");
	if (!(f & CMD_INPUT) && c->perfetto)
		argp_error(state, "--perfetto is for report");
	if (!(f & CMD_SERVES) && (c->listen || c->textfile || c->bpf_stats))
		argp_error(state, "--listen, --textfile and --bpf-stats are for serve");
	if (c->context > 0 && cmd && !(f & CMD_STREAM) && !((f & CMD_STREAM_EXACT) && c->exact))
		argp_error(state, "--context needs the event stream: trace, record, report "
			   "or stat --exact");
	if (c->ring_mib && cmd && !live_stream(f, c->exact))
		argp_error(state, "--ring-size is for the live event stream: trace, record or "
			   "stat --exact");
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	error_t e;

	switch (key) {
	case ARGP_KEY_ARG:
		take_arg(state->input, arg, state);
		return 0;
	case ARGP_KEY_END:
		check_options(state->input, state);
		return 0;
	}
	e = parse_number(key, arg, state);
	if (e == ARGP_ERR_UNKNOWN)
		e = parse_choice(key, arg, state);
	if (e == ARGP_ERR_UNKNOWN)
		e = parse_plain(key, arg, state);
	return e;
}

/* Split off "-- CMD ARGS" before argp sees it; returns argp's argc. */
static int split_command(int argc, char **argv, struct cli *c)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		if (i + 1 >= argc) {
			fprintf(stderr, "kvmsr: nothing to run after --\n");
			return -1;
		}
		c->cmd = &argv[i + 1];
		return i;
	}
	return argc;
}

#define EVENTS_DEFAULT "load,put,read,write,trap"

/* --events' help names the types of the event-type table. */
static void events_doc(void)
{
	static char doc[512];

	snprintf(doc, sizeof(doc), "trace: event types to print, from %s,all (default: %s); "
		 "findings are always printed; a list shows every register of those types",
		 event_type_list(), EVENTS_DEFAULT);
	for (struct argp_option *o = options; o->name; o++)
		if (o->key == OPT_EVENTS)
			o->doc = doc;
}

/*
 * Whatever a command printed (report, stat, trace, check) reached standard
 * output, or the exit code says it did not: a full disk or a closed pipe
 * must not look like a complete report.
 */
static int stdout_written(int rc)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	/* errno is the reason only if this flush failed; an earlier one's is gone. */
	fprintf(stderr, "kvmsr: writing the standard output failed%s%s\n", errno ? ": " : "",
		errno ? strerror(errno) : "");
	return EXIT_ERROR;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt,
					  "check|trace|stat|record [-- CMD [ARGS]]\nreport FILE\nserve",
					  doc, NULL, NULL, NULL };
	struct cli c = { .vcpu = -1, .sample_pct = 10, .context = -1 };
	int nargs = split_command(argc, argv, &c), rc;
	const struct cmd *cmd;

	if (nargs < 0)
		return EXIT_USAGE;
	if (parse_event_types(EVENTS_DEFAULT, &c.event_mask))
		return EXIT_ERROR;
	events_doc();
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, nargs, argv, 0, NULL, &c))
		return EXIT_USAGE;
	if (c.all && c.events_given) {
		fprintf(stderr, "kvmsr: --all is every event type: give --all or --events, not both\n");
		return EXIT_USAGE;
	}
	if (c.all && parse_event_types("all", &c.event_mask))
		return EXIT_ERROR;
	cmd = find_cmd(c.command);
	if (!cmd) {
		fprintf(stderr, "kvmsr: unknown command '%s' (check, trace, stat, serve, record or "
			"report; see --help)\n", c.command);
		return EXIT_USAGE;
	}
	if (c.context < 0)
		c.context = cmd->flags & CMD_STREAM ? CONTEXT_DEFAULT : 0;
	if ((cmd->flags & CMD_NO_ARGV) && c.cmd) {
		fprintf(stderr, "kvmsr: %s takes no command\n", cmd->name);
		return EXIT_USAGE;
	}
	rc = cmd->prepare ? cmd->prepare(&c) : EXIT_OK;
	if (!c.ring_mib && live_stream(cmd->flags, c.exact))
		c.ring_mib = STREAM_RING_MIB;
	return rc ? rc : stdout_written(cmd->fn(&c));
}
