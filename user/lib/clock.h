/* SPDX-License-Identifier: BSD-2-Clause */
/* Converts the kernel's monotonic timestamps into Unix epoch nanoseconds. */
#ifndef PYSPAN_CLOCK_H
#define PYSPAN_CLOCK_H

#include <stdint.h>

/* Measure the offset between CLOCK_REALTIME and CLOCK_MONOTONIC; call once at start. */
void clock_calibrate(void);

/* A CLOCK_MONOTONIC reading (what bpf_ktime_get_ns gives) as Unix epoch nanoseconds. */
uint64_t clock_mono_to_unix_ns(uint64_t mono_ns);

uint64_t clock_mono_now_ns(void);

#endif
