// SPDX-License-Identifier: GPL-2.0
/*
 * The detector's rules (docs/detection.md), each with the trap a naive
 * detector falls into.  Every test fails if its rule is removed.
 */
#include <string.h>
#include "analysis/analyzer.h"
#include "analysis/regclass.h"
#include "unit.h"

#define PID 7
enum { SCTLR = 1, ESR = 2, MDSCR = 3, ELR = 4, SCTLR2 = 5, TTBR0 = 6, NREGS };

static const char *const names[NREGS] = {
	[SCTLR] = "SCTLR_EL1", [ESR] = "ESR_EL1", [MDSCR] = "MDSCR_EL1",
	[ELR] = "ELR_EL1", [SCTLR2] = "SCTLR_EL2", [TTBR0] = "TTBR0_EL1",
};

struct rec {
	struct finding f[16];
	int n;
};

static void collect(void *ctx, const struct finding *f)
{
	struct rec *r = ctx;

	if (r->n < 16)
		r->f[r->n++] = *f;
}

static uint8_t classes[KVMSR_MAX_REGS];

static void setup(struct analyzer *a, struct rec *r)
{
	struct analyzer_config c = { .reg_class = classes, .on_finding = collect, .ctx = r };

	for (int i = 0; i < NREGS; i++)
		classes[i] = regclass_of(names[i]);
	memset(r, 0, sizeof(*r));
	analyzer_init(a);
	analyzer_configure(a, &c);
}

static uint64_t now;

static void ev(struct analyzer *a, uint8_t type, int vcpu, uint8_t flags, uint16_t reg,
	       uint64_t val, uint64_t aux, uint16_t cpu)
{
	struct kvmsr_event e = { .type = type, .ts_ns = ++now, .pid = PID, .vcpu_id = vcpu,
				 .flags = flags, .reg = reg, .val = val, .aux = aux, .cpu = cpu,
				 .stack_id = -1 };

	analyzer_feed(a, &e);
}

#define L KVMSR_F_LOADED
#define M KVMSR_F_MEM
#define LOAD(a) ev(a, KVMSR_EV_LOAD, 0, L, 0, 0, 0, 0)
#define PUT(a) ev(a, KVMSR_EV_PUT, 0, L, 0, 0, 0, 0)
#define READ(a, r, v, mem) ev(a, KVMSR_EV_READ, 0, L | M, r, v, mem, 0)
#define WRITE(a, r, v, mem) ev(a, KVMSR_EV_WRITE, 0, L | M, r, v, mem, 0)
#define SAVED(a, r, s, before) ev(a, KVMSR_EV_SAVED, 0, M, r, s, before, 0)
#define ENTRY(a, hcr) ev(a, KVMSR_EV_ENTRY, 0, 0, 0, hcr, 0, 0)

TEST(stale_read_is_confirmed_by_the_put)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);	/* served from memory */
	PUT(&a);
	SAVED(&a, SCTLR, 0x2, 0x1);	/* the CPU held 0x2 */
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_STALE_READ);
	CHECK_EQ(r.f[0].reg, SCTLR);
	CHECK_EQ(r.f[0].value, 0x1);
	CHECK_EQ(r.f[0].saved, 0x2);
	CHECK_EQ(analyzer_find(&a, PID, 0)->checked, 1);
	analyzer_free(&a);
}

/* An earlier interval whose put saved @s: the CPU held @s in @reg. */
static void cpu_held(struct analyzer *a, uint16_t reg, uint64_t s)
{
	LOAD(a);
	PUT(a);
	SAVED(a, reg, s, s);
}

TEST(lost_write_is_confirmed_by_the_put)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	cpu_held(&a, TTBR0, 0x5000);	/* bit 12 seen as 1 here, as 0 below */
	LOAD(&a);
	WRITE(&a, TTBR0, 0x5000, 0x5000);	/* went to memory only */
	PUT(&a);
	SAVED(&a, TTBR0, 0x4000, 0x5000);	/* the put overwrote it */
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_LOST_WRITE);
	CHECK_EQ(r.f[0].value, 0x5000);
	CHECK(r.f[0].held & 0x1000);
	analyzer_free(&a);
}

