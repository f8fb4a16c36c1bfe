/* SPDX-License-Identifier: BSD-2-Clause */
/* Bounded string building: appends into a fixed buffer, cut at its end, always NUL-terminated. */
#ifndef PYSPAN_SINK_H
#define PYSPAN_SINK_H

#include <stddef.h>
#include <string.h>

/* Callers need no per-append length checks: what does not fit is dropped. */
struct sink {
	char *out;
	size_t cap, len;
};

static inline void sink_put(struct sink *s, const char *p, size_t n)
{
	if (s->cap == 0)
		return;
	if (n > s->cap - 1 - s->len)
		n = s->cap - 1 - s->len;
	memcpy(s->out + s->len, p, n);
	s->len += n;
	s->out[s->len] = '\0';
}

#endif
