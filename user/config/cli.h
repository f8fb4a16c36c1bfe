/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line flags and environment variables, turned into one configuration. */
#ifndef PYSPAN_CLI_H
#define PYSPAN_CLI_H

#include <stdint.h>

#include "span/redact.h"
#include "span/sampling.h"

#include "lib/version.h"

#define CLI_MAX_PIDS 64
#define CLI_MAX_EXPORTS 8
#define CLI_MAX_FOLLOW 16 /* values of each of --comm, --exe, --cgroup, --container */
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
	int xray_api;                 /* --xray-mode api */
	const char *xray_endpoint;    /* --xray-endpoint URL */
	const char *xray_daemon_address; /* AWS_XRAY_DAEMON_ADDRESS, else the config file's */
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
	const char *rollbar_access_token; /* ROLLBAR_ACCESS_TOKEN, else the config file's */
	const char *rollbar_environment;  /* --rollbar-environment */
	const char *rollbar_code_version; /* --rollbar-code-version; NULL: service_version */
	const char *rollbar_endpoint;     /* --rollbar-endpoint: the API base URL */
	uint32_t rollbar_dedup_window_s;  /* --rollbar-dedup-window */
	const char *honeycomb_api_key;  /* HONEYCOMB_API_KEY or the file: a secret, no flag */
	const char *honeycomb_dataset;  /* --honeycomb-dataset: classic keys only */
	const char *honeycomb_endpoint; /* --honeycomb-endpoint, HONEYCOMB_API_ENDPOINT */
	const char *otlp_endpoint;      /* --otlp-endpoint, OTEL_EXPORTER_OTLP_ENDPOINT (base) */
	const char *otlp_traces_endpoint; /* OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) */
	const char *otlp_logs_endpoint;   /* OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (as is) */
	const char *otlp_headers;       /* OTEL_EXPORTER_OTLP_HEADERS or the file: may hold secrets */
	int otlp_gzip;                  /* --otlp-compression gzip */
	const char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES */
	uint32_t export_queue_mb;     /* --export-queue-mb: each HTTP exporter's queue bound */
	const char *cw_log_group;     /* --log-group */
	const char *cw_log_stream;    /* --log-stream; NULL: host name and pid */
	const char *cw_endpoint;      /* --cloudwatch-endpoint, $AWS_ENDPOINT_URL_LOGS */
	const char *emf_namespace;    /* --emf-namespace, default "pyspan" */
	uint32_t emf_interval_s;      /* --emf-interval, 0: no metrics */
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
