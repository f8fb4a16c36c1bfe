/* SPDX-License-Identifier: BSD-2-Clause */
/* OpenTelemetry's semantic conventions for a span: its attributes and traceback text. */
#ifndef PYSPAN_EXPORT_SEMCONV_H
#define PYSPAN_EXPORT_SEMCONV_H

#include <stddef.h>
#include <stdint.h>

#include "span/span.h"

struct pytb_report;
struct span_view;

/* The exception chain as Python prints it: "Traceback (most recent call last):", the frames,
 * "Type: message", earlier exceptions first with Python's separator lines. Cut at len - 1
 * bytes (never inside a UTF-8 sequence). Returns the length written. */
size_t span_stacktrace(const struct pytb_report *r, char *out, size_t len);

/* Where span_attrs writes: a flat object (Honeycomb) or an attribute list (OTLP). */
struct attr_sink {
	void *ctx;
	void (*str)(void *ctx, const char *key, const char *value);
	void (*i64)(void *ctx, const char *key, int64_t value);
	void (*flag)(void *ctx, const char *key, int value);
};

/* The span's HTTP, database, network and thread attributes under their stable semconv names
 * (http.request.method, url.path, http.route, http.response.status_code, server.address,
 * client.address, user_agent.original, network.protocol.version, db.system.name,
 * db.query.text, error.type ...), plus pyspan.* flags for what was not seen whole. Not the
 * ids, name, times, status, exception or the resource (service.name, process.pid). */
void span_attrs(const struct span *s, const struct span_view *v, const struct attr_sink *a);

/* Cut s in place to at most max bytes without splitting a UTF-8 sequence. */
void span_cut_utf8(char *s, size_t max);

#endif
