/* SPDX-License-Identifier: BSD-2-Clause */
/* Honeycomb batch events from spans, in its tracing conventions: a pure encoder, no I/O
 * (https://docs.honeycomb.io/api/events/). */
#ifndef PYSPAN_EXPORT_HONEYCOMB_EVENT_H
#define PYSPAN_EXPORT_HONEYCOMB_EVENT_H

#include <stddef.h>

#include "lib/otel_kv.h"
#include "span/span.h"
#include "span/view.h"

#define HNY_EVENT_MAX 1000000      /* bytes of one event's JSON (libhoney apiEventSizeMax) */
#define HNY_BATCH_MAX_BYTES 5000000 /* bytes of one batch body, uncompressed */
#define HNY_STRING_MAX 65535        /* bytes of one string field (husky fieldSizeMax) */
#define HNY_DATASET_MAX 256

struct hny_event_opts {
	const char *service_version;     /* NULL: no service.version field */
	const char *hostname;            /* meta.local_hostname; NULL: none */
	const struct otel_kv *resource;  /* OTEL_RESOURCE_ATTRIBUTES, added as fields */
	int nresource;
};

/* One element of a /1/batch body: {"time": RFC 3339 start, "samplerate": N (only when N > 1),
 * "data": {fields}} as compact JSON of at most max bytes (malloc'd). An event over max loses
 * its stack trace and exception chain first (*trimmed says so); NULL when it still does not
 * fit or memory ran out. */
char *hny_event_encode(const struct span *s, const struct span_view *v,
		       const struct hny_event_opts *o, int samplerate, size_t max, int *trimmed);

/* Classic keys (32 hex digits, or a 64-character hc?ic_ ingest key, or empty) write to the
 * dataset named in the request; Environment keys route traces by service name. */
int hny_key_is_classic(const char *key);

/* The dataset an Environment key's traces go to: the service name trimmed of spaces,
 * "unknown_service" when there is none or it starts with "unknown_service". */
void hny_service_dataset(const char *service_name, char *out, size_t len);

/* "2016-11-04T21:02:41.271123456Z"; out holds 32 bytes. */
void hny_rfc3339(uint64_t unix_ns, char out[32]);

#endif
