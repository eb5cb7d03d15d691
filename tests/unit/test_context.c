// SPDX-License-Identifier: GPL-2.0
/* The flight recorder: each finding carries its vCPU's last events. */
#include <string.h>
#include "analysis/analyzer.h"
#include "unit.h"

#define PID 300

static struct kvmsr_event ev(uint8_t type, uint64_t ts, int vcpu, uint8_t flags, int32_t stack)
{
	struct kvmsr_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.pid = PID;
	e.tid = PID + 1 + vcpu;
	e.vcpu_id = vcpu;
	e.flags = flags;
	e.stack_id = stack;
	return e;
}

struct seen {
	int n;
	enum finding_kind kind[8];
	size_t nr_context[8];
	struct kvmsr_event context[8][4 + CONTEXT_LIFECYCLE];
};

static void on_finding(void *ctx, const struct finding *f)
{
	struct seen *s = ctx;

	if (s->n == 8)
		return;
	s->kind[s->n] = f->kind;
	s->nr_context[s->n] = f->nr_context;
	/* A finding without context has context NULL: memcpy() may not get it. */
	if (f->nr_context)
		memcpy(s->context[s->n], f->context, f->nr_context * sizeof(*f->context));
	s->n++;
}

static void feed(struct analyzer *a, struct kvmsr_event e)
{
	analyzer_feed(a, &e);
}

/* An analyzer keeping @depth events per vCPU, findings into @s. */
static void start(struct analyzer *a, struct seen *s, unsigned int depth)
{
	struct analyzer_config cfg = { .on_finding = on_finding, .ctx = s, .context = depth };

	memset(s, 0, sizeof(*s));
	analyzer_init(a);
	analyzer_configure(a, &cfg);
}

/*
 * The shape the selftests showed: a load by the OSLAR handler, then one
 * from kvm_sched_in with no put between; the WARN fires inside the second
 * load, before its record.  Both findings carry both loads, oldest first.
 */
TEST(a_double_load_carries_both_loads_and_their_stacks)
{
	struct seen s;
	struct analyzer a;

	start(&a, &s, 4);
	feed(&a, ev(KVMSR_EV_LOAD, 100, 0, KVMSR_F_LOADED, 1));	/* vcpu_load */
	feed(&a, ev(KVMSR_EV_PUT, 200, 0, KVMSR_F_LOADED, 2));		/* oslar */
	feed(&a, ev(KVMSR_EV_LOAD, 210, 0, KVMSR_F_LOADED, 3));	/* oslar */
	feed(&a, ev(KVMSR_EV_SWITCH, 220, 0, KVMSR_F_SW_IN | KVMSR_F_LOADED, -1));
	feed(&a, ev(KVMSR_EV_WARN, 230, 0, KVMSR_F_LOADED, 9));
	feed(&a, ev(KVMSR_EV_LOAD, 240, 0, KVMSR_F_LOADED, 4));	/* kvm_sched_in */
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.kind[0], FIND_WARN);
	/* The last 4, and before them the older lifecycle event (the first load). */
	CHECK_EQ(s.nr_context[0], 5);
	CHECK_EQ(s.context[0][0].type, KVMSR_EV_LOAD);
	CHECK_EQ(s.context[0][1].type, KVMSR_EV_PUT);
	CHECK_EQ(s.context[0][4].type, KVMSR_EV_WARN);
	CHECK_EQ(s.kind[1], FIND_DOUBLE_LOAD);
	CHECK_EQ(s.nr_context[1], 6);
	/* Oldest first: vcpu_load, the OSLAR put and load, the switch, the WARN, the second load. */
	CHECK_EQ(s.context[1][0].stack_id, 1);
	CHECK_EQ(s.context[1][2].type, KVMSR_EV_LOAD);
	CHECK_EQ(s.context[1][2].stack_id, 3);
	CHECK_EQ(s.context[1][3].type, KVMSR_EV_SWITCH);
	CHECK_EQ(s.context[1][5].type, KVMSR_EV_LOAD);
	CHECK_EQ(s.context[1][5].stack_id, 4);
	CHECK_EQ(analyzer_find(&a, PID, 0)->double_loads, 1);
	analyzer_free(&a);
}

TEST(context_is_per_vcpu_and_off_by_default)
{
	struct seen s;
	struct analyzer a;

	start(&a, &s, 4);
	feed(&a, ev(KVMSR_EV_LOAD, 100, 0, KVMSR_F_LOADED, 1));
	feed(&a, ev(KVMSR_EV_LOAD, 110, 1, KVMSR_F_LOADED, 2));
	feed(&a, ev(KVMSR_EV_IOCTL, 120, 1, 0, -1));
	feed(&a, ev(KVMSR_EV_PUT, 130, 1, KVMSR_F_LOADED, 5));
	feed(&a, ev(KVMSR_EV_PUT, 140, 1, KVMSR_F_LOADED, 6));	/* put without load */
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.kind[0], FIND_ORPHAN_PUT);
	CHECK_EQ(s.nr_context[0], 4);	/* vCPU 1's four events, none of vCPU 0 */
	for (int i = 0; i < 4; i++)
		CHECK_EQ(s.context[0][i].vcpu_id, 1);
	analyzer_free(&a);

	/* Without --context a finding has none. */
	start(&a, &s, 0);
	feed(&a, ev(KVMSR_EV_LOAD, 100, 0, KVMSR_F_LOADED, 1));
	feed(&a, ev(KVMSR_EV_LOAD, 110, 0, KVMSR_F_LOADED, 2));
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.nr_context[0], 0);
	analyzer_free(&a);
}

/*
 * A run of accessor and guest events longer than N must not push the load
 * out of a finding's context: lifecycle events are kept apart.
 */
TEST(loads_stay_in_the_context_behind_a_run_of_accessor_events)
{
	struct seen s;
	struct analyzer a;

	start(&a, &s, 4);
	feed(&a, ev(KVMSR_EV_LOAD, 100, 0, KVMSR_F_LOADED, 7));
	for (int i = 0; i < 20; i++)
		feed(&a, ev(i % 2 ? KVMSR_EV_ENTRY : KVMSR_EV_READ, 101 + i, 0, KVMSR_F_LOADED, -1));
	feed(&a, ev(KVMSR_EV_LOAD, 200, 0, KVMSR_F_LOADED, 8));
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.nr_context[0], 5);		/* the first load, then the last 4 */
	CHECK_EQ(s.context[0][0].type, KVMSR_EV_LOAD);
	CHECK_EQ(s.context[0][0].stack_id, 7);
	CHECK_EQ(s.context[0][1].type, KVMSR_EV_ENTRY);
	CHECK_EQ(s.context[0][4].stack_id, 8);
	analyzer_free(&a);
}