/*
 * The real-VM false positive (issue 12): Linux turns its MMU on with
 * SCTLR_EL1.ITFSB (bit 37) set; a CPU without MTE keeps that bit RES0.  The
 * write reached the CPU (7.x writes memory too), a read the CPU served 4 us
 * later returned the masked value, the thread was preempted, and the put
 * saved the masked value.  Not a lost write: the bits differ only where the
 * CPU was never seen to hold a 1.
 */
#define SCTLR_OFF 0x30d00800ull
#define SCTLR_ON_W 0x200002034f4d91dull
#define SCTLR_ON_CPU 0x200000034f4d91dull

TEST(masked_write_is_not_a_lost_write)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	cpu_held(&a, SCTLR, SCTLR_OFF);		/* MMU off */
	LOAD(&a);
	ev(&a, KVMSR_EV_TRAP, 0, KVMSR_F_MEMREG | KVMSR_F_TRAP_WRITE, SCTLR, 0, 0, 0);
	WRITE(&a, SCTLR, SCTLR_ON_W, SCTLR_ON_W);	/* CPU and memory */
	READ(&a, SCTLR, SCTLR_ON_CPU, SCTLR_ON_W);	/* served by the CPU */
	ev(&a, KVMSR_EV_SWITCH, 0, L, 0, 0, 0, 0);	/* preempted */
	PUT(&a);
	SAVED(&a, SCTLR, SCTLR_ON_CPU, SCTLR_ON_W);
	CHECK_EQ(a.findings[FIND_LOST_WRITE] + a.findings[FIND_STALE_READ], 0);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT_LOST_WRITE);
	CHECK_EQ(r.f[0].doubt, DOUBT_UNHELD_BITS);
	CHECK(!finding_is_confirmed(r.f[0].kind) && finding_is_suspect(r.f[0].kind));
	/* M, C, I went 0 -> 1 on this CPU: held; ITFSB never was. */
	CHECK(r.f[0].held & 0x1005);
	CHECK(!(r.f[0].held & (1ull << 37)));
	analyzer_free(&a);
}

TEST(write_to_a_register_the_cpu_ignores_is_not_a_lost_write)
{
	struct analyzer a;
	struct rec r;
	uint8_t amair = 10, ttbr1 = 11;

	setup(&a, &r);
	classes[amair] = regclass_of("AMAIR_EL1");	/* IMPLEMENTATION DEFINED */
	classes[ttbr1] = regclass_of("TTBR1_EL1");
	analyzer_configure(&a, &a.cfg);
	cpu_held(&a, amair, 0);
	cpu_held(&a, ttbr1, 0);
	LOAD(&a);
	WRITE(&a, amair, 0x5, 0x5);
	WRITE(&a, ttbr1, 0x7000, 0x7000);
	PUT(&a);
	SAVED(&a, amair, 0, 0x5);		/* RAZ/WI: the value before */
	SAVED(&a, ttbr1, 0, 0x7000);
	CHECK_EQ(a.findings[FIND_LOST_WRITE], 0);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT_LOST_WRITE);
	CHECK_EQ(r.f[0].doubt, DOUBT_CPU_OWNED);
	CHECK_EQ(r.f[1].kind, FIND_SUSPECT_LOST_WRITE);
	CHECK_EQ(r.f[1].doubt, DOUBT_UNHELD_BITS);
	analyzer_free(&a);
}

/*
 * The fault-injection knob's case (sysreg_not_loaded): the guest flips
 * SCTLR_EL1.nTWI, KVM writes memory only, the put restores the CPU's old
 * value.  Once this CPU has held nTWI both ways, that is a proof.
 */
TEST(write_the_kernel_dropped_is_confirmed_where_the_cpu_held_the_bits)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	cpu_held(&a, SCTLR, 0x30d50878);	/* nTWI (bit 16) = 1 */
	cpu_held(&a, SCTLR, 0x30d40878);	/* nTWI = 0 */
	LOAD(&a);
	WRITE(&a, SCTLR, 0x30d50878, 0x30d50878);
	PUT(&a);
	SAVED(&a, SCTLR, 0x30d40878, 0x30d50878);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_LOST_WRITE);
	CHECK_EQ((r.f[0].value ^ r.f[0].saved) & r.f[0].held, 0x10000);
	analyzer_free(&a);
}

