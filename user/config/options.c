// SPDX-License-Identifier: BSD-2-Clause
/* Every setting's validation, shared by flags and the config file so both say the same thing. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"
#include "export/backend.h"
#include "pyspan_limits.h"

void options_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capture_bytes = CAPTURE_DEFAULT;
	cfg->ringbuf_mb = RINGBUF_DEFAULT_MB;
	cfg->sampling.mode = SAMPLING_ALL;
	cfg->sampling.rate = 1.0;
	cfg->sampling.keep_errors = 1;
	cfg->flush_deadline_s = 5;
	cfg->export_queue_mb = EXPORT_QUEUE_DEFAULT_MB;
	cfg->metrics_address = "127.0.0.1";
	cfg->exit_when_gone = -1;
	for (int i = 0; i < nbackends; i++)
		if (backends[i]->defaults)
			memcpy(cfg->backend_settings[i].bytes, backends[i]->defaults,
			       backends[i]->settings_size);
}

int cli_follows(const struct config *cfg)
{
	return cfg->ncomms || cfg->nexes || cfg->ncgroups || cfg->ncontainers;
}

/* Append value to one of the follow lists, at most CLI_MAX_FOLLOW. */
static int add_follow(const char **list, int *n, const char *name, const char *value, char *err,
		      size_t errlen)
{
	if (*n == CLI_MAX_FOLLOW) {
		snprintf(err, errlen, "%s: at most %d values", name, CLI_MAX_FOLLOW);
		return -1;
	}
	list[(*n)++] = value;
	return 0;
}

/* A container id as docker ps, crictl ps or podman ps print it (12 or more lowercase hex
 * digits), or as Kubernetes reports it: docker://ID, containerd://ID, cri-o://ID. */
static int parse_container(struct config *cfg, const char *name, const char *value, char *err,
			   size_t errlen)
{
	static const char *const schemes[] = { "docker://", "containerd://", "cri-o://",
					       "podman://" };
	const char *id = value;
	size_t n;

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(id, schemes[i], strlen(schemes[i])) == 0)
			id += strlen(schemes[i]);
	n = strlen(id);
	if (n < 12 || n > 64 || strspn(id, "0123456789abcdef") != n) {
		snprintf(err, errlen,
			 "%s takes a container id (12 to 64 lowercase hex digits, as docker ps "
			 "shows it), not '%s'",
			 name, value);
		return -1;
	}
	return add_follow(cfg->containers, &cfg->ncontainers, name, id, err, errlen);
}

int options_parse_uint(const char *name, const char *s, unsigned long min, unsigned long max,
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

/* "NAME,NAME": backends the registry knows, each once, none empty. */
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
		if (!backend_find(e)) {
			char known[256];
			size_t off = 0;

			known[0] = '\0';
			for (int k = 0; k < nbackends && off < sizeof(known); k++)
				off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
							k ? ", " : "", backends[k]->name);
			snprintf(err, errlen, "unknown exporter '%s' in %s (known: %s)", e, name,
				 known);
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

/* "GLOB[,GLOB...]" appended to the patterns: none empty, within the bounds. */
static int add_log_files(struct config *cfg, const char *name, const char *value, char *err,
			 size_t errlen)
{
	size_t len = strlen(value);
	char *copy, *save = NULL, *g;

	if (!value[0] || value[0] == ',' || value[len - 1] == ',' || strstr(value, ",,")) {
		snprintf(err, errlen, "%s takes glob patterns separated by commas, not '%s'", name,
			 value);
		return -1;
	}
	if (cfg->log_files_used + len + 1 > sizeof(cfg->log_files_buf)) {
		snprintf(err, errlen, "%s: the patterns are too long (%zu bytes at most)", name,
			 sizeof(cfg->log_files_buf) - 1);
		return -1;
	}
	copy = cfg->log_files_buf + cfg->log_files_used;
	memcpy(copy, value, len + 1);
	cfg->log_files_used += len + 1;
	for (g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		if (cfg->nlog_files == CLI_MAX_LOG_FILES) {
			snprintf(err, errlen, "%s: at most %d patterns", name, CLI_MAX_LOG_FILES);
			return -1;
		}
		cfg->log_files[cfg->nlog_files++] = g;
	}
	return 0;
}

/* Header names are HTTP tokens; query keys anything but the separators. */
static int bad_name(const char *n, size_t len, int header)
{
	if (len == 0)
		return 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)n[i];

		if (c <= ' ' || c >= 127 || c == '&' || c == ';' || c == '=' ||
		    (header && strchr("\"(),/:<>?@[\\]{}", c)))
			return 1;
	}
	return 0;
}

