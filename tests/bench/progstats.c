// SPDX-License-Identifier: GPL-2.0
/*
 * progstats - every loaded BPF program's runs and run time, one line each:
 *
 *	prog-stats prog=NAME run_cnt=N run_time_ns=T misses=M
 *
 * the format kvmsr prints with KVMSR_PROG_STATS=1, so that make bench reads
 * bpftrace's programs the same way (the test bed has no bpftool).  The
 * kernel counts run time only while kernel.bpf_stats_enabled is 1.  Raw
 * bpf(2) calls: a static binary with no libbpf.  NAME is the kernel's copy,
 * cut to 15 characters.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

static long bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

/* One program by id: its line, or nothing if it went away meanwhile. */
static void print_prog(uint32_t id)
{
	struct bpf_prog_info info;
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	fd = bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	if (!bpf(BPF_OBJ_GET_INFO_BY_FD, &a))
		printf("prog-stats prog=%s run_cnt=%llu run_time_ns=%llu misses=%llu\n",
		       info.name[0] ? info.name : "?", (unsigned long long)info.run_cnt,
		       (unsigned long long)info.run_time_ns,
		       (unsigned long long)info.recursion_misses);
	close(fd);
}

int main(void)
{
	union bpf_attr a;
	uint32_t id = 0;

	for (;;) {
		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (bpf(BPF_PROG_GET_NEXT_ID, &a))
			break;
		id = a.next_id;
		print_prog(id);
	}
	return 0;
}
