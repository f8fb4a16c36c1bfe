// SPDX-License-Identifier: BSD-2-Clause
/* Honeycomb batch events from spans, in its tracing conventions: a pure encoder, no I/O
 * (https://docs.honeycomb.io/api/events/). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/honeycomb/honeycomb_event.h"
#include "proto/pytraceback.h"
#include "span/semconv.h"
#include "span/view.h"

void hny_rfc3339(uint64_t unix_ns, char out[32])
{
	time_t sec = (time_t)(unix_ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&sec, &tm);
	/* strftime keeps the compiler sure of the width: years stay four digits until 9999. */
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 12, ".%09uZ", (unsigned)(unix_ns % 1000000000ull));
}

int hny_key_is_classic(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	if (n == 0)
		return 1;
	if (n == 32) {
		for (size_t i = 0; i < n; i++)
			if (!isdigit((unsigned char)key[i]) && !(key[i] >= 'a' && key[i] <= 'f'))
				return 0;
		return 1;
	}
	/* Ingest keys: "hc" + one letter + "ic_" for classic ("hcxic_..."), 64 characters. */
	if (n == 64 && key[0] == 'h' && key[1] == 'c' && key[2] >= 'a' && key[2] <= 'z' &&
	    key[3] == 'i' && key[4] == 'c' && key[5] == '_') {
		for (size_t i = 6; i < n; i++)
			if (!isdigit((unsigned char)key[i]) && !(key[i] >= 'a' && key[i] <= 'z'))
				return 0;
		return 1;
	}
	return 0;
}

void hny_service_dataset(const char *name, char *out, size_t len)
{
	const char *b = name ? name : "", *e;

	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (e == b || strncmp(b, "unknown_service", 15) == 0)
		snprintf(out, len, "unknown_service");
	else
		snprintf(out, len, "%.*s", (int)(e - b), b);
}

static void put_str(void *ctx, const char *k, const char *v)
{
	char cut[HNY_STRING_MAX + 1];

	if (strlen(v) > HNY_STRING_MAX) {
		memcpy(cut, v, HNY_STRING_MAX);
		cut[HNY_STRING_MAX] = '\0';
		span_cut_utf8(cut, HNY_STRING_MAX - 1);
		v = cut;
	}
	cJSON_AddStringToObject(ctx, k, v);
}

static void put_i64(void *ctx, const char *k, int64_t v)
{
	char buf[24];

	/* Raw: cJSON's doubles would round body sizes past 2^53. */
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	cJSON_AddRawToObject(ctx, k, buf);
}

static void put_flag(void *ctx, const char *k, int v)
{
	cJSON_AddBoolToObject(ctx, k, v);
}

static void add_exception(cJSON *d, const struct span_view *v, int with_stack)
{
	const struct pytb_exception *x = v->exception;

	if (!x)
		return;
	cJSON_AddStringToObject(d, "exception.type", x->type);
	cJSON_AddStringToObject(d, "exception.message", x->message);
	if (with_stack && v->stacktrace)
		cJSON_AddStringToObject(d, "exception.stacktrace", v->stacktrace);
}

static cJSON *event_json(const struct span *s, const struct span_view *v,
			 const struct hny_event_opts *o, int samplerate, int with_stack)
{
	struct attr_sink sink = { NULL, put_str, put_i64, put_flag };
	cJSON *ev = cJSON_CreateObject(), *d;
	char ts[32];

	if (!ev)
		return NULL;
	hny_rfc3339(s->start_unix_ns, ts);
	cJSON_AddStringToObject(ev, "time", ts);
	if (samplerate > 1)
		cJSON_AddNumberToObject(ev, "samplerate", samplerate);
	d = cJSON_AddObjectToObject(ev, "data");
	if (!d) {
		cJSON_Delete(ev);
		return NULL;
	}
	cJSON_AddStringToObject(d, "trace.trace_id", v->trace_id);
	cJSON_AddStringToObject(d, "trace.span_id", v->span_id);
	if (s->has_parent)
		cJSON_AddStringToObject(d, "trace.parent_id", v->parent_id);
	cJSON_AddStringToObject(d, "name", v->name);
	/* Beelines write both; Honeycomb's dataset definitions look for either. */
	if (s->service_name && s->service_name[0]) {
		cJSON_AddStringToObject(d, "service.name", s->service_name);
		cJSON_AddStringToObject(d, "service_name", s->service_name);
	}
	if (o && o->service_version)
		cJSON_AddStringToObject(d, "service.version", o->service_version);
	cJSON_AddNumberToObject(d, "duration_ms", v->duration_ms);
	/* root: starts the trace; subroot: continues a caller's trace in this process; leaf:
	 * an outbound call with nothing under it. */
	cJSON_AddStringToObject(d, "meta.span_type", s->kind == SPAN_CLIENT ? "leaf" :
						     s->has_parent	     ? "subroot" :
									       "root");
	cJSON_AddStringToObject(d, "span.kind", s->kind == SPAN_CLIENT ? "client" : "server");
	if (o && o->hostname)
		cJSON_AddStringToObject(d, "meta.local_hostname", o->hostname);
	put_i64(d, "process.pid", s->pid);
	sink.ctx = d;
	span_attrs(s, v, &sink);
	if (v->is_error) {
		cJSON_AddBoolToObject(d, "error", 1);
		/* OTLP ingest's status fields, so both routes into Honeycomb look alike. */
		cJSON_AddNumberToObject(d, "status_code", 2);
	}
	add_exception(d, v, with_stack);
	for (int i = 0; o && i < o->nresource; i++)
		if (!cJSON_GetObjectItemCaseSensitive(d, o->resource[i].key))
			cJSON_AddStringToObject(d, o->resource[i].key, o->resource[i].value);
	return ev;
}

char *hny_event_encode(const struct span *s, const struct span_view *v,
		       const struct hny_event_opts *o, int samplerate, size_t max, int *trimmed)
{
	if (trimmed)
		*trimmed = 0;
	for (int with_stack = 1; with_stack >= 0; with_stack--) {
		cJSON *ev = event_json(s, v, o, samplerate, with_stack);
		char *text = ev ? cJSON_PrintUnformatted(ev) : NULL;

		cJSON_Delete(ev);
		if (!text)
			return NULL;
		if (strlen(text) <= max) {
			if (trimmed)
				*trimmed = !with_stack && v->exception;
			return text;
		}
		free(text);
	}
	return NULL;
}
