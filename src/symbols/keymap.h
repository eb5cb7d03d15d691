/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A map from 64-bit keys to 32-bit values (open addressing, linear probing,
 * at most half full), for the lookups that must not grow with what a file
 * holds: vCPUs by (VM pid, vCPU id), a recording's stacks by id and names
 * by address, Perfetto's tracks.  At the bottom so that every layer can use
 * it; plain C, no names involved.
 */
#ifndef KVMSR_KEYMAP_H
#define KVMSR_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keymap {
	uint64_t *keys;
	uint32_t *vals;		/* value + 1; 0: empty slot */
	uint32_t cap, n;	/* cap: 0 or a power of two */
};

/* The value under @key into *val; false if absent. */
bool keymap_get(const struct keymap *m, uint64_t key, uint32_t *val);
/* Insert or replace; -ENOMEM (the map unchanged) if it cannot grow. */
int keymap_put(struct keymap *m, uint64_t key, uint32_t val);
void keymap_free(struct keymap *m);

/*
 * Room for one more element in the array *@arr of *@cap elements of @size
 * bytes, @n in use: doubled (from @first) when full.  -ENOMEM, the array
 * unchanged, if it cannot grow.  The arrays a keymap's values index.
 */
int array_room(void *arr, size_t *cap, size_t n, size_t size, size_t first);

#endif /* KVMSR_KEYMAP_H */
