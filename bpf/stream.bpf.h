/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming mode (`trace`, `stat --exact`, `record`): a record per vCPU
 * load and put, accessor call, SAVED check, and per guest-side event (trap,
 * entry, WARN, BUG, VM teardown, direct access).  The bodies every backend
 * shares; the load/put bodies hand over to count.bpf.h in counting mode.
 * @caller, where a body takes it: NULL from a BTF program, else (kprobes)
 * where the link register at entry was saved.
 */
#ifndef KVMSR_STREAM_BPF_H
#define KVMSR_STREAM_BPF_H

/* Remember a register accessed while loaded, for the SAVED check at put. */
static __always_inline void touch(struct cpu_state *st, __u32 reg)
{
	__u32 n;

	if (reg >= KVMSR_MAX_REGS)
		return;
	REG_BOUNDED(reg);
	if (st->touched_bits[reg / 64] & (1ULL << (reg % 64)))
		return;
	n = st->nr_touched;
	if (n >= MAX_TOUCHED)
		return;		/* user space counts accesses with no SAVED as unchecked */
	st->touched_bits[reg / 64] |= 1ULL << (reg % 64);
	st->touched[n] = reg;
	st->nr_touched = n + 1;
}

/* kvm_arch_vcpu_load returned (probes: the fexit, or kretprobe). */
static __always_inline void on_load(struct kvm_vcpu *vcpu, const __u64 *caller)
{
	struct cpu_state *st = this_cpu();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	__s32 id = vcpu_id_of(vcpu, !caller);
	__u32 word = flag_word_of(vcpu, !caller);
	struct vcpu_task *vt = vcpu_task_of(tid);	/* one lookup for both uses */
	__u8 via = load_via(st, vt, vcpu, tid);

	if (st) {
		st->vcpu = vcpu;
		st->tid = tid;
		st->pid = pid;
		st->vcpu_id = id;
		st->nr_touched = 0;
		st->trap_streamed = false;
		__builtin_memset(st->touched_bits, 0, sizeof(st->touched_bits));
	}
	tally_own(pid, id);
	if (armed && wanted(pid, id)) {
		note_vcpu_task(vt, vcpu, tid, pid, id);
		EMIT_EVENT(.type = KVMSR_EV_LOAD, .pid = pid, .tid = tid, .vcpu_id = id,
			   .flags = (word_loaded(word) ? KVMSR_F_LOADED : 0) | via, .aux = word,
			   .stack_id = via ? -1 : context_stack(caller));
	}
}

/* kvm_arch_vcpu_put; @after_put: seen after the VHE put (tracepoint). */
static __always_inline void on_put(struct kvm_vcpu *vcpu, bool after_put, const __u64 *caller)
{
	struct cpu_state *st;
	__u64 pid_tgid;
	__u32 pid, word;
	__s32 id;
	__u8 via;

	if (aggregate) {
		count_put(vcpu, after_put, !caller);
		return;
	}
	st = this_cpu();
	pid_tgid = bpf_get_current_pid_tgid();
	pid = pid_tgid >> 32;
	id = vcpu_id_of(vcpu, !caller);
	word = flag_word_of(vcpu, !caller);
	via = put_via(st, vcpu, (__u32)pid_tgid);
	if (st && st->vcpu == vcpu)
		st->vcpu = NULL;
	if (armed && wanted(pid, id))
		EMIT_EVENT(.type = KVMSR_EV_PUT, .pid = pid, .vcpu_id = id,
			   .flags = (word_loaded(word) ? KVMSR_F_LOADED : 0) | via, .aux = word,
			   .stack_id = via ? -1 : context_stack(caller));
}

/*
 * An accessor call: its stack, the memory copy after the call, and
 * the register remembered for the check against what the put saves.  Stacks
 * are taken only where the access could become a finding: served from
 * memory while loaded, as the tracepoint says (@kloc, the kernel's sr_loc),
 * or, from a probe (@kloc < 0), the value equals the memory copy.
 */
