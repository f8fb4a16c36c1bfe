/* Command-line flags and environment variables, turned into one configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_file.h"
#include "config_print.h"
#include "export/otel_kv.h"
#include "options.h"

static const char usage_text[] =
	"Usage: pyspan --pid PID [options]\n"
	"       pyspan --config FILE [options]\n"
	"       pyspan --check-config FILE [options]\n"
	"\n"
	"Trace the HTTP requests a running Python service serves, with no change to it, and\n"
	"print one JSON span per request on stdout. Follows every process the target forks\n"
	"(gunicorn and uWSGI workers) and the children it already has. Needs root (CAP_BPF,\n"
	"CAP_PERFMON, CAP_SYS_PTRACE). Stop with Ctrl-C or SIGTERM: a summary goes to stderr.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID          process to trace, with its children; repeat for several\n"
	"  -s, --service-name N   service.name on every span (default: $OTEL_SERVICE_NAME,\n"
	"                         else the traced process's name)\n"
	"      --capture-bytes N  bytes of each socket read/write copied from the kernel\n"
	"                         (64-16384, default 4096); headers longer than this are\n"
	"                         marked truncated\n"
	"      --ringbuf-mb N     size of the kernel-to-pyspan ring buffer in MiB (a power of\n"
	"                         two, 1-1024, default 32); a full buffer drops events and\n"
	"                         counts them\n"
	"      --record FILE      also write every capture record to FILE, for replaying\n"
	"                         through the pipeline (benchmarks, bug reports); it holds\n"
	"                         request bytes: treat it as sensitive\n"
	"      --export LIST      where spans go, comma-separated: stdout (the default), xray,\n"
	"                         cloudwatch, honeycomb, otlp, rollbar (failed requests\n"
	"                         only); several run side by side\n"
	"      --sampling MODE    which requests every exporter gets: all (the default: every\n"
	"                         one, whatever the caller said), default (X-Ray's rule: the\n"
	"                         first request each second, then 5%%), a probability 0-1, or\n"
	"                         at most N a second (50/s); except with all, a caller's\n"
	"                         Sampled=1/0 or traceparent flag 01/00 keeps/drops the request\n"
	"      --no-sampling-keep-errors\n"
	"                         let sampling drop 4xx/5xx requests too (kept by default)\n"
	"      --sampling-keep-slower-than MS\n"
	"                         keep every request that took longer than MS milliseconds\n"
	"                         (0-3600000, default 0: no such rule); errors and slow\n"
	"                         requests are kept even when the caller said not sampled\n"
	"      --service-version V  the service's version on every span (X-Ray: service.version)\n"
	"      --xray-mode MODE   daemon (UDP to $AWS_XRAY_DAEMON_ADDRESS, default\n"
	"                         127.0.0.1:2000) or api (PutTraceSegments, SigV4, $AWS_REGION)\n"
	"      --xray-endpoint URL  api mode: X-Ray endpoint (default $AWS_ENDPOINT_URL_XRAY,\n"
	"                         else https://xray.REGION.amazonaws.com)\n"
	"      --rollbar-environment E  Rollbar's environment (default production); the\n"
	"                         access token comes from $ROLLBAR_ACCESS_TOKEN or the config\n"
	"                         file, never a flag (every user can read a command line)\n"
	"      --rollbar-code-version V  code_version of Rollbar items, at most 40 characters\n"
	"                         (default: --service-version)\n"
	"      --rollbar-endpoint URL  Rollbar's API base (default\n"
	"                         https://api.rollbar.com/api/1/); items go to URL/item/\n"
	"      --rollbar-dedup-window S  identical errors (same exception type and innermost\n"
	"                         frame, or same status and route) within S seconds send one\n"
	"                         Rollbar item; the rest are counted (0-86400, default 60)\n"
	"      --log-group NAME   cloudwatch: the log group (created when missing); request\n"
	"                         logs, the service's output and EMF metrics go there\n"
	"      --log-stream NAME  cloudwatch: the log stream (default HOSTNAME-PID of pyspan)\n"
	"      --cloudwatch-endpoint URL  cloudwatch: the CloudWatch Logs endpoint (default\n"
	"                         $AWS_ENDPOINT_URL_LOGS, else https://logs.REGION.amazonaws.com)\n"
	"      --emf-interval S   cloudwatch: seconds per EMF metrics event (requests, 4xx,\n"
	"                         5xx, latency per service and route; 0-3600, default 60, 0 off)\n"
	"      --emf-namespace NS cloudwatch: the metrics namespace (default pyspan)\n"
	"      --log-files GLOB   also send what the service writes to regular files matching\n"
	"                         GLOB (a pattern without / matches the base name); comma\n"
	"                         list, repeatable; stdout and stderr are always sent\n"
	"      --honeycomb-dataset NAME  the dataset for a classic Honeycomb key (default\n"
	"                         $HONEYCOMB_DATASET); environment keys send each service's\n"
	"                         spans to the dataset named after it. The key itself comes\n"
	"                         from $HONEYCOMB_API_KEY or the config file, never a flag\n"
	"      --honeycomb-endpoint URL  Honeycomb API (default $HONEYCOMB_API_ENDPOINT, else\n"
	"                         https://api.honeycomb.io)\n"
	"      --otlp-endpoint URL  OTLP/HTTP base URL; /v1/traces and /v1/logs are appended\n"
	"                         (default $OTEL_EXPORTER_OTLP_ENDPOINT, else\n"
	"                         http://localhost:4318)\n"
	"      --otlp-traces-endpoint URL, --otlp-logs-endpoint URL  full URLs for one signal\n"
	"                         (default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ..._LOGS_...)\n"
	"      --otlp-compression C  gzip or none (the default; $OTEL_EXPORTER_OTLP_COMPRESSION)\n"
	"                         Headers (credentials) come from $OTEL_EXPORTER_OTLP_HEADERS\n"
	"                         or the config file, never a flag\n"
	"      --flush-deadline S seconds exporters may spend sending what is queued when pyspan\n"
	"                         stops (0-600, default 5); what is left is counted dropped\n"
	"      --export-queue-mb N  MiB of spans each network exporter holds while its backend\n"
	"                         is slow or down (1-4096, default 16); beyond it spans are\n"
	"                         dropped and counted\n"
	"      --redact-headers LIST  more request/response headers whose values never leave\n"
	"                         the host, comma-separated (Authorization, Proxy-Authorization,\n"
	"                         Cookie, Set-Cookie, X-Api-Key, X-Amz-Security-Token always)\n"
	"      --query-allow LIST query parameters whose values are kept; every other value is\n"
	"                         replaced by REDACTED (default: none kept)\n"
	"      --redact-pattern RE  a POSIX extended regex whose matches in paths, queries,\n"
	"                         header values, exception messages and logs become REDACTED\n"
	"                         (its last (group) only, when it has groups); repeat for more;\n"
	"                         AWS key ids, bearer tokens, JWTs and secret=/token=/password=\n"
	"                         values are always redacted\n"
	"      --stats N          a status line on stderr every N seconds: events, spans, drops\n"
	"                         by cause, exporter queues (0-86400, default 0: none)\n"
	"      --metrics-port N   serve the same counters as Prometheus text on\n"
	"                         http://ADDRESS:N/metrics (default 0: no server)\n"
	"      --metrics-address A  the address it listens on (default 127.0.0.1)\n"
	"      --redis-redact-keys  Redis client spans show '?' for the key (\"GET ?\"); by\n"
	"                         default they show the command and its key, never a value\n"
	"  -c, --config FILE      read settings from a JSON file whose keys are the long flags\n"
	"                         with _ for - (xray.*, cloudwatch.*, honeycomb.* and otlp.*\n"
	"                         settings nest under \"xray\", \"cloudwatch\", \"honeycomb\",\n"
	"                         \"otlp\"; log_files is an array); default $PYSPAN_CONFIG\n"
	"      --check-config FILE  validate FILE, print the effective settings (after the\n"
	"                         environment and any flags given with it) as JSON, secrets\n"
	"                         masked, and exit; attaches to nothing\n"
	"  -v, --verbose          debug messages on stderr, libbpf's included\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
	"\n"
	"Precedence, lowest first: built-in defaults, the config file, environment variables\n"
	"(OTEL_SERVICE_NAME, AWS_XRAY_DAEMON_ADDRESS, AWS_ENDPOINT_URL_XRAY, AWS_ENDPOINT_URL_LOGS,\n"
	"AWS_ENDPOINT_URL, HONEYCOMB_API_KEY, HONEYCOMB_DATASET, HONEYCOMB_API_ENDPOINT,\n"
	"OTEL_EXPORTER_OTLP_*, OTEL_RESOURCE_ATTRIBUTES, ROLLBAR_ACCESS_TOKEN), flags. A\n"
	"signal's own OTLP endpoint outranks the base URL set at the same level or below.\n"
	"\n"
	"Exit status: 0 after a clean stop, 1 on a runtime error (no such process, no\n"
	"privileges, BPF unavailable), 2 on a usage error.\n";

enum {
	OPT_CAPTURE = 256,
	OPT_RINGBUF,
	OPT_VERSION,
	OPT_RECORD,
	OPT_EXPORT,
	OPT_SAMPLING,
	OPT_KEEP_ERRORS,
	OPT_NO_KEEP_ERRORS,
	OPT_KEEP_SLOWER,
	OPT_SERVICE_VERSION,
	OPT_XRAY_MODE,
	OPT_XRAY_ENDPOINT,
	OPT_FLUSH_DEADLINE,
	OPT_EXPORT_QUEUE,
	OPT_CHECK_CONFIG,
	OPT_ROLLBAR_ENVIRONMENT,
	OPT_ROLLBAR_CODE_VERSION,
	OPT_ROLLBAR_ENDPOINT,
	OPT_ROLLBAR_DEDUP_WINDOW,
	OPT_LOG_GROUP,
	OPT_LOG_STREAM,
	OPT_CW_ENDPOINT,
	OPT_EMF_INTERVAL,
	OPT_EMF_NAMESPACE,
	OPT_LOG_FILES,
	OPT_HNY_DATASET,
	OPT_HNY_ENDPOINT,
	OPT_OTLP_ENDPOINT,
	OPT_OTLP_TRACES_ENDPOINT,
	OPT_OTLP_LOGS_ENDPOINT,
	OPT_OTLP_COMPRESSION,
	OPT_REDACT_HEADERS,
	OPT_QUERY_ALLOW,
	OPT_REDACT_PATTERN,
	OPT_STATS,
	OPT_METRICS_PORT,
	OPT_METRICS_ADDRESS,
	OPT_REDIS_REDACT_KEYS,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "service-name", required_argument, NULL, 's' },
	{ "capture-bytes", required_argument, NULL, OPT_CAPTURE },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "sampling", required_argument, NULL, OPT_SAMPLING },
	{ "sampling-keep-errors", no_argument, NULL, OPT_KEEP_ERRORS },
	{ "no-sampling-keep-errors", no_argument, NULL, OPT_NO_KEEP_ERRORS },
	{ "sampling-keep-slower-than", required_argument, NULL, OPT_KEEP_SLOWER },
	{ "service-version", required_argument, NULL, OPT_SERVICE_VERSION },
	{ "xray-mode", required_argument, NULL, OPT_XRAY_MODE },
	{ "xray-endpoint", required_argument, NULL, OPT_XRAY_ENDPOINT },
	{ "flush-deadline", required_argument, NULL, OPT_FLUSH_DEADLINE },
	{ "rollbar-environment", required_argument, NULL, OPT_ROLLBAR_ENVIRONMENT },
	{ "rollbar-code-version", required_argument, NULL, OPT_ROLLBAR_CODE_VERSION },
	{ "rollbar-endpoint", required_argument, NULL, OPT_ROLLBAR_ENDPOINT },
	{ "rollbar-dedup-window", required_argument, NULL, OPT_ROLLBAR_DEDUP_WINDOW },
	{ "honeycomb-dataset", required_argument, NULL, OPT_HNY_DATASET },
	{ "honeycomb-endpoint", required_argument, NULL, OPT_HNY_ENDPOINT },
	{ "otlp-endpoint", required_argument, NULL, OPT_OTLP_ENDPOINT },
	{ "otlp-traces-endpoint", required_argument, NULL, OPT_OTLP_TRACES_ENDPOINT },
	{ "otlp-logs-endpoint", required_argument, NULL, OPT_OTLP_LOGS_ENDPOINT },
	{ "otlp-compression", required_argument, NULL, OPT_OTLP_COMPRESSION },
	{ "export-queue-mb", required_argument, NULL, OPT_EXPORT_QUEUE },
	{ "log-group", required_argument, NULL, OPT_LOG_GROUP },
	{ "log-stream", required_argument, NULL, OPT_LOG_STREAM },
	{ "cloudwatch-endpoint", required_argument, NULL, OPT_CW_ENDPOINT },
	{ "emf-interval", required_argument, NULL, OPT_EMF_INTERVAL },
	{ "emf-namespace", required_argument, NULL, OPT_EMF_NAMESPACE },
	{ "log-files", required_argument, NULL, OPT_LOG_FILES },
	{ "redact-headers", required_argument, NULL, OPT_REDACT_HEADERS },
	{ "query-allow", required_argument, NULL, OPT_QUERY_ALLOW },
	{ "redact-pattern", required_argument, NULL, OPT_REDACT_PATTERN },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "metrics-port", required_argument, NULL, OPT_METRICS_PORT },
	{ "metrics-address", required_argument, NULL, OPT_METRICS_ADDRESS },
	{ "redis-redact-keys", no_argument, NULL, OPT_REDIS_REDACT_KEYS },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char short_opts[] = ":p:s:c:vh";

/* Which setting each value-taking flag sets; options.c checks it, as it does the file's. */
static const struct {
	int opt;
	enum option_id id;
} flag_settings[] = {
	{ 'p', OPTION_PID },
	{ 's', OPTION_SERVICE_NAME },
	{ OPT_CAPTURE, OPTION_CAPTURE_BYTES },
	{ OPT_RINGBUF, OPTION_RINGBUF_MB },
	{ OPT_RECORD, OPTION_RECORD },
	{ OPT_EXPORT, OPTION_EXPORT },
	{ OPT_SAMPLING, OPTION_SAMPLING },
	{ OPT_KEEP_SLOWER, OPTION_SAMPLING_KEEP_SLOWER_THAN },
	{ OPT_SERVICE_VERSION, OPTION_SERVICE_VERSION },
	{ OPT_XRAY_MODE, OPTION_XRAY_MODE },
	{ OPT_XRAY_ENDPOINT, OPTION_XRAY_ENDPOINT },
	{ OPT_FLUSH_DEADLINE, OPTION_FLUSH_DEADLINE },
	{ OPT_ROLLBAR_ENVIRONMENT, OPTION_ROLLBAR_ENVIRONMENT },
	{ OPT_ROLLBAR_CODE_VERSION, OPTION_ROLLBAR_CODE_VERSION },
	{ OPT_ROLLBAR_ENDPOINT, OPTION_ROLLBAR_ENDPOINT },
	{ OPT_ROLLBAR_DEDUP_WINDOW, OPTION_ROLLBAR_DEDUP_WINDOW },
	{ OPT_HNY_DATASET, OPTION_HONEYCOMB_DATASET },
	{ OPT_HNY_ENDPOINT, OPTION_HONEYCOMB_ENDPOINT },
	{ OPT_OTLP_ENDPOINT, OPTION_OTLP_ENDPOINT },
	{ OPT_OTLP_TRACES_ENDPOINT, OPTION_OTLP_TRACES_ENDPOINT },
	{ OPT_OTLP_LOGS_ENDPOINT, OPTION_OTLP_LOGS_ENDPOINT },
	{ OPT_OTLP_COMPRESSION, OPTION_OTLP_COMPRESSION },
	{ OPT_EXPORT_QUEUE, OPTION_EXPORT_QUEUE_MB },
	{ OPT_LOG_GROUP, OPTION_CW_LOG_GROUP },
	{ OPT_LOG_STREAM, OPTION_CW_LOG_STREAM },
	{ OPT_CW_ENDPOINT, OPTION_CW_ENDPOINT },
	{ OPT_EMF_INTERVAL, OPTION_EMF_INTERVAL },
	{ OPT_EMF_NAMESPACE, OPTION_EMF_NAMESPACE },
	{ OPT_LOG_FILES, OPTION_LOG_FILES },
	{ OPT_REDACT_HEADERS, OPTION_REDACT_HEADERS },
	{ OPT_QUERY_ALLOW, OPTION_QUERY_ALLOW },
	{ OPT_REDACT_PATTERN, OPTION_REDACT_PATTERN },
	{ OPT_STATS, OPTION_STATS },
	{ OPT_METRICS_PORT, OPTION_METRICS_PORT },
	{ OPT_METRICS_ADDRESS, OPTION_METRICS_ADDRESS },
};

