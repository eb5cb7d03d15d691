// SPDX-License-Identifier: GPL-2.0
/* The flight recorder's output (context_fmt.h). */
#include <string.h>
#include "output/context_fmt.h"
#include "output/finding_fmt.h"
#include "output/event_fmt.h"

#define CONTEXT_FRAMES 4	/* of a load's or put's caller chain */

/* The probed function's own frame tells nothing: its callers do. */
static bool self_frame(const char *frame)
{
	return !strncmp(frame, "kvm_arch_vcpu_load", 18) || !strncmp(frame, "kvm_arch_vcpu_put", 17);
}

/* Up to CONTEXT_FRAMES callers of a load or put, innermost first. */
static int callers(struct findings *fs, int32_t id, const char **frames, struct rec_stack *st)
{
	int n = 0;

	if (id < 0 || !findings_stack(fs, id, st))
		return 0;
	for (int i = 0; i < st->n && n < CONTEXT_FRAMES; i++) {
		if (!n && (frame_is_plumbing(st->name[i]) || self_frame(st->name[i])))
			continue;
		frames[n++] = st->name[i];
	}
	return n;
}

/* A switch out: does the kernel's own state oblige it to call kvm_sched_out? */
static const char *notifier_state(const struct kvmsr_event *e)
{
	bool mine = e->flags & KVMSR_F_SW_NOTIFIER, loaded = e->flags & KVMSR_F_LOADED;
	bool known = e->flags & KVMSR_F_SW_KEY_KNOWN, on = e->flags & KVMSR_F_SW_KEY_ON;

	if (!loaded && !mine)
		return "";		/* outside a vCPU ioctl: nothing owed */
	if (loaded && !mine)
		return "; its preempt notifier NOT registered: nothing will put it";
	if (!known)
		return "; notifier registered: kvm_sched_out must put it";
	if (!on)
		return "; notifier registered, but preempt_notifier_key OFF";
	return loaded ? "; notifier registered, preempt_notifier_key on: kvm_sched_out must put it" :
			"; notifier registered, preempt_notifier_key on";
}

/* What happened, in a few words (without the caller chain). */
static void describe(struct findings *fs, const struct kvmsr_event *e, char *buf, size_t len)
{
	char rb[32], lb[48], nb[96];
	const char *reg = regnames_get(fs->rn, e->reg, rb, sizeof(rb));
	const char *io;
	bool loaded = e->flags & KVMSR_F_LOADED;

	switch (e->type) {
	case KVMSR_EV_LOAD:
	case KVMSR_EV_PUT:
		/* Read where the probe fires: after a load, at or after a put. */
		snprintf(buf, len, "SYSREGS_ON_CPU=%d", loaded);
		break;
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
		snprintf(buf, len, "%s %#llx%s%s", reg, (unsigned long long)e->val,
			 e->flags & KVMSR_F_LOC ? " served:" : "",
			 e->flags & KVMSR_F_LOC ? loc_name(e->loc, lb, sizeof(lb)) : "");
		break;
	case KVMSR_EV_SAVED:
		snprintf(buf, len, "%s %#llx saved by the put", reg, (unsigned long long)e->val);
		break;
	case KVMSR_EV_TRAP:
		snprintf(buf, len, "guest %s %s at pc %#llx", e->flags & KVMSR_F_WRITE ? "wrote" :
			 "read", e->flags & KVMSR_F_MEMREG ? reg : "a register without a slot",
			 (unsigned long long)e->aux);
		break;
	case KVMSR_EV_ENTRY:
		snprintf(buf, len, "into the guest at pc %#llx", (unsigned long long)e->aux);
		break;
	case KVMSR_EV_EXIT:
		snprintf(buf, len, "from the guest at pc %#llx, EC %#llx, ret %u",
			 (unsigned long long)e->aux, (unsigned long long)e->val, e->reg);
		break;
	case KVMSR_EV_IOCTL:
		io = vcpu_ioctl_name(e->val);
		if (io)
			snprintf(buf, len, "%s", io);
		else
			snprintf(buf, len, "command %#llx", (unsigned long long)e->val);
		break;
	case KVMSR_EV_SWITCH:
		if (e->flags & KVMSR_F_SW_IN)
			snprintf(buf, len, "thread %u takes CPU %u from %llu%s", e->tid, e->cpu,
				 (unsigned long long)e->aux, loaded ?
				 ": a vCPU is STILL LOADED on this CPU (never put)" : "");
		else
			snprintf(buf, len, "thread %u leaves CPU %u for %llu (%s)%s%s", e->tid,
				 e->cpu, (unsigned long long)e->aux,
				 e->flags & KVMSR_F_SW_PREEMPT ? "preempted" :
				 e->val ? "blocks" : "reschedules, runnable",
				 loaded ? ", its vCPU loaded here" : "", notifier_state(e));
		break;
	case KVMSR_EV_WARN:
	case KVMSR_EV_BUG:
		findings_name(fs, e->val, nb, sizeof(nb));
		snprintf(buf, len, "at %s", nb);
		break;
	case KVMSR_EV_DIRECT:
		snprintf(buf, len, "%s memory copy %s directly", reg,
			 e->flags & KVMSR_F_WRITE ? "written" : "read");
		break;
	default:
		buf[0] = '\0';
	}
}

