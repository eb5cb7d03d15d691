// SPDX-License-Identifier: GPL-2.0
/*
 * The analyzer: per-vCPU state machine over the event stream (analyzer.h)
 * and the detector whose rules docs/detection.md states and justifies.
 */
#include <stdlib.h>
#include <string.h>
#include "analysis/analyzer.h"
#include "analysis/regclass.h"

static const char *const kind_names[FIND__MAX] = {
	[FIND_STALE_READ] = "stale-read",
	[FIND_LOST_WRITE] = "lost-write",
	[FIND_SUSPECT] = "suspect",
	[FIND_WARN] = "warn",
	[FIND_BUG] = "bug",
	[FIND_DOUBLE_LOAD] = "double-load",
	[FIND_ORPHAN_PUT] = "put-without-load",
	[FIND_OPEN_AT_EXIT] = "loaded-at-vm-exit",
	[FIND_DIRECT_ACCESS] = "direct-access",
	[FIND_SUSPECT_STALE_READ] = "suspect-stale-read",
	[FIND_SUSPECT_LOST_WRITE] = "suspect-lost-write",
};

const char *finding_kind_name(enum finding_kind k)
{
	return k < FIND__MAX ? kind_names[k] : "?";
}

bool finding_is_confirmed(enum finding_kind k)
{
	return k == FIND_STALE_READ || k == FIND_LOST_WRITE || k == FIND_DIRECT_ACCESS;
}

bool finding_is_suspect(enum finding_kind k)
{
	return k == FIND_SUSPECT || k == FIND_SUSPECT_STALE_READ || k == FIND_SUSPECT_LOST_WRITE;
}

const char *finding_doubt_name(enum finding_doubt d)
{
	switch (d) {
	case DOUBT_UNHELD_BITS:
		return "unheld-bits";
	case DOUBT_CPU_OWNED:
		return "cpu-owned-register";
	default:
		return "none";
	}
}

void analyzer_init(struct analyzer *a)
{
	memset(a, 0, sizeof(*a));
	a->suspect_reads = calloc(KVMSR_MAX_REGS, sizeof(*a->suspect_reads));
	a->suspect_stack = calloc(KVMSR_MAX_REGS, sizeof(*a->suspect_stack));
	a->reg_flags = calloc(KVMSR_MAX_REGS, sizeof(*a->reg_flags));
}

/* One held_bits slot for each register the put may own. */
static void held_slots(struct analyzer *a)
{
	int n = 0;

	free(a->held_slot);
	a->held_slot = malloc(KVMSR_MAX_REGS * sizeof(*a->held_slot));
	if (!a->held_slot)
		return;
	for (int r = 0; r < KVMSR_MAX_REGS; r++) {
		bool owned = a->cfg.reg_class &&
			     (a->cfg.reg_class[r] & (RC_DEFERRED | RC_DEFERRED_SOME));

		a->held_slot[r] = owned && n < HELD_REGS ? n++ : -1;
	}
}

void analyzer_configure(struct analyzer *a, const struct analyzer_config *cfg)
{
	a->cfg = *cfg;
	held_slots(a);
	if (a->cfg.context > ANALYZER_MAX_CONTEXT)
		a->cfg.context = ANALYZER_MAX_CONTEXT;
	free(a->context_out);
	a->context_out = NULL;
	if (a->cfg.context)
		a->context_out = calloc(a->cfg.context + CONTEXT_LIFECYCLE, sizeof(*a->context_out));
	if (!a->context_out)
		a->cfg.context = 0;
}

void analyzer_free(struct analyzer *a)
{
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		free(a->vcpus[i].reg_slot);
		free(a->vcpus[i].regs);
		free(a->vcpus[i].ring);
	}
	free(a->vcpus);
	keymap_free(&a->by_vcpu);
	free(a->trap_regs);
	keymap_free(&a->trap_by_key);
	if (a->held)
		for (int c = 0; c < HELD_CPUS; c++)
			free(a->held[c]);
	free(a->held);
	free(a->held_slot);
	free(a->context_out);
	free(a->suspect_reads);
	free(a->suspect_stack);
	free(a->reg_flags);
	memset(a, 0, sizeof(*a));
}

static uint64_t vcpu_key(uint32_t pid, int32_t vcpu_id)
{
	return (uint64_t)pid << 32 | (uint32_t)vcpu_id;
}

