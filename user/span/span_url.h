/* SPDX-License-Identifier: BSD-2-Clause */
/* The full URL of an outbound HTTP call, as every exporter writes it (url.full). */
#ifndef PYSPAN_SPAN_URL_H
#define PYSPAN_SPAN_URL_H

#include <stddef.h>

#include "span/span.h"

/* "https://host/path?query" from a client span: the scheme from tls, the authority from the
 * Host header (else the peer's address and port), the path and the already redacted query.
 * NUL-terminated, cut at cap-1. Returns the length written. */
size_t span_url_full(const struct span *s, char *out, size_t cap);

#endif