static __always_inline void on_access(__u8 type, struct kvm_vcpu *vcpu, __u32 reg,
				      __u64 val, int kloc, const __u64 *caller)
{
	__u32 pid = current_pid();
	struct cpu_state *st;
	__s32 id, stack = -1;
	__u32 word;
	__u64 mem = 0;
	__u8 flags = 0, loc = 0;
	bool from_mem;

	if (aggregate) {
		/* The tracepoints in counting mode: no vcpu_id, no memory copy, no record. */
		count_access(vcpu, reg, type == KVMSR_EV_WRITE, !caller);
		return;
	}
	if (!reg_wanted(reg))
		return;
	/* The vCPU loaded on this CPU is the usual caller: its id is cached. */
	st = this_cpu();
	/*
	 * Not vcpu_id_of(): clang merges a plain load of the vCPU's id with
	 * the map value's into one instruction, which the verifier refuses
	 * ("same insn cannot be used with different pointers").  Rare path.
	 */
	if (st && st->vcpu == vcpu)
		id = st->vcpu_id;
	else
		id = BPF_CORE_READ(vcpu, vcpu_id);
	if (!wanted(pid, id))
		return;
	word = flag_word_of(vcpu, !caller);
	if (tally_access(type, reg, pid, id, word_loaded(word)))
		return;
	if (read_mem(vcpu, reg, &mem))
		flags |= KVMSR_F_MEM;
	if (kloc >= 0) {
		flags |= KVMSR_F_LOC;
		loc = abi_loc(kloc);
		from_mem = !(loc & KVMSR_LOC_LOADED);
	} else {
		from_mem = (flags & KVMSR_F_MEM) && mem == val;
	}
	if (word_loaded(word)) {
		flags |= KVMSR_F_LOADED;
		/* A tracepoint proves a CPU-served access right: nothing to check. */
		if (in_bitmap(checked_regs, reg) && (kloc < 0 || from_mem)) {
			if (st && st->vcpu == vcpu)
				touch(st, reg);
			/*
			 * Every such access gets its own walk (~3-5 us under
			 * TCG, the larger part of trace's cost on a guest that
			 * only exits): a stack shared by the accesses of a
			 * register named the wrong caller (make test-kernel).
			 */
			if (capture_stacks && from_mem)
				stack = event_stack(caller, KVMSR_STACK_DEPTH);
		}
	}
	EMIT_EVENT(.type = type, .flags = flags, .pid = pid, .vcpu_id = id, .reg = reg,
		   .val = val, .aux = mem, .stack_id = stack, .loc = loc);
}

/* Entry of the VHE put: the memory copies before the put saves the CPU's. */
static __always_inline void put_enter(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();
	__u32 i, n;

	calib_enter(vcpu);
	if (!st)
		return;
	n = st->nr_touched;
	for (i = 0; i < MAX_TOUCHED && i < n; i++)
		if (!read_mem(vcpu, st->touched[i], &st->before[i]))
			st->before[i] = 0;
}

/*
 * What the put saved for every register touched while loaded: the memory
 * copy now, and before the put when known (@before_known: the VHE put's
 * entry was probed; the put tracepoint only fires after it).
 */
static __always_inline void emit_saved(struct cpu_state *st, struct kvm_vcpu *vcpu,
				       bool before_known)
{
	__u8 flags = KVMSR_F_MEM | (before_known ? 0 : KVMSR_F_NO_BEFORE);
	__u32 i, n = st->nr_touched;
	__u64 after;

	for (i = 0; i < MAX_TOUCHED && i < n; i++) {
		if (!read_mem(vcpu, st->touched[i], &after))
			continue;
		if (wanted(st->pid, st->vcpu_id))
			EMIT_EVENT(.type = KVMSR_EV_SAVED, .flags = flags, .pid = st->pid,
				   .vcpu_id = st->vcpu_id, .reg = st->touched[i], .val = after,
				   .aux = before_known ? st->before[i] : 0);
	}
	st->nr_touched = 0;
	__builtin_memset(st->touched_bits, 0, sizeof(st->touched_bits));
}

