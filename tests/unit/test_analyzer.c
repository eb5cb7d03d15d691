// SPDX-License-Identifier: GPL-2.0
/* The analyzer's state machine, fed hand-built event sequences. */
#include <string.h>
#include "analysis/analyzer.h"
#include "analysis/regclass.h"
#include "unit.h"

#define PID 100

static struct kvmsr_event ev(uint8_t type, uint64_t ts, int vcpu, uint8_t flags,
			     uint16_t reg, uint64_t val)
{
	struct kvmsr_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.pid = PID;
	e.tid = PID + 1 + vcpu;
	e.vcpu_id = vcpu;
	e.flags = flags;
	e.reg = reg;
	e.val = val;
	return e;
}

static void feed(struct analyzer *a, struct kvmsr_event e)
{
	analyzer_feed(a, &e);
}

TEST(loaded_time_is_sum_of_loaded_intervals)
{
	struct analyzer a;
	struct vcpu_stats *v;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_LOAD, 1000, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 1600, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_LOAD, 2000, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 2400, 0, KVMSR_F_LOADED, 0, 0));
	v = analyzer_find(&a, PID, 0);
	CHECK(v != NULL);
	CHECK_EQ(v->loads, 2);
	CHECK_EQ(v->puts, 2);
	CHECK_EQ(v->loaded_ns, 1000);
	CHECK_EQ(v->resident_ns, 1000);
	/* 1000 ns loaded out of 1400 ns observed */
	CHECK(vcpu_loaded_share(v) > 0.714 && vcpu_loaded_share(v) < 0.715);
	analyzer_free(&a);
}

TEST(nvhe_intervals_count_as_resident_not_loaded)
{
	struct analyzer a;
	struct vcpu_stats *v;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_LOAD, 1000, 0, 0, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 1600, 0, 0, 0, 0));
	v = analyzer_find(&a, PID, 0);
	CHECK_EQ(v->loads, 1);
	CHECK_EQ(v->loaded_ns, 0);
	CHECK_EQ(v->resident_ns, 600);
	analyzer_free(&a);
}

TEST(vcpus_are_kept_apart)
{
	struct analyzer a;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_LOAD, 10, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_LOAD, 20, 1, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 30, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 70, 1, KVMSR_F_LOADED, 0, 0));
	CHECK_EQ(a.nr_vcpus, 2);
	CHECK_EQ(analyzer_find(&a, PID, 0)->loaded_ns, 20);
	CHECK_EQ(analyzer_find(&a, PID, 1)->loaded_ns, 50);
	CHECK(analyzer_find(&a, PID + 1, 0) == NULL);
	analyzer_free(&a);
}

TEST(accessors_split_by_loaded_state_and_register)
{
	struct analyzer a;
	struct vcpu_stats *v;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_WRITE, 5, 0, 0, 7, 1));		/* before load: memory */
	feed(&a, ev(KVMSR_EV_LOAD, 10, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_READ, 11, 0, KVMSR_F_LOADED, 7, 1));
	feed(&a, ev(KVMSR_EV_READ, 12, 0, KVMSR_F_LOADED, 9, 1));
	feed(&a, ev(KVMSR_EV_WRITE, 13, 0, KVMSR_F_LOADED, 7, 2));
	v = analyzer_find(&a, PID, 0);
	CHECK_EQ(v->reads[1], 2);
	CHECK_EQ(v->reads[0], 0);
	CHECK_EQ(v->writes[1], 1);
	CHECK_EQ(v->writes[0], 1);
	CHECK_EQ(vcpu_reg_find(v, 7)->reads[1], 1);
	CHECK_EQ(vcpu_reg_find(v, 7)->writes[0], 1);
	CHECK_EQ(vcpu_reg_find(v, 7)->writes[1], 1);
	CHECK_EQ(vcpu_reg_find(v, 9)->reads[1], 1);
	analyzer_free(&a);
}

TEST(double_load_and_orphan_put_are_imbalances)
{
	struct analyzer a;
	struct vcpu_stats *v;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_PUT, 5, 0, 0, 0, 0));	/* loaded before tracing: fine */
	feed(&a, ev(KVMSR_EV_LOAD, 10, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_LOAD, 20, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 30, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 40, 0, KVMSR_F_LOADED, 0, 0));	/* no load */
	v = analyzer_find(&a, PID, 0);
	CHECK_EQ(v->orphan_puts, 1);
	CHECK_EQ(v->double_loads, 1);
	CHECK_EQ(v->loaded_ns, 20);	/* both intervals, none counted twice */
	analyzer_free(&a);
}

