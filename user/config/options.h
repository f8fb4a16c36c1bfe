/* SPDX-License-Identifier: BSD-2-Clause */
/* Every setting's validation, shared by flags and the config file so both say the same thing. */
#ifndef PYSPAN_OPTIONS_H
#define PYSPAN_OPTIONS_H

#include <stddef.h>

#include "config/cli.h"

enum option_id {
	OPTION_PID, /* appends one pid */
	OPTION_SERVICE_NAME,
	OPTION_SERVICE_VERSION,
	OPTION_CAPTURE_BYTES,
	OPTION_RINGBUF_MB,
	OPTION_RECORD,
	OPTION_EXPORT, /* "stdout,xray" */
	OPTION_SAMPLING,
	OPTION_SAMPLING_KEEP_ERRORS, /* "1" or "0" */
	OPTION_SAMPLING_KEEP_SLOWER_THAN, /* milliseconds, 0 for none */
	OPTION_FLUSH_DEADLINE,
	OPTION_EXPORT_QUEUE_MB,
	OPTION_XRAY_MODE,
	OPTION_XRAY_ENDPOINT,
	OPTION_XRAY_DAEMON_ADDRESS,
	OPTION_CW_LOG_GROUP,
	OPTION_CW_LOG_STREAM,
	OPTION_CW_ENDPOINT,
	OPTION_EMF_INTERVAL,
	OPTION_EMF_NAMESPACE,
	OPTION_LOG_FILES, /* appends a comma list of glob patterns */
	OPTION_VERBOSE, /* "1" or "0" */
	OPTION_COMM,    /* each appends one value */
	OPTION_EXE,
	OPTION_CGROUP,
	OPTION_CONTAINER,
	OPTION_EXIT_WHEN_GONE, /* "1" or "0" */
	OPTION_ROLLBAR_ACCESS_TOKEN,
	OPTION_ROLLBAR_ENVIRONMENT,
	OPTION_ROLLBAR_CODE_VERSION,
	OPTION_ROLLBAR_ENDPOINT,
	OPTION_ROLLBAR_DEDUP_WINDOW,
	OPTION_HONEYCOMB_API_KEY,
	OPTION_HONEYCOMB_DATASET,
	OPTION_HONEYCOMB_ENDPOINT,
	OPTION_OTLP_ENDPOINT,
	OPTION_OTLP_TRACES_ENDPOINT,
	OPTION_OTLP_LOGS_ENDPOINT,
	OPTION_OTLP_HEADERS,
	OPTION_OTLP_COMPRESSION, /* "gzip" or "none" */
	OPTION_REDACT_HEADERS, /* appends "Name,Name" */
	OPTION_QUERY_ALLOW,    /* appends "key,key" */
	OPTION_REDACT_PATTERN, /* appends one regex */
	OPTION_STATS,          /* seconds */
	OPTION_METRICS_PORT,
	OPTION_METRICS_ADDRESS,
	OPTION_REDIS_REDACT_KEYS, /* "1" or "0" */
	OPTION_KEEP_PATH_TOKENS,  /* "1" or "0" */
};

/* The built-in defaults, before any config file, environment variable or flag. */
void options_defaults(struct config *cfg);

/* Check value and store it in cfg (value must outlive cfg). On a bad value return -1 with
 * one sentence in err that names the setting as name ("--capture-bytes" or "\"capture_bytes\"").
 */
int options_set(struct config *cfg, enum option_id id, const char *name, const char *value,
		char *err, size_t errlen);

#endif
