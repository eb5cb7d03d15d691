// SPDX-License-Identifier: GPL-2.0
/* Event formatting for `kvmsr trace` (format.h). */
#include <stdbool.h>
#include <string.h>
#include "output/event_fmt.h"

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
	[KVMSR_EV_DIRECT] = "direct",
	[KVMSR_EV_SWITCH] = "switch",
	[KVMSR_EV_IOCTL] = "ioctl",
	[KVMSR_EV_EXIT] = "exit",
};

const char *loc_name(unsigned int loc, char *buf, size_t len)
{
	static const char *const bits[] = { "loaded", "mapped", "translated", "special" };
	size_t n = 0;

	if (!loc)
		return "memory";
	buf[0] = '\0';
	for (unsigned int i = 0; i < 4; i++) {
		if (!(loc & (1u << i)))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "", bits[i]);
	}
	return buf;
}

/*
 * vCPU ioctls by command number (_IOC_NR of the 0xAE type): the uapi's
 * stable numbers, not a kernel-internal table.
 */
const char *vcpu_ioctl_name(uint32_t cmd)
{
	static const struct { uint8_t nr; const char *name; } names[] = {
		{ 0x80, "KVM_RUN" }, { 0x81, "KVM_GET_REGS" }, { 0x82, "KVM_SET_REGS" },
		{ 0x86, "KVM_INTERRUPT" }, { 0x98, "KVM_GET_MP_STATE" },
		{ 0x99, "KVM_SET_MP_STATE" }, { 0x9b, "KVM_SET_GUEST_DEBUG" },
		{ 0x9f, "KVM_GET_VCPU_EVENTS" }, { 0xa0, "KVM_SET_VCPU_EVENTS" },
		{ 0xab, "KVM_GET_ONE_REG" }, { 0xac, "KVM_SET_ONE_REG" },
		{ 0xae, "KVM_ARM_VCPU_INIT" }, { 0xb0, "KVM_GET_REG_LIST" },
		{ 0xb2, "KVM_SIGNAL_MSI" }, { 0xc2, "KVM_ARM_VCPU_FINALIZE" },
		{ 0xe1, "KVM_SET_DEVICE_ATTR" }, { 0xe2, "KVM_GET_DEVICE_ATTR" },
		{ 0xe3, "KVM_HAS_DEVICE_ATTR" },
	};

	if (((cmd >> 8) & 0xff) != 0xae)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == (cmd & 0xff))
			return names[i].name;
	return NULL;
}

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

/* Sysregs on the CPU or in memory; for accessor calls the kernel's location. */
static const char *where(const struct kvmsr_event *e, char *buf, size_t len)
{
	const char *state = e->flags & KVMSR_F_LOADED ? "on-cpu" : "memory";
	char lb[48];

	if (!(e->flags & KVMSR_F_LOC) ||
	    (e->type != KVMSR_EV_READ && e->type != KVMSR_EV_WRITE))
		return state;
	snprintf(buf, len, "%s served:%s", state, loc_name(e->loc, lb, sizeof(lb)));
	return buf;
}

void format_event_text(FILE *f, const struct kvmsr_event *e, const struct regnames *rn,
		       unsigned long long t0_ns)
{
	double t = (double)(e->ts_ns - t0_ns) / 1e9;
	char vcpu[16], rbuf[32], wbuf[64];
	const char *reg = "", *state = "";
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
	case KVMSR_EV_DIRECT:
		reg = regnames_get(rn, e->reg, rbuf, sizeof(rbuf));
		snprintf(val, sizeof(val), "%#llx", (unsigned long long)e->aux);
		state = e->flags & KVMSR_F_WRITE ? "on-cpu direct write" : "on-cpu direct read";
		break;
	case KVMSR_EV_SWITCH:
		reg = e->flags & KVMSR_F_SW_IN ? "in" : e->flags & KVMSR_F_SW_PREEMPT ?
		      "out (preempted)" : "out (blocks)";
		snprintf(val, sizeof(val), "tid %u", e->tid);
		state = e->flags & KVMSR_F_LOADED ? (e->flags & KVMSR_F_SW_IN ?
			"a vCPU still loaded here" : "on-cpu") : "";
		break;
	case KVMSR_EV_IOCTL:
		reg = vcpu_ioctl_name(e->val);
		if (!reg)
			reg = "?";
		snprintf(val, sizeof(val), "%#llx", (unsigned long long)e->val);
		break;
	case KVMSR_EV_EXIT:
		snprintf(val, sizeof(val), "EC %#llx", (unsigned long long)e->val);
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
	if (e->type == KVMSR_EV_READ || e->type == KVMSR_EV_WRITE ||
	    e->type == KVMSR_EV_LOAD || e->type == KVMSR_EV_PUT)
		state = where(e, wbuf, sizeof(wbuf));
	fprintf(f, "%-12.6f %3u %7u %4s %-5s %-16s %-18s %s\n", t, e->cpu, e->pid, vcpu,
		event_type_name(e->type), reg, val, state);
}

