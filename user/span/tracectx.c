// SPDX-License-Identifier: BSD-2-Clause
/* Trace context: W3C traceparent and X-Amzn-Trace-Id parsing, and new trace and span ids. */
#include "span/tracectx.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Length of a version 00 traceparent; higher versions must be at least this long. */
#define TP_LEN 55
/* "1-" + 8 hex + "-" + 24 hex */
#define XRAY_ROOT_LEN 35

static int hex_val(char c, int allow_upper)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (allow_upper && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes 2n hex characters into n bytes; -1 on any non-hex character. */
static int hex_decode(const char *s, size_t n, uint8_t *out, int allow_upper)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_val(s[2 * i], allow_upper);
		int lo = hex_val(s[2 * i + 1], allow_upper);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void trim_ows(const char **v, size_t *len)
{
	while (*len && is_ows(**v)) {
		(*v)++;
		(*len)--;
	}
	while (*len && is_ows((*v)[*len - 1]))
		(*len)--;
}

int tracectx_parse_traceparent(const char *v, size_t len, struct trace_ctx *out)
{
	struct trace_ctx c = { 0 };
	uint8_t version, flags;

	if (!v)
		return -1;
	trim_ows(&v, &len);
	if (len < TP_LEN)
		return -1;
	if (v[2] != '-' || v[35] != '-' || v[52] != '-')
		return -1;
	if (hex_decode(v, 1, &version, 0) || version == 0xff)
		return -1;
	/* Version 00 is exactly 55 characters; later versions may append fields after a '-', and
	 * we read only the prefix they are required to share with 00. */
	if (version == 0 && len != TP_LEN)
		return -1;
	if (len > TP_LEN && v[TP_LEN] != '-')
		return -1;
	if (hex_decode(v + 3, 16, c.trace_id, 0) || hex_decode(v + 36, 8, c.parent_id, 0) ||
	    hex_decode(v + 53, 1, &flags, 0))
		return -1;
	if (all_zero(c.trace_id, 16) || all_zero(c.parent_id, 8))
		return -1;
	c.has_parent = 1;
	c.sampled = flags & 1;
	*out = c;
	return 0;
}

/* A key compares equal regardless of case: the SDKs emit one spelling, but a proxy that
 * rewrote it should not cost us the trace. */
static int key_is(const char *k, size_t klen, const char *want)
{
	size_t n = strlen(want);

	if (klen != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char a = k[i], b = want[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static int xray_root(const char *s, size_t n, uint8_t id[16])
{
	if (n != XRAY_ROOT_LEN || s[0] != '1' || s[1] != '-' || s[10] != '-')
		return -1;
	if (hex_decode(s + 2, 4, id, 1) || hex_decode(s + 11, 12, id + 4, 1))
		return -1;
	/* OpenTelemetry treats an all-zero trace id as absent, so it cannot continue a trace. */
	return all_zero(id, 16) ? -1 : 0;
}

int tracectx_parse_xray(const char *v, size_t len, struct trace_ctx *out)
{
	struct trace_ctx c = { .sampled = -1 };
	int seen_root = 0, seen_parent = 0, seen_sampled = 0;
	size_t i = 0;

	if (!v)
		return -1;
	while (i < len) {
		size_t start = i, end, eq;
		const char *k, *val;
		size_t klen, vlen;

		while (i < len && v[i] != ';')
			i++;
		end = i++;
		for (eq = start; eq < end && v[eq] != '='; eq++)
			;
		if (eq == end)
			continue;
		k = v + start;
		klen = eq - start;
		val = v + eq + 1;
		vlen = end - eq - 1;
		trim_ows(&k, &klen);
		trim_ows(&val, &vlen);

		/* The first occurrence of a key decides, so a later duplicate cannot override what
		 * an upstream hop put first. */
		if (key_is(k, klen, "Root")) {
			if (seen_root++)
				continue;
			if (xray_root(val, vlen, c.trace_id))
				return -1;
		} else if (key_is(k, klen, "Parent")) {
			if (seen_parent++)
				continue;
			/* A bad Parent still leaves a usable Root: join with no parent. */
			if (vlen == 16 && !hex_decode(val, 8, c.parent_id, 1) &&
			    !all_zero(c.parent_id, 8))
				c.has_parent = 1;
			else
				memset(c.parent_id, 0, sizeof(c.parent_id));
		} else if (key_is(k, klen, "Sampled")) {
			if (seen_sampled++)
				continue;
			if (vlen == 1 && (val[0] == '0' || val[0] == '1'))
				c.sampled = val[0] - '0';
		}
	}
	if (!seen_root)
		return -1;
	*out = c;
	return 0;
}

/*
 * Ids only need to be unique, not unpredictable, so a fast PRNG seeded once is enough.
 * xoshiro256** state lives here unguarded: the tracer draws ids from its single event-loop
 * thread, and calling these functions from several threads at once is not supported.
 */
static uint64_t rng_s[4];
static int rng_seeded;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void rng_seed(void)
{
	uint64_t seed = 0;
	ssize_t r;

	/* Non-blocking: early at boot the pool may not be ready, and a weaker seed is better
	 * than stalling the tracer for ids that are not secrets. */
	do
		r = getrandom(&seed, sizeof(seed), GRND_NONBLOCK);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed ^= (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed ^= rotl((uint64_t)ts.tv_nsec, 32) ^ ((uint64_t)getpid() << 16);
		seed ^= (uint64_t)(uintptr_t)&ts;
	}
	/* splitmix64 spreads one seed over the whole state and cannot yield all zeros for it. */
	for (int i = 0; i < 4; i++)
		rng_s[i] = splitmix64(&seed);
	rng_seeded = 1;
}

static uint64_t rng_next(void)
{
	uint64_t result, t;

	if (!rng_seeded)
		rng_seed();
	result = rotl(rng_s[1] * 5, 7) * 9;
	t = rng_s[1] << 17;
	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return result;
}

static void put_u64(uint8_t *b, uint64_t x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(x >> (8 * i));
}

void tracectx_new_trace_id(uint8_t id[16], uint32_t epoch_sec)
{
	id[0] = (uint8_t)(epoch_sec >> 24);
	id[1] = (uint8_t)(epoch_sec >> 16);
	id[2] = (uint8_t)(epoch_sec >> 8);
	id[3] = (uint8_t)epoch_sec;
	/* Only a zero epoch could make the whole id zero, which would mean "no trace". */
	do {
		put_u64(id + 4, rng_next(), 8);
		put_u64(id + 12, rng_next(), 4);
	} while (all_zero(id, 16));
}

void tracectx_new_span_id(uint8_t id[8])
{
	do
		put_u64(id, rng_next(), 8);
	while (all_zero(id, 8));
}

void tracectx_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}
