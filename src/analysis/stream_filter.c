// SPDX-License-Identifier: GPL-2.0
/* What trace shows by default, and counts of the rest (stream_filter.h). */
#include <stdlib.h>
#include <string.h>
#include "analysis/regclass.h"
#include "analysis/stream_filter.h"

void stream_filter_init(struct stream_filter *f, unsigned int mask, bool deferred_only,
			const uint8_t *reg_class)
{
	memset(f, 0, sizeof(*f));
	f->mask = mask;
	f->deferred_only = deferred_only;
	f->reg_class = reg_class;
}

void stream_filter_free(struct stream_filter *f)
{
	free(f->by);
	keymap_free(&f->index);
	f->by = NULL;
	f->nr_by = f->cap_by = 0;
}

bool stream_filter_by_reg(unsigned int type)
{
	return type == KVMSR_EV_READ || type == KVMSR_EV_WRITE || type == KVMSR_EV_TRAP;
}

/* A register of the put's: a slot (traps without one never are) of that class. */
static bool deferred(const struct stream_filter *f, const struct kvmsr_event *e)
{
	if (e->type == KVMSR_EV_TRAP && !(e->flags & KVMSR_F_MEMREG))
		return false;
	return f->reg_class && e->reg < KVMSR_MAX_REGS &&
	       (f->reg_class[e->reg] & (RC_DEFERRED | RC_DEFERRED_SOME));
}

/* Per type, and per register for the types that have one (slot or encoding). */
static uint64_t hidden_key(const struct kvmsr_event *e)
{
	if (!stream_filter_by_reg(e->type))
		return (uint64_t)e->type << 32;
	return (uint64_t)e->type << 32 | (uint64_t)!!(e->flags & KVMSR_F_MEMREG) << 16 | e->reg;
}

void stream_filter_count(struct stream_filter *f, const struct kvmsr_event *e, uint64_t n)
{
	uint64_t key = hidden_key(e);
	uint32_t i;

	f->hidden += n;
	if (keymap_get(&f->index, key, &i)) {
		f->by[i].n += n;
		return;
	}
	if (f->nr_by >= FILTER_MAX_HIDDEN ||
	    array_room(&f->by, &f->cap_by, f->nr_by, sizeof(*f->by), 64) ||
	    keymap_put(&f->index, key, f->nr_by)) {
		f->other += n;
		return;
	}
	f->by[f->nr_by++] = (struct filter_hidden){ .e = *e, .n = n };
}

bool stream_filter_show(struct stream_filter *f, const struct kvmsr_event *e)
{
	bool show = e->type < 32 && (f->mask & (1u << e->type));

	if (show && f->deferred_only && stream_filter_by_reg(e->type))
		show = deferred(f, e);
	if (show)
		f->shown++;
	else
		stream_filter_count(f, e, 1);
	return show;
}

static int by_count(const void *a, const void *b)
{
	const struct filter_hidden *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

void stream_filter_sort(struct stream_filter *f)
{
	/* The index is of no use once sorted: counting is over. */
	qsort(f->by, f->nr_by, sizeof(*f->by), by_count);
	keymap_free(&f->index);
}
