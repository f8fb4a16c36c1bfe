/* Redaction of secrets before anything leaves the host. */
#ifndef PYSPAN_REDACT_H
#define PYSPAN_REDACT_H

#include <stddef.h>

#define REDACTED "REDACTED"

/* Write query string q[0..len) (without the '?') into out with every value replaced by
 * REDACTED: "a=1&b=&c" becomes "a=REDACTED&b=REDACTED&c". Keys are kept. NUL-terminated, cut
 * at cap-1. Returns the length written. */
size_t redact_query(const char *q, size_t len, char *out, size_t cap);

/* Is this header (name, case-insensitive) one that never leaves the host: Authorization,
 * Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, X-Amz-Security-Token? */
int redact_header_is_secret(const char *name, size_t len);

#endif