struct vcpu_stats *analyzer_find(struct analyzer *a, uint32_t pid, int32_t vcpu_id)
{
	struct vcpu_stats *v;
	uint32_t i;

	/* Events come in runs of one vCPU: try the last one first. */
	if (a->last < a->nr_vcpus) {
		v = &a->vcpus[a->last];
		if (v->pid == pid && v->vcpu_id == vcpu_id)
			return v;
	}
	/* Then a hash: a file may name thousands of vCPUs. */
	if (!keymap_get(&a->by_vcpu, vcpu_key(pid, vcpu_id), &i))
		return NULL;
	a->last = i;
	return &a->vcpus[i];
}

struct vcpu_stats *analyzer_vcpu(struct analyzer *a, uint32_t pid, int32_t vcpu_id)
{
	struct vcpu_stats *v = analyzer_find(a, pid, vcpu_id);

	if (v)
		return v;
	if (a->nr_vcpus >= ANALYZER_MAX_VCPUS)
		return NULL;
	if (array_room(&a->vcpus, &a->cap_vcpus, a->nr_vcpus, sizeof(*a->vcpus), 16) ||
	    keymap_put(&a->by_vcpu, vcpu_key(pid, vcpu_id), a->nr_vcpus))
		return NULL;
	v = &a->vcpus[a->nr_vcpus++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	v->vcpu_id = vcpu_id;
	v->pending_trap = -1;
	v->gaps_seen = a->gaps;
	return v;
}

static uint8_t reg_class(const struct analyzer *a, unsigned int reg)
{
	return a->cfg.reg_class && reg < KVMSR_MAX_REGS ? a->cfg.reg_class[reg] : 0;
}

/*
 * @val is what CPU @cpu held in @reg (a value the put saved from it, or an
 * accessor read that the CPU served): evidence of the bits it stores.
 */
static void observe_cpu(struct analyzer *a, uint16_t cpu, unsigned int reg, uint64_t val)
{
	int slot = a->held_slot && reg < KVMSR_MAX_REGS ? a->held_slot[reg] : -1;
	struct held_bits *h;

	if (slot < 0 || cpu >= HELD_CPUS)
		return;
	if (!a->held)
		a->held = calloc(HELD_CPUS, sizeof(*a->held));
	if (!a->held)
		return;
	h = a->held[cpu];
	if (!h)
		h = a->held[cpu] = calloc(1, sizeof(*h));
	if (!h)
		return;
	h->one[slot] |= val;
	h->zero[slot] |= ~val;
}

uint64_t analyzer_held(const struct analyzer *a, uint16_t cpu, unsigned int reg)
{
	int slot = a->held_slot && reg < KVMSR_MAX_REGS ? a->held_slot[reg] : -1;
	const struct held_bits *h;

	if (slot < 0 || cpu >= HELD_CPUS || !a->held || !(h = a->held[cpu]))
		return 0;
	return h->one[slot] & h->zero[slot];
}

static bool lifecycle(uint8_t type)
{
	return type == KVMSR_EV_LOAD || type == KVMSR_EV_PUT || type == KVMSR_EV_SWITCH ||
	       type == KVMSR_EV_IOCTL || type == KVMSR_EV_WARN || type == KVMSR_EV_BUG;
}

/* Keep @e in a ring of @cap slots. */
static void slot_push(struct ctx_slot *ring, uint32_t cap, uint32_t *next, uint32_t *len,
		      const struct kvmsr_event *e, uint64_t seq)
{
	ring[*next].e = *e;
	ring[*next].seq = seq;
	*next = *next + 1 == cap ? 0 : *next + 1;
	if (*len < cap)
		(*len)++;
}

/* The flight recorder: keep @e in the vCPU's rings of its last events. */
static void ring_push(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	if (lifecycle(e->type))
		slot_push(v->life, CONTEXT_LIFECYCLE, &v->life_next, &v->life_len, e, a->seq);
	/*
	 * The ring grows to the context as events come (memory follows the
	 * events, not --context times the vCPUs); it wraps only at full size,
	 * so until then its events are slots 0..len-1.
	 */
	if (v->ring_len == v->ring_cap && v->ring_cap < a->cfg.context) {
		uint32_t cap = v->ring_cap ? 2 * v->ring_cap : 16;
		struct ctx_slot *r;

		cap = cap < a->cfg.context ? cap : a->cfg.context;
		r = realloc(v->ring, cap * sizeof(*r));
		if (r) {
			v->ring = r;
			v->ring_cap = cap;
		}
	}
	if (v->ring_len < v->ring_cap || v->ring_cap == a->cfg.context)
		slot_push(v->ring, v->ring_cap, &v->ring_next, &v->ring_len, e, a->seq);
}

/*
 * Both rings, merged in stream order, oldest first, into the finding: the
 * last N events, preceded by the lifecycle events older than those.
 */
static void attach_context(struct analyzer *a, const struct vcpu_stats *v, struct finding *f)
{
	uint32_t n = v->ring_len, ln = v->life_len, i = 0, j = 0, out = 0, first, lfirst;

	if (!a->cfg.context || !v->ring || !n)
		return;
	first = (v->ring_next + a->cfg.context - n) % a->cfg.context;
	lfirst = (v->life_next + CONTEXT_LIFECYCLE - ln) % CONTEXT_LIFECYCLE;
	while (i < ln || j < n) {
		const struct ctx_slot *l = &v->life[(lfirst + i) % CONTEXT_LIFECYCLE];
		const struct ctx_slot *r = &v->ring[(first + j) % a->cfg.context];

		if (j < n && (i == ln || r->seq <= l->seq)) {
			if (i < ln && r->seq == l->seq)
				i++;	/* in both rings */
			a->context_out[out++] = r->e;
			j++;
		} else {
			a->context_out[out++] = l->e;
			i++;
		}
	}
	f->context = a->context_out;
	f->nr_context = out;
}

static void report(struct analyzer *a, struct vcpu_stats *v, struct finding *f)
{
	if (v)
		attach_context(a, v, f);
	a->findings[f->kind]++;
	if (v)
		v->findings[f->kind]++;
	if (finding_is_confirmed(f->kind) && f->reg >= 0 && f->reg < KVMSR_MAX_REGS &&
	    a->reg_flags)
		a->reg_flags[f->reg] |= REGF_CONFIRMED;
	if (a->cfg.on_finding)
		a->cfg.on_finding(a->cfg.ctx, f);
}

static struct finding new_finding(enum finding_kind kind, const struct kvmsr_event *e)
{
	struct finding f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.pid = e->pid;
	f.vcpu_id = e->vcpu_id;
	f.cpu = e->cpu;
	f.reg = -1;
	f.ts_ns = e->ts_ns;
	f.stack_id = -1;
	return f;
}

/* The slow path of vcpu_reg(): @reg's first use on @v. */
__attribute__((noinline, cold)) static struct reg_stats *add_reg(struct vcpu_stats *v, unsigned int reg)
{
	if (!v->reg_slot && !(v->reg_slot = calloc(KVMSR_MAX_REGS, sizeof(*v->reg_slot))))
		return NULL;
	if (array_room(&v->regs, &v->cap_regs, v->nr_regs, sizeof(*v->regs), 8))
		return NULL;
	memset(&v->regs[v->nr_regs], 0, sizeof(v->regs[0]));
	v->reg_slot[reg] = ++v->nr_regs;
	return &v->regs[v->nr_regs - 1];
}

/* vcpu_reg(), inlined where every accessor event needs it. */
static inline struct reg_stats *reg_of(struct vcpu_stats *v, unsigned int reg)
{
	if (reg >= KVMSR_MAX_REGS)
		return NULL;
	if (v->reg_slot && v->reg_slot[reg])
		return &v->regs[v->reg_slot[reg] - 1];
	return add_reg(v, reg);
}

struct reg_stats *vcpu_reg(struct vcpu_stats *v, unsigned int reg)
{
	return reg_of(v, reg);
}

const struct reg_stats *vcpu_reg_find(const struct vcpu_stats *v, unsigned int reg)
{
	if (reg >= KVMSR_MAX_REGS || !v->reg_slot || !v->reg_slot[reg])
		return NULL;
	return &v->regs[v->reg_slot[reg] - 1];
}

static void close_interval(struct vcpu_stats *v, uint64_t ts)
{
	uint64_t d = ts > v->since_ns ? ts - v->since_ns : 0;

	v->resident_ns += d;
	if (v->in_loaded) {
		v->loaded_ns += d;
		v->hist[kvmsr_log2_bucket(d)]++;
	}
	v->in = false;
	v->in_loaded = false;
}

/* Accesses the put never ruled on (no SAVED record) stay unchecked. */
static void drop_pending(struct vcpu_stats *v)
{
	v->unchecked += v->nr_pending;
	v->nr_pending = 0;
}

/* The CPU's copy of matching registers may have changed: no verdict. */
static void taint(struct analyzer *a, struct vcpu_stats *v, int reg, uint8_t cls)
{
	for (int i = 0; i < v->nr_pending; i++) {
		struct pending_access *p = &v->pending[i];

		if (p->reg == reg || (reg_class(a, p->reg) & cls))
			p->tainted = true;
	}
}

/* @n accessor calls of @v (and of its register @r), loaded or not. */
static void count_calls(struct vcpu_stats *v, struct reg_stats *r, bool is_write, int loaded,
			uint64_t n)
{
	(is_write ? v->writes : v->reads)[loaded] += n;
	if (r)
		(is_write ? r->writes : r->reads)[loaded] += n;
}

/* Accessor traffic, and the trap it answers (coverage). */
static void count_access(struct vcpu_stats *v, struct reg_stats *r, const struct kvmsr_event *e,
			 int loaded, bool is_write)
{
	count_calls(v, r, is_write, loaded, 1);
	if (v->pending_trap == e->reg) {
		v->traps_seen++;
		if (r)
			r->traps_seen++;
		v->pending_trap = -1;
	}
}

/*
 * The kernel's own tracepoint says the CPU served it: right by construction
 * (a write goes to both), so only a memory-served access can be wrong.
 */
static void served_by_cpu(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e,
			  bool is_write)
{
	/* A plain CPU-served read returns what the CPU holds. */
	if (!is_write && e->loc == KVMSR_LOC_LOADED)
		observe_cpu(a, e->cpu, e->reg, e->val);
	v->checked++;	/* verdict: right, says the kernel */
	if (e->reg < KVMSR_MAX_REGS && a->reg_flags)
		a->reg_flags[e->reg] |= REGF_LOCATED_CPU | REGF_PROVEN_CPU;
	if (is_write)
		taint(a, v, e->reg, 0);
}

/* A loaded read that returned the memory copy: suspect, unless proven otherwise. */
static void suspect_read(struct analyzer *a, const struct kvmsr_event *e)
{
	if (!a->suspect_reads[e->reg])
		a->suspect_stack[e->reg] = e->stack_id;
	a->suspect_reads[e->reg]++;
}

/* What a loaded access says before the put rules on it. */
static void note_loaded(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e,
			bool is_write)
{
	bool known = e->reg < KVMSR_MAX_REGS && a->reg_flags;

	if (is_write) {
		/* A later write may legitimately change the CPU's value. */
		taint(a, v, e->reg, 0);
		/* An EL2 register may alias any EL1 one on the CPU (NV). */
		if (reg_class(a, e->reg) & RC_NV_ALIAS)
			taint(a, v, -1, 0xff);
	} else if ((e->flags & KVMSR_F_LOC) && known) {
		suspect_read(a, e);
	} else if ((e->flags & KVMSR_F_MEM) && known) {
		if (e->val == e->aux) {
			suspect_read(a, e);
		} else {
			/* Not the memory copy: the CPU served it. */
			a->reg_flags[e->reg] |= REGF_PROVEN_CPU;
			observe_cpu(a, e->cpu, e->reg, e->val);
		}
	}
}

/* The access waits for the put's verdict (what it saved from the CPU). */
static void add_pending(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	struct pending_access *p;

	/* Only registers the put may own can be judged against it. */
	if (!(reg_class(a, e->reg) & (RC_DEFERRED | RC_DEFERRED_SOME)))
		return;
	if (v->nr_pending == MAX_PENDING) {
		v->unchecked++;
		return;
	}
	p = &v->pending[v->nr_pending++];
	p->ts_ns = e->ts_ns;
	p->val = e->val;
	p->reg = e->reg;
	p->type = e->type;
	p->stack_id = e->stack_id;
	p->guarded_entries = 0;
	p->exact = e->flags & KVMSR_F_LOC;
	/*
	 * Exception entry (__kvm_adjust_pc) writes ELR/SPSR inside the world
	 * switch with KVM's vectors installed, where a kprobe panics the host
	 * (seen on Debian 6.1): it is never probed, so those get no verdict.
	 */
	p->tainted = reg_class(a, e->reg) & RC_EXC_ENTRY;
}

static void on_access(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	int loaded = !!(e->flags & KVMSR_F_LOADED);
	bool is_write = e->type == KVMSR_EV_WRITE;

	count_access(v, reg_of(v, e->reg), e, loaded, is_write);
	if (!loaded)
		return;		/* memory is the register: nothing to prove */
	if (e->flags & KVMSR_F_LOC) {
		a->exact_locations = true;
		if (e->loc & KVMSR_LOC_LOADED) {
			served_by_cpu(a, v, e, is_write);
			return;
		}
	}
	note_loaded(a, v, e, is_write);
	add_pending(a, v, e);
}

/* A guest entry: the guest may change anything it can write untrapped. */
static void on_entry(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	bool tvm = e->val & KVMSR_HCR_TVM;

	for (int i = 0; i < v->nr_pending; i++) {
		struct pending_access *p = &v->pending[i];

		if (tvm && (reg_class(a, p->reg) & RC_TVM_ONLY))
			p->guarded_entries++;
		else
			p->tainted = true;
	}
}

/*
 * Does the put own @reg, i.e. save the CPU's value to memory?  Always-deferred
 * registers yes; the others when this very put changed the memory copy, or
 * when the accessors' tracepoint has located the register on the CPU.
 */
static bool put_owns(struct analyzer *a, int reg, bool written_back)
{
	uint8_t cls = reg_class(a, reg);

	if (cls & RC_DEFERRED)
		return true;
	if (!(cls & RC_DEFERRED_SOME))
		return false;
	return written_back ||
	       (reg < KVMSR_MAX_REGS && a->reg_flags && (a->reg_flags[reg] & REGF_LOCATED_CPU));
}

/*
 * The verdict on one loaded access against what the put saved (S), which is
 * the CPU's value when the put owns the register (docs/detection.md):
 * - the accessor's tracepoint said it served memory: S != value proves it;
 * - a read (probe backends) returned a value the CPU did not hold;
 * - a write (probe backends) is lost only if it differs from S in bits
 *   this CPU has been seen to hold both as 0 and as 1: other bits may be
 *   RES0/RES1 or write-ignored, and the CPU dropped them, not KVM;
 * - an IMPLEMENTATION DEFINED or CPU-written register proves nothing.
 * What cannot be proven is a suspect, with its doubt.
 */
static void judge(struct analyzer *a, struct vcpu_stats *v, const struct pending_access *p,
		  const struct kvmsr_event *e, bool before_known)
{
	bool is_read = p->type == KVMSR_EV_READ;
	uint64_t held = analyzer_held(a, e->cpu, e->reg);
	enum finding_doubt doubt = DOUBT_NONE;
	struct finding f;

	if (p->val == e->val) {
		v->checked++;
		return;
	}
	if (!p->exact && (reg_class(a, e->reg) & RC_CPU_OWNED))
		doubt = DOUBT_CPU_OWNED;
	else if (!p->exact && !is_read && !((p->val ^ e->val) & held))
		doubt = DOUBT_UNHELD_BITS;
	if (doubt)
		v->unchecked++;
	else
		v->checked++;
	f = new_finding(is_read ? (doubt ? FIND_SUSPECT_STALE_READ : FIND_STALE_READ) :
				  (doubt ? FIND_SUSPECT_LOST_WRITE : FIND_LOST_WRITE), e);
	f.reg = e->reg;
	f.ts_ns = p->ts_ns;
	f.value = p->val;
	f.saved = e->val;
	f.before = e->aux;
	f.before_known = before_known;
	f.exact = p->exact;
	f.held = held;
	f.doubt = doubt;
	f.guarded_entries = p->guarded_entries;
	f.stack_id = p->stack_id;
	report(a, v, &f);
}

/* What the put saved: the CPU's value, to hold every pending access against. */
static void on_saved(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	bool before_known = !(e->flags & KVMSR_F_NO_BEFORE);
	bool written_back = before_known && e->val != e->aux;
	bool owned = put_owns(a, e->reg, written_back);

	if (written_back && e->reg < KVMSR_MAX_REGS && a->reg_flags)
		a->reg_flags[e->reg] |= REGF_WRITTEN_BACK;
	/* The put's value is the CPU's only for a register the put owns. */
	if (owned)
		observe_cpu(a, e->cpu, e->reg, e->val);
	for (int i = 0; i < v->nr_pending; i++) {
		struct pending_access p = v->pending[i];

		if (p.reg != e->reg)
			continue;
		/* Resolved either way: drop it from the list. */
		v->pending[i--] = v->pending[--v->nr_pending];
		if (p.tainted || !owned)
			v->unchecked++;
		else
			judge(a, v, &p, e, before_known);
	}
}

uint32_t trap_key(const struct kvmsr_event *e)
{
	if (e->flags & KVMSR_F_MEMREG)
		return TRAP_KEY_SLOT | e->reg;
	return e->flags & KVMSR_F_TRAP_ENC ? e->reg : TRAP_KEY_NONE;
}

/* Count @n traps under their register: one hash lookup, bounded. */
static void tally_trap(struct analyzer *a, const struct kvmsr_event *e, uint64_t n)
{
	uint32_t key = trap_key(e), i;
	struct trap_tally *t;

	a->traps_total += n;
	if (!keymap_get(&a->trap_by_key, key, &i)) {
		i = a->nr_trap_regs;
		if (i >= ANALYZER_MAX_TRAP_REGS ||
		    array_room(&a->trap_regs, &a->cap_trap_regs, i, sizeof(*a->trap_regs), 64) ||
		    keymap_put(&a->trap_by_key, key, i)) {
			a->traps_untallied += n;
			return;
		}
		a->trap_regs[i] = (struct trap_tally){ .key = key };
		a->nr_trap_regs++;
	}
	t = &a->trap_regs[i];
	if (e->flags & KVMSR_F_TRAP_WRITE)
		t->writes += n;
	else
		t->reads += n;
}

static void on_trap(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	struct reg_stats *r;

	tally_trap(a, e, 1);
	v->pending_trap = -1;
	/* Only registers with a sys_regs[] slot can go through the accessor. */
	if (!(e->flags & KVMSR_F_MEMREG))
		return;
	/*
	 * ... and of those only the ones the VHE put may own must: the trap
	 * handlers of the others (CLIDR_EL1, OSLSR_EL1, the PMU and timer
	 * registers) use the memory copy or their own code, rightly, and were
	 * counted as coverage gaps.  Without a class table, count them all.
	 */
	if (a->cfg.reg_class && !(reg_class(a, e->reg) & (RC_DEFERRED | RC_DEFERRED_SOME)))
		return;
	r = reg_of(v, e->reg);
	v->traps++;
	if (r)
		r->traps++;
	v->pending_trap = e->reg;
}

/*
 * Records were dropped somewhere: every vCPU may have lost a put, a load or
 * an accessor write.  Pending accesses get no verdict, and until a vCPU's
 * next clean load->put its imbalances cannot be told from a lost record.
 */
static void on_gap(struct analyzer *a)
{
	a->gaps++;
}

/*
 * ... applied to a vCPU when it is next touched, not to every vCPU at each
 * gap (a file of gaps and thousands of vCPUs made that quadratic).
 */
static void catch_up_gaps(struct analyzer *a, struct vcpu_stats *v)
{
	if (v->gaps_seen == a->gaps)
		return;
	v->gaps_seen = a->gaps;
	for (int j = 0; j < v->nr_pending; j++)
		v->pending[j].tainted = true;
	v->gap = true;
}

/* An imbalance: a finding, unless lost records may explain it. */
static void imbalance(struct analyzer *a, struct vcpu_stats *v, struct finding *f)
{
	if (v->gap) {
		a->unverified++;
		return;
	}
	report(a, v, f);
}

static void on_load(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	v->loads++;
	v->tid = e->tid;	/* its thread: QEMU names it ("CPU 0/KVM") */
	drop_pending(v);
	if (v->in) {
		struct finding f = new_finding(FIND_DOUBLE_LOAD, e);

		f.other_cpu = v->cpu;
		v->double_loads++;
		close_interval(v, e->ts_ns);
		imbalance(a, v, &f);
	}
	v->in = true;
	v->in_loaded = e->flags & KVMSR_F_LOADED;
	v->since_ns = e->ts_ns;
	v->cpu = e->cpu;
}

static void on_put(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	v->puts++;
	if (v->in) {
		close_interval(v, e->ts_ns);
		v->gap = false;		/* a whole load->put seen again */
	} else if (!v->loads && v->puts == 1) {
		/* First sight of the vCPU: it was loaded before tracing began. */
	} else {
		struct finding f = new_finding(FIND_ORPHAN_PUT, e);

		v->orphan_puts++;
		imbalance(a, v, &f);
	}
}

/* WARN/BUG: attributed to the vCPU loaded on that CPU, if any. */
static void on_hit(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	struct finding f = new_finding(e->type == KVMSR_EV_WARN ? FIND_WARN : FIND_BUG, e);

	f.value = e->val;
	f.stack_id = e->stack_id;
	f.vcpu_loaded = e->flags & KVMSR_F_LOADED;
	report(a, v, &f);
}

/* The kernel saw the memory copy of a loaded register used directly. */
static void on_direct(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	struct finding f = new_finding(FIND_DIRECT_ACCESS, e);

	f.reg = e->reg;
	f.value = e->val;
	f.before = e->aux;
	f.before_known = e->flags & KVMSR_F_MEM;
	f.is_write = e->flags & KVMSR_F_DIRECT_WRITE;
	f.stack_id = e->stack_id;
	f.vcpu_loaded = true;
	report(a, v, &f);
}

static void on_vm_exit(struct analyzer *a, const struct kvmsr_event *e)
{
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		struct vcpu_stats *v = &a->vcpus[i];
		struct finding f;

		if (v->pid != e->pid || !v->in)
			continue;
		catch_up_gaps(a, v);
		f = new_finding(FIND_OPEN_AT_EXIT, e);
		f.vcpu_id = v->vcpu_id;
		f.other_cpu = v->cpu;
		close_interval(v, e->ts_ns);
		imbalance(a, v, &f);
	}
}

