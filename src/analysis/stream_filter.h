/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `trace` shows.  By default, what kvmsr is about: loads and puts, and
 * accessor calls and traps of the registers the VHE put owns (regclass.h:
 * RC_DEFERRED, RC_DEFERRED_SOME); findings are printed whatever the filter.
 * On a Linux guest the rest (MDCR_EL2 reads, debug and ID register traps)
 * is most of the stream, so it is counted per event type and register, and
 * given as counts at the end.  --events, --reg or --all turn the register
 * test off: then exactly the asked-for types are shown.  Pure C.
 */
#ifndef KVMSR_STREAM_FILTER_H
#define KVMSR_STREAM_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "kvmsr_event.h"
#include "symbols/keymap.h"

/* Distinct (type, register) counts kept; more are summed in @other. */
#define FILTER_MAX_HIDDEN 4096

struct filter_hidden {
	struct kvmsr_event e;	/* the first one: how to name its register */
	uint64_t n;
};

struct stream_filter {
	unsigned int mask;		/* 1 << KVMSR_EV_* shown */
	bool deferred_only;		/* READ/WRITE/TRAP: only the put's registers */
	const uint8_t *reg_class;	/* [KVMSR_MAX_REGS], regclass.h */
	uint64_t shown, hidden, other;
	struct filter_hidden *by;	/* distinct (type, register) hidden */
	size_t nr_by, cap_by;
	struct keymap index;		/* key -> index into @by */
};

void stream_filter_init(struct stream_filter *f, unsigned int mask, bool deferred_only,
			const uint8_t *reg_class);
/* Does @type name a register (shown by register, counted per register)? */
bool stream_filter_by_reg(unsigned int type);
/* Show @e?  If not, it is counted. */
bool stream_filter_show(struct stream_filter *f, const struct kvmsr_event *e);
/* @n events like @e not shown (or never streamed: the BPF side's counts). */
void stream_filter_count(struct stream_filter *f, const struct kvmsr_event *e, uint64_t n);
/* The hidden counts, most first. */
void stream_filter_sort(struct stream_filter *f);
void stream_filter_free(struct stream_filter *f);

#endif /* KVMSR_STREAM_FILTER_H */
