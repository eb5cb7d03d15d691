// SPDX-License-Identifier: GPL-2.0
/* Records in time order across CPUs (reorder.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/reorder.h"

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
	r->ring = NULL;
	r->n = r->cap = r->head = 0;
}

static struct kvmsr_event *at(struct reorder *r, size_t i)
{
	return &r->ring[(r->head + i) & (r->cap - 1)];
}

static void release_one(struct reorder *r)
{
	const struct kvmsr_event *e = at(r, 0);

	r->released_ns = e->ts_ns;
	r->head = (r->head + 1) & (r->cap - 1);
	r->n--;
	r->out(r->ctx, e);
}

/* Hand on every held record stamped at or before @upto. */
static void release_upto(struct reorder *r, uint64_t upto)
{
	while (r->n && at(r, 0)->ts_ns <= upto)
		release_one(r);
}

/* Double the ring, unwrapping it; -ENOMEM leaves it as it was. */
static int grow(struct reorder *r)
{
	size_t cap = r->cap ? r->cap * 2 : FIRST_CAP;
	struct kvmsr_event *ring = malloc(cap * sizeof(*ring));

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

/* Insert in time order, after every record of the same time (arrival order). */
static void insert(struct reorder *r, const struct kvmsr_event *e)
{
	size_t i = r->n++;

	while (i && at(r, i - 1)->ts_ns > e->ts_ns) {
		*at(r, i) = *at(r, i - 1);
		i--;
	}
	*at(r, i) = *e;
}

int reorder_push(struct reorder *r, const struct kvmsr_event *e)
{
	if (e->ts_ns < r->released_ns) {
		pass_late(r, e);
		return 0;
	}
	if (r->n == REORDER_MAX_HELD) {
		r->forced++;
		release_one(r);
	}
	if (r->n == r->cap && grow(r)) {
		/* Out of memory: order is lost, not the record. */
		release_upto(r, e->ts_ns);
		r->released_ns = e->ts_ns;
		r->out(r->ctx, e);
		return -ENOMEM;
	}
	insert(r, e);
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
	while (r->n)
		release_one(r);
}
