// SPDX-License-Identifier: BSD-2-Clause
/* The registry of backends: the only list of them, one line each. */
#include <stdio.h>
#include <string.h>

#include "export/backend.h"

/* In the order --export lists them; the first is the default. Each backend's descriptor is
 * NAME_backend, in its own folder (export/xray/xray_config.c). */
#define BACKEND_LIST(X)                                                                            \
	X(stdout_backend)                                                                          \
	X(xray_backend)                                                                            \
	X(cloudwatch_backend)                                                                      \
	X(honeycomb_backend)                                                                       \
	X(otlp_backend)                                                                            \
	X(rollbar_backend)

#define DECLARE(b) extern const struct backend b;
#define ENTRY(b) &b,

BACKEND_LIST(DECLARE)

const struct backend *const backends[] = { BACKEND_LIST(ENTRY) };
const int nbackends = (int)(sizeof(backends) / sizeof(backends[0]));

_Static_assert(sizeof(backends) / sizeof(backends[0]) <= BACKENDS_MAX,
	       "more backends than BACKENDS_MAX");

void backends_listed(const struct backend **out)
{
	/* Insertion sort: stable, and the list is a handful long. */
	for (int i = 0; i < nbackends; i++) {
		int j = i;

		for (; j > 0 && out[j - 1]->listing > backends[i]->listing; j--)
			out[j] = out[j - 1];
		out[j] = backends[i];
	}
}

const struct backend *backend_find(const char *name)
{
	for (int i = 0; i < nbackends; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int backend_index(const struct backend *b)
{
	for (int i = 0; i < nbackends; i++)
		if (backends[i] == b)
			return i;
	return -1;
}

const struct backend_setting *backend_setting_find(const struct backend *b, const char *key)
{
	for (int i = 0; i < b->nsettings; i++)
		if (strcmp(b->settings[i].key, key) == 0)
			return &b->settings[i];
	return NULL;
}

int backend_check_url(const char *name, const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "http://", 7) == 0 || strncmp(value, "https://", 8) == 0)
		return 0;
	snprintf(err, errlen, "%s takes an http:// or https:// URL, not '%s'", name, value);
	return -1;
}

int backend_check_not_empty(const char *name, const char *value, char *err, size_t errlen)
{
	if (value[0])
		return 0;
	snprintf(err, errlen, "%s must not be empty", name);
	return -1;
}
