// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 7: real occurrences of the double load behind the intermittent
 * KVM_BUG_ON(SYSREGS_ON_CPU) in kvm_vcpu_load_debug, recorded in the test
 * bed by `kvmsr record --context` (tests/flight/repro.sh) and cut to the
 * events around it (tests/flight/trim-recording.py), replayed through the
 * analyzer.  An independent scan of the same events is the oracle: the
 * vCPU thread that switched out with its vCPU loaded, its notifier
 * registered and preempt_notifier_key on (where known), and was loaded again by
 * kvm_sched_in with no put in between.  The analyzer must report that
 * double load on that vCPU, with both loads and their callers in the
 * finding's context, the WARN (when the recording has it) on the same
 * vCPU at kvm_vcpu_load_debug, and no confirmed finding.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis/analyzer.h"
#include "recording/file.h"
#include "unit.h"

#define CTX 64

static const char *const fixtures[] = {
	/* Debian 7.1, the WARN (first in its boot) and two double loads */
	"tests/fixtures/warn-double-load-7.1-fentry.kvmsr",
	/* Debian 7.1, a later occurrence: KVM_BUG_ON warns once per boot */
	"tests/fixtures/double-load-7.1-fentry.kvmsr",
	/* kvmsr's patched 7.3, tracepoint backend */
	"tests/fixtures/warn-double-load-7.3-tracepoint.kvmsr",
};

struct seen {
	const struct rec_reader *r;
	int doubles, warns, confirmed;
	struct finding dl, warn;
	struct kvmsr_event dl_ctx[CTX + CONTEXT_LIFECYCLE];
	size_t dl_nctx;
};

static void on_finding(void *ctx, const struct finding *f)
{
	struct seen *s = ctx;

	if (finding_is_confirmed(f->kind))
		s->confirmed++;
	if (f->kind == FIND_WARN && !s->warns++)
		s->warn = *f;
	if (f->kind == FIND_DOUBLE_LOAD && !s->doubles++) {
		s->dl = *f;
		s->dl_nctx = f->nr_context;
		memcpy(s->dl_ctx, f->context, f->nr_context * sizeof(*f->context));
	}
}

/* Does stack @id of the recording have a frame starting with @fn? */
static bool stack_has(struct rec_reader *r, int32_t id, const char *fn)
{
	const struct sym_stack *st = rec_find_stack(r, id);

	for (int i = 0; st && i < st->n; i++)
		if (!strncmp(st->name[i], fn, strlen(fn)))
			return true;
	return false;
}

/*
 * The oracle, from the raw events: per thread, a switch-out owing a put
 * (vCPU loaded, notifier registered, key on), then no put before its next
 * load.  Returns the number of such sequences; the first one's vCPU in
 * *pid, *vcpu.
 */
static int owed_puts_skipped(const struct kvmsr_event *ev, size_t n, uint32_t *pid, int32_t *vcpu)
{
	const uint8_t owed = KVMSR_F_LOADED | KVMSR_F_SW_NOTIFIER;
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		/* The key is unknown without CONFIG_KALLSYMS_ALL (the lean kernel). */
		bool key_off = (ev[i].flags & KVMSR_F_SW_KEY_KNOWN) &&
			       !(ev[i].flags & KVMSR_F_SW_KEY_ON);

		if (ev[i].type != KVMSR_EV_SWITCH || (ev[i].flags & KVMSR_F_SW_IN) ||
		    (ev[i].flags & owed) != owed || key_off)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			if (ev[j].tid != ev[i].tid)
				continue;
			if (ev[j].type == KVMSR_EV_PUT)
				break;
			if (ev[j].type == KVMSR_EV_LOAD) {
				if (!found++) {
					*pid = ev[j].pid;
					*vcpu = ev[j].vcpu_id;
				}
				break;
			}
		}
	}
	return found;
}

static void replay(const char *path)
{
	struct analyzer_config cfg = { .on_finding = on_finding, .context = CTX };
	static struct kvmsr_event ev[200000];
	struct seen s = { 0 };
	struct rec_reader r;
	struct analyzer a;
	struct kvmsr_event e;
	char err[256];
	size_t n = 0;
	uint32_t pid = 0;
	int32_t vcpu = -1;
	int rc, skipped;

	if (rec_open(&r, path, err, sizeof(err))) {
		fprintf(stderr, "  %s: %s\n", path, err);
		CHECK(!"fixture readable");
		return;
	}
	s.r = &r;
	cfg.ctx = &s;
	analyzer_init(&a);
	analyzer_configure(&a, &cfg);
	while ((rc = rec_next_event(&r, &e, err, sizeof(err))) == 1) {
		if (n < sizeof(ev) / sizeof(ev[0]))
			ev[n++] = e;
		analyzer_feed(&a, &e);
	}
	CHECK_EQ(rc, 0);
	analyzer_finish(&a, a.last_ns);

	/* As many double loads as skipped puts; the first on the oracle's vCPU. */
	skipped = owed_puts_skipped(ev, n, &pid, &vcpu);
	CHECK(skipped >= 1);
	CHECK_EQ(s.doubles, skipped);
	CHECK_EQ(s.dl.pid, pid);
	CHECK_EQ(s.dl.vcpu_id, vcpu);
	CHECK_EQ(s.dl.cpu, s.dl.other_cpu);
	CHECK_EQ(s.confirmed, 0);

	/* Its context: the load from kvm_sched_in last, the earlier load before it. */
	CHECK(s.dl_nctx >= 2);
	if (s.dl_nctx >= 2) {
		const struct kvmsr_event *last = &s.dl_ctx[s.dl_nctx - 1], *prev = NULL;

		for (size_t i = s.dl_nctx - 1; i-- > 0;) {
			CHECK(s.dl_ctx[i].type != KVMSR_EV_PUT);	/* none in between */
			if (s.dl_ctx[i].type == KVMSR_EV_LOAD) {
				prev = &s.dl_ctx[i];
				break;
			}
		}
		CHECK_EQ(last->type, KVMSR_EV_LOAD);
		CHECK(stack_has(&r, last->stack_id, "kvm_sched_in"));
		CHECK(prev != NULL);
		if (prev) {
			CHECK(rec_find_stack(&r, prev->stack_id) != NULL);
			CHECK(!stack_has(&r, prev->stack_id, "kvm_sched_in"));
		}
	}

	/* The kernel's WARN, where the recording has it: same vCPU, loaded. */
	for (size_t i = 0; i < n; i++) {
		const char *name;

		if (ev[i].type != KVMSR_EV_WARN)
			continue;
		CHECK_EQ(s.warns, 1);
		CHECK(s.warn.vcpu_loaded);
		CHECK_EQ(s.warn.pid, pid);
		CHECK_EQ(s.warn.vcpu_id, vcpu);
		name = rec_name_of(&r, s.warn.value);
		CHECK(name && !strncmp(name, "kvm_vcpu_load_debug", 19));
		break;
	}
	rec_close_reader(&r);
	analyzer_free(&a);
}

TEST(replayed_occurrences_of_the_double_load_are_explained)
{
	int present = 0;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		if (access(fixtures[i], R_OK)) {
			fprintf(stderr, "  missing fixture %s\n", fixtures[i]);
			continue;
		}
		present++;
		replay(fixtures[i]);
	}
	/* All are committed: a missing one is a failure. */
	CHECK_EQ(present, (int)(sizeof(fixtures) / sizeof(fixtures[0])));
}
