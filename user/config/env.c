// SPDX-License-Identifier: BSD-2-Clause
/* Environment variables: pyspan's own and those each backend declares, over the config file. */
#include <stdlib.h>
#include <string.h>

#include "config/env.h"
#include "config/options.h"
#include "lib/otel_kv.h"

const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

/* A backend's settings from the variables it declares, the first one set winning. A string
 * is taken as it is, as before config files existed: the backend checks it when it opens, so a
 * bad one only matters to the exporter that reads it. A choice is checked now: nothing else
 * could say what it means. */
static int apply_backend(struct config *cfg, const struct backend *b, char *err, size_t errlen)
{
	for (int k = 0; k < b->nsettings; k++) {
		const struct backend_setting *s = &b->settings[k];
		const char *name = NULL, *v = NULL;

		for (int e = 0; e < 3 && s->env[e] && !v; e++)
			v = env_value(name = s->env[e]);
		if (!v)
			continue;
		if (s->kind == SETTING_STRING)
			options_take_backend(cfg, b, s, CONFIG_FROM_ENV, v);
		else if (options_set_backend(cfg, b, s, CONFIG_FROM_ENV, name, v, err, errlen))
			return -1;
	}
	return 0;
}

int env_apply(struct config *cfg, char *err, size_t errlen)
{
	static struct otel_kv res[OTEL_KV_MAX];
	const char *v;

	if ((v = env_value("OTEL_SERVICE_NAME")))
		cfg->service_name = v;
	for (int i = 0; i < nbackends; i++)
		if (apply_backend(cfg, backends[i], err, errlen))
			return -1;
	/* A variable outranks what the file set that it replaces (a per-signal URL under a base
	 * URL); the environment's own per-signal URLs then stand. */
	options_outrank(cfg, CONFIG_FROM_ENV);
	if ((v = env_value("OTEL_RESOURCE_ATTRIBUTES"))) {
		int n = otel_kv_parse(v, res, OTEL_KV_MAX, 0, err, errlen);

		cfg->resource_attributes = v; /* a malformed list is the exporters' to refuse */
		/* OpenTelemetry: OTEL_SERVICE_NAME, when set, wins over this service.name. */
		for (int i = 0; i < n && !env_value("OTEL_SERVICE_NAME"); i++)
			if (strcmp(res[i].key, "service.name") == 0 && res[i].value[0])
				cfg->service_name = res[i].value;
	}
	return 0;
}
