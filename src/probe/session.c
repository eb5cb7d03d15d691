// SPDX-License-Identifier: GPL-2.0
/* Open, attach and poll the BPF half (session.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "symbols/ksyms.h"
#include "probe/session.h"
#include "kvmsr.skel.h"

#define SESSION_MAX_LINKS 32
#define SESSION_MAX_ROLES 20

/* One program, the role it plays, how it attaches and whether at return. */
struct prog_role {
	struct bpf_program *prog;
	enum target_id target;
	enum backend kind;	/* TRACEPOINT, FENTRY or KPROBE */
	bool ret;
	bool on_demand;		/* loaded, attached only when session_calibrate() asks */
};

struct session {
	struct kvmsr_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[SESSION_MAX_LINKS];	/* tracepoints, fixed */
	int nr_links;
	struct prog_role roles[SESSION_MAX_ROLES];	/* function probes */
	struct bpf_link *role_links[SESSION_MAX_ROLES];
	int nr_roles;
	struct targets tg;
	enum backend backend;
	enum backend aux;		/* TRACEPOINT: how die/VM exit are probed */
	bool traps;			/* kvm:kvm_sys_access attached */
	bool entries;			/* kvm:kvm_entry attached */
	bool warns;			/* error_report_end attached */
	bool direct;			/* kvm_vcpu_sys_reg_direct_tp attached */
	bool switches;			/* context: sched_switch of vCPU threads attached */
	bool exits;			/* context: kvm:kvm_exit attached */
	bool ioctls;			/* context: kvm_vcpu_ioctl probed */
	/* What the kernel offers the flight recorder (probed once, with --context). */
	bool can_switches, can_exits, ioctl_in_btf;
	uint64_t preempt_key_addr;	/* preempt_notifier_key, 0 if not in kallsyms */
	unsigned int polled;		/* records handed out by this session_poll() */
	uint64_t records, bytes;	/* handed out since the session opened */
	int stats_fd;			/* BPF_ENABLE_STATS while >= 0 */
	const volatile unsigned long *ring_pos;	/* consumer page, producer page */
	long ring_page;
	bool optional[TGT__MAX];	/* optional target attached */
	bool calibrating;		/* VHE load/put probed: SYSREGS_ON_CPU learned */
	bool calib_started;		/* counting: the on-demand VHE probes attached once */
	char why[SESSION_TEXT];		/* how the backend was chosen */
	char notes[SESSION_TEXT];	/* coverage warnings found while attaching */
	char tp_why[SESSION_TEXT / 2];	/* why the kernel/ tracepoints are not used */
	const struct session_config *cfg;
};

const char *backend_name(enum backend b)
{
	switch (b) {
	case BACKEND_TRACEPOINT:
		return "tracepoint";
	case BACKEND_FENTRY:
		return "fentry";
	case BACKEND_KPROBE:
		return "kprobe";
	default:
		return "auto";
	}
}

/* The last libbpf error line, to explain a failed attempt. */
static char last_libbpf_error[256];
static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	vsnprintf(last_libbpf_error, sizeof(last_libbpf_error), fmt, copy);
	va_end(copy);
	last_libbpf_error[strcspn(last_libbpf_error, "\n")] = '\0';
	return libbpf_verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static bool kernel_btf_has(const char *name, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, name, kind) > 0;
	btf__free(btf);
	return ok;
}

bool kernel_has_btf_tracepoint(const char *name)
{
	char type[128];

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return kernel_btf_has(type, BTF_KIND_TYPEDEF);
}

/*
 * The tracepoints kvmsr's kernel/ patch series adds; all or nothing.  Bare
 * tracepoints (DECLARE_TRACE): no tracefs event, only BTF, and the kernel
 * appends _tp to the name given in the source.
 */
static const char *const kvmsr_tracepoints[] = {
	"kvm_vcpu_load_tp", "kvm_vcpu_put_tp", "kvm_vcpu_read_sys_reg_tp",
	"kvm_vcpu_write_sys_reg_tp",
};

bool kernel_has_kvmsr_tracepoints(void)
{
	for (size_t i = 0; i < sizeof(kvmsr_tracepoints) / sizeof(kvmsr_tracepoints[0]); i++)
		if (!kernel_has_btf_tracepoint(kvmsr_tracepoints[i]))
			return false;
	return true;
}

/*
 * The programs of backend @b.  The tracepoint backend has no tracepoint for
 * die() and kvm_arch_destroy_vm(): those are probed the @aux way.
 */
