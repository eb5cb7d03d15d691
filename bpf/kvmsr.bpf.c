// SPDX-License-Identifier: GPL-2.0
/*
 * kvmsr, kernel half: watches arm64 KVM load and put the guest's EL1 system
 * registers and every access through vcpu_read_sys_reg()/vcpu_write_sys_reg(),
 * and streams fixed-size records (include/kvmsr_event.h) to user space.
 *
 * Three interchangeable attach backends: the kvm_vcpu_*_tp bare tracepoints
 * of the kernel/ patch series where the kernel has them (exact: the accessor
 * says where it served each access), fentry/fexit where the kernel has BPF
 * trampolines, kprobe/kretprobe otherwise (Debian 6.1).  User space enables
 * one set with bpf_program__set_autoload() and retargets the VHE sysreg
 * load/put programs to the function the running kernel has.  All sets call
 * the same bodies, so they cannot drift apart.
 *
 * One object, one translation unit: the pieces below are headers included
 * here, in the order they depend on each other, rather than several .bpf.o
 * linked with `bpftool gen object`.  Linking would need every shared map
 * and .rodata/.bss variable declared `extern` (and __hidden) outside the one
 * file defining it, and bodies shared across objects would become real
 * subprogram calls on the hot paths instead of being inlined into each
 * program; as one unit clang inlines them and the skeleton (kvmsr_bpf) keeps
 * its names.  The Makefile rebuilds the object when any bpf/ file changes.
 *
 *   maps.bpf.h        configuration, results, maps, per-CPU state
 *   core_fixes.bpf.h  kernel-layout quirks, each citing its kernel change
 *   stack.bpf.h       kernel stacks filed by content
 *   event.bpf.h       EMIT_EVENT(): a record, its fields by name
 *   calib.bpf.h       learning the SYSREGS_ON_CPU bit
 *   count.bpf.h       counting mode (stat)
 *   flight.bpf.h      the flight recorder (--context)
 *   stream.bpf.h      streaming bodies: load, put, access, SAVED, guest events
 *   wrap.bpf.h        THIN_PROG(): a program that unpacks and calls a body
 *   fentry.bpf.h, tp.bpf.h, kprobe.bpf.h   the programs, one THIN_PROG each
 */
#include "kvm_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kvmsr_event.h"
#include "kvmsr_limits.h"

char LICENSE[] SEC("license") = "GPL";

#include "maps.bpf.h"
#include "core_fixes.bpf.h"
#include "stack.bpf.h"
#include "event.bpf.h"
#include "calib.bpf.h"
#include "count.bpf.h"
#include "flight.bpf.h"
#include "tally.bpf.h"
#include "stream.bpf.h"
#include "wrap.bpf.h"
#include "fentry.bpf.h"
#include "tp.bpf.h"
#include "kprobe.bpf.h"