/* A guest entry: counted, and what the guest may change. */
static void on_guest_entry(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
	v->entries++;
	v->pending_trap = -1;
	on_entry(a, v, e);
}

/* The flight recorder's events (switch, ioctl, exit): context, no rule. */
static void context_only(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e)
{
}

typedef void (*rule_fn)(struct analyzer *a, struct vcpu_stats *v, const struct kvmsr_event *e);

/*
 * The analyzer's rule for each event type (the outputs' table is
 * output/event_types.c); a type without one is a malformed record.
 * WARN, BUG and VM_EXIT are handled before a vCPU is needed.
 */
static const rule_fn rules[KVMSR_EV__MAX] = {
	[KVMSR_EV_LOAD] = on_load,		[KVMSR_EV_PUT] = on_put,
	[KVMSR_EV_READ] = on_access,		[KVMSR_EV_WRITE] = on_access,
	[KVMSR_EV_TRAP] = on_trap,		[KVMSR_EV_ENTRY] = on_guest_entry,
	[KVMSR_EV_SAVED] = on_saved,		[KVMSR_EV_DIRECT] = on_direct,
	[KVMSR_EV_WARN] = context_only,		[KVMSR_EV_BUG] = context_only,
	[KVMSR_EV_VM_EXIT] = context_only,	[KVMSR_EV_SWITCH] = context_only,
	[KVMSR_EV_IOCTL] = context_only,	[KVMSR_EV_EXIT] = context_only,
};

