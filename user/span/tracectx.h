/* SPDX-License-Identifier: BSD-2-Clause */
/* Trace context: W3C traceparent and X-Amzn-Trace-Id parsing, and new trace and span ids. */
#ifndef PYSPAN_TRACECTX_H
#define PYSPAN_TRACECTX_H

#include <stddef.h>
#include <stdint.h>

struct trace_ctx {
	uint8_t trace_id[16];
	uint8_t parent_id[8];
	int has_parent; /* parent_id is set */
	int sampled;    /* 1, 0, or -1 when the header did not say */
};

/* Parse a W3C traceparent value (spec level 2 rules: lowercase hex only, version ff invalid,
 * all-zero ids invalid, trailing data invalid for version 00, higher versions parsed by
 * prefix). Returns 0 and fills *out, or -1 when the header must be ignored. */
int tracectx_parse_traceparent(const char *v, size_t len, struct trace_ctx *out);

/* Parse an X-Amzn-Trace-Id value: "Root=1-<8hex>-<24hex>;Parent=<16hex>;Sampled=0|1", fields in
 * any order, unknown fields ignored. Returns 0 when a valid Root was found, else -1. */
int tracectx_parse_xray(const char *v, size_t len, struct trace_ctx *out);

/* A new trace id whose first 4 bytes are epoch_sec big-endian (so it is also a valid X-Ray
 * trace id) and whose other 12 bytes are random. */
void tracectx_new_trace_id(uint8_t id[16], uint32_t epoch_sec);

/* A new random span id, never all zeros. */
void tracectx_new_span_id(uint8_t id[8]);

/* Lowercase hex of n bytes into out, which holds 2n+1 characters; NUL-terminated. */
void tracectx_hex(const uint8_t *b, size_t n, char *out);

#endif
