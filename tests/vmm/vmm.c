// SPDX-License-Identifier: GPL-2.0
/*
 * vmm - a tiny KVM VMM that runs a nested arm64 guest for the kvmsr test bed.
 *
 * Each vCPU runs its own copy of a small guest loop (MMU off, EL1) that
 * writes known constants to TTBR0_EL1/MAIR_EL1/TCR_EL1 (trapped by KVM when
 * HCR_EL2.TVM is set, e.g. on -cpu neoverse-n1), reads ACTLR_EL1, reads and
 * writes MDSCR_EL1, and then stores to an IPA without a memslot so that every
 * iteration is exactly one KVM_RUN ending in KVM_EXIT_MMIO. A final MMIO write
 * of a magic value says "done". The VMM checks every MMIO value and reads the
 * sysregs back with KVM_GET_ONE_REG, so the guest provably ran.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -pthread \
 *            -o vmm tests/vmm/vmm.c
 * Usage: vmm [--iters N] [--vcpus N] [--timeout SECONDS]
 * (a watchdog stops a stuck guest after --timeout, default 120, and reports
 * its PC/ESR_EL1/ELR_EL1/FAR_EL1)
 * Output, one line per vCPU, then "vmm: ok":
 *   vmm: vcpu=V kvm_run=N ioctl_ns=T ttbr0=0x... mair=0x... tcr=0x... mmio=M
 */
#define _GNU_SOURCE		/* pthread_timedjoin_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

typedef uint32_t u32;
typedef uint64_t u64;

#define MAX_VCPUS	32
#define PAGE		0x1000UL
/*
 * One memslot at IPA 0. Its first page holds a copy of the exception vectors
 * (VBAR_EL1 resets to 0); vCPU v owns the 64 KiB at VCPU_AREA * (v + 1).
 */
#define VCPU_AREA	0x10000UL
#define VCPU_BASE(v)	(VCPU_AREA * ((v) + 1))
#define DATA_OFF	PAGE		/* per-vCPU data page after the code page */
/* Outside the memslot, so every store there is an MMIO exit. */
#define MMIO_BASE	0x10000000UL
#define DONE_MAGIC	0x4b564d53444f4e45UL	/* "KVMSDONE" */

#define MAIR_VAL	0xff44UL
#define TCR_VAL		0x19UL

/*
 * Guest code, position independent. In: x0 = iterations, x1 = vcpu << 32,
 * x3 = MMIO address, x4 = data page. Per iteration i:
 *   TTBR0_EL1 = 0x1000 + i * 0x1000 | vcpu << 32, MAIR_EL1 = 0xff44,
 *   TCR_EL1 = 0x19, read ACTLR_EL1, MDSCR_EL1 = MDSCR_EL1, MMIO write of i.
 * Then one MMIO write of DONE_MAGIC to x3 + 8, and spin.
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
    "	mrs	x8, actlr_el1\n"
    "	mrs	x9, mdscr_el1\n"
    "	msr	mdscr_el1, x9\n"
    "	stp	x6, x8, [x4]\n"		/* per-vCPU data: last TTBR0, ACTLR */
    "	str	x5, [x3]\n"		/* MMIO exit #i */
    "	add	x5, x5, #1\n"
    "	b	1b\n"
    "2:	ldr	x7, 3f\n"
    "	str	x7, [x3, #8]\n"		/* MMIO: done */
    "	b	2b\n"
    "	.balign 8\n"
    "3:	.quad	0x4b564d53444f4e45\n"
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

struct vcpu {
	int idx;
	int fd;
	struct kvm_run *run;
	u64 iters;
	/* results */
	u64 kvm_run, ioctl_ns, mmio, ttbr0, mair, tcr;
	char err[256];
};

static int kvm_fd, vm_fd;
static volatile sig_atomic_t stop;
static size_t run_size;
static unsigned char *mem;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vmm: error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

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

/* Create and initialise vCPU v; guest code and registers are per vCPU. */
static void vcpu_setup(struct vcpu *vc, struct kvm_vcpu_init *init)
{
	u64 area = VCPU_BASE(vc->idx);

	memcpy(mem + area, guest_code, guest_code_size);

	vc->fd = ioctl(vm_fd, KVM_CREATE_VCPU, vc->idx);
	if (vc->fd < 0)
		die("KVM_CREATE_VCPU %d: %s", vc->idx, strerror(errno));
	if (ioctl(vc->fd, KVM_ARM_VCPU_INIT, init))
		die("KVM_ARM_VCPU_INIT %d: %s", vc->idx, strerror(errno));
	vc->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vc->fd, 0);
	if (vc->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));

	if (set_reg(vc->fd, CORE_REG(regs.pc), area) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[0]), vc->iters) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[1]), (u64)vc->idx << 32) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[3]), MMIO_BASE + vc->idx * PAGE) ||
	    set_reg(vc->fd, CORE_REG(regs.regs[4]), area + DATA_OFF))
		die("KVM_SET_ONE_REG vcpu %d: %s", vc->idx, strerror(errno));
}

