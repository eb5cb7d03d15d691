/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live side of `kvmsr record`: every event of a streaming session into a
 * recording (recording.h), each kernel stack once, symbolized on this host,
 * the lost-record count as it grows, and the run's summary facts at the end.
 */
#ifndef KVMSR_RECORDER_H
#define KVMSR_RECORDER_H

#include "recording/file.h"
#include "symbols/symbolize.h"

/* Where a recording is made, as text for its header. */
struct recorder_origin {
	const char *release, *machine;	/* uname */
	const char *kvm_mode;
	const char *backend;
	const char *notes;		/* coverage warnings from attaching */
};

struct recorder {
	struct rec_writer w;
	bool open;
	uint64_t lost_written;
	int32_t *stack_ids;		/* open-addressing set of stacks written */
	size_t nr_ids, cap_ids;
};

/* Can @path be written?  Says why not on stderr (before attaching). */
int recorder_check(const char *path);
int recorder_open(struct recorder *r, const char *path, const struct recorder_origin *o,
		  const struct regnames *rn, uint64_t start_ns);
/* The event, after its stack and the address it names (WARN, BUG, direct access). */
void recorder_event(struct recorder *r, struct symbolizer *sy, const struct kvmsr_event *e);
/* Every poll tick: the lost-record count if it grew, then flush. */
void recorder_tick(struct recorder *r, uint64_t lost);
/* The run's summary facts, then close; -errno if any write failed. */
int recorder_close(struct recorder *r, const struct rec_end *end);

#endif /* KVMSR_RECORDER_H */
