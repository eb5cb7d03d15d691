// SPDX-License-Identifier: GPL-2.0
/* Chrome trace-event JSON for Perfetto (perfetto.h). */
#include <stdlib.h>
#include <string.h>
#include "output/event_fmt.h"
#include "output/perfetto.h"

/* Trace-event time is in microseconds; three decimals keep nanoseconds. */
static void ts(struct perfetto *p, const char *key, uint64_t ns)
{
	uint64_t d = ns > p->t0 ? ns - p->t0 : 0;

	fprintf(p->f, ",\"%s\":%llu.%03llu", key, (unsigned long long)(d / 1000),
		(unsigned long long)(d % 1000));
}

static void sep(struct perfetto *p)
{
	fputs(p->first ? "\n" : ",\n", p->f);
	p->first = false;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* vCPU N of a VM is thread N + 1 of process "VM <pid>" (tid 0 is reserved). */
static struct perfetto_open *track(struct perfetto *p, uint32_t pid, int32_t vcpu)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->open[i].pid == pid && p->open[i].vcpu == vcpu)
			return &p->open[i];
	if (p->nr == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct perfetto_open *o = realloc(p->open, cap * sizeof(*o));

		if (!o)
			return NULL;
		p->open = o;
		p->cap = cap;
	}
	p->open[p->nr] = (struct perfetto_open){ .pid = pid, .vcpu = vcpu };
	sep(p);
	fprintf(p->f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%d,"
		"\"args\":{\"name\":\"vCPU %d\"}}", pid, vcpu + 1, vcpu);
	for (size_t i = 0; i < p->nr; i++)
		if (p->open[i].pid == pid)
			return &p->open[p->nr++];
	sep(p);
	fprintf(p->f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"args\":{\"name\":"
		"\"VM %u\"}}", pid, pid);
	return &p->open[p->nr++];
}

int perfetto_begin(struct perfetto *p, FILE *f, const struct regnames *rn)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->rn = rn;
	p->first = true;
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":\"kvmsr report\"},"
	      "\"traceEvents\":[", f);
	return 0;
}

static void slice(struct perfetto *p, struct perfetto_open *o, uint64_t end)
{
	sep(p);
	fprintf(p->f, "{\"ph\":\"X\",\"cat\":\"load\",\"name\":\"%s\",\"pid\":%u,\"tid\":%d",
		o->loaded ? "sysregs on CPU" : "resident (sysregs in memory)", o->pid,
		o->vcpu + 1);
	ts(p, "ts", o->since);
	end = end > o->since ? end - o->since : 0;
	fprintf(p->f, ",\"dur\":%llu.%03llu}", (unsigned long long)(end / 1000),
		(unsigned long long)(end % 1000));
	o->since = 0;
	p->slices++;
}

static void instant(struct perfetto *p, const char *cat, const char *name, uint32_t pid,
		    int32_t vcpu, uint64_t ns)
{
	sep(p);
	fprintf(p->f, "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"%s\",\"name\":", cat);
	json_str(p->f, name);
	fprintf(p->f, ",\"pid\":%u,\"tid\":%d", pid, vcpu + 1);
	ts(p, "ts", ns);
	p->instants++;
}

void perfetto_event(struct perfetto *p, const struct kvmsr_event *e)
{
	struct perfetto_open *o;
	char name[64], rb[32], lb[48];

	if (!p->t0)
		p->t0 = e->ts_ns;
	if (e->vcpu_id < 0 || !(o = track(p, e->pid, e->vcpu_id)))
		return;
	switch (e->type) {
	case KVMSR_EV_LOAD:
		if (o->since)
			slice(p, o, e->ts_ns);	/* a double load: end the first there */
		o->since = e->ts_ns ? e->ts_ns : 1;
		o->loaded = e->flags & KVMSR_F_LOADED;
		break;
	case KVMSR_EV_PUT:
		if (o->since)
			slice(p, o, e->ts_ns);
		break;
	case KVMSR_EV_ENTRY:
		instant(p, "guest", "guest entry", e->pid, e->vcpu_id, e->ts_ns);
		fputc('}', p->f);
		break;
	case KVMSR_EV_READ:
	case KVMSR_EV_WRITE:
		snprintf(name, sizeof(name), "%s %s", e->type == KVMSR_EV_READ ? "read" : "write",
			 regnames_get(p->rn, e->reg, rb, sizeof(rb)));
		instant(p, "accessor", name, e->pid, e->vcpu_id, e->ts_ns);
		fprintf(p->f, ",\"args\":{\"value\":\"%#llx\",\"sysregs\":\"%s\"",
			(unsigned long long)e->val, e->flags & KVMSR_F_LOADED ? "on CPU" : "memory");
		if (e->flags & KVMSR_F_LOC)
			fprintf(p->f, ",\"served\":\"%s\"", loc_name(e->loc, lb, sizeof(lb)));
		fputs("}}", p->f);
		break;
	}
}

void perfetto_finding(struct perfetto *p, const struct finding *f, const char *proof)
{
	char name[64];

	snprintf(name, sizeof(name), "FINDING %s", finding_kind_name(f->kind));
	sep(p);
	/* Findings without a vCPU (a WARN outside KVM) go on the process track. */
	fprintf(p->f, "{\"ph\":\"i\",\"s\":\"%s\",\"cat\":\"finding\",\"name\":\"%s\",\"pid\":%u,"
		"\"tid\":%d", f->vcpu_id >= 0 ? "t" : "p", name, f->pid,
		f->vcpu_id >= 0 ? f->vcpu_id + 1 : 0);
	ts(p, "ts", f->ts_ns);
	fputs(",\"args\":{\"proof\":", p->f);
	json_str(p->f, proof);
	fputs("}}", p->f);
	p->instants++;
}

int perfetto_end(struct perfetto *p, uint64_t end_ns)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->open[i].since)
			slice(p, &p->open[i], end_ns);
	fputs("\n]}\n", p->f);
	free(p->open);
	p->open = NULL;
	return fflush(p->f) || ferror(p->f) ? -1 : 0;
}
