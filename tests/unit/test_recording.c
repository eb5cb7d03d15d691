// SPDX-License-Identifier: GPL-2.0
/* The recording file: round trip, a cut file, damage, foreign files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "recording/file.h"
#include "unit.h"

static char *names[200];

static void make(const char *path, int events, bool end)
{
	struct regnames rn = { .name = names, .count = 200 };
	struct rec_info info = { .release = "7.3.4-kvmsr", .machine = "aarch64",
				 .kvm_mode = "VHE", .backend = "tracepoint", .start_ns = 100 };
	struct sym_stack st = { .id = 7, .n = 2, .ip = { 0x10, 0x20 },
				.name = { "vcpu_read_sys_reg+0x114", "kvm_toggle_cache+0x40" } };
	struct rec_end e = { .end_ns = 999, .duration_ns = 899, .lost = 3, .kvm_mode = "VHE" };
	struct rec_writer w;
	uint64_t lost = 2;

	names[169] = "SCTLR_EL1";
	names[199] = "TTBR0_EL1";
	CHECK(rec_create(&w, path, &info, &rn) == 0);
	rec_put_stack(&w, &st);
	for (int i = 0; i < events; i++) {
		struct kvmsr_event ev = { .ts_ns = 200 + i, .type = KVMSR_EV_READ, .reg = 169,
					  .val = i, .stack_id = 7 };

		rec_put(&w, REC_EVENT, &ev, sizeof(ev));
		if (i == 1)
			rec_put(&w, REC_LOST, &lost, sizeof(lost));
	}
	if (end) {
		CHECK(rec_close(&w, &e) == 0);
	} else {
		rec_flush(&w);		/* what a poll tick wrote before the kill */
		close(w.out.fd);
		free(w.buf);
		/* A kill leaves the temporary file .NAME.XXXXXX: read under @path here. */
		CHECK(rename(w.out.tmp, path) == 0);
		free(w.out.tmp);
		free(w.out.path);
	}
}

TEST(recording_round_trip_keeps_names_stacks_and_counts)
{
	char path[] = "/tmp/kvmsr-rec-XXXXXX", err[256];
	struct rec_reader r;
	struct kvmsr_event e;
	int n = 0, k;

	close(mkstemp(path));
	make(path, 5, true);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	CHECK_STR(r.info.release, "7.3.4-kvmsr");
	CHECK_STR(r.info.backend, "tracepoint");
	CHECK_STR(r.rn.name[199], "TTBR0_EL1");
	CHECK(r.rn.name[1] == NULL);
	while ((k = rec_next_event(&r, &e, err, sizeof(err))) > 0)
		CHECK_EQ(e.val, n++);
	CHECK_EQ(k, 0);
	CHECK_EQ(n, 5);
	CHECK(r.ended && !r.cut);
	CHECK_EQ(r.end.lost, 3);
	CHECK_EQ(r.lost, 2);		/* the last LOST record; END has the final count */
	CHECK_STR(rec_find_stack(&r, 7)->name[1], "kvm_toggle_cache+0x40");
	CHECK_STR(rec_name_of(&r, 0x10), "vcpu_read_sys_reg+0x114");
	rec_close_reader(&r);
	unlink(path);
}

TEST(a_cut_recording_reads_up_to_its_last_whole_record)
{
	char path[] = "/tmp/kvmsr-rec-XXXXXX", err[256];
	struct rec_reader r;
	struct kvmsr_event e;
	off_t size;
	int n = 0, fd;

	close(mkstemp(path));
	make(path, 4, false);		/* killed: no END */
	fd = open(path, O_RDWR);
	size = lseek(fd, 0, SEEK_END);
	CHECK(ftruncate(fd, size - 10) == 0);	/* ... in the middle of a record */
	close(fd);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	while (rec_next_event(&r, &e, err, sizeof(err)) > 0)
		n++;
	CHECK_EQ(n, 3);
	CHECK(r.cut && !r.ended);
	CHECK_EQ(r.lost, 2);
	rec_close_reader(&r);
	unlink(path);
}

TEST(damaged_and_foreign_files_are_refused_with_a_reason)
{
	char path[] = "/tmp/kvmsr-rec-XXXXXX", err[256] = "";
	struct rec_reader r;
	struct kvmsr_event e;
	uint32_t bad[2] = { 77, 12 };
	int fd, n = 0, k;

	close(mkstemp(path));
	make(path, 2, false);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(write(fd, bad, sizeof(bad)) == sizeof(bad));	/* unknown tag */
	close(fd);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	while ((k = rec_next_event(&r, &e, err, sizeof(err))) > 0)
		n++;
	CHECK_EQ(n, 2);			/* what came before the damage */
	CHECK(k < 0);
	CHECK(strstr(err, "damaged record at offset") != NULL);
	rec_close_reader(&r);

	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "#!/bin/sh\necho hello\n", 21) == 21);
	close(fd);
	CHECK(rec_open(&r, path, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a kvmsr recording") != NULL);

	make(path, 1, true);
	fd = open(path, O_WRONLY);
	CHECK(pwrite(fd, "\x09\0\0\0", 4, 8) == 4);	/* format version 9 */
	close(fd);
	CHECK(rec_open(&r, path, err, sizeof(err)) < 0);
	CHECK(strstr(err, "recording format 9") != NULL);
	unlink(path);
}
