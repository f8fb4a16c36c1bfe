// SPDX-License-Identifier: BSD-2-Clause
/* A backend's settings, set and checked through the table of settings the backend owns. */
#include <stdio.h>
#include <string.h>

#include "config/options.h"

void *config_backend(struct config *cfg, const struct backend *b)
{
	int i = backend_index(b);

	return i < 0 ? NULL : cfg->backend_settings[i].bytes;
}

const void *config_backend_get(const struct config *cfg, const struct backend *b)
{
	int i = backend_index(b);

	return i < 0 ? NULL : cfg->backend_settings[i].bytes;
}

static char *field(struct config *cfg, const struct backend *b, const struct backend_setting *s)
{
	return (char *)config_backend(cfg, b) + s->offset;
}

void options_take_backend(struct config *cfg, const struct backend *b,
			  const struct backend_setting *s, enum config_from from, const char *value)
{
	*(const char **)(void *)field(cfg, b, s) = value;
	cfg->backend_from[backend_index(b)][s - b->settings] = (uint8_t)from;
}

/* "daemon or api", "a, b or c": the names a choice takes, for its message. */
static void choice_names(const struct setting_choice *c, char *out, size_t len)
{
	size_t off = 0, n = 0;

	while (c[n].name)
		n++;
	out[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s",
					i == 0 ? "" : i + 1 == n ? " or " : ", ", c[i].name);
}

int options_set_backend(struct config *cfg, const struct backend *b, const struct backend_setting *s,
			enum config_from from, const char *name, const char *value, char *err,
			size_t errlen)
{
	char *to = field(cfg, b, s);
	char names[128];

	switch (s->kind) {
	case SETTING_STRING:
		if (s->check && s->check(name, value, err, errlen))
			return -1;
		*(const char **)(void *)to = value;
		break;
	case SETTING_UINT:
		if (options_parse_uint(name, value, s->min, s->max, (uint32_t *)(void *)to, err,
				       errlen))
			return -1;
		break;
	case SETTING_CHOICE: {
		const struct setting_choice *c = s->choices;

		while (c->name && strcmp(c->name, value) != 0)
			c++;
		if (!c->name) {
			choice_names(s->choices, names, sizeof(names));
			snprintf(err, errlen, "%s takes %s, not '%s'", name, names, value);
			return -1;
		}
		*(int *)(void *)to = c->value;
		break;
	}
	}
	cfg->backend_from[backend_index(b)][s - b->settings] = (uint8_t)from;
	return 0;
}

void options_outrank(struct config *cfg, enum config_from from)
{
	for (int i = 0; i < nbackends; i++) {
		const struct backend *b = backends[i];

		for (int k = 0; k < b->nsettings; k++) {
			if (cfg->backend_from[i][k] != from)
				continue;
			for (int o = 0; o < 3 && b->settings[k].outranks[o]; o++) {
				const struct backend_setting *t =
					backend_setting_find(b, b->settings[k].outranks[o]);
				if (t && t->kind == SETTING_STRING &&
				    cfg->backend_from[i][t - b->settings] < from)
					options_take_backend(cfg, b, t, CONFIG_FROM_DEFAULT, NULL);
			}
		}
	}
}

int options_check_required(const struct config *cfg, char *err, size_t errlen)
{
	for (int e = 0; e < cfg->nexports; e++) {
		const struct backend *b = backend_find(cfg->exports[e]);
		const char *settings = b ? config_backend_get(cfg, b) : NULL;

		for (int k = 0; settings && k < b->nsettings; k++) {
			const struct backend_setting *s = &b->settings[k];

			if (!s->required || s->kind != SETTING_STRING ||
			    *(const char *const *)(const void *)(settings + s->offset))
				continue;
			snprintf(err, errlen, "--export %s needs --%s %s", b->name, s->flag, s->arg);
			return -1;
		}
	}
	return 0;
}
