// SPDX-License-Identifier: BSD-2-Clause
/* The span view: what every exporter writes about a span, derived once after sampling and redaction. */
#include <stdio.h>
#include <string.h>

#include "lib/sink.h"
#include "span/exception.h"
#include "span/redact.h"
#include "span/semconv.h"
#include "span/tracectx.h"
#include "span/view.h"

/* snprintf's answer as the length written: cut at cap - 1, 0 on an error. */
static size_t written(int n, size_t cap)
{
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void put(struct sink *k, const char *str)
{
	sink_put(k, str, strlen(str));
}

/* Every span gets one: joined by hand, as snprintf would cost more than the rest of the
 * view. */
static size_t put_name(const struct span *s, char *out, size_t cap)
{
	struct sink k = { out, cap, 0 };

	if (cap)
		out[0] = '\0';
	if (s->kind == SPAN_CLIENT && s->db_system[0]) {
		put(&k, s->db_operation[0] ? s->db_operation : s->db_system);
		if (s->db_operation[0] && s->db_name[0]) {
			put(&k, " ");
			put(&k, s->db_name);
		}
	} else {
		put(&k, s->method[0] ? s->method : "HTTP");
		if (s->kind == SPAN_SERVER && s->route[0]) {
			put(&k, " ");
			put(&k, s->route);
		}
	}
	return k.len;
}

static size_t url_full(const struct span *s, const char *query, char *out, size_t cap)
{
	struct sink k = { out, cap, 0 };
	int default_port = s->tls ? 443 : 80;

	if (!cap)
		return 0;
	out[0] = '\0';
	put(&k, s->tls ? "https://" : "http://");
	if (s->host[0]) {
		put(&k, s->host);
	} else if (s->server_addr[0]) {
		int v6 = strchr(s->server_addr, ':') != NULL;

		if (v6)
			put(&k, "[");
		put(&k, s->server_addr);
		if (v6)
			put(&k, "]");
		if (s->server_port > 0 && s->server_port != default_port) {
			char port[8], *p = port + sizeof(port);
			unsigned n = (unsigned)s->server_port;

			do
				*--p = (char)('0' + n % 10);
			while ((n /= 10) && p > port + 1);
			*--p = ':';
			sink_put(&k, p, (size_t)(port + sizeof(port) - p));
		}
	} else {
		put(&k, "localhost");
	}
	put(&k, s->path);
	if (s->has_query) {
		put(&k, "?");
		put(&k, query);
	}
	return k.len;
}

size_t span_forwarded_client(const char *xff, char *out, size_t cap)
{
	const char *p = xff + strspn(xff, " \t");
	size_t n = strcspn(p, ", \t");
	const char *colon;

	if (n && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		/* "[2001:db8::1]" or "[2001:db8::1]:443": the address inside. */
		n = close ? (size_t)(close - p - 1) : 0;
		p++;
	} else if ((colon = memchr(p, ':', n)) && !memchr(colon + 1, ':', n - (size_t)(colon - p) - 1) &&
		   memchr(p, '.', (size_t)(colon - p))) {
		n = (size_t)(colon - p); /* "203.0.113.7:4711": an IPv4 address with a port */
	}
	if (!cap)
		return 0;
	if (n > cap - 1)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

static void outcome(struct span_view *v, const struct span *s)
{
	const struct pytb_exception *x = v->exception;
	int n = 0;

	v->http_4xx = s->status >= 400 && s->status < 500;
	v->throttle = s->status == 429;
	if (s->kind == SPAN_CLIENT) {
		v->is_error = s->is_error || s->status >= 400;
		v->fault = s->is_error;
	} else {
		v->is_error = s->status >= 500 || s->exception != NULL;
		v->fault = s->status >= 500;
	}
	v->error_type[0] = '\0';
	v->error_type_len = 0;
	if (!v->is_error)
		return;
	if (s->kind == SPAN_CLIENT && s->is_error && s->error_type[0])
		n = snprintf(v->error_type, sizeof(v->error_type), "%s", s->error_type);
	else if (x)
		n = snprintf(v->error_type, sizeof(v->error_type), "%s", x->type);
	else if (s->status)
		n = snprintf(v->error_type, sizeof(v->error_type), "%d", s->status);
	v->error_type_len = written(n, sizeof(v->error_type));
}

static void exception(struct span_view *v, const struct span *s, char *stack, size_t cap)
{
	const struct pytb_exception *x = NULL;

	if (s->exception && s->exception->nchain > 0)
		x = &s->exception->chain[s->exception->nchain - 1];
	v->exception = x;
	v->exception_source = NULL;
	v->exception_text[0] = '\0';
	v->exception_text_len = 0;
	v->stacktrace = NULL;
	v->stacktrace_len = 0;
	if (s->exception)
		v->exception_source = s->exception_source == EXCEPTION_FROM_INTERPRETER ?
					      "interpreter" :
					      "traceback_text";
	if (!x)
		return;
	v->exception_text_len = written(snprintf(v->exception_text, sizeof(v->exception_text),
						 "%s%s%s", x->type, x->message[0] ? ": " : "",
						 x->message),
					sizeof(v->exception_text));
	if (stack && cap) {
		v->stacktrace_len = span_stacktrace(s->exception, stack, cap);
		v->stacktrace = stack;
	}
}

/* Client spans name the peer as the request did: "api.example.com:8080" is the host
 * "api.example.com" (its port is server.port); "[::1]:8080" and bare IPv6 stay whole. */
static void server_name(struct span_view *v, const struct span *s)
{
	struct sink k = { v->server_name, sizeof(v->server_name), 0 };
	const char *colon;

	v->server_name[0] = '\0';
	if (s->kind != SPAN_CLIENT || !s->host[0]) {
		put(&k, s->server_addr);
		v->server_name_len = k.len;
		return;
	}
	put(&k, s->host);
	v->server_name_len = k.len;
	colon = strchr(v->server_name, ':');
	if (colon && v->server_name[0] != '[' && !strchr(colon + 1, ':')) {
		v->server_name_len = (size_t)(colon - v->server_name);
		v->server_name[v->server_name_len] = '\0';
	}
}

void span_view_build(struct span_view *v, const struct span *s, char *stack, size_t cap)
{
	tracectx_hex(s->trace_id, 16, v->trace_id);
	tracectx_hex(s->span_id, 8, v->span_id);
	if (s->has_parent)
		tracectx_hex(s->parent_id, 8, v->parent_id);
	else
		v->parent_id[0] = '\0';
	v->name_len = put_name(s, v->name, sizeof(v->name));
	/* The parsers redact the query already; doing it here too keeps every exporter safe
	 * from one that did not, at the cost of a copy. */
	v->query[0] = '\0';
	v->query_len = 0;
	if (s->has_query)
		v->query_len = redact_query(s->query, strlen(s->query), v->query, sizeof(v->query));
	v->url_full[0] = '\0';
	v->url_full_len = 0;
	if (!(s->kind == SPAN_CLIENT && s->db_system[0]))
		v->url_full_len = url_full(s, v->query, v->url_full, sizeof(v->url_full));
	server_name(v, s);
	v->client_forwarded_len = 0;
	v->client_forwarded_addr[0] = '\0';
	if (s->kind == SPAN_SERVER) {
		v->client_socket_addr = s->client_addr;
		v->client_port = s->client_addr[0] ? s->client_port : -1;
		v->client_forwarded_len = span_forwarded_client(
			s->x_forwarded_for, v->client_forwarded_addr, sizeof(v->client_forwarded_addr));
	} else {
		v->client_socket_addr = "";
		v->client_port = -1;
	}
	exception(v, s, stack, cap);
	outcome(v, s);
	v->duration_ms = s->end_unix_ns > s->start_unix_ns ?
				 (double)(s->end_unix_ns - s->start_unix_ns) / 1e6 :
				 0;
}
