// SPDX-License-Identifier: GPL-2.0
/* Host facts for `check` and the run header (sysinfo.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/utsname.h>
#include "probe/sysinfo.h"

const char *kvm_mode_name(enum kvm_mode m)
{
	static const char *const names[] = {
		[KVM_MODE_UNKNOWN] = "unknown", [KVM_MODE_NONE] = "none",
		[KVM_MODE_VHE] = "VHE", [KVM_MODE_NVHE] = "nVHE",
		[KVM_MODE_HVHE] = "hVHE", [KVM_MODE_PROTECTED] = "protected",
	};
	return names[m];
}

bool kvm_mode_defers(enum kvm_mode m)
{
	return m == KVM_MODE_VHE;
}

/*
 * arch/arm64/kvm/arm.c logs one of "VHE mode initialized successfully",
 * "Hyp mode initialized successfully" (nVHE), "Hyp nVHE mode ...",
 * "Hyp hVHE mode ..." or "Protected nVHE/hVHE mode ..." depending on version.
 */
enum kvm_mode kvm_mode_from_log_line(const char *line)
{
	if (!strstr(line, "mode initialized successfully"))
		return KVM_MODE_UNKNOWN;
	if (strstr(line, "Protected"))
		return KVM_MODE_PROTECTED;
	if (strstr(line, "hVHE"))
		return KVM_MODE_HVHE;
	if (strstr(line, "nVHE") || strstr(line, "Hyp mode"))
		return KVM_MODE_NVHE;
	if (strstr(line, "VHE mode"))
		return KVM_MODE_VHE;
	return KVM_MODE_UNKNOWN;
}

enum kvm_mode kvm_mode_from_cmdline(const char *cmdline)
{
	if (strstr(cmdline, "kvm-arm.mode=none"))
		return KVM_MODE_NONE;
	if (strstr(cmdline, "kvm-arm.mode=protected"))
		return KVM_MODE_PROTECTED;
	if (strstr(cmdline, "kvm-arm.mode=nvhe"))
		return strstr(cmdline, "arm64_sw.hvhe=1") ? KVM_MODE_HVHE : KVM_MODE_NVHE;
	return KVM_MODE_UNKNOWN;
}

static enum kvm_mode mode_from_klog(void)
{
	enum kvm_mode m = KVM_MODE_UNKNOWN;
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save = NULL;

	if (len <= 0 || !(buf = malloc(len + 1)))
		return m;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len > 0) {
		buf[len] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (strstr(line, "kvm") && kvm_mode_from_log_line(line) != KVM_MODE_UNKNOWN)
				m = kvm_mode_from_log_line(line);
	}
	free(buf);
	return m;
}

void sysinfo_read(struct sysinfo *si)
{
	struct utsname u;
	char cmdline[4096] = "";
	FILE *f;

	memset(si, 0, sizeof(*si));
	if (!uname(&u)) {
		snprintf(si->release, sizeof(si->release), "%s", u.release);
		snprintf(si->machine, sizeof(si->machine), "%s", u.machine);
	}
	si->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	si->dev_kvm = access("/dev/kvm", F_OK) == 0;
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	si->mode = mode_from_klog();
	if (si->mode != KVM_MODE_UNKNOWN) {
		snprintf(si->mode_source, sizeof(si->mode_source), "kernel log");
		return;
	}
	si->mode = kvm_mode_from_cmdline(cmdline);
	if (si->mode != KVM_MODE_UNKNOWN) {
		snprintf(si->mode_source, sizeof(si->mode_source), "kernel command line");
		return;
	}
	if (!si->dev_kvm) {
		si->mode = KVM_MODE_NONE;
		snprintf(si->mode_source, sizeof(si->mode_source), "no /dev/kvm");
		return;
	}
	snprintf(si->mode_source, sizeof(si->mode_source),
		 "kernel log rotated and no kvm-arm.mode=: learned when a vCPU loads");
}