static int roles(struct kvmsr_bpf *k, enum backend b, enum backend aux, bool counting,
		 struct prog_role *r)
{
	enum backend kind = b;
	int n = 0;

#define ROLE(p, t, is_ret) (r[n++] = (struct prog_role){ .prog = k->progs.p, .target = t, \
							    .kind = kind, .ret = is_ret })
	if (b == BACKEND_TRACEPOINT) {
		/* SYSREGS_ON_CPU is learned between these two. */
		ROLE(tp_vcpu_load, TGT_VCPU_LOAD, true);
		ROLE(tp_vcpu_put, TGT_VCPU_PUT, true);
		ROLE(tp_read_sys_reg, TGT_READ, true);
		ROLE(tp_write_sys_reg, TGT_WRITE, true);
		kind = aux;
		if (aux == BACKEND_FENTRY) {
			ROLE(fentry_vm_exit, TGT_VM_EXIT, false);
			ROLE(fentry_die, TGT_DIE, false);
		} else {
			ROLE(kprobe_vm_exit, TGT_VM_EXIT, false);
			ROLE(kprobe_die, TGT_DIE, false);
		}
	} else if (b == BACKEND_FENTRY) {
		/*
		 * Calibration first: the sooner SYSREGS_ON_CPU is learned, the
		 * better.  Counting confirms the assumed bit with its load and
		 * put probes (count.bpf.h) and needs the VHE put's pair only if
		 * they contradict it: then the put alone teaches the bit (it
		 * clears what the load sets).
		 */
		if (!counting) {
			ROLE(fentry_vhe_load, TGT_VHE_LOAD, false);
			ROLE(fexit_vhe_load, TGT_VHE_LOAD, true);
		}
		ROLE(fentry_vhe_put, TGT_VHE_PUT, false);
		r[n - 1].on_demand = counting;
		ROLE(fexit_vhe_put, TGT_VHE_PUT, true);
		r[n - 1].on_demand = counting;
		/* Counting: entries only, it needs nothing the calls return. */
		if (counting)
			ROLE(fentry_vcpu_load_count, TGT_VCPU_LOAD, false);
		else
			ROLE(fexit_vcpu_load, TGT_VCPU_LOAD, true);
		ROLE(fentry_vcpu_put, TGT_VCPU_PUT, false);
		if (counting) {
			ROLE(fentry_read_sys_reg_count, TGT_READ, false);
			ROLE(fentry_write_sys_reg_count, TGT_WRITE, false);
		} else {
			ROLE(fexit_read_sys_reg, TGT_READ, true);
			ROLE(fexit_write_sys_reg, TGT_WRITE, true);
		}
		ROLE(fentry_vm_exit, TGT_VM_EXIT, false);
		ROLE(fentry_die, TGT_DIE, false);
	} else {
		if (!counting) {
			ROLE(kprobe_vhe_load, TGT_VHE_LOAD, false);
			ROLE(kretprobe_vhe_load, TGT_VHE_LOAD, true);
		}
		ROLE(kprobe_vhe_put, TGT_VHE_PUT, false);
		r[n - 1].on_demand = counting;
		ROLE(kretprobe_vhe_put, TGT_VHE_PUT, true);
		r[n - 1].on_demand = counting;
		/* Counting: no kretprobes, it needs nothing the calls return. */
		if (counting) {
			ROLE(kprobe_vcpu_load_count, TGT_VCPU_LOAD, false);
		} else {
			ROLE(kprobe_vcpu_load, TGT_VCPU_LOAD, false);
			ROLE(kretprobe_vcpu_load, TGT_VCPU_LOAD, true);
		}
		ROLE(kprobe_vcpu_put, TGT_VCPU_PUT, false);
		if (counting) {
			ROLE(kprobe_read_sys_reg_count, TGT_READ, false);
			ROLE(kprobe_write_sys_reg_count, TGT_WRITE, false);
		} else {
			ROLE(kprobe_read_sys_reg, TGT_READ, false);
			ROLE(kretprobe_read_sys_reg, TGT_READ, true);
			ROLE(kprobe_write_sys_reg, TGT_WRITE, false);
			ROLE(kretprobe_write_sys_reg, TGT_WRITE, true);
		}
		ROLE(kprobe_vm_exit, TGT_VM_EXIT, false);
		ROLE(kprobe_die, TGT_DIE, false);
	}
#undef ROLE
	return n;
}

