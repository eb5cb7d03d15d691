// SPDX-License-Identifier: GPL-2.0
/*
 * Trapped registers without a sys_regs[] slot (KVMSR_F_TRAP_ENC): their
 * encoding as a name, the kernel's names without SYS_, the live table's
 * fetches and bounds, their rendering in every output, the recording's
 * REC_TRAPNAME round trip and the per-register tally of the summaries.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis/analyzer.h"
#include "output/context_fmt.h"
#include "output/event_fmt.h"
#include "output/event_types.h"
#include "output/summary.h"
#include "recording/file.h"
#include "recording/recorder.h"
#include "symbols/regnames.h"
#include "unit.h"

#define MDCR_EL2 KVMSR_ENC(3, 4, 1, 1, 1)
#define DBGBVR0_EL1 KVMSR_ENC(2, 0, 0, 0, 4)
#define ID_MMFR0 KVMSR_ENC(3, 0, 0, 7, 0)

/* What the BPF map would hold, with a count of lookups. */
static int fetches;

static bool fake_map(void *ctx, uint16_t enc, char *name, size_t len)
{
	fetches++;
	switch (enc) {
	case MDCR_EL2: snprintf(name, len, "SYS_MDCR_EL2"); return true;
	case DBGBVR0_EL1: snprintf(name, len, "SYS_DBGBVRn_EL1(0)"); return true;
	case ID_MMFR0: snprintf(name, len, "%s", ""); return true;	/* a NULL name */
	case 7: snprintf(name, len, "SYS_X\",\"injected\":1\n\x1b[2J"); return true;
	default: return false;	/* not in the map */
	}
}

static char *slots[8];

/* Names of slots 0..7 (3: SCTLR_EL1), traps from fake_map(). */
static void live_names(struct regnames *rn)
{
	memset(rn, 0, sizeof(*rn));
	slots[3] = "SCTLR_EL1";
	rn->name = slots;
	rn->count = 8;
	CHECK(regnames_traps_init(rn) == 0);
	regnames_trap_fetch(rn, fake_map, NULL);
	fetches = 0;
}

/* The trap table only: the slot names are the test's own. */
static void free_traps(struct regnames *rn)
{
	rn->name = NULL;
	rn->count = 0;
	regnames_free(rn);
}

TEST(a_trapped_encoding_reads_as_the_architecture_names_it)
{
	struct regnames none = { 0 };
	char b[32];

	CHECK_EQ(MDCR_EL2, 0xe089);
	CHECK_STR(regnames_enc(MDCR_EL2, b, sizeof(b)), "S3_4_C1_C1_1");
	CHECK_STR(regnames_enc(0xffff, b, sizeof(b)), "S3_7_C15_C15_7");
	CHECK_STR(regnames_enc(0, b, sizeof(b)), "S0_0_C0_C0_0");
	CHECK_EQ(KVMSR_ENC_CRM(ID_MMFR0), 7);
	/* No table at all (a hand-made regnames): the encoding. */
	CHECK_STR(regnames_trap(&none, MDCR_EL2, b, sizeof(b)), "S3_4_C1_C1_1");
	CHECK(regnames_trap_raw(&none, MDCR_EL2) == NULL);
	CHECK(!regnames_trap_add(&none, MDCR_EL2, "SYS_MDCR_EL2", 12));
}

TEST(the_kernels_names_lose_sys_and_a_missing_one_is_the_encoding)
{
	struct regnames rn;
	char b[64];

	live_names(&rn);
	CHECK_STR(regnames_trap(&rn, MDCR_EL2, b, sizeof(b)), "MDCR_EL2");
	CHECK_STR(regnames_trap(&rn, DBGBVR0_EL1, b, sizeof(b)), "DBGBVRn_EL1(0)");
	CHECK_STR(regnames_trap_raw(&rn, MDCR_EL2), "SYS_MDCR_EL2");
	/* NULL in the kernel ("" in the map), or not in the map: the encoding. */
	CHECK_STR(regnames_trap(&rn, ID_MMFR0, b, sizeof(b)), "S3_0_C0_C7_0");
	CHECK_STR(regnames_trap(&rn, KVMSR_ENC(3, 0, 15, 2, 0), b, sizeof(b)), "S3_0_C15_C2_0");
	/* A name that is only the prefix, or has none, is kept whole. */
	CHECK(regnames_trap_add(&rn, 1, "SYS_", 4));
	CHECK(regnames_trap_add(&rn, 2, "OSLAR_EL1", 9));
	CHECK_STR(regnames_trap(&rn, 1, b, sizeof(b)), "SYS_");
	CHECK_STR(regnames_trap(&rn, 2, b, sizeof(b)), "OSLAR_EL1");
	free_traps(&rn);
}

