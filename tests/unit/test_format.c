// SPDX-License-Identifier: GPL-2.0
/*
 * Output: the event-type table, event and finding rendering, the JSON
 * escaper, terminal cleaning; and KVM mode parsing.
 */
#include <stdlib.h>
#include <string.h>
#include "analysis/findings.h"
#include "output/event_fmt.h"
#include "output/event_types.h"
#include "output/finding_fmt.h"
#include "output/json_writer.h"
#include "output/metrics.h"
#include "output/text.h"
#include "probe/sysinfo.h"
#include "unit.h"

static char *render_json(const struct kvmsr_event *e, const struct regnames *rn)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	jw_init(&w, f);
	event_json(&w, e, rn);
	jw_end_line(&w);
	fclose(f);
	return buf;
}

TEST(event_type_lists_parse_and_reject)
{
	unsigned int m;

	CHECK(parse_event_types("load,put", &m) == 0);
	CHECK_EQ(m, (1u << KVMSR_EV_LOAD) | (1u << KVMSR_EV_PUT));
	CHECK(parse_event_types("all", &m) == 0);
	CHECK(m & (1u << KVMSR_EV_ENTRY));
	CHECK(!(m & 1u));
	CHECK(parse_event_types("load,bogus", &m) != 0);
	CHECK(parse_event_types("", &m) != 0);
}

TEST(json_read_event_names_the_register_and_keeps_u64_exact)
{
	char *names[8] = { NULL };
	struct regnames rn = { .name = names, .count = 8 };
	struct kvmsr_event e = { .type = KVMSR_EV_READ, .ts_ns = 42, .pid = 7, .vcpu_id = 1,
				 .reg = 3, .val = 0xffffffffffffffffull,
				 .flags = KVMSR_F_LOADED };
	char *s;

	names[3] = "SCTLR_EL1";
	s = render_json(&e, &rn);
	CHECK(strstr(s, "\"event\":\"read\"") != NULL);
	CHECK(strstr(s, "\"reg\":\"SCTLR_EL1\"") != NULL);
	CHECK(strstr(s, "\"value\":\"0xffffffffffffffff\"") != NULL);
	CHECK(strstr(s, "\"sysregs_on_cpu\":true") != NULL);
	CHECK(s[strlen(s) - 1] == '\n');
	CHECK(strstr(s, "gap_before") == NULL);
	e.reg = 5;	/* a hole in the table */
	e.gap = KVMSR_GAP_BEFORE;
	s = render_json(&e, &rn);
	CHECK(strstr(s, "\"reg\":\"sysreg#5\"") != NULL);
	CHECK(strstr(s, "\"vcpu\":1,\"gap_before\":true,") != NULL);
}

/*
 * A load or put whose caller the events around it prove carries no stack
 * but says who: "via" in JSON, the notifier's function in a context line.
 */
TEST(loads_and_puts_say_the_caller_their_via_flag_proves)
{
	struct regnames rn = { .count = 0 };
	struct kvmsr_event e = { .type = KVMSR_EV_LOAD, .flags = KVMSR_F_LOADED | KVMSR_F_VIA_SWITCH,
				 .stack_id = -1 };
	const struct ev_type *load = ev_type(KVMSR_EV_LOAD), *put = ev_type(KVMSR_EV_PUT);
	char what[160];

	CHECK(strstr(render_json(&e, &rn), "\"via\":\"switch\"") != NULL);
	load->describe(&e, &rn, NULL, what, sizeof(what));
	CHECK(!strcmp(what, "SYSREGS_ON_CPU=1 by kvm_sched_in (switched in)"));
	e.flags = KVMSR_F_LOADED | KVMSR_F_VIA_IOCTL;
	CHECK(strstr(render_json(&e, &rn), "\"via\":\"ioctl\"") != NULL);
	load->describe(&e, &rn, NULL, what, sizeof(what));
	CHECK(!strcmp(what, "SYSREGS_ON_CPU=1 (the ioctl's first load)"));
	e.flags = KVMSR_F_LOADED;
	CHECK(strstr(render_json(&e, &rn), "via") == NULL);
	load->describe(&e, &rn, NULL, what, sizeof(what));
	CHECK(!strcmp(what, "SYSREGS_ON_CPU=1"));
	e.type = KVMSR_EV_PUT;
	e.flags = KVMSR_F_VIA_SWITCH;
	CHECK(strstr(render_json(&e, &rn), "\"sysregs_on_cpu\":false,\"flag_word\":\"0\",\"via\":\"switch\"}") != NULL);
	put->describe(&e, &rn, NULL, what, sizeof(what));
	CHECK(!strcmp(what, "SYSREGS_ON_CPU=0 by kvm_sched_out (switched out)"));
}

