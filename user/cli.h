/* Command-line flags and environment variables, turned into one configuration. */
#ifndef PYSPAN_CLI_H
#define PYSPAN_CLI_H

#include <stdint.h>

#include "sampling.h"

#define CLI_MAX_PIDS 64
#define CLI_MAX_EXPORTS 8

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
	int redis_redact_keys;        /* --redis-redact-keys: Redis keys never leave the host */
};

enum cli_result {
	CLI_OK = 0,
	CLI_EXIT_OK,     /* --help, --version or --check-config was printed */
	CLI_USAGE_ERROR, /* a message was printed; exit 2 */
};

enum cli_result cli_parse(int argc, char **argv, struct config *cfg);

#endif