TEST(trap_names_are_fetched_once_and_the_table_is_bounded)
{
	struct regnames rn;
	char b[64], longname[100];

	live_names(&rn);
	regnames_trap(&rn, MDCR_EL2, b, sizeof(b));
	regnames_trap(&rn, MDCR_EL2, b, sizeof(b));
	CHECK_EQ(fetches, 1);
	/* Not in the map: asked once, then the encoding without asking. */
	regnames_trap(&rn, 9, b, sizeof(b));
	CHECK_STR(regnames_trap(&rn, 9, b, sizeof(b)), "S0_0_C0_C1_1");
	CHECK_EQ(fetches, 2);
	/* The first name of an encoding stays; a long one is cut to fit. */
	CHECK(!regnames_trap_add(&rn, MDCR_EL2, "SYS_OTHER", 9));
	CHECK_STR(regnames_trap(&rn, MDCR_EL2, b, sizeof(b)), "MDCR_EL2");
	memset(longname, 'A', sizeof(longname));
	CHECK(regnames_trap_add(&rn, 3, longname, sizeof(longname)));
	CHECK_EQ(strlen(regnames_trap_raw(&rn, 3)), KVMSR_TRAP_NAME_LEN - 1);
	/* Beyond REGNAMES_MAX_TRAPS encodings: counted, shown as encodings. */
	regnames_trap_fetch(&rn, NULL, NULL);
	for (unsigned int e = 100; e < 100 + REGNAMES_MAX_TRAPS; e++)
		regnames_trap_add(&rn, e, "SYS_R", 5);
	CHECK_EQ(rn.traps->n, REGNAMES_MAX_TRAPS);
	CHECK(rn.traps->dropped > 0);
	CHECK_STR(regnames_trap(&rn, 100 + REGNAMES_MAX_TRAPS - 1, b, sizeof(b)),
		  "S0_0_C8_C12_3");
	free_traps(&rn);
}

static char *render(const struct kvmsr_event *e, const struct regnames *rn, int how)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	if (how == 0) {
		jw_init(&w, f);
		event_json(&w, e, rn);
		jw_end_line(&w);
	} else if (how == 1) {
		event_text(f, e, rn, 0);
	} else {
		ev_type(e->type)->describe(e, rn, NULL, buf, sizeof(buf));
		fclose(f);
		return buf;
	}
	fclose(f);
	return buf;
}

