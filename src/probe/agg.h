/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `stat` without a record per event: read the BPF aggregation maps into the
 * analyzer's per-vCPU structures, so report.c prints them like a stream.
 */
#ifndef KVMSR_AGG_H
#define KVMSR_AGG_H

#include <stdbool.h>
#include <stdint.h>
#include "analysis/analyzer.h"
#include "probe/session.h"
#include "symbols/keymap.h"

/*
 * Fill a (fresh) analyzer from the maps as of now_ns: open intervals count
 * up to now.  vcpu_filter >= 0 keeps one vCPU.  0 or -errno.
 */
int agg_snapshot(const struct session *s, struct analyzer *a, uint64_t now_ns,
		 int32_t vcpu_filter);

/*
 * Forget the vCPUs of VMs that are gone (alive(pid) false), and their
 * register counts, so that a long-running exporter's series stay bounded.
 * Returns how many vCPUs were dropped.
 */
int agg_prune(const struct session *s, bool (*alive)(uint32_t pid));

/*
 * @fn(@ctx, pid) for each vCPU new since the last call (@seen: the kvm_vcpu
 * pointers of the map at the last call, kept by the caller and replaced):
 * counting stat names a VM while its process is there to read.  Only new
 * vCPUs cost a lookup.
 */
void agg_new_vcpus(const struct session *s, struct keymap *seen,
		   void (*fn)(void *ctx, uint32_t pid), void *ctx);

#endif /* KVMSR_AGG_H */
