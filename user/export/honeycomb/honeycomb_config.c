// SPDX-License-Identifier: BSD-2-Clause
/* The Honeycomb backend's flags, environment variables and config keys, and how it is opened. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "export/backend.h"
#include "export/honeycomb/honeycomb.h"

BACKEND_SETTINGS_FIT(struct honeycomb_opts);

/* Never quoted back: it is a credential. */
static int check_api_key(const char *name, const char *value, char *err, size_t errlen)
{
	if (backend_check_not_empty(name, value, err, errlen))
		return -1;
	if (!strpbrk(value, "\r\n"))
		return 0;
	snprintf(err, errlen, "%s must not hold a line break", name);
	return -1;
}

static int check_dataset(const char *name, const char *value, char *err, size_t errlen)
{
	if (backend_check_not_empty(name, value, err, errlen))
		return -1;
	if (!strchr(value, '/'))
		return 0;
	snprintf(err, errlen, "%s must not contain '/', not '%s'", name, value);
	return -1;
}

static const struct backend_setting settings[] = {
	{ .key = "api_key", .kind = SETTING_STRING, .offset = offsetof(struct honeycomb_opts, api_key),
	  .check = check_api_key, .env = { "HONEYCOMB_API_KEY" } },
	{ .key = "dataset", .flag = "honeycomb-dataset", .arg = "NAME", .kind = SETTING_STRING,
	  .offset = offsetof(struct honeycomb_opts, dataset), .check = check_dataset,
	  .env = { "HONEYCOMB_DATASET" },
	  .help = "the dataset for a classic Honeycomb key (default\n"
		  "$HONEYCOMB_DATASET); environment keys send each service's\n"
		  "spans to the dataset named after it. The key itself comes\n"
		  "from $HONEYCOMB_API_KEY or the config file, never a flag" },
	{ .key = "endpoint", .flag = "honeycomb-endpoint", .arg = "URL", .kind = SETTING_STRING,
	  .offset = offsetof(struct honeycomb_opts, endpoint), .check = backend_check_url,
	  .env = { "HONEYCOMB_API_ENDPOINT" },
	  .help = "Honeycomb API (default $HONEYCOMB_API_ENDPOINT, else\n"
		  "https://api.honeycomb.io)" },
};

static struct exporter *open_honeycomb(const void *settings, const struct backend_shared *shared)
{
	struct honeycomb_opts o = *(const struct honeycomb_opts *)settings;

	o.service_version = shared->service_version;
	o.resource_attributes = shared->resource_attributes;
	o.close_deadline_s = shared->flush_deadline_s;
	return export_honeycomb_new(&o);
}

const struct backend honeycomb_backend = {
	.name = "honeycomb",
	.section = "honeycomb",
	.settings = settings,
	.nsettings = sizeof(settings) / sizeof(settings[0]),
	.settings_size = sizeof(struct honeycomb_opts),
	.listing = 4,
	.open = open_honeycomb,
};
