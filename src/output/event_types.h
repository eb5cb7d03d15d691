/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of event types: per KVMSR_EV_* its name, the flag bits it
 * may carry, the fields it carries (JSON keys, Perfetto args), its columns
 * on a `trace` line and its one-line description in a finding's context.
 * Every output consults it; adding an event type is one entry here plus the
 * analyzer's rule (analysis/analyzer.c).
 */
#ifndef KVMSR_EVENT_TYPES_H
#define KVMSR_EVENT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvmsr_event.h"
#include "symbols/regnames.h"
#include "symbols/symbolize.h"

/* Where a field's value is in struct kvmsr_event, and how it reads. */
enum ev_fmt {
	EVF_HEX,	/* "0x..." */
	EVF_U64,
	EVF_BOOL,	/* flags & bit */
	EVF_REG,	/* the register: "reg" name and "reg_index" */
	EVF_TRAPREG,	/* a trapped register's encoding: "reg" name and "reg_enc" */
	EVF_LOC,	/* loc as "memory" or "loaded|mapped|..." */
	EVF_IOCTL,	/* val as a vCPU ioctl name, absent if unknown */
	EVF_DIR,	/* "in" if flags & bit, else "out" */
	EVF_VIA,	/* "switch" if flags & bit, else "ioctl" (KVMSR_F_VIA_*) */
};

enum ev_src { EVS_VAL, EVS_AUX, EVS_REG, EVS_FLAGS, EVS_LOC };

struct ev_field {
	const char *key;
	uint8_t key_len;	/* strlen(key), known at compile time */
	uint8_t src;		/* enum ev_src */
	uint8_t fmt;		/* enum ev_fmt */
	uint8_t bit;		/* EVF_BOOL, EVF_DIR, EVF_VIA: the flag */
	uint8_t need;		/* present only if all of these flags are set */
	uint8_t unless;		/* ... and none of these */
};

/* A `trace` line's columns (format: event_fmt.c). */
struct ev_text {
	char reg[48];		/* REGISTER */
	char val[32];		/* VALUE */
	char state[64];		/* LOADED */
	char served[32];	/* SERVED ("" if not known) */
};

enum ev_timeline { EVT_NONE, EVT_BEGIN, EVT_END, EVT_INSTANT };

struct ev_type {
	const char *name;
	uint8_t flags;		/* the KVMSR_F_* bits this type may carry */
	const struct ev_field *fields;	/* after ts_ns, event, cpu, pid, tid, vcpu */
	void (*text)(const struct kvmsr_event *e, const struct regnames *rn, struct ev_text *t);
	/* In a few words, for a finding's context (@sy names WARN/BUG addresses). */
	void (*describe)(const struct kvmsr_event *e, const struct regnames *rn,
			 struct symbolizer *sy, char *buf, size_t len);
	uint8_t timeline;	/* enum ev_timeline: a Perfetto slice begins/ends, or an instant */
	const char *timeline_name;	/* the instant's name; NULL: "<name> <register>" */
	const char *timeline_cat;	/* the instant's category */
};

/* The entry of @type, NULL for an unknown (or retired) type. */
const struct ev_type *ev_type(unsigned int type);
const char *event_type_name(unsigned int type);
/* Parse "load,put,read" or "all" into a bitmask of (1 << KVMSR_EV_*); -1 on error. */
int parse_event_types(const char *list, unsigned int *mask);
/* "load,put,...,exit": the names --events takes, in order. */
const char *event_type_list(void);
/* The name of a vCPU ioctl command ("KVM_RUN"), NULL if not known. */
const char *vcpu_ioctl_name(uint32_t cmd);

/* Is field @f present in @e (its flag conditions)? */
static inline bool ev_field_present(const struct ev_field *f, const struct kvmsr_event *e)
{
	if ((e->flags & f->need) != f->need || (e->flags & f->unless))
		return false;
	return f->fmt != EVF_IOCTL || vcpu_ioctl_name(e->val);
}

/* The field's raw value. */
static inline uint64_t ev_field_value(const struct ev_field *f, const struct kvmsr_event *e)
{
	switch (f->src) {
	case EVS_VAL: return e->val;
	case EVS_AUX: return e->aux;
	case EVS_REG: return e->reg;
	case EVS_LOC: return e->loc;
	default: return !!(e->flags & f->bit);
	}
}

/*
 * The name of the register @e is about, as the kernel gives it (clean it
 * for a terminal): its slot's, or for a trap without one its descriptor's
 * without "SYS_", else its encoding (S3_4_C1_C1_1); NULL if @e names none
 * (a trap recorded before ABI 5, by neither).
 */
const char *ev_reg_name(const struct kvmsr_event *e, const struct regnames *rn, char *buf,
			size_t len);

/* "memory", or the KVMSR_LOC_* bits as "loaded|mapped|translated|special". */
const char *loc_name(unsigned int loc, char *buf, size_t len);

#endif /* KVMSR_EVENT_TYPES_H */
