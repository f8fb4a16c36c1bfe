/* SPDX-License-Identifier: BSD-2-Clause */
/* Server-side HTTP/1.x on one connection: requests in, responses out, a span per exchange. */
#ifndef PYSPAN_HTTP_SERVER_H
#define PYSPAN_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct http_server;
struct span;

struct http_server_stats {
	uint64_t spans;
	uint64_t parse_errors;       /* bytes that were not HTTP where HTTP was expected */
	uint64_t unmatched_responses; /* responses with no request seen (attached mid-exchange) */
	uint64_t pipeline_overflow;   /* requests dropped because too many were pending */
};

struct http_server *http_server_new(void);
void http_server_free(struct http_server *hs);

/* Bytes the process read (ingress) or wrote (egress) on the connection. data holds the first
 * cap bytes of the total the syscall moved; the rest (total - cap) were not captured. ts is
 * CLOCK_MONOTONIC at the syscall's exit, tid the thread that made it. */
void http_server_ingress(struct http_server *hs, const struct conn *c, const uint8_t *data,
			 size_t cap, uint64_t total, uint64_t ts, uint32_t tid);
void http_server_egress(struct http_server *hs, const struct conn *c, const uint8_t *data,
			size_t cap, uint64_t total, uint64_t ts, uint32_t tid);

/* The connection closed: a response that ends with the connection ends now. */
void http_server_close(struct http_server *hs, const struct conn *c, uint64_t ts);

/* A response whose end could not be seen ends once the connection has been quiet this long. */
#define HTTP_SERVER_QUIET_NS (2ull * 1000000000ull)
void http_server_tick(struct http_server *hs, const struct conn *c, uint64_t now);

/* Is this the first data of an HTTP server connection? */
int http_server_sniff(const uint8_t *data, size_t cap, int ingress);

const struct http_server_stats *http_server_stats(void);

struct pytb_report;
/* Give the request in flight on thread tid of process pid the exception that thread reported
 * (source: enum exception_source). The interpreter's report wins over the text's, which only
 * completes it. Takes ownership of r and returns 0; returns -1 when no request is in flight
 * there, and r stays the caller's. */
int http_server_attach_exception(uint32_t pid, uint32_t tid, struct pytb_report *r, int source);

/* The trace and span of the request in flight on thread tid of process pid: where a line
 * that thread writes belongs. 0 and filled, or -1 when none is in flight there. */
int http_server_inflight_trace(uint32_t pid, uint32_t tid, uint8_t trace_id[16],
			       uint8_t span_id[8]);
/* The request in flight on thread tid of process pid, for an outbound call that thread makes:
 * its trace id, span id and the caller's sampling flag. Returns 0, or -1 when none is. */
int http_server_context(uint32_t pid, uint32_t tid, uint8_t trace_id[16], uint8_t span_id[8],
			int *sampled);

/* Keep a finished client span to export with (just before) the request whose span id is
 * parent, still in flight on (pid, tid). Returns 0 (the span was copied), or -1 when that
 * request is over or keeps too many: the caller exports the span itself. */
int http_server_adopt(uint32_t pid, uint32_t tid, const uint8_t parent[8],
		      const struct span *child);

/* Release the index of requests in flight (at exit). */
void http_server_fini(void);

#endif
