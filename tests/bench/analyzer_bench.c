// SPDX-License-Identifier: GPL-2.0
/*
 * Analyzer replay throughput: a synthetic stream shaped like the test bed's
 * worst case (per KVM_RUN: load, ~27 reads and 5 writes while loaded, 4
 * traps and entries, the put and its SAVED records) replayed through
 * analyzer_feed() with the detector on.  Prints events per second on one
 * core; the target is >= 20 M/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "analysis/analyzer.h"
#include "analysis/regclass.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t build(struct kvmsr_event *ev, size_t cap)
{
	static const uint16_t regs[] = { 163, 172, 193, 165, 169, 164 };
	uint64_t ts = 1;
	size_t n = 0;

	while (n + 64 < cap) {
		for (int vcpu = 0; vcpu < 2; vcpu++) {
			struct kvmsr_event base = { .pid = 100, .tid = 101 + vcpu, .vcpu_id = vcpu,
						    .stack_id = -1 };
#define PUSH(t, f, r, v, x) do { ev[n] = base; ev[n].type = t; ev[n].flags = f; \
	ev[n].reg = r; ev[n].val = v; ev[n].aux = x; ev[n].ts_ns = ts++; n++; } while (0)
			PUSH(KVMSR_EV_LOAD, KVMSR_F_LOADED, 0, 0, 0x10);
			for (int k = 0; k < 4; k++) {
				PUSH(KVMSR_EV_TRAP, KVMSR_F_MEMREG | KVMSR_F_TRAP_WRITE, regs[2 + k % 3], k, 0);
				PUSH(KVMSR_EV_WRITE, KVMSR_F_LOADED | KVMSR_F_MEM, regs[2 + k % 3], k, 0);
				for (int r = 0; r < 6; r++)
					PUSH(KVMSR_EV_READ, KVMSR_F_LOADED | KVMSR_F_MEM, regs[r % 2], 5, 5);
				PUSH(KVMSR_EV_ENTRY, 0, 0, KVMSR_HCR_TVM, 0);
			}
			PUSH(KVMSR_EV_READ, KVMSR_F_LOADED | KVMSR_F_MEM, regs[0], 5, 5);
			PUSH(KVMSR_EV_PUT, KVMSR_F_LOADED, 0, 0, 0x10);
			for (int r = 0; r < 5; r++)
				PUSH(KVMSR_EV_SAVED, KVMSR_F_MEM, regs[r], 5, 5);
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	size_t cap = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000000, n;
	struct kvmsr_event *ev = malloc(cap * sizeof(*ev));
	uint8_t classes[KVMSR_MAX_REGS] = { 0 };
	const char *names[] = { [163] = "SCTLR_EL1", [164] = "ACTLR_EL1", [165] = "TCR_EL1",
				[169] = "MAIR_EL1", [172] = "MDSCR_EL1", [193] = "TTBR0_EL1" };
	struct analyzer_config cfg = { .reg_class = classes };
	struct analyzer a;
	double t0, t1;

	if (!ev)
		return 1;
	for (int i = 0; i < 194; i++)
		classes[i] = regclass_of(names[i]);
	n = build(ev, cap);
	analyzer_init(&a);
	analyzer_configure(&a, &cfg);
	t0 = now_s();
	for (size_t i = 0; i < n; i++)
		analyzer_feed(&a, &ev[i]);
	analyzer_finish(&a, ev[n - 1].ts_ns + 1);
	t1 = now_s();
	printf("analyzer replay: %zu events in %.3f s = %.1f M events/s on one core "
	       "(target >= 20 M/s: %s)\n", n, t1 - t0, n / (t1 - t0) / 1e6,
	       n / (t1 - t0) >= 20e6 ? "met" : "MISSED");
	analyzer_free(&a);
	free(ev);
	return 0;
}
