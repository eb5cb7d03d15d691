/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracing session: opens the embedded BPF object, picks the attach backend
 * by trial (the kernel/ series' tracepoints, else fentry/fexit, else
 * kprobes), attaches, and hands every ring-buffer record to a callback.  The only user-half file that talks to libbpf's
 * program and link API.
 */
#ifndef KVMSR_SESSION_H
#define KVMSR_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "kvmsr_event.h"
#include "probe/targets.h"

enum backend {
	BACKEND_AUTO,
	BACKEND_TRACEPOINT,	/* kvm:kvm_vcpu_* of kernel/ (+ probes for die, VM exit) */
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
	bool verbose;			/* pass libbpf's messages through */
	bool stacks;			/* kernel stacks of possible findings */
	bool aggregate;			/* count in BPF maps, stream only hits (stat) */
	bool context;			/* the flight recorder's events and load/put stacks */
	bool context_exits;		/* ... and guest exits (kvm:kvm_exit), one per exit */
	session_cb cb;
	void *ctx;
};

#define SESSION_MAX_LINKS 32
#define SESSION_TEXT 1024

struct kvmsr_bpf;
struct ring_buffer;
struct bpf_link;
struct bpf_program;

/* One program, the role it plays, how it attaches and whether at return. */
struct prog_role {
	struct bpf_program *prog;
	enum target_id target;
	enum backend kind;	/* TRACEPOINT, FENTRY or KPROBE */
	bool ret;
};

#define SESSION_MAX_ROLES 20

struct session {
	struct kvmsr_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[SESSION_MAX_LINKS];	/* tracepoints, fixed */
	int nr_links;
	struct prog_role roles[SESSION_MAX_ROLES];	/* function probes */
	struct bpf_link *role_links[SESSION_MAX_ROLES];
	int nr_roles;
	struct targets tg;
	enum backend backend;
	enum backend aux;		/* TRACEPOINT: how die/VM exit are probed */
	bool traps;			/* kvm:kvm_sys_access attached */
	bool entries;			/* kvm:kvm_entry attached */
	bool warns;			/* error_report_end attached */
	bool direct;			/* kvm:kvm_vcpu_sys_reg_direct attached */
	bool switches;			/* context: sched_switch of vCPU threads attached */
	bool exits;			/* context: kvm:kvm_exit attached */
	bool ioctls;			/* context: kvm_vcpu_ioctl probed */
	/* What the kernel offers the flight recorder (probed once, with --context). */
	bool can_switches, can_exits, ioctl_in_btf;
	uint64_t preempt_key_addr;	/* preempt_notifier_key, 0 if not in kallsyms */
	unsigned int polled;		/* records handed out by this session_poll() */
	bool optional[TGT__MAX];	/* optional target attached */
	bool calibrating;		/* VHE load/put probed: SYSREGS_ON_CPU learned */
	char why[SESSION_TEXT];		/* how the backend was chosen */
	char notes[SESSION_TEXT];	/* coverage warnings found while attaching */
	char tp_why[SESSION_TEXT / 2];	/* why the kernel/ tracepoints are not used */
	const struct session_config *cfg;
};

const char *backend_name(enum backend b);

/* 0 on success; on failure a negative errno and a message in err. */
int session_open(struct session *s, const struct session_config *cfg, char *err, size_t len);

/* Consume what is queued, waiting up to timeout_ms; <0 on error. */
int session_poll(struct session *s, int timeout_ms);

/* Records the kernel could not queue: counted in BPF, never silent. */
uint64_t session_lost(const struct session *s);

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

void session_close(struct session *s);

/* Attach or detach the accessor probes (stat samples them in windows). */
int session_set_accessors(struct session *s, bool on);
/* Detach the VHE load/put probes once SYSREGS_ON_CPU is learned (stat). */
void session_drop_calibration(struct session *s);
/* The aggregation maps' fds (stat). */
int session_vcpu_aggs_fd(const struct session *s);
int session_reg_aggs_fd(const struct session *s);

/* The stack map's fd, for symbolizing stack ids. */
int session_stacks_fd(const struct session *s);

/* Does the running kernel's BTF know tracepoint `name` (btf_trace_<name>)? */
bool kernel_has_btf_tracepoint(const char *name);

/* Does it have all four kvm:kvm_vcpu_* tracepoints of the kernel/ series? */
bool kernel_has_kvmsr_tracepoints(void);

#endif /* KVMSR_SESSION_H */
