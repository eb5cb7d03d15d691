// SPDX-License-Identifier: GPL-2.0
/*
 * runas UID CAP[,CAP...] PROG [ARG...]: run PROG as UID (and GID UID, no
 * supplementary groups) with exactly these capabilities, by number, in the
 * permitted, effective, inheritable and ambient sets: what systemd's
 * User= and AmbientCapabilities= give a service (tests/serve/privs-test.sh;
 * busybox's setpriv cannot change the uid).  CAP "none": no capability.
 */
#define _GNU_SOURCE	/* setresuid */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static void die(const char *what)
{
	fprintf(stderr, "runas: %s: %s\n", what, strerror(errno));
	exit(127);
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	unsigned long uid, caps[64];
	int n = 0;
	char *s, *tok;

	if (argc < 4) {
		fprintf(stderr, "usage: runas UID CAP[,CAP...]|none PROG [ARG...]\n");
		return 2;
	}
	uid = strtoul(argv[1], NULL, 10);
	for (s = argv[2]; strcmp(argv[2], "none") && (tok = strtok(s, ",")) && n < 64; s = NULL)
		caps[n++] = strtoul(tok, NULL, 10);
	/* Keep the permitted set across the uid change; ambient is set after it. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) ||
	    setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		die("dropping to the uid");
	for (int i = 0; i < n; i++) {
		d[caps[i] / 32].permitted |= 1u << (caps[i] % 32);
		d[caps[i] / 32].effective |= 1u << (caps[i] % 32);
		d[caps[i] / 32].inheritable |= 1u << (caps[i] % 32);
	}
	if (syscall(SYS_capset, &h, d))
		die("capset");
	for (int i = 0; i < n; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, caps[i], 0, 0))
			die("raising an ambient capability");
	execvp(argv[3], argv + 3);
	die(argv[3]);
}
