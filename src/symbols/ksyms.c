// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms lookup (ksyms.h). */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/ksyms.h"

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A hex digit's value, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * "ADDR TYPE NAME[\t[MODULE]]\n", NAME cut at the first blank, in place.
 * By hand: sscanf took ~3700 instructions a line, and a recording or a
 * report reads some 150k lines, while the guest waits under -icount.
 */
static bool parse_ksym(char *line, uint64_t *addr, char *type, char **name)
{
	uint64_t a = 0;
	char *p = line;
	int v, digits = 0;

	for (; (v = hexval(*p)) >= 0 && digits < 16; p++, digits++)
		a = a << 4 | v;
	if (!digits || p[0] != ' ' || !p[1] || p[2] != ' ')
		return false;
	*addr = a;
	*type = p[1];
	*name = p + 3;
	p = *name + strcspn(*name, " \t\n");
	*p = '\0';
	return **name != '\0';
}

int ksyms_load(struct ksyms *ks, const char *path)
{
	char line[512], type, *name;
	bool sorted = true;
	size_t cap = 0;
	uint64_t addr;
	FILE *f;

	memset(ks, 0, sizeof(*ks));
	f = fopen(path ? path : "/proc/kallsyms", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_ksym(line, &addr, &type, &name) || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;	/* text only: stacks point into code */
		if (ks->nr == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			struct ksym *n = realloc(ks->syms, ncap * sizeof(*n));

			if (!n)
				break;
			ks->syms = n;
			cap = ncap;
		}
		ks->syms[ks->nr].addr = addr;
		ks->syms[ks->nr].seq = ks->nr;
		ks->syms[ks->nr].name = strdup(name);
		if (!ks->syms[ks->nr].name)
			continue;
		if (ks->nr && addr < ks->syms[ks->nr - 1].addr)
			sorted = false;
		ks->nr++;
	}
	fclose(f);
	/* The kernel's own symbols come sorted; modules' may not. */
	if (!sorted)
		qsort(ks->syms, ks->nr, sizeof(*ks->syms), by_addr);
	return 0;
}

uint64_t ksyms_addr_of(const char *path, const char *name)
{
	char line[512], *sym, type;
	uint64_t addr, found = 0;
	FILE *f = fopen(path ? path : "/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (parse_ksym(line, &addr, &type, &sym) && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

void ksyms_free(struct ksyms *ks)
{
	for (size_t i = 0; i < ks->nr; i++)
		free(ks->syms[i].name);
	free(ks->syms);
	memset(ks, 0, sizeof(*ks));
}

const char *ksyms_name(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = ks->nr;

	/* The last symbol at or below addr. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo) {
		snprintf(buf, len, "%#" PRIx64, addr);
		return buf;
	}
	/*
	 * Aliases share an address (__switch_to and __sched_text_start): name
	 * the first one kallsyms lists, as the kernel's own %pS does.
	 */
	while (lo > 1 && ks->syms[lo - 2].addr == ks->syms[lo - 1].addr)
		lo--;
	snprintf(buf, len, "%s+%#" PRIx64, ks->syms[lo - 1].name, addr - ks->syms[lo - 1].addr);
	return buf;
}
