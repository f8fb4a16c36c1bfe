// SPDX-License-Identifier: BSD-2-Clause
/* The Rollbar backend's flags, environment variables and config keys, and how it is opened. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "export/backend.h"
#include "export/rollbar/rollbar.h"
#include "export/rollbar/rollbar_item.h"
#include "lib/utf8.h"

BACKEND_SETTINGS_FIT(struct rollbar_opts);

static int check_token(const char *name, const char *value, char *err, size_t errlen)
{
	if (rollbar_token_ok(value))
		return 0;
	/* The value is a secret: the message never repeats it. */
	snprintf(err, errlen,
		 "%s must be a Rollbar access token (visible ASCII, no spaces, at most 128 "
		 "characters)",
		 name);
	return -1;
}

static int check_environment(const char *name, const char *value, char *err, size_t errlen)
{
	if (backend_check_not_empty(name, value, err, errlen))
		return -1;
	if (utf8_count_chars(value) <= ROLLBAR_ENVIRONMENT_MAX)
		return 0;
	snprintf(err, errlen, "%s must be at most %d characters", name, ROLLBAR_ENVIRONMENT_MAX);
	return -1;
}

static int check_code_version(const char *name, const char *value, char *err, size_t errlen)
{
	if (backend_check_not_empty(name, value, err, errlen))
		return -1;
	if (utf8_count_chars(value) <= ROLLBAR_CODE_VERSION_MAX)
		return 0;
	snprintf(err, errlen, "%s must be at most %d characters (a git SHA fits), not '%s'", name,
		 ROLLBAR_CODE_VERSION_MAX, value);
	return -1;
}

static const struct backend_setting settings[] = {
	{ .key = "rollbar_access_token", .kind = SETTING_STRING,
	  .offset = offsetof(struct rollbar_opts, access_token), .check = check_token,
	  .env = { "ROLLBAR_ACCESS_TOKEN" } },
	{ .key = "rollbar_environment", .flag = "rollbar-environment", .arg = "E",
	  .kind = SETTING_STRING, .offset = offsetof(struct rollbar_opts, environment),
	  .check = check_environment,
	  .help = "Rollbar's environment (default production); the\n"
		  "access token comes from $ROLLBAR_ACCESS_TOKEN or the config\n"
		  "file, never a flag (every user can read a command line)" },
	{ .key = "rollbar_code_version", .flag = "rollbar-code-version", .arg = "V",
	  .kind = SETTING_STRING, .offset = offsetof(struct rollbar_opts, code_version),
	  .check = check_code_version,
	  .help = "code_version of Rollbar items, at most 40 characters\n"
		  "(default: --service-version)" },
	{ .key = "rollbar_endpoint", .flag = "rollbar-endpoint", .arg = "URL", .kind = SETTING_STRING,
	  .offset = offsetof(struct rollbar_opts, endpoint), .check = backend_check_url,
	  .help = "Rollbar's API base (default\n"
		  "https://api.rollbar.com/api/1/); items go to URL/item/" },
	{ .key = "rollbar_dedup_window", .flag = "rollbar-dedup-window", .arg = "S",
	  .kind = SETTING_UINT, .offset = offsetof(struct rollbar_opts, dedup_window_s), .min = 0,
	  .max = 86400,
	  .help = "identical errors (same exception type and innermost\n"
		  "frame, or same status and route) within S seconds send one\n"
		  "Rollbar item; the rest are counted (0-86400, default 60)" },
};

static const struct rollbar_opts defaults = {
	.environment = ROLLBAR_ENVIRONMENT_DEFAULT,
	.endpoint = ROLLBAR_ENDPOINT_DEFAULT,
	.dedup_window_s = ROLLBAR_DEDUP_WINDOW_DEFAULT,
};

static struct exporter *open_rollbar(const void *settings, const struct backend_shared *shared)
{
	struct rollbar_opts o = *(const struct rollbar_opts *)settings;

	o.service_version = shared->service_version;
	return export_rollbar_new(&o);
}

const struct backend rollbar_backend = {
	.name = "rollbar",
	.export_note = "failed requests only",
	.settings = settings,
	.nsettings = sizeof(settings) / sizeof(settings[0]),
	.settings_size = sizeof(struct rollbar_opts),
	.defaults = &defaults,
	.listing = 2,
	.open = open_rollbar,
};