TEST(kvm_mode_from_kernel_log_lines)
{
	CHECK_EQ(kvm_mode_from_log_line("kvm [1]: VHE mode initialized successfully"),
		 KVM_MODE_VHE);
	CHECK_EQ(kvm_mode_from_log_line("kvm [1]: Hyp mode initialized successfully"),
		 KVM_MODE_NVHE);
	CHECK_EQ(kvm_mode_from_log_line("kvm [1]: Hyp nVHE mode initialized successfully"),
		 KVM_MODE_NVHE);
	CHECK_EQ(kvm_mode_from_log_line("kvm [1]: Hyp hVHE mode initialized successfully"),
		 KVM_MODE_HVHE);
	CHECK_EQ(kvm_mode_from_log_line("kvm [1]: Protected nVHE mode initialized successfully"),
		 KVM_MODE_PROTECTED);
	CHECK_EQ(kvm_mode_from_log_line("kvm [1]: IPA Size Limit: 48 bits"), KVM_MODE_UNKNOWN);
	CHECK_EQ(kvm_mode_from_cmdline("console=ttyAMA0 kvm-arm.mode=nvhe"), KVM_MODE_NVHE);
	CHECK_EQ(kvm_mode_from_cmdline("kvm-arm.mode=nvhe arm64_sw.hvhe=1"), KVM_MODE_HVHE);
	CHECK_EQ(kvm_mode_from_cmdline("kvm-arm.mode=protected"), KVM_MODE_PROTECTED);
	CHECK_EQ(kvm_mode_from_cmdline("console=ttyAMA0"), KVM_MODE_UNKNOWN);
}

TEST(fail_on_kinds_parse_and_reject)
{
	unsigned int m;

	CHECK(parse_fail_on("confirmed", &m) == 0);
	CHECK_EQ(m, (1u << FIND_STALE_READ) | (1u << FIND_LOST_WRITE) | (1u << FIND_DIRECT_ACCESS));
	CHECK(parse_fail_on("warn,bug", &m) == 0);
	CHECK_EQ(m, (1u << FIND_WARN) | (1u << FIND_BUG));
	CHECK(parse_fail_on("any", &m) == 0);
	CHECK(m & (1u << FIND_DOUBLE_LOAD));
	CHECK(!(m & (1u << FIND_SUSPECT)));	/* suspects only when asked */
	CHECK(!(m & (1u << FIND_SUSPECT_LOST_WRITE | 1u << FIND_SUSPECT_STALE_READ)));
	CHECK(parse_fail_on("suspect", &m) == 0);
	CHECK_EQ(m, 1u << FIND_SUSPECT | 1u << FIND_SUSPECT_STALE_READ |
		    1u << FIND_SUSPECT_LOST_WRITE);
	CHECK(parse_fail_on("confirmed,nope", &m) != 0);
	CHECK(parse_fail_on("", &m) != 0);
}

/* A recording-style stack table of one stack, id 4. */
static bool two_frames(void *ctx, int32_t id, struct sym_stack *out)
{
	static const char *const names[] = { "bpf_prog_12_fexit+0x50",
		"kvm_handle_guest_abort+0x40", "handle_exit+0x10" };

	if (id != 4)
		return false;
	memset(out, 0, sizeof(*out));
	out->id = id;
	for (out->n = 0; out->n < 3; out->n++) {
		out->ip[out->n] = 0x1000 + out->n;
		strcpy(out->name[out->n], names[out->n]);
	}
	return true;
}

