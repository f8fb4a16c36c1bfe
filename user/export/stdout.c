// SPDX-License-Identifier: BSD-2-Clause
/* The stdout exporter: one JSON object per span per line, attribute names as OpenTelemetry's. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "proto/pytraceback.h"

static void add_str_if(cJSON *o, const char *key, const char *v)
{
	if (v && v[0])
		cJSON_AddStringToObject(o, key, v);
}

/* cJSON keeps numbers as doubles; nanosecond timestamps (about 1.8e18) need all 64 bits, so
 * they are written as raw integer literals. */
static void add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	cJSON_AddRawToObject(o, key, buf);
}

static cJSON *frames_to_json(const struct pytb_exception *x)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; arr && i < x->nframes; i++) {
		cJSON *f = cJSON_CreateObject();

		if (!f)
			break;
		cJSON_AddStringToObject(f, "file", x->frames[i].file);
		cJSON_AddNumberToObject(f, "line", x->frames[i].line);
		cJSON_AddStringToObject(f, "function", x->frames[i].function);
		cJSON_AddItemToArray(arr, f);
	}
	return arr;
}

/* The escaping exception flat, as OpenTelemetry names it; the exceptions before it in its
 * chain (causes and contexts), oldest first, under exception.chain. */
static void add_exception(cJSON *o, const struct pytb_report *r, const struct span_view *v)
{
	const struct pytb_exception *x = v->exception;
	cJSON *chain;

	if (!x)
		return;
	cJSON_AddStringToObject(o, "exception.type", x->type);
	cJSON_AddStringToObject(o, "exception.message", x->message);
	cJSON_AddItemToObject(o, "exception.stacktrace", frames_to_json(x));
	if (x->frames_omitted)
		cJSON_AddNumberToObject(o, "exception.frames_omitted", x->frames_omitted);
	if (r->nchain < 2)
		return;
	chain = cJSON_AddArrayToObject(o, "exception.chain");
	for (int i = 0; chain && i < r->nchain - 1; i++) {
		cJSON *c = cJSON_CreateObject();

		if (!c)
			break;
		cJSON_AddStringToObject(c, "type", r->chain[i].type);
		cJSON_AddStringToObject(c, "message", r->chain[i].message);
		/* How the next exception came from this one. */
		cJSON_AddStringToObject(c, "link",
					r->chain[i + 1].link == PYTB_LINK_CAUSE ? "cause" : "context");
		cJSON_AddItemToObject(c, "stacktrace", frames_to_json(&r->chain[i]));
		cJSON_AddItemToArray(chain, c);
	}
	if (r->chain_omitted)
		cJSON_AddNumberToObject(o, "exception.chain_omitted", r->chain_omitted);
}

/* An outbound call: OpenTelemetry's HTTP client and database attributes. */
static void add_client(cJSON *o, const struct span *s, const struct span_view *v)
{
	if (s->db_system[0]) {
		cJSON_AddStringToObject(o, "db.system", s->db_system);
		add_str_if(o, "db.namespace", s->db_name);
		add_str_if(o, "db.user", s->db_user);
		add_str_if(o, "db.operation.name", s->db_operation);
		add_str_if(o, "db.query.text", s->db_query);
		add_str_if(o, "db.response.command_tag", s->db_response);
		if (s->is_error && strcmp(s->db_system, "postgresql") == 0)
			add_str_if(o, "db.response.status_code", s->error_type);
	} else {
		cJSON_AddStringToObject(o, "http.request.method", s->method);
		cJSON_AddStringToObject(o, "url.full", v->url_full);
		if (s->status)
			cJSON_AddNumberToObject(o, "http.response.status_code", s->status);
		add_u64(o, "http.request.body.size", s->request_body_size);
		add_u64(o, "http.response.body.size", s->response_body_size);
	}
	add_str_if(o, "network.protocol.name", s->protocol);
	if (s->tls)
		cJSON_AddBoolToObject(o, "pyspan.tls", 1);
	add_str_if(o, "server.address", s->server_addr);
	if (s->server_port >= 0)
		cJSON_AddNumberToObject(o, "server.port", s->server_port);
	if (s->is_error) {
		add_str_if(o, "error.type", s->error_type);
		add_str_if(o, "pyspan.error.message", s->error_message);
	}
	add_str_if(o, "service.name", s->service_name);
	cJSON_AddNumberToObject(o, "process.pid", s->pid);
	cJSON_AddNumberToObject(o, "thread.id", s->tid);
	if (s->incomplete)
		cJSON_AddBoolToObject(o, "pyspan.incomplete", 1);
}