TEST(without_evidence_of_held_bits_a_differing_write_is_a_suspect)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	WRITE(&a, TTBR0, 0x5000, 0x5000);
	PUT(&a);
	SAVED(&a, TTBR0, 0x4000, 0x5000);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT_LOST_WRITE);
	CHECK_EQ(analyzer_find(&a, PID, 0)->unchecked, 1);
	analyzer_free(&a);
}

TEST(held_bits_are_evidence_of_the_cpu_that_held_them)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	cpu_held(&a, TTBR0, 0x5000);
	cpu_held(&a, TTBR0, 0x4000);		/* CPU 0 holds bit 12 both ways */
	CHECK_EQ(analyzer_held(&a, 0, TTBR0) & 0x1000, 0x1000);
	CHECK_EQ(analyzer_held(&a, 1, TTBR0), 0);
	ev(&a, KVMSR_EV_LOAD, 0, L, 0, 0, 0, 1);
	ev(&a, KVMSR_EV_WRITE, 0, L | M, TTBR0, 0x5000, 0x5000, 1);
	ev(&a, KVMSR_EV_PUT, 0, L, 0, 0, 0, 1);
	ev(&a, KVMSR_EV_SAVED, 0, M, TTBR0, 0x4000, 0x5000, 1);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT_LOST_WRITE);
	analyzer_free(&a);
}

TEST(stale_read_of_an_implementation_defined_register_is_a_suspect)
{
	struct analyzer a;
	struct rec r;
	uint8_t actlr = 9;

	setup(&a, &r);
	classes[actlr] = regclass_of("ACTLR_EL1");
	analyzer_configure(&a, &a.cfg);
	LOAD(&a);
	READ(&a, actlr, 0x1, 0x1);
	PUT(&a);
	SAVED(&a, actlr, 0x3, 0x1);		/* written back: owned */
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT_STALE_READ);
	CHECK_EQ(r.f[0].doubt, DOUBT_CPU_OWNED);
	analyzer_free(&a);
}

TEST(correct_accessor_gives_no_finding)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	WRITE(&a, TTBR0, 0x5000, 0x4000);	/* to the CPU, memory stale */
	READ(&a, TTBR0, 0x5000, 0x4000);
	PUT(&a);
	SAVED(&a, TTBR0, 0x5000, 0x4000);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(analyzer_find(&a, PID, 0)->checked, 2);
	analyzer_free(&a);
}

TEST(untrapped_guest_entry_between_read_and_put_forbids_a_verdict)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);
	ENTRY(&a, 0);			/* no TVM: the guest may write SCTLR */
	PUT(&a);
	SAVED(&a, SCTLR, 0x2, 0x1);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(analyzer_find(&a, PID, 0)->unchecked, 1);
	analyzer_free(&a);
}

TEST(tvm_trapped_entry_keeps_vm_registers_checkable)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);
	READ(&a, ESR, 0x9, 0x9);
	ENTRY(&a, KVMSR_HCR_TVM);	/* guest writes of SCTLR trap; ESR changes on exceptions */
	PUT(&a);
	SAVED(&a, SCTLR, 0x2, 0x1);
	SAVED(&a, ESR, 0x8, 0x9);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].reg, SCTLR);
	CHECK_EQ(r.f[0].guarded_entries, 1);
	analyzer_free(&a);
}

TEST(later_accessor_write_forbids_a_verdict_on_earlier_read)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);
	WRITE(&a, SCTLR, 0x2, 0x1);
	PUT(&a);
	SAVED(&a, SCTLR, 0x2, 0x1);
	CHECK_EQ(r.n, 0);
	analyzer_free(&a);
}

TEST(equal_values_and_unsaved_registers_prove_nothing)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x3, 0x3);
	READ(&a, MDSCR, 0x1, 0x1);	/* not deferred: memory is the register */
	READ(&a, TTBR0, 0x7, 0x7);
	PUT(&a);
	SAVED(&a, SCTLR, 0x3, 0x3);	/* equal: nothing to see */
	SAVED(&a, MDSCR, 0x2, 0x1);	/* changed, but the put does not own it */
	SAVED(&a, TTBR0, 0x7, 0x7);
	CHECK_EQ(r.n, 0);
	analyzer_free(&a);
}

