// SPDX-License-Identifier: GPL-2.0
/*
 * tpwatch [-c] [-e EVENTS] [-o FILE] [-- CMD [ARG...]]
 *
 * The tests' window on the kernel/ series' bare tracepoints, which have no
 * tracefs event to enable or read: attaches a tp_btf program to each of
 * EVENTS (comma-separated: load put read write direct sys_access; default
 * every one this kernel has), runs CMD (or waits for SIGINT/SIGTERM), and
 * prints one line per hit, in the order the hits were recorded:
 *
 *   kvm_vcpu_load_tp: VM <pid> vcpu <id> cpu <cpu> sflags 0x<flags>
 *   kvm_vcpu_put_tp: VM <pid> vcpu <id> cpu <cpu> sflags 0x<flags>
 *   kvm_vcpu_read_sys_reg_tp: VM <pid> vcpu <id> reg <n> val 0x<v> <loc>
 *   kvm_vcpu_write_sys_reg_tp: VM <pid> vcpu <id> reg <n> val 0x<v> <loc>
 *   kvm_vcpu_sys_reg_direct_tp: VM <pid> vcpu <id> reg <n> loaded, <read|wrote> memory copy at <sym+off>
 *   kvm_sys_access: pc 0x<guest pc>
 *
 * <loc> is "memory" or the enum sr_loc_attr bits ("loaded|mapped", ...).
 * -c: count only (no ring buffer, no lines): the cheapest attached program,
 * for make bench-kernel's "enabled" configurations.  On exit, stderr gets
 *   TPWATCH hits load=N put=N read=N write=N direct=N sys_access=N total=N dropped=N
 * where dropped counts records the ring buffer had no room for (an oracle
 * with dropped != 0 is void).  The exit status is CMD's (2: usage, 1: setup).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "tpwatch.h"
#include "tpwatch.skel.h"

struct tp_desc {
	const char *opt;		/* -e name */
	const char *tp;			/* the tracepoint */
};

static const struct tp_desc tps[TPW_NR] = {
	[TPW_LOAD] = { "load", "kvm_vcpu_load_tp" },
	[TPW_PUT] = { "put", "kvm_vcpu_put_tp" },
	[TPW_READ] = { "read", "kvm_vcpu_read_sys_reg_tp" },
	[TPW_WRITE] = { "write", "kvm_vcpu_write_sys_reg_tp" },
	[TPW_DIRECT] = { "direct", "kvm_vcpu_sys_reg_direct_tp" },
	[TPW_SYS_ACCESS] = { "sys_access", "kvm_sys_access" },
};

static volatile sig_atomic_t stop;
static FILE *out;
static unsigned long long printed;

static void on_signal(int sig)
{
	stop = 1;
}

/* --- kernel symbols, for the direct-access caller ------------------------ */

struct ksym {
	unsigned long addr;
	char *name;
};

static struct ksym *ksyms;
static size_t nksyms;
static bool ksyms_read;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols of /proc/kallsyms, sorted; none if addresses are hidden. */
static void ksyms_load(void)
{
	char line[512], name[256], type;
	unsigned long addr;
	size_t cap = 0;
	FILE *f;

	ksyms_read = true;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &addr, &type, name) != 3 || !addr ||
		    (type != 't' && type != 'T'))
			continue;
		if (nksyms == cap) {
			struct ksym *k = realloc(ksyms, (cap = cap ? 2 * cap : 65536) * sizeof(*k));

			if (!k)
				break;
			ksyms = k;
		}
		ksyms[nksyms].addr = addr;
		ksyms[nksyms++].name = strdup(name);
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), ksym_cmp);
}

