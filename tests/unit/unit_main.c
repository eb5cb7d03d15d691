// SPDX-License-Identifier: GPL-2.0
/* Runs every registered unit test; `unit-tests [NAME-SUBSTRING]`. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "unit.h"

static struct unit_test *tests;
static int current_failures, current_skips;

void unit_register(struct unit_test *t)
{
	t->next = tests;
	tests = t;
}

void unit_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "    %s:%d: CHECK failed: %s\n", file, line, expr);
	current_failures++;
}

void unit_skip(const char *why)
{
	const char *strict = getenv("KVMSR_UNIT_STRICT");

	if (strict && strcmp(strict, "0")) {
		fprintf(stderr, "    missing (KVMSR_UNIT_STRICT): %s\n", why);
		current_failures++;
		return;
	}
	fprintf(stderr, "    SKIP: %s\n", why);
	current_skips++;
}

const char *unit_kernel_dir(void)
{
	const char *c = getenv("KVMSR_CACHE");
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/kernels", c ? c : ".cache");
	return buf;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double unit_best_cpu_s(int reps, void (*run)(void *ctx), void *ctx)
{
	double best = 1e9;

	for (int k = 0; k < reps; k++) {
		double t = cpu_s();

		run(ctx);
		t = cpu_s() - t;
		if (t < best)
			best = t;
	}
	return best;
}

void unit_check_flat(const char *file, int line, double (*cost)(int n), int small, int large,
		     double factor)
{
	double cs = cost(small), cl = cost(large);
	char m[160];

	printf("     %.1f ns per item at %d, %.1f at %d\n", cs * 1e9, small, cl * 1e9, large);
	if (cl >= factor * cs) {
		snprintf(m, sizeof(m), "cost per item %.1fx at %d as at %d (limit %.0fx)",
			 cl / cs, large, small, factor);
		unit_fail(file, line, m);
	}
}

size_t unit_heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

bool unit_heap_measurable(void)
{
	size_t before = unit_heap_bytes();
	void *p = malloc(1 << 20);
	bool ok = p && unit_heap_bytes() >= before + (1 << 20);

	free(p);
	if (!ok)
		printf("     (skipped: mallinfo2 cannot see this heap)\n");
	return ok;
}

int main(int argc, char **argv)
{
	struct unit_test *rev = NULL, *t, *next;
	int passed = 0, failed = 0, skipped = 0;

	/* Constructors ran in reverse order of definition: restore it. */
	for (t = tests; t; t = next) {
		next = t->next;
		t->next = rev;
		rev = t;
	}
	for (t = rev; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		current_failures = current_skips = 0;
		t->fn();
		printf("%s %s\n", current_failures ? "FAIL" : current_skips ? "SKIP" : "ok  ",
		       t->name);
		if (current_failures)
			failed++;
		else if (current_skips)
			skipped++;
		else
			passed++;
	}
	if (skipped)
		printf("unit: %d skipped (their input is missing, see SKIP above)\n", skipped);
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
