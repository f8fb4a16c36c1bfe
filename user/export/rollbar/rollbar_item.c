// SPDX-License-Identifier: BSD-2-Clause
/* Rollbar items from failed requests: a pure encoder, no I/O (https://docs.rollbar.com/reference/create-item). */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/rollbar/rollbar_item.h"
#include "lib/sink.h"
#include "lib/utf8.h"
#include "proto/pytraceback.h"
#include "span/redact.h"
#include "span/tracectx.h"

int rollbar_span_is_error(const struct span *s, const struct span_view *v)
{
	return s->kind == SPAN_SERVER && v->is_error;
}

void rollbar_fingerprint(const struct span *s, const struct span_view *v,
			 char out[ROLLBAR_FINGERPRINT_LEN + 1])
{
	const struct pytb_exception *x = v->exception;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char key[PYTB_TYPE_MAX + PYTB_FILE_MAX + PYTB_FUNC_MAX + SPAN_PATH_MAX + 64];
	int kl;

	/* The fields are joined with NUL-free separators that cannot appear in them (\n). */
	if (x && x->nframes > 0) {
		const struct pytb_frame *f = &x->frames[x->nframes - 1];

		kl = snprintf(key, sizeof(key), "exception\n%s\n%s\n%s\n%d", x->type, f->file,
			      f->function, f->line);
	} else if (x) {
		kl = snprintf(key, sizeof(key), "exception\n%s", x->type);
	} else {
		kl = snprintf(key, sizeof(key), "status\n%d\n%s\n%s", s->status, s->method,
			      s->route[0] ? s->route : s->path);
	}
	if (kl < 0)
		kl = 0;
	if ((size_t)kl >= sizeof(key))
		kl = (int)sizeof(key) - 1;
	EVP_Digest(key, (size_t)kl, md, &n, EVP_sha1(), NULL);
	tracectx_hex(md, 20, out);
}

