// SPDX-License-Identifier: GPL-2.0
/* Event formatting for `kvmsr trace` (format.h). */
#include <string.h>
#include "format.h"

static const char *const type_names[KVMSR_EV__MAX] = {
	[KVMSR_EV_LOAD] = "load",
	[KVMSR_EV_PUT] = "put",
	[KVMSR_EV_READ] = "read",
	[KVMSR_EV_WRITE] = "write",
	[KVMSR_EV_TRAP] = "trap",
	[KVMSR_EV_ENTRY] = "entry",
	[KVMSR_EV_SAVED] = "saved",
	[KVMSR_EV_ADJUST_PC] = "adjust-pc",
	[KVMSR_EV_WARN] = "warn",
	[KVMSR_EV_BUG] = "bug",
	[KVMSR_EV_VM_EXIT] = "vm-exit",
};

const char *event_type_name(unsigned int type)
{
	return type < KVMSR_EV__MAX && type_names[type] ? type_names[type] : "?";
}

int parse_event_types(const char *list, unsigned int *mask)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int t;

		if (!strcmp(tok, "all")) {
			*mask |= ((1u << KVMSR_EV__MAX) - 1) & ~1u;
			continue;
		}
		for (t = 1; t < KVMSR_EV__MAX; t++)
			if (!strcmp(tok, type_names[t]))
				break;
		if (t == KVMSR_EV__MAX)
			return -1;
		*mask |= 1u << t;
	}
	return *mask ? 0 : -1;
}

void format_header(FILE *f)
{
	fprintf(f, "%-12s %3s %7s %4s %-5s %-16s %-18s %s\n",
		"TIME(s)", "CPU", "PID", "VCPU", "EVENT", "REGISTER", "VALUE", "SYSREGS");
}

static const char *where(const struct kvmsr_event *e)
{
	return e->flags & KVMSR_F_LOADED ? "on-cpu" : "memory";
}

void format_event_text(FILE *f, const struct kvmsr_event *e, const struct regnames *rn,
		       unsigned long long t0_ns)
{
	double t = (double)(e->ts_ns - t0_ns) / 1e9;
	char vcpu[16], rbuf[32];
	const char *reg = "";
	char val[24] = "";

	if (e->vcpu_id >= 0)
		snprintf(vcpu, sizeof(vcpu), "%d", e->vcpu_id);
	else
		strcpy(vcpu, "-");
	switch (e->type) {
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
	case KVMSR_EV_SAVED:
		reg = regnames_get(rn, e->reg, rbuf, sizeof(rbuf));
		snprintf(val, sizeof(val), "%#llx", (unsigned long long)e->val);
		break;
	case KVMSR_EV_WARN:
	case KVMSR_EV_BUG:
		snprintf(val, sizeof(val), "%#llx", (unsigned long long)e->val);
		break;
	case KVMSR_EV_TRAP:
		if (e->flags & KVMSR_F_MEMREG)
			reg = regnames_get(rn, e->reg, rbuf, sizeof(rbuf));
		else
			reg = "(no slot)";
		if (e->flags & KVMSR_F_WRITE)
			snprintf(val, sizeof(val), "%#llx", (unsigned long long)e->val);
		else
			strcpy(val, "(guest read)");
		break;
	}
	fprintf(f, "%-12.6f %3u %7u %4s %-5s %-16s %-18s %s\n", t, e->cpu, e->pid, vcpu,
		event_type_name(e->type), reg, val,
		e->type == KVMSR_EV_READ || e->type == KVMSR_EV_WRITE ||
		e->type == KVMSR_EV_LOAD || e->type == KVMSR_EV_PUT ? where(e) : "");
}

void format_event_json(FILE *f, const struct kvmsr_event *e, const struct regnames *rn)
{
	char rbuf[32];

	fprintf(f, "{\"ts_ns\":%llu,\"event\":\"%s\",\"cpu\":%u,\"pid\":%u,\"tid\":%u,\"vcpu\":%d",
		(unsigned long long)e->ts_ns, event_type_name(e->type), e->cpu, e->pid, e->tid,
		e->vcpu_id);
	switch (e->type) {
	case KVMSR_EV_LOAD:
	case KVMSR_EV_PUT:
		fprintf(f, ",\"sysregs_on_cpu\":%s,\"flag_word\":\"%#llx\"",
			e->flags & KVMSR_F_LOADED ? "true" : "false", (unsigned long long)e->aux);
		break;
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
		fprintf(f, ",\"reg\":\"%s\",\"reg_index\":%u,\"value\":\"%#llx\",\"sysregs_on_cpu\":%s",
			regnames_get(rn, e->reg, rbuf, sizeof(rbuf)), e->reg,
			(unsigned long long)e->val, e->flags & KVMSR_F_LOADED ? "true" : "false");
		if (e->flags & KVMSR_F_MEM)
			fprintf(f, ",\"memory\":\"%#llx\"", (unsigned long long)e->aux);
		break;
	case KVMSR_EV_SAVED:
		fprintf(f, ",\"reg\":\"%s\",\"reg_index\":%u,\"saved\":\"%#llx\","
			"\"memory_before\":\"%#llx\"", regnames_get(rn, e->reg, rbuf, sizeof(rbuf)),
			e->reg, (unsigned long long)e->val, (unsigned long long)e->aux);
		break;
	case KVMSR_EV_WARN:
	case KVMSR_EV_BUG:
		fprintf(f, ",\"address\":\"%#llx\",\"vcpu_loaded\":%s", (unsigned long long)e->val,
			e->flags & KVMSR_F_LOADED ? "true" : "false");
		break;
	case KVMSR_EV_TRAP:
		if (e->flags & KVMSR_F_MEMREG)
			fprintf(f, ",\"reg\":\"%s\",\"reg_index\":%u",
				regnames_get(rn, e->reg, rbuf, sizeof(rbuf)), e->reg);
		fprintf(f, ",\"is_write\":%s,\"value\":\"%#llx\",\"guest_pc\":\"%#llx\"",
			e->flags & KVMSR_F_WRITE ? "true" : "false",
			(unsigned long long)e->val, (unsigned long long)e->aux);
		break;
	case KVMSR_EV_ENTRY:
		fprintf(f, ",\"guest_pc\":\"%#llx\",\"hcr_el2\":\"%#llx\"",
			(unsigned long long)e->aux, (unsigned long long)e->val);
		break;
	}
	fputs("}\n", f);
}