TEST(finish_closes_an_open_interval)
{
	struct analyzer a;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_LOAD, 100, 0, KVMSR_F_LOADED, 0, 0));
	analyzer_finish(&a, 350);
	CHECK_EQ(analyzer_find(&a, PID, 0)->loaded_ns, 250);
	CHECK(!analyzer_find(&a, PID, 0)->in);
	analyzer_free(&a);
}

TEST(coverage_counts_traps_answered_by_an_accessor)
{
	struct analyzer a;
	struct vcpu_stats *v;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_LOAD, 1, 0, KVMSR_F_LOADED, 0, 0));
	/* seen: trap of reg 7 then the accessor for 7 */
	feed(&a, ev(KVMSR_EV_TRAP, 2, 0, KVMSR_F_MEMREG | KVMSR_F_TRAP_WRITE, 7, 5));
	feed(&a, ev(KVMSR_EV_READ, 3, 0, KVMSR_F_LOADED, 7, 4));
	feed(&a, ev(KVMSR_EV_WRITE, 4, 0, KVMSR_F_LOADED, 7, 5));
	/* not seen: the guest is entered before any accessor call */
	feed(&a, ev(KVMSR_EV_TRAP, 5, 0, KVMSR_F_MEMREG | KVMSR_F_TRAP_WRITE, 9, 5));
	feed(&a, ev(KVMSR_EV_ENTRY, 6, 0, 0, 0, 0));
	feed(&a, ev(KVMSR_EV_WRITE, 7, 0, KVMSR_F_LOADED, 9, 5));
	/* not seen: an accessor for another register does not count */
	feed(&a, ev(KVMSR_EV_TRAP, 8, 0, KVMSR_F_MEMREG, 9, 0));
	feed(&a, ev(KVMSR_EV_READ, 9, 0, KVMSR_F_LOADED, 7, 0));
	/* ignored: no sys_regs[] slot, no accessor expected */
	feed(&a, ev(KVMSR_EV_TRAP, 10, 0, 0, 0, 0));
	v = analyzer_find(&a, PID, 0);
	CHECK_EQ(v->traps, 3);
	CHECK_EQ(v->traps_seen, 1);
	CHECK_EQ(vcpu_reg_find(v, 7)->traps_seen, 1);
	CHECK_EQ(vcpu_reg_find(v, 9)->traps, 2);
	CHECK_EQ(vcpu_reg_find(v, 9)->traps_seen, 0);
	analyzer_free(&a);
}

/*
 * Registers the put never owns (CLIDR_EL1, OSLSR_EL1, PMU, timers) have
 * trap handlers that rightly bypass the accessors: not coverage gaps.
 */
TEST(coverage_counts_only_registers_the_put_may_own)
{
	static uint8_t cls[KVMSR_MAX_REGS];
	struct analyzer_config cfg = { .reg_class = cls };
	struct analyzer a;
	struct vcpu_stats *v;

	cls[7] = RC_DEFERRED;
	cls[8] = RC_DEFERRED_SOME;
	analyzer_init(&a);
	analyzer_configure(&a, &cfg);
	feed(&a, ev(KVMSR_EV_LOAD, 1, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_TRAP, 2, 0, KVMSR_F_MEMREG, 7, 0));	/* counted */
	feed(&a, ev(KVMSR_EV_ENTRY, 3, 0, 0, 0, 0));
	feed(&a, ev(KVMSR_EV_TRAP, 4, 0, KVMSR_F_MEMREG, 8, 0));	/* counted */
	feed(&a, ev(KVMSR_EV_ENTRY, 5, 0, 0, 0, 0));
	feed(&a, ev(KVMSR_EV_TRAP, 6, 0, KVMSR_F_MEMREG, 9, 0));	/* not the put's */
	feed(&a, ev(KVMSR_EV_ENTRY, 7, 0, 0, 0, 0));
	v = analyzer_find(&a, PID, 0);
	CHECK_EQ(v->traps, 2);
	CHECK_EQ(v->traps_seen, 0);
	analyzer_free(&a);
}

/*
 * The BPF side's counts (default trace, bpf/tally.bpf.h) land where the
 * same events fed one by one would: accessor calls by register and loaded
 * state, traps by register, entries; never in a rule.
 */
