// SPDX-License-Identifier: GPL-2.0
/* Which functions this kernel has for each probe role (targets.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe/targets.h"

static const char *const vhe_load_names[] = {
	"__vcpu_load_switch_sysregs",	/* 6.7+ */
	"kvm_vcpu_load_sysregs_vhe",	/* 5.9-6.6 */
	"kvm_vcpu_load_sysregs",	/* 4.17-5.8 */
	NULL,
};

static const char *const vhe_put_names[] = {
	"__vcpu_put_switch_sysregs",
	"kvm_vcpu_put_sysregs_vhe",
	"kvm_vcpu_put_sysregs",
	NULL,
};

#define MAX_CANDIDATES 16

/* Every function name kvmsr may attach to, checked in one pass per file. */
struct lookup {
	const char *name[MAX_CANDIDATES];
	bool in_kallsyms[MAX_CANDIDATES];
	bool in_ftrace[MAX_CANDIDATES];
	int nr;
	bool have_ftrace_list;
};

static void scan(const char *path, bool kallsyms, struct lookup *lk, bool *hits, bool *opened)
{
	char line[512];
	FILE *f = fopen(path, "r");

	*opened = f != NULL;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *s = line;

		if (kallsyms) {
			/* "ffff800008012345 t name\t[module]" */
			s = strchr(line, ' ');
			if (!s || !(s = strchr(s + 1, ' ')))
				continue;
			s++;
		}
		s[strcspn(s, " \t\n")] = '\0';
		for (int i = 0; i < lk->nr; i++)
			if (!strcmp(s, lk->name[i]))
				hits[i] = true;
	}
	fclose(f);
}

static void lookup_all(struct lookup *lk)
{
	static const char *const aff[] = {
		"/sys/kernel/tracing/available_filter_functions",
		"/sys/kernel/debug/tracing/available_filter_functions",
	};
	bool opened;

	scan("/proc/kallsyms", true, lk, lk->in_kallsyms, &opened);
	for (size_t i = 0; i < sizeof(aff) / sizeof(aff[0]) && !lk->have_ftrace_list; i++) {
		scan(aff[i], false, lk, lk->in_ftrace, &opened);
		lk->have_ftrace_list = opened;
	}
}

static void add(struct lookup *lk, const char *const *names)
{
	for (; *names && lk->nr < MAX_CANDIDATES; names++)
		lk->name[lk->nr++] = *names;
}

static void probe(struct target *t, const struct lookup *lk, const char *name)
{
	for (int i = 0; i < lk->nr; i++) {
		if (strcmp(lk->name[i], name))
			continue;
		t->name = name;
		t->in_kallsyms = lk->in_kallsyms[i];
		t->traceable = lk->have_ftrace_list ? lk->in_ftrace[i] : -1;
		return;
	}
}

static void pick(struct target *t, const struct lookup *lk, const char *const *names)
{
	t->wanted = names[0];
	for (; *names; names++) {
		probe(t, lk, *names);
		if (t->in_kallsyms && t->traceable != 0)
			return;
	}
	t->name = NULL;
	t->in_kallsyms = false;
}

void targets_resolve(struct targets *tg)
{
	static const char *const load[] = { "kvm_arch_vcpu_load", NULL };
	static const char *const put[] = { "kvm_arch_vcpu_put", NULL };
	static const char *const rd[] = { "vcpu_read_sys_reg", NULL };
	static const char *const wr[] = { "vcpu_write_sys_reg", NULL };
	static const char *const vmx[] = { "kvm_arch_destroy_vm", NULL };
	static const char *const die[] = { "die", NULL };
	const char *const *lists[TGT__MAX] = {
		[TGT_VCPU_LOAD] = load, [TGT_VCPU_PUT] = put,
		[TGT_VHE_LOAD] = vhe_load_names, [TGT_VHE_PUT] = vhe_put_names,
		[TGT_READ] = rd, [TGT_WRITE] = wr, [TGT_VM_EXIT] = vmx, [TGT_DIE] = die,
	};
	struct lookup lk = { 0 };

	memset(tg, 0, sizeof(*tg));
	tg->t[TGT_VCPU_LOAD] = (struct target){ .role = "vcpu load", .required = true };
	tg->t[TGT_VCPU_PUT] = (struct target){ .role = "vcpu put", .required = true };
	tg->t[TGT_VHE_LOAD] = (struct target){ .role = "VHE sysreg load" };
	tg->t[TGT_VHE_PUT] = (struct target){ .role = "VHE sysreg put" };
	tg->t[TGT_READ] = (struct target){ .role = "accessor read", .required = true };
	tg->t[TGT_WRITE] = (struct target){ .role = "accessor write", .required = true };
	tg->t[TGT_VM_EXIT] = (struct target){ .role = "VM destroyed" };
	tg->t[TGT_DIE] = (struct target){ .role = "BUG (die)" };

	for (int i = 0; i < TGT__MAX; i++)
		add(&lk, lists[i]);
	lookup_all(&lk);
	for (int i = 0; i < TGT__MAX; i++)
		pick(&tg->t[i], &lk, lists[i]);
}