void rollbar_uuid4(const uint8_t rnd[16], char out[ROLLBAR_UUID_LEN + 1])
{
	uint8_t b[16];
	char hex[33];

	memcpy(b, rnd, 16);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	tracectx_hex(b, 16, hex);
	snprintf(out, ROLLBAR_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
}

/* Path fragments that name a framework, most specific first: FastAPI runs on Starlette, and
 * a Flask traceback passes through Werkzeug. */
static const struct {
	const char *needle;
	const char *name;
} frameworks[] = {
	{ "/fastapi/", "fastapi" }, { "/django/", "django" },	{ "/flask/", "flask" },
	{ "/starlette/", "starlette" }, { "/falcon/", "falcon" }, { "/pyramid/", "pyramid" },
	{ "/bottle.py", "bottle" },	{ "/tornado/", "tornado" }, { "/sanic/", "sanic" },
	{ "/aiohttp/", "aiohttp" },
};

const char *rollbar_framework(const struct span *s)
{
	const struct pytb_report *r = s->exception;

	if (!r)
		return NULL;
	for (size_t k = 0; k < sizeof(frameworks) / sizeof(frameworks[0]); k++)
		for (int i = 0; i < r->nchain; i++)
			for (int j = 0; j < r->chain[i].nframes; j++)
				if (strstr(r->chain[i].frames[j].file, frameworks[k].needle))
					return frameworks[k].name;
	return NULL;
}

static void add_str_if(cJSON *o, const char *key, const char *v)
{
	if (v && v[0])
		cJSON_AddStringToObject(o, key, v);
}

/* One trace object: frames oldest first and the most recent call last, as Rollbar wants
 * them and as Python prints them. */
static cJSON *trace_to_json(const struct pytb_exception *x)
{
	cJSON *t = cJSON_CreateObject();
	cJSON *frames = t ? cJSON_AddArrayToObject(t, "frames") : NULL;
	cJSON *exc;

	if (!frames) {
		cJSON_Delete(t);
		return NULL;
	}
	for (int i = 0; i < x->nframes; i++) {
		cJSON *f = cJSON_CreateObject();

		if (!f)
			break;
		/* filename is required: a frame whose file was not printed still names one. */
		cJSON_AddStringToObject(f, "filename",
					x->frames[i].file[0] ? x->frames[i].file : "<unknown>");
		if (x->frames[i].line > 0)
			cJSON_AddNumberToObject(f, "lineno", x->frames[i].line);
		add_str_if(f, "method", x->frames[i].function);
		cJSON_AddItemToArray(frames, f);
	}
	exc = cJSON_AddObjectToObject(t, "exception");
	if (exc) {
		cJSON_AddStringToObject(exc, "class", x->type[0] ? x->type : "Exception");
		cJSON_AddStringToObject(exc, "message", x->message);
		if (x->is_group) {
			char d[96];

			snprintf(d, sizeof(d), "exception group of %d sub-exceptions",
				 x->group_size);
			cJSON_AddStringToObject(exc, "description", d);
		}
	}
	return t;
}

/* "trace" for a lone exception; "trace_chain" for a chain, the escaping exception first and
 * then the one it came from, and so on, as Rollbar's Python SDK orders it. */
static cJSON *body_trace(const struct pytb_report *r)
{
	cJSON *body = cJSON_CreateObject(), *chain;

	if (!body)
		return NULL;
	if (r->nchain == 1) {
		cJSON_AddItemToObject(body, "trace", trace_to_json(&r->chain[0]));
		return body;
	}
	chain = cJSON_AddArrayToObject(body, "trace_chain");
	for (int i = r->nchain - 1; chain && i >= 0; i--)
		cJSON_AddItemToArray(chain, trace_to_json(&r->chain[i]));
	return body;
}

static void status_line(const struct span *s, char *out, size_t len)
{
	snprintf(out, len, "HTTP %d on %s %s", s->status, s->method[0] ? s->method : "?",
		 s->path[0] ? s->path : "/");
}

static cJSON *body_message(const struct span *s, const struct span_view *v)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *m = body ? cJSON_AddObjectToObject(body, "message") : NULL;
	char text[SPAN_METHOD_MAX + SPAN_PATH_MAX + 32];
	const struct pytb_exception *x = v->exception;

	if (!m) {
		cJSON_Delete(body);
		return NULL;
	}
	if (x)
		snprintf(text, sizeof(text), "%s: %.*s", x->type, 512, x->message);
	else
		status_line(s, text, sizeof(text));
	cJSON_AddStringToObject(m, "body", text);
	return body;
}

static void add_request(cJSON *data, const struct span *s, const struct span_view *v)
{
	cJSON *req = cJSON_AddObjectToObject(data, "request");
	cJSON *h;

	if (!req)
		return;
	cJSON_AddStringToObject(req, "url", v->url_full);
	add_str_if(req, "method", s->method);
	if (s->has_query)
		cJSON_AddStringToObject(req, "query_string", v->query);
	/* Only the headers pyspan keeps, and never one that holds a credential. */
	h = cJSON_AddObjectToObject(req, "headers");
	if (h) {
		static const char ua[] = "User-Agent", xff[] = "X-Forwarded-For";

		if (s->user_agent[0] && !redact_header_is_secret(ua, sizeof(ua) - 1))
			cJSON_AddStringToObject(h, ua, s->user_agent);
		if (s->x_forwarded_for[0] && !redact_header_is_secret(xff, sizeof(xff) - 1))
			cJSON_AddStringToObject(h, xff, s->x_forwarded_for);
	}
	/* The first forwarded address is the original client; the rest are proxies. */
	if (v->client_forwarded_addr[0])
		cJSON_AddStringToObject(req, "user_ip", v->client_forwarded_addr);
	else if (v->client_port >= 0)
		cJSON_AddStringToObject(req, "user_ip", v->client_socket_addr);
}

