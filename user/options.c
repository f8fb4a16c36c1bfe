/* Every setting's validation, shared by flags and the config file so both say the same thing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/xray_addr.h"
#include "options.h"
#include "pyspan_limits.h"

static const char *const known_exports[] = {"stdout", "xray"};

void options_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capture_bytes = CAPTURE_DEFAULT;
	cfg->ringbuf_mb = RINGBUF_DEFAULT_MB;
	cfg->sampling.mode = SAMPLING_ALL;
	cfg->sampling.rate = 1.0;
	cfg->sampling.keep_errors = 1;
	cfg->flush_deadline_s = 5;
}

/* A whole decimal number within [min, max]. */
static int parse_uint(const char *name, const char *s, unsigned long min, unsigned long max,
		      uint32_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s[0] || s[0] == '-' || s[0] == '+') {
		snprintf(err, errlen, "%s takes a whole number, not '%s'", name, s);
		return -1;
	}
	v = strtoul(s, &end, 10);
	if (errno || *end) {
		snprintf(err, errlen, "%s takes a whole number, not '%s'", name, s);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%s must be between %lu and %lu, not %s", name, min, max, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "stdout,xray": known names, each once, none empty. */
static int parse_exports(const char *name, const char *arg, struct config *cfg, char *err,
			 size_t errlen)
{
	char *save = NULL, *e;

	if (strlen(arg) >= sizeof(cfg->export_names)) {
		snprintf(err, errlen, "%s list too long", name);
		return -1;
	}
	strcpy(cfg->export_names, arg);
	cfg->nexports = 0;
	if (!arg[0] || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
		snprintf(err, errlen, "%s takes names separated by commas, not '%s'", name, arg);
		return -1;
	}
	for (e = strtok_r(cfg->export_names, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		size_t k, n = sizeof(known_exports) / sizeof(known_exports[0]);

		for (k = 0; k < n; k++)
			if (strcmp(e, known_exports[k]) == 0)
				break;
		if (k == n) {
			snprintf(err, errlen, "unknown exporter '%s' in %s (known: stdout, xray)",
				 e, name);
			return -1;
		}
		for (int i = 0; i < cfg->nexports; i++) {
			if (strcmp(cfg->exports[i], e) == 0) {
				snprintf(err, errlen, "exporter '%s' named twice in %s", e, name);
				return -1;
			}
		}
		if (cfg->nexports == CLI_MAX_EXPORTS) {
			snprintf(err, errlen, "at most %d exporters", CLI_MAX_EXPORTS);
			return -1;
		}
		cfg->exports[cfg->nexports++] = e;
	}
	return 0;
}

static int not_empty(const char *name, const char *value, const char *what, char *err,
		     size_t errlen)
{
	if (value[0])
		return 0;
	snprintf(err, errlen, "%s %s", name, what);
	return -1;
}

int options_set(struct config *cfg, enum option_id id, const char *name, const char *value,
		char *err, size_t errlen)
{
	switch (id) {
	case OPTION_PID:
		if (cfg->npids == CLI_MAX_PIDS) {
			snprintf(err, errlen, "at most %d pids", CLI_MAX_PIDS);
			return -1;
		}
		if (parse_uint(name, value, 1, UINT32_MAX, &cfg->pids[cfg->npids], err, errlen))
			return -1;
		cfg->npids++;
		return 0;
	case OPTION_SERVICE_NAME:
		if (not_empty(name, value, "must not be empty", err, errlen))
			return -1;
		cfg->service_name = value;
		return 0;
	case OPTION_SERVICE_VERSION:
		if (not_empty(name, value, "must not be empty", err, errlen))
			return -1;
		cfg->service_version = value;
		return 0;
	case OPTION_CAPTURE_BYTES:
		return parse_uint(name, value, 64, CAPTURE_MAX, &cfg->capture_bytes, err, errlen);
	case OPTION_RINGBUF_MB:
		if (parse_uint(name, value, 1, 1024, &cfg->ringbuf_mb, err, errlen))
			return -1;
		if (cfg->ringbuf_mb & (cfg->ringbuf_mb - 1)) {
			snprintf(err, errlen, "%s must be a power of two, not %s", name, value);
			return -1;
		}
		return 0;
	case OPTION_RECORD:
		if (not_empty(name, value, "needs a file name", err, errlen))
			return -1;
		cfg->record_path = value;
		return 0;
	case OPTION_EXPORT:
		return parse_exports(name, value, cfg, err, errlen);
	case OPTION_SAMPLING: {
		int keep = cfg->sampling.keep_errors; /* its own setting, in any order */

		if (sampling_parse(value, &cfg->sampling)) {
			snprintf(err, errlen,
				 "%s takes all, default or a number from 0 to 1, not '%s'", name,
				 value);
			return -1;
		}
		cfg->sampling.keep_errors = keep;
		return 0;
	}
	case OPTION_SAMPLING_KEEP_ERRORS:
		cfg->sampling.keep_errors = strcmp(value, "0") != 0;
		return 0;
	case OPTION_VERBOSE:
		cfg->verbose = strcmp(value, "0") != 0;
		return 0;
	case OPTION_REDIS_REDACT_KEYS:
		cfg->redis_redact_keys = strcmp(value, "0") != 0;
		return 0;
	case OPTION_FLUSH_DEADLINE:
		return parse_uint(name, value, 0, 600, &cfg->flush_deadline_s, err, errlen);
	case OPTION_XRAY_MODE:
		if (strcmp(value, "api") == 0) {
			cfg->xray_api = 1;
		} else if (strcmp(value, "daemon") == 0) {
			cfg->xray_api = 0;
		} else {
			snprintf(err, errlen, "%s takes daemon or api, not '%s'", name, value);
			return -1;
		}
		return 0;
	case OPTION_XRAY_ENDPOINT:
		if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) {
			snprintf(err, errlen, "%s takes an http:// or https:// URL, not '%s'", name,
				 value);
			return -1;
		}
		cfg->xray_endpoint = value;
		return 0;
	case OPTION_XRAY_DAEMON_ADDRESS: {
		struct xray_addr a;

		if (xray_addr_parse(value, &a)) {
			snprintf(err, errlen,
				 "%s takes host:port or 'tcp:host:port udp:host:port', not '%s'",
				 name, value);
			return -1;
		}
		cfg->xray_daemon_address = value;
		return 0;
	}
	}
	snprintf(err, errlen, "%s: unknown setting", name);
	return -1;
}
