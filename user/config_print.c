/* --check-config: the effective configuration as JSON, with anything secret masked. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_print.h"

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

void config_mask(cJSON *obj)
{
	cJSON *v, *next;

	for (v = obj ? obj->child : NULL; v; v = next) {
		next = v->next; /* v is freed when replaced */
		/* A switch holds no secret, whatever its name ("redis_redact_keys"). */
		if (v->string && is_secret(v->string) && !cJSON_IsBool(v))
			cJSON_ReplaceItemInObjectCaseSensitive(obj, v->string,
							       cJSON_CreateString("****"));
		else if (cJSON_IsObject(v))
			config_mask(v);
	}
}

/* Unset strings are left out, so that what is printed is itself a valid config file. */
static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

char *config_to_json(const struct config *cfg)
{
	cJSON *o = cJSON_CreateObject(), *pids, *ex, *x;
	char *out = NULL;

	if (!o)
		return NULL;
	pids = cJSON_AddArrayToObject(o, "pids");
	for (int i = 0; pids && i < cfg->npids; i++)
		cJSON_AddItemToArray(pids, cJSON_CreateNumber(cfg->pids[i]));
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
	else
		cJSON_AddNumberToObject(o, "sampling", cfg->sampling.rate);
	cJSON_AddBoolToObject(o, "sampling_keep_errors", cfg->sampling.keep_errors);
	cJSON_AddNumberToObject(o, "flush_deadline", cfg->flush_deadline_s);
	x = cJSON_AddObjectToObject(o, "xray");
	if (x) {
		cJSON_AddStringToObject(x, "mode", cfg->xray_api ? "api" : "daemon");
		add_str(x, "endpoint", cfg->xray_endpoint);
		add_str(x, "daemon_address", cfg->xray_daemon_address);
	}
	cJSON_AddBoolToObject(o, "redis_redact_keys", cfg->redis_redact_keys);
	cJSON_AddBoolToObject(o, "verbose", cfg->verbose);
	config_mask(o);
	out = cJSON_Print(o);
	cJSON_Delete(o);
	return out;
}
