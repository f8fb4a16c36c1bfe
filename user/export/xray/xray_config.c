// SPDX-License-Identifier: BSD-2-Clause
/* The X-Ray backend's flags, environment variables and config keys, and how it is opened. */
#include <stddef.h>
#include <stdio.h>

#include "export/backend.h"
#include "export/xray/xray.h"
#include "export/xray/xray_addr.h"

BACKEND_SETTINGS_FIT(struct xray_opts);

static int check_daemon_address(const char *name, const char *value, char *err, size_t errlen)
{
	struct xray_addr a;

	if (xray_addr_parse(value, &a) == 0)
		return 0;
	snprintf(err, errlen, "%s takes host:port or 'tcp:host:port udp:host:port', not '%s'", name,
		 value);
	return -1;
}

static const struct setting_choice modes[] = { { "daemon", 0 }, { "api", 1 }, { NULL, 0 } };

static const struct backend_setting settings[] = {
	{ .key = "mode", .flag = "xray-mode", .arg = "MODE", .kind = SETTING_CHOICE,
	  .offset = offsetof(struct xray_opts, api), .choices = modes,
	  .help = "daemon (UDP to $AWS_XRAY_DAEMON_ADDRESS, default\n"
		  "127.0.0.1:2000) or api (PutTraceSegments, SigV4, $AWS_REGION)" },
	{ .key = "endpoint", .flag = "xray-endpoint", .arg = "URL", .kind = SETTING_STRING,
	  .offset = offsetof(struct xray_opts, endpoint), .check = backend_check_url,
	  .env = { "AWS_ENDPOINT_URL_XRAY", "AWS_ENDPOINT_URL" },
	  .help = "api mode: X-Ray endpoint (default $AWS_ENDPOINT_URL_XRAY,\n"
		  "else https://xray.REGION.amazonaws.com)" },
	{ .key = "daemon_address", .kind = SETTING_STRING,
	  .offset = offsetof(struct xray_opts, daemon_address), .check = check_daemon_address,
	  .env = { "AWS_XRAY_DAEMON_ADDRESS" } },
};

static struct exporter *open_xray(const void *settings, const struct backend_shared *shared)
{
	struct xray_opts o = *(const struct xray_opts *)settings;

	o.service_version = shared->service_version;
	return export_xray_new(&o);
}

const struct backend xray_backend = {
	.name = "xray",
	.section = "xray",
	.settings = settings,
	.nsettings = sizeof(settings) / sizeof(settings[0]),
	.settings_size = sizeof(struct xray_opts),
	.listing = 1,
	.open = open_xray,
};
