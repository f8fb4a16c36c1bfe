// SPDX-License-Identifier: BSD-2-Clause
/* OpenTelemetry's semantic conventions for a span: its attributes and traceback text. */
#include <stdio.h>
#include <string.h>

#include "lib/sink.h"
#include "proto/pytraceback.h"
#include "span/semconv.h"
#include "span/view.h"

void span_cut_utf8(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	/* Back up over continuation bytes so the cut lands before a lead byte. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/* Drop an incomplete UTF-8 sequence at the end of s[0..n). */
static void fix_tail(char *s, size_t n)
{
	size_t p = n, need;
	unsigned char c;

	while (p > 0 && n - p < 4 && ((unsigned char)s[p - 1] & 0xc0) == 0x80)
		p--;
	if (p == 0)
		return;
	c = (unsigned char)s[p - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (p - 1 + need > n)
		s[p - 1] = '\0';
}

static void put(struct sink *k, const char *str)
{
	sink_put(k, str, strlen(str));
}

size_t span_stacktrace(const struct pytb_report *r, char *out, size_t len)
{
	struct sink k = { out, len, 0 };
	char line[PYTB_FILE_MAX + PYTB_FUNC_MAX + 64];

	if (len)
		out[0] = '\0';
	for (int i = 0; r && i < r->nchain; i++) {
		const struct pytb_exception *x = &r->chain[i];

		if (i > 0)
			put(&k, x->link == PYTB_LINK_CAUSE ?
					"\nThe above exception was the direct cause of the "
					"following exception:\n\n" :
					"\nDuring handling of the above exception, another "
					"exception occurred:\n\n");
		if (x->nframes)
			put(&k, "Traceback (most recent call last):\n");
		if (x->frames_omitted) {
			snprintf(line, sizeof(line), "  [%d frames omitted]\n", x->frames_omitted);
			put(&k, line);
		}
		for (int f = 0; f < x->nframes; f++) {
			const struct pytb_frame *fr = &x->frames[f];

			if (fr->function[0])
				snprintf(line, sizeof(line), "  File \"%s\", line %d, in %s\n",
					 fr->file, fr->line, fr->function);
			else
				snprintf(line, sizeof(line), "  File \"%s\", line %d\n", fr->file,
					 fr->line);
			put(&k, line);
		}
		put(&k, x->type);
		if (x->message[0]) {
			put(&k, ": ");
			put(&k, x->message);
		}
		put(&k, "\n");
	}
	/* No trailing newline: the text ends with the escaping exception's line. */
	if (k.len && out[k.len - 1] == '\n' && k.len < len - 1)
		out[--k.len] = '\0';
	if (len && k.len == len - 1)
		fix_tail(out, k.len); /* the sink may have cut inside a character */
	return strlen(out);
}

static void str_if(const struct attr_sink *a, const char *k, const char *v)
{
	if (v && v[0])
		a->str(a->ctx, k, v);
}

static void server_attrs(const struct span *s, const struct span_view *v,
			 const struct attr_sink *a)
{
	str_if(a, "url.path", s->path);
	if (s->has_query)
		a->str(a->ctx, "url.query", v->query);
	/* pyspan reads plaintext off the socket: TLS terminated in the app would be unreadable. */
	a->str(a->ctx, "url.scheme", "http");
	str_if(a, "http.route", s->route);
	str_if(a, "client.address", v->client_socket_addr);
	if (v->client_port >= 0)
		a->i64(a->ctx, "client.port", v->client_port);
	str_if(a, "server.address", s->server_addr);
	if (s->server_port > 0)
		a->i64(a->ctx, "server.port", s->server_port);
	str_if(a, "user_agent.original", s->user_agent);
	str_if(a, "http.request.header.x-forwarded-for", s->x_forwarded_for);
	a->i64(a->ctx, "http.request.body.size", (int64_t)s->request_body_size);
	a->i64(a->ctx, "http.response.body.size", (int64_t)s->response_body_size);
}

static void client_attrs(const struct span *s, const struct span_view *v,
			 const struct attr_sink *a)
{
	if (s->db_system[0]) {
		a->str(a->ctx, "db.system.name", s->db_system);
		str_if(a, "db.namespace", s->db_name);
		str_if(a, "db.user", s->db_user);
		str_if(a, "db.operation.name", s->db_operation);
		str_if(a, "db.query.text", s->db_query);
	} else if (s->path[0]) {
		a->str(a->ctx, "url.full", v->url_full);
		a->str(a->ctx, "url.path", s->path);
		if (s->has_query)
			a->str(a->ctx, "url.query", v->query);
	}
	/* The peer called: by name when the request named it, else the address dialled. */
	str_if(a, "server.address", v->server_name);
	if (s->server_port > 0)
		a->i64(a->ctx, "server.port", s->server_port);
	str_if(a, "network.peer.address", s->server_addr);
	if (s->server_port > 0)
		a->i64(a->ctx, "network.peer.port", s->server_port);
	if (s->tls)
		a->flag(a->ctx, "pyspan.tls", 1);
	if (s->is_error) {
		str_if(a, "error.type", s->error_type);
		str_if(a, "error.message", s->error_message);
	}
}

void span_attrs(const struct span *s, const struct span_view *v, const struct attr_sink *a)
{
	if (s->method[0])
		a->str(a->ctx, "http.request.method", s->method);
	if (s->status)
		a->i64(a->ctx, "http.response.status_code", s->status);
	if (s->http_version[0]) {
		a->str(a->ctx, "network.protocol.name", "http");
		a->str(a->ctx, "network.protocol.version", s->http_version);
	}
	if (s->kind == SPAN_CLIENT)
		client_attrs(s, v, a);
	else
		server_attrs(s, v, a);
	/* error.type: the exception's class, else the status code as text (semconv); a failed
	 * call's own code was written with its message. */
	if (v->error_type[0] && !(s->kind == SPAN_CLIENT && s->is_error && s->error_type[0]))
		a->str(a->ctx, "error.type", v->error_type);
	a->i64(a->ctx, "thread.id", s->tid);
	if (s->headers_truncated)
		a->flag(a->ctx, "pyspan.headers_truncated", 1);
	if (s->body_unsynced)
		a->flag(a->ctx, "pyspan.body_size_approximate", 1);
	if (s->incomplete)
		a->flag(a->ctx, "pyspan.incomplete", 1);
}