static void add_custom(cJSON *data, const struct span *s, const struct span_view *v,
		       uint64_t repeats)
{
	cJSON *c = cJSON_AddObjectToObject(data, "custom");

	if (!c)
		return;
	/* So that the item links back to the trace in the tracing backend. */
	cJSON_AddStringToObject(c, "trace_id", v->trace_id);
	cJSON_AddStringToObject(c, "span_id", v->span_id);
	add_str_if(c, "service", s->service_name);
	add_str_if(c, "route", s->route);
	if (s->status)
		cJSON_AddNumberToObject(c, "status", s->status);
	cJSON_AddNumberToObject(c, "duration_ms", v->duration_ms);
	if (repeats)
		cJSON_AddNumberToObject(c, "repeats_suppressed", (double)repeats);
	if (s->exception) {
		const struct pytb_exception *x = v->exception;

		cJSON_AddStringToObject(c, "exception_source", v->exception_source);
		if (x && x->frames_omitted)
			cJSON_AddNumberToObject(c, "frames_omitted", x->frames_omitted);
		if (s->exception->chain_omitted)
			cJSON_AddNumberToObject(c, "chain_omitted", s->exception->chain_omitted);
	}
	if (s->incomplete)
		cJSON_AddBoolToObject(c, "incomplete", 1);
}

static cJSON *item(const struct span *s, const struct span_view *v,
		   const struct rollbar_item_opts *o, const char *uuid, uint64_t repeats)
{
	cJSON *root = cJSON_CreateObject(), *data, *srv, *n;
	const struct pytb_exception *x = v->exception;
	const char *fw = rollbar_framework(s);
	char buf[PYTB_TYPE_MAX + PYTB_MESSAGE_MAX + SPAN_PATH_MAX + 64];
	char cut[ROLLBAR_TITLE_MAX * 4 + 1];

	data = root ? cJSON_AddObjectToObject(root, "data") : NULL;
	if (!data) {
		cJSON_Delete(root);
		return NULL;
	}
	utf8_cut_chars(o->environment, ROLLBAR_ENVIRONMENT_MAX, cut, sizeof(cut));
	cJSON_AddStringToObject(data, "environment", cut);
	cJSON_AddItemToObject(data, "body", x ? body_trace(s->exception) : body_message(s, v));
	cJSON_AddStringToObject(data, "level", "error");
	cJSON_AddNumberToObject(data, "timestamp", (double)(s->end_unix_ns / 1000000000ull));
	if (o->code_version && o->code_version[0]) {
		utf8_cut_chars(o->code_version, ROLLBAR_CODE_VERSION_MAX, cut, sizeof(cut));
		cJSON_AddStringToObject(data, "code_version", cut);
	}
	cJSON_AddStringToObject(data, "platform", "linux");
	cJSON_AddStringToObject(data, "language", "python");
	add_str_if(data, "framework", fw ? fw : o->framework);
	snprintf(buf, sizeof(buf), "%s %s", s->method, s->route[0] ? s->route : s->path);
	cJSON_AddStringToObject(data, "context", buf);
	add_request(data, s, v);
	srv = cJSON_AddObjectToObject(data, "server");
	if (srv) {
		add_str_if(srv, "host", o->host);
		cJSON_AddNumberToObject(srv, "pid", s->pid);
		add_str_if(srv, "root", o->root);
		if (o->code_version && o->code_version[0]) {
			utf8_cut_chars(o->code_version, ROLLBAR_CODE_VERSION_MAX, cut, sizeof(cut));
			cJSON_AddStringToObject(srv, "code_version", cut);
		}
	}
	add_custom(data, s, v, repeats);
	{
		char fp[ROLLBAR_FINGERPRINT_LEN + 1];

		rollbar_fingerprint(s, v, fp);
		cJSON_AddStringToObject(data, "fingerprint", fp);
	}
	if (x)
		snprintf(buf, sizeof(buf), "%s", v->exception_text);
	else
		status_line(s, buf, sizeof(buf));
	/* A title is one line. */
	buf[strcspn(buf, "\r\n")] = '\0';
	utf8_cut_chars(buf, ROLLBAR_TITLE_MAX, cut, sizeof(cut));
	cJSON_AddStringToObject(data, "title", cut);
	cJSON_AddStringToObject(data, "uuid", uuid);
	n = cJSON_AddObjectToObject(data, "notifier");
	if (n) {
		cJSON_AddStringToObject(n, "name", "pyspan");
		add_str_if(n, "version", o->notifier_version);
	}
	return root;
}