static double rel_ms(const struct finding *f, const struct kvmsr_event *e)
{
	return ((double)e->ts_ns - (double)f->context[f->nr_context - 1].ts_ns) / 1e6;
}

void format_context_text(FILE *out, struct findings *fs, const struct finding *f)
{
	static struct rec_stack st;
	const char *frames[CONTEXT_FRAMES];
	char what[160];

	if (!f->nr_context)
		return;
	fprintf(out, "    context: %zu events of vm %u vcpu %d, the last ones and the loads, "
		"puts, switches and ioctls before them (ms before the finding's last event):\n",
		f->nr_context, f->pid, f->vcpu_id);
	for (size_t i = 0; i < f->nr_context; i++) {
		const struct kvmsr_event *e = &f->context[i];
		int n = 0;

		describe(fs, e, what, sizeof(what));
		fprintf(out, "    %10.3f cpu %-3u tid %-7u %-8s %s", rel_ms(f, e), e->cpu, e->tid,
			event_type_name(e->type), what);
		if (e->type == KVMSR_EV_LOAD || e->type == KVMSR_EV_PUT)
			n = callers(fs, e->stack_id, frames, &st);
		for (int j = 0; j < n; j++)
			fprintf(out, " %s %s", j ? "<-" : "from", frames[j]);
		fputc('\n', out);
	}
}

void format_context_json(FILE *out, struct findings *fs, const struct finding *f)
{
	static struct rec_stack st;
	const char *frames[CONTEXT_FRAMES];
	char what[160];

	if (!f->nr_context)
		return;
	fprintf(out, ",\"context\":[");
	for (size_t i = 0; i < f->nr_context; i++) {
		const struct kvmsr_event *e = &f->context[i];
		int n = 0;

		describe(fs, e, what, sizeof(what));
		fprintf(out, "%s{\"ts_ns\":%llu,\"event\":\"%s\",\"cpu\":%u,\"tid\":%u,"
			"\"loaded\":%s,\"what\":", i ? "," : "", (unsigned long long)e->ts_ns,
			event_type_name(e->type), e->cpu, e->tid,
			e->flags & KVMSR_F_LOADED ? "true" : "false");
		json_escaped(out, what);
		if (e->type == KVMSR_EV_LOAD || e->type == KVMSR_EV_PUT) {
			n = callers(fs, e->stack_id, frames, &st);
			fprintf(out, ",\"callers\":[");
			for (int j = 0; j < n; j++) {
				if (j)
					fputc(',', out);
				json_escaped(out, frames[j]);
			}
			fputc(']', out);
		}
		fputc('}', out);
	}
	fputc(']', out);
}