static void note(char *buf, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len >= SESSION_TEXT - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, SESSION_TEXT - len, fmt, ap);
	va_end(ap);
}

/*
 * Records handed out per session_poll(): libbpf consumes until the ring is
 * empty, which never happens while a guest produces faster than we read, and
 * then a stop request would never be seen.
 */
#define POLL_BUDGET SESSION_POLL_BUDGET
#define BUDGET_SPENT (-EBUSY)

static int on_sample(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct kvmsr_event e;
	int rc;

	if (size < sizeof(e))
		return 0;
	s->records++;
	s->bytes += size;
	memcpy(&e, data, sizeof(e));
	rc = s->cfg->cb ? s->cfg->cb(s->cfg->ctx, &e) : 0;
	/* libbpf has already consumed this record when we stop here. */
	if (!rc && ++s->polled >= POLL_BUDGET)
		return BUDGET_SPENT;
	return rc;
}

/*
 * The ring's consumer and producer positions, mapped read-only a second
 * time (libbpf keeps its own mapping private), for session_ring_fill().
 * Not fatal: the fill is then unknown.
 */
static void map_ring_pos(struct session *s)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED,
		       bpf_map__fd(s->skel->maps.events), 0);

	s->ring_page = page;
	s->ring_pos = p == MAP_FAILED ? NULL : p;
}

static void detach(struct session *s)
{
	memset(s->optional, 0, sizeof(s->optional));
	if (s->ring_pos)
		munmap((void *)s->ring_pos, 2 * s->ring_page);
	s->ring_pos = NULL;
	ring_buffer__free(s->rb);
	s->rb = NULL;
	for (int i = 0; i < s->nr_links; i++)
		bpf_link__destroy(s->links[i]);
	s->nr_links = 0;
	for (int i = 0; i < s->nr_roles; i++)
		bpf_link__destroy(s->role_links[i]);
	memset(s->role_links, 0, sizeof(s->role_links));
	s->nr_roles = 0;
	kvmsr_bpf__destroy(s->skel);
	s->skel = NULL;
}

/*
 * SYSREGS_ON_CPU until it is learned from the VHE load/put functions
 * (docs/kernels.md): BIT(4) of sflags from 6.0 (30b6ab45f813 "Convert vcpu
 * sysregs_loaded_on_cpu to a state flag"; a bool before), BIT(2) from 6.14
 * ("Move host SVE/SME state flags out of vCPU" took bits 0 and 1 away and
 * moved the rest down); 6.12.y stable keeps BIT(4).  It decodes the
 * few events between attaching and the first VHE load, and everything on
 * kernels whose VHE functions cannot be probed; stat says whether the bit
 * was learned and whether it agreed.
 */
static uint32_t assumed_on_cpu_mask(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return 0;
	if (maj > 6 || (maj == 6 && min >= 14))
		return 1u << 2;
	return 1u << 4;
}

static struct bpf_link *attach_prog(struct session *s, const struct prog_role *r)
{
	if (r->kind == BACKEND_KPROBE)
		return bpf_program__attach_kprobe(r->prog, r->ret, s->tg.t[r->target].name);
	return bpf_program__attach(r->prog);
}

/* A tracepoint program: attached for the whole session. */
static int attach_fixed(struct session *s, struct bpf_program *prog)
{
	struct bpf_link *l = bpf_program__attach(prog);

	if (!l)
		return -errno;
	s->links[s->nr_links++] = l;
	return 0;
}

/* Open the BPF object and set its read-only configuration from s->cfg. */
static int open_skel(struct session *s, bool ctx_on, char *err, size_t len)
{
	const struct session_config *c = s->cfg;
	int e;

	s->skel = kvmsr_bpf__open();
	if (!s->skel) {
		e = -errno;
		snprintf(err, len, "cannot open the BPF object: %s", strerror(-e));
		return e;
	}
	s->skel->rodata->filter_pid = c->pid;
	s->skel->rodata->filter_vcpu = c->vcpu;
	s->skel->rodata->filter_regs = c->filter_regs;
	memcpy((void *)s->skel->rodata->reg_bitmap, c->reg_bitmap, sizeof(c->reg_bitmap));
	memcpy((void *)s->skel->rodata->checked_regs, c->checked_regs, sizeof(c->checked_regs));
	s->skel->rodata->tally_unneeded = c->tally && !c->aggregate;
	memcpy((void *)s->skel->rodata->stream_writes, c->stream_writes, sizeof(c->stream_writes));
	s->skel->rodata->seed_on_cpu_mask = assumed_on_cpu_mask();
	s->skel->rodata->capture_stacks = c->stacks;
	s->skel->rodata->aggregate = c->aggregate;
	s->skel->rodata->context_events = ctx_on;
	s->skel->rodata->preempt_key_addr = ctx_on ? s->preempt_key_addr : 0;
	return 0;
}

