/* SPDX-License-Identifier: GPL-2.0 */
/* What kind of host this is: kernel, arch, BTF, KVM mode. */
#ifndef KVMSR_SYSINFO_H
#define KVMSR_SYSINFO_H

#include <stdbool.h>

enum kvm_mode {
	KVM_MODE_UNKNOWN,
	KVM_MODE_NONE,		/* no KVM on this host */
	KVM_MODE_VHE,
	KVM_MODE_NVHE,
	KVM_MODE_HVHE,
	KVM_MODE_PROTECTED,
};

struct sysinfo {
	char release[65];
	char machine[65];
	bool btf;		/* /sys/kernel/btf/vmlinux */
	bool dev_kvm;
	enum kvm_mode mode;
	char mode_source[160];	/* how the mode was found */
};

void sysinfo_read(struct sysinfo *si);
const char *kvm_mode_name(enum kvm_mode m);
/* Does this mode defer EL1 sysregs to vcpu_load/put? Only VHE does. */
bool kvm_mode_defers(enum kvm_mode m);

/* Parse the mode out of a kernel log line / command line (unit-testable). */
enum kvm_mode kvm_mode_from_log_line(const char *line);
enum kvm_mode kvm_mode_from_cmdline(const char *cmdline);

#endif /* KVMSR_SYSINFO_H */
