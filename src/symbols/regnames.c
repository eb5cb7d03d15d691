// SPDX-License-Identifier: GPL-2.0
/* enum vcpu_sysreg names from BTF (regnames.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bpf/btf.h>
#include "symbols/regnames.h"
#include "kvmsr_event.h"

static int fill(struct regnames *rn, const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, n, i;

	id = btf__find_by_name_kind(btf, "vcpu_sysreg", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	n = btf_vlen(t);

	rn->count = 0;
	for (i = 0; i < n; i++)
		if (e[i].val >= 0 && e[i].val < KVMSR_MAX_REGS && e[i].val >= rn->count)
			rn->count = e[i].val + 1;
	rn->name = calloc(rn->count ? rn->count : 1, sizeof(*rn->name));
	if (!rn->name)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = btf__name_by_offset(btf, e[i].name_off);

		/*
		 * Skip markers (__INVALID_SYSREG__, __VNCR_START__, __before_*,
		 * NR_SYS_REGS) and keep the first real name of an index:
		 * markers share their value with a real register.
		 */
		if (!s || s[0] == '_' || !strncmp(s, "NR_", 3))
			continue;
		if (e[i].val < 0 || e[i].val >= rn->count || rn->name[e[i].val])
			continue;
		rn->name[e[i].val] = strdup(s);
		if (!rn->name[e[i].val])
			return -ENOMEM;
	}
	return 0;
}

int regnames_load(struct regnames *rn, const char *path)
{
	struct btf *btf;
	int err;

	memset(rn, 0, sizeof(*rn));
	btf = path ? btf__parse_raw(path) : btf__load_vmlinux_btf();
	if (!btf)
		return -errno;
	err = fill(rn, btf);
	btf__free(btf);
	if (err)
		regnames_free(rn);
	return err;
}

void regnames_free(struct regnames *rn)
{
	for (int i = 0; i < rn->count; i++)
		free(rn->name[i]);
	free(rn->name);
	memset(rn, 0, sizeof(*rn));
}

const char *regnames_get(const struct regnames *rn, int index, char *buf, int len)
{
	if (index >= 0 && index < rn->count && rn->name[index])
		return rn->name[index];
	snprintf(buf, len, "sysreg#%d", index);
	return buf;
}

int regnames_find(const struct regnames *rn, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < rn->count; i++) {
		const char *s = rn->name[i];

		if (!s)
			continue;
		if (!strcasecmp(s, name))
			return i;
		/* "ttbr0" matches "TTBR0_EL1" */
		if (!strncasecmp(s, name, n) && !strcasecmp(s + n, "_EL1"))
			return i;
	}
	return -1;
}