/* Load only the role programs of backend @b whose targets this kernel has. */
static int select_roles(struct session *s, enum backend b, enum backend aux, char *err,
			size_t len)
{
	struct prog_role *r = s->roles;
	struct bpf_program *p;
	int n;

	bpf_object__for_each_program(p, s->skel->obj)
		bpf_program__set_autoload(p, false);
	n = s->nr_roles = roles(s->skel, b, aux, s->cfg->aggregate, r);
	for (int i = 0; i < n; i++) {
		const char *fn = s->tg.t[r[i].target].name;

		if (!fn) {
			r[i].prog = NULL;	/* optional: absent or not wanted */
			continue;
		}
		bpf_program__set_autoload(r[i].prog, true);
		if (r[i].kind == BACKEND_FENTRY && bpf_program__set_attach_target(r[i].prog, 0, fn)) {
			int e = -errno;

			snprintf(err, len, "%s: no BTF for %s", backend_name(b), fn);
			return e;
		}
	}
	return 0;
}

/* The kvm_vcpu_ioctl program of the @aux way (the flight recorder's). */
static struct bpf_program *ioctl_prog(const struct session *s, enum backend aux)
{
	return aux == BACKEND_KPROBE ? s->skel->progs.kprobe_vcpu_ioctl :
	       s->skel->progs.fentry_vcpu_ioctl;
}

/* Load the fixed tracepoint programs this session wants and the kernel has. */
static void select_fixed(struct session *s, enum backend aux, bool ctx_on)
{
	const struct session_config *c = s->cfg;

	/* Coverage and detection need every trap and entry: not in stat. */
	if (c->aggregate)
		s->traps = s->entries = false;
	bpf_program__set_autoload(s->skel->progs.tp_sys_access, s->traps);
	bpf_program__set_autoload(s->skel->progs.tp_kvm_entry, s->entries);
	bpf_program__set_autoload(s->skel->progs.tp_error_report_end, s->warns);
	bpf_program__set_autoload(s->skel->progs.tp_sys_reg_direct, s->direct);
	s->switches = ctx_on && s->can_switches;
	s->exits = ctx_on && c->context_exits && s->can_exits;
	/* A trampoline needs the function in BTF, or the whole load fails. */
	s->ioctls = ctx_on && (aux == BACKEND_KPROBE || s->ioctl_in_btf);
	bpf_program__set_autoload(s->skel->progs.tp_sched_switch, s->switches);
	bpf_program__set_autoload(s->skel->progs.tp_kvm_exit, s->exits);
	bpf_program__set_autoload(ioctl_prog(s, aux), s->ioctls);
}

/* Attach the role programs; an optional target that fails is noted, not fatal. */
static int attach_roles(struct session *s, enum backend b, char *err, size_t len)
{
	const struct prog_role *r = s->roles;

	for (int i = 0; i < s->nr_roles; i++) {
		const struct target *t = &s->tg.t[r[i].target];
		int e;

		if (!r[i].prog || r[i].on_demand)
			continue;
		s->role_links[i] = attach_prog(s, &r[i]);
		e = s->role_links[i] ? 0 : -errno;
		if (e && !t->required) {
			/* Optional: carry on without it and say so. */
			note(s->notes, "%s (%s) not attached: %s. ", t->role, t->name, strerror(-e));
			continue;
		}
		if (!e && !t->required)
			s->optional[r[i].target] = true;
		if (e) {
			snprintf(err, len, "%s: attaching to %s failed (%s)", backend_name(b), t->name,
				 e == -524 ? "errno 524: no BPF trampoline support" : strerror(-e));
			return e;
		}
	}
	return 0;
}

