// SPDX-License-Identifier: GPL-2.0
/* The flight recorder's output (context_fmt.h). */
#include <string.h>
#include "output/context_fmt.h"
#include "output/event_types.h"
#include "output/text.h"

#define CONTEXT_FRAMES 4	/* of a load's or put's caller chain */

/* The probed function's own frame tells nothing: its callers do. */
static bool self_frame(const char *frame)
{
	return !strncmp(frame, "kvm_arch_vcpu_load", 18) || !strncmp(frame, "kvm_arch_vcpu_put", 17);
}

/* Up to CONTEXT_FRAMES callers of a load or put, innermost first, into @frames. */
static int callers(struct symbolizer *sy, const struct kvmsr_event *e, const char **frames)
{
	static struct sym_stack st;
	int n = 0;

	if (e->type != KVMSR_EV_LOAD && e->type != KVMSR_EV_PUT)
		return -1;
	if (!sym_stack(sy, e->stack_id, &st))
		return 0;
	for (int i = 0; i < st.n && n < CONTEXT_FRAMES; i++) {
		if (!n && (sym_is_plumbing(st.name[i]) || self_frame(st.name[i])))
			continue;
		frames[n++] = st.name[i];
	}
	return n;
}

static void describe(const struct kvmsr_event *e, const struct regnames *rn,
		     struct symbolizer *sy, char *buf, size_t len)
{
	const struct ev_type *t = ev_type(e->type);

	if (t)
		t->describe(e, rn, sy, buf, len);
	else
		buf[0] = '\0';
}

static double rel_ms(const struct finding *f, const struct kvmsr_event *e)
{
	return ((double)e->ts_ns - (double)f->context[f->nr_context - 1].ts_ns) / 1e6;
}

void context_text(FILE *out, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy)
{
	const char *frames[CONTEXT_FRAMES];
	char what[160], nb[SYM_NAME_LEN];

	if (!f->nr_context)
		return;
	fprintf(out, "    context: %zu events of vm %u vcpu %d, the last ones and the loads, "
		"puts, switches and ioctls before them (ms before the finding's last event):\n",
		f->nr_context, f->pid, f->vcpu_id);
	for (size_t i = 0; i < f->nr_context; i++) {
		const struct kvmsr_event *e = &f->context[i];
		int n;

		describe(e, rn, sy, what, sizeof(what));
		fprintf(out, "    %10.3f cpu %-3u tid %-7u %-8s %s", rel_ms(f, e), e->cpu, e->tid,
			event_type_name(e->type), what);
		n = callers(sy, e, frames);
		for (int j = 0; j < n; j++)
			fprintf(out, " %s %s", j ? "<-" : "from",
				text_clean(frames[j], nb, sizeof(nb)));
		fputc('\n', out);
	}
}

void context_json(struct jw *w, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy)
{
	const char *frames[CONTEXT_FRAMES];
	char what[160];

	if (!f->nr_context)
		return;
	jw_key(w, "context");
	jw_arr_begin(w);
	for (size_t i = 0; i < f->nr_context; i++) {
		const struct kvmsr_event *e = &f->context[i];
		int n;

		describe(e, rn, sy, what, sizeof(what));
		jw_obj_begin(w);
		jw_kv_u64(w, "ts_ns", e->ts_ns);
		jw_kv_str(w, "event", event_type_name(e->type));
		jw_kv_u64(w, "cpu", e->cpu);
		jw_kv_u64(w, "tid", e->tid);
		jw_kv_bool(w, "loaded", e->flags & KVMSR_F_LOADED);
		jw_kv_str(w, "what", what);
		n = callers(sy, e, frames);
		if (n >= 0) {
			jw_key(w, "callers");
			jw_arr_begin(w);
			for (int j = 0; j < n; j++)
				jw_str(w, frames[j]);
			jw_arr_end(w);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}
