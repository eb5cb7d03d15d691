// SPDX-License-Identifier: GPL-2.0
/*
 * guest - the probe guest: a tiny arm64 KVM guest with known sysreg writes.
 * See guest.h. The guest's code lives here and only here; tests/vmm/vmm.c and
 * kvmsr check both run it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "probe/guest.h"

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

#ifdef __aarch64__

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

typedef uint32_t u32;
typedef uint64_t u64;

#define PAGE		0x1000UL
/*
 * One memslot at IPA 0. Its first page holds a copy of the exception vectors
 * (VBAR_EL1 resets to 0); vCPU v owns the 64 KiB at VCPU_AREA * (v + 1).
 */
#define VCPU_AREA	0x10000UL
#define VCPU_BASE(v)	(VCPU_AREA * ((u64)(v) + 1))
#define DATA_OFF	PAGE		/* per-vCPU data page after the code page */
/* Outside the memslot, so every store there is an MMIO exit. */
#define MMIO_BASE	0x10000000UL
#define MMIO_ADDR(v)	(MMIO_BASE + (u64)(v) * PAGE)
#define MMIO_DONE	8		/* offsets from MMIO_ADDR(v) */
#define MMIO_EXC	16

_Static_assert(sizeof(((struct guest_vm *)0)->vcpu_init) == sizeof(struct kvm_vcpu_init),
	       "guest_vm.vcpu_init must hold a struct kvm_vcpu_init");

/*
 * Guest code, position independent. In: x0 = iterations, x1 = vcpu << 32,
 * x2 = GUEST_F_*, x3 = MMIO address, x4 = data page. Per iteration i:
 *   TTBR0_EL1 = 0x1000 + i * 0x1000 | vcpu << 32, MAIR_EL1 = 0xff44,
 *   TCR_EL1 = 0x19, SCTLR_EL1 ^= nTWI (GUEST_F_TOGGLE_SCTLR), read ACTLR_EL1,
 *   MDSCR_EL1 = MDSCR_EL1, read ID_AA64MMFR0_EL1 (TID3: a trap without a
 *   slot), MMIO write of i.
 * Then one MMIO write of GUEST_DONE_MAGIC to x3 + 8, and spin.
 * Any exception lands in a vector that reports ESR_EL1 by an MMIO write to
 * x3 + 16 (without one, a fault would loop forever on an unmapped VBAR).
 * Code and vectors fill one page; the vCPU's data page follows it.
 */
extern const u32 guest_code[], guest_vectors[];
/*
 * Sizes computed by the assembler: C may not subtract unrelated symbols.
 * The symbols must be global: a GOT reference to a local label becomes
 * ".rodata + addend", and AArch64 GOT entries ignore the addend.
 */
