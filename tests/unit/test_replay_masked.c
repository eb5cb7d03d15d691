// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12: a real recording of Debian's QEMU booting Linux under kvmsr in
 * the test bed (tests/realvm; Debian 6.12 host, fentry backend), with the
 * host's CPUs kept busy, cut to 200 ms around the old false positive
 * (tests/flight/trim-recording.py).
 * Linux turns its MMU on with SCTLR_EL1.ITFSB (bit 37) set; the CPU (no
 * MTE) stores the value without it, and the put saves the masked value.
 * The rules of before called that a confirmed lost write.
 *
 * An independent scan of the raw events is the oracle: a loaded accessor
 * write of SCTLR_EL1 that nothing could have changed before the put (no
 * later write of it, no guest entry without TVM), whose put saved another
 * value, and a read the CPU served in between (not the memory copy) that
 * returned exactly what the put saved: the write reached the CPU, which
 * dropped bits of it.  The analyzer must find no confirmed finding at all,
 * and report each such write as a suspect-lost-write (doubt: unheld-bits).
 */
#include <string.h>
#include <unistd.h>
#include "analysis/analyzer.h"
#include "recording/file.h"
#include "analysis/regclass.h"
#include "unit.h"

#define FIXTURE "tests/fixtures/masked-sctlr-realvm-6.12-fentry.kvmsr"
#define MAX_EV 200000

struct masked_seen {
	int confirmed, suspects;
	int sctlr;
	uint64_t diff;		/* OR of the suspects' value ^ saved */
};

static void masked_finding(void *ctx, const struct finding *f)
{
	struct masked_seen *s = ctx;

	if (finding_is_confirmed(f->kind))
		s->confirmed++;
	if (f->kind == FIND_SUSPECT_LOST_WRITE && f->reg == s->sctlr &&
	    f->doubt == DOUBT_UNHELD_BITS) {
		s->suspects++;
		s->diff |= f->value ^ f->saved;
	}
}

/*
 * The oracle: loaded writes of @reg that the put contradicts although a
 * CPU-served read after them returned what the put saved.  Returns how
 * many; *diff gets the OR of their differing bits.
 */
static int masked_writes(const struct kvmsr_event *ev, size_t n, int reg, uint64_t *diff)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		bool cpu_read = false, clean = true;

		if (ev[i].type != KVMSR_EV_WRITE || ev[i].reg != reg ||
		    !(ev[i].flags & KVMSR_F_LOADED))
			continue;
		for (size_t j = i + 1; j < n; j++) {
			const struct kvmsr_event *e = &ev[j];

			if (e->pid != ev[i].pid || e->vcpu_id != ev[i].vcpu_id)
				continue;
			if ((e->type == KVMSR_EV_WRITE && e->reg == reg) ||
			    (e->type == KVMSR_EV_ENTRY && !(e->val & KVMSR_HCR_TVM)) ||
			    e->type == KVMSR_EV_LOAD) {
				clean = false;
				break;
			}
			if (e->type == KVMSR_EV_READ && e->reg == reg && e->val != e->aux)
				cpu_read = true;
			if (e->type == KVMSR_EV_SAVED && e->reg == reg) {
				if (clean && cpu_read && e->val != ev[i].val) {
					found++;
					*diff |= e->val ^ ev[i].val;
				}
				break;
			}
		}
	}
	return found;
}

TEST(replayed_masked_sctlr_write_of_a_real_vm_is_not_confirmed)
{
	static struct kvmsr_event ev[MAX_EV];
	static uint8_t classes[KVMSR_MAX_REGS];
	struct masked_seen s = { 0 };
	struct analyzer_config cfg = { .reg_class = classes, .on_finding = masked_finding,
				       .ctx = &s, .context = 16 };
	struct rec_reader r;
	struct analyzer a;
	struct kvmsr_event e;
	uint64_t diff = 0;
	char err[256];
	size_t n = 0;
	int rc, oracle;

	if (access(FIXTURE, R_OK) || rec_open(&r, FIXTURE, err, sizeof(err))) {
		CHECK(!"fixture " FIXTURE " readable");
		return;
	}
	for (int i = 0; i < r.rn.count && i < KVMSR_MAX_REGS; i++)
		classes[i] = regclass_of(r.rn.name[i]);
	s.sctlr = regnames_find(&r.rn, "SCTLR_EL1");
	CHECK(s.sctlr >= 0);
	analyzer_init(&a);
	analyzer_configure(&a, &cfg);
	while ((rc = rec_next_event(&r, &e, err, sizeof(err))) == 1) {
		if (n < MAX_EV)
			ev[n++] = e;
		analyzer_feed(&a, &e);
	}
	CHECK_EQ(rc, 0);
	analyzer_finish(&a, a.last_ns);

	oracle = masked_writes(ev, n, s.sctlr, &diff);
	CHECK(oracle >= 1);			/* the old false positive is in it */
	CHECK_EQ(diff, 1ull << 37);		/* ITFSB, and nothing else */
	CHECK_EQ(s.confirmed, 0);
	CHECK_EQ(s.suspects, oracle);
	CHECK_EQ(s.diff, diff);
	rec_close_reader(&r);
	analyzer_free(&a);
}
