// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hold: create one KVM VM and keep it until killed.
 *
 * An experiment for tests/flight/repro.sh (FR_HOLD=1): KVM enables the
 * kernel's preempt_notifier_key when the first VM is created and disables
 * it when the last one is destroyed, re-patching the static branches that
 * guard kvm_sched_out/kvm_sched_in each time.  With one VM held for the
 * whole boot the key never flips, and those code sites are never rewritten
 * while the selftests run.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm;

	if (kvm < 0) {
		perror("kvm_hold: /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("kvm_hold: KVM_CREATE_VM");
		return 1;
	}
	printf("kvm_hold: holding VM fd %d\n", vm);
	fflush(stdout);
	for (;;)
		pause();
}