static int flag_option(int opt)
{
	for (size_t i = 0; i < sizeof(flag_settings) / sizeof(flag_settings[0]); i++)
		if (flag_settings[i].opt == opt)
			return (int)flag_settings[i].id;
	return -1;
}

static const char *nonempty_env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

/* The environment outranks the config file. Values are checked where they are used, as
 * before config files existed, so a bad one only matters to the exporter that reads it. */
static int apply_env(struct config *cfg, char *err, size_t errlen)
{
	static struct otel_kv res[OTEL_KV_MAX];
	const char *v;

	if ((v = nonempty_env("OTEL_SERVICE_NAME")))
		cfg->service_name = v;
	if ((v = nonempty_env("AWS_XRAY_DAEMON_ADDRESS")))
		cfg->xray_daemon_address = v;
	if ((v = nonempty_env("AWS_ENDPOINT_URL_XRAY")) || (v = nonempty_env("AWS_ENDPOINT_URL")))
		cfg->xray_endpoint = v;
	if ((v = nonempty_env("ROLLBAR_ACCESS_TOKEN")))
		cfg->rollbar_access_token = v;
	if ((v = nonempty_env("AWS_ENDPOINT_URL_LOGS")) || (v = nonempty_env("AWS_ENDPOINT_URL")))
		cfg->cw_endpoint = v;
	if ((v = nonempty_env("HONEYCOMB_API_KEY")))
		cfg->honeycomb_api_key = v;
	if ((v = nonempty_env("HONEYCOMB_DATASET")))
		cfg->honeycomb_dataset = v;
	if ((v = nonempty_env("HONEYCOMB_API_ENDPOINT")))
		cfg->honeycomb_endpoint = v;
	/* The base URL from here outranks the file's per-signal URLs; the environment's own
	 * per-signal URLs then outrank it. */
	if ((v = nonempty_env("OTEL_EXPORTER_OTLP_ENDPOINT"))) {
		cfg->otlp_endpoint = v;
		cfg->otlp_traces_endpoint = cfg->otlp_logs_endpoint = NULL;
	}
	if ((v = nonempty_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")))
		cfg->otlp_traces_endpoint = v;
	if ((v = nonempty_env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")))
		cfg->otlp_logs_endpoint = v;
	if ((v = nonempty_env("OTEL_EXPORTER_OTLP_HEADERS")))
		cfg->otlp_headers = v;
	if ((v = nonempty_env("OTEL_EXPORTER_OTLP_COMPRESSION")) &&
	    options_set(cfg, OPTION_OTLP_COMPRESSION, "OTEL_EXPORTER_OTLP_COMPRESSION", v, err,
			errlen))
		return -1;
	if ((v = nonempty_env("OTEL_RESOURCE_ATTRIBUTES"))) {
		int n = otel_kv_parse(v, res, OTEL_KV_MAX, 0, err, errlen);

		cfg->resource_attributes = v; /* a malformed list is the exporters' to refuse */
		/* OpenTelemetry: OTEL_SERVICE_NAME, when set, wins over this service.name. */
		for (int i = 0; i < n && !nonempty_env("OTEL_SERVICE_NAME"); i++)
			if (strcmp(res[i].key, "service.name") == 0 && res[i].value[0])
				cfg->service_name = res[i].value;
	}
	return 0;
}

/* Pass one: --help, --version and which file holds the config, before anything is applied,
 * because the file ranks below every flag wherever they stand on the line. */
static enum cli_result find_config(int argc, char **argv, const char **path, const char **check)
{
	int opt;

	*path = nonempty_env("PYSPAN_CONFIG");
	*check = NULL;
	optind = 0; /* GNU getopt: start over, permutation state included */
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_VERSION:
			printf("pyspan %s\n", PYSPAN_VERSION);
			return CLI_EXIT_OK;
		case 'c':
			*path = optarg;
			break;
		case OPT_CHECK_CONFIG:
			*check = optarg;
			break;
		case ':':
		case '?':
			return CLI_USAGE_ERROR; /* pass two says which flag, in order */
		}
	}
	return CLI_OK;
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg)
{
	const char *path, *check;
	int opt, pids_from_flags = 0, log_files_from_flags = 0;
	int otlp_base_flag = 0, otlp_signal_flag = 0;
	int headers_from_flags = 0, allow_from_flags = 0, patterns_from_flags = 0;
	enum cli_result first;
	char err[512];

	opterr = 0; /* our own messages: one line each */
	options_defaults(cfg);
	first = find_config(argc, argv, &path, &check);
	if (first == CLI_EXIT_OK)
		return first;
	if (check)
		path = check;
	if (first == CLI_OK && path) {
		if (!path[0]) {
			fprintf(stderr, "pyspan: --config needs a file name\n");
			return CLI_USAGE_ERROR;
		}
		if (config_file_load(path, cfg, err, sizeof(err))) {
			fprintf(stderr, "pyspan: %s\n", err);
			return CLI_USAGE_ERROR;
		}
	}
	if (apply_env(cfg, err, sizeof(err))) {
		fprintf(stderr, "pyspan: %s\n", err);
		return CLI_USAGE_ERROR;
	}

	optind = 0;
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		int id = flag_option(opt);

		if (id >= 0) {
			char name[40];

			/* --pid replaces the file's pids rather than adding to them (and repeats
			 * add to each other). */
			if (opt == 'p' && !pids_from_flags++)
				cfg->npids = 0;
			/* so does --log-files: the flags' patterns, not the file's plus them */
			if (opt == OPT_LOG_FILES && !log_files_from_flags++) {
				cfg->nlog_files = 0;
				cfg->log_files_used = 0;
			}
			otlp_base_flag |= opt == OPT_OTLP_ENDPOINT;
			otlp_signal_flag |= (opt == OPT_OTLP_TRACES_ENDPOINT) |
					    (opt == OPT_OTLP_LOGS_ENDPOINT) << 1;
			/* So do the redaction lists. */
			if (opt == OPT_REDACT_HEADERS && !headers_from_flags++)
				cfg->redact.nheaders = 0;
			if (opt == OPT_QUERY_ALLOW && !allow_from_flags++)
				cfg->redact.nquery_allow = 0;
			if (opt == OPT_REDACT_PATTERN && !patterns_from_flags++)
				cfg->redact.npatterns = 0;
			for (const struct option *o = long_opts; o->name; o++)
				if (o->val == opt)
					snprintf(name, sizeof(name), "--%s", o->name);
			if (options_set(cfg, id, name, optarg, err, sizeof(err))) {
				fprintf(stderr, "pyspan: %s\n", err);
				return CLI_USAGE_ERROR;
			}
			continue;
		}
		switch (opt) {
		case OPT_KEEP_ERRORS:
			cfg->sampling.keep_errors = 1;
			break;
		case OPT_NO_KEEP_ERRORS:
			cfg->sampling.keep_errors = 0;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		case OPT_REDIS_REDACT_KEYS:
			cfg->redis_redact_keys = 1;
			break;
		case 'c':
		case OPT_CHECK_CONFIG:
			break; /* read in pass one */
		case ':':
			fprintf(stderr, "pyspan: %s needs a value (see pyspan --help)\n",
				argv[optind - 1]);
			return CLI_USAGE_ERROR;
		default:
			fprintf(stderr, "pyspan: unknown option '%s' (see pyspan --help)\n",
				argv[optind - 1]);
			return CLI_USAGE_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pyspan: unexpected argument '%s' (see pyspan --help)\n",
			argv[optind]);
		return CLI_USAGE_ERROR;
	}
	/* --otlp-endpoint outranks the per-signal URLs of the file and the environment. */
	if (otlp_base_flag) {
		if (!(otlp_signal_flag & 1))
			cfg->otlp_traces_endpoint = NULL;
		if (!(otlp_signal_flag & 2))
			cfg->otlp_logs_endpoint = NULL;
	}
	/* A file checked on a build host may leave the pid to the flag given at run time. */
	if (cfg->npids == 0 && !check) {
		fprintf(stderr, "pyspan: nothing to trace: give --pid PID (see pyspan --help)\n");
		return CLI_USAGE_ERROR;
	}
	if (cfg->nexports == 0) {
		cfg->exports[0] = "stdout";
		cfg->nexports = 1;
	}
	for (int i = 0; i < cfg->nexports; i++) {
		if (strcmp(cfg->exports[i], "cloudwatch") == 0 && !cfg->cw_log_group) {
			fprintf(stderr, "pyspan: --export cloudwatch needs --log-group NAME\n");
			return CLI_USAGE_ERROR;
		}
	}
	if (cfg->service_name && !cfg->service_name[0])
		cfg->service_name = NULL;
	if (check) {
		char *json = config_to_json(cfg);

		if (!json) {
			fprintf(stderr, "pyspan: out of memory\n");
			return CLI_USAGE_ERROR;
		}
		puts(json);
		free(json);
		return CLI_EXIT_OK;
	}
	return CLI_OK;
}
