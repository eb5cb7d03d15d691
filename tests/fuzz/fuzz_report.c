// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: `kvmsr report` on an arbitrary file, through the real
 * cmd_report(): the recording reader (header, records, stack table), the
 * analyzer and its detector, the findings sink with the flight recorder's
 * context, the symbolizer on the file's names, and every output: the text
 * summary with its findings, the JSON summary with findings and context,
 * and the Perfetto timeline.  Each input is reported twice (text with
 * --perfetto, then --json), from a memfd, with stdout on /dev/null; the
 * timeline goes to a file in a private directory under $TMPDIR (never to
 * /dev/null by path: an output written through a temporary file and a
 * rename must not replace /dev/null).
 */
#define _GNU_SOURCE		/* memfd_create */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "cli/cli.h"

/*
 * pipeline.c wires live stacks and trapped registers' names through these;
 * report never does (no libbpf here).
 */
int session_stack(const struct session *s, int32_t id, uint64_t *ips)
{
	abort();
}

int session_trap_name(const struct session *s, uint16_t enc, char *buf, size_t len)
{
	abort();
}

static int in_fd = -1;
static char in_path[64], dir[4096], out_path[sizeof(dir) + 16];

static void cleanup(void)
{
	unlink(out_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY);

	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/kvmsr-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	in_fd = memfd_create("kvmsr-fuzz-input", MFD_CLOEXEC);
	if (in_fd < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0 || !mkdtemp(dir)) {
		perror("fuzz_report: setup");
		exit(1);
	}
	close(null);
	snprintf(in_path, sizeof(in_path), "/proc/self/fd/%d", in_fd);
	snprintf(out_path, sizeof(out_path), "%s/timeline.json", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli text = {
		.command = "report", .input = in_path, .vcpu = -1, .perfetto = out_path,
		.context = CONTEXT_DEFAULT, .fail_mask = ~0u,
	};
	struct cli json = text;

	if (ftruncate(in_fd, 0) || pwrite(in_fd, data, size, 0) != (ssize_t)size) {
		perror("fuzz_report: input");
		exit(1);
	}
	json.json = true;
	json.perfetto = NULL;
	json.context = 4;
	cmd_report(&text);
	cmd_report(&json);
	return 0;
}