/*
 * Exception entry (__kvm_adjust_pc) writes ELR/SPSR inside the world switch,
 * where no probe sees it: a changed ELR at the put proves nothing.
 */
TEST(exception_entry_registers_are_never_proven)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, ELR, 0x10, 0x10);
	PUT(&a);
	SAVED(&a, ELR, 0x20, 0x10);
	CHECK_EQ(r.n, 0);
	analyzer_free(&a);
}

TEST(nested_virt_el2_write_taints_everything)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);
	WRITE(&a, SCTLR2, 0x2, 0x0);	/* SCTLR_EL2 may live in SCTLR_EL1 on the CPU */
	PUT(&a);
	SAVED(&a, SCTLR, 0x2, 0x1);
	CHECK_EQ(r.n, 0);
	analyzer_free(&a);
}

TEST(reset_and_os_lock_put_load_pairs_are_not_findings)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x2);		/* from the CPU */
	PUT(&a);				/* kvm_reset_vcpu: put ... */
	SAVED(&a, SCTLR, 0x1, 0x2);
	ev(&a, KVMSR_EV_WRITE, 0, M, SCTLR, 0xc5, 0xc5, 0);	/* reset, unloaded */
	LOAD(&a);				/* ... load */
	READ(&a, SCTLR, 0xc5, 0xc5);
	PUT(&a);
	SAVED(&a, SCTLR, 0xc5, 0xc5);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(analyzer_find(&a, PID, 0)->double_loads, 0);
	analyzer_free(&a);
}

TEST(accesses_without_a_saved_record_stay_unchecked)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);
	PUT(&a);				/* nVHE: no SAVED ever comes */
	LOAD(&a);
	CHECK_EQ(analyzer_find(&a, PID, 0)->unchecked, 1);
	CHECK_EQ(analyzer_find(&a, PID, 0)->checked, 0);
	CHECK_EQ(r.n, 0);
	analyzer_free(&a);
}

TEST(imbalances_double_load_two_cpus_orphan_put_open_at_exit)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	PUT(&a);			/* first sight: loaded before tracing */
	CHECK_EQ(r.n, 0);
	ev(&a, KVMSR_EV_LOAD, 0, L, 0, 0, 0, 0);
	PUT(&a);
	PUT(&a);						/* put without load */
	ev(&a, KVMSR_EV_LOAD, 0, L, 0, 0, 0, 0);
	ev(&a, KVMSR_EV_LOAD, 0, L, 0, 0, 0, 1);		/* again, CPU 1 */
	ev(&a, KVMSR_EV_VM_EXIT, -1, 0, 0, 0, 0, 1);		/* VM gone, loaded */
	CHECK_EQ(r.n, 3);
	CHECK_EQ(r.f[0].kind, FIND_ORPHAN_PUT);
	CHECK_EQ(r.f[1].kind, FIND_DOUBLE_LOAD);
	CHECK_EQ(r.f[1].cpu, 1);
	CHECK_EQ(r.f[1].other_cpu, 0);
	CHECK_EQ(r.f[2].kind, FIND_OPEN_AT_EXIT);
	CHECK_EQ(r.f[2].vcpu_id, 0);
	analyzer_free(&a);
}

TEST(warn_is_attributed_to_the_loaded_vcpu_or_marked_outside)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	ev(&a, KVMSR_EV_WARN, 0, L, 0, 0xffff800080123456ull, 0, 1);
	ev(&a, KVMSR_EV_BUG, -1, KVMSR_F_NO_VCPU, 0, 0x1234, 0, 0);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.f[0].kind, FIND_WARN);
	CHECK(r.f[0].vcpu_loaded);
	CHECK_EQ(r.f[0].vcpu_id, 0);
	CHECK_EQ(r.f[0].value, 0xffff800080123456ull);
	CHECK_EQ(r.f[1].kind, FIND_BUG);
	CHECK(!r.f[1].vcpu_loaded);
	analyzer_free(&a);
}

