// SPDX-License-Identifier: GPL-2.0
/* Event formatting, event-type lists and KVM mode parsing. */
#include <stdlib.h>
#include <string.h>
#include "output/finding_fmt.h"
#include "analysis/findings.h"
#include "output/event_fmt.h"
#include "probe/sysinfo.h"
#include "unit.h"

static char *render_json(const struct kvmsr_event *e, const struct regnames *rn)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	format_event_json(f, e, rn);
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
	struct regnames rn = { names, 8 };
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
	e.reg = 5;	/* a hole in the table */
	s = render_json(&e, &rn);
	CHECK(strstr(s, "\"reg\":\"sysreg#5\"") != NULL);
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

TEST(finding_text_names_register_proof_and_stack)
{
	char *names[8] = { NULL };
	struct regnames rn = { names, 8 };
	struct finding f = { .kind = FIND_STALE_READ, .pid = 9, .vcpu_id = 1, .reg = 3,
			     .value = 0x1, .saved = 0x2, .before = 0x1, .stack_id = -1 };
	const char *frames[] = { "kvm_handle_guest_abort+0x40", "handle_exit+0x10" };
	static char buf[2048];
	FILE *out = fmemopen(buf, sizeof(buf), "w");

	names[3] = "SCTLR_EL1";
	format_finding_text(out, &f, &rn, frames, 2);
	fclose(out);
	CHECK(strstr(buf, "FINDING confirmed stale-read vm 9 vcpu 1 SCTLR_EL1") != NULL);
	CHECK(strstr(buf, "returned 0x1") != NULL);
	CHECK(strstr(buf, "saved 0x2") != NULL);
	CHECK(strstr(buf, "at kvm_handle_guest_abort+0x40") != NULL);
	CHECK(frame_is_plumbing("bpf_prog_1234_fexit_read_sys_reg+0x50"));
	CHECK(frame_is_plumbing("bpf_trampoline_6442+0x48"));
	CHECK(!frame_is_plumbing("access_vm_reg+0x30"));
}
