// SPDX-License-Identifier: BSD-2-Clause
/* A small chained hash map from 64-bit keys to pointers, for connections and processes. */
#include <stdlib.h>

#include "lib/u64map.h"

static size_t slot(const struct u64map *m, uint64_t key)
{
	/* Fibonacci hashing: connection ids differ mostly in their high bits. */
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (m->nbuckets - 1);
}

int u64map_init(struct u64map *m, size_t hint)
{
	size_t n = 64;

	while (n < hint)
		n <<= 1;
	m->buckets = calloc(n, sizeof(*m->buckets));
	m->nbuckets = n;
	m->count = 0;
	return m->buckets ? 0 : -1;
}

void u64map_free(struct u64map *m)
{
	for (size_t i = 0; i < m->nbuckets && m->buckets; i++) {
		struct u64map_entry *e = m->buckets[i];

		while (e) {
			struct u64map_entry *next = e->next;

			free(e);
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->count = 0;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->buckets)
		return NULL;
	for (struct u64map_entry *e = m->buckets[slot(m, key)]; e; e = e->next)
		if (e->key == key)
			return e->value;
	return NULL;
}

static void grow(struct u64map *m)
{
	size_t n = m->nbuckets * 2;
	struct u64map_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct u64map_entry *e = m->buckets[i];

		while (e) {
			struct u64map_entry *next = e->next;
			size_t s = (size_t)((e->key * 0x9E3779B97F4A7C15ull) >> 32) & (n - 1);

			e->next = b[s];
			b[s] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

int u64map_put(struct u64map *m, uint64_t key, void *value)
{
	struct u64map_entry *e;
	size_t s = slot(m, key);

	for (e = m->buckets[s]; e; e = e->next) {
		if (e->key == key) {
			e->value = value;
			return 0;
		}
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	e->key = key;
	e->value = value;
	e->next = m->buckets[s];
	m->buckets[s] = e;
	if (++m->count > m->nbuckets)
		grow(m);
	return 0;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
	struct u64map_entry **pp;

	if (!m->buckets)
		return NULL;
	pp = &m->buckets[slot(m, key)];

	for (; *pp; pp = &(*pp)->next) {
		struct u64map_entry *e = *pp;

		if (e->key == key) {
			void *v = e->value;

			*pp = e->next;
			free(e);
			m->count--;
			return v;
		}
	}
	return NULL;
}

void u64map_each(struct u64map *m, void (*fn)(uint64_t key, void *value, void *arg), void *arg)
{
	if (!m->buckets)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct u64map_entry *e = m->buckets[i];

		while (e) {
			struct u64map_entry *next = e->next;

			fn(e->key, e->value, arg);
			e = next;
		}
	}
}
