/* SPDX-License-Identifier: BSD-2-Clause */
/* The Honeycomb exporter: spans as events through the batch API, gzip-compressed. */
#ifndef PYSPAN_EXPORT_HONEYCOMB_H
#define PYSPAN_EXPORT_HONEYCOMB_H

#include "export/export.h"
#include "net/delivery.h"

#define HONEYCOMB_DEFAULT_ENDPOINT "https://api.honeycomb.io"

struct honeycomb_opts {
	const char *api_key;          /* HONEYCOMB_API_KEY or the config file; required */
	const char *dataset;          /* classic keys only: where every event goes */
	const char *endpoint;         /* NULL: HONEYCOMB_DEFAULT_ENDPOINT */
	const char *service_version;  /* NULL: none */
	const char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES, added as fields */
	double close_deadline_s;
};

/* NULL after one line on stderr when the settings are unusable (exit 2): no key, a classic
 * key without a dataset, an endpoint that is not a URL. */
struct exporter *export_honeycomb_new(const struct honeycomb_opts *o);

/* The delivery queue's callbacks for one dataset, for unit tests: ctx is what
 * honeycomb_test_ctx returns. */
void *honeycomb_test_ctx(struct exporter *ex, const char *dataset);
int honeycomb_build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq);
void honeycomb_result(void *ctx, struct delivery_item **items, int n,
		      const struct http_response *r, enum delivery_outcome *out,
		      double *retry_after_s);

/* The queue limits this exporter asks for, for unit tests. */
void honeycomb_limits(struct delivery_limits *l);

#endif
