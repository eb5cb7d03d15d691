/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM identity: the name and UUID operators know a VM by, for a VMM pid, and
 * the names of its vCPU threads.  Names are symbols, resolved at the bottom
 * like kernel code names: from /proc, once per pid, into a bounded cache;
 * or, for a recording, only from what the file says (never this host's
 * /proc).
 *
 * A VM's name, in order of preference:
 *   qemu-name  QEMU's -name NAME / -name guest=NAME,... in /proc/PID/cmdline
 *              (with -uuid UUID beside it);
 *   libvirt    the domain in the cgroup path (/proc/PID/cgroup):
 *              machine.slice/machine-qemu\x2dN\x2dNAME.scope (systemd) or
 *              /machine/qemu-N-NAME.libvirt-qemu, /machine/NAME.libvirt-qemu;
 *   comm       the process name (/proc/PID/comm).
 * Every name is cleaned where it is made (vmident_clean()): valid UTF-8 without
 * control characters, cut at a character, at most VMID_NAME_LEN - 1 bytes,
 * so that a Prometheus label, a JSON string and a terminal line all take it.
 */
#ifndef KVMSR_VMIDENT_H
#define KVMSR_VMIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbols/keymap.h"

#define VMID_NAME_LEN 64	/* a VM name, NUL included: a label, not an essay */
#define VMID_UUID_LEN 40	/* 36 characters and the NUL */
#define VMID_THREAD_LEN 16	/* TASK_COMM_LEN */
/* Bytes read of /proc/PID/cmdline or /proc/PID/cgroup: QEMU's is ~10 KiB under libvirt. */
#define VMID_READ_MAX (64u << 10)
/* VMs and threads kept; beyond, the live cache starts over, a recording's are dropped. */
#define VMID_MAX_VMS 4096
#define VMID_MAX_THREADS 16384

enum vm_source {
	VMID_NONE,		/* nothing known */
	VMID_QEMU_NAME,		/* QEMU's -name */
	VMID_LIBVIRT,		/* the libvirt domain of the cgroup path */
	VMID_COMM,		/* the process name */
	VMID__MAX,
};

struct vm_ident {
	uint32_t pid;
	uint8_t source;			/* enum vm_source */
	bool exited;			/* KVMSR_EV_VM_EXIT seen: re-resolve if seen again */
	uint32_t gen;			/* bumped when re-resolved (a recorder writes it again) */
	char name[VMID_NAME_LEN];	/* "" if none */
	char uuid[VMID_UUID_LEN];	/* "" if none */
};

struct vm_thread {
	char name[VMID_THREAD_LEN];
};

struct vmident {
	const char *proc;		/* "/proc", or a test's; NULL: a recording's names only */
	struct keymap by_pid;		/* pid -> index in vm */
	struct vm_ident *vm;
	size_t nr_vm, cap_vm;
	struct keymap by_tid;		/* pid << 32 | tid -> index in thr */
	struct vm_thread *thr;
	size_t nr_thr, cap_thr;
	uint64_t dropped;		/* a recording's entries beyond the caps */
};

/* "qemu-name", "libvirt", "comm" or "none". */
const char *vmident_source_name(enum vm_source s);

/* ---- pure parsing, for synthetic inputs too ---- */

/*
 * @s made fit for every output, in place: control characters (C0, DEL, C1)
 * and bytes that are not UTF-8 become '?'.
 */
void vmident_clean(char *s);
/*
 * QEMU's command line (NUL-separated, @len bytes, need not end in a NUL):
 * the guest name of its last -name/--name into @name ("" if none) and its
 * -uuid into @uuid ("" if none or not a UUID).  True if a name was found.
 */
bool vmident_parse_cmdline(const char *buf, size_t len, char *name, char *uuid);
/* /proc/PID/cgroup text: the libvirt domain into @name; true if found. */
bool vmident_parse_cgroup(const char *buf, size_t len, char *name);

/* ---- the cache ---- */

/* @proc: "/proc" live; NULL resolves nothing (a recording's names, vmident_set()). */
void vmident_init(struct vmident *v, const char *proc);
void vmident_free(struct vmident *v);
/* The identity of @pid, resolved the first time; NULL if unknown. */
const struct vm_ident *vmident_get(struct vmident *v, uint32_t pid);
/*
 * An event of @pid arrived: as vmident_get(), but a VM that exited is
 * resolved again (its pid may be a new VMM's, or the VMM made a new VM).
 */
const struct vm_ident *vmident_seen(struct vmident *v, uint32_t pid);
/* KVMSR_EV_VM_EXIT of @pid: its name stays for the reports, re-resolved if seen again. */
void vmident_exited(struct vmident *v, uint32_t pid);
/* Forget the VMs @alive says are gone (serve: bounded labels); @alive(pid). */
void vmident_prune(struct vmident *v, bool (*alive)(uint32_t pid));
/* A recording's entry (cleaned here); -ENOSPC beyond VMID_MAX_VMS (counted). */
int vmident_set(struct vmident *v, const struct vm_ident *id);
/* The name of thread @tid of @pid ("CPU 0/KVM"), NULL if unknown; resolved once. */
const char *vmident_thread(struct vmident *v, uint32_t pid, uint32_t tid);
/* A recording's thread name; -ENOSPC beyond VMID_MAX_THREADS (counted). */
int vmident_set_thread(struct vmident *v, uint32_t pid, uint32_t tid, const char *name);

/*
 * --vm NAME: the pids under @proc that hold a KVM VM (an fd on
 * anon_inode:kvm-vm) and whose name or UUID is @name, into @pids (at most
 * @max); returns how many matched (may exceed @max), or -errno.
 */
int vmident_find(const char *proc, const char *name, uint32_t *pids, int max);

#endif /* KVMSR_VMIDENT_H */
