// SPDX-License-Identifier: GPL-2.0
/* Terminal-safe strings (text.h). */
#include <stdio.h>
#include "output/text.h"

const char *text_clean(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	if (!len)
		return buf;
	for (; s && s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

const char *text_reg(const struct regnames *rn, int index, char *buf, size_t len)
{
	char raw[64];

	return text_clean(regnames_get(rn, index, raw, sizeof(raw)), buf, len);
}