TEST(a_trap_is_named_everywhere_and_a_guest_read_has_no_value)
{
	struct regnames rn;
	struct kvmsr_event rd = { .type = KVMSR_EV_TRAP, .flags = KVMSR_F_TRAP_ENC,
				  .reg = MDCR_EL2, .aux = 0xffff800080001234, .vcpu_id = 0 };
	struct kvmsr_event wr = { .type = KVMSR_EV_TRAP, .flags = KVMSR_F_TRAP_ENC |
				  KVMSR_F_TRAP_WRITE, .reg = DBGBVR0_EL1, .val = 0x5 };
	struct kvmsr_event slot = { .type = KVMSR_EV_TRAP, .flags = KVMSR_F_MEMREG |
				    KVMSR_F_TRAP_WRITE, .reg = 3, .val = 0x30d00800 };
	/* ABI 4: no slot, no encoding, a meaningless value on a read. */
	struct kvmsr_event old = { .type = KVMSR_EV_TRAP, .val = 0xdead };
	char *s;

	live_names(&rn);
	s = render(&rd, &rn, 0);
	CHECK(strstr(s, "\"reg\":\"MDCR_EL2\",\"reg_enc\":\"S3_4_C1_C1_1\",\"is_write\":false,"
		     "\"guest_pc\":\"0xffff800080001234\"}") != NULL);
	CHECK(strstr(s, "\"value\"") == NULL);
	s = render(&wr, &rn, 0);
	CHECK(strstr(s, "\"reg\":\"DBGBVRn_EL1(0)\",\"reg_enc\":\"S2_0_C0_C0_4\","
		     "\"is_write\":true,\"value\":\"0x5\"") != NULL);
	s = render(&slot, &rn, 0);
	CHECK(strstr(s, "\"reg\":\"SCTLR_EL1\",\"reg_index\":3,") != NULL);
	CHECK(strstr(s, "reg_enc") == NULL);
	s = render(&old, &rn, 0);
	CHECK(strstr(s, "\"reg\"") == NULL && strstr(s, "\"value\"") == NULL);

	rd.flags |= KVMSR_F_LOADED;
	s = render(&rd, &rn, 1);
	/* No value, but said to be a read; the vCPU was loaded. */
	CHECK(strstr(s, " trap  MDCR_EL2         (read)             yes") != NULL);
	CHECK(strstr(s, "0x") == NULL && strstr(s, "guest read") == NULL);
	s = render(&wr, &rn, 1);
	CHECK(strstr(s, " trap  DBGBVRn_EL1(0)   0x5 ") != NULL);
	s = render(&old, &rn, 1);
	CHECK(strstr(s, "(no slot)") != NULL && strstr(s, "0xdead") == NULL);

	CHECK_STR(render(&rd, &rn, 2), "guest read MDCR_EL2 at pc 0xffff800080001234");
	CHECK_STR(render(&wr, &rn, 2), "guest wrote DBGBVRn_EL1(0) 0x5 at pc 0");
	CHECK_STR(render(&slot, &rn, 2), "guest wrote SCTLR_EL1 0x30d00800 at pc 0");
	CHECK_STR(render(&old, &rn, 2), "guest read (no slot) at pc 0");
	/* Only a name (or encoding) per trap: every output asks ev_reg_name(). */
	{
		char b[64];

		rd.reg = ID_MMFR0;
		CHECK_STR(ev_reg_name(&rd, &rn, b, sizeof(b)), "S3_0_C0_C7_0");
		CHECK(ev_reg_name(&old, &rn, b, sizeof(b)) == NULL);
	}
	free_traps(&rn);
}

TEST(a_crafted_trap_name_cannot_break_json_or_a_terminal)
{
	struct regnames rn;
	struct kvmsr_event e = { .type = KVMSR_EV_TRAP, .flags = KVMSR_F_TRAP_ENC, .reg = 7 };
	char *s;

	live_names(&rn);
	s = render(&e, &rn, 0);
	CHECK(strstr(s, "\"reg\":\"X\\\",\\\"injected\\\":1\\n\\u001b[2J\"") != NULL);
	CHECK(strchr(s, '\n') == s + strlen(s) - 1);
	s = render(&e, &rn, 1);
	CHECK(strchr(s, '\x1b') == NULL && strchr(s, '\n') == s + strlen(s) - 1);
	CHECK(strstr(s, "X\",\"injected\":1??[2J") != NULL);
	s = render(&e, &rn, 2);
	CHECK(strchr(s, '\x1b') == NULL && strchr(s, '\n') == NULL);
	free_traps(&rn);
}

/* Every trap named by the recorder, then read back: names, once each. */
TEST(a_recording_names_its_traps_once_and_report_reads_them)
{
	char path[] = "/tmp/kvmsr-trap-XXXXXX", err[256];
	struct recorder_origin o = { "7.3.4", "aarch64", "VHE", "fentry", "" };
	struct rec_end end = { .end_ns = 9 };
	struct regnames rn;
	struct symbolizer sy;
	struct recorder rec;
	struct rec_reader r;
	struct kvmsr_event e;
	uint16_t encs[] = { MDCR_EL2, MDCR_EL2, DBGBVR0_EL1, ID_MMFR0, 9, MDCR_EL2 };
	char b[64];
	int n = 0;

	close(mkstemp(path));
	live_names(&rn);
	sym_init(&sy);
	CHECK(recorder_begin(&rec, path) == 0);
	CHECK(recorder_open(&rec, &o, &rn, 1) == 0);
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		e = (struct kvmsr_event){ .type = KVMSR_EV_TRAP, .flags = KVMSR_F_TRAP_ENC,
					  .reg = encs[i], .stack_id = -1, .ts_ns = i };
		recorder_event(&rec, &sy, &e);
	}
	CHECK(recorder_close(&rec, &end) == 0);
	CHECK_EQ(fetches, 4);	/* one per encoding */
	free_traps(&rn);

	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	while (rec_next_event(&r, &e, err, sizeof(err)) > 0) {
		n++;
		if (n == 1)	/* written before its event */
			CHECK_STR(regnames_trap(&r.rn, MDCR_EL2, b, sizeof(b)), "MDCR_EL2");
	}
	CHECK_EQ(n, 6);
	CHECK_EQ(r.records, 6 + 4 + 1);	/* events, a name per encoding, END */
	CHECK_STR(regnames_trap(&r.rn, DBGBVR0_EL1, b, sizeof(b)), "DBGBVRn_EL1(0)");
	CHECK_STR(regnames_trap(&r.rn, ID_MMFR0, b, sizeof(b)), "S3_0_C0_C7_0");
	CHECK_STR(regnames_trap(&r.rn, 9, b, sizeof(b)), "S0_0_C0_C1_1");
	rec_close_reader(&r);
	sym_free(&sy);
	unlink(path);
}

