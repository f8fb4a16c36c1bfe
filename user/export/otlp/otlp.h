/* SPDX-License-Identifier: BSD-2-Clause */
/* The OTLP/HTTP JSON exporter: spans to /v1/traces, log records to /v1/logs. */
#ifndef PYSPAN_EXPORT_OTLP_H
#define PYSPAN_EXPORT_OTLP_H

#include "export/export.h"
#include "export/otlp/otlp_json.h"
#include "net/delivery.h"

#define OTLP_DEFAULT_ENDPOINT "http://localhost:4318"

struct otlp_opts {
	const char *endpoint;        /* base URL: /v1/traces and /v1/logs are appended */
	const char *traces_endpoint; /* used as is; NULL: endpoint + /v1/traces */
	const char *logs_endpoint;   /* used as is; NULL: endpoint + /v1/logs */
	const char *headers;         /* "k=v,k=v", values percent-encoded; NULL: none */
	int gzip;                    /* Content-Encoding: gzip */
	const char *service_version;
	const char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES */
	double close_deadline_s;
};

/* NULL after one line on stderr when the settings are unusable (exit 2): an endpoint that is
 * not a URL, a malformed header list. */
struct exporter *export_otlp_new(const struct otlp_opts *o);

/* Where a signal goes: the signal's own endpoint as is, else base + "/v1/traces" or
 * "/v1/logs" (one slash between), else the default base. */
void otlp_signal_url(const char *base, const char *own, enum otlp_signal sig, char *out,
		     size_t len);

/* The delivery queue's callbacks, for unit tests: ctx is what otlp_test_ctx returns. */
void *otlp_test_ctx(struct exporter *ex, enum otlp_signal sig);
int otlp_build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq);
void otlp_result(void *ctx, struct delivery_item **items, int n, const struct http_response *r,
		 enum delivery_outcome *out, double *retry_after_s);

/* The queue limits this exporter asks for, for unit tests. */
void otlp_limits(struct delivery_limits *l);

#endif
