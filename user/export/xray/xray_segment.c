// SPDX-License-Identifier: BSD-2-Clause
/* X-Ray segment documents from spans: a pure encoder, no I/O (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/xray/xray_segment.h"
#include "lib/utf8.h"
#include "proto/pytraceback.h"
#include "span/tracectx.h"

static int name_char_ok(unsigned char c)
{
	/* Bytes >= 0x80 are parts of non-ASCII characters, taken as letters: the encoder has no
	 * Unicode tables, and service names in other scripts should survive. */
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ' ' || c == '\t' || strchr("_.:/%&#=+\\-@", c);
}

void xray_segment_name(const char *in, char *out, size_t outlen)
{
	char tmp[1024];
	size_t n = 0;

	for (size_t i = 0; in && in[i] && n + 1 < sizeof(tmp); i++)
		if (name_char_ok((unsigned char)in[i]))
			tmp[n++] = in[i];
	tmp[n] = '\0';
	utf8_cut_chars(n ? tmp : "pyspan", XRAY_NAME_MAX, out, outlen);
}

void xray_annotation_key(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; in[n] && n + 1 < outlen; n++) {
		unsigned char c = (unsigned char)in[n];

		out[n] = (c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				       (c >= '0' && c <= '9'))) ?
				 (char)c :
				 '_';
	}
	out[n] = '\0';
}

void xray_trace_id(const char hex[33], char out[36])
{
	snprintf(out, 36, "1-%.8s-%.24s", hex, hex + 8);
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	char cut[XRAY_STRING_MAX * 4 + 1];

	utf8_cut_chars(v, XRAY_STRING_MAX, cut, sizeof(cut));
	cJSON_AddStringToObject(o, key, cut);
}

/* Epoch seconds with exactly six decimals: cJSON's doubles would print 17 digits of noise. */
static void add_time(cJSON *o, const char *key, uint64_t unix_ns)
{
	char buf[32];
	uint64_t us = (unix_ns + 500) / 1000;

	snprintf(buf, sizeof(buf), "%llu.%06llu", (unsigned long long)(us / 1000000),
		 (unsigned long long)(us % 1000000));
	cJSON_AddRawToObject(o, key, buf);
}

static void add_request(cJSON *http, const struct span *s, const struct span_view *v)
{
	cJSON *req = cJSON_AddObjectToObject(http, "request");

	if (!req)
		return;
	cJSON_AddStringToObject(req, "method", s->method);
	add_str(req, "url", v->url_full);
	if (s->user_agent[0])
		add_str(req, "user_agent", s->user_agent);
	/* The first forwarded address is the original client; the rest are proxies. */
	if (v->client_forwarded_addr[0]) {
		add_str(req, "client_ip", v->client_forwarded_addr);
		cJSON_AddBoolToObject(req, "x_forwarded_for", 1);
	} else if (v->client_socket_addr[0]) {
		add_str(req, "client_ip", v->client_socket_addr);
	}
}

static cJSON *stack_to_json(const struct pytb_exception *x)
{
	cJSON *arr = cJSON_CreateArray();

	/* X-Ray lists frames innermost first; Python prints them innermost last. */
	for (int i = x->nframes - 1; arr && i >= 0; i--) {
		cJSON *f = cJSON_CreateObject();

		if (!f)
			break;
		add_str(f, "path", x->frames[i].file);
		cJSON_AddNumberToObject(f, "line", x->frames[i].line);
		add_str(f, "label", x->frames[i].function);
		cJSON_AddItemToArray(arr, f);
	}
	return arr;
}

/* The escaping exception first, each naming the one before it in the chain as its cause. */
static cJSON *cause_to_json(const struct pytb_report *r)
{
	cJSON *cause = cJSON_CreateObject();
	cJSON *arr = cause ? cJSON_AddArrayToObject(cause, "exceptions") : NULL;
	char ids[PYTB_MAX_CHAIN][17];
	uint8_t raw[8];

	if (!arr) {
		cJSON_Delete(cause);
		return NULL;
	}
	for (int i = 0; i < r->nchain; i++) {
		tracectx_new_span_id(raw);
		tracectx_hex(raw, 8, ids[i]);
	}
	for (int i = r->nchain - 1; i >= 0; i--) {
		const struct pytb_exception *x = &r->chain[i];
		cJSON *e = cJSON_CreateObject();

		if (!e)
			break;
		cJSON_AddStringToObject(e, "id", ids[i]);
		add_str(e, "type", x->type);
		add_str(e, "message", x->message);
		cJSON_AddItemToObject(e, "stack", stack_to_json(x));
		if (x->frames_omitted)
			cJSON_AddNumberToObject(e, "truncated", x->frames_omitted);
		if (i > 0)
			cJSON_AddStringToObject(e, "cause", ids[i - 1]);
		else if (r->chain_omitted)
			cJSON_AddNumberToObject(e, "skipped", r->chain_omitted);
		cJSON_AddItemToArray(arr, e);
	}
	return cause;
}

