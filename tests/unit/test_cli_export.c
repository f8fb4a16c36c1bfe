// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the exporter and sampling flags: --export lists, --sampling, X-Ray options. */
#include "check.h"
#include "config/cli.h"
#include "config/options.h"
#include "export/xray/xray.h"

static struct config cfg;

/* The X-Ray backend's settings as the flags left them. */
static const struct xray_opts *xray(void)
{
	return config_backend_get(&cfg, backend_find("xray"));
}

/* Parse argv (NULL-terminated, program name first); returns the cli_result. */
#define PARSE(...)                                                                       \
	({                                                                               \
		char *argv_[] = { "pyspan", "--pid", "1", __VA_ARGS__, NULL };            \
		cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &cfg);      \
	})

int main(void)
{
	char *plain[] = { "pyspan", "--pid", "1", NULL };

	CHECK_INT(cli_parse(3, plain, &cfg), CLI_OK);
	CHECK_INT(cfg.nexports, 1);
	CHECK_STR(cfg.exports[0], "stdout");
	CHECK_INT(cfg.sampling.mode, SAMPLING_ALL);
	CHECK_INT(cfg.sampling.keep_errors, 1);
	CHECK_INT(xray()->api, 0);
	CHECK_INT(cfg.flush_deadline_s, 5);
	CHECK_INT(cfg.export_queue_mb, 16);

	CHECK_INT(PARSE("--export", "stdout,xray"), CLI_OK);
	CHECK_INT(cfg.nexports, 2);
	CHECK_STR(cfg.exports[0], "stdout");
	CHECK_STR(cfg.exports[1], "xray");
	CHECK_INT(PARSE("--export", "xray"), CLI_OK);
	CHECK_INT(cfg.nexports, 1);
	CHECK_STR(cfg.exports[0], "xray");

	CHECK_INT(PARSE("--export", "xray,xray"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export", "stdout,,xray"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export", "xray,"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export", ""), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export", "zipkin"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export", "XRAY"), CLI_USAGE_ERROR);

	CHECK_INT(PARSE("--sampling", "default"), CLI_OK);
	CHECK_INT(cfg.sampling.mode, SAMPLING_DEFAULT);
	CHECK_INT(PARSE("--no-sampling-keep-errors", "--sampling", "0.1"), CLI_OK);
	CHECK_INT(cfg.sampling.mode, SAMPLING_RATE);
	CHECK_INT(cfg.sampling.keep_errors, 0); /* the order of the two flags does not matter */
	CHECK_INT(PARSE("--no-sampling-keep-errors", "--sampling-keep-errors"), CLI_OK);
	CHECK_INT(cfg.sampling.keep_errors, 1);
	CHECK_INT(PARSE("--sampling", "2"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--sampling", "everything"), CLI_USAGE_ERROR);

	CHECK_INT(PARSE("--xray-mode", "api", "--xray-endpoint", "http://127.0.0.1:9"), CLI_OK);
	CHECK_INT(xray()->api, 1);
	CHECK_STR(xray()->endpoint, "http://127.0.0.1:9");
	CHECK_INT(PARSE("--xray-mode", "daemon"), CLI_OK);
	CHECK_INT(xray()->api, 0);
	CHECK_INT(PARSE("--xray-mode", "udp"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--xray-endpoint", "xray.eu-west-1.amazonaws.com"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--service-version", "1.2.3"), CLI_OK);
	CHECK_STR(cfg.service_version, "1.2.3");
	CHECK_INT(PARSE("--service-version", ""), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--flush-deadline", "0"), CLI_OK);
	CHECK_INT(cfg.flush_deadline_s, 0);
	CHECK_INT(PARSE("--flush-deadline", "601"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export-queue-mb", "2"), CLI_OK);
	CHECK_INT(cfg.export_queue_mb, 2);
	CHECK_INT(PARSE("--export-queue-mb", "0"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--export-queue-mb", "lots"), CLI_USAGE_ERROR);
	return check_summary("cli_export");
}