/*
 * NDJSON is the hot path of `trace --json`: every event, on the same CPUs
 * as the guest.  A small builder instead of printf keeps it cheap.
 */
struct sb {
	char buf[512];
	size_t n;
};

static void sb_str(struct sb *b, const char *s)
{
	size_t l = strlen(s);

	if (b->n + l < sizeof(b->buf)) {
		memcpy(b->buf + b->n, s, l);
		b->n += l;
	}
}

static void sb_u64(struct sb *b, unsigned long long v)
{
	char tmp[24];
	int i = sizeof(tmp);

	tmp[--i] = '\0';
	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	sb_str(b, tmp + i);
}

static void sb_i64(struct sb *b, long long v)
{
	if (v < 0) {
		sb_str(b, "-");
		v = -v;
	}
	sb_u64(b, v);
}

/* As printf's %#llx: "0" or "0x..." */
static void sb_hex(struct sb *b, unsigned long long v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24];
	int i = sizeof(tmp);

	tmp[--i] = '\0';
	if (!v) {
		sb_str(b, "\"0\"");
		return;
	}
	while (v) {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	}
	tmp[--i] = 'x';
	tmp[--i] = '0';
	tmp[--i] = '"';
	sb_str(b, tmp + i);
	sb_str(b, "\"");
}

static void sb_bool(struct sb *b, bool v)
{
	sb_str(b, v ? "true" : "false");
}

static void sb_reg(struct sb *b, const struct kvmsr_event *e, const struct regnames *rn)
{
	char rbuf[32];

	sb_str(b, ",\"reg\":\"");
	sb_str(b, regnames_get(rn, e->reg, rbuf, sizeof(rbuf)));
	sb_str(b, "\",\"reg_index\":");
	sb_u64(b, e->reg);
}