/* "a,b": each name checked, copied into cfg's storage and appended to list. */
static int append_names(struct config *cfg, const char *name, const char *value, int header,
			const char **list, int *n, char *err, size_t errlen)
{
	struct redact_cfg *r = &cfg->redact;
	const char *p = value;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (bad_name(p, len, header)) {
			snprintf(err, errlen, "%s takes %s separated by commas, not '%s'", name,
				 header ? "header names" : "query parameter names", value);
			return -1;
		}
		if (*n == REDACT_MAX_NAMES || r->names_used + len + 1 > sizeof(r->names)) {
			snprintf(err, errlen, "%s: at most %d names", name, REDACT_MAX_NAMES);
			return -1;
		}
		memcpy(r->names + r->names_used, p, len);
		r->names[r->names_used + len] = '\0';
		list[(*n)++] = r->names + r->names_used;
		r->names_used += len + 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
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
		if (options_parse_uint(name, value, 1, UINT32_MAX, &cfg->pids[cfg->npids], err, errlen))
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
		return options_parse_uint(name, value, 64, CAPTURE_MAX, &cfg->capture_bytes, err, errlen);
	case OPTION_RINGBUF_MB:
		if (options_parse_uint(name, value, 1, 1024, &cfg->ringbuf_mb, err, errlen))
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
				 "%s takes all, default, a number from 0 to 1 or a rate like "
				 "50/s, not '%s'",
				 name, value);
			return -1;
		}
		cfg->sampling.keep_errors = keep;
		return 0;
	}
	case OPTION_SAMPLING_KEEP_ERRORS:
		cfg->sampling.keep_errors = strcmp(value, "0") != 0;
		return 0;
	case OPTION_SAMPLING_KEEP_SLOWER_THAN:
		return options_parse_uint(name, value, 0, 3600000, &cfg->sampling.keep_slower_than_ms, err,
				  errlen);
	case OPTION_VERBOSE:
		cfg->verbose = strcmp(value, "0") != 0;
		return 0;
	case OPTION_REDACT_HEADERS:
		return append_names(cfg, name, value, 1, cfg->redact.headers, &cfg->redact.nheaders,
				    err, errlen);
	case OPTION_QUERY_ALLOW:
		return append_names(cfg, name, value, 0, cfg->redact.query_allow,
				    &cfg->redact.nquery_allow, err, errlen);
	case OPTION_REDACT_PATTERN: {
		char why[160];

		if (not_empty(name, value, "must not be empty", err, errlen))
			return -1;
		if (cfg->redact.npatterns == REDACT_MAX_PATTERNS) {
			snprintf(err, errlen, "%s: at most %d patterns", name, REDACT_MAX_PATTERNS);
			return -1;
		}
		if (redact_check_pattern(value, why, sizeof(why))) {
			snprintf(err, errlen, "%s: '%s' is not a POSIX extended regex (%s)", name,
				 value, why);
			return -1;
		}
		cfg->redact.patterns[cfg->redact.npatterns++] = value;
		return 0;
	}
	case OPTION_STATS:
		return options_parse_uint(name, value, 0, 86400, &cfg->stats_interval_s, err, errlen);
	case OPTION_METRICS_PORT:
		return options_parse_uint(name, value, 0, 65535, &cfg->metrics_port, err, errlen);
	case OPTION_METRICS_ADDRESS: {
		struct in_addr a4;
		struct in6_addr a6;

		if (inet_pton(AF_INET, value, &a4) != 1 && inet_pton(AF_INET6, value, &a6) != 1) {
			snprintf(err, errlen, "%s takes an IPv4 or IPv6 address, not '%s'", name,
				 value);
			return -1;
		}
		cfg->metrics_address = value;
		return 0;
	}
	case OPTION_REDIS_REDACT_KEYS:
		cfg->redis_redact_keys = strcmp(value, "0") != 0;
		return 0;
	case OPTION_KEEP_PATH_TOKENS:
		cfg->redact.keep_path_tokens = strcmp(value, "0") != 0;
		return 0;
	case OPTION_FLUSH_DEADLINE:
		return options_parse_uint(name, value, 0, 600, &cfg->flush_deadline_s, err, errlen);
	case OPTION_EXPORT_QUEUE_MB:
		return options_parse_uint(name, value, 1, 4096, &cfg->export_queue_mb, err, errlen);
	case OPTION_COMM:
		if (not_empty(name, value, "must not be empty", err, errlen))
			return -1;
		if (strchr(value, '/')) {
			snprintf(err, errlen,
				 "%s takes a process name as ps -o comm shows it, not a path: '%s' "
				 "(use --exe for paths)",
				 name, value);
			return -1;
		}
		return add_follow(cfg->comms, &cfg->ncomms, name, value, err, errlen);
	case OPTION_EXE:
		if (value[0] != '/') {
			snprintf(err, errlen, "%s takes an absolute path, not '%s'", name, value);
			return -1;
		}
		return add_follow(cfg->exes, &cfg->nexes, name, value, err, errlen);
	case OPTION_CGROUP:
		if (value[0] != '/') {
			snprintf(err, errlen,
				 "%s takes an absolute path (/sys/fs/cgroup/... or a path in the "
				 "cgroup hierarchy), not '%s'",
				 name, value);
			return -1;
		}
		return add_follow(cfg->cgroups, &cfg->ncgroups, name, value, err, errlen);
	case OPTION_CONTAINER:
		return parse_container(cfg, name, value, err, errlen);
	case OPTION_EXIT_WHEN_GONE:
		cfg->exit_when_gone = strcmp(value, "0") != 0;
		return 0;
	case OPTION_LOG_FILES:
		return add_log_files(cfg, name, value, err, errlen);
	}
	snprintf(err, errlen, "%s: unknown setting", name);
	return -1;
}
