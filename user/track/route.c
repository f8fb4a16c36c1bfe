// SPDX-License-Identifier: BSD-2-Clause
/* Route inference: a URL path becomes a low-cardinality template for span names. */
#include "track/route.h"

#include <string.h>

#include "lib/path_token.h"
#include "lib/sink.h"

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_uuid(const char *p, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? p[i] != '-' : !is_hex(p[i]))
			return 0;
	}
	return 1;
}

/* Numbers, UUIDs and long hex strings (hashes, object ids) are per-entity values that would
 * give every request its own span name; shorter hex like "cafe" or "add" is a real word. */
static int is_id(const char *p, size_t n)
{
	size_t digits = 0, hex = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		digits += p[i] >= '0' && p[i] <= '9';
		hex += is_hex(p[i]) != 0;
	}
	return digits == n || (hex == n && n >= 16) || is_uuid(p, n);
}

size_t route_infer(const char *path, size_t len, char *out, size_t cap)
{
	struct sink s = { out, cap, 0 };
	size_t end = 0, i = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	while (end < len && path[end] != '?' && path[end] != '#')
		end++;
	if (end == 0) {
		sink_put(&s, "/", 1);
		return s.len;
	}
	while (i < end) {
		size_t start = i;

		if (path[i] == '/') {
			sink_put(&s, "/", 1);
			i++;
			continue;
		}
		while (i < end && path[i] != '/')
			i++;
		/* Tokens first: hex longer than an id is one. */
		if (path_segment_is_token(path + start, i - start))
			sink_put(&s, "{token}", 7);
		else if (is_id(path + start, i - start))
			sink_put(&s, "{id}", 4);
		else
			sink_put(&s, path + start, i - start);
	}
	return s.len;
}