/* The traces of the body, whichever form it has. */
static int traces(cJSON *body, cJSON **out, int max)
{
	cJSON *t = cJSON_GetObjectItem(body, "trace"), *e;
	int n = 0;

	if (t) {
		out[n++] = t;
		return n;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(body, "trace_chain"))
	{
		if (n < max)
			out[n++] = e;
	}
	return n;
}

/* Drop about a quarter of the oldest frames of the trace with the most; 0 when no trace has
 * frames left. The innermost frames, where the error is, stay. */
static int shed_frames(cJSON *body)
{
	cJSON *tr[PYTB_MAX_CHAIN], *best = NULL;
	int n = traces(body, tr, PYTB_MAX_CHAIN), most = 0, cut;

	for (int i = 0; i < n; i++) {
		int k = cJSON_GetArraySize(cJSON_GetObjectItem(tr[i], "frames"));

		if (k > most) {
			most = k;
			best = tr[i];
		}
	}
	if (!best)
		return 0;
	cut = most / 4 ? most / 4 : 1;
	for (int i = 0; i < cut; i++)
		cJSON_DeleteItemFromArray(cJSON_GetObjectItem(best, "frames"), 0);
	return 1;
}

/* Drop the oldest exception of a chain (the last trace); a chain of one becomes a trace. */
static int shed_chain(cJSON *body)
{
	cJSON *chain = cJSON_GetObjectItem(body, "trace_chain");
	int n = cJSON_GetArraySize(chain);

	if (n < 2)
		return 0;
	cJSON_DeleteItemFromArray(chain, n - 1);
	if (n - 1 == 1) {
		cJSON *t = cJSON_DetachItemFromArray(chain, 0);

		cJSON_DeleteItemFromObject(body, "trace_chain");
		cJSON_AddItemToObject(body, "trace", t);
	}
	return 1;
}

char *rollbar_item_encode(const struct span *s, const struct span_view *v,
			  const struct rollbar_item_opts *o, const char *uuid, uint64_t repeats,
			  size_t max, int *truncated)
{
	cJSON *root = item(s, v, o, uuid, repeats);
	cJSON *data = cJSON_GetObjectItem(root, "data");
	char *text = NULL;
	int cut = 0, custom_cut = 0;

	while (root) {
		cJSON *body = cJSON_GetObjectItem(data, "body");

		text = cJSON_PrintUnformatted(root);
		if (!text || strlen(text) <= max)
			break;
		free(text);
		text = NULL;
		cut = 1;
		if (!custom_cut) {
			/* Keep the link to the trace: it is what the custom object is for. */
			cJSON *c = cJSON_CreateObject();

			custom_cut = 1;
			if (!c)
				continue;
			cJSON_AddStringToObject(c, "trace_id", v->trace_id);
			cJSON_AddStringToObject(c, "span_id", v->span_id);
			cJSON_AddBoolToObject(c, "truncated", 1);
			cJSON_ReplaceItemInObject(data, "custom", c);
		} else if (shed_chain(body) || shed_frames(body)) {
			;
		} else if (!cJSON_HasObjectItem(body, "message")) {
			cJSON_ReplaceItemInObject(data, "body", body_message(s, v));
		} else {
			break;
		}
	}
	cJSON_Delete(root);
	if (truncated)
		*truncated = cut;
	return text;
}
