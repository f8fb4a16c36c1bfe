/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line flags and environment variables, turned into one configuration. */
#ifndef PYSPAN_CLI_H
#define PYSPAN_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "capture/follow.h"
#include "export/backend.h"
#include "span/redact.h"
#include "span/sampling.h"

#include "lib/version.h"

#define CLI_MAX_PIDS 64
#define CLI_MAX_EXPORTS 8
#define CLI_MAX_FOLLOW FOLLOW_MAX /* values of each of --comm, --exe, --cgroup, --container */
#define EXPORT_QUEUE_DEFAULT_MB 16
#define CLI_MAX_LOG_FILES 16

struct config {
	uint32_t pids[CLI_MAX_PIDS];
	int npids;
	const char *service_name; /* NULL: OTEL_SERVICE_NAME, else each process's name */
	uint32_t capture_bytes;
	uint32_t ringbuf_mb;
	const char *record_path; /* --record FILE */
	int verbose;
	/* --export NAME[,NAME...]: "stdout" when absent; each name once */
	const char *exports[CLI_MAX_EXPORTS];
	int nexports;
	char export_names[256];
	struct sampling_cfg sampling; /* --sampling, --[no-]sampling-keep-errors */
	const char *service_version;  /* --service-version */
	uint32_t flush_deadline_s;    /* --flush-deadline: how long exporters may flush at exit */
	/* Processes followed by what they are, now and when they start later: a process matches
	 * when it matches one value of every kind given. */
	const char *comms[CLI_MAX_FOLLOW]; /* --comm NAME */
	int ncomms;
	const char *exes[CLI_MAX_FOLLOW]; /* --exe PATH */
	int nexes;
	const char *cgroups[CLI_MAX_FOLLOW]; /* --cgroup PATH */
	int ncgroups;
	const char *containers[CLI_MAX_FOLLOW]; /* --container ID, without a runtime:// prefix */
	int ncontainers;
	/* --[no-]exit-when-gone: -1 until parsed, then 1 when pyspan stops once no traced process
	 * is left (the default with --pid alone), 0 when it waits for new matches. */
	int exit_when_gone;
	const char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES */
	uint32_t export_queue_mb;     /* --export-queue-mb: each HTTP exporter's queue bound */
	/* --log-files GLOB[,GLOB...], repeatable: writes to matching regular files are logs */
	const char *log_files[CLI_MAX_LOG_FILES];
	int nlog_files;
	char log_files_buf[1024];
	size_t log_files_used;
	struct redact_cfg redact;     /* --redact-headers, --query-allow, --redact-pattern */
	uint32_t stats_interval_s;    /* --stats N: a status line on stderr every N s; 0 none */
	uint32_t metrics_port;        /* --metrics-port: Prometheus text on GET /metrics; 0 none */
	const char *metrics_address;  /* --metrics-address, default 127.0.0.1 */
	int redis_redact_keys;        /* --redis-redact-keys: Redis keys never leave the host */
	/* Each backend's own settings (its options struct), by its place in the registry:
	 * config/ reaches them only through the backend's table of settings. */
	union {
		max_align_t align;
		unsigned char bytes[BACKEND_SETTINGS_MAX];
	} backend_settings[BACKENDS_MAX];
	/* Where each of those settings was last given: CONFIG_FROM_*, for the settings that
	 * outrank others given at a lower level. */
	uint8_t backend_from[BACKENDS_MAX][BACKEND_SETTINGS_COUNT_MAX];
};

enum config_from {
	CONFIG_FROM_DEFAULT = 0,
	CONFIG_FROM_FILE,
	CONFIG_FROM_ENV,
	CONFIG_FROM_FLAG,
};

/* Does cfg follow processes by name, executable, cgroup or container? */
int cli_follows(const struct config *cfg);

enum cli_result {
	CLI_OK = 0,
	CLI_EXIT_OK,     /* --help, --version or --check-config was printed */
	CLI_USAGE_ERROR, /* a message was printed; exit 2 */
};

enum cli_result cli_parse(int argc, char **argv, struct config *cfg);

#endif
