// SPDX-License-Identifier: BSD-2-Clause
/* --check-config: the effective configuration as JSON, with anything secret masked. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/config_print.h"
#include "config/options.h"

static const char *const secret_words[] = {"secret", "token", "key", "password"};

/* Credentials must never reach a terminal or a CI log, whatever key a future setting adds. */
static int is_secret(const char *name)
{
	char low[128];
	size_t i;

	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = 0;
	for (i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strstr(low, secret_words[i]))
			return 1;
	return 0;
}

/* The userinfo of a URL ("user:password" before '@') becomes "****": an endpoint's
 * credentials are masked like any secret value, the rest of the URL stays readable. */
static void mask_userinfo(cJSON *v)
{
	const char *s = cJSON_GetStringValue(v), *user, *end;
	char masked[2048];

	if (!s || !(user = strstr(s, "://")))
		return;
	user += 3;
	end = user + strcspn(user, "/?#@");
	if (*end != '@' || strlen(s) >= sizeof(masked))
		return;
	snprintf(masked, sizeof(masked), "%.*s****%s", (int)(user - s), s, end);
	cJSON_SetValuestring(v, masked);
}

void config_mask(cJSON *obj)
{
	cJSON *v, *next;

	for (v = obj ? obj->child : NULL; v; v = next) {
		next = v->next; /* v is freed when replaced */
		mask_userinfo(v);
		/* A switch holds no secret, whatever its name ("redis_redact_keys"). */
		if (v->string && is_secret(v->string) && !cJSON_IsBool(v))
			cJSON_ReplaceItemInObjectCaseSensitive(obj, v->string,
							       cJSON_CreateString("****"));
		else if (cJSON_IsObject(v) || cJSON_IsArray(v))
			config_mask(v);
	}
}

/* Unset strings are left out, so that what is printed is itself a valid config file. */
static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static void add_list(cJSON *o, const char *k, const char *const *v, int n)
{
	cJSON *a = cJSON_AddArrayToObject(o, k);

	for (int i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

/* One setting of a backend as the config file would give it; field points into its options. */
static void add_setting(cJSON *o, const struct backend_setting *s, const char *field)
{
	const struct setting_choice *c;
	const char *v;
	char shown[2048];

	switch (s->kind) {
	case SETTING_STRING:
		v = *(const char *const *)(const void *)field;
		if (v && s->show) {
			s->show(v, shown, sizeof(shown));
			v = shown;
		}
		add_str(o, s->key, v);
		break;
	case SETTING_UINT:
		cJSON_AddNumberToObject(o, s->key, *(const uint32_t *)(const void *)field);
		break;
	case SETTING_CHOICE:
		for (c = s->choices; c->name; c++)
			if (c->value == *(const int *)(const void *)field)
				break;
		add_str(o, s->key, c->name);
		break;
	}
}

static void add_log_files(cJSON *o, const struct config *cfg)
{
	cJSON *a = cJSON_AddArrayToObject(o, "log_files");

	for (int i = 0; a && i < cfg->nlog_files; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(cfg->log_files[i]));
}

/* Each backend's settings, in their own object when the backend has a section. log_files goes
 * after the first backend that takes logs, where it has always been printed. */
static void add_backends(cJSON *o, const struct config *cfg)
{
	const struct backend *listed[BACKENDS_MAX];
	int logs_added = 0;

	backends_listed(listed);
	for (int i = 0; i < nbackends; i++) {
		const struct backend *b = listed[i];
		const char *settings = config_backend_get(cfg, b);
		cJSON *into = b->section ? cJSON_AddObjectToObject(o, b->section) : o;

		for (int k = 0; into && k < b->nsettings; k++)
			add_setting(into, &b->settings[k], settings + b->settings[k].offset);
		if (b->takes_logs && !logs_added++)
			add_log_files(o, cfg);
	}
	if (!logs_added)
		add_log_files(o, cfg);
}

char *config_to_json(const struct config *cfg)
{
	cJSON *o = cJSON_CreateObject(), *pids, *ex;
	char *out = NULL;

	if (!o)
		return NULL;
	pids = cJSON_AddArrayToObject(o, "pids");
	for (int i = 0; pids && i < cfg->npids; i++)
		cJSON_AddItemToArray(pids, cJSON_CreateNumber(cfg->pids[i]));
	/* Like unset strings, empty follow lists are left out. */
	if (cfg->ncomms)
		add_list(o, "comm", cfg->comms, cfg->ncomms);
	if (cfg->nexes)
		add_list(o, "exe", cfg->exes, cfg->nexes);
	if (cfg->ncgroups)
		add_list(o, "cgroup", cfg->cgroups, cfg->ncgroups);
	if (cfg->ncontainers)
		add_list(o, "container", cfg->containers, cfg->ncontainers);
	if (cfg->exit_when_gone >= 0)
		cJSON_AddBoolToObject(o, "exit_when_gone", cfg->exit_when_gone);
	add_str(o, "service_name", cfg->service_name);
	add_str(o, "service_version", cfg->service_version);
	cJSON_AddNumberToObject(o, "capture_bytes", cfg->capture_bytes);
	cJSON_AddNumberToObject(o, "ringbuf_mb", cfg->ringbuf_mb);
	add_str(o, "record", cfg->record_path);
	ex = cJSON_AddArrayToObject(o, "export");
	for (int i = 0; ex && i < cfg->nexports; i++)
		cJSON_AddItemToArray(ex, cJSON_CreateString(cfg->exports[i]));
	if (cfg->sampling.mode == SAMPLING_ALL)
		cJSON_AddStringToObject(o, "sampling", "all");
	else if (cfg->sampling.mode == SAMPLING_DEFAULT)
		cJSON_AddStringToObject(o, "sampling", "default");
	else if (cfg->sampling.mode == SAMPLING_PER_SECOND) {
		char per[24];

		snprintf(per, sizeof(per), "%u/s", cfg->sampling.per_second);
		cJSON_AddStringToObject(o, "sampling", per);
	}
	else
		cJSON_AddNumberToObject(o, "sampling", cfg->sampling.rate);
	cJSON_AddBoolToObject(o, "sampling_keep_errors", cfg->sampling.keep_errors);
	cJSON_AddNumberToObject(o, "sampling_keep_slower_than", cfg->sampling.keep_slower_than_ms);
	cJSON_AddNumberToObject(o, "flush_deadline", cfg->flush_deadline_s);
	cJSON_AddNumberToObject(o, "export_queue_mb", cfg->export_queue_mb);
	add_backends(o, cfg);
	cJSON_AddBoolToObject(o, "redis_redact_keys", cfg->redis_redact_keys);
	cJSON_AddBoolToObject(o, "keep_path_tokens", cfg->redact.keep_path_tokens);
	cJSON_AddBoolToObject(o, "verbose", cfg->verbose);
	add_list(o, "redact_headers", cfg->redact.headers, cfg->redact.nheaders);
	add_list(o, "query_allow", cfg->redact.query_allow, cfg->redact.nquery_allow);
	add_list(o, "redact_patterns", cfg->redact.patterns, cfg->redact.npatterns);
	cJSON_AddNumberToObject(o, "stats", cfg->stats_interval_s);
	cJSON_AddNumberToObject(o, "metrics_port", cfg->metrics_port);
	add_str(o, "metrics_address", cfg->metrics_address);
	config_mask(o);
	out = cJSON_Print(o);
	cJSON_Delete(o);
	return out;
}
