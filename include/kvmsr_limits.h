/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sizes shared by the BPF programs (bpf/) and the user half (src/), and the
 * one log2 bucketing both use.  A BPF map's max_entries or a value's array
 * length that user space also relies on (to size what it reads back, or a
 * file format) is defined here and nowhere else.
 */
#ifndef KVMSR_LIMITS_H
#define KVMSR_LIMITS_H

#include "kvmsr_event.h"	/* KVMSR_HIST_BUCKETS, the fixed-width types */

/*
 * Frames of a kernel stack the BPF side takes (bpf_get_task_stack()): the
 * value of the `stacks` map is __u64 ips[KVMSR_STACK_DEPTH], and a recording
 * stores at most that many frames per stack.
 */
#define KVMSR_STACK_DEPTH 32

/*
 * Frames of a load's or put's stack for the flight recorder (--context):
 * the BPF program and trampoline (or the tracepoint's four: bpf_trace_run1,
 * __bpf_trace_*, __traceiter_*, kvm_arch_vcpu_load itself) on top, then the
 * callers the context shows.  The walk is paid on every load and put.
 */
#define KVMSR_CONTEXT_STACK_DEPTH 10

/* max_entries of the BPF maps user space walks or mirrors. */
#define KVMSR_MAX_VCPUS 4096		/* vcpu_aggs: per-vCPU counting records */
#define KVMSR_MAX_REG_AGGS 65536	/* reg_aggs: per-(vCPU, register) counters */
#define KVMSR_MAX_STACKS 4096		/* stacks: LRU of captured stacks */
#define KVMSR_MAX_TRAP_NAMES 1024	/* trap_names: by encoding, a few hundred trap */
#define KVMSR_MAX_TALLIES 16384		/* tallies: per (vCPU, event type, register) */
#define KVMSR_MAX_THREADS 4096		/* entry_args, vcpu_tasks: per-thread LRU/hash */
#define KVMSR_RINGBUF_BYTES (16u << 20)	/* events: the ring buffer */

/*
 * The histogram bucket of a duration: floor(log2(ns)), 0 for 0 and 1,
 * clamped to the last bucket.  An unrolled binary search: no loop, so the
 * BPF verifier sees a bounded body of ~6 steps.
 */
static inline __u32 kvmsr_log2_bucket(__u64 v)
{
	__u32 b = 0;

	if (v >> 32) { v >>= 32; b += 32; }
	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) b += 1;
	return b < KVMSR_HIST_BUCKETS ? b : KVMSR_HIST_BUCKETS - 1;
}

#endif /* KVMSR_LIMITS_H */
