// SPDX-License-Identifier: GPL-2.0
/* Symbol names for stack frames and WARN callers (ksyms.c). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "symbols/ksyms.h"
#include "unit.h"

/* @text as a kallsyms file at @path (a mkstemp template). */
static void kallsyms_file(char *path, const char *text)
{
	FILE *f = fdopen(mkstemp(path), "w");

	fputs(text, f);
	fclose(f);
}

TEST(aliases_are_named_like_the_kernel_names_them)
{
	char path[] = "/tmp/kvmsr-ksyms-XXXXXX", buf[64];
	struct ksyms ks;

	/* kallsyms order, not address order; data symbols are ignored. */
	kallsyms_file(path, "ffff800080002000 T lkdtm_WARNING\n"
		      "ffff8000805eb688 T __switch_to\n"
		      "ffff8000805eb688 T __sched_text_start\n"
		      "ffff8000805eb700 D some_data\n"
		      "ffff8000805eb800 t next_func\n");
	CHECK(ksyms_load(&ks, path) == 0);
	unlink(path);
	CHECK_EQ(ks.nr, 4);
	CHECK_STR(ksyms_name(&ks, 0xffff8000805eb794ULL, buf, sizeof(buf)), "__switch_to+0x10c");
	CHECK_STR(ksyms_name(&ks, 0xffff800080002024ULL, buf, sizeof(buf)), "lkdtm_WARNING+0x24");
	CHECK_STR(ksyms_name(&ks, 0xffff8000805eb800ULL, buf, sizeof(buf)), "next_func+0");
	CHECK_STR(ksyms_name(&ks, 0x1000, buf, sizeof(buf)), "0x1000");
	ksyms_free(&ks);
}

TEST(module_symbols_out_of_order_are_sorted_and_their_module_dropped)
{
	char path[] = "/tmp/kvmsr-ksyms-XXXXXX", buf[64];
	struct ksyms ks;

	kallsyms_file(path, "ffff800080002000 T _text\n"
		      "ffff800080003000 T vcpu_load\n"
		      "not a kallsyms line\n"
		      "ffff80007a001000 t kvm_mod_func\t[kvm]\n"
		      "ffff80007a000000 t other_mod_func\t[kvm]\n");
	CHECK(ksyms_load(&ks, path) == 0);
	CHECK(ksyms_addr_of(path, "kvm_mod_func") == 0xffff80007a001000ULL);
	CHECK(ksyms_addr_of(path, "kvm_mod") == 0);
	unlink(path);
	CHECK_EQ(ks.nr, 4);
	CHECK_STR(ksyms_name(&ks, 0xffff80007a001010ULL, buf, sizeof(buf)), "kvm_mod_func+0x10");
	CHECK_STR(ksyms_name(&ks, 0xffff80007a000004ULL, buf, sizeof(buf)), "other_mod_func+0x4");
	CHECK_STR(ksyms_name(&ks, 0xffff800080003008ULL, buf, sizeof(buf)), "vcpu_load+0x8");
	ksyms_free(&ks);
}
