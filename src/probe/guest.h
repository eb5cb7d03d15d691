/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest - a tiny arm64 KVM guest with known sysreg writes, shared by the test
 * bed's VMM (tests/vmm/vmm.c) and kvmsr's built-in probe (guest_probe_run()).
 *
 * Each vCPU runs its own copy of a small guest loop (MMU off, EL1). For
 * iteration i (0-based) of vCPU v it writes
 *	TTBR0_EL1 = (i + 1) << 12 | v << 32,  MAIR_EL1 = 0xff44,  TCR_EL1 = 0x19
 * (trapped by KVM when HCR_EL2.TVM is set, e.g. on -cpu neoverse-n1), reads
 * ACTLR_EL1, reads and writes MDSCR_EL1, reads ID_AA64MMFR0_EL1 (trapped by
 * HCR_EL2.TID3: a register without a sys_regs[] slot, named only by its
 * descriptor), with GUEST_F_TOGGLE_SCTLR flips
 * SCTLR_EL1.nTWI (bit 16: EL0 WFI trapping, no effect on the EL1 guest, but a
 * TVM-trapped write that KVM's MMIO path then reads back through
 * vcpu_read_sys_reg() for the endianness), and stores i to an IPA without a
 * memslot, so every iteration is exactly one KVM_RUN ending in KVM_EXIT_MMIO.
 * A final MMIO store of GUEST_DONE_MAGIC says "done": N iterations take N + 1
 * KVM_RUN calls. A guest exception reports ESR_EL1 by MMIO instead.
 *
 * No globals: any number of VMs and vCPUs may exist at once, and each vCPU
 * may be driven from its own thread. Nothing here exits or prints; errors are
 * a negative errno plus a message in the caller's buffer. On anything but
 * arm64 every entry point fails with -EOPNOTSUPP.
 */
#ifndef KVMSR_GUEST_H
#define KVMSR_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MAX_VCPUS		32
#define GUEST_MAX_ITERS		(1ULL << 30)
#define GUEST_PROBE_ITERS	20	/* a good default for guest_probe_run() */
#define GUEST_MAIR		0xff44ULL
#define GUEST_TCR		0x19ULL
#define GUEST_DONE_MAGIC	0x4b564d53444f4e45ULL	/* "KVMSDONE" */

/* TTBR0_EL1 as written by vCPU @vcpu in iteration @iter (0-based). */
static inline uint64_t guest_ttbr0(unsigned int vcpu, uint64_t iter)
{
	return (iter + 1) << 12 | (uint64_t)vcpu << 32;
}

struct kvm_run;

struct guest_vm {
	int vm_fd;
	unsigned int nvcpus;		/* vCPU slots in the memslot */
	size_t run_size;		/* mmap size of struct kvm_run */
	unsigned char *mem;		/* guest memory at IPA 0 */
	size_t mem_size;
	uint32_t vcpu_init[8];		/* struct kvm_vcpu_init, preferred target */
	uint32_t flags;			/* GUEST_F_*, set before guest_vcpu_create() */
};

#define GUEST_F_TOGGLE_SCTLR	(1u << 0)	/* flip SCTLR_EL1.nTWI every iteration */

struct guest_vcpu {
	struct guest_vm *vm;
	unsigned int idx;		/* vcpu_id, also the guest's slot */
	int fd;
	struct kvm_run *run;
	uint64_t iters;
	/* Results, filled by guest_vcpu_step() and guest_vcpu_read_regs(). */
	uint64_t runs;			/* KVM_RUN calls that returned 0 */
	uint64_t run_ns;		/* CLOCK_MONOTONIC ns inside them */
	uint64_t mmio;			/* MMIO exits */
	uint64_t ttbr0, mair, tcr;	/* KVM_GET_ONE_REG after the run */
};

/*
 * Open /dev/kvm, create a VM with one memslot sized for @nvcpus vCPUs
 * (1..GUEST_MAX_VCPUS) holding the exception vectors, and get the preferred
 * vCPU target. On error nothing is left open. guest_vm_close() is safe after
 * any guest_vm_open(), failed or not, and twice.
 */
