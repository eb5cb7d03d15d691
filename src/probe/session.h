/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracing session: opens the embedded BPF object, picks the attach backend
 * by trial (the kernel/ series' tracepoints, else fentry/fexit, else
 * kprobes), attaches, and hands every ring-buffer record to a callback.  The
 * only user-half file that talks to libbpf's program and link API.  Opaque,
 * in the manner of retsnoop's mass_attacher.h: session_new(), session_open()
 * (load and attach), session_poll(), session_close() (which frees).
 */
#ifndef KVMSR_SESSION_H
#define KVMSR_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvmsr_event.h"
#include "probe/targets.h"

enum backend {
	BACKEND_AUTO,
	BACKEND_TRACEPOINT,	/* kvm_vcpu_*_tp of kernel/ (+ probes for die, VM exit) */
	BACKEND_FENTRY,
	BACKEND_KPROBE,
};

typedef int (*session_cb)(void *ctx, const struct kvmsr_event *e);

struct session_config {
	enum backend backend;
	uint32_t pid;			/* 0: every VM */
	int32_t vcpu;			/* -1: every vCPU */
	bool filter_regs;
	uint64_t reg_bitmap[KVMSR_MAX_REGS / 64];
	uint64_t checked_regs[KVMSR_MAX_REGS / 64];	/* may become findings */
	/*
	 * Count what no rule can use instead of streaming it (default trace,
	 * bpf/tally.bpf.h); writes of @stream_writes are streamed whatever.
	 */
	bool tally;
	uint64_t stream_writes[KVMSR_MAX_REGS / 64];
	bool verbose;			/* pass libbpf's messages through */
	bool stacks;			/* kernel stacks of possible findings */
	bool aggregate;			/* count in BPF maps, stream only hits (stat) */
	bool context;			/* the flight recorder's events and load/put stacks */
	bool context_exits;		/* ... and guest exits (kvm:kvm_exit), one per exit */
	bool prog_stats;		/* the kernel's run-time statistics on while open */
	uint32_t ring_bytes;		/* the events ring buffer; 0: KVMSR_RINGBUF_BYTES */
	session_cb cb;
	void *ctx;
};

/* Room for an error message or a session's why/notes text. */
#define SESSION_TEXT 1024

/* Opaque: a session is used through the functions below only. */
struct session;

const char *backend_name(enum backend b);

/*
 * A session for @cfg (kept by pointer: it must outlive the session), with
 * this kernel's attach targets resolved; nothing loaded yet.  NULL if out of
 * memory.
 */
struct session *session_new(const struct session_config *cfg);

/*
 * Load the BPF object and attach it, picking the backend by trial.  0 on
 * success; on failure a negative errno and a message in err (the session
 * keeps its targets and can only be closed).
 */
int session_open(struct session *s, char *err, size_t len);

/* Consume what is queued, waiting up to timeout_ms; <0 on error. */
int session_poll(struct session *s, int timeout_ms);
/* session_poll() hands out at most this many records; fewer: the ring was emptied. */
#define SESSION_POLL_BUDGET 16384

/* Records the kernel could not queue: counted in BPF, never silent. */
uint64_t session_lost(const struct session *s);
/*
 * What the BPF side counted instead of streaming (session_config.tally):
 * @fn with the counts of each (vCPU, type, register, flags), summed over
 * the CPUs: once from the map, and once per CPU whose cache still holds
 * one (the counts add up).  The end of a run: it disarms the programs.
 * Returns the events that found the map full (not counted).
 */
typedef void (*session_tally_fn)(void *ctx, const struct kvmsr_tally_key *k, uint64_t n);
uint64_t session_tallies(struct session *s, session_tally_fn fn, void *ctx);

/*
 * Calls the kernel skipped for our programs (bpf_prog_info.recursion_misses,
 * 5.12+): a probe that did not run is a gap, and is reported as one.
 */
uint64_t session_probe_misses(const struct session *s);

/* The learned SYSREGS_ON_CPU mask (0 if not seen yet) and layout. */
uint32_t session_on_cpu_mask(const struct session *s, uint32_t *layout,
			     uint32_t *samples, uint32_t *conflicts);

/* The bit assumed from the kernel version, used until one is learned. */
uint32_t session_assumed_mask(const struct session *s);

/*
 * The kernel's statistics of one of the session's programs
 * (bpf_prog_info): runs and the time spent in them, counted only while the
 * kernel's BPF statistics are on (kernel.bpf_stats_enabled, or a session
 * opened with @prog_stats), which itself costs two clock reads per run.
 */
struct session_prog_stat {
	const char *name;	/* the program's name in the BPF object */
	uint64_t run_cnt;
	uint64_t run_time_ns;
	uint64_t misses;	/* runs the kernel skipped (recursion) */
};

/* Every loaded program's statistics into @out (at most @max): how many. */
int session_prog_stats(const struct session *s, struct session_prog_stat *out, int max);

/* Are program run times being counted (by this session, or the sysctl)? */
bool session_prog_stats_on(const struct session *s);
/* The ring buffer's bytes written and not yet read, and its size; false if unknown. */
bool session_ring_fill(const struct session *s, uint64_t *used, uint64_t *size);

/* Ring-buffer records handed to the callback so far, and their bytes. */
void session_stream_stats(const struct session *s, uint64_t *records, uint64_t *bytes);

/* Detach everything and free the session; NULL is ignored. */
void session_close(struct session *s);

/* What the session found, for check and the summaries. */
enum backend session_backend(const struct session *s);
const char *session_why(const struct session *s);	/* how the backend was chosen */
const char *session_notes(const struct session *s);	/* coverage warnings, or "" */
bool session_traps(const struct session *s);		/* kvm:kvm_sys_access attached */
const struct targets *session_targets(const struct session *s);

/* Attach or detach the accessor probes (stat samples them in windows). */
int session_set_accessors(struct session *s, bool on);
/* Detach the VHE load/put probes once SYSREGS_ON_CPU is learned (stat). */
void session_drop_calibration(struct session *s);
/* Enough VHE load/put calls (or, counting, load/put pairs) to trust the learned bit. */
#define SESSION_CALIB_ENOUGH 8
/*
 * Counting mode, each turn of the loop: true once SYSREGS_ON_CPU is learned
 * (and the VHE probes are detached); until then, attaches the VHE put's
 * probes if the load/put probes contradicted the bit assumed from the
 * version (count.bpf.h).
 */
bool session_calibrate(struct session *s);
/* The aggregation maps' fds (stat). */
int session_vcpu_aggs_fd(const struct session *s);
int session_reg_aggs_fd(const struct session *s);

/* The KVMSR_STACK_DEPTH ips of stack @id (0-terminated): 0, or -errno if none. */
int session_stack(const struct session *s, int32_t id, uint64_t *ips);
/*
 * The name the BPF side stored for trapped register encoding @enc
 * ("SYS_MDCR_EL2"; "" if the kernel has none), into @buf; -ENOENT if none.
 */
int session_trap_name(const struct session *s, uint16_t enc, char *buf, size_t len);

/* Does the running kernel's BTF know tracepoint `name` (btf_trace_<name>)? */
bool kernel_has_btf_tracepoint(const char *name);

/* Does it have all four kvm_vcpu_*_tp bare tracepoints of the kernel/ series? */
bool kernel_has_kvmsr_tracepoints(void);

#endif /* KVMSR_SESSION_H */
