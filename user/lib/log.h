/* SPDX-License-Identifier: BSD-2-Clause */
/* Messages on stderr, each prefixed "pyspan:", with a verbosity switch for debug output. */
#ifndef PYSPAN_LOG_H
#define PYSPAN_LOG_H

#include <stdarg.h>
#include <stddef.h>

extern int log_verbose;

/* Rewrites a message in place before it is printed (redaction, set by main before anything is
 * said): lib/ knows nothing of what a secret looks like. */
typedef int (*log_filter_fn)(char *line, size_t cap);
void log_set_filter(log_filter_fn fn);

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A library's own text (libbpf's: its prefix and line ends included), through the same filter
 * but printed as it comes, however long. */
void log_vtext(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
