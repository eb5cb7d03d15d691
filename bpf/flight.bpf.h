/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flight recorder (--context, `context_events`): stacks of every load
 * and put, and the events around them: sched_switch of vCPU threads, the
 * vCPU ioctl being served, guest exits.  Bodies only; the programs that call
 * them are in tp.bpf.h, fentry.bpf.h and kprobe.bpf.h.
 */
#ifndef KVMSR_FLIGHT_BPF_H
#define KVMSR_FLIGHT_BPF_H

/*
 * The stack of a load or put: the task's (BTF programs), or for kprobes
 * (@caller non-NULL) the one frame the link register named.
 */
static __always_inline __s32 context_stack(const __u64 *caller)
{
	if (!context_events)
		return -1;
	/* BPF and trampoline frames, then the few callers the context shows. */
	return event_stack(caller, KVMSR_CONTEXT_STACK_DEPTH);
}

/* The flight recorder's entry for thread @tid, NULL if none (or no --context). */
static __always_inline struct vcpu_task *vcpu_task_of(__u32 tid)
{
	return context_events ? bpf_map_lookup_elem(&vcpu_tasks, &tid) : NULL;
}

/* Remember which vCPU this thread runs, for its switches; @old: vcpu_task_of(tid). */
static __always_inline void note_vcpu_task(struct vcpu_task *old, struct kvm_vcpu *vcpu,
					   __u32 tid, __u32 pid, __s32 id)
{
	struct vcpu_task vt = { .pid = pid, .vcpu_id = id, .vcpu = (__u64)vcpu };

	if (!context_events)
		return;
	if (!old || old->vcpu != vt.vcpu || old->pid != pid || old->vcpu_id != id)
		bpf_map_update_elem(&vcpu_tasks, &tid, &vt, BPF_ANY);
}

/*
 * What obliges the scheduler to call kvm_sched_out (or, switching in,
 * kvm_sched_in) for this thread: the vCPU's preempt notifier on the
 * thread's list, and preempt_notifier_key enabled (its static branches
 * guard both notifier calls).
 */
static __always_inline __u8 notifier_flags(struct task_struct *t, __u64 vcpu)
{
	__u64 mine = vcpu + bpf_core_field_offset(struct kvm_vcpu, preempt_notifier);
	__u8 f = 0;
	int enabled = 0;

	if (on_notifier_list(t, mine))
		f |= KVMSR_F_SW_NOTIFIER;

	if (preempt_key_addr &&
	    !bpf_probe_read_kernel(&enabled, sizeof(enabled), (void *)preempt_key_addr)) {
		f |= KVMSR_F_SW_KEY_KNOWN;
		if (enabled > 0)
			f |= KVMSR_F_SW_KEY_ON;
	}
	return f;
}

/*
 * Will the scheduler call the vCPU's notifier?  Registered, and the key not
 * read as off.  Unread (no CONFIG_KALLSYMS_ALL: Debian's 6.1), the key is
 * on all the same: kvm_create_vm() increments it for every VM and
 * kvm_destroy_vm() decrements it only after the vCPUs are gone, and a
 * notifier is registered only while a vCPU ioctl of a live VM runs.
 */
static __always_inline bool notifier_fires(__u8 nf)
{
	return (nf & KVMSR_F_SW_NOTIFIER) &&
	       (!(nf & KVMSR_F_SW_KEY_KNOWN) || (nf & KVMSR_F_SW_KEY_ON));
}

/*
 * Loads and puts whose caller the events around them prove go without a
 * stack walk (~2.5 us under TCG, most of a load's or put's cost with
 * --context): the preempt notifier's, which the sched_switch just before
 * on this CPU makes certain (kvm_sched_in/kvm_sched_out call
 * kvm_arch_vcpu_load/put directly, with nothing of the task's between),
 * and a vCPU ioctl's first load (vcpu_load(); a notifier's load needs a
 * load before it in the ioctl, since vcpu_put() unregisters it).  Every
 * other load or put keeps its stack: a reset's put and load, nested ERET,
 * a put at the end of an ioctl.  Both flags live until the next switch or
 * load here, and name the thread and vCPU they are for.  @vt: the
 * thread's vcpu_task_of(), which any load ends the ioctl's freshness of.
 */
static __always_inline __u8 load_via(struct cpu_state *st, struct vcpu_task *vt,
				     struct kvm_vcpu *vcpu, __u32 tid)
{
	bool via_switch, fresh;

