/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege once attached: a long-running command (serve) keeps no
 * capability it will not use again.  Loading BPF programs and maps needs
 * CAP_BPF and CAP_PERFMON (and CAP_SYSLOG for kallsyms, the kernel log);
 * once they are loaded, map reads and writes go through the fds kvmsr
 * holds, and attaching a loaded fentry/tp_btf program needs nothing more.
 * A kprobe does (perf_event_open: CAP_PERFMON), and the kprobe backend
 * attaches some of its probes on demand.
 */
#ifndef KVMSR_PRIVS_H
#define KVMSR_PRIVS_H

#include <stdint.h>

#define PRIVS_CAP(c) (1ull << (c))

/*
 * Keep only the capabilities of @keep in the effective and permitted sets,
 * none inheritable or ambient, and no_new_privs: what is dropped cannot
 * come back.  0 or -errno.
 */
int privs_keep_only(uint64_t keep);
/* The effective set now (CapEff), 0 if unknown. */
uint64_t privs_effective(void);

#endif /* KVMSR_PRIVS_H */