TEST(suspects_need_a_deferred_written_back_register_never_proven_on_cpu)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);	/* value == memory copy */
	READ(&a, TTBR0, 0x9, 0x8);	/* value != memory: the CPU served it */
	READ(&a, TTBR0, 0x8, 0x8);
	READ(&a, MDSCR, 0x0, 0x0);	/* not deferred */
	ENTRY(&a, 0);
	PUT(&a);
	SAVED(&a, SCTLR, 0x4, 0x1);	/* written back: SCTLR is deferred here */
	SAVED(&a, TTBR0, 0x9, 0x8);
	SAVED(&a, MDSCR, 0x0, 0x0);
	CHECK_EQ(r.n, 0);		/* the entry tainted everything */
	analyzer_finish(&a, ++now);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT);
	CHECK_EQ(r.f[0].reg, SCTLR);
	CHECK_EQ(r.f[0].count, 1);
	CHECK(!finding_is_confirmed(r.f[0].kind));
	analyzer_free(&a);
}

TEST(coverage_survives_preemption_between_trap_and_accessor)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	ev(&a, KVMSR_EV_TRAP, 0, KVMSR_F_MEMREG | KVMSR_F_TRAP_WRITE, TTBR0, 1, 0, 0);
	PUT(&a);			/* preempted in the handler */
	ev(&a, KVMSR_EV_LOAD, 0, L, 0, 0, 0, 1);
	WRITE(&a, TTBR0, 1, 0);
	CHECK_EQ(analyzer_find(&a, PID, 0)->traps_seen, 1);
	analyzer_free(&a);
}

TEST(version_dependent_registers_need_the_put_to_write_them_back)
{
	struct analyzer a;
	struct rec r;
	uint8_t actlr = 9;	/* TCR2_EL1: saved by the put from 6.5 on */

	setup(&a, &r);
	classes[actlr] = regclass_of("TCR2_EL1");
	analyzer_configure(&a, &a.cfg);
	LOAD(&a);
	READ(&a, actlr, 0x1, 0x1);
	READ(&a, actlr, 0x1, 0x1);
	PUT(&a);
	SAVED(&a, actlr, 0x2, 0x2);	/* memory only, not owned by this put */
	CHECK_EQ(r.n, 0);
	LOAD(&a);
	READ(&a, actlr, 0x2, 0x2);
	PUT(&a);
	SAVED(&a, actlr, 0x3, 0x2);	/* this put wrote it back: provable */
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_STALE_READ);
	analyzer_free(&a);
}

/* ---- the accessor tracepoints of the kernel/ series (exact locations) ---- */

static void access_at(struct analyzer *a, uint8_t type, uint16_t reg, uint64_t val,
		      uint8_t loc)
{
	struct kvmsr_event e = { .type = type, .ts_ns = ++now, .pid = PID, .vcpu_id = 0,
				 .flags = L | M | KVMSR_F_LOC, .loc = loc, .reg = reg,
				 .val = val, .aux = val, .stack_id = -1 };

	analyzer_feed(a, &e);
}

#define SAVED_AFTER(a, r, s) ev(a, KVMSR_EV_SAVED, 0, M | KVMSR_F_NO_BEFORE, r, s, 0, 0)

TEST(tracepoint_memory_served_accesses_are_confirmed_without_the_before_value)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	access_at(&a, KVMSR_EV_WRITE, SCTLR, 0x1, 0);		/* memory only */
	ENTRY(&a, KVMSR_HCR_TVM);
	access_at(&a, KVMSR_EV_READ, SCTLR, 0x1, 0);
	PUT(&a);
	SAVED_AFTER(&a, SCTLR, 0x2);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.f[0].kind, FIND_LOST_WRITE);
	CHECK_EQ(r.f[1].kind, FIND_STALE_READ);
	CHECK(r.f[0].exact && r.f[1].exact);
	CHECK(!r.f[0].before_known);
	CHECK_EQ(r.f[1].saved, 0x2);
	analyzer_free(&a);
}

TEST(tracepoint_cpu_served_access_is_never_a_finding)
{
	struct analyzer a;
	struct rec r;

	/*
	 * A read the kernel served from the CPU returned the CPU's value: even
	 * a put that saved something else (a put-side bug) does not make the
	 * read stale, so no pending access is kept for it.
	 */
	setup(&a, &r);
	LOAD(&a);
	access_at(&a, KVMSR_EV_READ, SCTLR, 0x1, KVMSR_LOC_LOADED);
	access_at(&a, KVMSR_EV_WRITE, TTBR0, 0x5000, KVMSR_LOC_LOADED);
	PUT(&a);
	SAVED_AFTER(&a, SCTLR, 0x2);
	SAVED_AFTER(&a, TTBR0, 0x4000);
	CHECK_EQ(r.n, 0);
	analyzer_finish(&a, now);
	CHECK_EQ(r.n, 0);		/* and no suspect either */
	analyzer_free(&a);
}

