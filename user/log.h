/* Messages on stderr, each prefixed "pyspan:", with a verbosity switch for debug output. */
#ifndef PYSPAN_LOG_H
#define PYSPAN_LOG_H

extern int log_verbose;

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