/* Run-wide bookkeeping of a record: counts, gaps, the time span. */
static void note_record(struct analyzer *a, const struct kvmsr_event *e)
{
	a->events[e->type]++;
	/*
	 * A late record (out of time order, reorder.h) is handled as a gap:
	 * what the vCPUs did around it was seen in the wrong order.
	 */
	if (e->gap & KVMSR_GAP_LATE)
		a->late++;
	if (e->gap & (KVMSR_GAP_BEFORE | KVMSR_GAP_LATE))
		on_gap(a);
	if (!a->first_ns || e->ts_ns < a->first_ns)
		a->first_ns = e->ts_ns;
	if (e->ts_ns > a->last_ns)
		a->last_ns = e->ts_ns;
}

struct vcpu_stats *analyzer_feed(struct analyzer *a, const struct kvmsr_event *e)
{
	rule_fn rule = e->type < KVMSR_EV__MAX ? rules[e->type] : NULL;
	struct vcpu_stats *v = NULL;

	if (!rule) {
		a->bad_records++;
		return NULL;
	}
	note_record(a, e);
	if (e->type == KVMSR_EV_VM_EXIT) {
		on_vm_exit(a, e);
		return NULL;
	}
	if (e->vcpu_id >= 0) {
		v = analyzer_vcpu(a, e->pid, e->vcpu_id);
		if (v)
			catch_up_gaps(a, v);
		else
			a->vcpu_events_dropped++;
	}
	a->seq++;
	if (v && a->cfg.context)
		ring_push(a, v, e);
	if (e->type == KVMSR_EV_WARN || e->type == KVMSR_EV_BUG) {
		on_hit(a, v, e);
		return v;
	}
	if (!v)
		return NULL;	/* a guest event with no loaded vCPU known */
	if (!v->first_ns)
		v->first_ns = e->ts_ns;
	if (e->ts_ns > v->last_ns)
		v->last_ns = e->ts_ns;
	rule(a, v, e);
	return v;
}

