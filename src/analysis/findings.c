// SPDX-License-Identifier: GPL-2.0
/* The findings sink (findings.h). */
#include <stdlib.h>
#include <string.h>
#include "analysis/findings.h"

#define BIT(k) (1u << (k))
#define SUSPECTS (BIT(FIND_SUSPECT) | BIT(FIND_SUSPECT_STALE_READ) | BIT(FIND_SUSPECT_LOST_WRITE))

int parse_fail_on(const char *list, unsigned int *mask)
{
	static const struct { const char *name; unsigned int bits; } words[] = {
		{ "confirmed", BIT(FIND_STALE_READ) | BIT(FIND_LOST_WRITE) |
			       BIT(FIND_DIRECT_ACCESS) },
		{ "warn", BIT(FIND_WARN) },
		{ "bug", BIT(FIND_BUG) },
		{ "imbalance", BIT(FIND_DOUBLE_LOAD) | BIT(FIND_ORPHAN_PUT) |
			       BIT(FIND_OPEN_AT_EXIT) },
		{ "suspect", SUSPECTS },
		{ "any", (BIT(FIND__MAX) - 1) & ~SUSPECTS },
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

void findings_init(struct findings *fs, unsigned int fail_mask, bool keep)
{
	memset(fs, 0, sizeof(*fs));
	fs->fail_mask = fail_mask;
	fs->keep = keep;
}

void findings_stream(struct findings *fs, finding_fn emit, void *ctx)
{
	fs->emit = emit;
	fs->emit_ctx = ctx;
}

void findings_free(struct findings *fs)
{
	for (int i = 0; i < fs->nr_kept; i++)
		free((void *)fs->kept[i].context);
	fs->nr_kept = 0;
}

/* A copy that owns its context: the analyzer's is valid during the call only. */
static void keep(struct findings *fs, const struct finding *f)
{
	struct finding *k = &fs->kept[fs->nr_kept];
	struct kvmsr_event *ctx = NULL;

	if (f->nr_context) {
		ctx = malloc(f->nr_context * sizeof(*ctx));
		if (!ctx) {
			fs->dropped++;
			return;
		}
		memcpy(ctx, f->context, f->nr_context * sizeof(*ctx));
	}
	*k = *f;
	k->context = ctx;
	fs->nr_kept++;
}

void findings_on_finding(void *ctx, const struct finding *f)
{
	struct findings *fs = ctx;

	if (fs->emit)
		fs->emit(fs->emit_ctx, f);
	if (!fs->keep)
		return;
	if (fs->nr_kept == FINDINGS_KEPT)
		fs->dropped++;
	else
		keep(fs, f);
}

bool findings_fail(const struct findings *fs, const uint64_t counts[FIND__MAX])
{
	for (int k = 0; k < FIND__MAX; k++)
		if ((fs->fail_mask & BIT(k)) && counts[k])
			return true;
	return false;
}
