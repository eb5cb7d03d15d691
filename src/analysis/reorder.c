// SPDX-License-Identifier: GPL-2.0
/* Records in time order across CPUs (reorder.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/reorder.h"
#include "symbols/keymap.h"

#define FIRST_CAP 1024u

void reorder_init(struct reorder *r, reorder_out_fn out, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->window_ns = REORDER_WINDOW_NS;
	r->out = out;
	r->ctx = ctx;
}

void reorder_free(struct reorder *r)
{
	free(r->ring);
	free(r->heap);
	r->ring = r->heap = NULL;
	r->n = r->cap = r->head = r->nheap = r->capheap = 0;
}

static struct reorder_held *at(const struct reorder *r, size_t i)
{
	return &r->ring[(r->head + i) & (r->cap - 1)];
}

static bool before(const struct reorder_held *a, const struct reorder_held *b)
{
	return a->e.ts_ns < b->e.ts_ns || (a->e.ts_ns == b->e.ts_ns && a->seq < b->seq);
}

/* ---- the stragglers' heap ---- */

static void heap_swap(struct reorder_held *a, struct reorder_held *b)
{
	struct reorder_held t = *a;

	*a = *b;
	*b = t;
}

static void heap_push(struct reorder *r, const struct reorder_held *h)
{
	size_t i = r->nheap++;

	r->heap[i] = *h;
	while (i && before(&r->heap[i], &r->heap[(i - 1) / 2])) {
		heap_swap(&r->heap[i], &r->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct reorder *r, struct reorder_held *out)
{
	size_t i = 0;

	*out = r->heap[0];
	r->heap[0] = r->heap[--r->nheap];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < r->nheap && before(&r->heap[l], &r->heap[m]))
			m = l;
		if (l + 1 < r->nheap && before(&r->heap[l + 1], &r->heap[m]))
			m = l + 1;
		if (m == i)
			break;
		heap_swap(&r->heap[i], &r->heap[m]);
		i = m;
	}
}

/* ---- out, oldest first ---- */

/* The oldest held record, NULL if none. */
static const struct reorder_held *oldest(const struct reorder *r)
{
	const struct reorder_held *a = r->n ? at(r, 0) : NULL;
	const struct reorder_held *b = r->nheap ? &r->heap[0] : NULL;

	if (!a || (b && before(b, a)))
		return b;
	return a;
}

static void release_oldest(struct reorder *r)
{
	struct reorder_held h;

	if (oldest(r) == r->heap) {
		heap_pop(r, &h);
	} else {
		h = *at(r, 0);
		r->head = (r->head + 1) & (r->cap - 1);
		r->n--;
	}
	r->released_ns = h.e.ts_ns;
	r->out(r->ctx, &h.e);
}

/* Hand on every held record stamped at or before @upto. */
static void release_upto(struct reorder *r, uint64_t upto)
{
	const struct reorder_held *h;

	while ((h = oldest(r)) && h->e.ts_ns <= upto)
		release_oldest(r);
}

/* Double the ring, unwrapping it; -ENOMEM leaves it as it was. */
static int ring_grow(struct reorder *r)
{
	size_t cap = r->cap ? r->cap * 2 : FIRST_CAP;
	struct reorder_held *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		ring[i] = *at(r, i);
	free(r->ring);
	r->ring = ring;
	r->cap = cap;
	r->head = 0;
	return 0;
}

/* A record older than one handed on already: on at once, said and counted. */
static void pass_late(struct reorder *r, const struct kvmsr_event *e)
{
	struct kvmsr_event late = *e;
	uint64_t by = r->released_ns - e->ts_ns;

	late.gap |= KVMSR_GAP_LATE;
	r->late++;
	if (by > r->max_late_ns)
		r->max_late_ns = by;
	if (2 * by > r->window_ns)
		r->window_ns = 2 * by < REORDER_MAX_WINDOW_NS ? 2 * by : REORDER_MAX_WINDOW_NS;
	r->out(r->ctx, &late);
}

/* In order after the ring's newest: append; else a straggler.  -ENOMEM: not held. */
static int hold(struct reorder *r, const struct reorder_held *h)
{
	if (!r->n || at(r, r->n - 1)->e.ts_ns <= h->e.ts_ns) {
		if (r->n == r->cap && ring_grow(r))
			return -ENOMEM;
		*at(r, r->n++) = *h;
		return 0;
	}
	if (array_room(&r->heap, &r->capheap, r->nheap, sizeof(*r->heap), FIRST_CAP))
		return -ENOMEM;
	heap_push(r, h);
	return 0;
}

int reorder_push(struct reorder *r, const struct kvmsr_event *e)
{
	struct reorder_held h = { .e = *e, .seq = r->seq++ };

	if (e->ts_ns < r->released_ns) {
		pass_late(r, e);
		return 0;
	}
	if (r->n + r->nheap >= REORDER_MAX_HELD) {
		r->forced++;
		release_oldest(r);
	}
	if (hold(r, &h)) {
		/* Out of memory: order is lost, not the record. */
		release_upto(r, e->ts_ns);
		r->released_ns = e->ts_ns;
		r->out(r->ctx, e);
		return -ENOMEM;
	}
	if (e->ts_ns > r->newest_ns)
		r->newest_ns = e->ts_ns;
	if (r->newest_ns >= r->window_ns)
		release_upto(r, r->newest_ns - r->window_ns);
	return 0;
}

void reorder_drained(struct reorder *r, uint64_t t_ns)
{
	if (t_ns >= r->window_ns)
		release_upto(r, t_ns - r->window_ns);
}

void reorder_flush(struct reorder *r)
{
	while (r->n || r->nheap)
		release_oldest(r);
}
