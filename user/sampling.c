/* The one sampling decision every exporter obeys, made before spans reach any of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sampling.h"

#define DEFAULT_RESERVOIR 1 /* per second, X-Ray's default rule */
#define DEFAULT_FIXED_RATE 0.05

static struct sampling_cfg cfg = { .mode = SAMPLING_ALL, .rate = 1.0, .keep_errors = 1 };
static struct sampling_stats stats;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t reservoir_sec;
static int reservoir_used;
static int last_weight = 1;

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
	last_weight = 1;
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

/* 1 in N: the weight of a span our own rate kept. */
static int rate_weight(void)
{
	double w = cfg.rate > 0 ? 1.0 / cfg.rate : 1.0;

	return w >= 2147483647.0 ? 2147483647 : w < 1.5 ? 1 : (int)(w + 0.5);
}

static int decide(const struct span *s, uint64_t now_sec)
{
	last_weight = 1;
	/* The caller decided for the whole trace: a segment under an unsampled parent would be
	 * an orphan, and a sampled parent expects its children. */
	if (s->sampled == 0)
		return 0;
	if (s->sampled == 1 || cfg.mode == SAMPLING_ALL)
		return 1;
	if (cfg.keep_errors && is_error(s))
		return 1;
	if (cfg.mode == SAMPLING_DEFAULT) {
		if (now_sec != reservoir_sec) {
			reservoir_sec = now_sec;
			reservoir_used = 0;
		}
		if (reservoir_used < DEFAULT_RESERVOIR) {
			reservoir_used++;
			return 1;
		}
	}
	if (next_uniform() < cfg.rate) {
		last_weight = rate_weight();
		return 1;
	}
	return 0;
}

int sampling_keep(const struct span *s, uint64_t now_sec)
{
	int keep = decide(s, now_sec);

	if (keep)
		stats.kept++;
	else if (s->sampled == 0)
		stats.dropped_by_caller++;
	else
		stats.dropped_by_sampler++;
	return keep;
}

const struct sampling_stats *sampling_stats(void)
{
	return &stats;
}

int sampling_last_weight(void)
{
	return last_weight;
}