int guest_vm_open(struct guest_vm *vm, unsigned int nvcpus, char *err, size_t len);
void guest_vm_close(struct guest_vm *vm);

/*
 * Create vCPU @idx (< vm->nvcpus), copy the guest code into its slot,
 * KVM_ARM_VCPU_INIT it and set PC and the guest's arguments for @iters
 * (1..GUEST_MAX_ITERS) iterations. arm64 KVM wants every vCPU created before
 * any of them runs. On error nothing is left open; guest_vcpu_close() is safe
 * after any guest_vcpu_create(), failed or not, and twice. Close vCPUs before
 * their VM (a vCPU uses vm->run_size to unmap its struct kvm_run).
 */
int guest_vcpu_create(struct guest_vm *vm, struct guest_vcpu *vc, unsigned int idx,
		      uint64_t iters, char *err, size_t len);
void guest_vcpu_close(struct guest_vcpu *vc);

/*
 * One KVM_RUN and a check of the exit it ended with. Returns 0 after an
 * iteration's MMIO, 1 once the guest said "done", -EINTR (no message) if a
 * signal interrupted KVM_RUN (nothing counted; call again or give up), or
 * another negative errno with a message (unexpected exit, guest exception,
 * wrong MMIO value).
 */
int guest_vcpu_step(struct guest_vcpu *vc, char *err, size_t len);

/*
 * Step until done, retrying -EINTR at most @max_eintr times (then -EINTR with
 * a message).
 */
int guest_vcpu_run(struct guest_vcpu *vc, unsigned int max_eintr, char *err, size_t len);

/* Make the vCPU's current or next KVM_RUN return -EINTR at once (watchdogs). */
void guest_vcpu_kick(struct guest_vcpu *vc);

/* Read TTBR0_EL1, MAIR_EL1 and TCR_EL1 back into @vc with KVM_GET_ONE_REG. */
int guest_vcpu_read_regs(struct guest_vcpu *vc, char *err, size_t len);

/* Values the guest must have left behind (runs, MMIO exits, sysregs). */
bool guest_vcpu_matches(const struct guest_vcpu *vc);

/* The guest's own record in its data page: last TTBR0_EL1, ACTLR_EL1. */
const volatile uint64_t *guest_vcpu_data(const struct guest_vcpu *vc);

/* "PC=0x.. PSTATE=0x.. ESR_EL1=0x.. ELR_EL1=0x.. FAR_EL1=0x..", for a stuck guest. */
void guest_vcpu_where(const struct guest_vcpu *vc, char *buf, size_t len);

/* kvmsr's probe: one VM, one vCPU (vcpu_id 0), run in the calling thread. */
struct guest_probe_result {
	int pid, tid;			/* the VMM process and vCPU thread: us */
	unsigned int vcpu_id;		/* always 0 */
	unsigned int iters;
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC (= bpf_ktime_get_ns)
					 * around VM creation .. teardown */
	uint64_t runs;			/* KVM_RUN calls: iters + 1 */
	uint64_t run_ns;		/* ns inside KVM_RUN */
	uint64_t vm_writes;		/* TTBR0/MAIR/TCR writes by the guest,
					 * 3 * iters; trapped when TVM is set */
	uint64_t ttbr0, mair, tcr;	/* read back with KVM_GET_ONE_REG */
	uint64_t want_ttbr0, want_mair, want_tcr;
	bool match;			/* read back == want, runs == iters + 1 */
};

/*
 * Run the probe guest for @iters (1..100000, GUEST_PROBE_ITERS is plenty)
 * iterations. Returns 0 if the guest ran to completion (then @r is filled;
 * r->match says whether the values came back right, and if not @err says
 * how), or a negative errno with a message in @err. Every path closes the VM
 * and vCPU fds and unmaps all memory. A signal caught during KVM_RUN is
 * retried a few times, then the probe gives up with -EINTR.
 */
int guest_probe_run(unsigned int iters, struct guest_probe_result *r, char *err, size_t len);

#endif /* KVMSR_GUEST_H */
