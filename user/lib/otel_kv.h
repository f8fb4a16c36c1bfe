/* SPDX-License-Identifier: BSD-2-Clause */
/* "k1=v1,k2=v2" lists (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES), values
 * percent-decoded. */
#ifndef PYSPAN_EXPORT_OTEL_KV_H
#define PYSPAN_EXPORT_OTEL_KV_H

#include <stddef.h>

#define OTEL_KV_MAX 16
#define OTEL_HEADERS_MAX 8 /* what a request has room for besides pyspan's own headers */
#define OTEL_KEY_MAX 128
#define OTEL_VALUE_MAX 1024

struct otel_kv {
	char key[OTEL_KEY_MAX];
	char value[OTEL_VALUE_MAX];
};

/* Parse s into out[0..max). Members are separated by commas; spaces around keys and values
 * are dropped; empty members are skipped; a value's %XX escapes are decoded. Returns the
 * number of pairs, or -1 with one sentence in err (which never quotes a value: header values
 * are credentials) when a member has no '=', an empty key, a key that is not a header token
 * (when header_names), a bad %XX escape, or there are too many. */
int otel_kv_parse(const char *s, struct otel_kv *out, int max, int header_names, char *err,
		  size_t errlen);

#endif
