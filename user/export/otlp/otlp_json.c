// SPDX-License-Identifier: BSD-2-Clause
/* OTLP/HTTP JSON encoding of spans and log records: a pure encoder, no I/O
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp/otlp_json.h"
#include "proto/pytraceback.h"
#include "span/semconv.h"
#include "span/tracectx.h"
#include "span/view.h"

/* Flags: the low byte is the W3C trace flags (sampled: pyspan only exports what sampling
 * kept); 0x100 says whether the parent is remote is known, 0x200 that it is. */
#define FLAG_SAMPLED 0x01
#define FLAG_HAS_IS_REMOTE 0x100
#define FLAG_IS_REMOTE 0x200

static void add_u64_string(cJSON *o, const char *k, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	cJSON_AddStringToObject(o, k, buf);
}

static cJSON *kv(cJSON *attrs, const char *key)
{
	cJSON *a = cJSON_CreateObject();

	if (!a)
		return NULL;
	cJSON_AddStringToObject(a, "key", key);
	cJSON_AddItemToArray(attrs, a);
	return cJSON_AddObjectToObject(a, "value");
}

static void attr_str(void *ctx, const char *k, const char *v)
{
	cJSON *val = kv(ctx, k);

	if (val)
		cJSON_AddStringToObject(val, "stringValue", v);
}

static void attr_i64(void *ctx, const char *k, int64_t v)
{
	cJSON *val = kv(ctx, k);
	char buf[24];

	/* int64 is a decimal string in OTLP JSON. */
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	if (val)
		cJSON_AddStringToObject(val, "intValue", buf);
}

static void attr_flag(void *ctx, const char *k, int v)
{
	cJSON *val = kv(ctx, k);

	if (val)
		cJSON_AddBoolToObject(val, "boolValue", v);
}

static char *print(cJSON *o)
{
	char *t = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return t;
}

char *otlp_resource_json(const char *service_name, uint32_t pid,
			 const struct otlp_resource_opts *o)
{
	cJSON *r = cJSON_CreateObject(), *a = r ? cJSON_AddArrayToObject(r, "attributes") : NULL;

	if (!a) {
		cJSON_Delete(r);
		return NULL;
	}
	attr_str(a, "service.name",
		 service_name && service_name[0] ? service_name : "unknown_service");
	if (o && o->service_version)
		attr_str(a, "service.version", o->service_version);
	attr_i64(a, "process.pid", pid);
	if (o && o->hostname)
		attr_str(a, "host.name", o->hostname);
	for (int i = 0; o && i < o->nextra; i++) {
		const char *k = o->extra[i].key;

		/* Ours are measured; a configured one would only contradict them. */
		if (strcmp(k, "service.name") && strcmp(k, "process.pid") &&
		    strcmp(k, "host.name") && !(o->service_version && !strcmp(k, "service.version")))
			attr_str(a, k, o->extra[i].value);
	}
	return print(r);
}

static void add_exception_event(cJSON *span, const struct span *s, const struct span_view *v)
{
	const struct pytb_exception *x = v->exception;
	cJSON *evs, *ev, *a;

	if (!x)
		return;
	evs = cJSON_AddArrayToObject(span, "events");
	ev = cJSON_CreateObject();
	if (!evs || !ev) {
		cJSON_Delete(ev);
		return;
	}
	cJSON_AddItemToArray(evs, ev);
	/* Python raised it before the response went out; the end is the closest time seen. */
	add_u64_string(ev, "timeUnixNano", s->end_unix_ns);
	cJSON_AddStringToObject(ev, "name", "exception");
	a = cJSON_AddArrayToObject(ev, "attributes");
	if (!a)
		return;
	attr_str(a, "exception.type", x->type);
	attr_str(a, "exception.message", x->message);
	if (v->stacktrace)
		attr_str(a, "exception.stacktrace", v->stacktrace);
}

char *otlp_span_json(const struct span *s, const struct span_view *v)
{
	struct attr_sink sink = { NULL, attr_str, attr_i64, attr_flag };
	cJSON *o = cJSON_CreateObject(), *a;
	int flags = FLAG_SAMPLED | FLAG_HAS_IS_REMOTE;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "traceId", v->trace_id);
	cJSON_AddStringToObject(o, "spanId", v->span_id);
	if (s->has_parent) {
		cJSON_AddStringToObject(o, "parentSpanId", v->parent_id);
		/* A server span's parent is the caller's span, in another process. */
		if (s->kind == SPAN_SERVER)
			flags |= FLAG_IS_REMOTE;
	}
	cJSON_AddNumberToObject(o, "flags", flags);
	cJSON_AddStringToObject(o, "name", v->name);
	cJSON_AddNumberToObject(o, "kind", s->kind == SPAN_CLIENT ? 3 : 2);
	add_u64_string(o, "startTimeUnixNano", s->start_unix_ns);
	add_u64_string(o, "endTimeUnixNano", s->end_unix_ns);
	a = cJSON_AddArrayToObject(o, "attributes");
	if (a) {
		sink.ctx = a;
		span_attrs(s, v, &sink);
	}
	add_exception_event(o, s, v);
	/* Server 4xx stays UNSET (the client's fault); 5xx, exceptions and failed calls are
	 * ERROR. */
	if (v->is_error) {
		cJSON *st = cJSON_AddObjectToObject(o, "status");
		const char *msg = v->exception ? v->exception_text :
				  s->kind == SPAN_CLIENT ? s->error_message :
							   "";

		if (st) {
			if (msg[0])
				cJSON_AddStringToObject(st, "message", msg);
			cJSON_AddNumberToObject(st, "code", 2);
		}
	}
	return print(o);
}

