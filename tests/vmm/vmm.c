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
 * The guest and the KVM plumbing live in src/probe/guest.c (kvmsr check runs the
 * same guest); this file is the CLI, the threads and the watchdog.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -pthread \
 *            -Isrc -o vmm tests/vmm/vmm.c src/probe/guest.c
 * Usage: vmm [--iters N] [--vcpus N] [--timeout SECONDS] [--toggle-sctlr]
 * (--toggle-sctlr: the guest also flips SCTLR_EL1.nTWI every iteration, a
 * write KVM reads back on the MMIO exit; a watchdog stops a stuck guest after --timeout, default 120, and reports
 * its PC/ESR_EL1/ELR_EL1/FAR_EL1)
 * Output, one line per vCPU, then "vmm: ok":
 *   vmm: vcpu=V kvm_run=N ioctl_ns=T ttbr0=0x... mair=0x... tcr=0x... mmio=M
 */
#define _GNU_SOURCE		/* pthread_timedjoin_np */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "probe/guest.h"

typedef uint64_t u64;

struct vcpu {
	struct guest_vcpu g;
	char err[256];
};

static volatile sig_atomic_t stop;

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

/* Watchdog fired: report where the guest is, from its registers. */
static void *stuck(struct vcpu *vc)
{
	char where[192];

	guest_vcpu_where(&vc->g, where, sizeof(where));
	snprintf(vc->err, sizeof(vc->err), "watchdog timeout after %llu runs: %s",
		 (unsigned long long)vc->g.runs, where);
	return NULL;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vc = arg;
	int rc;

	for (;;) {
		rc = guest_vcpu_step(&vc->g, vc->err, sizeof(vc->err));
		if (rc == -EINTR && stop)
			return stuck(vc);
		if (rc == -EINTR || rc == 0)
			continue;
		if (rc < 0)
			return NULL;
		break;
	}
	guest_vcpu_read_regs(&vc->g, vc->err, sizeof(vc->err));
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
	static struct vcpu vcpus[GUEST_MAX_VCPUS];
	static struct guest_vm vm;
	pthread_t tid[GUEST_MAX_VCPUS];
	bool joined[GUEST_MAX_VCPUS] = { false };
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct timespec deadline;
	u64 iters = 20, nvcpus = 1, timeout = 120, want_ttbr0;
	uint32_t flags = 0;
	const volatile u64 *data;
	char err[256];
	int i, j, bad = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iters"))
			iters = parse_num("--iters", argv[++i], GUEST_MAX_ITERS);
		else if (!strcmp(argv[i], "--vcpus"))
			nvcpus = parse_num("--vcpus", argv[++i], GUEST_MAX_VCPUS);
		else if (!strcmp(argv[i], "--timeout"))
			timeout = parse_num("--timeout", argv[++i], 1UL << 20);
		else if (!strcmp(argv[i], "--toggle-sctlr"))
			flags |= GUEST_F_TOGGLE_SCTLR;
		else
			die("usage: %s [--iters N] [--vcpus N] [--timeout SECONDS] "
			    "[--toggle-sctlr]", argv[0]);
	}

	if (guest_vm_open(&vm, nvcpus, err, sizeof(err)))
		die("%s", err);
	vm.flags = flags;

	/* All vCPUs exist before any runs (arm64 KVM wants it that way). */
	for (i = 0; i < (int)nvcpus; i++)
		if (guest_vcpu_create(&vm, &vcpus[i].g, i, iters, err, sizeof(err)))
			die("%s", err);
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
			guest_vcpu_kick(&vcpus[j].g);
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
		       i, (unsigned long long)vc->g.runs,
		       (unsigned long long)vc->g.run_ns,
		       (unsigned long long)vc->g.ttbr0,
		       (unsigned long long)vc->g.mair,
		       (unsigned long long)vc->g.tcr,
		       (unsigned long long)vc->g.mmio);

		/*
		 * Ground truth: the last values the guest wrote. (The guest's
		 * copy in its data page is only printed on error: it wrote it
		 * with the MMU off, i.e. uncached, so on real hardware the host
		 * could read a stale cache line.)
		 */
		want_ttbr0 = guest_ttbr0(i, iters - 1);
		data = guest_vcpu_data(&vc->g);
		if (!guest_vcpu_matches(&vc->g) || data[0] != want_ttbr0) {
			fprintf(stderr,
				"vmm: error: vcpu %d: want ttbr0=0x%llx mair=0x%llx tcr=0x%llx mmio=kvm_run=%llu (guest data: ttbr0=0x%llx)\n",
				i, (unsigned long long)want_ttbr0, GUEST_MAIR,
				GUEST_TCR, (unsigned long long)(iters + 1),
				(unsigned long long)data[0]);
			bad = 1;
		}
	}
	if (bad)
		return 1;
	printf("vmm: ok\n");
	return 0;
}
