/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The analyzer: pure C, no libbpf, no syscalls.  It is fed kvmsr_event
 * records in ring-buffer order, from the live stream or a recording alike,
 * and keeps per-vCPU state and statistics.  Unit tests drive it directly.
 */
#ifndef KVMSR_ANALYZER_H
#define KVMSR_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvmsr_event.h"

/* Accessor traffic of one register on one vCPU; index [1] = while loaded. */
struct reg_stats {
	uint64_t reads[2];
	uint64_t writes[2];
	uint64_t traps;		/* trapped guest accesses (kvm_sys_access) */
	uint64_t traps_seen;	/* ... followed by a visible accessor call */
};

struct vcpu_stats {
	uint32_t pid;
	int32_t vcpu_id;
	uint64_t loads, puts;
	uint64_t loaded_ns;	/* load->put time with sysregs on the CPU */
	uint64_t resident_ns;	/* load->put time, whatever the flag */
	uint64_t first_ns, last_ns;
	uint64_t reads[2], writes[2];
	uint64_t traps, traps_seen;
	uint64_t entries;
	uint64_t double_loads;	/* load while already loaded, no put between */
	uint64_t orphan_puts;	/* put without a load seen */
	struct reg_stats *regs;	/* KVMSR_MAX_REGS entries, lazily allocated */

	/* Open load->put interval. */
	bool in;
	bool in_loaded;
	uint64_t since_ns;
	/* Trap awaiting its accessor call (coverage), -1 if none. */
	int pending_trap;
};

struct analyzer {
	struct vcpu_stats *vcpus;
	size_t nr_vcpus, cap_vcpus;
	uint64_t events[KVMSR_EV__MAX];
	uint64_t first_ns, last_ns;
	uint64_t bad_records;	/* unknown type: never silently dropped */
};

void analyzer_init(struct analyzer *a);
void analyzer_free(struct analyzer *a);

/* Returns the vCPU the event was attributed to, NULL if none. */
struct vcpu_stats *analyzer_feed(struct analyzer *a, const struct kvmsr_event *e);

/* Close what is still open at the end of tracing (time end_ns). */
void analyzer_finish(struct analyzer *a, uint64_t end_ns);

/* Share of a vCPU's observed wall time spent with its sysregs loaded. */
double vcpu_loaded_share(const struct vcpu_stats *v);

struct vcpu_stats *analyzer_find(struct analyzer *a, uint32_t pid, int32_t vcpu_id);

/* Sum of all vCPUs, for the coverage summary. */
void analyzer_totals(const struct analyzer *a, struct vcpu_stats *sum);

#endif /* KVMSR_ANALYZER_H */
