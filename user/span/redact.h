/* SPDX-License-Identifier: BSD-2-Clause */
/* Redaction of secrets before anything leaves the host: spans, log records, pyspan's own log. */
#ifndef PYSPAN_REDACT_H
#define PYSPAN_REDACT_H

#include <stddef.h>

#define REDACTED "REDACTED"

#define REDACT_MAX_NAMES 32    /* extra secret headers; query keys kept in clear */
#define REDACT_MAX_PATTERNS 16 /* user patterns, on top of the built-in ones */

/* What the configuration adds to the built-in rules. Strings are borrowed. */
struct redact_cfg {
	const char *headers[REDACT_MAX_NAMES]; /* redact_headers: more secret header names */
	int nheaders;
	const char *query_allow[REDACT_MAX_NAMES]; /* query_allow: keys whose values are kept */
	int nquery_allow;
	const char *patterns[REDACT_MAX_PATTERNS]; /* redact_patterns: POSIX extended regexes */
	int npatterns;
	int keep_path_tokens; /* keep_path_tokens: token-like path segments stay in url.path */
	char names[1024]; /* storage for the names flags give as comma lists */
	size_t names_used;
};

/* Is pattern a valid POSIX extended regex? 0, or -1 with regcomp's reason in err. */
int redact_check_pattern(const char *pattern, char *err, size_t errlen);

/* Apply cfg (NULL: built-in rules only). Returns -1 when out of memory or a pattern does not
 * compile (checked before, so only memory). Safe to call again; redact_fini frees. */
int redact_init(const struct redact_cfg *cfg);
void redact_fini(void);

/* Write query string q[0..len) (without the '?') into out with every value replaced by
 * REDACTED ("a=1&b=&c" becomes "a=REDACTED&b=REDACTED&c") except for keys in query_allow.
 * Keys are kept. NUL-terminated, cut at cap-1. Returns the length written. */
size_t redact_query(const char *q, size_t len, char *out, size_t cap);

/* Is this header (name, case-insensitive) one that never leaves the host: Authorization,
 * Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, X-Amz-Security-Token, or one the
 * configuration names? */
int redact_header_is_secret(const char *name, size_t len);

/* Replace in the NUL-terminated text s (a buffer of cap bytes) every match of the secret
 * patterns with REDACTED: the built-in ones (AWS access key ids, bearer tokens, JWTs,
 * "secret=...", "password: ...", "token=..."-style pairs, which keep their key) and the
 * configured ones. A pattern with parenthesised groups has its last group replaced, the
 * whole match otherwise. The result is cut at cap-1. Returns how many were replaced. */
int redact_text(char *s, size_t cap);

struct span;
struct log_record;

/* Every text field of a span that can carry a secret: path, query, route, user agent,
 * forwarded-for, host, database query, error message, exception messages. Token-like path
 * segments (lib/path_token.h) become REDACTED unless keep_path_tokens is set. */
void redact_span(struct span *s);

struct redact_stats {
	unsigned long long replaced; /* pattern matches replaced in spans and logs */
};
const struct redact_stats *redact_stats(void);

#endif