/* Attach the fixed programs; each one that fails is dropped (and said so). */
static void attach_all_fixed(struct session *s, enum backend aux)
{
	struct bpf_program *ioctl = ioctl_prog(s, aux);

	if (s->traps && attach_fixed(s, s->skel->progs.tp_sys_access))
		s->traps = false;
	if (s->entries && attach_fixed(s, s->skel->progs.tp_kvm_entry))
		s->entries = false;
	if (s->warns && attach_fixed(s, s->skel->progs.tp_error_report_end))
		s->warns = false;
	if (s->direct && attach_fixed(s, s->skel->progs.tp_sys_reg_direct))
		s->direct = false;
	if (s->switches && attach_fixed(s, s->skel->progs.tp_sched_switch)) {
		s->switches = false;
		note(s->notes, "context: sched_switch not attached: vCPU thread switches are "
		     "not seen. ");
	}
	if (s->exits && attach_fixed(s, s->skel->progs.tp_kvm_exit)) {
		s->exits = false;
		note(s->notes, "context: kvm:kvm_exit not attached: guest exits are not seen. ");
	}
	if (s->ioctls) {
		struct bpf_link *l = aux == BACKEND_KPROBE ?
			bpf_program__attach_kprobe(ioctl, false, "kvm_vcpu_ioctl") :
			bpf_program__attach(ioctl);

		if (l) {
			s->links[s->nr_links++] = l;
		} else {
			s->ioctls = false;
			note(s->notes, "context: kvm_vcpu_ioctl not probed (%s): the ioctl being "
			     "served is not seen. ", strerror(errno));
		}
	}
}

/* One attempt with one backend; leaves s clean on failure. */
static int try_backend(struct session *s, enum backend b, enum backend aux, char *err,
		       size_t len)
{
	/* The flight recorder's context: only when asked for, never in counting. */
	bool ctx_on = s->cfg->context && !s->cfg->aggregate;
	int e;

	e = open_skel(s, ctx_on, err, len);
	if (e)
		return e;
	e = select_roles(s, b, aux, err, len);
	if (e)
		goto fail;
	select_fixed(s, aux, ctx_on);
	if (s->cfg->ring_bytes)
		bpf_map__set_max_entries(s->skel->maps.events, s->cfg->ring_bytes);
	last_libbpf_error[0] = '\0';
	e = kvmsr_bpf__load(s->skel);
	if (e) {
		snprintf(err, len, "%s: loading failed (%s)%s%s%s", backend_name(b), strerror(-e),
			 e == -EPERM ? "; kvmsr needs CAP_BPF and CAP_PERFMON, or root" : "",
			 last_libbpf_error[0] ? ": " : "", last_libbpf_error);
		goto fail;
	}
	e = attach_roles(s, b, err, len);
	if (e)
		goto fail;
	attach_all_fixed(s, aux);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_sample, s, NULL);
	if (!s->rb) {
		e = -errno;
		snprintf(err, len, "cannot open the ring buffer: %s", strerror(-e));
		goto fail;
	}
	map_ring_pos(s);
	/* Every load/put program runs now: from here on they pair up. */
	s->skel->bss->armed = 1;
	s->backend = b;
	s->aux = b == BACKEND_TRACEPOINT ? aux : b;
	return 0;
fail:
	detach(s);
	return e;
}

/*
 * The tracepoint backend, preferred where the kernel has the kernel/ series:
 * the accessors themselves say where each access was served, inlined
 * callers included.  -ENOENT: not this way, try the probes.
 */
static int open_tracepoints(struct session *s, char *err, size_t len)
{
	enum backend forced = s->cfg->backend;
	char why[SESSION_TEXT / 4] = "";
	size_t kept = strlen(s->notes);
	int e;

	if (forced == BACKEND_FENTRY || forced == BACKEND_KPROBE) {
		if (kernel_has_kvmsr_tracepoints())
			snprintf(s->tp_why, sizeof(s->tp_why), "; the kernel's kvm_vcpu_*_tp "
				 "tracepoints were not used (--backend %s)", backend_name(forced));
		return -ENOENT;
	}
	if (!kernel_has_kvmsr_tracepoints()) {
		if (forced == BACKEND_TRACEPOINT) {
			snprintf(err, len, "--backend tracepoint: this kernel lacks the "
				 "kvm_vcpu_{load,put,read_sys_reg,write_sys_reg}_tp tracepoints "
				 "(kvmsr's kernel/ patch series)");
			return -EOPNOTSUPP;
		}
		return -ENOENT;
	}
	/* die() and VM teardown have no tracepoint: fentry, else kprobes. */
	e = try_backend(s, BACKEND_TRACEPOINT, BACKEND_FENTRY, why, sizeof(why));
	if (e) {
		s->notes[kept] = '\0';
		e = try_backend(s, BACKEND_TRACEPOINT, BACKEND_KPROBE, why, sizeof(why));
	}
	if (e) {
		s->notes[kept] = '\0';
		if (forced == BACKEND_TRACEPOINT) {
			snprintf(err, len, "--backend tracepoint: %s", why);
			return e;
		}
		snprintf(s->tp_why, sizeof(s->tp_why), "; the kernel's kvm_vcpu_*_tp "
			 "tracepoints failed: %s", why);
		return -ENOENT;
	}
	/* The load/put pair teaches SYSREGS_ON_CPU (VHE): see tp_vcpu_put. */
	s->calibrating = true;
	snprintf(s->why, sizeof(s->why), "tracepoint: the kernel has kvmsr's "
		 "kvm_vcpu_*_tp tracepoints (exact accessor locations)%s; BUG and VM "
		 "teardown by %s", forced == BACKEND_TRACEPOINT ? " (forced)" : "",
		 backend_name(s->aux));
	return 0;
}