static char *render_finding(const struct finding *f, const struct regnames *rn, bool json)
{
	static char buf[4096];
	struct sym_source src = { .stack = two_frames };
	struct symbolizer sy;
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	sym_init(&sy);
	sym_use_source(&sy, &src);
	if (json) {
		jw_init(&w, out);
		finding_json(&w, f, rn, &sy);
		jw_end_line(&w);
	} else {
		finding_text(out, f, rn, &sy);
	}
	fclose(out);
	sym_free(&sy);
	return buf;
}

TEST(finding_text_names_register_proof_and_stack)
{
	char *names[8] = { NULL };
	struct regnames rn = { .name = names, .count = 8 };
	struct finding f = { .kind = FIND_STALE_READ, .pid = 9, .vcpu_id = 1, .reg = 3,
			     .value = 0x1, .saved = 0x2, .before = 0x1, .stack_id = 4 };
	char *buf;

	names[3] = "SCTLR_EL1";
	buf = render_finding(&f, &rn, false);
	CHECK(strstr(buf, "FINDING confirmed stale-read vm 9 vcpu 1 SCTLR_EL1") != NULL);
	CHECK(strstr(buf, "returned 0x1") != NULL);
	CHECK(strstr(buf, "saved 0x2") != NULL);
	/* The BPF program's own frame on top is plumbing, not shown. */
	CHECK(strstr(buf, "at kvm_handle_guest_abort+0x40\n    <- handle_exit+0x10") != NULL);
	CHECK(strstr(buf, "bpf_prog") == NULL);
	CHECK(sym_is_plumbing("bpf_prog_1234_fexit_read_sys_reg+0x50"));
	CHECK(sym_is_plumbing("bpf_trampoline_6442+0x48"));
	CHECK(!sym_is_plumbing("access_vm_reg+0x30"));
}

static char *escaped(const char *s)
{
	static char buf[256];

	json_escape(buf, sizeof(buf), s);
	return buf;
}

