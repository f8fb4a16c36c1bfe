// SPDX-License-Identifier: BSD-2-Clause
/* The OTLP backend's flags, environment variables and config keys, and how it is opened. */
#include <stddef.h>
#include <stdio.h>

#include "export/backend.h"
#include "export/otlp/otlp.h"
#include "lib/otel_kv.h"

BACKEND_SETTINGS_FIT(struct otlp_opts);

static int check_headers(const char *name, const char *value, char *err, size_t errlen)
{
	struct otel_kv kv[OTEL_HEADERS_MAX];
	char why[256];

	if (otel_kv_parse(value, kv, OTEL_HEADERS_MAX, 1, why, sizeof(why)) >= 0)
		return 0;
	snprintf(err, errlen, "%s: %s", name, why);
	return -1;
}

/* Header names stay readable; every value is masked, since any may be a credential. */
static void show_headers(const char *value, char *out, size_t len)
{
	struct otel_kv kv[OTEL_HEADERS_MAX];
	char why[256];
	size_t off = 0;
	int n = otel_kv_parse(value, kv, OTEL_HEADERS_MAX, 1, why, sizeof(why));

	snprintf(out, len, "%s", n < 0 ? "****" : "");
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s=****", i ? "," : "", kv[i].key);
}

static const struct setting_choice compressions[] = { { "gzip", 1 }, { "none", 0 }, { NULL, 0 } };

static const struct backend_setting settings[] = {
	{ .key = "endpoint", .flag = "otlp-endpoint", .arg = "URL", .kind = SETTING_STRING,
	  .offset = offsetof(struct otlp_opts, endpoint), .check = backend_check_url,
	  .env = { "OTEL_EXPORTER_OTLP_ENDPOINT" },
	  .outranks = { "traces_endpoint", "logs_endpoint" },
	  .help = "OTLP/HTTP base URL; /v1/traces and /v1/logs are appended\n"
		  "(default $OTEL_EXPORTER_OTLP_ENDPOINT, else\n"
		  "http://localhost:4318)" },
	{ .key = "traces_endpoint", .flag = "otlp-traces-endpoint", .arg = "URL",
	  .kind = SETTING_STRING, .offset = offsetof(struct otlp_opts, traces_endpoint),
	  .check = backend_check_url, .env = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" },
	  .usage = "--otlp-traces-endpoint URL, --otlp-logs-endpoint URL",
	  .help = "full URLs for one signal\n"
		  "(default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ..._LOGS_...)" },
	{ .key = "logs_endpoint", .flag = "otlp-logs-endpoint", .arg = "URL", .kind = SETTING_STRING,
	  .offset = offsetof(struct otlp_opts, logs_endpoint), .check = backend_check_url,
	  .env = { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" } },
	{ .key = "headers", .kind = SETTING_STRING, .offset = offsetof(struct otlp_opts, headers),
	  .check = check_headers, .show = show_headers, .env = { "OTEL_EXPORTER_OTLP_HEADERS" } },
	{ .key = "compression", .flag = "otlp-compression", .arg = "C", .kind = SETTING_CHOICE,
	  .offset = offsetof(struct otlp_opts, gzip), .choices = compressions,
	  .env = { "OTEL_EXPORTER_OTLP_COMPRESSION" },
	  .help = "gzip or none (the default; $OTEL_EXPORTER_OTLP_COMPRESSION)\n"
		  "Headers (credentials) come from $OTEL_EXPORTER_OTLP_HEADERS\n"
		  "or the config file, never a flag" },
};

static struct exporter *open_otlp(const void *settings, const struct backend_shared *shared)
{
	struct otlp_opts o = *(const struct otlp_opts *)settings;

	o.service_version = shared->service_version;
	o.resource_attributes = shared->resource_attributes;
	o.close_deadline_s = shared->flush_deadline_s;
	return export_otlp_new(&o);
}

const struct backend otlp_backend = {
	.name = "otlp",
	.section = "otlp",
	.settings = settings,
	.nsettings = sizeof(settings) / sizeof(settings[0]),
	.settings_size = sizeof(struct otlp_opts),
	.listing = 5,
	.takes_logs = 1,
	.help_precedence = "A signal's own OTLP endpoint outranks the base URL set at the same "
			   "level or below.",
	.open = open_otlp,
};