struct session *session_new(const struct session_config *cfg)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = cfg;
	s->stats_fd = -1;
	libbpf_verbose = cfg->verbose;
	libbpf_set_print(libbpf_print);
	targets_resolve(&s->tg);
	return s;
}

/* What this kernel offers besides the targets, found once for all attempts. */
static void probe_kernel(struct session *s)
{
	const struct session_config *cfg = s->cfg;

	s->traps = kernel_has_btf_tracepoint("kvm_sys_access");
	s->entries = kernel_has_btf_tracepoint("kvm_entry");
	s->warns = kernel_has_btf_tracepoint("error_report_end");
	if (!s->warns)
		note(s->notes, "no error_report_end tracepoint: WARN hits are not seen. ");
	if (!s->traps)
		note(s->notes, "kvm:kvm_sys_access is missing: accessor coverage cannot be "
		     "measured. ");
	s->direct = kernel_has_btf_tracepoint("kvm_vcpu_sys_reg_direct_tp");
	if (cfg->context && !cfg->aggregate) {
		/* What the flight recorder can have on this kernel, once for all attempts. */
		s->can_switches = kernel_has_btf_tracepoint("sched_switch");
		s->can_exits = kernel_has_btf_tracepoint("kvm_exit");
		s->ioctl_in_btf = kernel_btf_has("kvm_vcpu_ioctl", BTF_KIND_FUNC);
		s->preempt_key_addr = ksyms_addr_of(NULL, "preempt_notifier_key");
	}
}

/* The function probes: fentry/fexit where trampolines work, else kprobes. */
static int open_probes(struct session *s, char *err, size_t len)
{
	enum backend forced = s->cfg->backend;
	char why[SESSION_TEXT / 2] = "";
	int e;

	if (forced != BACKEND_KPROBE) {
		size_t kept = strlen(s->notes);

		e = try_backend(s, BACKEND_FENTRY, BACKEND_FENTRY, why, sizeof(why));
		if (e)
			s->notes[kept] = '\0';	/* notes of the failed attempt */
		if (!e) {
			snprintf(s->why, sizeof(s->why), "fentry/fexit: BPF trampolines work on "
				 "this kernel%s%s", forced == BACKEND_FENTRY ? " (forced)" : "",
				 s->tp_why);
			return 0;
		}
		if (forced == BACKEND_FENTRY) {
			snprintf(err, len, "--backend fentry: %s", why);
			return e;
		}
	}
	e = try_backend(s, BACKEND_KPROBE, BACKEND_KPROBE, err, len);
	if (e)
		return e;
	if (forced == BACKEND_KPROBE)
		snprintf(s->why, sizeof(s->why), "kprobe/kretprobe (forced)%s", s->tp_why);
	else
		snprintf(s->why, sizeof(s->why), "kprobe/kretprobe, because %s%s", why, s->tp_why);
	return 0;
}

int session_open(struct session *s, char *err, size_t len)
{
	int e;

	for (int i = 0; i < TGT__MAX; i++) {
		if (s->tg.t[i].required && !s->tg.t[i].name) {
			snprintf(err, len, "this kernel has no traceable %s (%s): is it an arm64 "
				 "kernel with KVM built in?", s->tg.t[i].wanted, s->tg.t[i].role);
			return -ENOENT;
		}
	}
	probe_kernel(s);
	/*
	 * Before anything attaches, so that every run is timed.  Not fatal:
	 * the counts of runs are still read, the times stay 0.
	 */
	if (s->cfg->prog_stats && s->stats_fd < 0) {
		s->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (s->stats_fd < 0)
			note(s->notes, "BPF run-time statistics not enabled: %s. ", strerror(errno));
	}
	e = open_tracepoints(s, err, len);
	if (e != -ENOENT)
		return e;
	if (s->cfg->backend == BACKEND_TRACEPOINT)
		return e;
	s->calibrating = s->tg.t[TGT_VHE_LOAD].name && s->tg.t[TGT_VHE_PUT].name;
	if (!s->calibrating)
		note(s->notes, "no VHE sysreg load/put function to probe: SYSREGS_ON_CPU is "
		     "assumed from the kernel version. ");
	return open_probes(s, err, len);
}

