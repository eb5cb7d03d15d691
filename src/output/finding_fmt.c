// SPDX-License-Identifier: GPL-2.0
/* Findings as text blocks and JSON objects (finding_fmt.h). */
#include <string.h>
#include "output/context_fmt.h"
#include "output/finding_fmt.h"
#include "output/text.h"

#define MAX_FRAMES ((int)(sizeof(((struct finding_frames *)0)->name) / SYM_NAME_LEN))

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

/* A read or write that disagrees with what the put saved from the CPU. */
static void proof_mismatch(const struct finding *f, const char *reg, char *buf, size_t len)
{
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
	default:	/* the suspect ones */
		snprintf(buf, len, "vcpu_%s_sys_reg(%s) %s %#llx while the sysregs were on the CPU, "
			 "and the put that ended the interval saved %#llx from the CPU%s; not "
			 "proven: %s", f->kind == FIND_SUSPECT_LOST_WRITE ? "write" : "read", reg,
			 f->kind == FIND_SUSPECT_LOST_WRITE ? "wrote" : "returned", v, s, mem,
			 doubt_text(f, held, sizeof(held)));
	}
}

/* A WARN or BUG, and whether a vCPU was loaded where it fired. */
static void proof_hit(const struct finding *f, char *buf, size_t len)
{
	const char *what = f->kind == FIND_WARN ? "WARN" : "BUG";

	if (f->vcpu_loaded)
		snprintf(buf, len, "%s while vCPU %d of VM %u was loaded on CPU %u: "
			 "attributed to KVM", what, f->vcpu_id, f->pid, f->cpu);
	else
		snprintf(buf, len, "%s on CPU %u with no vCPU loaded there (outside KVM), "
			 "task of process %u", what, f->cpu, f->pid);
}

