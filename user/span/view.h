/* SPDX-License-Identifier: BSD-2-Clause */
/* The span view: what every exporter writes about a span, derived once after sampling and redaction. */
#ifndef PYSPAN_SPAN_VIEW_H
#define PYSPAN_SPAN_VIEW_H

#include <stddef.h>

#include "proto/pytraceback.h"
#include "span/span.h"

#define SPAN_VIEW_NAME_MAX (SPAN_METHOD_MAX + SPAN_ROUTE_MAX + 2)
#define SPAN_VIEW_URL_MAX (16 + SPAN_HOST_MAX + SPAN_PATH_MAX + SPAN_QUERY_MAX)
/* Bytes of traceback text, NUL included: what Honeycomb and OTLP take in one string. */
#define SPAN_VIEW_STACK_MAX (64 * 1024)
#define SPAN_VIEW_EXCEPTION_TEXT_MAX (PYTB_TYPE_MAX + PYTB_MESSAGE_MAX + 4)

/* The span (span.h) stays the model the stages fill in; the view holds only values derived
 * from it, as plain fields with their lengths, so an encoder copies them out and computes
 * nothing. A struct copy is a whole view, but for exception and stacktrace, which point into
 * the span's exception and the builder's buffer: both NULL for client spans. */
struct span_view {
	/* Lowercase hex; parent_id is empty when the span has no parent. */
	char trace_id[33];
	char span_id[17];
	char parent_id[17];

	/* Server: "{method} {route}", "{method}" without a route. Client: HTTP "{method}"; a
	 * database "{operation} {database}", "{operation}", else the system. "HTTP" when no
	 * method was seen. */
	char name[SPAN_VIEW_NAME_MAX];
	size_t name_len;

	/* The target's query with every value REDACTED but for the configured query_allow keys
	 * (redact.h redact_query), whoever parsed it; empty when the target had none
	 * (span.has_query says whether there was a "?"). */
	char query[SPAN_QUERY_MAX];
	size_t query_len;

	/* HTTP server and client spans: scheme from tls, authority from the Host header, else the
	 * server address (IPv6 in brackets) with its port unless it is the scheme's default,
	 * "localhost" when there is neither; the path; "?" and the redacted query when the target
	 * had one. Empty for database calls. */
	char url_full[SPAN_VIEW_URL_MAX];
	size_t url_full_len;

	/* Client spans: the peer called by name (the Host header without its port), else its
	 * address. Server spans: the address the request came in on. */
	char server_name[SPAN_HOST_MAX];
	size_t server_name_len;

	/* Server spans, who asked: the socket's peer, and the first X-Forwarded-For hop (trimmed,
	 * brackets and an IPv4 port taken off; empty without one). Which of the two is the client
	 * behind a trusted proxy is the caller's choice: both are kept. client_port is -1 unless
	 * the peer's address is known too. */
	const char *client_socket_addr; /* the span's client_addr; "" when unknown */
	int client_port;
	char client_forwarded_addr[SPAN_XFF_MAX];
	size_t client_forwarded_len;

	/* Outcome. is_error: OpenTelemetry's status ERROR (server: a 5xx or an exception; client:
	 * a failed call or a 4xx/5xx). X-Ray's classes: http_4xx ("error"), throttle (429),
	 * fault (server: a 5xx; client: a failed call). error_type: semconv's error.type for an
	 * error (the exception's class, else the client's own code, else the status code), ""
	 * otherwise. */
	int is_error;
	int http_4xx;
	int throttle;
	int fault;
	char error_type[PYTB_TYPE_MAX];
	size_t error_type_len;

	/* The exception that escaped (the last of the chain), NULL when none; where it was read
	 * ("interpreter", "traceback_text"); "Type: message" ("Type" alone when there is no
	 * message); the whole chain as Python prints it (semconv.h span_stacktrace), NULL unless
	 * the builder was given room for it. */
	const struct pytb_exception *exception;
	const char *exception_source;
	char exception_text[SPAN_VIEW_EXCEPTION_TEXT_MAX];
	size_t exception_text_len;
	const char *stacktrace;
	size_t stacktrace_len;

	double duration_ms; /* 0 when the end is not after the start */
};

/* Derive v from s. stack (cap bytes, may be NULL) receives the traceback text when s has an
 * exception; v points into it and into s->exception, so both must outlive v's use. */
void span_view_build(struct span_view *v, const struct span *s, char *stack, size_t cap);

/* The first X-Forwarded-For hop of xff as an address: leading blanks skipped, cut at the first
 * comma or blank, "[v6]" and "[v6]:port" unbracketed, "a.b.c.d:port" without its port.
 * Returns its length (0: none); out is NUL-terminated, cut at cap - 1. */
size_t span_forwarded_client(const char *xff, char *out, size_t cap);

#endif