void analyzer_tally(struct analyzer *a, const struct kvmsr_event *e, uint64_t n)
{
	int loaded = !!(e->flags & KVMSR_F_LOADED);
	struct vcpu_stats *v;

	if (e->type >= KVMSR_EV__MAX || !rules[e->type] || !n)
		return;
	a->events[e->type] += n;
	a->tallied += n;
	v = e->vcpu_id >= 0 ? analyzer_vcpu(a, e->pid, e->vcpu_id) : NULL;
	if (!v)
		return;
	switch (e->type) {
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
		count_calls(v, reg_of(v, e->reg), e->type == KVMSR_EV_WRITE, loaded, n);
		break;
	case KVMSR_EV_TRAP:
		tally_trap(a, e, n);
		break;
	case KVMSR_EV_ENTRY:
		v->entries += n;
		break;
	default:
		break;
	}
}

/*
 * Suspects: registers the kernel defers (documented and seen written back
 * by a put) whose loaded reads always returned the memory copy, never a
 * value proven to come from the CPU, and that have no confirmed finding.
 * With the accessor tracepoints, "returned the memory copy" is what the
 * kernel says; the put cannot be seen writing back (its tracepoint fires
 * after it), so the always-deferred list stands for that.
 */
static void report_suspects(struct analyzer *a)
{
	if (!a->suspect_reads)
		return;
	for (int r = 0; r < KVMSR_MAX_REGS; r++) {
		struct finding f;
		uint8_t fl = a->reg_flags[r];

		bool owned = (fl & REGF_WRITTEN_BACK) ||
			     (a->exact_locations && (reg_class(a, r) & RC_DEFERRED));

		if (!a->suspect_reads[r] || !(reg_class(a, r) & (RC_DEFERRED | RC_DEFERRED_SOME)) ||
		    !owned || (fl & (REGF_PROVEN_CPU | REGF_CONFIRMED)))
			continue;
		memset(&f, 0, sizeof(f));
		f.kind = FIND_SUSPECT;
		f.vcpu_id = -1;
		f.reg = r;
		f.count = a->suspect_reads[r];
		f.stack_id = a->suspect_stack[r];
		f.ts_ns = a->last_ns;
		report(a, NULL, &f);
	}
}

