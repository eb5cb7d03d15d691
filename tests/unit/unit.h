/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit test harness: TEST() registers a function, CHECK() records a
 * failure with its location and keeps going, the runner prints
 * "N passed, N failed" and exits non-zero on any failure.  A test whose
 * input is not there (the test bed's kernels) calls unit_skip(): SKIP with
 * the reason, counted neither way, unless KVMSR_UNIT_STRICT=1 (make test,
 * which fetched them) makes it a failure.
 */
#ifndef KVMSR_UNIT_H
#define KVMSR_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *expr);
/* This test cannot run here: say why (what is missing, how to get it). */
void unit_skip(const char *why);
/* Where the captured kernel BTF blobs live (KVMSR_CACHE/kernels). */
const char *unit_kernel_dir(void);
/* The least CPU time, in seconds, of @reps calls of @run(@ctx): for cost
 * bounds, not wall clock (other processes' load does not count). */
double unit_best_cpu_s(int reps, void (*run)(void *ctx), void *ctx);
/*
 * A cost that must stay flat: @cost(n) per item at @small and @large items
 * must differ by less than @factor (a linear search costs large/small x).
 */
void unit_check_flat(const char *file, int line, double (*cost)(int n), int small, int large,
		     double factor);
#define CHECK_FLAT(cost, small, large, factor) \
	unit_check_flat(__FILE__, __LINE__, cost, small, large, factor)
/* Bytes the heap holds (mallinfo2); unit_heap_measurable() false, and says
 * the test is skipped, where it cannot see them (a sanitizer's allocator). */
size_t unit_heap_bytes(void);
bool unit_heap_measurable(void);

#define TEST(fn_name)							\
	static void fn_name(void);					\
	static struct unit_test fn_name##_reg = { #fn_name, fn_name, NULL }; \
	__attribute__((constructor)) static void fn_name##_ctor(void)	\
	{								\
		unit_register(&fn_name##_reg);				\
	}								\
	static void fn_name(void)

#define CHECK(expr)							\
	do {								\
		if (!(expr))						\
			unit_fail(__FILE__, __LINE__, #expr);		\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		unsigned long long _a = (a), _b = (b);			\
		if (_a != _b) {						\
			char _m[256];					\
			snprintf(_m, sizeof(_m), "%s == %s (%llu != %llu)", #a, #b, _a, _b); \
			unit_fail(__FILE__, __LINE__, _m);		\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (strcmp(_a, _b)) {					\
			char _m[256];					\
			snprintf(_m, sizeof(_m), "%s == \"%s\" (\"%s\")", #a, _b, _a); \
			unit_fail(__FILE__, __LINE__, _m);		\
		}							\
	} while (0)

#endif /* KVMSR_UNIT_H */
