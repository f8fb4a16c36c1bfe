// SPDX-License-Identifier: BSD-2-Clause
/* The one sampling decision every exporter obeys, made before spans reach any of them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "span/sampling.h"

#define DEFAULT_RESERVOIR 1 /* per second, X-Ray's default rule */
#define DEFAULT_FIXED_RATE 0.05

static struct sampling_cfg cfg = { .mode = SAMPLING_ALL, .rate = 1.0, .keep_errors = 1 };
static struct sampling_stats stats;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t reservoir_sec;
static int reservoir_used;
/* SAMPLING_PER_SECOND: spans seen and kept in the current second, and the rate seen in the
 * last whole one, from which the keep probability of this second comes. */
static uint64_t window_sec;
static uint64_t window_seen, window_kept, last_seen;

int sampling_parse(const char *s, struct sampling_cfg *out)
{
	char *end;
	double r;

	if (strcmp(s, "all") == 0) {
		out->mode = SAMPLING_ALL;
		out->rate = 1.0;
		return 0;
	}
	if (strcmp(s, "default") == 0) {
		out->mode = SAMPLING_DEFAULT;
		out->rate = DEFAULT_FIXED_RATE;
		return 0;
	}
	if (!s[0] || s[0] == '-' || s[0] == '+')
		return -1;
	if (strchr(s, '/')) {
		unsigned long n;

		if (s[0] < '0' || s[0] > '9')
			return -1;
		errno = 0;
		n = strtoul(s, &end, 10);
		if (errno || strcmp(end, "/s") || n < 1 || n > 1000000)
			return -1;
		out->mode = SAMPLING_PER_SECOND;
		out->per_second = (uint32_t)n;
		out->rate = 1.0;
		return 0;
	}
	errno = 0;
	r = strtod(s, &end);
	/* r == r rejects NaN */
	if (errno || *end || r != r || r < 0.0 || r > 1.0)
		return -1;
	out->mode = SAMPLING_RATE;
	out->rate = r;
	return 0;
}

void sampling_init(const struct sampling_cfg *c, uint64_t seed)
{
	cfg = *c;
	memset(&stats, 0, sizeof(stats));
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
	reservoir_sec = 0;
	reservoir_used = 0;
	window_sec = 0;
	window_seen = window_kept = last_seen = 0;
}

/* splitmix64: sampling needs spread, not secrecy. A uniform double in [0, 1). */
static double next_uniform(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static int is_error(const struct span *s)
{
	return s->status >= 400 || s->exception;
}

/* 1-in-N for a probability p > 0, as a whole number backends take. */
static int one_in(double p)
{
	double n = 1.0 / p;

	return n >= 1e9 ? 1000000000 : n < 1.5 ? 1 : (int)lround(n);
}

/* At most per_second a second, spread over it: each span is kept with the probability that
 * last second's traffic would have needed, while this second's budget lasts. The first
 * second (no history) keeps the first per_second spans. */
static int per_second(uint64_t now_sec)
{
	double p;

	if (now_sec != window_sec) {
		last_seen = now_sec == window_sec + 1 ? window_seen : 0;
		window_sec = now_sec;
		window_seen = window_kept = 0;
	}
	window_seen++;
	if (window_kept >= cfg.per_second)
		return 0;
	p = last_seen > cfg.per_second ? (double)cfg.per_second / (double)last_seen : 1.0;
	if (p < 1.0 && next_uniform() >= p)
		return 0;
	window_kept++;
	return one_in(p);
}

/* 0 to drop, else the span's 1-in-N weight. */
static int decide(const struct span *s, uint64_t now_sec, int *by_rule)
{
	*by_rule = 0;
	if (cfg.mode == SAMPLING_ALL)
		return 1;
	if ((cfg.keep_errors && is_error(s)) ||
	    (cfg.keep_slower_than_ms && s->end_unix_ns > s->start_unix_ns &&
	     s->end_unix_ns - s->start_unix_ns > (uint64_t)cfg.keep_slower_than_ms * 1000000ull)) {
		*by_rule = 1;
		return 1;
	}
	/* The caller decided for the whole trace: a segment under an unsampled parent would be
	 * an orphan, and a sampled parent expects its children. */
	if (s->sampled == 0)
		return 0;
	if (s->sampled == 1)
		return 1;
	switch (cfg.mode) {
	case SAMPLING_DEFAULT:
		if (now_sec != reservoir_sec) {
			reservoir_sec = now_sec;
			reservoir_used = 0;
		}
		if (reservoir_used < DEFAULT_RESERVOIR) {
			reservoir_used++;
			return 1;
		}
		return next_uniform() < cfg.rate ? one_in(cfg.rate) : 0;
	case SAMPLING_PER_SECOND:
		return per_second(now_sec);
	default:
		return cfg.rate > 0 && next_uniform() < cfg.rate ? one_in(cfg.rate) : 0;
	}
}

int sampling_keep(const struct span *s, uint64_t now_sec)
{
	int by_rule, rate = decide(s, now_sec, &by_rule);

	if (rate) {
		stats.kept++;
		stats.kept_by_rule += by_rule; /* an error or a slow request, head not asked */
	} else if (s->sampled == 0) {
		stats.dropped_by_caller++;
	} else {
		stats.dropped_by_sampler++;
	}
	return rate;
}

const struct sampling_stats *sampling_stats(void)
{
	return &stats;
}