static void add_metadata(cJSON *doc, const struct span *s, const struct span_view *v)
{
	cJSON *md = cJSON_AddObjectToObject(doc, "metadata");
	cJSON *ns = md ? cJSON_AddObjectToObject(md, "pyspan") : NULL;

	if (!ns)
		return;
	if (s->server_addr[0])
		cJSON_AddStringToObject(ns, "server.address", s->server_addr);
	if (s->server_port >= 0)
		cJSON_AddNumberToObject(ns, "server.port", s->server_port);
	if (v->client_port >= 0)
		cJSON_AddNumberToObject(ns, "client.port", v->client_port);
	/* client_ip came from X-Forwarded-For: the socket's peer is the nearest proxy. */
	if (v->client_socket_addr[0] && v->client_forwarded_addr[0])
		cJSON_AddStringToObject(ns, "network.peer.address", v->client_socket_addr);
	cJSON_AddNumberToObject(ns, "http.request.body.size", (double)s->request_body_size);
	cJSON_AddNumberToObject(ns, "thread.id", s->tid);
	if (v->exception_source)
		cJSON_AddStringToObject(ns, "exception_source", v->exception_source);
	if (s->headers_truncated)
		cJSON_AddBoolToObject(ns, "headers_truncated", 1);
	if (s->body_unsynced)
		cJSON_AddBoolToObject(ns, "body_size_approximate", 1);
	if (s->incomplete)
		cJSON_AddBoolToObject(ns, "incomplete", 1);
}

static cJSON *segment(const struct span *s, const struct span_view *v,
		      const struct xray_segment_opts *o)
{
	cJSON *doc = cJSON_CreateObject(), *http, *res, *ann;
	char buf[XRAY_NAME_MAX * 4 + 1], key[64];

	if (!doc)
		return NULL;
	xray_segment_name(s->service_name, buf, sizeof(buf));
	cJSON_AddStringToObject(doc, "name", buf);
	cJSON_AddStringToObject(doc, "id", v->span_id);
	xray_trace_id(v->trace_id, buf);
	cJSON_AddStringToObject(doc, "trace_id", buf);
	if (s->has_parent)
		cJSON_AddStringToObject(doc, "parent_id", v->parent_id);
	add_time(doc, "start_time", s->start_unix_ns);
	add_time(doc, "end_time", s->end_unix_ns);
	if (o && o->origin)
		cJSON_AddStringToObject(doc, "origin", o->origin);
	if (o && o->service_version) {
		cJSON *svc = cJSON_AddObjectToObject(doc, "service");

		if (svc)
			add_str(svc, "version", o->service_version);
	}

	http = cJSON_AddObjectToObject(doc, "http");
	if (http) {
		add_request(http, s, v);
		if (s->status && (res = cJSON_AddObjectToObject(http, "response"))) {
			cJSON_AddNumberToObject(res, "status", s->status);
			cJSON_AddNumberToObject(res, "content_length",
						(double)s->response_body_size);
		}
	}
	if (v->http_4xx)
		cJSON_AddBoolToObject(doc, "error", 1);
	if (v->throttle)
		cJSON_AddBoolToObject(doc, "throttle", 1);
	if (v->fault)
		cJSON_AddBoolToObject(doc, "fault", 1);
	if (v->exception)
		cJSON_AddItemToObject(doc, "cause", cause_to_json(s->exception));

	ann = cJSON_AddObjectToObject(doc, "annotations");
	if (ann) {
		if (s->route[0]) {
			xray_annotation_key("route", key, sizeof(key));
			add_str(ann, key, s->route);
		}
		xray_annotation_key("pid", key, sizeof(key));
		cJSON_AddNumberToObject(ann, key, s->pid);
	}
	add_metadata(doc, s, v);
	{
		cJSON *aws = cJSON_AddObjectToObject(doc, "aws");
		cJSON *xr = aws ? cJSON_AddObjectToObject(aws, "xray") : NULL;

		if (xr) {
			cJSON_AddStringToObject(xr, "sdk", "pyspan");
			cJSON_AddBoolToObject(xr, "auto_instrumentation", 1);
		}
	}
	return doc;
}

/* Drop about a quarter of the outermost frames of the exception with the most; 0 when no
 * exception has frames left. */
