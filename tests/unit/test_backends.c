// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the registry of backends: names, flags, keys and variables each declared once,
 * and every backend's settings taken from flags, the config file and the environment, and
 * printed back by --check-config. */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config/cli.h"
#include "config/config_file.h"
#include "config/config_print.h"
#include "config/help.h"
#include "config/options.h"
#include "export/backend.h"

static struct config cfg;

static const char *const secret_words[] = { "secret", "token", "key", "password" };

static int is_secret(const char *key)
{
	for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strstr(key, secret_words[i]))
			return 1;
	return 0;
}

/* A value s accepts that differs from its default, as a flag would carry it. */
static const char *good_value(const struct backend *b, const struct backend_setting *s)
{
	static const char *const strings[] = { "http://127.0.0.1:9/", "abc", "127.0.0.1:2001",
					       "k=v", NULL };
	static char num[16];
	const struct setting_choice *c;
	char err[256];

	switch (s->kind) {
	case SETTING_UINT:
		snprintf(num, sizeof(num), "%u", s->max - 1);
		return num;
	case SETTING_CHOICE:
		for (c = s->choices; c->name; c++)
			if (c->value != 0) /* the defaults are zeroes */
				return c->name;
		return s->choices[0].name;
	case SETTING_STRING:
		for (int i = 0; strings[i]; i++)
			if (!s->check || s->check("x", strings[i], err, sizeof(err)) == 0)
				return strings[i];
	}
	return NULL;
}

/* Does s hold value in cfg, as good_value wrote it? */
static int holds(const struct backend *b, const struct backend_setting *s, const char *value)
{
	const char *field = (const char *)config_backend_get(&cfg, b) + s->offset;
	const struct setting_choice *c;

	switch (s->kind) {
	case SETTING_STRING: {
		const char *v = *(const char *const *)(const void *)field;

		return v && strcmp(v, value) == 0;
	}
	case SETTING_UINT:
		return *(const uint32_t *)(const void *)field == strtoul(value, NULL, 10);
	case SETTING_CHOICE:
		for (c = s->choices; c->name && strcmp(c->name, value); c++)
			;
		return c->name && *(const int *)(const void *)field == c->value;
	}
	return 0;
}

static void unset_all_env(void)
{
	for (int i = 0; i < nbackends; i++)
		for (int k = 0; k < backends[i]->nsettings; k++)
			for (int e = 0; e < 3 && backends[i]->settings[k].env[e]; e++)
				unsetenv(backends[i]->settings[k].env[e]);
	unsetenv("PYSPAN_CONFIG");
}

/* Each name, flag, key and first variable once in the whole registry. */
static void test_unique(void)
{
	const char *flags[256], *keys[256], *envs[256];
	int nflags = 0, nkeys = 0, nenvs = 0;

	CHECK(nbackends >= 1 && nbackends <= BACKENDS_MAX);
	for (int i = 0; i < nbackends; i++) {
		const struct backend *b = backends[i];

		CHECK(b->name && b->name[0] && b->open);
		CHECK(backend_find(b->name) == b); /* the first of its name: no other before it */
		CHECK_INT(backend_index(b), i);
		CHECK(b->nsettings <= BACKEND_SETTINGS_COUNT_MAX);
		CHECK(b->settings_size <= BACKEND_SETTINGS_MAX);
		/* A section is one key of the file's top level, as every top-level key is. */
		if (b->section)
			keys[nkeys++] = b->section;
		for (int k = 0; k < b->nsettings; k++) {
			const struct backend_setting *s = &b->settings[k];

			CHECK(s->key && s->key[0]);
			CHECK(backend_setting_find(b, s->key) == s);
			if (!b->section)
				keys[nkeys++] = s->key;
			if (s->flag)
				flags[nflags++] = s->flag;
			if (s->env[0])
				envs[nenvs++] = s->env[0];
			/* No flag may carry a secret: every user can read a command line. */
			CHECK(!(s->flag && is_secret(s->key)));
			CHECK(!s->required || (s->flag && s->arg && s->kind == SETTING_STRING));
			CHECK(s->kind != SETTING_CHOICE || (s->choices && s->choices[0].name));
			CHECK(s->offset + sizeof(void *) <= b->settings_size);
			for (int o = 0; o < 3 && s->outranks[o]; o++) {
				const struct backend_setting *t = backend_setting_find(b, s->outranks[o]);

				CHECK(t && t->kind == SETTING_STRING);
			}
		}
	}
	for (int i = 0; i < nflags; i++)
		for (int j = i + 1; j < nflags; j++)
			CHECK(strcmp(flags[i], flags[j]) != 0);
	for (int i = 0; i < nkeys; i++)
		for (int j = i + 1; j < nkeys; j++)
			CHECK(strcmp(keys[i], keys[j]) != 0);
	/* A fallback (AWS_ENDPOINT_URL) may serve several backends; a setting's own may not. */
	for (int i = 0; i < nenvs; i++)
		for (int j = i + 1; j < nenvs; j++)
			CHECK(strcmp(envs[i], envs[j]) != 0);
}