static void print_caller(unsigned long ip)
{
	size_t lo = 0, hi;

	if (!ksyms_read)
		ksyms_load();
	hi = nksyms;
	while (hi - lo > 1) {		/* the last symbol at or below ip */
		size_t mid = lo + (hi - lo) / 2;

		if (ksyms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	if (nksyms && ksyms[lo].addr <= ip)
		fprintf(out, "%s+0x%lx", ksyms[lo].name, ip - ksyms[lo].addr);
	else
		fprintf(out, "0x%lx", ip);
}

/* --- records -> lines ------------------------------------------------------ */

/* enum sr_loc_attr as the accessors combine it. */
static void print_loc(unsigned long long loc)
{
	static const char *const bit[] = { "loaded", "mapped", "translated", "special" };
	const char *sep = "";

	if (!loc) {
		fputs("memory", out);
		return;
	}
	for (unsigned int i = 0; i < 64; i++) {
		if (!(loc & (1ULL << i)))
			continue;
		if (i < sizeof(bit) / sizeof(bit[0]))
			fprintf(out, "%s%s", sep, bit[i]);
		else
			fprintf(out, "%sbit%u", sep, i);
		sep = "|";
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct tpw_record *r = data;

	if (size < sizeof(*r) || r->event >= TPW_NR)
		return 0;
	printed++;
	fprintf(out, "%s: ", tps[r->event].tp);
	switch (r->event) {
	case TPW_LOAD:
	case TPW_PUT:
		fprintf(out, "VM %d vcpu %d cpu %u sflags 0x%llx\n", r->pid, r->vcpu_id, r->cpu,
			(unsigned long long)r->aux);
		break;
	case TPW_READ:
	case TPW_WRITE:
		fprintf(out, "VM %d vcpu %d reg %u val 0x%016llx ", r->pid, r->vcpu_id, r->reg,
			(unsigned long long)r->val);
		print_loc(r->aux);
		fputc('\n', out);
		break;
	case TPW_DIRECT:
		fprintf(out, "VM %d vcpu %d reg %u loaded, %s memory copy at ", r->pid, r->vcpu_id,
			r->reg, r->aux ? "wrote" : "read");
		print_caller(r->val);
		fputc('\n', out);
		break;
	default:
		fprintf(out, "pc 0x%llx\n", (unsigned long long)r->val);
	}
	return 0;
}

/* --- set-up ------------------------------------------------------------------ */

static struct bpf_program *prog_of(struct tpwatch_bpf *s, enum tpw_event e)
{
	struct bpf_program *p[TPW_NR] = {
		[TPW_LOAD] = s->progs.load, [TPW_PUT] = s->progs.put,
		[TPW_READ] = s->progs.read, [TPW_WRITE] = s->progs.write,
		[TPW_DIRECT] = s->progs.direct, [TPW_SYS_ACCESS] = s->progs.sys_access,
	};

	return p[e];
}

static bool kernel_has(const struct btf *btf, const char *tp)
{
	char type[128];

	snprintf(type, sizeof(type), "btf_trace_%s", tp);
	return btf && btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) > 0;
}

/* -e LIST -> the events wanted; -1 on an unknown name. */
static int parse_events(char *list, bool *want)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		int e;

		for (e = 0; e < TPW_NR && strcmp(tok, tps[e].opt); e++)
			;
		if (e == TPW_NR)
			return -1;
		want[e] = true;
	}
	return 0;
}

static unsigned long long sum_percpu(int fd, __u32 key, int ncpus)
{
	unsigned long long total = 0, v[ncpus];

	if (bpf_map_lookup_elem(fd, &key, v))
		return 0;
	for (int i = 0; i < ncpus; i++)
		total += v[i];
	return total;
}

static void print_hits(struct tpwatch_bpf *s)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned long long n, total = 0;

	fprintf(stderr, "TPWATCH hits");
	for (int e = 0; e < TPW_NR; e++) {
		n = sum_percpu(bpf_map__fd(s->maps.hits), e, ncpus);
		total += n;
		fprintf(stderr, " %s=%llu", tps[e].opt, n);
	}
	fprintf(stderr, " total=%llu dropped=%llu printed=%llu\n", total,
		sum_percpu(bpf_map__fd(s->maps.dropped), 0, ncpus), printed);
}