/* Watchdog fired: report where the guest is, from its registers. */
static void *stuck(struct vcpu *vc)
{
	u64 pc = 0, pstate = 0, esr = 0, elr = 0, far = 0;

	get_reg(vc->fd, CORE_REG(regs.pc), &pc);
	get_reg(vc->fd, CORE_REG(regs.pstate), &pstate);
	get_reg(vc->fd, REG_ESR_EL1, &esr);
	get_reg(vc->fd, CORE_REG(elr_el1), &elr);
	get_reg(vc->fd, REG_FAR_EL1, &far);
	snprintf(vc->err, sizeof(vc->err),
		 "watchdog timeout after %llu runs: PC=0x%llx PSTATE=0x%llx ESR_EL1=0x%llx ELR_EL1=0x%llx FAR_EL1=0x%llx",
		 (unsigned long long)vc->kvm_run, (unsigned long long)pc,
		 (unsigned long long)pstate, (unsigned long long)esr,
		 (unsigned long long)elr, (unsigned long long)far);
	return NULL;
}

#define FAIL(vc, ...) do {						\
	snprintf((vc)->err, sizeof((vc)->err), __VA_ARGS__);		\
	return NULL;							\
} while (0)

static void *vcpu_thread(void *arg)
{
	struct vcpu *vc = arg;
	struct kvm_run *run = vc->run;
	u64 mmio_addr = MMIO_BASE + vc->idx * PAGE;
	u64 t0, val;

	for (;;) {
		t0 = now_ns();
		if (ioctl(vc->fd, KVM_RUN, 0)) {
			if (errno == EINTR && stop)
				return stuck(vc);
			if (errno == EINTR)
				continue;
			FAIL(vc, "KVM_RUN: %s", strerror(errno));
		}
		vc->ioctl_ns += now_ns() - t0;
		vc->kvm_run++;

		if (run->exit_reason != KVM_EXIT_MMIO)
			FAIL(vc, "unexpected exit reason %u after %llu runs",
			     run->exit_reason, (unsigned long long)vc->kvm_run);
		vc->mmio++;
		if (!run->mmio.is_write || run->mmio.len != 8)
			FAIL(vc, "unexpected MMIO %s len %u at 0x%llx",
			     run->mmio.is_write ? "write" : "read", run->mmio.len,
			     (unsigned long long)run->mmio.phys_addr);
		memcpy(&val, run->mmio.data, sizeof(val));

		if (run->mmio.phys_addr == mmio_addr + 8 && val == DONE_MAGIC)
			break;
		if (run->mmio.phys_addr == mmio_addr + 16) {
			u64 elr = 0, far = 0;

			get_reg(vc->fd, CORE_REG(elr_el1), &elr);
			get_reg(vc->fd, REG_FAR_EL1, &far);
			FAIL(vc, "guest exception ESR_EL1=0x%llx ELR_EL1=0x%llx FAR_EL1=0x%llx after %llu runs",
			     (unsigned long long)val, (unsigned long long)elr,
			     (unsigned long long)far,
			     (unsigned long long)vc->kvm_run);
		}
		if (run->mmio.phys_addr != mmio_addr || val != vc->mmio - 1)
			FAIL(vc, "MMIO 0x%llx=0x%llx, expected 0x%llx=0x%llx",
			     (unsigned long long)run->mmio.phys_addr,
			     (unsigned long long)val,
			     (unsigned long long)mmio_addr,
			     (unsigned long long)(vc->mmio - 1));
	}

	if (get_reg(vc->fd, REG_TTBR0_EL1, &vc->ttbr0) ||
	    get_reg(vc->fd, REG_MAIR_EL1, &vc->mair) ||
	    get_reg(vc->fd, REG_TCR_EL1, &vc->tcr))
		FAIL(vc, "KVM_GET_ONE_REG: %s", strerror(errno));
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

static u64 parse_num(const char *opt, const char *s, u64 max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s ? s : "", &end, 0);
	if (!s || !*s || *end || errno || v < 1 || v > max)
		die("%s wants a number in 1..%llu", opt, (unsigned long long)max);
	return v;
}

