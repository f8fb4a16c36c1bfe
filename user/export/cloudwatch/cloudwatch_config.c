// SPDX-License-Identifier: BSD-2-Clause
/* The CloudWatch Logs backend's flags, environment variables and config keys, and its opener. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "export/backend.h"
#include "export/cloudwatch/cloudwatch.h"

BACKEND_SETTINGS_FIT(struct cloudwatch_opts);

/* CloudWatch's rules for names (CreateLogGroup and CreateLogStream in
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/), so a typo fails at
 * start, not at the first send. */
static int check_log_group(const char *name, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n < 1 || n > 512 || strspn(v, "._-/#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789") != n || strncmp(v, "aws/", 4) == 0) {
		snprintf(err, errlen,
			 "%s takes 1-512 characters from A-Z a-z 0-9 . - _ / # (not starting with "
			 "aws/), not '%s'",
			 name, v);
		return -1;
	}
	return 0;
}

static int check_log_stream(const char *name, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n < 1 || n > 512 || strpbrk(v, ":*")) {
		snprintf(err, errlen, "%s takes 1-512 characters without ':' or '*', not '%s'", name,
			 v);
		return -1;
	}
	return 0;
}

static int check_namespace(const char *name, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n < 1 || n > 255 || strchr(v, ':')) {
		snprintf(err, errlen, "%s takes 1-255 characters without ':', not '%s'", name, v);
		return -1;
	}
	return 0;
}

static const struct backend_setting settings[] = {
	{ .key = "log_group", .flag = "log-group", .arg = "NAME", .kind = SETTING_STRING,
	  .offset = offsetof(struct cloudwatch_opts, log_group), .check = check_log_group,
	  .required = 1,
	  .help = "cloudwatch: the log group (created when missing); request\n"
		  "logs, the service's output and EMF metrics go there" },
	{ .key = "log_stream", .flag = "log-stream", .arg = "NAME", .kind = SETTING_STRING,
	  .offset = offsetof(struct cloudwatch_opts, log_stream), .check = check_log_stream,
	  .help = "cloudwatch: the log stream (default HOSTNAME-PID of pyspan)" },
	{ .key = "endpoint", .flag = "cloudwatch-endpoint", .arg = "URL", .kind = SETTING_STRING,
	  .offset = offsetof(struct cloudwatch_opts, endpoint), .check = backend_check_url,
	  .env = { "AWS_ENDPOINT_URL_LOGS", "AWS_ENDPOINT_URL" },
	  .help = "cloudwatch: the CloudWatch Logs endpoint (default\n"
		  "$AWS_ENDPOINT_URL_LOGS, else https://logs.REGION.amazonaws.com)" },
	{ .key = "emf_interval", .flag = "emf-interval", .arg = "S", .kind = SETTING_UINT,
	  .offset = offsetof(struct cloudwatch_opts, emf_interval_s), .min = 0, .max = 3600,
	  .help = "cloudwatch: seconds per EMF metrics event (requests, 4xx,\n"
		  "5xx, latency per service and route; 0-3600, default 60, 0 off)" },
	{ .key = "emf_namespace", .flag = "emf-namespace", .arg = "NS", .kind = SETTING_STRING,
	  .offset = offsetof(struct cloudwatch_opts, ns), .check = check_namespace,
	  .help = "cloudwatch: the metrics namespace (default pyspan)" },
};

static const struct cloudwatch_opts defaults = {
	.ns = "pyspan",
	.emf_interval_s = 60,
};

static struct exporter *open_cloudwatch(const void *settings, const struct backend_shared *shared)
{
	struct cloudwatch_opts o = *(const struct cloudwatch_opts *)settings;

	o.close_deadline_s = shared->flush_deadline_s;
	return export_cloudwatch_new(&o);
}

const struct backend cloudwatch_backend = {
	.name = "cloudwatch",
	.section = "cloudwatch",
	.settings = settings,
	.nsettings = sizeof(settings) / sizeof(settings[0]),
	.settings_size = sizeof(struct cloudwatch_opts),
	.defaults = &defaults,
	.listing = 3,
	.takes_logs = 1,
	.open = open_cloudwatch,
};
