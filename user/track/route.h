/* SPDX-License-Identifier: BSD-2-Clause */
/* Route inference: a URL path becomes a low-cardinality template for span names. */
#ifndef PYSPAN_ROUTE_H
#define PYSPAN_ROUTE_H

#include <stddef.h>

/* Write the route template of path[0..len) into out (cap bytes, NUL-terminated, cut at cap-1):
 * token-like path segments (lib/path_token.h: reset tokens, API keys, JWTs, hex longer than 40)
 * become "{token}"; numeric ones, UUIDs and hex of 16 to 40 characters become "{id}"; the
 * query string, if present, is not part of the route. Returns the length written. */
size_t route_infer(const char *path, size_t len, char *out, size_t cap);

#endif