static int parse_flag(const char *flag, const char *value)
{
	char opt[80];
	char *argv[] = { "pyspan", "--pid", "1", opt, (char *)value, NULL };

	snprintf(opt, sizeof(opt), "--%s", flag);
	return cli_parse(5, argv, &cfg);
}

/* The value where --check-config puts it, as text ("****" for a secret). */
static char *printed(const struct backend *b, const struct backend_setting *s)
{
	char *json = config_to_json(&cfg), *out = NULL;
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	cJSON *v = cJSON_GetObjectItemCaseSensitive(b->section ? cJSON_GetObjectItem(o, b->section)
							       : o,
						    s->key);

	if (cJSON_IsString(v))
		out = strdup(v->valuestring);
	else if (cJSON_IsNumber(v) && asprintf(&out, "%.0f", v->valuedouble) < 0)
		out = NULL;
	cJSON_Delete(o);
	free(json);
	return out;
}

/* What --check-config should print for value. */
static void expected(const struct backend_setting *s, const char *value, char *out, size_t len)
{
	if (s->kind == SETTING_STRING && is_secret(s->key))
		snprintf(out, len, "****");
	else if (s->show)
		s->show(value, out, len);
	else
		snprintf(out, len, "%s", value);
}

/* Every setting from each of its sources, and printed back. */
static void test_settings(void)
{
	for (int i = 0; i < nbackends; i++) {
		const struct backend *b = backends[i];

		for (int k = 0; k < b->nsettings; k++) {
			const struct backend_setting *s = &b->settings[k];
			const char *v = good_value(b, s);
			char text[512], err[512], want[256], *got;

			CHECK(v != NULL);
			if (!v)
				continue;
			if (s->flag) {
				CHECK_INT(parse_flag(s->flag, v), CLI_OK);
				CHECK(holds(b, s, v));
			}
			snprintf(text, sizeof(text),
				 s->kind == SETTING_UINT ? "{%s%s%s\"%s\": %s%s}" :
							   "{%s%s%s\"%s\": \"%s\"%s}",
				 b->section ? "\"" : "", b->section ? b->section : "",
				 b->section ? "\": {" : "", s->key, v, b->section ? "}" : "");
			options_defaults(&cfg);
			CHECK_INT(config_file_parse(text, strlen(text), "t.json", &cfg, err,
						    sizeof(err)),
				  0);
			CHECK(holds(b, s, v));
			got = printed(b, s);
			expected(s, v, want, sizeof(want));
			CHECK_STR(got, want);
			free(got);
			for (int e = 0; e < 3 && s->env[e]; e++) {
				char *argv[] = { "pyspan", "--pid", "1", NULL };

				setenv(s->env[e], v, 1);
				CHECK_INT(cli_parse(3, argv, &cfg), CLI_OK);
				CHECK(holds(b, s, v));
				unsetenv(s->env[e]);
			}
		}
	}
}

/* A backend that needs a setting is refused without it, and taken with it. */
static void test_required(void)
{
	for (int i = 0; i < nbackends; i++) {
		const struct backend *b = backends[i];

		for (int k = 0; k < b->nsettings; k++) {
			const struct backend_setting *s = &b->settings[k];
			char opt[80];
			char *without[] = { "pyspan", "--pid", "1", "--export", (char *)b->name, NULL };
			char *with[] = { "pyspan", "--pid", "1", "--export", (char *)b->name, opt,
					 (char *)good_value(b, s), NULL };

			if (!s->required)
				continue;
			snprintf(opt, sizeof(opt), "--%s", s->flag);
			CHECK_INT(cli_parse(5, without, &cfg), CLI_USAGE_ERROR);
			CHECK_INT(cli_parse(7, with, &cfg), CLI_OK);
		}
	}
}

/* --help names every flag and every backend. */
static void test_help(void)
{
	char *text = NULL, opt[80];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	help_print(f);
	fclose(f);
	for (int i = 0; i < nbackends; i++) {
		CHECK(strstr(text, backends[i]->name) != NULL);
		for (int k = 0; k < backends[i]->nsettings; k++) {
			if (!backends[i]->settings[k].flag)
				continue;
			snprintf(opt, sizeof(opt), "--%s ", backends[i]->settings[k].flag);
			CHECK(strstr(text, opt) != NULL);
		}
	}
	free(text);
}

/* Listing order: by listing, ties in registry order, every backend once. */
static void test_listed(void)
{
	const struct backend *listed[BACKENDS_MAX];

	backends_listed(listed);
	for (int i = 0; i < nbackends; i++) {
		CHECK(backend_index(listed[i]) >= 0);
		if (i && listed[i - 1]->listing == listed[i]->listing)
			CHECK(backend_index(listed[i - 1]) < backend_index(listed[i]));
		if (i)
			CHECK(listed[i - 1]->listing <= listed[i]->listing);
		for (int j = 0; j < i; j++)
			CHECK(listed[i] != listed[j]);
	}
}

int main(void)
{
	unset_all_env();
	test_unique();
	test_settings();
	test_required();
	test_help();
	test_listed();
	return check_summary("backends");
}
