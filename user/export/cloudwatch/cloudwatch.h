/* SPDX-License-Identifier: BSD-2-Clause */
/* CloudWatch Logs: request logs, the service's own output and EMF metrics, by PutLogEvents. */
#ifndef PYSPAN_EXPORT_CLOUDWATCH_H
#define PYSPAN_EXPORT_CLOUDWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "export/export.h"
#include "net/delivery.h"

struct cloudwatch_opts {
	const char *log_group;   /* required */
	const char *log_stream;  /* NULL: host name and pyspan's pid */
	const char *endpoint;    /* NULL: $AWS_ENDPOINT_URL_LOGS, $AWS_ENDPOINT_URL, else AWS */
	const char *ns;          /* EMF namespace */
	uint32_t emf_interval_s; /* 0: no metrics */
	double close_deadline_s;
};

/* NULL after one line on stderr when it cannot run (no region, bad endpoint). */
struct exporter *export_cloudwatch_new(const struct cloudwatch_opts *o);

/* The service's limits (PutLogEvents in the CloudWatch Logs API reference). Messages are cut to CW_EVENT_MAX bytes each: 256 KiB
 * per event, less the 26 the service counts on top. */
#define CW_EVENT_OVERHEAD 26
#define CW_EVENT_MAX (256 * 1024 - CW_EVENT_OVERHEAD)
#define CW_BATCH_MAX_BYTES 1048576
#define CW_BATCH_MAX_EVENTS 10000
#define CW_BATCH_MAX_SPAN_MS (24ull * 3600 * 1000)
#define CW_MAX_AGE_MS (14ull * 24 * 3600 * 1000)
#define CW_MAX_FUTURE_MS (2ull * 3600 * 1000)

/* The pure parts, for tests. */
void cw_limits(struct delivery_limits *l);
enum cw_age { CW_AGE_OK = 0, CW_TOO_OLD, CW_TOO_NEW };
enum cw_age cw_check_age(uint64_t ts_ms, uint64_t now_ms);
/* Valid UTF-8 (bad bytes become U+FFFD), NUL-terminated, malloc'd; *outlen its length. */
char *cw_utf8_clean(const char *s, size_t n, size_t *outlen);
/* How many bytes of s (valid UTF-8, len bytes) fit in max without splitting a character. */
size_t cw_utf8_cut(const char *s, size_t len, size_t max);
/* The request log message of a server span, and the message of a log record (JSON). */
char *cw_request_message(const struct span *s, const struct span_view *v);
char *cw_log_message(const struct log_record *r);
/* The PutLogEvents body for items (messages as data, timestamps as key). */
char *cw_put_body(const char *group, const char *stream, struct delivery_item **items, int n);

#endif
