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
	"  -v, --verbose          debug messages on stderr, libbpf's included\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
	"\n"
	"Exit status: 0 after a clean stop, 1 on a runtime error (no such process, no\n"
	"privileges, BPF unavailable), 2 on a usage error.\n";

enum { OPT_CAPTURE = 256, OPT_RINGBUF, OPT_VERSION, OPT_RECORD };

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "service-name", required_argument, NULL, 's' },
	{ "capture-bytes", required_argument, NULL, OPT_CAPTURE },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF },
	{ "record", required_argument, NULL, OPT_RECORD },
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

enum cli_result cli_parse(int argc, char **argv, struct config *cfg)
{
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->capture_bytes = CAPTURE_DEFAULT;
	cfg->ringbuf_mb = RINGBUF_DEFAULT_MB;
	cfg->service_name = getenv("OTEL_SERVICE_NAME");

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
	if (cfg->service_name && !cfg->service_name[0])
		cfg->service_name = NULL;
	return CLI_OK;
}
