// SPDX-License-Identifier: GPL-2.0
/* Finding output for trace and stat (finding_fmt.h). */
#include <string.h>
#include "output/finding_fmt.h"

bool frame_is_plumbing(const char *frame)
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

/* Why a mismatch is only a suspect, in words (docs/detection.md). */
static const char *doubt_text(const struct finding *f, char *buf, size_t len)
{
	unsigned long long diff = f->value ^ f->saved;

	if (f->doubt == DOUBT_CPU_OWNED)
		return "the register's contents are IMPLEMENTATION DEFINED or written by the "
		       "CPU itself";
	snprintf(buf, len, "they differ only in bits %#llx, which this CPU was never seen to "
		 "hold both as 0 and as 1 (bits held: %#llx): RES0/RES1 or write-ignored bits "
		 "the CPU dropped, or a write KVM lost", diff, (unsigned long long)f->held);
	return buf;
}

void finding_proof(const struct finding *f, const struct regnames *rn, char *buf, size_t len)
{
	char rb[32];
	const char *reg = f->reg >= 0 ? regnames_get(rn, f->reg, rb, sizeof(rb)) : "";
	unsigned long long v = f->value, s = f->saved;
	char mem[48] = "", held[192];

	if (f->before_known)
		snprintf(mem, sizeof(mem), " (memory held %#llx)", (unsigned long long)f->before);

	switch (f->kind) {
	case FIND_STALE_READ:
		snprintf(buf, len, "vcpu_read_sys_reg(%s) returned %#llx%s while the sysregs "
			 "were on the CPU, but the put that ended the interval saved %#llx from "
			 "the CPU%s; nothing could change the CPU's %s in between (no accessor "
			 "write, %llu guest entries all with TVM trapping it)",
			 reg, v, f->exact ? " from memory (says its tracepoint)" : "", s, mem,
			 reg, (unsigned long long)f->guarded_entries);
		break;
	case FIND_LOST_WRITE:
		if (f->exact)
			snprintf(held, sizeof(held), " went to memory only (says its tracepoint)");
		else
			snprintf(held, sizeof(held), " (it differs from what the put saved in bits "
				 "%#llx, which this CPU has held both as 0 and as 1)",
				 (v ^ s) & (unsigned long long)f->held);
		snprintf(buf, len, "vcpu_write_sys_reg(%s, %#llx) while the sysregs were on the "
			 "CPU%s, but the put that ended the interval saved %#llx from the CPU%s: "
			 "the write never reached the CPU (no later accessor write, %llu guest "
			 "entries all with TVM trapping it)",
			 reg, v, held, s, mem, (unsigned long long)f->guarded_entries);
		break;
	case FIND_SUSPECT_STALE_READ:
	case FIND_SUSPECT_LOST_WRITE:
		snprintf(buf, len, "vcpu_%s_sys_reg(%s) %s %#llx while the sysregs were on the CPU, "
			 "and the put that ended the interval saved %#llx from the CPU%s; not "
			 "proven: %s", f->kind == FIND_SUSPECT_LOST_WRITE ? "write" : "read", reg,
			 f->kind == FIND_SUSPECT_LOST_WRITE ? "wrote" : "returned", v, s, mem,
			 doubt_text(f, held, sizeof(held)));
		break;
	case FIND_DIRECT_ACCESS:
		snprintf(buf, len, "the memory copy of %s was %s directly (at %#llx) while "
			 "the vCPU was loaded and the accessors would use the CPU's %s "
			 "(kvm_vcpu_sys_reg_direct)%s", reg, f->is_write ? "written" : "read", v,
			 reg, mem);
		break;
	case FIND_SUSPECT:
		snprintf(buf, len, "%llu reads of %s while loaded returned exactly the memory copy, "
			 "and %s is deferred (the put wrote it back); whether memory or the CPU "
			 "served them cannot be proven", (unsigned long long)f->count, reg, reg);
		break;
	case FIND_WARN:
	case FIND_BUG:
		if (f->vcpu_loaded)
			snprintf(buf, len, "%s while vCPU %d of VM %u was loaded on CPU %u: "
				 "attributed to KVM", f->kind == FIND_WARN ? "WARN" : "BUG",
				 f->vcpu_id, f->pid, f->cpu);
		else
			snprintf(buf, len, "%s on CPU %u with no vCPU loaded there (outside KVM), "
				 "task of process %u", f->kind == FIND_WARN ? "WARN" : "BUG", f->cpu,
				 f->pid);
		break;
	case FIND_DOUBLE_LOAD:
		snprintf(buf, len, "vCPU loaded on CPU %u while still loaded since CPU %u: no put "
			 "in between%s", f->cpu, f->other_cpu,
			 f->cpu != f->other_cpu ? " (loaded on two CPUs)" : "");
		break;
	case FIND_ORPHAN_PUT:
		snprintf(buf, len, "vCPU put on CPU %u without a load seen since tracing began",
			 f->cpu);
		break;
	case FIND_OPEN_AT_EXIT:
		snprintf(buf, len, "the VM was destroyed while this vCPU was still loaded on CPU "
			 "%u: its loaded interval never closed", f->other_cpu);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static const char *strength(enum finding_kind k)
{
	if (finding_is_confirmed(k))
		return "confirmed";
	if (finding_is_suspect(k))
		return "suspect";
	if (k == FIND_WARN || k == FIND_BUG)
		return "hit";
	return "imbalance";
}

void format_finding_text(FILE *out, const struct finding *f, const struct regnames *rn,
			 const char *const *frames, int nframes)
{
	char proof[512], rb[32];

	finding_proof(f, rn, proof, sizeof(proof));
	fprintf(out, "FINDING %s %s", strength(f->kind), finding_kind_name(f->kind));
	if (f->vcpu_id >= 0)
		fprintf(out, " vm %u vcpu %d", f->pid, f->vcpu_id);
	if (f->reg >= 0)
		fprintf(out, " %s", regnames_get(rn, f->reg, rb, sizeof(rb)));
	fprintf(out, ": %s\n", proof);
	for (int i = 0; i < nframes; i++)
		fprintf(out, "    %s %s\n", i ? "<-" : "at", frames[i]);
}

void json_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void format_finding_json(FILE *out, const struct finding *f, const struct regnames *rn,
			 const char *const *frames, int nframes)
{
	char proof[512], rb[32];

	finding_proof(f, rn, proof, sizeof(proof));
	fprintf(out, "{\"event\":\"finding\",\"kind\":\"%s\",\"strength\":\"%s\",\"ts_ns\":%llu,"
		"\"pid\":%u,\"vcpu\":%d,\"cpu\":%u", finding_kind_name(f->kind), strength(f->kind),
		(unsigned long long)f->ts_ns, f->pid, f->vcpu_id, f->cpu);
	if (f->reg >= 0)
		fprintf(out, ",\"reg\":\"%s\"", regnames_get(rn, f->reg, rb, sizeof(rb)));
	switch (f->kind) {
	case FIND_STALE_READ:
	case FIND_LOST_WRITE:
	case FIND_SUSPECT_STALE_READ:
	case FIND_SUSPECT_LOST_WRITE:
		fprintf(out, ",\"value\":\"%#llx\",\"saved\":\"%#llx\"",
			(unsigned long long)f->value, (unsigned long long)f->saved);
		if (f->before_known)
			fprintf(out, ",\"memory_before_put\":\"%#llx\"",
				(unsigned long long)f->before);
		fprintf(out, ",\"guarded_entries\":%llu,\"served_from_memory\":\"%s\"",
			(unsigned long long)f->guarded_entries,
			f->exact ? "tracepoint" : "inferred");
		if (!f->exact)
			fprintf(out, ",\"held_bits\":\"%#llx\"", (unsigned long long)f->held);
		if (f->doubt)
			fprintf(out, ",\"doubt\":\"%s\"", finding_doubt_name(f->doubt));
		break;
	case FIND_DIRECT_ACCESS:
		fprintf(out, ",\"is_write\":%s,\"caller\":\"%#llx\"",
			f->is_write ? "true" : "false", (unsigned long long)f->value);
		if (f->before_known)
			fprintf(out, ",\"memory\":\"%#llx\"", (unsigned long long)f->before);
		break;
	case FIND_SUSPECT:
		fprintf(out, ",\"count\":%llu", (unsigned long long)f->count);
		break;
	case FIND_WARN:
	case FIND_BUG:
		fprintf(out, ",\"address\":\"%#llx\",\"vcpu_loaded\":%s",
			(unsigned long long)f->value, f->vcpu_loaded ? "true" : "false");
		break;
	case FIND_DOUBLE_LOAD:
	case FIND_OPEN_AT_EXIT:
		fprintf(out, ",\"loaded_cpu\":%u", f->other_cpu);
		break;
	default:
		break;
	}
	fprintf(out, ",\"stack\":[");
	for (int i = 0; i < nframes; i++) {
		if (i)
			fputc(',', out);
		json_escaped(out, frames[i]);
	}
	fprintf(out, "],\"proof\":");
	json_escaped(out, proof);
}
