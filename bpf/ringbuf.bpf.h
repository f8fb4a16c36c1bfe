/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* BPF-only: the one ring buffer every program writes to, its wakeup policy and the drop counters. */
#ifndef PYSPAN_RINGBUF_BPF_H
#define PYSPAN_RINGBUF_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "pyspan_events.h"

/* Bytes queued in the ring buffer before userspace is woken. A wakeup per event costs an
 * interrupt (irq_work) on the traced process's CPU: measured at about 5 us a record on a VM,
 * most of pyspan's cost per request. Userspace also polls on a short timeout, so a quiet
 * service's spans still come out within that timeout. */
const volatile __u64 wakeup_bytes = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_DEFAULT_MB << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

static __always_inline void count_drop(__u32 cause)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &cause);

	if (n)
		*n += 1;
}

#endif