void finding_proof(const struct finding *f, const struct regnames *rn, char *buf, size_t len)
{
	char rb[48], mem[48] = "";
	const char *reg = f->reg >= 0 ? text_reg(rn, f->reg, rb, sizeof(rb)) : "";

	switch (f->kind) {
	case FIND_STALE_READ:
	case FIND_LOST_WRITE:
	case FIND_SUSPECT_STALE_READ:
	case FIND_SUSPECT_LOST_WRITE:
		proof_mismatch(f, reg, buf, len);
		break;
	case FIND_DIRECT_ACCESS:
		if (f->before_known)
			snprintf(mem, sizeof(mem), " (memory held %#llx)",
				 (unsigned long long)f->before);
		snprintf(buf, len, "the memory copy of %s was %s directly (at %#llx) while "
			 "the vCPU was loaded and the accessors would use the CPU's %s "
			 "(kvm_vcpu_sys_reg_direct_tp)%s", reg, f->is_write ? "written" : "read",
			 (unsigned long long)f->value, reg, mem);
		break;
	case FIND_SUSPECT:
		snprintf(buf, len, "%llu reads of %s while loaded returned exactly the memory copy, "
			 "and %s is deferred (the put wrote it back); whether memory or the CPU "
			 "served them cannot be proven", (unsigned long long)f->count, reg, reg);
		break;
	case FIND_WARN:
	case FIND_BUG:
		proof_hit(f, buf, len);
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

const char *finding_strength(enum finding_kind k)
{
	if (finding_is_confirmed(k))
		return "confirmed";
	if (finding_is_suspect(k))
		return "suspect";
	if (k == FIND_WARN || k == FIND_BUG)
		return "hit";
	return "imbalance";
}

/* A WARN's or BUG's faulting address, a direct access's caller: where its stack begins. */
static uint64_t anchor(const struct finding *f)
{
	bool anchored = f->kind == FIND_WARN || f->kind == FIND_BUG ||
			f->kind == FIND_DIRECT_ACCESS;

	return anchored ? f->value : 0;
}

/*
 * The frames to show, innermost first, into @fr.  The walk starts inside
 * kvmsr's own BPF program: begin at the anchor when the stack holds it,
 * else after the plumbing frames on top.  A WARN's caller comes first when
 * the stack lacks it.
 */
static int frames_of(const struct finding *f, struct symbolizer *sy, struct finding_frames *fr)
{
	static struct sym_stack st;
	uint64_t start = anchor(f);
	int n = 0, i = 0;
	bool top = true;

	if (f->kind == FIND_WARN && f->value)
		sym_name(sy, f->value, fr->name[n++], sizeof(fr->name[0]));
	if (!sym_stack(sy, f->stack_id, &st))
		return fr->n = n;
	for (int j = 0; start && j < st.n; j++) {
		if (st.ip[j] == start) {
			i = j;
			top = false;
			break;
		}
	}
	for (; i < st.n && n < MAX_FRAMES; i++) {
		if (top && sym_is_plumbing(st.name[i]))
			continue;
		top = false;
		if (n == 1 && f->kind == FIND_WARN && f->value && !strcmp(fr->name[0], st.name[i]))
			continue;	/* the caller named above */
		snprintf(fr->name[n++], sizeof(fr->name[0]), "%s", st.name[i]);
	}
	return fr->n = n;
}

/* The name of the finding's VM, NULL if none known. */
static const char *vm_name(const struct finding *f, struct symbolizer *sy)
{
	const struct vm_ident *id = sy && sy->vm ? vmident_get(sy->vm, f->pid) : NULL;

	return id && id->name[0] ? id->name : NULL;
}

/* " (NAME)", cleaned for a terminal, or "". */
static const char *vm_text(const struct finding *f, struct symbolizer *sy, char *buf, size_t len)
{
	const char *name = vm_name(f, sy);
	char clean[VMID_NAME_LEN];

	if (!name)
		return "";
	snprintf(buf, len, " (%s)", text_clean(name, clean, sizeof(clean)));
	return buf;
}

void finding_text(FILE *out, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy)
{
	static struct finding_frames fr;
	char proof[512], rb[48], nb[SYM_NAME_LEN], vb[VMID_NAME_LEN + 4];

	finding_proof(f, rn, proof, sizeof(proof));
	fprintf(out, "FINDING %s %s", finding_strength(f->kind), finding_kind_name(f->kind));
	if (f->vcpu_id >= 0)
		fprintf(out, " vm %u%s vcpu %d", f->pid, vm_text(f, sy, vb, sizeof(vb)), f->vcpu_id);
	if (f->reg >= 0)
		fprintf(out, " %s", text_reg(rn, f->reg, rb, sizeof(rb)));
	fprintf(out, ": %s\n", proof);
	frames_of(f, sy, &fr);
	for (int i = 0; i < fr.n; i++)
		fprintf(out, "    %s %s\n", i ? "<-" : "at", text_clean(fr.name[i], nb, sizeof(nb)));
	context_text(out, f, rn, sy);
}

/* What proves or describes it, by kind. */
static void proof_fields(struct jw *w, const struct finding *f)
{
	switch (f->kind) {
	case FIND_STALE_READ:
	case FIND_LOST_WRITE:
	case FIND_SUSPECT_STALE_READ:
	case FIND_SUSPECT_LOST_WRITE:
		jw_kv_hex(w, "value", f->value);
		jw_kv_hex(w, "saved", f->saved);
		if (f->before_known)
			jw_kv_hex(w, "memory_before_put", f->before);
		jw_kv_u64(w, "guarded_entries", f->guarded_entries);
		jw_kv_str(w, "served_from_memory", f->exact ? "tracepoint" : "inferred");
		if (!f->exact)
			jw_kv_hex(w, "held_bits", f->held);
		if (f->doubt)
			jw_kv_str(w, "doubt", finding_doubt_name(f->doubt));
		break;
	case FIND_DIRECT_ACCESS:
		jw_kv_bool(w, "is_write", f->is_write);
		jw_kv_hex(w, "caller", f->value);
		if (f->before_known)
			jw_kv_hex(w, "memory", f->before);
		break;
	case FIND_SUSPECT:
		jw_kv_u64(w, "count", f->count);
		break;
	case FIND_WARN:
	case FIND_BUG:
		jw_kv_hex(w, "address", f->value);
		jw_kv_bool(w, "vcpu_loaded", f->vcpu_loaded);
		break;
	case FIND_DOUBLE_LOAD:
	case FIND_OPEN_AT_EXIT:
		jw_kv_u64(w, "loaded_cpu", f->other_cpu);
		break;
	default:
		break;
	}
}

void finding_json(struct jw *w, const struct finding *f, const struct regnames *rn,
		  struct symbolizer *sy)
{
	static struct finding_frames fr;
	char proof[512], rb[64];

	finding_proof(f, rn, proof, sizeof(proof));
	jw_obj_begin(w);
	jw_kv_str(w, "event", "finding");
	jw_kv_str(w, "kind", finding_kind_name(f->kind));
	jw_kv_str(w, "strength", finding_strength(f->kind));
	jw_kv_u64(w, "ts_ns", f->ts_ns);
	jw_kv_u64(w, "pid", f->pid);
	if (vm_name(f, sy))
		jw_kv_str(w, "vm", vm_name(f, sy));
	jw_kv_i64(w, "vcpu", f->vcpu_id);
	jw_kv_u64(w, "cpu", f->cpu);
	if (f->reg >= 0)
		jw_kv_str(w, "reg", regnames_get(rn, f->reg, rb, sizeof(rb)));
	proof_fields(w, f);
	jw_key(w, "stack");
	jw_arr_begin(w);
	frames_of(f, sy, &fr);
	for (int i = 0; i < fr.n; i++)
		jw_str(w, fr.name[i]);
	jw_arr_end(w);
	jw_kv_str(w, "proof", proof);
	context_json(w, f, rn, sy);
	jw_obj_end(w);
}

void findings_text(FILE *out, const struct findings *fs, const struct regnames *rn,
		   struct symbolizer *sy)
{
	for (int i = 0; i < fs->nr_kept; i++)
		finding_text(out, &fs->kept[i], rn, sy);
	if (fs->dropped)
		fprintf(out, "(%llu more findings not listed)\n", (unsigned long long)fs->dropped);
}

void findings_json(struct jw *w, const struct findings *fs, const struct regnames *rn,
		   struct symbolizer *sy)
{
	jw_arr_begin(w);
	for (int i = 0; i < fs->nr_kept; i++)
		finding_json(w, &fs->kept[i], rn, sy);
	jw_arr_end(w);
}