/* Exit of the VHE put. */
static __always_inline void put_exit(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();

	calib_exit(vcpu, false);
	if (st)
		emit_saved(st, vcpu, true);
}

/*
 * The tracepoint backend's load, after the VHE load: the flag word is kept
 * to learn SYSREGS_ON_CPU from what the put clears.
 */
static __always_inline void on_load_after_vhe(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();
	__u32 word = flag_word(vcpu);

	if (st)
		st->calib_before = word;
	if (aggregate)
		count_load(vcpu, word_loaded(word), true);
	else
		on_load(vcpu, NULL);
}

/* The tracepoint backend's put, after the VHE put. */
static __always_inline void on_put_after_vhe(struct kvm_vcpu *vcpu)
{
	struct cpu_state *st = this_cpu();
	__u32 word = flag_word(vcpu);

	if (st && st->vcpu == vcpu) {
		calib_tp_put(st, word);
		if (!aggregate)
			emit_saved(st, vcpu, false);
	}
	on_put(vcpu, true, NULL);
}

/* kvm_arch_destroy_vm: the VM is gone. */
static __always_inline void on_vm_exit(struct kvm *kvm)
{
	__u32 pid = vm_pid(kvm);

	if (!filter_pid || pid == filter_pid)
		EMIT_EVENT(.type = KVMSR_EV_VM_EXIT, .pid = pid, .vcpu_id = -1);
}

/*
 * A WARN (@pc_or_caller: its caller) or an oops (BUG: the faulting PC),
 * attributed to the vCPU loaded here, with @stack.
 */
static __always_inline void on_fault(__u8 type, __u64 pc_or_caller, __s32 stack)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;

	loaded_here(&pid, &id, &flags);
	if (!(flags & KVMSR_F_NO_VCPU))
		flags |= KVMSR_F_LOADED;
	EMIT_EVENT(.type = type, .flags = flags, .pid = pid, .vcpu_id = id,
		   .val = pc_or_caller, .stack_id = stack);
}

/* A WARN fired (kernel/panic.c __warn -> trace_error_report_end). */
static __always_inline void on_warn(int detector, __u64 caller)
{
	if (is_warn(detector))
		on_fault(KVMSR_EV_WARN, caller, task_stack());
}

/*
 * An oops: BUG() ends in die() on arm64.
 * @task_walk: walk the task's stack (fentry), else the faulting PC and LR.
 */
static __always_inline void on_bug(struct pt_regs *regs, bool task_walk)
{
	__u64 pc = BPF_CORE_READ(regs, user_regs.pc);
	__s32 stack = task_walk ? task_stack() :
		      frames_stack(pc, BPF_CORE_READ(regs, user_regs.regs[30]));

	on_fault(KVMSR_EV_BUG, pc, stack);
}

/*
 * The name of a trapped register without a slot, copied into trap_names
 * under its encoding @enc the first time (before an event that carries it
 * is emitted, so user space finds it when it formats the event).
 */
static __always_inline void trap_name(const struct sys_reg_desc *r, __u32 enc)
{
	struct kvmsr_trap_name tn = {};
	const char *name;

	if (bpf_map_lookup_elem(&trap_names, &enc))
		return;
	/* Descriptors without a name have NULL: stored as "", not read again. */
	name = r->name;
	if (name && bpf_probe_read_kernel_str(tn.name, sizeof(tn.name), name) < 0)
		tn.name[0] = '\0';
	/* Another CPU may have been first: its copy is the same name. */
	bpf_map_update_elem(&trap_names, &enc, &tn, BPF_NOEXIST);
}

