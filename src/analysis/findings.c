// SPDX-License-Identifier: GPL-2.0
/* Finding sink: stacks, printing, --fail-on (findings.h). */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "output/context_fmt.h"
#include "output/finding_fmt.h"
#include "analysis/findings.h"
#include "analysis/regclass.h"

#define MAX_FRAMES 12
#define STACK_DEPTH 32		/* as in bpf/kvmsr.bpf.c */

int parse_fail_on(const char *list, unsigned int *mask)
{
	static const struct { const char *name; unsigned int bits; } words[] = {
		{ "confirmed", 1u << FIND_STALE_READ | 1u << FIND_LOST_WRITE |
			       1u << FIND_DIRECT_ACCESS },
		{ "warn", 1u << FIND_WARN },
		{ "bug", 1u << FIND_BUG },
		{ "imbalance", 1u << FIND_DOUBLE_LOAD | 1u << FIND_ORPHAN_PUT |
			       1u << FIND_OPEN_AT_EXIT },
		{ "suspect", 1u << FIND_SUSPECT | 1u << FIND_SUSPECT_STALE_READ |
			     1u << FIND_SUSPECT_LOST_WRITE },
		{ "any", ((1u << FIND__MAX) - 1) & ~(1u << FIND_SUSPECT | 1u << FIND_SUSPECT_STALE_READ |
						     1u << FIND_SUSPECT_LOST_WRITE) },
	};
	char buf[128], *tok, *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strcmp(tok, words[i].name))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return -1;
		*mask |= words[i].bits;
	}
	return *mask ? 0 : -1;
}

void findings_init(struct findings *fs, const struct regnames *rn, bool json, FILE *stream,
		   unsigned int fail_mask)
{
	memset(fs, 0, sizeof(*fs));
	fs->rn = rn;
	fs->json = json;
	fs->stream = stream;
	fs->fail_mask = fail_mask;
	fs->stacks_fd = -1;
	for (int i = 0; i < rn->count && i < KVMSR_MAX_REGS; i++)
		fs->reg_class[i] = regclass_of(rn->name[i]);
}

void findings_free(struct findings *fs)
{
	for (int i = 0; i < fs->nr_kept; i++)
		free(fs->kept[i]);
	ksyms_free(&fs->ks);
}

/* kallsyms is large: read it when the first finding needs a name. */
static void need_ksyms(struct findings *fs)
{
	if (!fs->ks_loaded)
		ksyms_load(&fs->ks, NULL);
	fs->ks_loaded = true;
}

/* The frames of stack @id, all of them, symbolized: live, from the stack map. */
bool findings_stack(struct findings *fs, int32_t id, struct rec_stack *st)
{
	uint64_t ips[STACK_DEPTH];

	if (fs->source.stack)
		return fs->source.stack(fs->source.ctx, id, st);
	if (id < 0 || fs->stacks_fd < 0 || bpf_map_lookup_elem(fs->stacks_fd, &id, ips))
		return false;
	need_ksyms(fs);
	st->id = id;
	st->n = 0;
	for (int i = 0; i < STACK_DEPTH && ips[i]; i++) {
		st->ip[st->n] = ips[i];
		ksyms_name(&fs->ks, ips[i], st->name[st->n], sizeof(st->name[0]));
		st->n++;
	}
	return true;
}

void findings_name(struct findings *fs, uint64_t ip, char *buf, size_t len)
{
	if (fs->source.name) {
		fs->source.name(fs->source.ctx, ip, buf, len);
		return;
	}
	need_ksyms(fs);
	ksyms_name(&fs->ks, ip, buf, len);
}

/*
 * The frames to show.  The walk starts inside kvmsr's own BPF program:
 * begin at @start (a WARN's or BUG's faulting address, a direct access's
 * caller) when the stack holds it, else after the plumbing frames on top.
 */
static int frames_of(struct findings *fs, int32_t id, uint64_t start, struct rec_stack *st,
		     const char **frames)
{
	int n = 0, i = 0;
	bool top = true;

	if (id < 0 || !findings_stack(fs, id, st))
		return 0;
	for (int j = 0; start && j < st->n; j++) {
		if (st->ip[j] == start) {
			i = j;
			top = false;
			break;
		}
	}
	for (; i < st->n && n < MAX_FRAMES; i++) {
		if (top && frame_is_plumbing(st->name[i]))
			continue;
		top = false;
		frames[n++] = st->name[i];
	}
	return n;
}

/* The finding, its stack, and the flight recorder's context. */
static void print_finding(struct findings *fs, FILE *out, const struct finding *f,
			  const char *const *frames, int n)
{
	if (fs->json) {
		format_finding_json(out, f, fs->rn, frames, n);
		format_context_json(out, fs, f);
		fprintf(out, "}\n");
	} else {
		format_finding_text(out, f, fs->rn, frames, n);
		format_context_text(out, fs, f);
	}
}

void findings_on_finding(void *ctx, const struct finding *f)
{
	struct findings *fs = ctx;
	static struct rec_stack st;
	const char *frames[MAX_FRAMES];
	bool anchored = f->kind == FIND_WARN || f->kind == FIND_BUG ||
			f->kind == FIND_DIRECT_ACCESS;
	int n = frames_of(fs, f->stack_id, anchored ? f->value : 0, &st, frames);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	if (fs->fail_mask & (1u << f->kind))
		fs->failed = true;
	if (f->kind == FIND_WARN && f->value) {
		/* Name the WARN's caller as the first frame when the stack lacks it. */
		static char caller[96];

		findings_name(fs, f->value, caller, sizeof(caller));
		if (!n || strcmp(frames[0], caller)) {
			memmove(frames + 1, frames, sizeof(frames[0]) * (n < MAX_FRAMES ? n : n - 1));
			frames[0] = caller;
			if (n < MAX_FRAMES)
				n++;
		}
	}
	if (fs->stream) {
		print_finding(fs, fs->stream, f, frames, n);
		fflush(fs->stream);
		return;
	}
	if (fs->nr_kept == FINDINGS_KEPT) {
		fs->dropped++;
		return;
	}
	mem = open_memstream(&buf, &len);
	if (!mem)
		return;
	print_finding(fs, mem, f, frames, n);
	fclose(mem);
	fs->kept[fs->nr_kept++] = buf;
}

void findings_print_kept(struct findings *fs, FILE *out)
{
	for (int i = 0; i < fs->nr_kept; i++)
		fputs(fs->kept[i], out);
	if (fs->dropped)
		fprintf(out, "(%llu more findings not listed)\n", (unsigned long long)fs->dropped);
}
