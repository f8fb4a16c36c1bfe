/* SPDX-License-Identifier: BSD-2-Clause */
/* X-Ray segment documents from spans: a pure encoder, no I/O (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html). */
#ifndef PYSPAN_EXPORT_XRAY_SEGMENT_H
#define PYSPAN_EXPORT_XRAY_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "span/span.h"
#include "span/view.h"

#define XRAY_NAME_MAX 200  /* characters in a segment name */
#define XRAY_STRING_MAX 250 /* characters in any other string, unless stated otherwise */
#define XRAY_DOC_MAX (64 * 1024) /* bytes in one segment document */

struct xray_segment_opts {
	const char *service_version; /* NULL: no "service" object */
	const char *origin;          /* NULL: not known, so not sent */
};

/* The segment document for a server span, as compact JSON of at most max bytes (malloc'd; the
 * caller frees). When the whole document does not fit, metadata goes first, then the oldest
 * stack frames of the cause, then the cause; *truncated (may be NULL) says so. NULL when even
 * that does not fit or memory ran out. */
char *xray_segment_encode(const struct span *s, const struct span_view *v,
			  const struct xray_segment_opts *o, size_t max, int *truncated);

/* The same with the request's outbound calls (client spans, each with its view) as
 * subsegments. When they do not
 * all fit in max bytes the segment is encoded alone, as xray_segment_encode does, and
 * *embedded is 0: the caller sends each call as an independent subsegment. */
char *xray_segment_encode_calls(const struct span *s, const struct span_view *v,
				const struct span *const *calls,
				const struct span_view *const *call_views, int n,
				const struct xray_segment_opts *o, size_t max, int *truncated,
				int *embedded);

/* One outbound call as an independent subsegment document: "type": "subsegment", with the
 * trace_id and the parent_id of the segment (the request) it belongs under. NULL when it does
 * not fit in max bytes or memory ran out. */
char *xray_subsegment_encode(const struct span *call, const struct span_view *v, size_t max);

/* A call made outside any request: a segment of its own (the service, with a new id) holding
 * the call as its one subsegment. */
char *xray_call_segment_encode(const struct span *call, const struct span_view *v,
			       const struct xray_segment_opts *o, size_t max);

/* "1-<8hex>-<24hex>" from a trace id in hex (span_view.trace_id); out holds 36 bytes. */
void xray_trace_id(const char hex[33], char out[36]);

/* A segment name: only Unicode letters, digits, whitespace and _ . : / % & # = + \ - @, at
 * most XRAY_NAME_MAX characters, "pyspan" when nothing is left. */
void xray_segment_name(const char *in, char *out, size_t outlen);

/* An annotation key: letters, digits and underscore; anything else becomes '_'. */
void xray_annotation_key(const char *in, char *out, size_t outlen);

#endif
