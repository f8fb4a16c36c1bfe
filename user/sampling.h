/* The one sampling decision every exporter obeys, made before spans reach any of them. */
#ifndef PYSPAN_SAMPLING_H
#define PYSPAN_SAMPLING_H

#include <stdint.h>

#include "span.h"

enum sampling_mode {
	SAMPLING_ALL,     /* every span */
	SAMPLING_DEFAULT, /* X-Ray's default rule: 1 request each second, then 5% of the rest */
	SAMPLING_RATE,    /* a fixed probability */
};

struct sampling_cfg {
	enum sampling_mode mode;
	double rate;     /* SAMPLING_RATE: 0..1; SAMPLING_DEFAULT: the rate after the reservoir */
	int keep_errors; /* keep every span with a 4xx/5xx status or an exception */
};

struct sampling_stats {
	uint64_t kept;
	uint64_t dropped_by_caller;  /* the request said Sampled=0 / traceparent flags 00 */
	uint64_t dropped_by_sampler; /* our own rate or reservoir said no */
};

/* Parse "all", "default" or a probability like "0.25". Returns 0, or -1 for anything else. */
int sampling_parse(const char *s, struct sampling_cfg *cfg);

void sampling_init(const struct sampling_cfg *cfg, uint64_t seed);

/* Keep this span? now_sec is the second the reservoir counts in. Counts the decision. */
int sampling_keep(const struct span *s, uint64_t now_sec);

const struct sampling_stats *sampling_stats(void);

/* How many requests the span sampling_keep kept last stands for: 1/rate, rounded, when our
 * own rate kept it; 1 when everything is kept, the caller asked for it, it is an error kept
 * whatever the rate, or it came from the per-second reservoir. Backends that scale counts
 * (Honeycomb's samplerate) read it while the span is exported. */
int sampling_last_weight(void);

#endif
