// SPDX-License-Identifier: GPL-2.0
/* Counts of the events trace did not show (hidden_fmt.h). */
#include "output/event_types.h"
#include "output/hidden_fmt.h"

#define HIDDEN_JSON_MAX 64	/* kinds listed in JSON; the rest in "hidden_other" */
#define HIDDEN_TEXT_MAX 8

/* The register of a hidden kind as its trace line names it ("" if none). */
static const char *kind_reg(const struct filter_hidden *h, const struct regnames *rn,
			    struct ev_text *t)
{
	const struct ev_type *et = ev_type(h->e.type);

	*t = (struct ev_text){ "", "", "", "" };
	if (et && stream_filter_by_reg(h->e.type))
		et->text(&h->e, rn, t);
	return t->reg;
}

void hidden_json(struct jw *w, const struct stream_filter *sf, const struct regnames *rn)
{
	uint64_t listed = 0;
	struct ev_text t;

	jw_kv_u64(w, "hidden_events", sf->hidden);
	jw_key(w, "hidden");
	jw_arr_begin(w);
	for (size_t i = 0; i < sf->nr_by && i < HIDDEN_JSON_MAX; i++) {
		const struct filter_hidden *h = &sf->by[i];
		const char *reg = kind_reg(h, rn, &t);

		jw_obj_begin(w);
		jw_kv_str(w, "event", event_type_name(h->e.type));
		if (reg[0])
			jw_kv_str(w, "reg", reg);
		jw_kv_u64(w, "count", h->n);
		jw_obj_end(w);
		listed += h->n;
	}
	jw_arr_end(w);
	jw_kv_u64(w, "hidden_other", sf->hidden - listed);
}

void hidden_text(FILE *f, const struct stream_filter *sf, const struct regnames *rn)
{
	uint64_t listed = 0;
	struct ev_text t;
	size_t i;

	if (!sf->hidden)
		return;
	fprintf(f, "not shown: %llu events (by default only loads, puts and the registers the "
		"VHE put saves; --all or --events for the rest):",
		(unsigned long long)sf->hidden);
	for (i = 0; i < sf->nr_by && i < HIDDEN_TEXT_MAX; i++) {
		const struct filter_hidden *h = &sf->by[i];
		const char *reg = kind_reg(h, rn, &t);

		fprintf(f, "%s %llu %s%s%s", i ? "," : "", (unsigned long long)h->n,
			event_type_name(h->e.type), reg[0] ? " " : "", reg);
		listed += h->n;
	}
	if (sf->hidden > listed)
		fprintf(f, ", %llu others", (unsigned long long)(sf->hidden - listed));
	fputc('\n', f);
}