void analyzer_finish(struct analyzer *a, uint64_t end_ns)
{
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		struct vcpu_stats *v = &a->vcpus[i];

		if (v->in) {
			if (end_ns > v->last_ns)
				v->last_ns = end_ns;
			close_interval(v, v->last_ns);
		}
		drop_pending(v);
		v->pending_trap = -1;
	}
	report_suspects(a);
}

double vcpu_loaded_share(const struct vcpu_stats *v)
{
	uint64_t wall = v->last_ns > v->first_ns ? v->last_ns - v->first_ns : 0;

	return wall ? (double)v->loaded_ns / (double)wall : 0.0;
}

void analyzer_totals(const struct analyzer *a, struct vcpu_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->vcpu_id = -1;
	for (size_t i = 0; i < a->nr_vcpus; i++) {
		const struct vcpu_stats *v = &a->vcpus[i];

		sum->loads += v->loads;
		sum->puts += v->puts;
		sum->loaded_ns += v->loaded_ns;
		sum->resident_ns += v->resident_ns;
		for (int l = 0; l < 2; l++) {
			sum->reads[l] += v->reads[l];
			sum->writes[l] += v->writes[l];
		}
		sum->traps += v->traps;
		sum->traps_seen += v->traps_seen;
		sum->entries += v->entries;
		sum->double_loads += v->double_loads;
		sum->orphan_puts += v->orphan_puts;
		sum->checked += v->checked;
		sum->unchecked += v->unchecked;
	}
}
