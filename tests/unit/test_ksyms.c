// SPDX-License-Identifier: GPL-2.0
/* Symbol names for stack frames and WARN callers (ksyms.c). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "symbols/ksyms.h"
#include "unit.h"

TEST(aliases_are_named_like_the_kernel_names_them)
{
	char path[] = "/tmp/kvmsr-ksyms-XXXXXX", buf[64];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct ksyms ks;

	/* kallsyms order, not address order; data symbols are ignored. */
	fputs("ffff800080002000 T lkdtm_WARNING\n"
	      "ffff8000805eb688 T __switch_to\n"
	      "ffff8000805eb688 T __sched_text_start\n"
	      "ffff8000805eb700 D some_data\n"
	      "ffff8000805eb800 t next_func\n", f);
	fclose(f);
	CHECK(ksyms_load(&ks, path) == 0);
	unlink(path);
	CHECK_EQ(ks.nr, 4);
	CHECK_STR(ksyms_name(&ks, 0xffff8000805eb794ULL, buf, sizeof(buf)), "__switch_to+0x10c");
	CHECK_STR(ksyms_name(&ks, 0xffff800080002024ULL, buf, sizeof(buf)), "lkdtm_WARNING+0x24");
	CHECK_STR(ksyms_name(&ks, 0xffff8000805eb800ULL, buf, sizeof(buf)), "next_func+0");
	CHECK_STR(ksyms_name(&ks, 0x1000, buf, sizeof(buf)), "0x1000");
	ksyms_free(&ks);
}