int session_poll(struct session *s, int timeout_ms)
{
	int n;

	s->polled = 0;
	n = ring_buffer__poll(s->rb, timeout_ms);
	if (n == BUDGET_SPENT)
		return POLL_BUDGET;	/* more is waiting */
	if (n < 0 && n != -EINTR)
		return n;
	/*
	 * The BPF side never wakes us for the stream, so epoll alone would
	 * leave records unread: consume what is there on every tick as well.
	 */
	n = ring_buffer__consume(s->rb);
	return n == BUDGET_SPENT ? POLL_BUDGET : n;
}

/* The kernel's facts of @p (run counts, times, misses); false if not loaded here. */
static bool prog_info(struct bpf_program *p, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_program__fd(p);

	memset(info, 0, sizeof(*info));
	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, info, &len);
}

uint64_t session_probe_misses(const struct session *s)
{
	struct bpf_program *p;
	uint64_t total = 0;

	if (!s->skel)
		return 0;
	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info;

		if (prog_info(p, &info))
			total += info.recursion_misses;
	}
	return total;
}

int session_prog_stats(const struct session *s, struct session_prog_stat *out, int max)
{
	struct bpf_program *p;
	int n = 0;

	if (!s->skel)
		return 0;
	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info;

		if (n >= max)
			break;
		if (!prog_info(p, &info))
			continue;	/* not loaded in this backend */
		out[n++] = (struct session_prog_stat){ bpf_program__name(p), info.run_cnt,
						       info.run_time_ns, info.recursion_misses };
	}
	return n;
}

bool session_ring_fill(const struct session *s, uint64_t *used, uint64_t *size)
{
	unsigned long cons, prod;

	if (!s->ring_pos)
		return false;
	cons = __atomic_load_n(&s->ring_pos[0], __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(&s->ring_pos[s->ring_page / sizeof(long)], __ATOMIC_ACQUIRE);
	*used = prod - cons;
	*size = bpf_map__max_entries(s->skel->maps.events);
	return true;
}

bool session_prog_stats_on(const struct session *s)
{
	char c = '0';
	FILE *f;

	if (s->stats_fd >= 0)
		return true;
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == '1';
}

void session_stream_stats(const struct session *s, uint64_t *records, uint64_t *bytes)
{
	*records = s->records;
	*bytes = s->bytes;
}

uint64_t session_lost(const struct session *s)
{
	return s->skel ? s->skel->bss->lost_events : 0;
}

/* What the per-CPU caches of the BPF side still hold (bpf/tally.bpf.h). */
static void cached_tallies(struct session *s, session_tally_fn fn, void *ctx, int ncpu)
{
	int fd = bpf_map__fd(s->skel->maps.tally_cache);
	/* A per-CPU value is padded to 8 bytes (it already is, but say so). */
	size_t sz = (sizeof(struct kvmsr_tally_cache) + 7) & ~(size_t)7;
	char *v = calloc(ncpu, sz);
	uint32_t zero = 0;

	if (!v || bpf_map_lookup_elem(fd, &zero, v)) {
		free(v);
		return;
	}
	for (int cpu = 0; cpu < ncpu; cpu++) {
		const struct kvmsr_tally_cache *c = (const void *)(v + cpu * sz);

		for (int i = 0; i < KVMSR_TALLY_SLOTS; i++) {
			const struct kvmsr_tally_slot *sl = &c->slot[i];
			struct kvmsr_tally_key k = { .pid = c->pid, .vcpu_id = c->vcpu_id,
						     .reg = sl->reg, .type = sl->type,
						     .flags = sl->flags };

			if (!(c->used & (1ULL << i)) || !sl->n)
				continue;
			fn(ctx, &k, sl->n);
		}
	}
	free(v);
}

uint64_t session_tallies(struct session *s, session_tally_fn fn, void *ctx)
{
	int fd, ncpu = libbpf_num_possible_cpus();
	struct kvmsr_tally_key k, next, *prev = NULL;
	uint64_t *v;

	if (!s->skel || ncpu <= 0)
		return 0;
	/* The end of the run: nothing moves from the caches to the map meanwhile. */
	s->skel->bss->armed = 0;
	fd = bpf_map__fd(s->skel->maps.tallies);
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t n = 0;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			n += v[i];
		if (n)
			fn(ctx, &k, n);
	}
	free(v);
	cached_tallies(s, fn, ctx, ncpu);
	return s->skel->bss->tally_overflow;
}

