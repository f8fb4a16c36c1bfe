// SPDX-License-Identifier: BSD-2-Clause
/* The full URL of an outbound HTTP call, as every exporter writes it (url.full). */
#include <stdio.h>
#include <string.h>

#include "span/span_url.h"

size_t span_url_full(const struct span *s, char *out, size_t cap)
{
	const char *scheme = s->tls ? "https" : "http";
	int n;

	if (!cap)
		return 0;
	if (s->host[0])
		n = snprintf(out, cap, "%s://%s%s%s%s", scheme, s->host, s->path,
			     s->has_query ? "?" : "", s->query);
	else if (s->server_port > 0 && strchr(s->server_addr, ':'))
		n = snprintf(out, cap, "%s://[%s]:%d%s%s%s", scheme, s->server_addr, s->server_port,
			     s->path, s->has_query ? "?" : "", s->query);
	else if (s->server_port > 0 && s->server_addr[0])
		n = snprintf(out, cap, "%s://%s:%d%s%s%s", scheme, s->server_addr, s->server_port,
			     s->path, s->has_query ? "?" : "", s->query);
	else
		n = snprintf(out, cap, "%s://localhost%s%s%s", scheme, s->path,
			     s->has_query ? "?" : "", s->query);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
