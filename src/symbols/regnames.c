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
	if (!err)
		err = regnames_traps_init(rn);
	if (err)
		regnames_free(rn);
	return err;
}

void regnames_free(struct regnames *rn)
{
	for (int i = 0; i < rn->count; i++)
		free(rn->name[i]);
	free(rn->name);
	if (rn->traps) {
		keymap_free(&rn->traps->by_enc);
		free(rn->traps->name);
		free(rn->traps);
	}
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

int regnames_traps_init(struct regnames *rn)
{
	rn->traps = calloc(1, sizeof(*rn->traps));
	return rn->traps ? 0 : -ENOMEM;
}

void regnames_trap_fetch(const struct regnames *rn, trapname_fetch_fn fetch, void *ctx)
{
	if (!rn->traps)
		return;
	rn->traps->fetch = fetch;
	rn->traps->fetch_ctx = ctx;
}

bool regnames_trap_add(const struct regnames *rn, uint16_t enc, const char *name, size_t len)
{
	struct trapnames *t = rn->traps;
	uint32_t at;

	if (!t || keymap_get(&t->by_enc, enc, &at))
		return false;
	if (t->n >= REGNAMES_MAX_TRAPS ||
	    array_room(&t->name, &t->cap, t->n, sizeof(*t->name), 64) ||
	    keymap_put(&t->by_enc, enc, t->n)) {
		t->dropped++;
		return false;
	}
	len = strnlen(name, len < KVMSR_TRAP_NAME_LEN ? len : KVMSR_TRAP_NAME_LEN - 1);
	memcpy(t->name[t->n], name, len);
	t->name[t->n][len] = '\0';
	t->n++;
	return true;
}

const char *regnames_trap_raw(const struct regnames *rn, uint16_t enc)
{
	struct trapnames *t = rn->traps;
	char name[KVMSR_TRAP_NAME_LEN];
	uint32_t at;

	if (!t)
		return NULL;
	if (!keymap_get(&t->by_enc, enc, &at)) {
		/*
		 * Live, the BPF side stored the name before it emitted the
		 * event: a name it lacks now it will never have, so a failed
		 * fetch is kept as "no name" and not asked again.
		 */
		if (!t->fetch)
			return NULL;
		if (!t->fetch(t->fetch_ctx, enc, name, sizeof(name)))
			name[0] = '\0';
		regnames_trap_add(rn, enc, name, sizeof(name));
		if (!keymap_get(&t->by_enc, enc, &at))
			return NULL;
	}
	return t->name[at];
}

const char *regnames_enc(uint16_t enc, char *buf, size_t len)
{
	snprintf(buf, len, "S%u_%u_C%u_C%u_%u", KVMSR_ENC_OP0(enc), KVMSR_ENC_OP1(enc),
		 KVMSR_ENC_CRN(enc), KVMSR_ENC_CRM(enc), KVMSR_ENC_OP2(enc));
	return buf;
}

const char *regnames_trap(const struct regnames *rn, uint16_t enc, char *buf, size_t len)
{
	const char *s = regnames_trap_raw(rn, enc);

	if (!s || !s[0])
		return regnames_enc(enc, buf, len);
	/* The kernel's names are its macros' (SYS_MDCR_EL2): the enum's have no prefix. */
	if (!strncmp(s, "SYS_", 4) && s[4])
		s += 4;
	return s;
}