static int shed_frames(cJSON *doc)
{
	cJSON *excs = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "cause"), "exceptions");
	cJSON *e, *best = NULL;
	int most = 0, n, cut;

	cJSON_ArrayForEach(e, excs)
	{
		n = cJSON_GetArraySize(cJSON_GetObjectItem(e, "stack"));
		if (n > most) {
			most = n;
			best = e;
		}
	}
	if (!best)
		return 0;
	cut = most / 4 ? most / 4 : 1;
	for (int i = 0; i < cut; i++)
		cJSON_DeleteItemFromArray(cJSON_GetObjectItem(best, "stack"), most - 1 - i);
	{
		cJSON *t = cJSON_GetObjectItem(best, "truncated");
		double before = cJSON_IsNumber(t) ? t->valuedouble : 0;

		cJSON_DeleteItemFromObject(best, "truncated");
		cJSON_AddNumberToObject(best, "truncated", before + cut);
	}
	return 1;
}

char *xray_segment_encode(const struct span *s, const struct span_view *v,
			  const struct xray_segment_opts *o, size_t max, int *truncated)
{
	cJSON *doc = segment(s, v, o);
	char *text = NULL;
	int cut = 0;

	while (doc) {
		text = cJSON_PrintUnformatted(doc);
		if (!text || strlen(text) <= max)
			break;
		free(text);
		text = NULL;
		cut = 1;
		if (cJSON_HasObjectItem(doc, "metadata"))
			cJSON_DeleteItemFromObject(doc, "metadata");
		else if (shed_frames(doc))
			;
		else if (cJSON_HasObjectItem(doc, "cause"))
			cJSON_DeleteItemFromObject(doc, "cause");
		else
			break;
	}
	cJSON_Delete(doc);
	if (truncated)
		*truncated = cut;
	return text;
}

/* ---- outbound calls: subsegments, namespace "remote" ---- */

/* A call's subsegment name: the host called for HTTP, "database@host" for PostgreSQL (the
 * X-Ray convention for SQL), "redis@host" for Redis. */
static void call_name(const struct span *c, char *out, size_t outlen)
{
	char raw[SPAN_HOST_MAX + SPAN_ADDR_MAX + 80];

	if (!c->db_system[0])
		snprintf(raw, sizeof(raw), "%s", c->host[0] ? c->host : c->server_addr);
	else
		snprintf(raw, sizeof(raw), "%s@%s", c->db_name[0] ? c->db_name : c->db_system,
			 c->server_addr[0] ? c->server_addr : "localhost");
	xray_segment_name(raw, out, outlen);
}

/* A failed call: the error flags and a cause marked remote (the peer said so). */
static void call_error(cJSON *doc, const struct span *c, const struct span_view *v)
{
	cJSON *cause, *arr, *e;
	char id[17];
	uint8_t raw[8];

	if (!v->fault)
		return;
	cJSON_AddBoolToObject(doc, "fault", 1);
	if (c->status)
		return; /* HTTP: the status says it all */
	cause = cJSON_AddObjectToObject(doc, "cause");
	arr = cause ? cJSON_AddArrayToObject(cause, "exceptions") : NULL;
	e = arr ? cJSON_CreateObject() : NULL;
	if (!e)
		return;
	tracectx_new_span_id(raw);
	tracectx_hex(raw, 8, id);
	cJSON_AddStringToObject(e, "id", id);
	add_str(e, "type", c->error_type);
	add_str(e, "message", c->error_message);
	cJSON_AddBoolToObject(e, "remote", 1);
	cJSON_AddItemToArray(arr, e);
}