/* A file of REC_TRAPNAME records, then @bad appended (NULL: END). */
static void trapname_file(const char *path, int names, const void *bad, size_t len)
{
	struct regnames rn = { .name = slots, .count = 8 };
	struct rec_info info = { .release = "7.3" };
	struct rec_end end = { 0 };
	struct rec_writer w;
	int fd;

	CHECK(rec_create(&w, path, &info, &rn) == 0);
	for (int i = 0; i < names; i++)
		rec_put_trap_name(&w, i % 65536, "SYS_\x1b[2J");
	if (bad) {
		rec_flush(&w);
		fd = w.out.fd;
		CHECK(write(fd, bad, len) == (ssize_t)len);
		close(fd);
		free(w.buf);
		CHECK(rename(w.out.tmp, path) == 0);
		free(w.out.tmp);
		free(w.out.path);
		return;
	}
	CHECK(rec_close(&w, &end) == 0);
}

TEST(a_files_trap_names_stay_bounded_and_a_malformed_one_is_damage)
{
	char path[] = "/tmp/kvmsr-trap-XXXXXX", err[256] = "";
	struct { uint32_t tag, len, enc; } shortrec = { REC_TRAPNAME, 3, 0 },
					    bigenc = { REC_TRAPNAME, 4, 0x10000 };
	struct { uint32_t tag, len, enc; char name[KVMSR_TRAP_NAME_LEN]; } longrec = {
		REC_TRAPNAME, 4 + KVMSR_TRAP_NAME_LEN, 1, "" };
	struct rec_reader r;
	struct kvmsr_event e;
	char b[64];

	close(mkstemp(path));
	/* Every encoding, and again: the table keeps its first REGNAMES_MAX_TRAPS. */
	trapname_file(path, 2 * 65536, NULL, 0);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK_EQ(rec_next_event(&r, &e, err, sizeof(err)), 0);
	CHECK(r.ended);
	CHECK_EQ(r.rn.traps->n, REGNAMES_MAX_TRAPS);
	CHECK_STR(regnames_trap(&r.rn, 5, b, sizeof(b)), "\x1b[2J");	/* raw: outputs clean */
	CHECK_STR(regnames_trap(&r.rn, 60000, b, sizeof(b)), "S3_5_C4_C12_0");
	rec_close_reader(&r);

	trapname_file(path, 1, &shortrec, 8 + 3);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK(rec_next_event(&r, &e, err, sizeof(err)) < 0);
	CHECK(strstr(err, "damaged record") && strstr(err, "tag 5"));
	rec_close_reader(&r);
	trapname_file(path, 1, &bigenc, sizeof(bigenc));
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK(rec_next_event(&r, &e, err, sizeof(err)) < 0);
	rec_close_reader(&r);
	trapname_file(path, 1, &longrec, sizeof(longrec));
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK(rec_next_event(&r, &e, err, sizeof(err)) < 0);
	rec_close_reader(&r);
	unlink(path);
}

static char *summary(const struct analyzer *a, const struct regnames *rn, bool json)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	if (json) {
		jw_init(&w, f);
		jw_obj_begin(&w);
		summary_traps_json(&w, a, rn);
		jw_obj_end(&w);
		jw_end_line(&w);
	} else {
		summary_traps_text(f, a, rn);
	}
	fclose(f);
	return buf;
}

