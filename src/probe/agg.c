// SPDX-License-Identifier: GPL-2.0
/* Aggregation maps -> analyzer structures (agg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "kvmsr_limits.h"	/* the map sizes */
#include "probe/agg.h"
#include "symbols/keymap.h"

/*
 * The analyzer's vCPU of a struct kvm_vcpu pointer, for the register counts:
 * by index, since adding vCPUs may move the analyzer's array.
 */
static struct vcpu_stats *by_ptr(const struct keymap *m, struct analyzer *a, uint64_t ptr)
{
	uint32_t i;

	return keymap_get(m, ptr, &i) && i < a->nr_vcpus ? &a->vcpus[i] : NULL;
}

static void fill_vcpu(struct vcpu_stats *v, const struct kvmsr_vcpu_agg *g, uint64_t now)
{
	v->loads = g->loads;
	v->puts = g->puts;
	v->loaded_ns = g->loaded_ns;
	v->resident_ns = g->resident_ns;
	v->first_ns = g->first_ns;
	v->last_ns = g->last_ns;
	v->double_loads = g->double_loads;
	v->orphan_puts = g->orphan_puts;
	v->missed_puts = g->missed_puts;
	memcpy(v->hist, g->hist, sizeof(v->hist));
	if (g->open_since && now > g->open_since) {
		/* Still loaded: count the open interval up to now. */
		v->resident_ns += now - g->open_since;
		if (g->open_loaded)
			v->loaded_ns += now - g->open_since;
		v->last_ns = now;
	}
}

int agg_snapshot(const struct session *s, struct analyzer *a, uint64_t now_ns,
		 int32_t vcpu_filter)
{
	struct keymap m = { 0 };
	int vfd = session_vcpu_aggs_fd(s), rfd = session_reg_aggs_fd(s);
	struct kvmsr_vcpu_agg g;
	struct kvmsr_reg_key rk, *prk = NULL;
	struct kvmsr_reg_agg ra;
	uint64_t key, *pkey = NULL;

	while (!bpf_map_get_next_key(vfd, pkey, &key)) {
		struct vcpu_stats *v;

		pkey = &key;
		if (bpf_map_lookup_elem(vfd, &key, &g))
			continue;
		if (vcpu_filter >= 0 && g.vcpu_id != vcpu_filter)
			continue;
		v = analyzer_vcpu(a, g.pid, g.vcpu_id);
		if (!v || keymap_put(&m, key, v - a->vcpus)) {
			keymap_free(&m);
			return -ENOMEM;
		}
		fill_vcpu(v, &g, now_ns);
	}
	while (!bpf_map_get_next_key(rfd, prk, &rk)) {
		struct vcpu_stats *v;
		struct reg_stats *r;

		prk = &rk;
		if (bpf_map_lookup_elem(rfd, &rk, &ra) || !(v = by_ptr(&m, a, rk.vcpu)))
			continue;
		r = vcpu_reg(v, rk.reg);
		if (!r)
			continue;
		for (int l = 0; l < 2; l++) {
			r->reads[l] = ra.reads[l];
			r->writes[l] = ra.writes[l];
			v->reads[l] += ra.reads[l];
			v->writes[l] += ra.writes[l];
		}
	}
	keymap_free(&m);
	return 0;
}

int agg_prune(const struct session *s, bool (*alive)(uint32_t pid))
{
	int vfd = session_vcpu_aggs_fd(s), rfd = session_reg_aggs_fd(s), n = 0;
	uint64_t key, next, gone[256];
	struct kvmsr_reg_key rk, rnext, *drop;
	struct kvmsr_vcpu_agg g;
	int nr_gone = 0, nr_drop = 0;
	bool first = true;

	/* Collect first: deleting while iterating can restart the walk. */
	while (nr_gone < 256 && !bpf_map_get_next_key(vfd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (!bpf_map_lookup_elem(vfd, &key, &g) && !alive(g.pid))
			gone[nr_gone++] = key;
	}
	for (int i = 0; i < nr_gone; i++)
		n += !bpf_map_delete_elem(vfd, &gone[i]);
	if (!nr_gone)
		return 0;
	/* The register counts of those vCPUs: collected, then deleted. */
	drop = calloc(KVMSR_MAX_REG_AGGS, sizeof(*drop));
	first = true;
	while (drop && nr_drop < KVMSR_MAX_REG_AGGS && !bpf_map_get_next_key(rfd, first ? NULL : &rk, &rnext)) {
		first = false;
		rk = rnext;
		for (int i = 0; i < nr_gone; i++) {
			if (rk.vcpu == gone[i]) {
				drop[nr_drop++] = rk;
				break;
			}
		}
	}
	for (int i = 0; i < nr_drop; i++)
		bpf_map_delete_elem(rfd, &drop[i]);
	free(drop);
	return n;
}

void agg_new_vcpus(const struct session *s, struct keymap *seen,
		   void (*fn)(void *ctx, uint32_t pid), void *ctx)
{
	int vfd = session_vcpu_aggs_fd(s);
	struct keymap now = { 0 };
	struct kvmsr_vcpu_agg g;
	uint64_t key, *pkey = NULL;
	uint32_t v;

	/* The vCPUs of this walk only: those pruned (serve) are forgotten. */
	while (!bpf_map_get_next_key(vfd, pkey, &key)) {
		pkey = &key;
		if (keymap_get(seen, key, &v)) {
			keymap_put(&now, key, 0);
			continue;
		}
		if (bpf_map_lookup_elem(vfd, &key, &g))
			continue;
		keymap_put(&now, key, 0);
		fn(ctx, g.pid);
	}
	keymap_free(seen);
	*seen = now;
}
