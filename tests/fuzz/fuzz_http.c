// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the /metrics endpoint's request parsing,
 * http_parse_request() of src/output/http.c, on arbitrary client bytes.
 * Besides the sanitizers, it checks what the parser promises: one of its
 * four answers, and 200 only for GET or HEAD of /metrics.
 */
#define _GNU_SOURCE		/* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "output/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool head = true;
	int code = http_parse_request((const char *)data, size, &head);

	if (code != 200 && code != 400 && code != 404 && code != 405)
		abort();
	if (code != 200 && head)
		abort();
	if (code == 200 && !memmem(data, size, head ? "HEAD" : "GET", head ? 4 : 3))
		abort();
	if (code == 200 && !memmem(data, size, "/metrics", 8))
		abort();
	return 0;
}
