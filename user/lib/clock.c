// SPDX-License-Identifier: BSD-2-Clause
/* Converts the kernel's monotonic timestamps into Unix epoch nanoseconds. */
#include <time.h>

#include "lib/clock.h"

static int64_t mono_to_unix_offset;

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_now_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

void clock_calibrate(void)
{
	/* Take the reading whose bracketing monotonic reads are closest: it is the least
	 * disturbed by a preemption between the two clock reads. */
	uint64_t best_gap = UINT64_MAX;

	for (int i = 0; i < 16; i++) {
		uint64_t m1 = read_ns(CLOCK_MONOTONIC);
		uint64_t r = read_ns(CLOCK_REALTIME);
		uint64_t m2 = read_ns(CLOCK_MONOTONIC);

		if (m2 - m1 < best_gap) {
			best_gap = m2 - m1;
			mono_to_unix_offset = (int64_t)(r - (m1 + (m2 - m1) / 2));
		}
	}
}

uint64_t clock_mono_to_unix_ns(uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + mono_to_unix_offset);
}