TEST(tallied_events_count_as_if_fed)
{
	struct analyzer fed, tallied;
	struct kvmsr_event e[] = {
		ev(KVMSR_EV_READ, 2, 0, KVMSR_F_LOADED, 9, 0),
		ev(KVMSR_EV_WRITE, 3, 0, 0, 9, 0),
		ev(KVMSR_EV_TRAP, 4, 0, KVMSR_F_TRAP_ENC, 0x5c01, 0),
		ev(KVMSR_EV_ENTRY, 5, 0, 0, 0, 0),
	};
	struct vcpu_stats *f, *t;

	analyzer_init(&fed);
	analyzer_init(&tallied);
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
			feed(&fed, e[i]);
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		analyzer_tally(&tallied, &e[i], 3);
	f = analyzer_find(&fed, PID, 0);
	t = analyzer_find(&tallied, PID, 0);
	CHECK(f && t);
	CHECK_EQ(t->reads[1], 3);
	CHECK_EQ(t->reads[1], f->reads[1]);
	CHECK_EQ(t->writes[0], f->writes[0]);
	CHECK_EQ(vcpu_reg_find(t, 9)->reads[1], 3);
	CHECK_EQ(t->entries, f->entries);
	CHECK_EQ(tallied.traps_total, fed.traps_total);
	CHECK_EQ(tallied.nr_trap_regs, 1);
	CHECK_EQ(tallied.trap_regs[0].reads, 3);
	CHECK_EQ(tallied.events[KVMSR_EV_READ], 3);
	CHECK_EQ(tallied.tallied, 12);
	CHECK_EQ(t->loads, 0);
	analyzer_free(&fed);
	analyzer_free(&tallied);
}

TEST(unknown_record_types_are_counted_not_dropped)
{
	struct analyzer a;

	analyzer_init(&a);
	feed(&a, ev(0, 1, 0, 0, 0, 0));
	feed(&a, ev(KVMSR_EV__MAX, 2, 0, 0, 0, 0));
	feed(&a, ev(200, 3, 0, 0, 0, 0));
	CHECK_EQ(a.bad_records, 3);
	CHECK_EQ(a.nr_vcpus, 0);
	analyzer_free(&a);
}

TEST(guest_events_without_a_vcpu_are_not_attributed)
{
	struct analyzer a;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_ENTRY, 1, -1, KVMSR_F_NO_VCPU, 0, 0));
	CHECK_EQ(a.events[KVMSR_EV_ENTRY], 1);
	CHECK_EQ(a.nr_vcpus, 0);
	analyzer_free(&a);
}

TEST(totals_sum_every_vcpu)
{
	struct analyzer a;
	struct vcpu_stats sum;

	analyzer_init(&a);
	feed(&a, ev(KVMSR_EV_LOAD, 1, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_LOAD, 1, 1, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 4, 0, KVMSR_F_LOADED, 0, 0));
	feed(&a, ev(KVMSR_EV_PUT, 6, 1, KVMSR_F_LOADED, 0, 0));
	analyzer_totals(&a, &sum);
	CHECK_EQ(sum.loads, 2);
	CHECK_EQ(sum.puts, 2);
	CHECK_EQ(sum.loaded_ns, 8);
	analyzer_free(&a);
}

/* The bucketing BPF and the analyzer share (kvmsr_limits.h) is floor(log2). */
TEST(log2_bucket_is_floor_log2_clamped)
{
	for (int s = 0; s < 64; s++) {
		for (int d = -1; d <= 1; d++) {
			uint64_t v = (1ull << s) + d, x = v;
			unsigned int want = 0;

			while (x >>= 1)
				want++;
			if (want >= KVMSR_HIST_BUCKETS)
				want = KVMSR_HIST_BUCKETS - 1;
			CHECK_EQ(kvmsr_log2_bucket(v), want);
		}
	}
	CHECK_EQ(kvmsr_log2_bucket(0), 0);
	CHECK_EQ(kvmsr_log2_bucket(~0ull), KVMSR_HIST_BUCKETS - 1);
}

/* Type 0, the retired number 8 and anything past the table: malformed, counted. */
TEST(records_of_unknown_or_retired_types_are_malformed)
{
	struct analyzer a;
	struct kvmsr_event e = { .pid = 1, .vcpu_id = 0 };

	analyzer_init(&a);
	for (unsigned int t = 0; t < 256; t++) {
		e.type = t;
		analyzer_feed(&a, &e);
	}
	CHECK_EQ(a.bad_records, 256 - 14);
	CHECK_EQ(a.events[8], 0);
	analyzer_free(&a);
}
