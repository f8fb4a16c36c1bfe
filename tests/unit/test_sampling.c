/* Unit tests for the global sampling decision: modes, the caller's flag, reservoir, errors. */
#include "check.h"
#include "sampling.h"

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
	s = sp(500, 0);
	CHECK_INT(sampling_keep(&s, 100), 0); /* the caller's Sampled=0 wins, errors too */
	CHECK_INT(sampling_stats()->kept, 10);
	CHECK_INT(sampling_stats()->dropped_by_caller, 1);

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
	c.keep_errors = 0;
	sampling_init(&c, 1);
	s = sp(503, -1);
	CHECK_INT(sampling_keep(&s, 100), 0);
}

static void test_rate_and_reservoir(void)
{
	struct sampling_cfg c = { .mode = SAMPLING_RATE, .rate = 0.3, .keep_errors = 1 };
	struct span s = sp(200, -1);
	int kept = 0;

	sampling_init(&c, 42);
	for (int i = 0; i < 10000; i++)
		kept += sampling_keep(&s, 100);
	CHECK(kept > 2700 && kept < 3300);

	/* default: the first request of each second, then 5% of the rest. */
	sampling_parse("default", &c);
	sampling_init(&c, 42);
	CHECK_INT(sampling_keep(&s, 200), 1);
	kept = 0;
	for (int i = 0; i < 10000; i++)
		kept += sampling_keep(&s, 200);
	CHECK(kept > 380 && kept < 620);
	CHECK_INT(sampling_keep(&s, 201), 1);
	kept = 0;
	for (uint64_t sec = 300; sec < 400; sec++)
		kept += sampling_keep(&s, sec);
	CHECK_INT(kept, 100);
}

int main(void)
{
	test_parse();
	test_all_and_caller();
	test_rate_and_reservoir();
	return check_summary("sampling");
}
