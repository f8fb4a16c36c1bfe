// SPDX-License-Identifier: BSD-2-Clause
/* Messages on stderr, each prefixed "pyspan:", with a verbosity switch for debug output. */
#include <stdarg.h>
#include <stdio.h>

#include "lib/log.h"

int log_verbose;
static log_filter_fn filter;

void log_set_filter(log_filter_fn fn)
{
	filter = fn;
}

static void vlog(const char *fmt, va_list ap)
{
	/* One fprintf per line keeps lines whole when stderr is shared with other writers. */
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* Whatever a message quotes (a service's error body, a path) loses its secrets here. */
	if (filter)
		filter(line, sizeof(line));
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
