// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Benchmark only: counts entries into interpreter functions (uprobes) for a set of processes.
 *
 * pyspan itself installs no uprobe. This measures what the uprobe-based designs it rejected
 * for exception capture would cost: how often each candidate function runs per request. One
 * program is attached once per function, with the function's index as the attach cookie.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define UC_MAX_FUNCS 8

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The processes whose hits count (tgid -> 1), filled by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

/* Hits per function index in the selected processes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UC_MAX_FUNCS);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

/* Hits per function index in every other process running the same binary. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UC_MAX_FUNCS);
	__type(key, __u32);
	__type(value, __u64);
} other_hits SEC(".maps");

SEC("uprobe")
int count_hit(struct pt_regs *ctx)
{
	__u32 idx = (__u32)bpf_get_attach_cookie(ctx);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 *v;

	if (idx >= UC_MAX_FUNCS)
		return 0;
	if (bpf_map_lookup_elem(&tgids, &tgid))
		v = bpf_map_lookup_elem(&hits, &idx);
	else
		v = bpf_map_lookup_elem(&other_hits, &idx);
	if (v)
		*v += 1;
	return 0;
}
