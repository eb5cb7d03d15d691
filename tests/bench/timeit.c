// SPDX-License-Identifier: GPL-2.0
/*
 * timeit - run a command and report its CLOCK_MONOTONIC wall time in ns.
 *
 * The bench needs nanosecond guest timestamps around exactly the workload:
 * busybox's date has no %N, and timing `kvmsr stat -- vmm` from outside would
 * add kvmsr's own attach/detach to the measurement. Run as the command kvmsr
 * (or the untraced/bpftrace cases) starts, it times only the workload.
 * Under QEMU -icount the guest's monotonic clock counts instructions, so this
 * is deterministic guest time.
 *
 * Usage: timeit TIMEFILE LOGFILE CMD [ARGS...]
 * Runs CMD with stdout and stderr on LOGFILE (so the workload's own lines do
 * not mix into a tracer's output when a tracer runs timeit), writes
 * "elapsed_ns=N status=S" to TIMEFILE (S: exit status, or 128+signal) and
 * exits with the command's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1;
	int st, code, log;
	FILE *out;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: timeit TIMEFILE LOGFILE CMD [ARGS...]\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	log = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log < 0) {
		fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	/* Both opened before the clock starts: only fork+exec+wait are timed. */
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		if (dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(126);
		execvp(argv[3], argv + 3);
		fprintf(stderr, "timeit: cannot run %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	close(log);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "timeit: waitpid: %s\n", strerror(errno));
			return 2;
		}
	}
	t1 = now_ns();
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(out, "elapsed_ns=%llu status=%d\n", t1 - t0, code);
	if (fclose(out)) {
		fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	return code;
}
