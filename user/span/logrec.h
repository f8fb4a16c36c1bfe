/* SPDX-License-Identifier: BSD-2-Clause */
/* One log record from a traced process: a line (or a whole traceback) it wrote, with its trace. */
#ifndef PYSPAN_LOGREC_H
#define PYSPAN_LOGREC_H

#include <stddef.h>
#include <stdint.h>

enum logrec_stream {
	LOGREC_STDOUT = 1,
	LOGREC_STDERR = 2,
	LOGREC_FILE = 3,
};

struct log_record {
	uint64_t time_unix_ns;   /* when the write happened */
	uint32_t pid, tid;
	enum logrec_stream stream;
	const char *source;      /* "stdout", "stderr", or the log file's path */
	const char *text;        /* one line, or a multi-line traceback; no trailing newline */
	size_t len;
	int severity;            /* OTLP SeverityNumber (9 INFO, 13 WARN, 17 ERROR...), 0 unknown */
	const char *severity_text; /* "INFO", "ERROR"... as written, or NULL */
	int has_trace;           /* a request was in flight on the same thread */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	const char *service_name;
};

#endif