TEST(summaries_count_traps_by_the_names_trace_shows)
{
	struct regnames rn;
	struct analyzer a;
	struct kvmsr_event e = { .type = KVMSR_EV_TRAP, .pid = 1, .vcpu_id = 0 };
	char *s;

	live_names(&rn);
	analyzer_init(&a);
	CHECK_STR(summary(&a, &rn, false), "");		/* nothing trapped: no line */
	for (int i = 0; i < 3; i++) {
		e.flags = KVMSR_F_TRAP_ENC | (i == 2 ? KVMSR_F_TRAP_WRITE : 0);
		e.reg = MDCR_EL2;
		analyzer_feed(&a, &e);
	}
	e.flags = KVMSR_F_MEMREG;
	e.reg = 3;
	analyzer_feed(&a, &e);
	e.flags = KVMSR_F_TRAP_ENC;
	e.reg = ID_MMFR0;
	analyzer_feed(&a, &e);
	e.flags = 0;		/* ABI 4 */
	analyzer_feed(&a, &e);
	e.vcpu_id = -1;		/* no vCPU loaded: not attributed, not tallied */
	analyzer_feed(&a, &e);
	CHECK_EQ(a.traps_total, 6);
	s = summary(&a, &rn, false);
	CHECK_STR(s, "traps: 6 trapped guest accesses, by register (reads/writes): "
		  "MDCR_EL2 2/1, S3_0_C0_C7_0 1/0, SCTLR_EL1 1/0, (no slot) 1/0\n");
	s = summary(&a, &rn, true);
	CHECK(strstr(s, "\"traps\":{\"total\":6,\"untallied\":0,\"by_reg\":["
		     "{\"reg\":\"MDCR_EL2\",\"reg_enc\":\"S3_4_C1_C1_1\",\"reads\":2,\"writes\":1},"
		     "{\"reg\":\"S3_0_C0_C7_0\",\"reg_enc\":\"S3_0_C0_C7_0\",\"reads\":1,\"writes\":0},"
		     "{\"reg\":\"SCTLR_EL1\",\"reg_index\":3,\"reads\":1,\"writes\":0},"
		     "{\"reads\":1,\"writes\":0}]}") != NULL);
	/* Bounded: the traps of registers beyond the table are counted. */
	e.vcpu_id = 0;
	e.flags = KVMSR_F_TRAP_ENC;
	for (unsigned int r = 0; r < ANALYZER_MAX_TRAP_REGS + 10; r++) {
		e.reg = 0x100 + r;
		analyzer_feed(&a, &e);
	}
	CHECK_EQ(a.nr_trap_regs, ANALYZER_MAX_TRAP_REGS);
	CHECK_EQ(a.traps_untallied, 14);
	s = summary(&a, &rn, false);
	CHECK(strstr(s, "; 1016 more registers; 14 traps of registers beyond the first 1024 not tallied\n"));
	analyzer_free(&a);
	free_traps(&rn);
}

/* A recording of the e2e VMM on Debian's 7.3 (ABI 5): its traps as report names them. */
#define TRAPS_FIXTURE "tests/fixtures/traps-id-reg-7.3-fentry.kvmsr"

TEST(a_real_recording_names_every_trap_of_its_guest)
{
	struct rec_reader r;
	struct analyzer a;
	struct kvmsr_event e;
	char err[256], b[64], *s;
	int unnamed = 0, encoded = 0;

	CHECK(rec_open(&r, TRAPS_FIXTURE, err, sizeof(err)) == 0);
	CHECK_EQ(r.info.abi_version, 5);
	analyzer_init(&a);
	while (rec_next_event(&r, &e, err, sizeof(err)) > 0) {
		analyzer_feed(&a, &e);
		if (e.type != KVMSR_EV_TRAP)
			continue;
		unnamed += !ev_reg_name(&e, &r.rn, b, sizeof(b));
		encoded += !!(e.flags & KVMSR_F_TRAP_ENC);
		if (!(e.flags & KVMSR_F_TRAP_WRITE))
			CHECK_EQ(e.val, 0);	/* a read carries no value */
	}
	CHECK(r.ended);
	CHECK_EQ(unnamed, 0);
	CHECK_EQ(encoded, 20);	/* the guest's ID_AA64MMFR0_EL1 reads: 10 per vCPU */
	CHECK_STR(regnames_trap(&r.rn, ID_MMFR0, b, sizeof(b)), "ID_AA64MMFR0_EL1");
	s = summary(&a, &r.rn, false);
	CHECK(strstr(s, "traps: 121 trapped guest accesses") && strstr(s, " ID_AA64MMFR0_EL1 20/0,"));
	s = summary(&a, &r.rn, true);
	CHECK(strstr(s, "{\"reg\":\"ID_AA64MMFR0_EL1\",\"reg_enc\":\"S3_0_C0_C7_0\",\"reads\":20,"
		     "\"writes\":0}"));
	analyzer_free(&a);
	rec_close_reader(&r);
}