static cJSON *call_subsegment(const struct span *c, const struct span_view *v)
{
	cJSON *doc = cJSON_CreateObject(), *md, *ns;
	char buf[SPAN_HOST_MAX + SPAN_PATH_MAX + SPAN_QUERY_MAX + 16];

	if (!doc)
		return NULL;
	cJSON_AddStringToObject(doc, "id", v->span_id);
	call_name(c, buf, sizeof(buf));
	cJSON_AddStringToObject(doc, "name", buf);
	add_time(doc, "start_time", c->start_unix_ns);
	add_time(doc, "end_time", c->end_unix_ns);
	cJSON_AddStringToObject(doc, "namespace", "remote");
	if (!c->db_system[0]) {
		cJSON *http = cJSON_AddObjectToObject(doc, "http");
		cJSON *req = http ? cJSON_AddObjectToObject(http, "request") : NULL;
		cJSON *res;

		if (req) {
			cJSON_AddStringToObject(req, "method", c->method);
			add_str(req, "url", v->url_full);
		}
		if (http && c->status && (res = cJSON_AddObjectToObject(http, "response"))) {
			cJSON_AddNumberToObject(res, "status", c->status);
			cJSON_AddNumberToObject(res, "content_length",
						(double)c->response_body_size);
		}
		if (v->http_4xx)
			cJSON_AddBoolToObject(doc, "error", 1);
		if (v->throttle)
			cJSON_AddBoolToObject(doc, "throttle", 1);
	} else if (strcmp(c->db_system, "postgresql") == 0) {
		cJSON *sql = cJSON_AddObjectToObject(doc, "sql");

		if (sql) {
			add_str(sql, "sanitized_query", c->db_query);
			cJSON_AddStringToObject(sql, "database_type", "PostgreSQL");
			if (c->db_user[0])
				add_str(sql, "user", c->db_user);
			/* No password ever: the wire carries none pyspan keeps. */
			snprintf(buf, sizeof(buf),
				 strchr(c->server_addr, ':') ? "postgresql://[%s]:%d/%s" :
							       "postgresql://%s:%d/%s",
				 c->server_addr[0] ? c->server_addr : "localhost",
				 c->server_port > 0 ? c->server_port : 5432, c->db_name);
			add_str(sql, "url", buf);
		}
	}
	call_error(doc, c, v);
	md = cJSON_AddObjectToObject(doc, "metadata");
	ns = md ? cJSON_AddObjectToObject(md, "pyspan") : NULL;
	if (ns) {
		if (c->db_system[0]) {
			cJSON_AddStringToObject(ns, "db.system", c->db_system);
			if (c->db_operation[0])
				add_str(ns, "db.operation.name", c->db_operation);
			if (strcmp(c->db_system, "postgresql") != 0 && c->db_query[0])
				add_str(ns, "db.query.text", c->db_query);
			if (c->db_response[0])
				add_str(ns, "db.response.command_tag", c->db_response);
		}
		if (c->server_addr[0])
			cJSON_AddStringToObject(ns, "server.address", c->server_addr);
		if (c->server_port >= 0)
			cJSON_AddNumberToObject(ns, "server.port", c->server_port);
		if (c->tls)
			cJSON_AddBoolToObject(ns, "tls", 1);
		cJSON_AddNumberToObject(ns, "thread.id", c->tid);
		if (c->incomplete)
			cJSON_AddBoolToObject(ns, "incomplete", 1);
	}
	return doc;
}

/* Print doc when it fits in max bytes; NULL otherwise. Frees doc. */
static char *print_within(cJSON *doc, size_t max)
{
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (text && strlen(text) > max) {
		free(text);
		text = NULL;
	}
	return text;
}

char *xray_segment_encode_calls(const struct span *s, const struct span_view *v,
				const struct span *const *calls,
				const struct span_view *const *call_views, int n,
				const struct xray_segment_opts *o, size_t max, int *truncated,
				int *embedded)
{
	cJSON *doc, *arr;
	char *text;

	*embedded = 0;
	if (n > 0 && (doc = segment(s, v, o)) &&
	    (arr = cJSON_AddArrayToObject(doc, "subsegments"))) {
		for (int i = 0; i < n; i++) {
			cJSON *sub = call_subsegment(calls[i], call_views[i]);

			if (sub)
				cJSON_AddItemToArray(arr, sub);
		}
		text = print_within(doc, max);
		if (text) {
			*embedded = 1;
			if (truncated)
				*truncated = 0;
			return text;
		}
	}
	return xray_segment_encode(s, v, o, max, truncated);
}

char *xray_subsegment_encode(const struct span *c, const struct span_view *v, size_t max)
{
	cJSON *doc = call_subsegment(c, v);
	char buf[36];

	if (!doc)
		return NULL;
	cJSON_AddStringToObject(doc, "type", "subsegment");
	xray_trace_id(v->trace_id, buf);
	cJSON_AddStringToObject(doc, "trace_id", buf);
	tracectx_hex(c->parent_id, 8, buf);
	cJSON_AddStringToObject(doc, "parent_id", buf);
	return print_within(doc, max);
}

char *xray_call_segment_encode(const struct span *c, const struct span_view *v,
			       const struct xray_segment_opts *o, size_t max)
{
	cJSON *doc = cJSON_CreateObject(), *arr, *sub;
	char buf[XRAY_NAME_MAX * 4 + 1];
	uint8_t id[8];

	if (!doc)
		return NULL;
	xray_segment_name(c->service_name, buf, sizeof(buf));
	cJSON_AddStringToObject(doc, "name", buf);
	tracectx_new_span_id(id);
	tracectx_hex(id, 8, buf);
	cJSON_AddStringToObject(doc, "id", buf);
	xray_trace_id(v->trace_id, buf);
	cJSON_AddStringToObject(doc, "trace_id", buf);
	add_time(doc, "start_time", c->start_unix_ns);
	add_time(doc, "end_time", c->end_unix_ns);
	if (o && o->origin)
		cJSON_AddStringToObject(doc, "origin", o->origin);
	if (o && o->service_version) {
		cJSON *svc = cJSON_AddObjectToObject(doc, "service");

		if (svc)
			add_str(svc, "version", o->service_version);
	}
	arr = cJSON_AddArrayToObject(doc, "subsegments");
	sub = call_subsegment(c, v);
	if (arr && sub)
		cJSON_AddItemToArray(arr, sub);
	else
		cJSON_Delete(sub);
	return print_within(doc, max);
}
