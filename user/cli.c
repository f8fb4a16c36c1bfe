/* Command-line flags and environment variables, turned into one configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_file.h"
#include "config_print.h"
#include "options.h"

#define PYSPAN_VERSION "0.1.0"

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
	"      --export LIST      where spans go, comma-separated: stdout (the default), xray;\n"
	"                         several run side by side\n"
	"      --sampling MODE    which requests every exporter gets: all (the default),\n"
	"                         default (X-Ray's rule: the first request each second, then\n"
	"                         5%%), or a probability 0-1; a caller's Sampled=0 or\n"
	"                         traceparent flag 00 always drops the request\n"
	"      --no-sampling-keep-errors\n"
	"                         let sampling drop 4xx/5xx requests too (kept by default)\n"
	"      --service-version V  the service's version on every span (X-Ray: service.version)\n"
	"      --xray-mode MODE   daemon (UDP to $AWS_XRAY_DAEMON_ADDRESS, default\n"
	"                         127.0.0.1:2000) or api (PutTraceSegments, SigV4, $AWS_REGION)\n"
	"      --xray-endpoint URL  api mode: X-Ray endpoint (default $AWS_ENDPOINT_URL_XRAY,\n"
	"                         else https://xray.REGION.amazonaws.com)\n"
	"      --flush-deadline S seconds exporters may spend sending what is queued when pyspan\n"
	"                         stops (0-600, default 5); what is left is counted dropped\n"
	"      --redis-redact-keys  Redis client spans show '?' for the key (\"GET ?\"); by\n"
	"                         default they show the command and its key, never a value\n"
	"  -c, --config FILE      read settings from a JSON file whose keys are the long flags\n"
	"                         with _ for - (xray.mode, xray.endpoint, xray.daemon_address\n"
	"                         nest under \"xray\"); default $PYSPAN_CONFIG\n"
	"      --check-config FILE  validate FILE, print the effective settings (after the\n"
	"                         environment and any flags given with it) as JSON, secrets\n"
	"                         masked, and exit; attaches to nothing\n"
	"  -v, --verbose          debug messages on stderr, libbpf's included\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
	"\n"
	"Precedence, lowest first: built-in defaults, the config file, environment variables\n"
	"(OTEL_SERVICE_NAME, AWS_XRAY_DAEMON_ADDRESS, AWS_ENDPOINT_URL_XRAY, AWS_ENDPOINT_URL),\n"
	"flags.\n"
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
	OPT_SERVICE_VERSION,
	OPT_XRAY_MODE,
	OPT_XRAY_ENDPOINT,
	OPT_FLUSH_DEADLINE,
	OPT_CHECK_CONFIG,
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
	{ "service-version", required_argument, NULL, OPT_SERVICE_VERSION },
	{ "xray-mode", required_argument, NULL, OPT_XRAY_MODE },
	{ "xray-endpoint", required_argument, NULL, OPT_XRAY_ENDPOINT },
	{ "flush-deadline", required_argument, NULL, OPT_FLUSH_DEADLINE },
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
	{ OPT_SERVICE_VERSION, OPTION_SERVICE_VERSION },
	{ OPT_XRAY_MODE, OPTION_XRAY_MODE },
	{ OPT_XRAY_ENDPOINT, OPTION_XRAY_ENDPOINT },
	{ OPT_FLUSH_DEADLINE, OPTION_FLUSH_DEADLINE },
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
static void apply_env(struct config *cfg)
{
	const char *v;

	if ((v = nonempty_env("OTEL_SERVICE_NAME")))
		cfg->service_name = v;
	if ((v = nonempty_env("AWS_XRAY_DAEMON_ADDRESS")))
		cfg->xray_daemon_address = v;
	if ((v = nonempty_env("AWS_ENDPOINT_URL_XRAY")) || (v = nonempty_env("AWS_ENDPOINT_URL")))
		cfg->xray_endpoint = v;
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
	int opt, pids_from_flags = 0;
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
	apply_env(cfg);

	optind = 0;
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		int id = flag_option(opt);

		if (id >= 0) {
			char name[40];

			/* --pid replaces the file's pids rather than adding to them. */
			if (opt == 'p' && !pids_from_flags++)
				cfg->npids = 0;
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
	/* A file checked on a build host may leave the pid to the flag given at run time. */
	if (cfg->npids == 0 && !check) {
		fprintf(stderr, "pyspan: nothing to trace: give --pid PID (see pyspan --help)\n");
		return CLI_USAGE_ERROR;
	}
	if (cfg->nexports == 0) {
		cfg->exports[0] = "stdout";
		cfg->nexports = 1;
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
