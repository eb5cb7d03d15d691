// SPDX-License-Identifier: GPL-2.0
/* u64 -> u32 map (keymap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/keymap.h"

static uint32_t slot_of(uint64_t key, uint32_t cap)
{
	/* Fibonacci hashing: consecutive keys spread over the table. */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* The slot of @key, or the empty one where it would go. */
static uint32_t find(const struct keymap *m, uint64_t key)
{
	uint32_t i = slot_of(key, m->cap);

	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

bool keymap_get(const struct keymap *m, uint64_t key, uint32_t *val)
{
	uint32_t i;

	if (!m->n)
		return false;
	i = find(m, key);
	if (!m->vals[i])
		return false;
	*val = m->vals[i] - 1;
	return true;
}

static int grow(struct keymap *m)
{
	uint32_t cap = m->cap ? 2 * m->cap : 64;
	struct keymap n = { calloc(cap, sizeof(*n.keys)), calloc(cap, sizeof(*n.vals)), cap, 0 };

	if (!cap || !n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->vals[i]) {
			uint32_t j = find(&n, m->keys[i]);

			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
			n.n++;
		}
	keymap_free(m);
	*m = n;
	return 0;
}

int keymap_put(struct keymap *m, uint64_t key, uint32_t val)
{
	uint32_t i;

	if (val == UINT32_MAX)
		return -EINVAL;
	if (2 * (m->n + 1) > m->cap && grow(m))
		return -ENOMEM;
	i = find(m, key);
	if (!m->vals[i]) {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val + 1;
	return 0;
}

void keymap_free(struct keymap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

int array_room(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? 2 * *cap : first;
	void *old, *p;

	if (n < *cap)
		return 0;
	memcpy(&old, arr, sizeof(old));
	p = realloc(old, c * size);
	if (!p)
		return -ENOMEM;
	memcpy(arr, &p, sizeof(p));
	*cap = c;
	return 0;
}
