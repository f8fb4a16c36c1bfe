// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the global sampling decision: modes, the caller's flag, reservoir, errors. */
#include "check.h"
#include "span/sampling.h"

static struct span sp(int status, int sampled)
{
	struct span s;

	memset(&s, 0, sizeof(s));
	s.status = status;
	s.sampled = sampled;
	return s;
}

static void test_parse(void)
{
	struct sampling_cfg c;

	CHECK_INT(sampling_parse("all", &c), 0);
	CHECK_INT(c.mode, SAMPLING_ALL);
	CHECK_INT(sampling_parse("default", &c), 0);
	CHECK_INT(c.mode, SAMPLING_DEFAULT);
	CHECK_INT(sampling_parse("0.25", &c), 0);
	CHECK_INT(c.mode, SAMPLING_RATE);
	CHECK(c.rate == 0.25);
	CHECK_INT(sampling_parse("0", &c), 0);
	CHECK_INT(sampling_parse("1", &c), 0);
	CHECK_INT(sampling_parse("1.5", &c), -1);
	CHECK_INT(sampling_parse("-0.1", &c), -1);
	CHECK_INT(sampling_parse("nan", &c), -1);
	CHECK_INT(sampling_parse("", &c), -1);
	CHECK_INT(sampling_parse("0.5x", &c), -1);
	CHECK_INT(sampling_parse("some", &c), -1);
	CHECK_INT(sampling_parse("50/s", &c), 0);
	CHECK_INT(c.mode, SAMPLING_PER_SECOND);
	CHECK_INT(c.per_second, 50);
	CHECK_INT(sampling_parse("1/s", &c), 0);
	CHECK_INT(sampling_parse("1000000/s", &c), 0);
	CHECK_INT(sampling_parse("1000001/s", &c), -1);
	CHECK_INT(sampling_parse("0/s", &c), -1);
	CHECK_INT(sampling_parse("50/m", &c), -1);
	CHECK_INT(sampling_parse("50/", &c), -1);
	CHECK_INT(sampling_parse("/s", &c), -1);
	CHECK_INT(sampling_parse("0.5/s", &c), -1);
	CHECK_INT(sampling_parse("-5/s", &c), -1);
	CHECK_INT(sampling_parse(" 5/s", &c), -1);
}

static void test_all_and_caller(void)
{
	struct sampling_cfg c = { .mode = SAMPLING_ALL, .rate = 1, .keep_errors = 1 };
	struct span s;

	sampling_init(&c, 1);
	for (int i = 0; i < 10; i++) {
		s = sp(200, -1);
		CHECK_INT(sampling_keep(&s, 100), 1);
	}
	/* all means all: the caller's Sampled=0 does not drop a span here (it did once, for
	 * every exporter alike) */
	s = sp(200, 0);
	CHECK_INT(sampling_keep(&s, 100), 1);
	s = sp(500, 0);
	CHECK_INT(sampling_keep(&s, 100), 1);
	CHECK_INT(sampling_stats()->kept, 12);
	CHECK_INT(sampling_stats()->dropped_by_caller, 0);

	/* A rate of 0 still keeps what the caller sampled, and errors. */
	c.mode = SAMPLING_RATE;
	c.rate = 0;
	sampling_init(&c, 1);
	s = sp(200, 1);
	CHECK_INT(sampling_keep(&s, 100), 1);
	s = sp(200, -1);
	CHECK_INT(sampling_keep(&s, 100), 0);
	s = sp(404, -1);
	CHECK_INT(sampling_keep(&s, 100), 1);
	s = sp(503, -1);
	CHECK_INT(sampling_keep(&s, 100), 1);
	CHECK_INT(sampling_stats()->dropped_by_sampler, 1);
	/* A caller's Sampled=0 drops what the head would decide; errors are kept anyway. */
	s = sp(200, 0);
	CHECK_INT(sampling_keep(&s, 100), 0);
	s = sp(500, 0);
	CHECK_INT(sampling_keep(&s, 100), 1);
	CHECK_INT(sampling_stats()->dropped_by_caller, 1);
	CHECK_INT(sampling_stats()->kept_by_rule, 3);
	c.keep_errors = 0;
	sampling_init(&c, 1);
	s = sp(503, -1);
	CHECK_INT(sampling_keep(&s, 100), 0);
	s = sp(503, 0);
	CHECK_INT(sampling_keep(&s, 100), 0);
}

