// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile vCPU ids and counts (issue 14): a vCPU id of INT32_MAX on the
 * timeline, memory per new vCPU (mallinfo2()), the cost per event with
 * many vCPUs (CPU time at two sizes: a hash costs the same at both, the
 * old linear search did not), and the cap on vCPUs followed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/analyzer.h"
#include "output/perfetto.h"
#include "unit.h"

TEST(perfetto_track_of_vcpu_int32_max_does_not_overflow)
{
	struct kvmsr_event e = { .ts_ns = 5, .type = KVMSR_EV_LOAD, .pid = 9,
				 .vcpu_id = INT32_MAX, .stack_id = -1 };
	struct regnames rn = { 0 };
	struct perfetto pf;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	perfetto_begin(&pf, f, &rn);
	perfetto_event(&pf, &e);
	e.type = KVMSR_EV_PUT;
	e.ts_ns = 9;
	perfetto_event(&pf, &e);
	perfetto_end(&pf, 10);
	fclose(f);
	CHECK(strstr(buf, "\"tid\":2147483648") != NULL);
	CHECK(strstr(buf, "\"tid\":-") == NULL);
	free(buf);
}

/* Rounds @from..@to of one read on each of @n vCPUs (round 0 adds them). */
static void feed_rounds(struct analyzer *a, int n, int from, int to)
{
	for (int r = from; r <= to; r++)
		for (int i = 0; i < n; i++) {
			struct kvmsr_event e = { .ts_ns = 1 + r, .type = KVMSR_EV_READ,
						 .pid = 1000 + i % 7, .vcpu_id = i,
						 .reg = (i * 37 + r) % 512, .stack_id = -1 };

			analyzer_feed(a, &e);
		}
}

static void feed_vcpus(struct analyzer *a, int n, int rounds)
{
	feed_rounds(a, n, 0, rounds);
}

TEST(memory_per_new_vcpu_is_small)
{
	struct analyzer_config cfg = { .context = 16 };
	struct analyzer a;
	size_t before;
	double per_vcpu;

	if (!unit_heap_measurable())
		return;
	analyzer_init(&a);
	analyzer_configure(&a, &cfg);
	before = unit_heap_bytes();
	feed_vcpus(&a, 2000, 0);
	per_vcpu = (double)(unit_heap_bytes() - before) / 2000;
	/* Was 48 KiB of register counters per vCPU (3.9 GB from a 4.5 MB file). */
	CHECK(per_vcpu < 16 * 1024);
	analyzer_free(&a);
}

struct vcpu_run {
	struct analyzer a;
	int n;
};

static void eight_rounds(void *ctx)
{
	struct vcpu_run *v = ctx;

	feed_rounds(&v->a, v->n, 1, 8);
}

/* CPU time per event of rounds over @n vCPUs already added. */
static double vcpu_cost(int n)
{
	struct vcpu_run v = { .n = n };
	double t;

	analyzer_init(&v.a);
	feed_vcpus(&v.a, n, 0);
	t = unit_best_cpu_s(3, eight_rounds, &v) / (8.0 * n);
	analyzer_free(&v.a);
	return t;
}

TEST(vcpu_lookup_cost_per_event_stays_flat)
{
	/*
	 * A linear search over the vCPUs cost 17-24x per event at 8x the vCPUs;
	 * a hash pays only the cache misses of a larger working set (~3x).
	 */
	CHECK_FLAT(vcpu_cost, 512, 4096, 8);
}

TEST(vcpus_beyond_the_cap_are_counted_not_kept)
{
	struct analyzer a;

	analyzer_init(&a);
	feed_vcpus(&a, KVMSR_MAX_VCPUS + 10, 1);
	CHECK(a.nr_vcpus <= KVMSR_MAX_VCPUS);
	CHECK_EQ(a.events[KVMSR_EV_READ], 2 * (KVMSR_MAX_VCPUS + 10));
	CHECK_EQ(a.vcpu_events_dropped, 2 * 10);
	analyzer_free(&a);
}
