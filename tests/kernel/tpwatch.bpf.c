// SPDX-License-Identifier: GPL-2.0
/*
 * tpwatch, kernel half: tp_btf programs on the kernel/ series' bare
 * tracepoints (and the stock kvm_sys_access event), for the tests' oracle
 * and the "tracepoints enabled" configurations of make bench-kernel.
 *
 * Written apart from kvmsr's bpf/ on purpose: an oracle that shared kvmsr's
 * code would share its bugs.  It interprets nothing: each hit is counted
 * and, unless count_only, copied as it came into a ring buffer.
 */
#define __VMLINUX_H__		/* bpf_tracing.h: kernel names, no uapi ptrace */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tpwatch.h"

typedef _Bool bool;

/* Only the names matter: CO-RE relocates every access against the kernel's BTF. */
struct kvm {
	int userspace_pid;
} __attribute__((preserve_access_index));

struct kvm_vcpu_arch {
	__u16 sflags;
} __attribute__((preserve_access_index));

struct kvm_vcpu {
	struct kvm *kvm;
	int cpu;
	int vcpu_id;
	struct kvm_vcpu_arch arch;
} __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "GPL";

/* Set before load: count, and copy nothing. */
const volatile bool count_only;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TPW_NR);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

/* Records the ring buffer had no room for: the oracle is void if not 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20);
} records SEC(".maps");

static __always_inline void bump(void *map, __u32 key)
{
	__u64 *n = bpf_map_lookup_elem(map, &key);

	if (n)
		(*n)++;
}

/* SYSREGS_ON_CPU's bit moved, and sflags grew from u8 to u16: read it as it is. */
static __always_inline __u64 sflags_of(const struct kvm_vcpu *vcpu)
{
	__u64 v = 0;

	if (!bpf_core_field_exists(vcpu->arch.sflags))
		return 0;
	bpf_probe_read_kernel(&v, bpf_core_field_size(vcpu->arch.sflags), &vcpu->arch.sflags);
	return v;
}

static __always_inline void hit(enum tpw_event ev, const struct kvm_vcpu *vcpu, __u32 reg,
				__u64 val, __u64 aux)
{
	struct tpw_record *r;

	bump(&hits, ev);
	if (count_only)
		return;
	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		bump(&dropped, 0);
		return;
	}
	r->event = ev;
	r->cpu = bpf_get_smp_processor_id();
	r->pid = vcpu ? BPF_CORE_READ(vcpu, kvm, userspace_pid) : 0;
	r->vcpu_id = vcpu ? BPF_CORE_READ(vcpu, vcpu_id) : -1;
	r->reg = reg;
	r->val = val;
	r->aux = aux;
	bpf_ringbuf_submit(r, 0);
}

SEC("tp_btf/kvm_vcpu_load_tp")
int BPF_PROG(load, struct kvm_vcpu *vcpu)
{
	hit(TPW_LOAD, vcpu, 0, 0, sflags_of(vcpu));
	return 0;
}

SEC("tp_btf/kvm_vcpu_put_tp")
int BPF_PROG(put, struct kvm_vcpu *vcpu)
{
	hit(TPW_PUT, vcpu, 0, 0, sflags_of(vcpu));
	return 0;
}

SEC("tp_btf/kvm_vcpu_read_sys_reg_tp")
int BPF_PROG(read, struct kvm_vcpu *vcpu, int reg, __u64 val, int loc)
{
	hit(TPW_READ, vcpu, reg, val, (__u32)loc);
	return 0;
}

SEC("tp_btf/kvm_vcpu_write_sys_reg_tp")
int BPF_PROG(write, struct kvm_vcpu *vcpu, int reg, __u64 val, int loc)
{
	hit(TPW_WRITE, vcpu, reg, val, (__u32)loc);
	return 0;
}

SEC("tp_btf/kvm_vcpu_sys_reg_direct_tp")
int BPF_PROG(direct, struct kvm_vcpu *vcpu, int reg, bool is_write, unsigned long ip)
{
	hit(TPW_DIRECT, vcpu, reg, ip, is_write);
	return 0;
}

/* A stock trace event (trace_handle_exit.h): one per trapped sysreg access. */
SEC("tp_btf/kvm_sys_access")
int BPF_PROG(sys_access, unsigned long vcpu_pc)
{
	hit(TPW_SYS_ACCESS, 0, 0, vcpu_pc, 0);
	return 0;
}
