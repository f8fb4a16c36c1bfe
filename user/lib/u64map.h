/* SPDX-License-Identifier: BSD-2-Clause */
/* A small chained hash map from 64-bit keys to pointers, for connections and processes. */
#ifndef PYSPAN_U64MAP_H
#define PYSPAN_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_entry {
	uint64_t key;
	void *value;
	struct u64map_entry *next;
};

struct u64map {
	struct u64map_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

int u64map_init(struct u64map *m, size_t nbuckets_hint);
void u64map_free(struct u64map *m); /* frees the entries, not the values */
/* A zeroed, never initialised map reads as empty. */
void *u64map_get(const struct u64map *m, uint64_t key);
/* Insert or replace; returns 0, or -1 when memory ran out. */
int u64map_put(struct u64map *m, uint64_t key, void *value);
/* Remove and return the value, or NULL when absent. */
void *u64map_del(struct u64map *m, uint64_t key);

/* Visit every entry; the callback may delete the entry it is given (only that one). */
void u64map_each(struct u64map *m, void (*fn)(uint64_t key, void *value, void *arg), void *arg);

#endif
