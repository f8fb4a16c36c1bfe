/* Command-line flags and environment variables, turned into one configuration. */
#ifndef PYSPAN_CLI_H
#define PYSPAN_CLI_H

#include <stdint.h>

#include "sampling.h"

#define CLI_MAX_PIDS 64
#define CLI_MAX_EXPORTS 8
#define CLI_MAX_FOLLOW 16 /* values of each of --comm, --exe, --cgroup, --container */

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
