// SPDX-License-Identifier: GPL-2.0
/* The table of event types (event_types.h): one entry per KVMSR_EV_*. */
#include <stdio.h>
#include <string.h>
#include "output/event_types.h"
#include "output/text.h"

#define F_LOADED KVMSR_F_LOADED

/* @loc's bits by @bits[], "|"-joined; "memory" for none. */
static const char *loc_bits(unsigned int loc, const char *const bits[4], char *buf, size_t len)
{
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

const char *loc_name(unsigned int loc, char *buf, size_t len)
{
	static const char *const bits[] = { "loaded", "mapped", "translated", "special" };

	return loc_bits(loc, bits, buf, len);
}

/* A trace line's SERVED column: where the access went, "cpu" for on the CPU. */
static const char *served_name(unsigned int loc, char *buf, size_t len)
{
	static const char *const bits[] = { "cpu", "mapped", "translated", "special" };

	return loc_bits(loc, bits, buf, len);
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

const char *ev_reg_name(const struct kvmsr_event *e, const struct regnames *rn, char *buf,
			size_t len)
{
	if (e->type != KVMSR_EV_TRAP || (e->flags & KVMSR_F_MEMREG))
		return regnames_get(rn, e->reg, buf, len);
	if (e->flags & KVMSR_F_TRAP_ENC)
		return regnames_trap(rn, e->reg, buf, len);
	return NULL;
}

/* ---- the text of each type: trace columns and context description ---- */

static const char *hex(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%#llx", (unsigned long long)v);
	return buf;
}

/*
 * LOADED: were the vCPU's sysregs on the CPU (SYSREGS_ON_CPU) when it
 * happened; SERVED: where the accessor found the register, only when the
 * kernel says (its tracepoints; the probes cannot know).  Two columns, so
 * that "loaded" is never read as "served from the CPU".
 */
static void sysregs_state(const struct kvmsr_event *e, struct ev_text *t)
{
	snprintf(t->state, sizeof(t->state), "%s", e->flags & F_LOADED ? "yes" : "no");
	if (e->flags & KVMSR_F_LOC)
		served_name(e->loc, t->served, sizeof(t->served));
}

static void text_loadput(const struct kvmsr_event *e, const struct regnames *rn,
			 struct ev_text *t)
{
	sysregs_state(e, t);
}

static void describe_loadput(const struct kvmsr_event *e, const struct regnames *rn,
			     struct symbolizer *sy, char *buf, size_t len)
{
	const char *via = "";

	/* The callers that KVMSR_F_VIA_* proves, in place of a stack. */
	if (e->flags & KVMSR_F_VIA_SWITCH)
		via = e->type == KVMSR_EV_LOAD ? " by kvm_sched_in (switched in)" :
						 " by kvm_sched_out (switched out)";
	else if (e->flags & KVMSR_F_VIA_IOCTL)
		via = " (the ioctl's first load)";
	/* Read where the probe fires: after a load, at or after a put. */
	snprintf(buf, len, "SYSREGS_ON_CPU=%d%s", !!(e->flags & F_LOADED), via);
}

static void text_access(const struct kvmsr_event *e, const struct regnames *rn,
			struct ev_text *t)
{
	text_reg(rn, e->reg, t->reg, sizeof(t->reg));
	hex(t->val, sizeof(t->val), e->val);
	sysregs_state(e, t);
}

static void describe_access(const struct kvmsr_event *e, const struct regnames *rn,
			    struct symbolizer *sy, char *buf, size_t len)
{
	char rb[48], lb[48];

	snprintf(buf, len, "%s %#llx%s%s", text_reg(rn, e->reg, rb, sizeof(rb)),
		 (unsigned long long)e->val, e->flags & KVMSR_F_LOC ? " served:" : "",
		 e->flags & KVMSR_F_LOC ? loc_name(e->loc, lb, sizeof(lb)) : "");
}

static void text_saved(const struct kvmsr_event *e, const struct regnames *rn,
		       struct ev_text *t)
{
	text_reg(rn, e->reg, t->reg, sizeof(t->reg));
	hex(t->val, sizeof(t->val), e->val);
}

static void describe_saved(const struct kvmsr_event *e, const struct regnames *rn,
			   struct symbolizer *sy, char *buf, size_t len)
{
	char rb[48];

	snprintf(buf, len, "%s %#llx saved by the put", text_reg(rn, e->reg, rb, sizeof(rb)),
		 (unsigned long long)e->val);
}

/* A trapped register's name, cleaned for a terminal; "(no slot)" before ABI 5. */
static const char *text_trap_reg(const struct kvmsr_event *e, const struct regnames *rn,
				 char *buf, size_t len)
{
	char raw[KVMSR_TRAP_NAME_LEN + 16];
	const char *s = ev_reg_name(e, rn, raw, sizeof(raw));

	return text_clean(s ? s : "(no slot)", buf, len);
}

/* A guest read has no value: the handler has not produced it yet. */
static void text_trap(const struct kvmsr_event *e, const struct regnames *rn, struct ev_text *t)
{
	text_trap_reg(e, rn, t->reg, sizeof(t->reg));
	/* A read has no value yet (the handler produces it): say it is one. */
	if (e->flags & KVMSR_F_TRAP_WRITE)
		hex(t->val, sizeof(t->val), e->val);
	else
		snprintf(t->val, sizeof(t->val), "(read)");
	sysregs_state(e, t);
}

static void describe_trap(const struct kvmsr_event *e, const struct regnames *rn,
			  struct symbolizer *sy, char *buf, size_t len)
{
	char rb[48], vb[32] = "";

	if (e->flags & KVMSR_F_TRAP_WRITE)
		snprintf(vb, sizeof(vb), " %#llx", (unsigned long long)e->val);
	snprintf(buf, len, "guest %s %s%s at pc %#llx",
		 e->flags & KVMSR_F_TRAP_WRITE ? "wrote" : "read",
		 text_trap_reg(e, rn, rb, sizeof(rb)), vb, (unsigned long long)e->aux);
}

static void describe_entry(const struct kvmsr_event *e, const struct regnames *rn,
			   struct symbolizer *sy, char *buf, size_t len)
{
	snprintf(buf, len, "into the guest at pc %#llx", (unsigned long long)e->aux);
}

static void text_hit(const struct kvmsr_event *e, const struct regnames *rn, struct ev_text *t)
{
	hex(t->val, sizeof(t->val), e->val);
}

static void describe_hit(const struct kvmsr_event *e, const struct regnames *rn,
			 struct symbolizer *sy, char *buf, size_t len)
{
	char nb[SYM_NAME_LEN], cb[SYM_NAME_LEN];

	sym_name(sy, e->val, nb, sizeof(nb));
	snprintf(buf, len, "at %s", text_clean(nb, cb, sizeof(cb)));
}

static void text_direct(const struct kvmsr_event *e, const struct regnames *rn,
			struct ev_text *t)
{
	text_reg(rn, e->reg, t->reg, sizeof(t->reg));
	hex(t->val, sizeof(t->val), e->aux);
	snprintf(t->state, sizeof(t->state), "yes");
	snprintf(t->served, sizeof(t->served), "memory (direct %s)",
		 e->flags & KVMSR_F_DIRECT_WRITE ? "write" : "read");
}

static void describe_direct(const struct kvmsr_event *e, const struct regnames *rn,
			    struct symbolizer *sy, char *buf, size_t len)
{
	char rb[48];

	snprintf(buf, len, "%s memory copy %s directly", text_reg(rn, e->reg, rb, sizeof(rb)),
		 e->flags & KVMSR_F_DIRECT_WRITE ? "written" : "read");
}

static void text_switch(const struct kvmsr_event *e, const struct regnames *rn,
			struct ev_text *t)
{
	bool in = e->flags & KVMSR_F_SW_IN;

	snprintf(t->reg, sizeof(t->reg), "%s", in ? "in" : e->flags & KVMSR_F_SW_PREEMPT ?
		 "out (preempted)" : "out (blocks)");
	snprintf(t->val, sizeof(t->val), "tid %u", e->tid);
	if (e->flags & F_LOADED)
		snprintf(t->state, sizeof(t->state), "%s", in ? "a vCPU still loaded here" :
			 "yes");
}

/* A switch out: does the kernel's own state oblige it to call kvm_sched_out? */
static const char *notifier_state(const struct kvmsr_event *e)
{
	bool mine = e->flags & KVMSR_F_SW_NOTIFIER, loaded = e->flags & F_LOADED;
	bool known = e->flags & KVMSR_F_SW_KEY_KNOWN, on = e->flags & KVMSR_F_SW_KEY_ON;

	if (!loaded && !mine)
		return "";		/* outside a vCPU ioctl: nothing owed */
	if (loaded && !mine)
		return "; its preempt notifier NOT registered: nothing will put it";
	if (!known)
		return "; notifier registered: kvm_sched_out must put it";
	if (!on)
		return "; notifier registered, but preempt_notifier_key OFF";
	return loaded ? "; notifier registered, preempt_notifier_key on: kvm_sched_out must put it" :
			"; notifier registered, preempt_notifier_key on";
}

static void describe_switch(const struct kvmsr_event *e, const struct regnames *rn,
			    struct symbolizer *sy, char *buf, size_t len)
{
	bool loaded = e->flags & F_LOADED;

	if (e->flags & KVMSR_F_SW_IN)
		snprintf(buf, len, "thread %u takes CPU %u from %llu%s", e->tid, e->cpu,
			 (unsigned long long)e->aux, loaded ?
			 ": a vCPU is STILL LOADED on this CPU (never put)" : "");
	else
		snprintf(buf, len, "thread %u leaves CPU %u for %llu (%s)%s%s", e->tid, e->cpu,
			 (unsigned long long)e->aux, e->flags & KVMSR_F_SW_PREEMPT ? "preempted" :
			 e->val ? "blocks" : "reschedules, runnable",
			 loaded ? ", its vCPU loaded here" : "", notifier_state(e));
}

static void text_ioctl(const struct kvmsr_event *e, const struct regnames *rn,
		       struct ev_text *t)
{
	const char *io = vcpu_ioctl_name(e->val);

	snprintf(t->reg, sizeof(t->reg), "%s", io ? io : "?");
	hex(t->val, sizeof(t->val), e->val);
}

static void describe_ioctl(const struct kvmsr_event *e, const struct regnames *rn,
			   struct symbolizer *sy, char *buf, size_t len)
{
	const char *io = vcpu_ioctl_name(e->val);

	if (io)
		snprintf(buf, len, "%s", io);
	else
		snprintf(buf, len, "command %#llx", (unsigned long long)e->val);
}

static void text_exit(const struct kvmsr_event *e, const struct regnames *rn, struct ev_text *t)
{
	snprintf(t->val, sizeof(t->val), "EC %#llx", (unsigned long long)e->val);
}

static void describe_exit(const struct kvmsr_event *e, const struct regnames *rn,
			  struct symbolizer *sy, char *buf, size_t len)
{
	snprintf(buf, len, "from the guest at pc %#llx, EC %#llx, ret %u",
		 (unsigned long long)e->aux, (unsigned long long)e->val, e->reg);
}

static void nothing(const struct kvmsr_event *e, const struct regnames *rn, struct ev_text *t)
{
}

static void describe_nothing(const struct kvmsr_event *e, const struct regnames *rn,
			     struct symbolizer *sy, char *buf, size_t len)
{
	buf[0] = '\0';
}

/* ---- the fields of each type, in JSON order ---- */

#define FIELD(k, s, f, ...) \
	{ .key = k, .key_len = sizeof(k) - 1, .src = EVS_##s, .fmt = EVF_##f, __VA_ARGS__ }
#define ON_CPU FIELD("sysregs_on_cpu", FLAGS, BOOL, .bit = F_LOADED)
#define REG FIELD("reg", REG, REG)

/* The caller the events around a load or put prove (KVMSR_F_VIA_*): one "via" at most. */
#define VIA(f) FIELD("via", FLAGS, VIA, .bit = KVMSR_F_VIA_SWITCH, .need = (f))
static const struct ev_field f_load[] = {
	ON_CPU, FIELD("flag_word", AUX, HEX), VIA(KVMSR_F_VIA_SWITCH), VIA(KVMSR_F_VIA_IOCTL),
	{ 0 } };
static const struct ev_field f_put[] = {
	ON_CPU, FIELD("flag_word", AUX, HEX), VIA(KVMSR_F_VIA_SWITCH), { 0 } };
static const struct ev_field f_access[] = {
	REG, FIELD("value", VAL, HEX), ON_CPU,
	FIELD("memory", AUX, HEX, .need = KVMSR_F_MEM),
	FIELD("loc", LOC, LOC, .need = KVMSR_F_LOC), { 0 } };
static const struct ev_field f_saved[] = {
	REG, FIELD("saved", VAL, HEX),
	FIELD("memory_before", AUX, HEX, .unless = KVMSR_F_NO_BEFORE), { 0 } };
/* A guest read carries no value (before ABI 5 a meaningless one). */
static const struct ev_field f_trap[] = {
	FIELD("reg", REG, REG, .need = KVMSR_F_MEMREG),
	FIELD("reg", REG, TRAPREG, .need = KVMSR_F_TRAP_ENC, .unless = KVMSR_F_MEMREG),
	FIELD("is_write", FLAGS, BOOL, .bit = KVMSR_F_TRAP_WRITE),
	FIELD("value", VAL, HEX, .need = KVMSR_F_TRAP_WRITE), FIELD("guest_pc", AUX, HEX),
	{ 0 } };
static const struct ev_field f_entry[] = {
	FIELD("guest_pc", AUX, HEX), FIELD("hcr_el2", VAL, HEX), { 0 } };
static const struct ev_field f_hit[] = {
	FIELD("address", VAL, HEX), FIELD("vcpu_loaded", FLAGS, BOOL, .bit = F_LOADED), { 0 } };
static const struct ev_field f_direct[] = {
	REG, FIELD("is_write", FLAGS, BOOL, .bit = KVMSR_F_DIRECT_WRITE),
	FIELD("caller", VAL, HEX), FIELD("memory", AUX, HEX, .need = KVMSR_F_MEM), { 0 } };
static const struct ev_field f_switch[] = {
	FIELD("direction", FLAGS, DIR, .bit = KVMSR_F_SW_IN),
	FIELD("preempted", FLAGS, BOOL, .bit = KVMSR_F_SW_PREEMPT),
	FIELD("prev_state", VAL, U64), FIELD("other_tid", AUX, U64),
	FIELD("vcpu_loaded", FLAGS, BOOL, .bit = F_LOADED),
	FIELD("notifier_registered", FLAGS, BOOL, .bit = KVMSR_F_SW_NOTIFIER,
	      .unless = KVMSR_F_SW_IN),
	FIELD("preempt_notifier_key", FLAGS, BOOL, .bit = KVMSR_F_SW_KEY_ON,
	      .need = KVMSR_F_SW_KEY_KNOWN, .unless = KVMSR_F_SW_IN), { 0 } };
static const struct ev_field f_ioctl[] = {
	FIELD("command", VAL, HEX), FIELD("name", VAL, IOCTL), { 0 } };
static const struct ev_field f_exit[] = {
	FIELD("esr_ec", VAL, HEX), FIELD("pc", AUX, HEX), FIELD("ret", REG, U64), { 0 } };
static const struct ev_field f_none[] = { { 0 } };

#define TYPE(n, fl, fi, tx, de, ...) \
	{ .name = n, .flags = fl, .fields = fi, .text = tx, .describe = de, __VA_ARGS__ }

#define F_ACCESS (F_LOADED | KVMSR_F_MEM | KVMSR_F_LOC)

/* Type 8 (a reserved exception-entry event) was never emitted: retired. */
static const struct ev_type types[KVMSR_EV__MAX] = {
	[KVMSR_EV_LOAD] = TYPE("load", F_LOADED | KVMSR_F_VIA_SWITCH | KVMSR_F_VIA_IOCTL, f_load,
			       text_loadput, describe_loadput, .timeline = EVT_BEGIN),
	[KVMSR_EV_PUT] = TYPE("put", F_LOADED | KVMSR_F_VIA_SWITCH, f_put, text_loadput,
			      describe_loadput, .timeline = EVT_END),
	[KVMSR_EV_READ] = TYPE("read", F_ACCESS, f_access,
			       text_access, describe_access, .timeline = EVT_INSTANT,
			       .timeline_cat = "accessor"),
	[KVMSR_EV_WRITE] = TYPE("write", F_ACCESS, f_access,
				text_access, describe_access, .timeline = EVT_INSTANT,
			       .timeline_cat = "accessor"),
	[KVMSR_EV_TRAP] = TYPE("trap", F_LOADED | KVMSR_F_TRAP_WRITE | KVMSR_F_NO_VCPU |
			       KVMSR_F_MEMREG | KVMSR_F_TRAP_ENC, f_trap, text_trap,
			       describe_trap, .timeline = EVT_INSTANT, .timeline_cat = "guest"),
	[KVMSR_EV_ENTRY] = TYPE("entry", F_LOADED | KVMSR_F_NO_VCPU, f_entry, nothing,
				describe_entry, .timeline = EVT_INSTANT,
				.timeline_name = "guest entry", .timeline_cat = "guest"),
	[KVMSR_EV_SAVED] = TYPE("saved", F_LOADED | KVMSR_F_MEM | KVMSR_F_NO_BEFORE, f_saved,
				text_saved, describe_saved),
	[KVMSR_EV_WARN] = TYPE("warn", F_LOADED, f_hit, text_hit, describe_hit),
	[KVMSR_EV_BUG] = TYPE("bug", F_LOADED, f_hit, text_hit, describe_hit),
	[KVMSR_EV_VM_EXIT] = TYPE("vm-exit", 0, f_none, nothing, describe_nothing),
	[KVMSR_EV_DIRECT] = TYPE("direct", F_LOADED | KVMSR_F_DIRECT_WRITE | KVMSR_F_MEM,
				 f_direct, text_direct, describe_direct),
	[KVMSR_EV_SWITCH] = TYPE("switch", F_LOADED | KVMSR_F_SW_IN | KVMSR_F_SW_PREEMPT |
				 KVMSR_F_SW_NOTIFIER | KVMSR_F_SW_KEY_KNOWN | KVMSR_F_SW_KEY_ON,
				 f_switch, text_switch, describe_switch),
	[KVMSR_EV_IOCTL] = TYPE("ioctl", 0, f_ioctl, text_ioctl, describe_ioctl),
	[KVMSR_EV_EXIT] = TYPE("exit", 0, f_exit, text_exit, describe_exit),
};

const struct ev_type *ev_type(unsigned int type)
{
	return type < KVMSR_EV__MAX && types[type].name ? &types[type] : NULL;
}

const char *event_type_name(unsigned int type)
{
	const struct ev_type *t = ev_type(type);

	return t ? t->name : "?";
}

const char *event_type_list(void)
{
	static char list[256];
	size_t n = 0;

	for (unsigned int t = 1; t < KVMSR_EV__MAX; t++)
		if (types[t].name)
			n += snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
				      n ? "," : "", types[t].name);
	return list;
}

int parse_event_types(const char *list, unsigned int *mask)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool all = !strcmp(tok, "all"), known = all;

		for (unsigned int t = 1; t < KVMSR_EV__MAX; t++) {
			if (types[t].name && (all || !strcmp(tok, types[t].name))) {
				*mask |= 1u << t;
				known = true;
			}
		}
		if (!known)
			return -1;
	}
	return *mask ? 0 : -1;
}
