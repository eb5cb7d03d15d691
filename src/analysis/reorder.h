/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One stream in time order.  The ring buffer is shared by all CPUs and hands
 * out records in the order they were reserved, but each record's time is
 * read after its reservation: a CPU interrupted (or, in a nested guest,
 * descheduled) between the two puts a later time before an earlier one.
 * The reorder stage holds records for a window and hands them on sorted by
 * time (ties: in arrival order, so one CPU's records never swap).
 *
 * Records that come in order (nearly all) are appended to a sorted ring,
 * O(1); one older than the ring's newest goes to a heap of stragglers,
 * O(log n), so no input, however disordered, costs more than that.  The
 * oldest of the two heads goes out first.
 *
 * A record is released once it is older than the watermark, the larger of
 *  - the newest time seen minus the window: records arrive nearly sorted,
 *    so one older than that could only come from a CPU stalled for longer
 *    than the window between reserving and stamping it;
 *  - a time at which the ring buffer was found empty, minus the window
 *    (reorder_drained()): nothing read later was stamped much before it,
 *    so an idle stream is not held back.
 * A record older than one already released is late: it is handed on at
 * once with KVMSR_GAP_LATE set, counted, and the window grows to twice its
 * lateness (up to REORDER_MAX_WINDOW_NS), never reordered silently.  At most
 * REORDER_MAX_HELD records are held; past that the oldest goes on early.
 * Pure C: fed live or from a recording alike.
 */
#ifndef KVMSR_REORDER_H
#define KVMSR_REORDER_H

#include <stddef.h>
#include <stdint.h>
#include "kvmsr_event.h"

/*
 * User space drains the ring every 50 ms (cli/runner.c): two drains of
 * stall between a record's reservation and its time stamp before it is
 * late.  Growth stops at 2 s, the cap bounds memory (48 bytes a record).
 */
#define REORDER_WINDOW_NS 100000000ull
#define REORDER_MAX_WINDOW_NS 2000000000ull
#define REORDER_MAX_HELD (1u << 20)

typedef void (*reorder_out_fn)(void *ctx, const struct kvmsr_event *e);

/* A held record and its arrival number: equal times go out in arrival order. */
struct reorder_held {
	struct kvmsr_event e;
	uint64_t seq;
};

struct reorder {
	struct reorder_held *ring;	/* in order of time: a circular buffer */
	size_t head, n, cap;		/* cap: 0 or a power of two */
	struct reorder_held *heap;	/* stragglers: a min-heap by (time, seq) */
	size_t nheap, capheap;
	uint64_t seq;
	uint64_t window_ns;
	uint64_t newest_ns;		/* newest time seen */
	uint64_t released_ns;		/* time of the last record handed on */
	uint64_t late;			/* records that came after the window */
	uint64_t max_late_ns;		/* the most one was late */
	uint64_t forced;		/* handed on early: REORDER_MAX_HELD reached */
	reorder_out_fn out;
	void *ctx;
};

void reorder_init(struct reorder *r, reorder_out_fn out, void *ctx);
/* Take a record; hands on what the window has passed.  -ENOMEM: handed on unsorted. */
int reorder_push(struct reorder *r, const struct kvmsr_event *e);
/* The ring buffer was found empty at @t_ns (read before the poll that emptied it). */
void reorder_drained(struct reorder *r, uint64_t t_ns);
/* Hand on everything held (the end of a run or a file). */
void reorder_flush(struct reorder *r);
void reorder_free(struct reorder *r);

#endif /* KVMSR_REORDER_H */