TEST(tracepoint_version_dependent_register_is_owned_once_located_on_the_cpu)
{
	struct analyzer a;
	struct rec r;
	uint8_t actlr = 9;

	setup(&a, &r);
	classes[actlr] = regclass_of("ACTLR_EL1");
	LOAD(&a);
	access_at(&a, KVMSR_EV_READ, actlr, 0x1, 0);
	PUT(&a);
	SAVED_AFTER(&a, actlr, 0x2);	/* no before: ownership unknown */
	CHECK_EQ(r.n, 0);
	CHECK_EQ(analyzer_find(&a, PID, 0)->unchecked, 1);
	LOAD(&a);
	access_at(&a, KVMSR_EV_READ, actlr, 0x2, KVMSR_LOC_LOADED);	/* deferred here */
	access_at(&a, KVMSR_EV_READ, actlr, 0x1, 0);
	PUT(&a);
	SAVED_AFTER(&a, actlr, 0x2);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_STALE_READ);
	analyzer_free(&a);
}

TEST(tracepoint_memory_served_reads_of_a_deferred_register_are_suspect)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	access_at(&a, KVMSR_EV_READ, SCTLR, 0x1, 0);
	access_at(&a, KVMSR_EV_READ, SCTLR, 0x1, 0);
	PUT(&a);
	SAVED_AFTER(&a, SCTLR, 0x1);	/* equal: invisible, not confirmed */
	CHECK_EQ(r.n, 0);
	analyzer_finish(&a, now);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_SUSPECT);
	CHECK_EQ(r.f[0].count, 2);
	analyzer_free(&a);
}

TEST(direct_access_is_confirmed_with_its_caller)
{
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	ev(&a, KVMSR_EV_DIRECT, 0, L | M | KVMSR_F_DIRECT_WRITE, TTBR0, 0xffff800080123456ULL,
	   0x4000, 0);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_DIRECT_ACCESS);
	CHECK(finding_is_confirmed(r.f[0].kind));
	CHECK_EQ(r.f[0].reg, TTBR0);
	CHECK_EQ(r.f[0].value, 0xffff800080123456ULL);
	CHECK(r.f[0].is_write);
	CHECK_EQ(analyzer_find(&a, PID, 0)->findings[FIND_DIRECT_ACCESS], 1);
	analyzer_free(&a);
}

/*
 * Records dropped by the ring buffer: a lost accessor write would make an
 * earlier read look stale, a lost put a double load.  The first record
 * after a drop carries KVMSR_GAP_BEFORE; what is pending gets no verdict
 * and imbalances are counted as unverified until a clean load->put.
 */
TEST(a_gap_in_the_stream_forbids_verdicts_and_imbalances)
{
	struct kvmsr_event gap = { .type = KVMSR_EV_ENTRY, .pid = PID, .vcpu_id = 0,
				   .gap = KVMSR_GAP_BEFORE, .stack_id = -1 };
	struct analyzer a;
	struct rec r;

	setup(&a, &r);
	LOAD(&a);
	READ(&a, SCTLR, 0x1, 0x1);
	/* here the accessor write of 0x2 was dropped */
	gap.ts_ns = ++now;
	gap.val = KVMSR_HCR_TVM;
	analyzer_feed(&a, &gap);
	PUT(&a);
	SAVED(&a, SCTLR, 0x2, 0x1);
	CHECK_EQ(r.n, 0);			/* no stale read */
	CHECK_EQ(analyzer_find(&a, PID, 0)->unchecked, 1);
	CHECK_EQ(a.gaps, 1);

	/* A put lost after a gap: the double load is not a finding. */
	LOAD(&a);
	gap.ts_ns = ++now;
	analyzer_feed(&a, &gap);
	LOAD(&a);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(a.unverified, 1);
	/* A clean load->put later: imbalances count again. */
	PUT(&a);
	LOAD(&a);
	LOAD(&a);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.f[0].kind, FIND_DOUBLE_LOAD);
	analyzer_free(&a);
}