static void test_slow_and_weights(void)
{
	struct sampling_cfg c = { .mode = SAMPLING_RATE, .rate = 0, .keep_errors = 1,
				  .keep_slower_than_ms = 250 };
	struct span s = sp(200, -1);

	sampling_init(&c, 7);
	s.start_unix_ns = 1000000000ull;
	s.end_unix_ns = s.start_unix_ns + 250000000ull; /* exactly the threshold: not slower */
	CHECK_INT(sampling_keep(&s, 100), 0);
	s.end_unix_ns++;
	CHECK_INT(sampling_keep(&s, 100), 1);
	s.sampled = 0; /* slow outranks the caller too */
	CHECK_INT(sampling_keep(&s, 100), 1);
	CHECK_INT(sampling_stats()->kept_by_rule, 2);

	/* 1 in N: the weight of a kept span is the inverse of its probability. */
	c.keep_slower_than_ms = 0;
	c.rate = 0.1;
	sampling_init(&c, 7);
	s = sp(200, -1);
	for (int i = 0, seen = 0; i < 1000 && !seen; i++) {
		int r = sampling_keep(&s, 100);

		if (r) {
			CHECK_INT(r, 10);
			seen = 1;
		}
	}
	c.rate = 0.3;
	sampling_init(&c, 7);
	for (int i = 0, r = 0; i < 1000 && !r; i++)
		if ((r = sampling_keep(&s, 100)))
			CHECK_INT(r, 3);
	/* kept for sure: weight 1 */
	s = sp(500, -1);
	CHECK_INT(sampling_keep(&s, 100), 1);
	s = sp(200, 1);
	CHECK_INT(sampling_keep(&s, 100), 1);
	c.mode = SAMPLING_ALL;
	sampling_init(&c, 7);
	s = sp(200, -1);
	CHECK_INT(sampling_keep(&s, 100), 1);
}

static void test_per_second(void)
{
	struct sampling_cfg c = { .mode = SAMPLING_PER_SECOND, .per_second = 50, .keep_errors = 1 };
	struct span s = sp(200, -1);
	int kept = 0, weight = 0;

	sampling_init(&c, 3);
	/* The first second has no history: the first 50 are kept, each standing for itself. */
	for (int i = 0; i < 500; i++) {
		int r = sampling_keep(&s, 1000);

		kept += r > 0;
		if (r && i == 0)
			CHECK_INT(r, 1);
	}
	CHECK_INT(kept, 50);
	/* The next second: 500 seen last second, so 1 in 10, spread, never over 50. */
	kept = 0;
	for (int i = 0; i < 500; i++) {
		int r = sampling_keep(&s, 1001);

		kept += r > 0;
		if (r)
			weight = r;
	}
	CHECK(kept > 30 && kept <= 50);
	CHECK_INT(weight, 10);
	/* A quiet second after: everything fits, weight 1 again (500 -> 10 a second). */
	kept = 0;
	sampling_keep(&s, 1002);
	for (int i = 0; i < 10; i++)
		kept += sampling_keep(&s, 1003) == 1;
	CHECK_INT(kept, 10);
	/* Errors are outside the budget. */
	for (int i = 0; i < 100; i++)
		sampling_keep(&s, 1004);
	s = sp(500, -1);
	CHECK_INT(sampling_keep(&s, 1004), 1);
}

static void test_rate_and_reservoir(void)
{
	struct sampling_cfg c = { .mode = SAMPLING_RATE, .rate = 0.3, .keep_errors = 1 };
	struct span s = sp(200, -1);
	int kept = 0;

	sampling_init(&c, 42);
	for (int i = 0; i < 10000; i++)
		kept += sampling_keep(&s, 100) > 0;
	CHECK(kept > 2700 && kept < 3300);

	/* default: the first request of each second, then 5% of the rest. */
	sampling_parse("default", &c);
	sampling_init(&c, 42);
	CHECK_INT(sampling_keep(&s, 200), 1);
	kept = 0;
	for (int i = 0; i < 10000; i++)
		kept += sampling_keep(&s, 200) > 0;
	CHECK(kept > 380 && kept < 620);
	CHECK_INT(sampling_keep(&s, 201), 1);
	kept = 0;
	for (uint64_t sec = 300; sec < 400; sec++)
		kept += sampling_keep(&s, sec) > 0;
	CHECK_INT(kept, 100);
}

int main(void)
{
	test_parse();
	test_all_and_caller();
	test_rate_and_reservoir();
	test_slow_and_weights();
	test_per_second();
	return check_summary("sampling");
}
