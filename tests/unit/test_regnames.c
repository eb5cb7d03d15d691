// SPDX-License-Identifier: GPL-2.0
/*
 * Register naming on BTF carved from Debian's arm64 kernels (the test bed's
 * cache).  The expected indices were obtained independently, by compiling
 * each version's own enum vcpu_sysreg with gcc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "symbols/regnames.h"
#include "unit.h"

struct expect {
	const char *series;
	int sctlr, ttbr0, tcr, mair;
};

static void check_series(const struct expect *x)
{
	struct regnames rn;
	char path[4200], buf[32];
	int err;

	snprintf(path, sizeof(path), "%s/%s/btf", unit_kernel_dir(), x->series);
	if (access(path, R_OK)) {
		char why[4400];

		/* The test bed's kernels: `make deps` (tests/bed/kernel.sh) fetches them. */
		snprintf(why, sizeof(why), "%s: %m; `make deps` fetches Debian's %s kernel "
			 "and its BTF (KVMSR_CACHE=%s)", path, x->series,
			 getenv("KVMSR_CACHE") ? getenv("KVMSR_CACHE") : ".cache");
		unit_skip(why);
		return;
	}
	err = regnames_load(&rn, path);
	CHECK(err == 0);
	if (err)
		return;
	CHECK_EQ(regnames_find(&rn, "SCTLR_EL1"), x->sctlr);
	CHECK_EQ(regnames_find(&rn, "TTBR0_EL1"), x->ttbr0);
	CHECK_EQ(regnames_find(&rn, "tcr"), x->tcr);
	CHECK_EQ(regnames_find(&rn, "mair_el1"), x->mair);
	CHECK(!strcmp(regnames_get(&rn, x->ttbr0, buf, sizeof(buf)), "TTBR0_EL1"));
	CHECK(regnames_find(&rn, "NO_SUCH_REG") < 0);
	/* markers such as __INVALID_SYSREG__ or __VNCR_START__ never name an index */
	for (int i = 0; i < rn.count; i++)
		CHECK(!rn.name[i] || rn.name[i][0] != '_');
	regnames_free(&rn);
}

TEST(regnames_debian_6_1)
{
	check_series(&(struct expect){ "6.1", 3, 7, 9, 14 });
}

TEST(regnames_debian_6_12)
{
	check_series(&(struct expect){ "6.12", 163, 193, 165, 169 });
}

TEST(regnames_missing_file_is_an_error)
{
	struct regnames rn;

	CHECK(regnames_load(&rn, "/nonexistent/btf") != 0);
}

TEST(regnames_debian_7_3)
{
	check_series(&(struct expect){ "7.3", 169, 199, 171, 175 });
}
