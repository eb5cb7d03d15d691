// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile vCPU ids and counts (issue 14): a vCPU id of INT32_MAX on the
 * timeline, memory per new vCPU (mallinfo2()), the cost per event with
 * many vCPUs (CPU time at two sizes: a hash costs the same at both, the
 * old linear search did not), and the cap on vCPUs followed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "output/perfetto.h"
#include "unit.h"

TEST(perfetto_track_of_vcpu_int32_max_does_not_overflow)
{
	struct kvmsr_event e = { .ts_ns = 5, .type = KVMSR_EV_LOAD, .pid = 9,
				 .vcpu_id = INT32_MAX, .stack_id = -1 };
	struct regnames rn = { 0 };
	struct perfetto pf;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	perfetto_begin(&pf, f, &rn);
	perfetto_event(&pf, &e);
	e.type = KVMSR_EV_PUT;
	e.ts_ns = 9;
	perfetto_event(&pf, &e);
	perfetto_end(&pf, 10);
	fclose(f);
	CHECK(strstr(buf, "\"tid\":2147483648") != NULL);
	CHECK(strstr(buf, "\"tid\":-") == NULL);
	free(buf);
}