uint32_t session_on_cpu_mask(const struct session *s, uint32_t *layout,
			     uint32_t *samples, uint32_t *conflicts)
{
	const struct kvmsr_bpf *k = s->skel;

	*layout = k->bss->flag_layout;
	*samples = k->bss->calib_samples;
	*conflicts = k->bss->calib_conflicts;
	/* Counting confirmed the assumed bit: its load/put pairs are the samples. */
	if (!*samples && k->bss->on_cpu_mask && !k->bss->confirm_misses)
		*samples = k->bss->confirm_hits;
	return k->bss->on_cpu_mask ?: k->rodata->seed_on_cpu_mask;
}

uint32_t session_assumed_mask(const struct session *s)
{
	return s->skel->rodata->seed_on_cpu_mask;
}

int session_set_accessors(struct session *s, bool on)
{
	for (int i = 0; i < s->nr_roles; i++) {
		const struct prog_role *r = &s->roles[i];

		if (!r->prog || (r->target != TGT_READ && r->target != TGT_WRITE))
			continue;
		if (!on) {
			bpf_link__destroy(s->role_links[i]);
			s->role_links[i] = NULL;
		} else if (!s->role_links[i]) {
			s->role_links[i] = attach_prog(s, r);
			if (!s->role_links[i])
				return -errno;
		}
	}
	return 0;
}

/*
 * Counting mode: the load/put probes confirm the assumed bit; if a pair
 * contradicted it, attach the VHE put's probes (loaded, on demand) to learn
 * it exactly.  Attaching fails only if the kernel refuses: then the bit
 * stays assumed, which the summaries say.
 */
static void start_calibration(struct session *s)
{
	s->calib_started = true;
	for (int i = 0; i < s->nr_roles; i++) {
		const struct prog_role *r = &s->roles[i];

		if (r->prog && r->on_demand && !s->role_links[i])
			s->role_links[i] = attach_prog(s, r);
	}
}

bool session_calibrate(struct session *s)
{
	const struct kvmsr_bpf__bss *b = s->skel->bss;
	uint32_t layout, samples, conflicts;

	session_on_cpu_mask(s, &layout, &samples, &conflicts);
	if (samples >= SESSION_CALIB_ENOUGH && !conflicts) {
		session_drop_calibration(s);
		return true;
	}
	if (b->confirm_misses && !s->calib_started)
		start_calibration(s);
	return false;
}

void session_drop_calibration(struct session *s)
{
	for (int i = 0; i < s->nr_roles; i++) {
		enum target_id t = s->roles[i].target;

		if (t == TGT_VHE_LOAD || t == TGT_VHE_PUT) {
			bpf_link__destroy(s->role_links[i]);
			s->role_links[i] = NULL;
		}
	}
}

int session_vcpu_aggs_fd(const struct session *s)
{
	return bpf_map__fd(s->skel->maps.vcpu_aggs);
}

int session_reg_aggs_fd(const struct session *s)
{
	return bpf_map__fd(s->skel->maps.reg_aggs);
}

int session_stack(const struct session *s, int32_t id, uint64_t *ips)
{
	if (!s || !s->skel || id < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stacks), &id, ips) ? -errno : 0;
}

int session_trap_name(const struct session *s, uint16_t enc, char *buf, size_t len)
{
	struct kvmsr_trap_name tn;
	__u32 key = enc;

	if (!s || !s->skel || !len)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.trap_names), &key, &tn))
		return -errno;
	tn.name[sizeof(tn.name) - 1] = '\0';
	snprintf(buf, len, "%s", tn.name);
	return 0;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	detach(s);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	free(s);
}

enum backend session_backend(const struct session *s)
{
	return s->backend;
}

const char *session_why(const struct session *s)
{
	return s->why;
}

const char *session_notes(const struct session *s)
{
	return s->notes;
}

bool session_traps(const struct session *s)
{
	return s->traps;
}

const struct targets *session_targets(const struct session *s)
{
	return &s->tg;
}
