/* SPDX-License-Identifier: BSD-2-Clause */
/* The one sampling decision every exporter obeys, made before spans reach any of them. */
#ifndef PYSPAN_SAMPLING_H
#define PYSPAN_SAMPLING_H

#include <stdint.h>

#include "span/span.h"

enum sampling_mode {
	SAMPLING_ALL,     /* every span */
	SAMPLING_DEFAULT, /* X-Ray's default rule: 1 request each second, then 5% of the rest */
	SAMPLING_RATE,    /* a fixed probability */
	SAMPLING_PER_SECOND, /* at most per_second spans each second, spread over the second */
};

struct sampling_cfg {
	enum sampling_mode mode;
	double rate;     /* SAMPLING_RATE: 0..1; SAMPLING_DEFAULT: the rate after the reservoir */
	uint32_t per_second; /* SAMPLING_PER_SECOND: the limit */
	int keep_errors; /* keep every span with a 4xx/5xx status or an exception */
	uint32_t keep_slower_than_ms; /* keep every span that took longer; 0: no such rule */
};

struct sampling_stats {
	uint64_t kept;
	uint64_t kept_by_rule;       /* of kept: an error or a slow request the head would drop */
	uint64_t dropped_by_caller;  /* the request said Sampled=0 / traceparent flags 00 */
	uint64_t dropped_by_sampler; /* our own rate or reservoir said no */
};

/* Parse "all", "default", a probability like "0.25" or a rate like "50/s" (1 to 1000000 a
 * second). Returns 0, or -1 for anything else. Leaves keep_errors and keep_slower_than_ms. */
int sampling_parse(const char *s, struct sampling_cfg *cfg);

void sampling_init(const struct sampling_cfg *cfg, uint64_t seed);

/* Keep this span? now_sec is the second rate limits count in. Counts the decision.
 *
 * In order: with "all" every span is kept, whatever the caller said. An error (4xx/5xx or an
 * exception, when keep_errors) or a span slower than keep_slower_than_ms is kept: those rules
 * run after the request, when its outcome is known, and outrank every head decision. Then the
 * caller's decision (traceparent flags, X-Amzn-Trace-Id Sampled=) is followed: 1 keeps, 0
 * drops. Then pyspan's own head sampler decides.
 *
 * Returns 0 to drop, else N for "1 in N" (1 when kept for sure): the span's sample_rate, the
 * weight a backend multiplies counts by. */
int sampling_keep(const struct span *s, uint64_t now_sec);

const struct sampling_stats *sampling_stats(void);


#endif
