/* SPDX-License-Identifier: BSD-2-Clause */
/* pyspan's own counters: a --stats line on stderr and Prometheus text on --metrics-port. */
#ifndef PYSPAN_METRICS_H
#define PYSPAN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "pyspan_events.h"

#define METRICS_MAX_EXPORTERS 8
#define METRICS_MAX_QUEUES 8

/* One moment's counters, gathered from every stage. */
struct metrics_snapshot {
	uint64_t events;
	uint64_t drops[DROP__COUNT]; /* the BPF drops map, summed over CPUs, per cause */
	uint64_t spans;
	uint64_t connections;
	uint64_t parse_errors;
	uint64_t unmatched_responses;
	uint64_t exceptions;
	uint64_t tracebacks;
	uint64_t sampled_kept, sampled_out_caller, sampled_out_here;
	uint64_t redactions;
	int processes; /* traced now */
	int nexporters;
	struct {
		const char *name;
		uint64_t sent, retried, dropped;
	} exporters[METRICS_MAX_EXPORTERS];
	int nqueues; /* the HTTP exporters' delivery queues */
	struct {
		const char *name;
		uint64_t items, bytes, requests, failures, inflight;
	} queues[METRICS_MAX_QUEUES];
};


/* Everything but what the capture counts (events, drops, processes), which the caller fills
 * from capture_stats. */
void metrics_collect(struct metrics_snapshot *m);

/* Prometheus text exposition format 0.0.4. Returns the length; cap - 1 means the text was
 * cut there (NUL-terminated): call again with more room. */
size_t metrics_prometheus(const struct metrics_snapshot *m, char *buf, size_t cap);

/* The one --stats line, without the "pyspan: " prefix. */
void metrics_status_line(const struct metrics_snapshot *m, char *buf, size_t cap);

/* A non-blocking HTTP listener for GET /metrics, served from the main loop. */
struct metrics_server;

/* Listen on address:port (numeric IPv4 or IPv6). NULL, said on stderr, when it cannot. */
struct metrics_server *metrics_server_open(const char *address, int port);

/* Accept, read and answer what is ready, never waiting. fill is called once per scrape. */
void metrics_server_poll(struct metrics_server *s,
			 void (*fill)(struct metrics_snapshot *m, void *arg), void *arg);

/* The port it listens on (the kernel's choice when opened with 0). */
int metrics_server_port(const struct metrics_server *s);

void metrics_server_close(struct metrics_server *s);

#endif