extern const u64 guest_code_size, guest_vectors_size;
asm(".pushsection .rodata\n"
    ".balign 4096\n"
    ".globl guest_code, guest_vectors, guest_code_size, guest_vectors_size\n"
    "guest_code:\n"
    "	adr	x10, 9f\n"
    "	msr	vbar_el1, x10\n"
    "	isb\n"
    "	mov	x5, #0\n"
    "1:	cmp	x5, x0\n"
    "	b.hs	2f\n"
    "	add	x6, x5, #1\n"
    "	lsl	x6, x6, #12\n"
    "	orr	x6, x6, x1\n"
    "	msr	ttbr0_el1, x6\n"
    "	mov	x7, #0xff44\n"
    "	msr	mair_el1, x7\n"
    "	mov	x7, #0x19\n"
    "	msr	tcr_el1, x7\n"
    "	tbz	x2, #0, 4f\n"		/* GUEST_F_TOGGLE_SCTLR */
    "	mrs	x7, sctlr_el1\n"
    "	eor	x7, x7, #0x10000\n"	/* nTWI */
    "	msr	sctlr_el1, x7\n"
    "4:	mrs	x8, actlr_el1\n"
    "	mrs	x9, mdscr_el1\n"
    "	msr	mdscr_el1, x9\n"
    "	mrs	x11, id_aa64mmfr0_el1\n"
    "	stp	x6, x8, [x4]\n"		/* per-vCPU data: last TTBR0, ACTLR */
    "	str	x5, [x3]\n"		/* MMIO exit #i */
    "	add	x5, x5, #1\n"
    "	b	1b\n"
    "2:	ldr	x7, 3f\n"
    "	str	x7, [x3, #8]\n"		/* MMIO: done */
    "	b	2b\n"
    "	.balign 8\n"
    "3:	.quad	0x4b564d53444f4e45\n"	/* GUEST_DONE_MAGIC */
    "	.balign 2048\n"		/* VBAR_EL1: 16 vectors of 0x80 */
    "guest_vectors:\n"
    "9:\n"
    "	.rept	16\n"
    "	mrs	x10, esr_el1\n"
    "	str	x10, [x3, #16]\n"
    "	b	.\n"
    "	.balign	128\n"
    "	.endr\n"
    "guest_code_end:\n"
    "	.balign 8\n"
    "guest_code_size:	.quad guest_code_end - guest_code\n"
    "guest_vectors_size:	.quad guest_code_end - guest_vectors\n"
    ".popsection\n");

static u64 core_reg(size_t off)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	       (off / sizeof(u32));
}

#define CORE_REG(name) core_reg(offsetof(struct kvm_regs, name))
#define REG_TTBR0_EL1	ARM64_SYS_REG(3, 0, 2, 0, 0)
#define REG_TCR_EL1	ARM64_SYS_REG(3, 0, 2, 0, 2)
#define REG_MAIR_EL1	ARM64_SYS_REG(3, 0, 10, 2, 0)
#define REG_FAR_EL1	ARM64_SYS_REG(3, 0, 6, 0, 0)
#define REG_ESR_EL1	ARM64_SYS_REG(3, 0, 5, 2, 0)

static int set_reg(int fd, u64 id, u64 val)
{
	struct kvm_one_reg r = { .id = id, .addr = (u64)(uintptr_t)&val };

	return ioctl(fd, KVM_SET_ONE_REG, &r);
}

static int get_reg(int fd, u64 id, u64 *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (u64)(uintptr_t)val };

	return ioctl(fd, KVM_GET_ONE_REG, &r);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* errno as a negative return value, never 0 (a failed call must fail). */
static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

int guest_vm_open(struct guest_vm *vm, unsigned int nvcpus, char *err, size_t len)
{
	struct kvm_userspace_memory_region region;
	struct kvm_vcpu_init init;
	int kvm_fd, rc;
	long sz;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	if (nvcpus < 1 || nvcpus > GUEST_MAX_VCPUS) {
		seterr(err, len, "vCPUs: %u is not in 1..%d", nvcpus, GUEST_MAX_VCPUS);
		return -EINVAL;
	}
	vm->nvcpus = nvcpus;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		rc = neg_errno();
		seterr(err, len, "open /dev/kvm: %s", strerror(-rc));
		return rc;
	}
	vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		rc = neg_errno();
		seterr(err, len, "KVM_CREATE_VM: %s", strerror(-rc));
		goto out;
	}
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) {
		rc = sz < 0 ? neg_errno() : -EIO;
		seterr(err, len, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(-rc));
		goto out;
	}
	vm->run_size = sz;

	vm->mem_size = VCPU_BASE(nvcpus);
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		rc = neg_errno();
		seterr(err, len, "mmap guest memory: %s", strerror(-rc));
		goto out;
	}
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (u64)(uintptr_t)vm->mem,
	};
	memcpy(vm->mem, guest_vectors, guest_vectors_size);
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		rc = neg_errno();
		seterr(err, len, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-rc));
		goto out;
	}

	memset(&init, 0, sizeof(init));
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init)) {
		rc = neg_errno();
		seterr(err, len, "KVM_ARM_PREFERRED_TARGET: %s", strerror(-rc));
		goto out;
	}
	memcpy(vm->vcpu_init, &init, sizeof(init));
	rc = 0;
