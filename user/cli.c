/* Command-line flags and environment variables, turned into one configuration. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pyspan_limits.h"

#define PYSPAN_VERSION "0.1.0"

static const char usage_text[] =
	"Usage: pyspan --pid PID [options]\n"
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
	"  -v, --verbose          debug messages on stderr, libbpf's included\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
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
};

static const char *const known_exports[] = { "stdout", "xray" };

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
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A whole decimal number within [min, max], or -1 with a message naming the flag. */
static int parse_uint(const char *flag, const char *s, unsigned long min, unsigned long max,
		      uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s[0] || s[0] == '-' || s[0] == '+') {
		fprintf(stderr, "pyspan: %s takes a whole number, not '%s'\n", flag, s);
		return -1;
	}
	v = strtoul(s, &end, 10);
	if (errno || *end) {
		fprintf(stderr, "pyspan: %s takes a whole number, not '%s'\n", flag, s);
		return -1;
	}
	if (v < min || v > max) {
		fprintf(stderr, "pyspan: %s must be between %lu and %lu, not %s\n", flag, min, max,
			s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "stdout,xray": known names, each once, none empty. */
static int parse_exports(const char *arg, struct config *cfg)
{
	char *save = NULL, *name;

	if (strlen(arg) >= sizeof(cfg->export_names)) {
		fprintf(stderr, "pyspan: --export list too long\n");
		return -1;
	}
	strcpy(cfg->export_names, arg);
	cfg->nexports = 0;
	if (!arg[0] || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
		fprintf(stderr, "pyspan: --export takes names separated by commas, not '%s'\n",
			arg);
		return -1;
	}
	for (name = strtok_r(cfg->export_names, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		size_t k;

		for (k = 0; k < sizeof(known_exports) / sizeof(known_exports[0]); k++)
			if (strcmp(name, known_exports[k]) == 0)
				break;
		if (k == sizeof(known_exports) / sizeof(known_exports[0])) {
			fprintf(stderr, "pyspan: unknown exporter '%s' in --export (known: "
					"stdout, xray)\n", name);
			return -1;
		}
		for (int i = 0; i < cfg->nexports; i++) {
			if (strcmp(cfg->exports[i], name) == 0) {
				fprintf(stderr, "pyspan: exporter '%s' named twice in --export\n",
					name);
				return -1;
			}
		}
		if (cfg->nexports == CLI_MAX_EXPORTS) {
			fprintf(stderr, "pyspan: at most %d exporters\n", CLI_MAX_EXPORTS);
			return -1;
		}
		cfg->exports[cfg->nexports++] = name;
	}
	return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg)
{
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->capture_bytes = CAPTURE_DEFAULT;
	cfg->ringbuf_mb = RINGBUF_DEFAULT_MB;
	cfg->service_name = getenv("OTEL_SERVICE_NAME");
	cfg->sampling.mode = SAMPLING_ALL;
	cfg->sampling.rate = 1.0;
	cfg->sampling.keep_errors = 1;
	cfg->flush_deadline_s = 5;

	opterr = 0; /* our own messages: one line each */
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":p:s:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (cfg->npids == CLI_MAX_PIDS) {
				fprintf(stderr, "pyspan: at most %d --pid flags\n", CLI_MAX_PIDS);
				return CLI_USAGE_ERROR;
			}
			if (parse_uint("--pid", optarg, 1, UINT32_MAX, &cfg->pids[cfg->npids]))
				return CLI_USAGE_ERROR;
			cfg->npids++;
			break;
		case 's':
			if (!optarg[0]) {
				fprintf(stderr, "pyspan: --service-name must not be empty\n");
				return CLI_USAGE_ERROR;
			}
			cfg->service_name = optarg;
			break;
		case OPT_CAPTURE:
			if (parse_uint("--capture-bytes", optarg, 64, CAPTURE_MAX,
				       &cfg->capture_bytes))
				return CLI_USAGE_ERROR;
			break;
		case OPT_RINGBUF:
			if (parse_uint("--ringbuf-mb", optarg, 1, 1024, &cfg->ringbuf_mb))
				return CLI_USAGE_ERROR;
			if (cfg->ringbuf_mb & (cfg->ringbuf_mb - 1)) {
				fprintf(stderr, "pyspan: --ringbuf-mb must be a power of two, not %s\n",
					optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_RECORD:
			if (!optarg[0]) {
				fprintf(stderr, "pyspan: --record needs a file name\n");
				return CLI_USAGE_ERROR;
			}
			cfg->record_path = optarg;
			break;
		case OPT_EXPORT:
			if (parse_exports(optarg, cfg))
				return CLI_USAGE_ERROR;
			break;
		case OPT_SAMPLING: {
			int keep = cfg->sampling.keep_errors;

			if (sampling_parse(optarg, &cfg->sampling)) {
				fprintf(stderr, "pyspan: --sampling takes all, default or a number "
						"from 0 to 1, not '%s'\n", optarg);
				return CLI_USAGE_ERROR;
			}
			cfg->sampling.keep_errors = keep;
			break;
		}
		case OPT_KEEP_ERRORS:
			cfg->sampling.keep_errors = 1;
	cfg->flush_deadline_s = 5;
			break;
		case OPT_NO_KEEP_ERRORS:
			cfg->sampling.keep_errors = 0;
			break;
		case OPT_SERVICE_VERSION:
			if (!optarg[0]) {
				fprintf(stderr, "pyspan: --service-version must not be empty\n");
				return CLI_USAGE_ERROR;
			}
			cfg->service_version = optarg;
			break;
		case OPT_XRAY_MODE:
			if (strcmp(optarg, "api") == 0) {
				cfg->xray_api = 1;
			} else if (strcmp(optarg, "daemon") == 0) {
				cfg->xray_api = 0;
			} else {
				fprintf(stderr, "pyspan: --xray-mode takes daemon or api, "
						"not '%s'\n",
					optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_XRAY_ENDPOINT:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8)) {
				fprintf(stderr,
					"pyspan: --xray-endpoint takes an http:// or https:// URL, "
					"not '%s'\n",
					optarg);
				return CLI_USAGE_ERROR;
			}
			cfg->xray_endpoint = optarg;
			break;
		case OPT_FLUSH_DEADLINE:
			if (parse_uint("--flush-deadline", optarg, 0, 600, &cfg->flush_deadline_s))
				return CLI_USAGE_ERROR;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_VERSION:
			printf("pyspan %s\n", PYSPAN_VERSION);
			return CLI_EXIT_OK;
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
	if (cfg->npids == 0) {
		fprintf(stderr, "pyspan: nothing to trace: give --pid PID (see pyspan --help)\n");
		return CLI_USAGE_ERROR;
	}
	if (cfg->nexports == 0) {
		cfg->exports[0] = "stdout";
		cfg->nexports = 1;
	}
	if (cfg->service_name && !cfg->service_name[0])
		cfg->service_name = NULL;
	return CLI_OK;
}