static const char *stream_name(enum logrec_stream s)
{
	return s == LOGREC_STDOUT ? "stdout" : s == LOGREC_STDERR ? "stderr" : NULL;
}

char *otlp_log_json(const struct log_record *r, uint64_t observed_ns)
{
	cJSON *o = cJSON_CreateObject(), *body, *a;
	char hex[33], *text;

	if (!o)
		return NULL;
	add_u64_string(o, "timeUnixNano", r->time_unix_ns);
	add_u64_string(o, "observedTimeUnixNano", observed_ns);
	if (r->severity > 0 && r->severity <= 24)
		cJSON_AddNumberToObject(o, "severityNumber", r->severity);
	if (r->severity_text && r->severity_text[0])
		cJSON_AddStringToObject(o, "severityText", r->severity_text);
	body = cJSON_AddObjectToObject(o, "body");
	text = malloc(r->len + 1);
	if (!body || !text) {
		free(text);
		cJSON_Delete(o);
		return NULL;
	}
	memcpy(text, r->text, r->len);
	text[r->len] = '\0'; /* a NUL inside the line ends it: JSON strings cannot hold one */
	cJSON_AddStringToObject(body, "stringValue", text);
	free(text);
	a = cJSON_AddArrayToObject(o, "attributes");
	if (a) {
		if (stream_name(r->stream))
			attr_str(a, "log.iostream", stream_name(r->stream));
		else if (r->source && r->source[0])
			attr_str(a, "log.file.path", r->source);
		attr_i64(a, "thread.id", r->tid);
	}
	if (r->has_trace) {
		tracectx_hex(r->trace_id, 16, hex);
		cJSON_AddStringToObject(o, "traceId", hex);
		tracectx_hex(r->span_id, 8, hex);
		cJSON_AddStringToObject(o, "spanId", hex);
		cJSON_AddNumberToObject(o, "flags", FLAG_SAMPLED);
	}
	return print(o);
}

char *otlp_item(const char *resource, const char *record, size_t *len)
{
	size_t rl = strlen(resource), sl = strlen(record);
	char *p = malloc(rl + 1 + sl + 1);

	if (!p)
		return NULL;
	memcpy(p, resource, rl);
	p[rl] = '\n';
	memcpy(p + rl + 1, record, sl + 1);
	*len = rl + 1 + sl;
	return p;
}

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *g = realloc(b->p, cap);

		if (!g) {
			b->oom = 1;
			return;
		}
		b->p = g;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

char *otlp_envelope(enum otlp_signal sig, char *const *items, const size_t *lens, int n,
		    const char *scope_version, size_t *len)
{
	struct buf b = { 0 };
	char *done = calloc((size_t)n + 1, 1);
	cJSON *scope = cJSON_CreateObject();
	char *scope_text;
	int first_res = 1;

	if (!done || !scope) {
		free(done);
		cJSON_Delete(scope);
		return NULL;
	}
	cJSON_AddStringToObject(scope, "name", OTLP_SCOPE_NAME);
	if (scope_version)
		cJSON_AddStringToObject(scope, "version", scope_version);
	scope_text = print(scope);
	adds(&b, sig == OTLP_TRACES ? "{\"resourceSpans\":[" : "{\"resourceLogs\":[");
	for (int i = 0; i < n; i++) {
		const char *nl = memchr(items[i], '\n', lens[i]);
		size_t rl = nl ? (size_t)(nl - items[i]) : 0;
		int first_rec = 1;

		if (done[i] || !nl)
			continue;
		adds(&b, first_res ? "{\"resource\":" : ",{\"resource\":");
		first_res = 0;
		add(&b, items[i], rl);
		adds(&b, sig == OTLP_TRACES ? ",\"scopeSpans\":[{\"scope\":" :
					      ",\"scopeLogs\":[{\"scope\":");
		adds(&b, scope_text ? scope_text : "{}");
		adds(&b, sig == OTLP_TRACES ? ",\"spans\":[" : ",\"logRecords\":[");
		for (int j = i; j < n; j++) {
			if (done[j] || lens[j] <= rl || items[j][rl] != '\n' ||
			    memcmp(items[j], items[i], rl))
				continue;
			done[j] = 1;
			if (!first_rec)
				adds(&b, ",");
			first_rec = 0;
			add(&b, items[j] + rl + 1, lens[j] - rl - 1);
		}
		adds(&b, "]}]}");
	}
	adds(&b, "]}");
	free(done);
	free(scope_text);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

long long otlp_partial_rejected(enum otlp_signal sig, const char *body, char *msg,
				size_t msglen)
{
	cJSON *j = cJSON_Parse(body ? body : "");
	cJSON *ps = cJSON_GetObjectItemCaseSensitive(j, "partialSuccess");
	cJSON *r = cJSON_GetObjectItemCaseSensitive(
		ps, sig == OTLP_TRACES ? "rejectedSpans" : "rejectedLogRecords");
	cJSON *m = cJSON_GetObjectItemCaseSensitive(ps, "errorMessage");
	long long n = 0;

	if (msglen)
		msg[0] = '\0';
	if (cJSON_IsString(r))
		n = strtoll(r->valuestring, NULL, 10);
	else if (cJSON_IsNumber(r))
		n = (long long)r->valuedouble;
	if (n < 0)
		n = 0;
	if (cJSON_IsString(m) && msglen)
		snprintf(msg, msglen, "%s", m->valuestring);
	cJSON_Delete(j);
	return n;
}
