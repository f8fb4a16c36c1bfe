/* SPDX-License-Identifier: BSD-2-Clause */
/* OTLP/HTTP JSON encoding of spans and log records: a pure encoder, no I/O
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding). */
#ifndef PYSPAN_EXPORT_OTLP_JSON_H
#define PYSPAN_EXPORT_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/otel_kv.h"
#include "span/logrec.h"
#include "span/span.h"
#include "span/view.h"

#define OTLP_SCOPE_NAME "pyspan"

enum otlp_signal {
	OTLP_TRACES,
	OTLP_LOGS,
};

struct otlp_resource_opts {
	const char *service_version;    /* NULL: no service.version */
	const char *hostname;           /* host.name; NULL: none */
	const struct otel_kv *extra;    /* OTEL_RESOURCE_ATTRIBUTES, after ours */
	int nextra;
};

/* A Resource object, {"attributes":[service.name, service.version, process.pid, host.name,
 * extras]}, compact (malloc'd). */
char *otlp_resource_json(const char *service_name, uint32_t pid,
			 const struct otlp_resource_opts *o);

/* One Span object (malloc'd): hex ids, kind 2 SERVER / 3 CLIENT, nanosecond times as decimal
 * strings, semconv attributes, an "exception" event, status ERROR for failures. */
char *otlp_span_json(const struct span *s, const struct span_view *v);

/* One LogRecord object (malloc'd); observed_ns is when pyspan read it. */
char *otlp_log_json(const struct log_record *r, uint64_t observed_ns);

/* An item as the delivery queue holds it: the resource, '\n', the span or log record. */
char *otlp_item(const char *resource, const char *record, size_t *len);

/* The request body for items[0..n): one resourceSpans (resourceLogs) entry per distinct
 * resource, in first-seen order, each with one scope "pyspan" (version) holding its records in
 * queue order. malloc'd; *len its length. */
char *otlp_envelope(enum otlp_signal sig, char *const *items, const size_t *lens, int n,
		    const char *scope_version, size_t *len);

/* From a 2xx answer: partialSuccess.rejectedSpans (rejectedLogRecords) as a count (string or
 * number), 0 when absent; errorMessage copied to msg (may be empty). */
long long otlp_partial_rejected(enum otlp_signal sig, const char *body, char *msg,
				size_t msglen);

#endif
