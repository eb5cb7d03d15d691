/* SPDX-License-Identifier: GPL-2.0 */
/* One event as a text line or an NDJSON object. */
#ifndef KVMSR_FORMAT_H
#define KVMSR_FORMAT_H

#include <stdint.h>
#include <stdio.h>
#include "kvmsr_event.h"
#include "symbols/regnames.h"

const char *event_type_name(unsigned int type);
/* The name of a vCPU ioctl command ("KVM_RUN"), NULL if not known. */
const char *vcpu_ioctl_name(uint32_t cmd);
/* Parse "load,put,read" into a bitmask of (1 << KVMSR_EV_*); -1 on error. */
int parse_event_types(const char *list, unsigned int *mask);

/* "memory", or the KVMSR_LOC_* bits as "loaded|mapped|translated|special". */
const char *loc_name(unsigned int loc, char *buf, size_t len);

void format_header(FILE *f);
void format_event_text(FILE *f, const struct kvmsr_event *e, const struct regnames *rn,
		       unsigned long long t0_ns);
void format_event_json(FILE *f, const struct kvmsr_event *e, const struct regnames *rn);

#endif /* KVMSR_FORMAT_H */