TEST(json_strings_are_escaped_per_rfc8259)
{
	CHECK(!strcmp(escaped("SCTLR_EL1"), "\"SCTLR_EL1\""));
	CHECK(!strcmp(escaped("a\"b\\c"), "\"a\\\"b\\\\c\""));
	CHECK(!strcmp(escaped("l1\nl2\t\x01\x7f"), "\"l1\\nl2\\t\\u0001\\u007f\""));
	/* Valid UTF-8 passes, invalid bytes become U+FFFD. */
	CHECK(!strcmp(escaped("caf\xc3\xa9"), "\"caf\xc3\xa9\""));
	CHECK(!strcmp(escaped("x\xff\xc3("), "\"x\\ufffd\\ufffd(\""));
	CHECK(!strcmp(escaped("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""));	/* surrogate */
	CHECK(!strcmp(escaped("\xc0\xaf"), "\"\\ufffd\\ufffd\""));	/* overlong */
}

TEST(a_crafted_register_name_cannot_break_json_or_a_terminal)
{
	char *names[8] = { NULL };
	struct regnames rn = { .name = names, .count = 8 };
	struct kvmsr_event e = { .type = KVMSR_EV_WRITE, .reg = 3, .val = 1 };
	struct finding f = { .kind = FIND_LOST_WRITE, .reg = 3, .stack_id = -1, .exact = true };
	char *s, tb[64];

	names[3] = "X\",\"injected\":\"1\n\x1b[2J";
	s = render_json(&e, &rn);
	CHECK(strstr(s, "\"reg\":\"X\\\",\\\"injected\\\":\\\"1\\n\\u001b[2J\"") != NULL);
	CHECK(strchr(s, '\n') == s + strlen(s) - 1);	/* one line */
	s = render_finding(&f, &rn, true);
	CHECK(strstr(s, "\"injected\":") == NULL);
	CHECK(strchr(s, '\n') == s + strlen(s) - 1);
	s = render_finding(&f, &rn, false);
	CHECK(strchr(s, '\x1b') == NULL);
	CHECK(!strcmp(text_clean("a\nb\x1b\x7f", tb, sizeof(tb)), "a?b??"));
}

TEST(every_event_type_names_only_its_own_flags)
{
	unsigned int n = 0;

	for (unsigned int t = 0; t < KVMSR_EV__MAX; t++) {
		const struct ev_type *ty = ev_type(t);

		if (!ty)
			continue;
		n++;
		CHECK(ty->text && ty->describe);
		for (const struct ev_field *f = ty->fields; f->key; f++) {
			uint8_t used = f->need | f->unless;
			char esc[64];

			/* Written unescaped (jw_lit_key): plain bytes only. */
			json_escape(esc, sizeof(esc), f->key);
			CHECK(strlen(esc) == strlen(f->key) + 2);

			if (f->fmt == EVF_BOOL || f->fmt == EVF_DIR || f->fmt == EVF_VIA)
				used |= f->bit;
			if (used & ~ty->flags)
				fprintf(stderr, "%s.%s uses flags %#x it does not declare\n",
					ty->name, f->key, used & ~ty->flags);
			CHECK(!(used & ~ty->flags));
		}
	}
	CHECK_EQ(n, 14);	/* 15 numbers, one retired */
	CHECK(!ev_type(KVMSR_EV__MAX) && !ev_type(0));
	CHECK(!strcmp(event_type_list(), "load,put,read,write,trap,entry,saved,warn,bug,"
		      "vm-exit,direct,switch,ioctl,exit"));
}

/* kvmsr's own cost: program series only while the kernel counts them. */
TEST(metrics_show_kvmsrs_own_cost_and_say_when_run_times_are_off)
{
	const struct metrics_prog progs[] = { { "fexit_vcpu_load", 10, 2500000000ull, 1 },
					      { "fentry_vcpu_put", 12, 1500, 0 } };
	struct metrics_self self = { .bpf_stats = true, .progs = progs, .nr_progs = 2,
				     .records = 77, .ring_known = true, .ring_used = 4096,
				     .ring_size = 16 << 20, .cpu_seconds = 1.5,
				     .rss_bytes = 8 << 20, .start_time = 1764806400.25,
				     .collect_seconds = 0.002 };
	struct run_info ri = { .backend = "fentry", .kvm_mode = "VHE" };
	struct metrics_info mi = { .kernel = "7.3", .version = "0.1", .self = &self };
	struct analyzer a;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	analyzer_init(&a);
	metrics_render(f, &a, &ri, &mi);
	fclose(f);
	CHECK(strstr(buf, "\nkvmsr_bpf_stats_enabled 1\n"));
	CHECK(strstr(buf, "\nkvmsr_bpf_prog_runs_total{prog=\"fexit_vcpu_load\"} 10\n"
		      "kvmsr_bpf_prog_runs_total{prog=\"fentry_vcpu_put\"} 12\n"));
	CHECK(strstr(buf, "\nkvmsr_bpf_prog_run_seconds_total{prog=\"fexit_vcpu_load\"} 2.500000000\n"));
	CHECK(strstr(buf, "\nkvmsr_bpf_prog_misses_total{prog=\"fexit_vcpu_load\"} 1\n"));
	CHECK(strstr(buf, "\nkvmsr_ringbuf_records_total 77\n"));
	CHECK(strstr(buf, "\nkvmsr_ringbuf_used_bytes 4096\n"));
	CHECK(strstr(buf, "\nkvmsr_ringbuf_size_bytes 16777216\n"));
	CHECK(strstr(buf, "\nkvmsr_process_cpu_seconds_total 1.500000\n"));
	CHECK(strstr(buf, "\nkvmsr_process_resident_memory_bytes 8388608\n"));
	CHECK(strstr(buf, "\nkvmsr_process_start_time_seconds 1764806400.250\n"));
	CHECK(strstr(buf, "\nkvmsr_scrape_collect_seconds 0.002000000\n"));
	free(buf);
	/* Statistics off: said, and no program series of zeros. */
	self.bpf_stats = false;
	self.ring_known = false;
	f = open_memstream(&buf, &len);
	metrics_render(f, &a, &ri, &mi);
	fclose(f);
	CHECK(strstr(buf, "\nkvmsr_bpf_stats_enabled 0\n"));
	CHECK(!strstr(buf, "\nkvmsr_bpf_prog_") && !strstr(buf, "# TYPE kvmsr_bpf_prog_"));
	CHECK(!strstr(buf, "kvmsr_ringbuf_used_bytes"));
	CHECK(strstr(buf, "\nkvmsr_ringbuf_records_total 77\n"));
	free(buf);
	analyzer_free(&a);
}
