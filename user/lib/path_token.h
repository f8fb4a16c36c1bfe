/* SPDX-License-Identifier: BSD-2-Clause */
/* Which URL path segments are secrets (reset tokens, API keys, JWTs) rather than names. */
#ifndef PYSPAN_PATH_TOKEN_H
#define PYSPAN_PATH_TOKEN_H

#include <stddef.h>

/* Is the path segment p[0..n) (no '/') token-like: a JWT, hex longer than 40 characters, or a
 * run of 20 or more letters and digits that switches between capitals, small letters and
 * digits as random strings do (base64url reset tokens, "sk_live_..." keys, Django's
 * "<ts>-<hash>")? Slugs ("my-first-blog-post-2024"), words, CamelCase names and ids of up to
 * 40 hex characters (trace ids, object ids, commit hashes) are not. */
int path_segment_is_token(const char *p, size_t n);

/* Replace every token-like segment of the NUL-terminated path s (cap bytes; up to '?' or
 * '#') with repl; the result is cut at cap-1. Returns how many were replaced. */
int path_redact_tokens(char *s, size_t cap, const char *repl);

#endif