/*
 * Every trapped sysreg access, before its handler runs.  Matching these with
 * accessor events tells how much of KVM's sysreg traffic kvmsr can see: on
 * kernels where the compiler inlined the accessor into sys_regs.c, probes
 * miss those calls and this is the only way to notice.  A register with a
 * slot is named by it; one without by its encoding.  A guest read carries
 * no value: regval is what the handler will overwrite.  The tracepoint's
 * arguments are BTF pointers: plain loads, not probe-read helper calls
 * (six of them cost a trap record as much again).
 */
static __always_inline void on_trap(__u64 vcpu_pc, struct sys_reg_params *params,
				    const struct sys_reg_desc *r)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;
	int reg = r->reg;
	enum tally_res res;
	__u64 val = 0;

	if (params->is_write)
		flags |= KVMSR_F_TRAP_WRITE;
	if (reg > 0)
		flags |= KVMSR_F_MEMREG;
	if (!loaded_here(&pid, &id, &flags) || !reg_wanted(reg > 0 ? reg : 0))
		return;
	if (reg <= 0) {
		reg = KVMSR_ENC(r->Op0, r->Op1, r->CRn, r->CRm, r->Op2);
		flags |= KVMSR_F_TRAP_ENC;
	}
	/*
	 * A boot traps on registers without a slot tens of thousands of times:
	 * a counted trap looks its name up only when its count is new.
	 */
	res = tally_trap(flags, pid, id, reg);
	if (res != TALLY_AGAIN && (flags & KVMSR_F_TRAP_ENC))
		trap_name(r, reg);
	if (res != TALLY_NO)
		return;
	if (flags & KVMSR_F_TRAP_WRITE)
		val = params->regval;
	EMIT_EVENT(.type = KVMSR_EV_TRAP, .flags = flags, .pid = pid, .vcpu_id = id,
		   .reg = reg, .val = val, .aux = vcpu_pc);
}

/* The vCPU enters the guest; HCR_EL2.TVM says whether VM registers trap. */
static __always_inline void on_guest_entry(__u64 vcpu_pc)
{
	__u8 flags = 0;
	__u32 pid;
	__s32 id;
	struct cpu_state *st;
	__u64 hcr = 0;

	if (!loaded_here(&pid, &id, &flags))
		return;
	st = this_cpu();
	if (tally_entry(st, flags, pid, id))
		return;
	if (st && st->vcpu) {
		/* A plain variable: CO-RE must not relocate the cpu_state access. */
		struct kvm_vcpu *vcpu = st->vcpu;

		hcr = BPF_CORE_READ(vcpu, arch.hcr_el2);
	}
	EMIT_EVENT(.type = KVMSR_EV_ENTRY, .flags = flags, .pid = pid, .vcpu_id = id,
		   .val = hcr, .aux = vcpu_pc);
}

/*
 * CONFIG_KVM_ARM_SYSREG_DEBUG (kernel/0004): __vcpu_sys_reg() and friends
 * touched the memory copy of a register the accessors would have found on
 * the CPU.  Rare by nature (a bug), so streamed in every mode, stack included.
 */
static __always_inline void on_direct(struct kvm_vcpu *vcpu, __u32 reg, bool is_write,
				      __u64 ip)
{
	__u32 pid = current_pid();
	__s32 id = BPF_CORE_READ(vcpu, vcpu_id);
	__u8 flags = KVMSR_F_LOADED | (is_write ? KVMSR_F_DIRECT_WRITE : 0);
	__u64 mem = 0;

	if (!wanted(pid, id) || !reg_wanted(reg))
		return;
	if (read_mem(vcpu, reg, &mem))
		flags |= KVMSR_F_MEM;
	EMIT_EVENT(.type = KVMSR_EV_DIRECT, .flags = flags, .pid = pid, .vcpu_id = id,
		   .reg = reg, .val = ip, .aux = mem, .stack_id = task_stack());
}

#endif /* KVMSR_STREAM_BPF_H */
