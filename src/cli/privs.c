// SPDX-License-Identifier: GPL-2.0
/* Least privilege once attached (privs.h). */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "cli/privs.h"

/* capget/capset directly: no libcap for two system calls. */
static int caps(int nr, struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(nr, &h, d) ? -errno : 0;
}

int privs_keep_only(uint64_t keep)
{
	struct __user_cap_data_struct d[2];
	int e;

	e = caps(SYS_capget, d);
	if (e)
		return e;
	for (int i = 0; i < 2; i++) {
		uint32_t k = keep >> (32 * i);

		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable = 0;
	}
	/* Ambient capabilities first: they would survive an exec. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	e = caps(SYS_capset, d);
	if (e)
		return e;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
}

uint64_t privs_effective(void)
{
	struct __user_cap_data_struct d[2];

	if (caps(SYS_capget, d))
		return 0;
	return (uint64_t)d[1].effective << 32 | d[0].effective;
}