	if (!context_events || !st)
		return 0;
	via_switch = st->sw_in_tid == tid && st->sw_in_vcpu == (__u64)vcpu;
	st->sw_in_tid = 0;
	fresh = vt && vt->ioctl_fresh && vt->vcpu == (__u64)vcpu;
	if (vt)
		vt->ioctl_fresh = 0;
	return via_switch ? KVMSR_F_VIA_SWITCH : fresh ? KVMSR_F_VIA_IOCTL : 0;
}

static __always_inline __u8 put_via(struct cpu_state *st, struct kvm_vcpu *vcpu, __u32 tid)
{
	bool via_switch;

	if (!context_events || !st)
		return 0;
	via_switch = st->sw_out_tid == tid && st->vcpu == vcpu;
	st->sw_out_tid = 0;
	return via_switch ? KVMSR_F_VIA_SWITCH : 0;
}

/*
 * A vCPU thread leaves or takes a CPU.  sched_switch fires before the
 * preempt notifiers: a thread leaving with its vCPU loaded is normal (the
 * put of kvm_sched_out follows), a thread coming in while a vCPU is still
 * loaded on the CPU means the last one to leave was never put.
 */
static __always_inline void on_switch(bool preempt, struct task_struct *prev,
				      struct task_struct *next, __u64 prev_state)
{
	__u8 flags = preempt ? KVMSR_F_SW_PREEMPT : 0;
	struct cpu_state *st;
	struct vcpu_task *vt;
	__u32 ptid, ntid;

	/* Every context switch of the host comes here: out early when no vCPU thread. */
	if (!armed || !(st = this_cpu()))
		return;
	st->sw_in_tid = 0;
	st->sw_out_tid = 0;
	ptid = BPF_CORE_READ(prev, pid);
	ntid = BPF_CORE_READ(next, pid);
	/* Leaving with its own vCPU loaded: kvm_sched_out will put it. */
	vt = bpf_map_lookup_elem(&vcpu_tasks, &ptid);
	if (vt) {
		__u8 nf = notifier_flags(prev, vt->vcpu);
		bool own = st->vcpu && st->tid == ptid;

		if (own && (__u64)st->vcpu == vt->vcpu && notifier_fires(nf))
			st->sw_out_tid = ptid;
		if (wanted(vt->pid, vt->vcpu_id))
			EMIT_EVENT(.type = KVMSR_EV_SWITCH, .pid = vt->pid, .tid = ptid,
				   .vcpu_id = vt->vcpu_id, .val = prev_state, .aux = ntid,
				   .flags = flags | (own ? KVMSR_F_LOADED : 0) | nf);
	}
	/* Coming in while a vCPU that prev did not load is still loaded here. */
	vt = bpf_map_lookup_elem(&vcpu_tasks, &ntid);
	if (vt) {
		/* Its notifier registered: kvm_sched_in will load its vCPU. */
		if (notifier_fires(notifier_flags(next, vt->vcpu))) {
			st->sw_in_tid = ntid;
			st->sw_in_vcpu = vt->vcpu;
		}
		if (wanted(vt->pid, vt->vcpu_id))
			EMIT_EVENT(.type = KVMSR_EV_SWITCH, .pid = vt->pid, .tid = ntid,
				   .vcpu_id = vt->vcpu_id, .aux = ptid,
				   .flags = flags | KVMSR_F_SW_IN |
					    (st->vcpu && st->tid != ptid ? KVMSR_F_LOADED : 0));
	}
}

/* The vCPU ioctl being served (KVM_RUN, KVM_SET_ONE_REG, ...). */
static __always_inline void on_vcpu_ioctl(struct file *filp, __u32 cmd, __u64 arg)
{
	struct kvm_vcpu *vcpu = BPF_CORE_READ(filp, private_data);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct vcpu_task *vt;
	__s32 id;

	if (!armed || !vcpu)
		return;
	/* Its first load will be vcpu_load()'s (load_via()). */
	vt = vcpu_task_of(tid);
	if (vt && vt->vcpu == (__u64)vcpu)
		vt->ioctl_fresh = 1;
	id = BPF_CORE_READ(vcpu, vcpu_id);
	if (wanted(pid, id))
		EMIT_EVENT(.type = KVMSR_EV_IOCTL, .pid = pid, .vcpu_id = id, .val = cmd,
			   .aux = arg);
}

/* A guest exit: why (ESR_EL2.EC) and where (guest PC). */
static __always_inline void on_guest_exit(int ret, __u32 esr_ec, __u64 vcpu_pc)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;

	if (loaded_here(&pid, &id, &flags))
		EMIT_EVENT(.type = KVMSR_EV_EXIT, .flags = flags, .pid = pid, .vcpu_id = id,
			   .reg = (__u16)ret, .val = esr_ec, .aux = vcpu_pc);
}

#endif /* KVMSR_FLIGHT_BPF_H */
