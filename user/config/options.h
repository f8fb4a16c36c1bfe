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
	OPTION_EXPORT, /* backend names, comma-separated */
	OPTION_SAMPLING,
	OPTION_SAMPLING_KEEP_ERRORS, /* "1" or "0" */
	OPTION_SAMPLING_KEEP_SLOWER_THAN, /* milliseconds, 0 for none */
	OPTION_FLUSH_DEADLINE,
	OPTION_EXPORT_QUEUE_MB,
	OPTION_LOG_FILES, /* appends a comma list of glob patterns */
	OPTION_VERBOSE, /* "1" or "0" */
	OPTION_COMM,    /* each appends one value */
	OPTION_EXE,
	OPTION_CGROUP,
	OPTION_CONTAINER,
	OPTION_EXIT_WHEN_GONE, /* "1" or "0" */
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

/* A whole decimal number within [min, max] into *out, or -1 with a sentence naming name. */
int options_parse_uint(const char *name, const char *s, unsigned long min, unsigned long max,
		       uint32_t *out, char *err, size_t errlen);

/* A backend's own settings in cfg: the options struct its open function takes. */
void *config_backend(struct config *cfg, const struct backend *b);
const void *config_backend_get(const struct config *cfg, const struct backend *b);

/* Check value as backend b's setting s says and store it, as given from where; the same
 * sentences in err as options_set. */
int options_set_backend(struct config *cfg, const struct backend *b, const struct backend_setting *s,
			enum config_from from, const char *name, const char *value, char *err,
			size_t errlen);

/* Store a string setting of backend b unchecked (a variable its backend checks when it opens;
 * NULL to unset it). */
void options_take_backend(struct config *cfg, const struct backend *b,
			  const struct backend_setting *s, enum config_from from, const char *value);

/* Settings given from where clear the settings they outrank that were given lower down. */
void options_outrank(struct config *cfg, enum config_from from);

/* The backends --export names that lack a setting they require: one sentence in err. */
int options_check_required(const struct config *cfg, char *err, size_t errlen);

#endif
