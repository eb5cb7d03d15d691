/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text for a terminal.  Register names, symbols, notes and kernel releases
 * come from the kernel or from a recording that may have travelled: before
 * they reach a terminal their control characters are replaced, so a crafted
 * name cannot move the cursor, clear the screen or forge output lines.
 */
#ifndef KVMSR_TEXT_H
#define KVMSR_TEXT_H

#include <stddef.h>
#include "symbols/regnames.h"

/* @s with every control character (C0, DEL) as '?', into @buf; returns buf. */
const char *text_clean(const char *s, char *buf, size_t len);
/* The name of register @index, cleaned, into @buf. */
const char *text_reg(const struct regnames *rn, int index, char *buf, size_t len);

#endif /* KVMSR_TEXT_H */
