/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF side's life cycle: load, attach, follow the process tree, read the ring buffer. */
#ifndef PYSPAN_CAPTURE_H
#define PYSPAN_CAPTURE_H

#include <stdint.h>

#include "pyspan_events.h"

struct capture_opts {
	const uint32_t *pids;
	int npids;
	uint32_t capture_bytes;
	uint32_t ringbuf_mb;
	const char *record_path; /* NULL, or where to write every record as it arrives */
	int follow;              /* report execs of untraced processes, for capture_follow */
	const char *btf_path;    /* NULL: the kernel's /sys/kernel/btf/vmlinux */
	int log_files;           /* --log-files given: writes to regular files are looked at */
};

struct capture;

struct capture_stats {
	uint64_t events;
	uint64_t drops[DROP__COUNT];
	uint64_t drops_total;
	int traced_processes; /* at attach: the given pids and their children */
	uint64_t ssl_hits[SSL_HIT__COUNT]; /* OpenSSL uprobe runs in traced processes */
	int tls_libs;                      /* libssl files probed */
	uint64_t tls_refused;  /* libssl files not probed (not regular, swapped, a bound...) */
	uint64_t tls_released; /* libssl files unprobed once no traced process mapped them */
};

/* Load and attach. On failure prints one line saying why and returns NULL. */
struct capture *capture_open(const struct capture_opts *o);

/* Trace pid (and the children it has) from now on, with the per-process setup --pid gets.
 * Returns -1 when it was traced already or cannot be. */
int capture_follow(struct capture *cap, uint32_t pid);

/* A descriptor that becomes readable when BPF wakes pyspan (the ring buffer's epoll fd). */
int capture_fd(struct capture *cap);

/* Read what the kernel sent, waiting up to timeout_ms. Returns events handled, or a negative
 * errno (-EINTR when a signal arrived, which is not an error). */
int capture_poll(struct capture *cap, int timeout_ms);

/* Periodic work: look for OpenSSL libraries loaded since the last look. */
void capture_tick(struct capture *cap, uint64_t now_mono_ns);

/* Counters, the kernel's drop counts read fresh. */
void capture_stats(struct capture *cap, struct capture_stats *out);

/* Detach every probe first, so the traced processes stop paying, then free. */
void capture_close(struct capture *cap);

/* The name of a drop cause ("ringbuf_data"), "unknown" out of range (drop_names.c). */
const char *capture_drop_name(int cause);

#endif
