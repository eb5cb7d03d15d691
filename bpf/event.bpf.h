/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way a record reaches the ring buffer: fields given by name,
 *
 *	EMIT_EVENT(.type = KVMSR_EV_PUT, .pid = pid, .vcpu_id = id,
 *		   .aux = word, .stack_id = stack);
 *
 * what is not named is 0, but .tid (0: the current thread) and .stack_id
 * (-1: none).  Everything is inlined and the argument struct is a
 * compile-time local, so each field of the record is stored once, as a
 * positional call would.
 */
#ifndef KVMSR_EVENT_BPF_H
#define KVMSR_EVENT_BPF_H

/* What the caller decides about a record; the rest emit_event() fills. */
struct ev_fields {
	__u8 type;		/* enum kvmsr_event_type */
	__u8 flags;		/* KVMSR_F_* */
	__u8 loc;		/* KVMSR_LOC_* (READ/WRITE with KVMSR_F_LOC) */
	__u16 reg;
	__u32 pid;
	__u32 tid;		/* the thread the record is about, 0: the current one */
	__s32 vcpu_id;
	__s32 stack_id;		/* default -1 */
	__u64 val;
	__u64 aux;
};

static __always_inline void emit_event(const struct ev_fields *f)
{
	struct kvmsr_event *e;
	__u64 wake;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		if (!gap_pending)
			__sync_lock_test_and_set(&gap_pending, 1);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->val = f->val;
	e->aux = f->aux;
	e->pid = f->pid;
	e->tid = f->tid ?: (__u32)bpf_get_current_pid_tgid();
	e->vcpu_id = f->vcpu_id;
	e->cpu = bpf_get_smp_processor_id();
	e->reg = f->reg;
	e->type = f->type;
	e->flags = f->flags;
	e->loc = f->loc;
	/*
	 * The first record taken after a drop says so, so that the analyzer
	 * stops trusting what it could not see (a lost put looks like a
	 * double load, a lost write would make a read look stale).  A plain
	 * read first: the exchange only when there was a drop.
	 */
	e->gap = gap_pending && __sync_lock_test_and_set(&gap_pending, 0) ? KVMSR_GAP_BEFORE : 0;
	e->stack_id = f->stack_id;
	/*
	 * A wakeup is an irq_work self-IPI, and on a vCPU thread every IPI is
	 * a guest exit: more events, more IPIs (the bench saw 270k per run).
	 * So never wake for the stream: user space drains on a timer.  Only
	 * the rare WARN/BUG records wake it at once.
	 */
	wake = f->type == KVMSR_EV_WARN || f->type == KVMSR_EV_BUG ||
	       f->type == KVMSR_EV_DIRECT ? 0 : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, wake);
}

/*
 * The defaults come first and a named .stack_id overrides its default: a
 * later designator for the same member wins (C11 6.7.9), which clang warns
 * about, so the warning is off inside the macro only.
 */
#define EMIT_EVENT(...)							\
	_Pragma("clang diagnostic push")				\
	_Pragma("clang diagnostic ignored \"-Winitializer-overrides\"")	\
	emit_event(&(const struct ev_fields){ .stack_id = -1, __VA_ARGS__ }) \
	_Pragma("clang diagnostic pop")

#endif /* KVMSR_EVENT_BPF_H */