out:
	close(kvm_fd);		/* the VM holds its own reference */
	if (rc)
		guest_vm_close(vm);
	return rc;
}

void guest_vm_close(struct guest_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	vm->mem = NULL;
	vm->mem_size = 0;
}

int guest_vcpu_create(struct guest_vm *vm, struct guest_vcpu *vc, unsigned int idx,
		      uint64_t iters, char *err, size_t len)
{
	struct kvm_vcpu_init init;
	u64 area = VCPU_BASE(idx);
	void *run;
	int rc;

	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
	vc->vm = vm;
	vc->idx = idx;
	vc->iters = iters;
	if (!vm->mem || vm->vm_fd < 0 || idx >= vm->nvcpus) {
		seterr(err, len, "vCPU %u: no slot for it in this VM", idx);
		return -EINVAL;
	}
	if (iters < 1 || iters > GUEST_MAX_ITERS) {
		seterr(err, len, "iterations: %llu is not in 1..%llu",
		       (unsigned long long)iters, GUEST_MAX_ITERS);
		return -EINVAL;
	}

	memcpy(vm->mem + area, guest_code, guest_code_size);

	vc->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, idx);
	if (vc->fd < 0) {
		rc = neg_errno();
		seterr(err, len, "KVM_CREATE_VCPU %u: %s", idx, strerror(-rc));
		goto fail;
	}
	memcpy(&init, vm->vcpu_init, sizeof(init));
	if (ioctl(vc->fd, KVM_ARM_VCPU_INIT, &init)) {
		rc = neg_errno();
		seterr(err, len, "KVM_ARM_VCPU_INIT %u: %s", idx, strerror(-rc));
		goto fail;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vc->fd, 0);
	if (run == MAP_FAILED) {
		rc = neg_errno();
		seterr(err, len, "mmap kvm_run: %s", strerror(-rc));
		goto fail;
	}
	vc->run = run;

	if (set_reg(vc->fd, CORE_REG(regs.pc), area) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[0]), iters) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[1]), (u64)idx << 32) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[2]), vm->flags) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[3]), MMIO_ADDR(idx)) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[4]), area + DATA_OFF)) {
		rc = neg_errno();
		seterr(err, len, "KVM_SET_ONE_REG vcpu %u: %s", idx, strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	guest_vcpu_close(vc);
	return rc;
}

void guest_vcpu_close(struct guest_vcpu *vc)
{
	if (vc->run && vc->vm)
		munmap(vc->run, vc->vm->run_size);
	vc->run = NULL;
	if (vc->fd >= 0)
		close(vc->fd);
	vc->fd = -1;
}

int guest_vcpu_step(struct guest_vcpu *vc, char *err, size_t len)
{
	struct kvm_run *run = vc->run;
	u64 mmio_addr = MMIO_ADDR(vc->idx);
	u64 t0, val;
	int rc;

	t0 = now_ns();
	if (ioctl(vc->fd, KVM_RUN, 0)) {
		rc = neg_errno();
		if (rc != -EINTR)
			seterr(err, len, "KVM_RUN: %s", strerror(-rc));
		return rc;
	}
	vc->run_ns += now_ns() - t0;
	vc->runs++;

	if (run->exit_reason != KVM_EXIT_MMIO) {
		seterr(err, len, "unexpected exit reason %u after %llu runs",
		       run->exit_reason, (unsigned long long)vc->runs);
		return -EIO;
	}
	vc->mmio++;
	if (!run->mmio.is_write || run->mmio.len != 8) {
		seterr(err, len, "unexpected MMIO %s len %u at 0x%llx",
		       run->mmio.is_write ? "write" : "read", run->mmio.len,
		       (unsigned long long)run->mmio.phys_addr);
		return -EIO;
	}
	memcpy(&val, run->mmio.data, sizeof(val));

	if (run->mmio.phys_addr == mmio_addr + MMIO_DONE && val == GUEST_DONE_MAGIC)
		return 1;
	if (run->mmio.phys_addr == mmio_addr + MMIO_EXC) {
		u64 elr = 0, far = 0;

		get_reg(vc->fd, CORE_REG(elr_el1), &elr);
		get_reg(vc->fd, REG_FAR_EL1, &far);
		seterr(err, len,
		       "guest exception ESR_EL1=0x%llx ELR_EL1=0x%llx FAR_EL1=0x%llx after %llu runs",
		       (unsigned long long)val, (unsigned long long)elr,
		       (unsigned long long)far, (unsigned long long)vc->runs);
		return -EIO;
	}
	if (run->mmio.phys_addr != mmio_addr || val != vc->mmio - 1) {
		seterr(err, len, "MMIO 0x%llx=0x%llx, expected 0x%llx=0x%llx",
		       (unsigned long long)run->mmio.phys_addr,
		       (unsigned long long)val, (unsigned long long)mmio_addr,
		       (unsigned long long)(vc->mmio - 1));
		return -EIO;
	}
	return 0;
}

int guest_vcpu_run(struct guest_vcpu *vc, unsigned int max_eintr, char *err, size_t len)
{
	unsigned int eintr = 0;
	int rc;

	for (;;) {
		rc = guest_vcpu_step(vc, err, len);
		if (rc == -EINTR && eintr++ < max_eintr)
			continue;
		if (rc == -EINTR)
			seterr(err, len, "KVM_RUN interrupted by signals %u times after %llu runs",
			       eintr, (unsigned long long)vc->runs);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

void guest_vcpu_kick(struct guest_vcpu *vc)
{
	if (vc->run)
		vc->run->immediate_exit = 1;
}

int guest_vcpu_read_regs(struct guest_vcpu *vc, char *err, size_t len)
{
	int rc;

	if (get_reg(vc->fd, REG_TTBR0_EL1, &vc->ttbr0) ||
	    get_reg(vc->fd, REG_MAIR_EL1, &vc->mair) ||
	    get_reg(vc->fd, REG_TCR_EL1, &vc->tcr)) {
		rc = neg_errno();
		seterr(err, len, "KVM_GET_ONE_REG: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

const volatile uint64_t *guest_vcpu_data(const struct guest_vcpu *vc)
{
	return (const volatile uint64_t *)(vc->vm->mem + VCPU_BASE(vc->idx) + DATA_OFF);
}

void guest_vcpu_where(const struct guest_vcpu *vc, char *buf, size_t len)
{
	u64 pc = 0, pstate = 0, esr = 0, elr = 0, far = 0;

	get_reg(vc->fd, CORE_REG(regs.pc), &pc);
	get_reg(vc->fd, CORE_REG(regs.pstate), &pstate);
	get_reg(vc->fd, REG_ESR_EL1, &esr);
	get_reg(vc->fd, CORE_REG(elr_el1), &elr);
	get_reg(vc->fd, REG_FAR_EL1, &far);
	seterr(buf, len, "PC=0x%llx PSTATE=0x%llx ESR_EL1=0x%llx ELR_EL1=0x%llx FAR_EL1=0x%llx",
	       (unsigned long long)pc, (unsigned long long)pstate,
	       (unsigned long long)esr, (unsigned long long)elr,
	       (unsigned long long)far);
}

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

#else /* !__aarch64__ */

#define NOT_ARM64(err, len) do {						\
	seterr(err, len, "the probe guest needs arm64 KVM; this binary is not for arm64"); \
	return -EOPNOTSUPP;							\
} while (0)

int guest_vm_open(struct guest_vm *vm, unsigned int nvcpus, char *err, size_t len)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	(void)nvcpus;
	NOT_ARM64(err, len);
}

void guest_vm_close(struct guest_vm *vm)
{
	vm->vm_fd = -1;
}

int guest_vcpu_create(struct guest_vm *vm, struct guest_vcpu *vc, unsigned int idx,
		      uint64_t iters, char *err, size_t len)
{
	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
	(void)vm, (void)idx, (void)iters;
	NOT_ARM64(err, len);
}

void guest_vcpu_close(struct guest_vcpu *vc)
{
	vc->fd = -1;
}

int guest_vcpu_step(struct guest_vcpu *vc, char *err, size_t len)
{
	(void)vc;
	NOT_ARM64(err, len);
}

int guest_vcpu_run(struct guest_vcpu *vc, unsigned int max_eintr, char *err, size_t len)
{
	(void)vc, (void)max_eintr;
	NOT_ARM64(err, len);
}

void guest_vcpu_kick(struct guest_vcpu *vc)
{
	(void)vc;
}

int guest_vcpu_read_regs(struct guest_vcpu *vc, char *err, size_t len)
{
	(void)vc;
	NOT_ARM64(err, len);
}

const volatile uint64_t *guest_vcpu_data(const struct guest_vcpu *vc)
{
	(void)vc;
	return NULL;
}

void guest_vcpu_where(const struct guest_vcpu *vc, char *buf, size_t len)
{
	(void)vc;
	seterr(buf, len, "no arm64 guest");
}

static int gettid_(void)
{
	return 0;
}

#endif /* __aarch64__ */

bool guest_vcpu_matches(const struct guest_vcpu *vc)
{
	return vc->ttbr0 == guest_ttbr0(vc->idx, vc->iters - 1) &&
	       vc->mair == GUEST_MAIR && vc->tcr == GUEST_TCR &&
	       vc->mmio == vc->iters + 1 && vc->runs == vc->iters + 1;
}

#define PROBE_MAX_ITERS	100000
#define PROBE_MAX_EINTR	8

int guest_probe_run(unsigned int iters, struct guest_probe_result *r, char *err, size_t len)
{
	struct guest_vcpu vc = { .fd = -1 };
	struct guest_vm vm = { .vm_fd = -1 };
	struct timespec ts;
	int rc;

	memset(r, 0, sizeof(*r));
	if (iters < 1 || iters > PROBE_MAX_ITERS) {
		seterr(err, len, "probe iterations: %u is not in 1..%d", iters, PROBE_MAX_ITERS);
		return -EINVAL;
	}
	r->pid = getpid();
	r->tid = gettid_();
	r->vcpu_id = 0;
	r->iters = iters;
	r->vm_writes = 3ULL * iters;
	r->want_ttbr0 = guest_ttbr0(0, iters - 1);
	r->want_mair = GUEST_MAIR;
	r->want_tcr = GUEST_TCR;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->start_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;

	rc = guest_vm_open(&vm, 1, err, len);
	if (!rc)
		rc = guest_vcpu_create(&vm, &vc, 0, iters, err, len);
	if (!rc)
		rc = guest_vcpu_run(&vc, PROBE_MAX_EINTR, err, len);
	if (!rc)
		rc = guest_vcpu_read_regs(&vc, err, len);
	r->runs = vc.runs;
	r->run_ns = vc.run_ns;
	r->ttbr0 = vc.ttbr0;
	r->mair = vc.mair;
	r->tcr = vc.tcr;
	r->match = !rc && guest_vcpu_matches(&vc);
	if (!rc && !r->match)
		seterr(err, len,
		       "read back ttbr0=0x%llx mair=0x%llx tcr=0x%llx after %llu runs, want ttbr0=0x%llx mair=0x%llx tcr=0x%llx after %u",
		       (unsigned long long)r->ttbr0, (unsigned long long)r->mair,
		       (unsigned long long)r->tcr, (unsigned long long)r->runs,
		       (unsigned long long)r->want_ttbr0, GUEST_MAIR, GUEST_TCR, iters + 1);

	guest_vcpu_close(&vc);
	guest_vm_close(&vm);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->end_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return rc;
}