void format_event_json(FILE *f, const struct kvmsr_event *e, const struct regnames *rn)
{
	struct sb b = { .n = 0 };

	sb_str(&b, "{\"ts_ns\":");
	sb_u64(&b, e->ts_ns);
	sb_str(&b, ",\"event\":\"");
	sb_str(&b, event_type_name(e->type));
	sb_str(&b, "\",\"cpu\":");
	sb_u64(&b, e->cpu);
	sb_str(&b, ",\"pid\":");
	sb_u64(&b, e->pid);
	sb_str(&b, ",\"tid\":");
	sb_u64(&b, e->tid);
	sb_str(&b, ",\"vcpu\":");
	sb_i64(&b, e->vcpu_id);
	switch (e->type) {
	case KVMSR_EV_LOAD:
	case KVMSR_EV_PUT:
		sb_str(&b, ",\"sysregs_on_cpu\":");
		sb_bool(&b, e->flags & KVMSR_F_LOADED);
		sb_str(&b, ",\"flag_word\":");
		sb_hex(&b, e->aux);
		break;
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
		sb_reg(&b, e, rn);
		sb_str(&b, ",\"value\":");
		sb_hex(&b, e->val);
		sb_str(&b, ",\"sysregs_on_cpu\":");
		sb_bool(&b, e->flags & KVMSR_F_LOADED);
		if (e->flags & KVMSR_F_MEM) {
			sb_str(&b, ",\"memory\":");
			sb_hex(&b, e->aux);
		}
		if (e->flags & KVMSR_F_LOC) {
			char lb[48];

			sb_str(&b, ",\"loc\":\"");
			sb_str(&b, loc_name(e->loc, lb, sizeof(lb)));
			sb_str(&b, "\"");
		}
		break;
	case KVMSR_EV_SAVED:
		sb_reg(&b, e, rn);
		sb_str(&b, ",\"saved\":");
		sb_hex(&b, e->val);
		if (!(e->flags & KVMSR_F_NO_BEFORE)) {
			sb_str(&b, ",\"memory_before\":");
			sb_hex(&b, e->aux);
		}
		break;
	case KVMSR_EV_DIRECT:
		sb_reg(&b, e, rn);
		sb_str(&b, ",\"is_write\":");
		sb_bool(&b, e->flags & KVMSR_F_WRITE);
		sb_str(&b, ",\"caller\":");
		sb_hex(&b, e->val);
		if (e->flags & KVMSR_F_MEM) {
			sb_str(&b, ",\"memory\":");
			sb_hex(&b, e->aux);
		}
		break;
	case KVMSR_EV_SWITCH:
		sb_str(&b, e->flags & KVMSR_F_SW_IN ? ",\"direction\":\"in\"" :
		       ",\"direction\":\"out\"");
		sb_str(&b, ",\"preempted\":");
		sb_bool(&b, e->flags & KVMSR_F_SW_PREEMPT);
		sb_str(&b, ",\"prev_state\":");
		sb_u64(&b, e->val);
		sb_str(&b, ",\"other_tid\":");
		sb_u64(&b, e->aux);
		sb_str(&b, ",\"vcpu_loaded\":");
		sb_bool(&b, e->flags & KVMSR_F_LOADED);
		if (!(e->flags & KVMSR_F_SW_IN)) {
			sb_str(&b, ",\"notifier_registered\":");
			sb_bool(&b, e->flags & KVMSR_F_SW_NOTIFIER);
			if (e->flags & KVMSR_F_SW_KEY_KNOWN) {
				sb_str(&b, ",\"preempt_notifier_key\":");
				sb_bool(&b, e->flags & KVMSR_F_SW_KEY_ON);
			}
		}
		break;
	case KVMSR_EV_IOCTL: {
		const char *io = vcpu_ioctl_name(e->val);

		sb_str(&b, ",\"command\":");
		sb_hex(&b, e->val);
		if (io) {
			sb_str(&b, ",\"name\":\"");
			sb_str(&b, io);
			sb_str(&b, "\"");
		}
		break;
	}
	case KVMSR_EV_EXIT:
		sb_str(&b, ",\"esr_ec\":");
		sb_hex(&b, e->val);
		sb_str(&b, ",\"pc\":");
		sb_hex(&b, e->aux);
		sb_str(&b, ",\"ret\":");
		sb_u64(&b, e->reg);
		break;
	case KVMSR_EV_WARN:
	case KVMSR_EV_BUG:
		sb_str(&b, ",\"address\":");
		sb_hex(&b, e->val);
		sb_str(&b, ",\"vcpu_loaded\":");
		sb_bool(&b, e->flags & KVMSR_F_LOADED);
		break;
	case KVMSR_EV_TRAP:
		if (e->flags & KVMSR_F_MEMREG)
			sb_reg(&b, e, rn);
		sb_str(&b, ",\"is_write\":");
		sb_bool(&b, e->flags & KVMSR_F_WRITE);
		sb_str(&b, ",\"value\":");
		sb_hex(&b, e->val);
		sb_str(&b, ",\"guest_pc\":");
		sb_hex(&b, e->aux);
		break;
	case KVMSR_EV_ENTRY:
		sb_str(&b, ",\"guest_pc\":");
		sb_hex(&b, e->aux);
		sb_str(&b, ",\"hcr_el2\":");
		sb_hex(&b, e->val);
		break;
	}
	sb_str(&b, "}\n");
	fwrite(b.buf, 1, b.n, f);
}
