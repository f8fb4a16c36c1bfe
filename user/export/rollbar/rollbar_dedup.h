/* SPDX-License-Identifier: BSD-2-Clause */
/* Local rate limiting for Rollbar: one item per fingerprint per window, the repeats counted. */
#ifndef PYSPAN_EXPORT_ROLLBAR_DEDUP_H
#define PYSPAN_EXPORT_ROLLBAR_DEDUP_H

#include <stdint.h>

#define ROLLBAR_DEDUP_MAX 4096 /* fingerprints remembered; beyond, errors are all sent */

struct rollbar_dedup;

/* window_s 0 sends every error. NULL when out of memory. */
struct rollbar_dedup *rollbar_dedup_new(uint32_t window_s);

/* An error with this fingerprint (40 hex characters) happened at now_ms (any monotonic
 * milliseconds). Returns 1 when it should be sent: the first of its window, which starts
 * now; *repeats (may be NULL) is then how many were suppressed since the last one sent.
 * Returns 0 when it repeats one sent less than window_s ago: it is counted, not sent. */
int rollbar_dedup_check(struct rollbar_dedup *d, const char *fingerprint, uint64_t now_ms,
			uint64_t *repeats);

/* Errors suppressed as repeats so far. */
uint64_t rollbar_dedup_suppressed(const struct rollbar_dedup *d);

void rollbar_dedup_free(struct rollbar_dedup *d);

#endif
