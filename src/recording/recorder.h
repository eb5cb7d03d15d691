/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live side of `kvmsr record`: every event of a streaming session into a
 * recording (file.h), written as .NAME.XXXXXX and renamed to NAME at the
 * end (outfile.h), each kernel stack once, symbolized on this host,
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
	bool begun;			/* the temporary file exists */
	bool open;			/* and has its header */
	uint64_t lost_written;
	int32_t *stack_ids;		/* open-addressing set of stacks written */
	size_t nr_ids, cap_ids;
	const struct regnames *rn;	/* names trapped registers (recorder_open()) */
	uint64_t trap_named[65536 / 64];	/* encodings whose REC_TRAPNAME is written */
	struct keymap vm_written;	/* VM pid -> the vm_ident.gen its REC_VM had */
	struct keymap thread_written;	/* pid << 32 | tid: REC_THREAD written */
};

/*
 * Before attaching: the recording's temporary file beside @path (@path is
 * untouched until recorder_close()); says why not on stderr.
 */
int recorder_begin(struct recorder *r, const char *path);
/* Once attached: the header. */
int recorder_open(struct recorder *r, const struct recorder_origin *o,
		  const struct regnames *rn, uint64_t start_ns);
/*
 * The event, after its stack, the address it names (WARN, BUG, direct
 * access), the name of the trapped register it is about, its VM's identity
 * (when first seen, or resolved again) and, for a load, its thread's name
 * (when first seen).
 */
void recorder_event(struct recorder *r, struct symbolizer *sy, const struct kvmsr_event *e);
/* Every poll tick: the lost-record count if it grew, then flush. */
void recorder_tick(struct recorder *r, uint64_t lost);
/*
 * The run's summary facts, then close and rename the file to its name;
 * -errno if any write failed (said on stderr; what was written stays in
 * the temporary file, the name untouched).
 */
int recorder_close(struct recorder *r, const struct rec_end *end);
/* A run that never started (attaching failed): remove the temporary file. */
void recorder_discard(struct recorder *r);

#endif /* KVMSR_RECORDER_H */