/* Database calls keep the short name stdout always gave them: the operation alone. */
static const char *client_name(const struct span *s, const struct span_view *v)
{
	if (s->db_system[0])
		return s->db_operation[0] ? s->db_operation : s->db_system;
	return v->name;
}

static cJSON *span_to_json(const struct span *s, const struct span_view *v)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "trace_id", v->trace_id);
	cJSON_AddStringToObject(o, "span_id", v->span_id);
	if (s->has_parent)
		cJSON_AddStringToObject(o, "parent_span_id", v->parent_id);
	cJSON_AddStringToObject(o, "kind", s->kind == SPAN_CLIENT ? "client" : "server");
	if (s->kind == SPAN_CLIENT) {
		cJSON_AddStringToObject(o, "name", client_name(s, v));
		add_u64(o, "start_time_unix_nano", s->start_unix_ns);
		add_u64(o, "end_time_unix_nano", s->end_unix_ns);
		cJSON_AddNumberToObject(o, "duration_ms", v->duration_ms);
		add_client(o, s, v);
		return o;
	}
	cJSON_AddStringToObject(o, "name", v->name);
	add_u64(o, "start_time_unix_nano", s->start_unix_ns);
	add_u64(o, "end_time_unix_nano", s->end_unix_ns);
	cJSON_AddNumberToObject(o, "duration_ms", v->duration_ms);
	cJSON_AddStringToObject(o, "http.request.method", s->method);
	cJSON_AddStringToObject(o, "url.path", s->path);
	if (s->has_query)
		cJSON_AddStringToObject(o, "url.query", v->query);
	cJSON_AddStringToObject(o, "http.route", s->route);
	if (s->status)
		cJSON_AddNumberToObject(o, "http.response.status_code", s->status);
	add_u64(o, "http.request.body.size", s->request_body_size);
	add_u64(o, "http.response.body.size", s->response_body_size);
	add_str_if(o, "client.address", v->client_socket_addr);
	if (v->client_port >= 0)
		cJSON_AddNumberToObject(o, "client.port", v->client_port);
	add_str_if(o, "server.address", s->server_addr);
	if (s->server_port >= 0)
		cJSON_AddNumberToObject(o, "server.port", s->server_port);
	add_str_if(o, "user_agent.original", s->user_agent);
	add_str_if(o, "http.request.header.x-forwarded-for", s->x_forwarded_for);
	add_str_if(o, "service.name", s->service_name);
	cJSON_AddNumberToObject(o, "process.pid", s->pid);
	cJSON_AddNumberToObject(o, "thread.id", s->tid);
	if (s->exception) {
		add_exception(o, s->exception, v);
		cJSON_AddStringToObject(o, "pyspan.exception_source", v->exception_source);
	}
	if (s->headers_truncated)
		cJSON_AddBoolToObject(o, "pyspan.headers_truncated", 1);
	if (s->body_unsynced)
		cJSON_AddBoolToObject(o, "pyspan.body_size_approximate", 1);
	if (s->incomplete)
		cJSON_AddBoolToObject(o, "pyspan.incomplete", 1);
	/* Only when sampled away from 1: this span stands for sample_rate requests. */
	if (s->sample_rate > 1)
		cJSON_AddNumberToObject(o, "pyspan.sample_rate", s->sample_rate);
	return o;
}

static void stdout_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	cJSON *o = span_to_json(s, v);
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;

	if (text && fputs(text, stdout) >= 0 && fputc('\n', stdout) != EOF)
		ex->sent++;
	else
		ex->dropped++;
	free(text);
	cJSON_Delete(o);
}

static void stdout_flush(struct exporter *ex)
{
	fflush(stdout);
}

static void stdout_close(struct exporter *ex)
{
	fflush(stdout);
}

static struct exporter stdout_exporter = {
	.name = "stdout",
	.span = stdout_span,
	.flush = stdout_flush,
	.close = stdout_close,
};

struct exporter *export_stdout_new(void)
{
	return &stdout_exporter;
}
