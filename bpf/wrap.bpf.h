/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every program is a thin wrapper (after bcc libbpf-tools' fsslower.bpf.c:
 * one body, a wrapper per attach type): its section, its name, the
 * arguments its kind unpacks, and one call of a shared body.
 */
#ifndef KVMSR_WRAP_BPF_H
#define KVMSR_WRAP_BPF_H

/*
 * @kind: BPF_PROG (fentry, fexit, tp_btf), BPF_KPROBE or BPF_KRETPROBE;
 * the arguments after @call are the ones @kind unpacks, by name, for @call.
 */
#define THIN_PROG(kind, sec, name, call, ...)	\
	SEC(sec)				\
	int kind(name, ##__VA_ARGS__)		\
	{					\
		call;				\
		return 0;			\
	}

#endif /* KVMSR_WRAP_BPF_H */