static int usage(void)
{
	fprintf(stderr, "usage: tpwatch [-c] [-e load,put,read,write,direct,sys_access] [-o FILE] "
		"[-- CMD [ARG...]]\n");
	return 2;
}

/* Runs argv (NULL: until a signal) while polling @rb; CMD's exit status. */
static int run(char **argv, struct ring_buffer *rb)
{
	int status = 0;
	pid_t child = 0;

	if (argv) {
		fflush(NULL);
		child = fork();
		if (child < 0)
			return 1;
		if (!child) {
			execvp(argv[0], argv);
			fprintf(stderr, "tpwatch: %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
	}
	/* Counting only: nothing to poll, so no wake-up to add to what is measured. */
	if (child && !rb) {
		while (waitpid(child, &status, 0) < 0 && errno == EINTR && !stop)
			;
		if (!stop)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	while (!stop) {
		if (rb)
			ring_buffer__poll(rb, 100);
		else
			usleep(100 * 1000);
		if (child && waitpid(child, &status, WNOHANG) == child)
			break;
	}
	if (child && stop)	/* a signal: pass it on, then wait */
		kill(child, SIGTERM), waitpid(child, &status, 0);
	if (!child)
		return 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	bool want[TPW_NR] = { 0 }, any = false, count_only = false;
	struct bpf_link *links[TPW_NR] = { 0 };
	struct ring_buffer *rb = NULL;
	struct tpwatch_bpf *s;
	const char *path = NULL;
	struct btf *btf;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "+ce:o:")) != -1) {
		switch (opt) {
		case 'c': count_only = true; break;
		case 'e': if (parse_events(optarg, want)) return usage(); break;
		case 'o': path = optarg; break;
		default: return usage();
		}
	}
	for (int e = 0; e < TPW_NR; e++)
		any |= want[e];
	btf = btf__load_vmlinux_btf();
	for (int e = 0; e < TPW_NR; e++) {
		if (!any) {
			want[e] = kernel_has(btf, tps[e].tp);
		} else if (want[e] && !kernel_has(btf, tps[e].tp)) {
			fprintf(stderr, "tpwatch: this kernel has no tracepoint %s\n", tps[e].tp);
			return 1;
		}
	}
	btf__free(btf);
	out = path ? fopen(path, "w") : stdout;
	if (!out) {
		perror(path);
		return 1;
	}

	s = tpwatch_bpf__open();
	if (!s)
		return 1;
	s->rodata->count_only = count_only;
	for (int e = 0; e < TPW_NR; e++)
		bpf_program__set_autoload(prog_of(s, e), want[e]);
	if (tpwatch_bpf__load(s)) {
		fprintf(stderr, "tpwatch: cannot load the BPF programs\n");
		goto out;
	}
	fprintf(stderr, "tpwatch: attached");
	for (int e = 0; e < TPW_NR; e++) {
		if (!want[e])
			continue;
		links[e] = bpf_program__attach(prog_of(s, e));
		if (!links[e]) {
			fprintf(stderr, "\ntpwatch: cannot attach to %s: %s\n", tps[e].tp, strerror(errno));
			goto out;
		}
		fprintf(stderr, " %s", tps[e].tp);
	}
	fprintf(stderr, "%s\n", count_only ? " (counting)" : "");
	if (!count_only) {
		rb = ring_buffer__new(bpf_map__fd(s->maps.records), on_record, NULL, NULL);
		if (!rb)
			goto out;
	}
	/* No SA_RESTART: a signal must end a blocking waitpid(). */
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = run(optind < argc ? argv + optind : NULL, rb);
	for (int e = 0; e < TPW_NR; e++)
		bpf_link__destroy(links[e]), links[e] = NULL;
	if (rb)
		ring_buffer__consume(rb);	/* what was recorded before the detach */
	fflush(out);
	print_hits(s);
out:
	for (int e = 0; e < TPW_NR; e++)
		bpf_link__destroy(links[e]);
	ring_buffer__free(rb);
	tpwatch_bpf__destroy(s);
	if (path && out)
		fclose(out);
	return rc;
}
