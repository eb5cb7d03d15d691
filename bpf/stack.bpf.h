/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel stacks for events that may become findings, and for the flight
 * recorder's loads and puts: filed in the `stacks` map under an id the
 * event carries.
 */
#ifndef KVMSR_STACK_BPF_H
#define KVMSR_STACK_BPF_H

/*
 * File the scratch stack under an id that names its contents (a hash of the
 * frames): the flight recorder takes a stack at every load and put, and the
 * few distinct paths that load a vCPU then share a handful of entries and
 * records instead of one per event.  A collision with a different stack
 * already filed gives no stack rather than a wrong one.
 */
static __always_inline __s32 store_stack(struct stack_buf *b, __u32 depth)
{
	__u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a over the frames */
	struct stack_buf *old;
	__u32 id;
	int i;

	/* Frames past @depth are zero (scratch_stack()): only these count. */
	for (i = 0; i < depth && i < KVMSR_STACK_DEPTH; i++)
		h = (h ^ b->ips[i]) * 0x100000001b3ULL;
	id = (__u32)(h ^ (h >> 32)) & 0x7fffffff;
	old = bpf_map_lookup_elem(&stacks, &id);
	if (old) {
		for (i = 0; i < KVMSR_STACK_DEPTH; i++)
			if (old->ips[i] != b->ips[i])
				return -1;
		return id;
	}
	if (bpf_map_update_elem(&stacks, &id, b, BPF_ANY))
		return -1;
	return id;
}

static __always_inline struct stack_buf *scratch_stack(void)
{
	__u32 zero = 0;
	struct stack_buf *b = bpf_map_lookup_elem(&stack_scratch, &zero);

	if (!b)
		return NULL;
	__builtin_memset(b, 0, sizeof(*b));
	return b;
}

/*
 * BTF-enabled programs (fentry/fexit, tp_btf): the current task's stack,
 * @depth frames at most (the walk stops there: shallower is cheaper).
 */
static __always_inline __s32 task_stack_depth(__u32 depth)
{
	struct stack_buf *b = scratch_stack();

	if (!b || bpf_get_task_stack(bpf_get_current_task_btf(), b->ips, depth * sizeof(__u64),
				     0) <= 0)
		return -1;
	return store_stack(b, depth);
}

static __always_inline __s32 task_stack(void)
{
	return task_stack_depth(KVMSR_STACK_DEPTH);
}

/*
 * kprobes (no BTF task pointer): the frames the registers name, e.g. the
 * accessor's caller from the link register at entry.
 */
static __always_inline __s32 frames_stack(__u64 ip0, __u64 ip1)
{
	struct stack_buf *b = scratch_stack();

	if (!b || !ip0)
		return -1;
	b->ips[0] = ip0;
	b->ips[1] = ip1;
	return store_stack(b, 2);
}

/*
 * The stack of an event seen by a BTF program (@caller NULL: walk the task,
 * @depth frames) or by a kprobe (@caller: where the link register at entry
 * was saved, the one frame it has).  The choice is made at compile time per
 * program: the verifier rejects bpf_get_current_task_btf() in a kprobe.
 */
static __always_inline __s32 event_stack(const __u64 *caller, __u32 depth)
{
	return caller ? frames_stack(*caller, 0) : task_stack_depth(depth);
}

#endif /* KVMSR_STACK_BPF_H */
