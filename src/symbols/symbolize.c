// SPDX-License-Identifier: GPL-2.0
/* Stack ids and code addresses to names (symbolize.h). */
#include <stdio.h>
#include <string.h>
#include "symbols/symbolize.h"

void sym_init(struct symbolizer *sy)
{
	memset(sy, 0, sizeof(*sy));
	vmident_init(&sy->own_vm, "/proc");
	sy->vm = &sy->own_vm;
}

void sym_use_source(struct symbolizer *sy, const struct sym_source *src)
{
	sy->src = *src;
	/* Names of the recording host's VMs, never of this host's pids. */
	sy->own_vm.proc = NULL;
}

void sym_use_vms(struct symbolizer *sy, struct vmident *vms)
{
	sy->own_vm.proc = NULL;
	sy->vm = vms;
}

void sym_use_fetch(struct symbolizer *sy, sym_fetch_fn fetch, void *ctx)
{
	sy->fetch = fetch;
	sy->fetch_ctx = ctx;
}

void sym_free(struct symbolizer *sy)
{
	ksyms_free(&sy->ks);
	sy->ks_loaded = false;
	vmident_free(&sy->own_vm);
}

/* kallsyms is large: read it when the first name is needed. */
static const struct ksyms *ksyms(struct symbolizer *sy)
{
	if (!sy->ks_loaded)
		ksyms_load(&sy->ks, NULL);	/* /proc/kallsyms */
	sy->ks_loaded = true;
	return &sy->ks;
}

void sym_preload(struct symbolizer *sy)
{
	if (!sy->src.name)
		ksyms(sy);
}

bool sym_stack(struct symbolizer *sy, int32_t id, struct sym_stack *out)
{
	uint64_t ips[SYM_STACK_DEPTH];

	if (id < 0)
		return false;
	if (sy->src.stack)
		return sy->src.stack(sy->src.ctx, id, out);
	if (!sy->fetch || !sy->fetch(sy->fetch_ctx, id, ips))
		return false;
	out->id = id;
	out->n = 0;
	for (int i = 0; i < SYM_STACK_DEPTH && ips[i]; i++) {
		out->ip[out->n] = ips[i];
		ksyms_name(ksyms(sy), ips[i], out->name[out->n], sizeof(out->name[0]));
		out->n++;
	}
	return true;
}

void sym_name(struct symbolizer *sy, uint64_t ip, char *buf, size_t len)
{
	if (sy->src.name) {
		if (!sy->src.name(sy->src.ctx, ip, buf, len))
			snprintf(buf, len, "%#llx", (unsigned long long)ip);
		return;
	}
	ksyms_name(ksyms(sy), ip, buf, len);
}

bool sym_is_plumbing(const char *frame)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf_", "kprobe", "__kprobe", "kretprobe", "arch_rethook",
		"rethook", "trampoline_probe", "ftrace", "0x",
		/* bpf_get_task_stack() walks from itself, tracepoints add their own */
		"arch_stack_walk", "stack_trace_save", "get_callchain", "__traceiter_",
		"trace_call_bpf", "perf_", NULL,
	};

	for (const char *const *p = prefixes; *p; p++)
		if (!strncmp(frame, *p, strlen(*p)))
			return true;
	return false;
}
