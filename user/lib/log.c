// SPDX-License-Identifier: BSD-2-Clause
/* Messages on stderr, each prefixed "pyspan:", with a verbosity switch for debug output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

int log_verbose;
static log_filter_fn filter;

void log_set_filter(log_filter_fn fn)
{
	filter = fn;
}

/* One conversion of fmt ("%-*.*s", "%llu") at *fmt with its argument, into out; *fmt moves
 * past it. Returns the conversion letter, 0 for one this cannot print. */
static char convert(const char **fmt, va_list *ap, char *out, size_t len)
{
	char spec[32];
	const char *p = *fmt + 1;
	size_t n = 1;
	int ls = 0;     /* how many 'l's */
	char size = 0;  /* z, j, t or L */

	spec[0] = '%';
	for (; *p && n < sizeof(spec) - 12; p++) {
		if (*p == '*') { /* a width or precision argument, written into the spec */
			n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%d", va_arg(*ap, int));
			continue;
		}
		if (!strchr("-+ #0123456789.hlzjtL", *p))
			break;
		ls += *p == 'l';
		if (strchr("zjtL", *p))
			size = *p;
		spec[n++] = *p;
	}
	spec[n++] = *p;
	spec[n] = '\0';
	*fmt = *p ? p + 1 : p;
	switch (*p) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
		/* The argument as the length says it was passed; printed by spec alone. */
		if (size == 'z')
			snprintf(out, len, spec, va_arg(*ap, size_t));
		else if (size == 'j')
			snprintf(out, len, spec, va_arg(*ap, intmax_t));
		else if (size == 't')
			snprintf(out, len, spec, va_arg(*ap, ptrdiff_t));
		else if (ls >= 2)
			snprintf(out, len, spec, va_arg(*ap, long long));
		else if (ls == 1)
			snprintf(out, len, spec, va_arg(*ap, long));
		else
			snprintf(out, len, spec, va_arg(*ap, int));
		return *p;
	case 'c':
		snprintf(out, len, spec, va_arg(*ap, int));
		return *p;
	case 's':
		snprintf(out, len, spec, va_arg(*ap, const char *));
		return *p;
	case 'p':
		snprintf(out, len, spec, va_arg(*ap, void *));
		return *p;
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
		if (size == 'L')
			snprintf(out, len, spec, va_arg(*ap, long double));
		else
			snprintf(out, len, spec, va_arg(*ap, double));
		return *p;
	case '%':
		snprintf(out, len, "%%");
		return *p;
	}
	out[0] = '\0';
	return 0;
}

/* fmt with its arguments into line: pyspan's own words as they are, and whatever a message
 * quotes (a service's error body, a path, a value from the environment) through the filter,
 * which is where it loses its secrets. Filtering the whole line would take pyspan's own words
 * ("an access token: set ...") for a secret. */
static void format(char *line, size_t cap, const char *fmt, va_list ap)
{
	size_t off = 0;
	va_list args;

	va_copy(args, ap);
	line[0] = '\0';
	while (*fmt && off + 1 < cap) {
		char piece[1024];
		size_t n = strcspn(fmt, "%");

		if (n) {
			snprintf(piece, sizeof(piece), "%.*s", (int)n, fmt);
			fmt += n;
		} else if (convert(&fmt, &args, piece, sizeof(piece)) == 's' && filter) {
			filter(piece, sizeof(piece));
		}
		off += (size_t)snprintf(line + off, cap - off, "%s", piece);
	}
	va_end(args);
}

static void vlog(const char *fmt, va_list ap)
{
	/* One fprintf per line keeps lines whole when stderr is shared with other writers. */
	char line[1024];

	format(line, sizeof(line), fmt, ap);
	fprintf(stderr, "pyspan: %s\n", line);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_vtext(const char *fmt, va_list ap)
{
	va_list again;
	char *text;
	size_t cap;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	/* Room for every match the filter finds to grow into its replacement. */
	cap = n > 0 ? (size_t)n * 2 + 64 : 0;
	if (!cap || !(text = malloc(cap)))
		return;
	vsnprintf(text, cap, fmt, ap);
	if (filter)
		filter(text, cap);
	fputs(text, stderr);
	free(text);
}