int main(int argc, char **argv)
{
	static struct vcpu vcpus[MAX_VCPUS];
	struct kvm_userspace_memory_region region;
	struct kvm_vcpu_init init;
	pthread_t tid[MAX_VCPUS];
	bool joined[MAX_VCPUS] = { false };
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct timespec deadline;
	u64 iters = 20, nvcpus = 1, timeout = 120, want_ttbr0, *data;
	size_t mem_size;
	int i, j, bad = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iters"))
			iters = parse_num("--iters", argv[++i], 1UL << 30);
		else if (!strcmp(argv[i], "--vcpus"))
			nvcpus = parse_num("--vcpus", argv[++i], MAX_VCPUS);
		else if (!strcmp(argv[i], "--timeout"))
			timeout = parse_num("--timeout", argv[++i], 1UL << 20);
		else
			die("usage: %s [--iters N] [--vcpus N] [--timeout SECONDS]",
			    argv[0]);
	}

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm: %s", strerror(errno));
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));

	mem_size = VCPU_BASE(nvcpus);
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory: %s", strerror(errno));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (u64)(uintptr_t)mem,
	};
	memcpy(mem, guest_vectors, guest_vectors_size);
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	memset(&init, 0, sizeof(init));
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));

	/* All vCPUs exist before any runs (arm64 KVM wants it that way). */
	for (i = 0; i < (int)nvcpus; i++) {
		vcpus[i].idx = i;
		vcpus[i].iters = iters;
		vcpu_setup(&vcpus[i], &init);
	}
	if (sigaction(SIGUSR1, &sa, NULL))
		die("sigaction: %s", strerror(errno));
	for (i = 0; i < (int)nvcpus; i++)
		if (pthread_create(&tid[i], NULL, vcpu_thread, &vcpus[i]))
			die("pthread_create failed");

	/* Watchdog: on timeout kick every vCPU out of KVM_RUN. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout;
	for (i = 0; i < (int)nvcpus; i++) {
		if (pthread_timedjoin_np(tid[i], NULL, &deadline) != ETIMEDOUT) {
			joined[i] = true;
			continue;
		}
		stop = 1;
		for (j = 0; j < (int)nvcpus; j++) {
			if (joined[j])
				continue;
			vcpus[j].run->immediate_exit = 1;
			pthread_kill(tid[j], SIGUSR1);
		}
		break;
	}
	for (i = 0; i < (int)nvcpus; i++)
		if (!joined[i])
			pthread_join(tid[i], NULL);

	for (i = 0; i < (int)nvcpus; i++) {
		struct vcpu *vc = &vcpus[i];

		if (vc->err[0]) {
			fprintf(stderr, "vmm: error: vcpu %d: %s\n", i, vc->err);
			bad = 1;
			continue;
		}
		printf("vmm: vcpu=%d kvm_run=%llu ioctl_ns=%llu ttbr0=0x%llx mair=0x%llx tcr=0x%llx mmio=%llu\n",
		       i, (unsigned long long)vc->kvm_run,
		       (unsigned long long)vc->ioctl_ns,
		       (unsigned long long)vc->ttbr0,
		       (unsigned long long)vc->mair,
		       (unsigned long long)vc->tcr,
		       (unsigned long long)vc->mmio);

		/*
		 * Ground truth: the last values the guest wrote. (The guest's
		 * copy in its data page is only printed on error: it wrote it
		 * with the MMU off, i.e. uncached, so on real hardware the host
		 * could read a stale cache line.)
		 */
		want_ttbr0 = (iters << 12) | ((u64)i << 32);
		data = (u64 *)(mem + VCPU_BASE(i) + DATA_OFF);
		if (vc->ttbr0 != want_ttbr0 || vc->mair != MAIR_VAL ||
		    vc->tcr != TCR_VAL || data[0] != want_ttbr0 ||
		    vc->mmio != iters + 1 || vc->kvm_run != iters + 1) {
			fprintf(stderr,
				"vmm: error: vcpu %d: want ttbr0=0x%llx mair=0x%lx tcr=0x%lx mmio=kvm_run=%llu (guest data: ttbr0=0x%llx)\n",
				i, (unsigned long long)want_ttbr0, MAIR_VAL,
				TCR_VAL, (unsigned long long)(iters + 1),
				(unsigned long long)data[0]);
			bad = 1;
		}
	}
	if (bad)
		return 1;
	printf("vmm: ok\n");
	return 0;
}
