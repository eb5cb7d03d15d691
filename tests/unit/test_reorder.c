// SPDX-License-Identifier: GPL-2.0
/* The reorder stage: one stream in time order, late records said (reorder.h). */
#include <stdlib.h>
#include "analysis/analyzer.h"
#include "analysis/reorder.h"
#include "unit.h"

#define MS 1000000ull

struct sink {
	uint64_t ts[64];
	uint16_t cpu[64];
	uint8_t gap[64];
	int n;
};

static void collect(void *ctx, const struct kvmsr_event *e)
{
	struct sink *s = ctx;

	if (s->n < 64) {
		s->ts[s->n] = e->ts_ns;
		s->cpu[s->n] = e->cpu;
		s->gap[s->n] = e->gap;
	}
	s->n++;
}

static void push(struct reorder *r, uint64_t ts, uint16_t cpu)
{
	struct kvmsr_event e = { .ts_ns = ts, .cpu = cpu, .type = KVMSR_EV_READ };

	reorder_push(r, &e);
}

/* The inversion the real-VM trace showed: 2.091638 s before 2.087750 s. */
TEST(reorder_sorts_records_within_the_window)
{
	struct reorder r;
	struct sink s = { .n = 0 };

	reorder_init(&r, collect, &s);
	push(&r, 2091638000ull, 1);
	push(&r, 2087750000ull, 0);
	push(&r, 2091700000ull, 1);
	CHECK_EQ(s.n, 0);		/* all within 100 ms of the newest: held */
	reorder_flush(&r);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.ts[0], 2087750000ull);
	CHECK_EQ(s.ts[1], 2091638000ull);
	CHECK_EQ(s.ts[2], 2091700000ull);
	CHECK_EQ(r.late, 0);
	reorder_free(&r);
}

TEST(reorder_keeps_arrival_order_on_equal_times)
{
	struct reorder r;
	struct sink s = { .n = 0 };

	reorder_init(&r, collect, &s);
	push(&r, 5 * MS, 3);
	push(&r, 5 * MS, 1);
	push(&r, 4 * MS, 2);
	push(&r, 5 * MS, 0);
	reorder_flush(&r);
	CHECK_EQ(s.n, 4);
	CHECK_EQ(s.cpu[0], 2);
	CHECK_EQ(s.cpu[1], 3);
	CHECK_EQ(s.cpu[2], 1);
	CHECK_EQ(s.cpu[3], 0);
	reorder_free(&r);
}

TEST(reorder_releases_what_the_window_or_an_empty_ring_has_passed)
{
	struct reorder r;
	struct sink s = { .n = 0 };

	reorder_init(&r, collect, &s);
	push(&r, 10 * MS, 0);
	push(&r, 50 * MS, 0);
	CHECK_EQ(s.n, 0);
	push(&r, 111 * MS, 0);		/* newest - 100 ms = 11 ms: the first goes */
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.ts[0], 10 * MS);
	/* An idle stream: the ring was empty at 220 ms, nothing older held back. */
	reorder_drained(&r, 220 * MS);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(r.n, 0);
	reorder_free(&r);
}

TEST(reorder_says_and_counts_a_late_record_and_widens_the_window)
{
	struct reorder r;
	struct sink s = { .n = 0 };

	reorder_init(&r, collect, &s);
	push(&r, 100 * MS, 0);
	push(&r, 400 * MS, 0);		/* releases 100 ms */
	CHECK_EQ(s.n, 1);
	push(&r, 40 * MS, 1);		/* 60 ms older than one already out */
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.ts[1], 40 * MS);
	CHECK(s.gap[1] & KVMSR_GAP_LATE);
	CHECK(!(s.gap[0] & KVMSR_GAP_LATE));
	CHECK_EQ(r.late, 1);
	CHECK_EQ(r.max_late_ns, 60 * MS);
	CHECK_EQ(r.window_ns, 120 * MS);
	reorder_flush(&r);
	CHECK_EQ(s.n, 3);
	reorder_free(&r);
}

/* A late record is a gap to the analyzer: nothing is proven across it. */
TEST(reorder_late_record_is_a_gap_to_the_analyzer)
{
	struct analyzer a;
	struct kvmsr_event e = { .ts_ns = 1, .type = KVMSR_EV_READ, .gap = KVMSR_GAP_LATE };

	analyzer_init(&a);
	analyzer_feed(&a, &e);
	CHECK_EQ(a.late, 1);
	CHECK_EQ(a.gaps, 1);
	analyzer_free(&a);
}

struct order_check {
	uint64_t last, n, backward;
};

static void check_order(void *ctx, const struct kvmsr_event *e)
{
	struct order_check *c = ctx;

	c->backward += e->ts_ns < c->last;
	c->last = e->ts_ns;
	c->n++;
}

/* CPUs each in order, interleaved with 3 ms of skew: out sorted, none late. */
TEST(reorder_merges_skewed_cpus_in_order)
{
	struct reorder r;
	struct order_check c = { 0 };

	reorder_init(&r, check_order, &c);
	for (int i = 0; i < 200000; i++)
		push(&r, (uint64_t)i * 10000 + (i % 4 ? 3 * MS : 0), i % 4);
	reorder_flush(&r);
	CHECK_EQ(c.n, 200000);
	CHECK_EQ(c.backward, 0);
	CHECK_EQ(r.late, 0);
	CHECK(r.cap <= 65536);		/* ~100 ms of records held, not all */
	reorder_free(&r);
}

static void backwards(void *ctx)
{
	struct order_check c = { 0 };
	struct reorder r;

	reorder_init(&r, check_order, &c);
	/* Every record older than all before it, all within the window. */
	for (uint64_t i = 0; i < 300000; i++)
		push(&r, 10 * MS - i * 100, 0);
	reorder_flush(&r);
	*(uint64_t *)ctx = c.backward + (c.n != 300000);
	reorder_free(&r);
}

/* A hostile file, every record out of order: sorted, in O(n log n). */
TEST(reorder_costs_log_n_on_any_disorder)
{
	uint64_t bad = 1;
	double s = unit_best_cpu_s(1, backwards, &bad);

	printf("     %.3f s CPU for 300000 records in reverse order\n", s);
	CHECK_EQ(bad, 0);
	CHECK(s < 1.0);		/* an insertion sort takes minutes */
}
