/* SPDX-License-Identifier: BSD-2-Clause */
/* The service's own output as log records: writes split into lines, tracebacks kept whole. */
#ifndef PYSPAN_LOG_LINES_H
#define PYSPAN_LOG_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "pyspan_events.h"
#include "span/logrec.h"

/* Bounds: a line longer than LOG_LINE_MAX without a newline is cut into records of that size;
 * a record (a traceback with its chain) stops growing at LOG_RECORD_MAX. */
#define LOG_LINE_MAX (16 * 1024)
#define LOG_RECORD_MAX (64 * 1024)
#define LOG_STREAMS_MAX 4096 /* (pid, fd) pairs followed at once */
/* A record that may still grow (a line that a traceback could follow, a traceback that a
 * chained one could follow) goes out after this much quiet on its stream. */
#define LOG_LINGER_NS (300ull * 1000000ull)

struct log_lines_stats {
	uint64_t writes;
	uint64_t records;
	uint64_t tracebacks;   /* records that hold a traceback */
	uint64_t traced;       /* records written while a request was in flight on the thread */
	uint64_t cut;          /* lines or records cut at a bound, writes longer than captured */
	uint64_t streams_full; /* writes dropped because LOG_STREAMS_MAX streams were open */
};

/* Set when an exporter takes log records: until then writes are not split at all. */
extern int log_lines_enabled;

/* Where records go; export_log unless a test says otherwise. */
void log_lines_set_sink(void (*fn)(const struct log_record *r));

/* A write of the traced thread e->h.tid to stdout, stderr or a log file (source: its path). */
void log_lines_on_write(const struct ev_data *e, enum logrec_stream stream, const char *source);
/* Emit records that have been quiet for LOG_LINGER_NS (now: CLOCK_MONOTONIC ns). */
void log_lines_tick(uint64_t now);
/* The fd was closed or reused: what it left unfinished goes out now. */
void log_lines_on_close(uint32_t pid, uint32_t fd);
/* The process exited: its partial lines and held records go out. */
void log_lines_on_exit(uint32_t pid);
/* Shutdown: everything still held goes out, then memory is released. */
void log_lines_fini(void);
const struct log_lines_stats *log_lines_stats(void);

/* The severity a line states, as OTLP SeverityNumber (5 DEBUG, 9 INFO, 13 WARN, 17 ERROR,
 * 21 FATAL), with the word as written in *word; 0 and NULL when it states none. Knows
 * gunicorn's "[ERROR]", logging's "ERROR:name:msg" and a level word near the start. */
int log_severity(const char *line, size_t len, const char **word);

#endif
