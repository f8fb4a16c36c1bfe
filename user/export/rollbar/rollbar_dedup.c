// SPDX-License-Identifier: BSD-2-Clause
/* Local rate limiting for Rollbar: one item per fingerprint per window, the repeats counted. */
#include <stdlib.h>
#include <string.h>

#include "export/rollbar/rollbar_dedup.h"
#include "export/rollbar/rollbar_item.h"
#include "lib/u64map.h"

struct seen {
	char fp[ROLLBAR_FINGERPRINT_LEN + 1];
	uint64_t window_start_ms;
	uint64_t suppressed; /* since the last one sent */
};

struct rollbar_dedup {
	uint64_t window_ms;
	struct u64map map;
	uint64_t suppressed;
	uint64_t now_ms; /* for prune */
};

struct rollbar_dedup *rollbar_dedup_new(uint32_t window_s)
{
	struct rollbar_dedup *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->window_ms = (uint64_t)window_s * 1000;
	if (window_s && u64map_init(&d->map, 256)) {
		free(d);
		return NULL;
	}
	return d;
}

/* The first 16 hex digits as the map key; the whole fingerprint is compared on a hit. */
static uint64_t key_of(const char *fp)
{
	uint64_t k = 0;

	for (int i = 0; i < 16 && fp[i]; i++) {
		char c = fp[i];
		int v = c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';

		k = k << 4 | (uint64_t)(v & 0xf);
	}
	return k;
}

static void prune_one(uint64_t key, void *value, void *arg)
{
	struct rollbar_dedup *d = arg;
	struct seen *e = value;

	if (d->now_ms - e->window_start_ms >= d->window_ms) {
		u64map_del(&d->map, key);
		free(e);
	}
}

static void free_one(uint64_t key, void *value, void *arg)
{
	free(value);
}

int rollbar_dedup_check(struct rollbar_dedup *d, const char *fp, uint64_t now_ms,
			uint64_t *repeats)
{
	uint64_t key = key_of(fp);
	struct seen *e;

	if (repeats)
		*repeats = 0;
	if (!d->window_ms)
		return 1;
	e = u64map_get(&d->map, key);
	if (e && strcmp(e->fp, fp) == 0) {
		if (now_ms - e->window_start_ms < d->window_ms) {
			e->suppressed++;
			d->suppressed++;
			return 0;
		}
		if (repeats)
			*repeats = e->suppressed;
	} else if (!e) {
		if (d->map.count >= ROLLBAR_DEDUP_MAX) {
			/* Windows that ended free their slots; repeats they counted are in the
			 * total already. */
			d->now_ms = now_ms;
			u64map_each(&d->map, prune_one, d);
			if (d->map.count >= ROLLBAR_DEDUP_MAX)
				return 1; /* too many distinct errors to remember: send them all */
		}
		e = malloc(sizeof(*e));
		if (!e || u64map_put(&d->map, key, e)) {
			free(e);
			return 1;
		}
	}
	/* A new window (a colliding fingerprint takes the slot over). */
	strncpy(e->fp, fp, ROLLBAR_FINGERPRINT_LEN);
	e->fp[ROLLBAR_FINGERPRINT_LEN] = '\0';
	e->window_start_ms = now_ms;
	e->suppressed = 0;
	return 1;
}

uint64_t rollbar_dedup_suppressed(const struct rollbar_dedup *d)
{
	return d ? d->suppressed : 0;
}

void rollbar_dedup_free(struct rollbar_dedup *d)
{
	if (!d)
		return;
	u64map_each(&d->map, free_one, NULL);
	u64map_free(&d->map);
	free(d);
}
