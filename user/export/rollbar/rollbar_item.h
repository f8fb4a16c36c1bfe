/* SPDX-License-Identifier: BSD-2-Clause */
/* Rollbar items from failed requests: a pure encoder, no I/O (https://docs.rollbar.com/reference/create-item). */
#ifndef PYSPAN_EXPORT_ROLLBAR_ITEM_H
#define PYSPAN_EXPORT_ROLLBAR_ITEM_H

#include <stddef.h>
#include <stdint.h>

#include "span/span.h"
#include "span/view.h"

#define ROLLBAR_ITEM_MAX (128 * 1024) /* bytes in one item: the documented payload limit */
#define ROLLBAR_ENVIRONMENT_MAX 255   /* characters */
#define ROLLBAR_CODE_VERSION_MAX 40
#define ROLLBAR_TITLE_MAX 255
#define ROLLBAR_FINGERPRINT_LEN 40 /* hex SHA-1: exactly Rollbar's limit */
#define ROLLBAR_UUID_LEN 36

struct rollbar_item_opts {
	const char *environment;      /* required */
	const char *code_version;     /* NULL: not sent; cut to 40 characters */
	const char *host;             /* server.host; NULL: not sent */
	const char *root;             /* server.root (the app's working directory); NULL */
	const char *framework;        /* when the frames do not tell; NULL: not sent */
	const char *notifier_version; /* notifier.version */
};

/* Does this span make a Rollbar item: a server span that answered 5xx or whose exception
 * escaped the request? */
int rollbar_span_is_error(const struct span *s, const struct span_view *v);

/* What groups identical errors, as 40 hex characters (SHA-1) plus NUL: the escaping
 * exception's type and innermost frame (file, function, line) when there is one, else the
 * status, method and route (the path when no route is known). The message is left out: it
 * often holds ids that differ between otherwise identical errors. */
void rollbar_fingerprint(const struct span *s, const struct span_view *v,
			 char out[ROLLBAR_FINGERPRINT_LEN + 1]);

/* An RFC 4122 version 4 UUID in lowercase from 16 random bytes; out holds 37 bytes. */
void rollbar_uuid4(const uint8_t rnd[16], char out[ROLLBAR_UUID_LEN + 1]);

/* "flask", "django", "fastapi"... from the exception's frame paths; NULL when none tells. */
const char *rollbar_framework(const struct span *s);

/* The item ({"data": {...}}) for a failed server span as compact JSON of at most max bytes
 * (malloc'd; the caller frees). uuid identifies the item (Rollbar drops a second item with
 * the same uuid, so retries are harmless); repeats is how many identical errors were
 * suppressed since the last item with this fingerprint (sent as custom.repeats_suppressed
 * when > 0). When it does not fit, custom details go first (trace_id and span_id stay), then
 * the earlier exceptions of the chain, oldest first, then the oldest frames, then the trace
 * itself for a message; *truncated (may be NULL) says so. NULL when even that does not fit
 * or memory ran out. */
char *rollbar_item_encode(const struct span *s, const struct span_view *v,
			  const struct rollbar_item_opts *o, const char *uuid, uint64_t repeats,
			  size_t max, int *truncated);

#endif
