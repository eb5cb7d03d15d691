// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile or damaged recordings (issue 14): every string from the file ends
 * within its field, a FIFO or directory is refused at once, and the cost is
 * bounded by the file's size: memory per stack counted with mallinfo2(),
 * lookups and the header's text timed in CPU time as cost per item at two
 * sizes (a linear reader costs the same per item at both; the old
 * quadratic one did not).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "recording/file.h"
#include "unit.h"

static void tmp_path(char *path)
{
	strcpy(path, "/tmp/kvmsr-hostile-XXXXXX");
	close(mkstemp(path));
}

static void put_event(struct rec_writer *w, uint32_t pid, int32_t vcpu, uint8_t type)
{
	struct kvmsr_event ev = { .ts_ns = 200, .type = type, .pid = pid, .vcpu_id = vcpu,
				  .stack_id = -1 };

	rec_put(w, REC_EVENT, &ev, sizeof(ev));
}

TEST(an_end_record_kvm_mode_without_nul_ends_within_its_field)
{
	struct regnames rn = { 0 };
	struct rec_info info = { .release = "7.3", .kvm_mode = "VHE" };
	struct rec_end end = { .end_ns = 1 };
	struct rec_writer w;
	struct rec_reader r;
	struct kvmsr_event e;
	char path[64], err[256];

	tmp_path(path);
	memset(end.kvm_mode, 'V', sizeof(end.kvm_mode));	/* no NUL */
	CHECK(rec_create(&w, path, &info, &rn) == 0);
	put_event(&w, 1, 0, KVMSR_EV_LOAD);
	CHECK(rec_close(&w, &end) == 0);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	while (rec_next_event(&r, &e, err, sizeof(err)) > 0)
		;
	CHECK(r.ended);
	CHECK(strnlen(r.end.kvm_mode, sizeof(r.end.kvm_mode)) < sizeof(r.end.kvm_mode));
	CHECK(strnlen(r.info.kvm_mode, sizeof(r.info.kvm_mode)) < sizeof(r.info.kvm_mode));
	rec_close_reader(&r);
	unlink(path);
}

/* A recording of @n stacks, 1 frame each, ids 0..n-1 and ip 0x1000 + id. */
static void make_stacks(const char *path, int n, int frames)
{
	struct regnames rn = { 0 };
	struct rec_info info = { .release = "7.3" };
	struct rec_end end = { .end_ns = 1 };
	struct rec_writer w;

	CHECK(rec_create(&w, path, &info, &rn) == 0);
	for (int i = 0; i < n; i++) {
		struct sym_stack st = { .id = i, .n = frames };

		for (int j = 0; j < frames; j++) {
			st.ip[j] = 0x1000 + (uint64_t)i * 64 + j;
			snprintf(st.name[j], sizeof(st.name[j]), "f%d+%d", i, j);
		}
		rec_put_stack(&w, &st);
		put_event(&w, 1, 0, KVMSR_EV_WARN);
	}
	CHECK(rec_close(&w, &end) == 0);
}

static void read_all(struct rec_reader *r, const char *path)
{
	struct kvmsr_event e;
	char err[256];

	CHECK(rec_open(r, path, err, sizeof(err)) == 0);
	while (rec_next_event(r, &e, err, sizeof(err)) > 0)
		;
	CHECK(r->ended);
}

struct stack_run {
	struct rec_reader r;
	int n;
};

/* Every stack by id and every frame's name by ip. */
static void look_up_all(void *ctx)
{
	struct stack_run *s = ctx;
	int found = 0;

	for (int i = 0; i < s->n; i++) {
		const struct sym_stack *st = rec_find_stack(&s->r, i);
		const char *name = rec_name_of(&s->r, 0x1000 + (uint64_t)i * 64);

		found += st && st->id == i && name && atoi(name + 1) == i;
	}
	CHECK_EQ(found, s->n);
}

static double stack_cost(int n)
{
	struct stack_run s = { .n = n };
	char path[64];
	double t;

	tmp_path(path);
	make_stacks(path, n, 1);
	read_all(&s.r, path);
	t = unit_best_cpu_s(3, look_up_all, &s) / n;
	rec_close_reader(&s.r);
	unlink(path);
	return t;
}

TEST(stack_and_name_lookup_cost_stays_flat)
{
	/* A linear search cost 34x per lookup at 16x the stacks. */
	CHECK_FLAT(stack_cost, 1000, 16000, 4);
}

TEST(memory_per_stack_is_linear_in_its_record)
{
	char path[64];
	struct rec_reader r;
	size_t before;
	double per_stack;

	if (!unit_heap_measurable())
		return;
	tmp_path(path);
	make_stacks(path, 20000, 0);	/* 16-byte records: id, no frames */
	before = unit_heap_bytes();
	read_all(&r, path);
	per_stack = (double)(unit_heap_bytes() - before) / 20000;
	/* Was a whole struct sym_stack (3.3 KB) per 16-byte record. */
	CHECK(per_stack < 256);
	rec_close_reader(&r);
	unlink(path);
}

/* The raw fixed header of a recording with @text_len bytes of @c as text. */
static void make_header(const char *path, size_t text_len, char c)
{
	struct {
		char magic[8];
		uint32_t version, abi_version, event_size, text_len;
		uint64_t start_ns;
	} h = { .version = REC_VERSION, .abi_version = KVMSR_ABI_VERSION,
		.event_size = sizeof(struct kvmsr_event), .text_len = text_len };
	char *text = malloc(text_len);
	FILE *f = fopen(path, "wb");

	memcpy(h.magic, REC_MAGIC, 8);
	memset(text, c, text_len);
	CHECK(fwrite(&h, sizeof(h), 1, f) == 1);
	CHECK(fwrite(text, 1, text_len, f) == text_len);
	fclose(f);
	free(text);
}

static void open_close(void *path)
{
	struct rec_reader r;
	char err[256];

	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	rec_close_reader(&r);
}

static double header_cost(int len)
{
	char path[64];
	double t;

	tmp_path(path);
	make_header(path, len, '\n');
	t = unit_best_cpu_s(3, open_close, path) / len;
	unlink(path);
	return t;
}

TEST(header_text_parse_cost_per_byte_stays_flat)
{
	/* Was 4 s for 1 MiB of blank lines, 15x per byte: sscanf over the rest per line. */
	CHECK_FLAT(header_cost, 64 << 10, 1 << 20, 4);
}

/* rec_open in a child, so that a reader blocked forever fails the test. */
static int open_in_child(const char *path, const char *want)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		struct rec_reader r;
		char err[256];

		alarm(10);
		if (rec_open(&r, path, err, sizeof(err)) == 0)
			_exit(1);
		_exit(strstr(err, want) ? 0 : 2);
	}
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;		/* blocked */
}

TEST(report_of_a_fifo_or_directory_says_so_at_once)
{
	char dir[] = "/tmp/kvmsr-hostile-XXXXXX", fifo[64];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK_EQ(open_in_child(fifo, "not a regular file"), 0);
	CHECK_EQ(open_in_child(dir, "directory"), 0);
	unlink(fifo);
	rmdir(dir);
}
