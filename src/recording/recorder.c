// SPDX-License-Identifier: GPL-2.0
/* The live side of `kvmsr record` (recorder.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include "recording/recorder.h"

int recorder_begin(struct recorder *r, const char *path)
{
	int e;

	memset(r, 0, sizeof(*r));
	e = rec_begin(&r->w, path);
	if (e)
		fprintf(stderr, "kvmsr: %s\n", r->w.why);
	r->begun = !e;
	return e;
}

int recorder_open(struct recorder *r, const struct recorder_origin *o,
		  const struct regnames *rn, uint64_t start_ns)
{
	struct rec_info info = { .abi_version = KVMSR_ABI_VERSION, .start_ns = start_ns };
	int e;

	if (!r->begun)
		return -EBADF;
	snprintf(info.release, sizeof(info.release), "%s", o->release);
	snprintf(info.machine, sizeof(info.machine), "%s", o->machine);
	snprintf(info.kvm_mode, sizeof(info.kvm_mode), "%s", o->kvm_mode);
	snprintf(info.backend, sizeof(info.backend), "%s", o->backend);
	snprintf(info.notes, sizeof(info.notes), "%s", o->notes);
	e = rec_start(&r->w, &info, rn);
	r->open = !e;
	r->rn = rn;
	return e;
}

/* Insert @id; true if it was new. */
static bool first_time(struct recorder *r, int32_t id)
{
	size_t i;

	if (2 * (r->nr_ids + 1) > r->cap_ids) {
		size_t cap = r->cap_ids ? 2 * r->cap_ids : 1024;
		int32_t *ids = malloc(cap * sizeof(*ids)), *old = r->stack_ids;

		if (!ids)
			return true;	/* write it again rather than lose it */
		memset(ids, 0xff, cap * sizeof(*ids));
		r->stack_ids = ids;
		r->cap_ids = cap;
		r->nr_ids = 0;
		for (i = 0; old && i < cap / 2; i++)
			if (old[i] >= 0)
				first_time(r, old[i]);
		free(old);
	}
	for (i = (uint32_t)id * 2654435761u % r->cap_ids; r->stack_ids[i] >= 0;
	     i = (i + 1) % r->cap_ids)
		if (r->stack_ids[i] == id)
			return false;
	r->stack_ids[i] = id;
	r->nr_ids++;
	return true;
}

/*
 * A trapped register without a slot: its name, the first time its encoding
 * comes (the live table fetched it from the BPF map, which had it before
 * the event was emitted).
 */
static void trap_name(struct recorder *r, const struct kvmsr_event *e)
{
	uint64_t bit = 1ull << (e->reg % 64), *word = &r->trap_named[e->reg / 64];
	const char *name;

	if (e->type != KVMSR_EV_TRAP || !(e->flags & KVMSR_F_TRAP_ENC) || (*word & bit))
		return;
	*word |= bit;
	name = regnames_trap_raw(r->rn, e->reg);
	rec_put_trap_name(&r->w, e->reg, name ? name : "");
}

/* Who the event's VM and vCPU thread are, so that a report elsewhere names them. */
static void note_names(struct recorder *r, struct symbolizer *sy, const struct kvmsr_event *e)
{
	const struct vm_ident *id = vmident_get(sy->vm, e->pid);
	uint64_t key = (uint64_t)e->pid << 32 | e->tid;
	const char *thread;
	uint32_t gen;

	if (id && !(keymap_get(&r->vm_written, e->pid, &gen) && gen == id->gen)) {
		rec_put_vm(&r->w, id);
		keymap_put(&r->vm_written, e->pid, id->gen);
	}
	if (e->type != KVMSR_EV_LOAD || keymap_get(&r->thread_written, key, &gen))
		return;
	keymap_put(&r->thread_written, key, 0);
	thread = vmident_thread(sy->vm, e->pid, e->tid);
	if (thread)
		rec_put_thread(&r->w, e->pid, e->tid, thread);
}

void recorder_event(struct recorder *r, struct symbolizer *sy, const struct kvmsr_event *e)
{
	static struct sym_stack st;

	if (!r->open)
		return;
	note_names(r, sy, e);
	/* The stack first, so a reader has it when the event refers to it. */
	if (e->stack_id >= 0 && first_time(r, e->stack_id) && sym_stack(sy, e->stack_id, &st))
		rec_put_stack(&r->w, &st);
	/* A WARN's caller, a BUG's PC, a direct access's caller: named here. */
	if (e->type == KVMSR_EV_WARN || e->type == KVMSR_EV_BUG || e->type == KVMSR_EV_DIRECT) {
		memset(&st, 0, sizeof(st));
		st.id = REC_NAMES_ID;
		st.n = 1;
		st.ip[0] = e->val;
		sym_name(sy, e->val, st.name[0], sizeof(st.name[0]));
		rec_put_stack(&r->w, &st);
	}
	trap_name(r, e);
	rec_put(&r->w, REC_EVENT, e, sizeof(*e));
}

/* On every poll tick: the lost count if it grew, and the buffered records. */
void recorder_tick(struct recorder *r, uint64_t lost)
{
	if (!r->open)
		return;
	if (lost != r->lost_written) {
		rec_put(&r->w, REC_LOST, &lost, sizeof(lost));
		r->lost_written = lost;
	}
	rec_flush(&r->w);
}

int recorder_close(struct recorder *r, const struct rec_end *end)
{
	int e;

	if (!r->open) {
		recorder_discard(r);
		return -EBADF;
	}
	recorder_tick(r, end->lost);
	e = rec_close(&r->w, end);
	if (e)
		fprintf(stderr, "kvmsr: %s\n", r->w.why);
	r->open = r->begun = false;
	free(r->stack_ids);
	r->stack_ids = NULL;
	keymap_free(&r->vm_written);
	keymap_free(&r->thread_written);
	return e;
}

void recorder_discard(struct recorder *r)
{
	if (r->begun)
		rec_discard(&r->w);
	r->open = r->begun = false;
	free(r->stack_ids);
	r->stack_ids = NULL;
	keymap_free(&r->vm_written);
	keymap_free(&r->thread_written);
}
