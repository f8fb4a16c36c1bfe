// SPDX-License-Identifier: BSD-2-Clause
/* Golden wire output: fixed spans and log records through the registry and every exporter's
 * encoding, compared byte for byte with tests/unit/fixtures/wire/.
 *
 * The spans go through export_span_group / export_span / export_log as pyspan sends them, so
 * sampling and redaction run first. The stdout exporter is registered and its lines are read
 * back from a file that stands in for stdout; the X-Ray exporter is registered in daemon mode
 * and its datagrams are read from a loopback UDP socket that stands in for the daemon. A third,
 * recording exporter keeps what the registry hands out, and the pure encoders of the HTTP
 * backends (Honeycomb events, OTLP traces and logs, Rollbar items, CloudWatch request and log
 * events, EMF documents) are called on that with the arguments their exporters pass.
 *
 * Ids that the X-Ray encoder draws at random (exception ids, the segment around a call made
 * outside a request) are written as rand-1, rand-2... in order of appearance.
 *
 * Regenerate the golden files after an intended change of the wire format, from the
 * repository root:
 *
 *   PYSPAN_WIRE_REGEN=1 build/tests/test_wire_golden
 *
 * and review `git diff tests/unit/fixtures/wire`. On a mismatch the test writes what it got to
 * build/tests/wire/ and names the first line that differs. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "export/cloudwatch/cloudwatch.h"
#include "export/cloudwatch/emf.h"
#include "export/export.h"
#include "export/honeycomb/honeycomb_event.h"
#include "export/otlp/otlp_json.h"
#include "export/rollbar/rollbar_item.h"
#include "export/xray/xray.h"
#include "proto/pytraceback.h"
#include "span/exception.h"
#include "span/sampling.h"

#define GOLDEN_DIR "tests/unit/fixtures/wire"
#define OUT_DIR "build/tests/wire"
#define MAX_SPANS 64
#define MAX_LOGS 8
/* A pid no Linux system hands out (above PID_MAX_LIMIT): /proc/PID/cwd never resolves. */
#define PID 4194399

/* ---- growing text buffers, one per golden file ---- */

struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		if (!t->p)
			abort();
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_line(struct text *t, const char *s)
{
	if (!s) {
		text_add(t, "(null)\n", 7);
		return;
	}
	text_add(t, s, strlen(s));
	text_add(t, "\n", 1);
}

/* ---- what the registry handed to exporters ---- */

struct kept_span {
	struct span s;
	struct pytb_report exc;
	struct span_view v;
	char stack[SPAN_VIEW_STACK_MAX];
};

struct kept_log {
	struct log_record r;
	char text[4096];
	char source[256];
};

static struct kept_span kept[MAX_SPANS];
static int nkept;
static struct kept_log kept_logs[MAX_LOGS];
static int nkept_logs;

static void keep_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	struct kept_span *k;

	if (nkept == MAX_SPANS)
		abort();
	k = &kept[nkept++];
	k->s = *s;
	k->v = *v;
	if (s->exception) {
		k->exc = *s->exception;
		k->s.exception = &k->exc;
		if (v->exception)
			k->v.exception = &k->exc.chain[k->exc.nchain - 1];
	}
	if (v->stacktrace) {
		memcpy(k->stack, v->stacktrace, v->stacktrace_len + 1);
		k->v.stacktrace = k->stack;
	}
}

static void keep_log(struct exporter *ex, const struct log_record *r)
{
	struct kept_log *k;

	if (nkept_logs == MAX_LOGS)
		abort();
	k = &kept_logs[nkept_logs++];
	k->r = *r;
	snprintf(k->text, sizeof(k->text), "%.*s", (int)r->len, r->text);
	k->r.text = k->text;
	if (r->source) {
		snprintf(k->source, sizeof(k->source), "%s", r->source);
		k->r.source = k->source;
	}
}

static void nothing(struct exporter *ex)
{
}

static struct exporter recorder = {
	.name = "recorder",
	.span = keep_span,
	.log = keep_log,
	.flush = nothing,
	.close = nothing,
};

/* ---- the fixtures ---- */

static void ids(struct span *s, uint8_t trace, uint8_t span, uint8_t parent)
{
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(trace * 16 + i);
	s->trace_id[0] = 0x5f; /* a plausible X-Ray epoch second in the first four bytes */
	for (int i = 0; i < 8; i++)
		s->span_id[i] = (uint8_t)(span * 8 + i + 1);
	if (parent) {
		for (int i = 0; i < 8; i++)
			s->parent_id[i] = (uint8_t)(parent * 8 + i + 1);
		s->has_parent = 1;
	}
}

static void server(struct span *s, uint8_t trace, uint8_t span, const char *method,
		   const char *path, const char *route, int status)
{
	memset(s, 0, sizeof(*s));
	s->kind = SPAN_SERVER;
	ids(s, trace, span, 0);
	s->sampled = -1;
	s->start_unix_ns = 1700000000123456789ull + (uint64_t)span * 1000000000ull;
	s->end_unix_ns = s->start_unix_ns + 12345678ull;
	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->route, sizeof(s->route), "%s", route);
	s->status = status;
	s->request_body_size = 17;
	s->response_body_size = 2048;
	strcpy(s->http_version, "1.1");
	strcpy(s->client_addr, "10.1.2.3");
	s->client_port = 51000;
	strcpy(s->server_addr, "10.1.0.2");
	s->server_port = 8000;
	s->pid = PID;
	s->tid = PID + 1;
	s->service_name = "shop-api";
}

static void client(struct span *c, const struct span *parent, uint8_t span, const char *proto)
{
	memset(c, 0, sizeof(*c));
	c->kind = SPAN_CLIENT;
	memcpy(c->trace_id, parent->trace_id, 16);
	ids(c, 0, span, 0);
	memcpy(c->trace_id, parent->trace_id, 16);
	memcpy(c->parent_id, parent->span_id, 8);
	c->has_parent = 1;
	c->sampled = -1;
	c->start_unix_ns = parent->start_unix_ns + 1000000ull * span;
	c->end_unix_ns = c->start_unix_ns + 2500000ull;
	snprintf(c->protocol, sizeof(c->protocol), "%s", proto);
	strcpy(c->client_addr, "10.1.0.2");
	c->client_port = 40000 + span;
	c->pid = PID;
	c->tid = PID + 1;
	c->service_name = "shop-api";
}

static void http_call(struct span *c, const char *method, const char *host, const char *addr,
		      int port, int tls, const char *path, const char *query, int status)
{
	snprintf(c->method, sizeof(c->method), "%s", method);
	snprintf(c->host, sizeof(c->host), "%s", host);
	snprintf(c->server_addr, sizeof(c->server_addr), "%s", addr);
	c->server_port = port;
	c->tls = tls;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (query) {
		snprintf(c->query, sizeof(c->query), "%s", query);
		c->has_query = 1;
	}
	c->status = status;
	strcpy(c->http_version, "1.1");
	c->request_body_size = 0;
	c->response_body_size = 99;
	if (status >= 500) {
		c->is_error = 1;
		snprintf(c->error_type, sizeof(c->error_type), "%d", status);
	}
}

static void frame(struct pytb_exception *x, const char *file, int line, const char *fn)
{
	struct pytb_frame *f = &x->frames[x->nframes++];

	snprintf(f->file, sizeof(f->file), "%s", file);
	f->line = line;
	snprintf(f->function, sizeof(f->function), "%s", fn);
}

/* KeyError, then a ValueError raised while handling it, escaping a Flask view. */
static void chain_context(struct pytb_report *r)
{
	memset(r, 0, sizeof(*r));
	r->nchain = 2;
	strcpy(r->chain[0].type, "KeyError");
	strcpy(r->chain[0].message, "'sku'");
	frame(&r->chain[0], "/srv/app/store.py", 12, "lookup");
	strcpy(r->chain[1].type, "ValueError");
	strcpy(r->chain[1].message, "no such item (password=hunter2)");
	r->chain[1].link = PYTB_LINK_CONTEXT;
	frame(&r->chain[1], "/usr/lib/python3/dist-packages/flask/app.py", 1484, "full_dispatch_request");
	frame(&r->chain[1], "/srv/app/views.py", 40, "item");
	frame(&r->chain[1], "/srv/app/store.py", 14, "lookup");
}

/* raise StoreError from ConnectionRefusedError, with frames and a link beyond the bounds. */
static void chain_cause(struct pytb_report *r)
{
	memset(r, 0, sizeof(*r));
	r->nchain = 2;
	r->chain_omitted = 1;
	strcpy(r->chain[0].type, "ConnectionRefusedError");
	strcpy(r->chain[0].message, "[Errno 111] Connection refused");
	r->chain[0].link = PYTB_LINK_CONTEXT;
	frame(&r->chain[0], "/srv/app/db.py", 7, "connect");
	strcpy(r->chain[1].type, "demo.errors.StoreError");
	strcpy(r->chain[1].message, "store unavailable:\nretry later");
	r->chain[1].link = PYTB_LINK_CAUSE;
	r->chain[1].frames_omitted = 3;
	frame(&r->chain[1], "/srv/app/app.py", 132, "fail");
	frame(&r->chain[1], "/srv/app/app.py", 66, "load_feed");
}

/* The set: each group goes through the registry as pyspan sends it. */
static struct span S[32];
static struct pytb_report R[4];

static void feed(void)
{
	struct sampling_cfg all = { .mode = SAMPLING_ALL };
	struct sampling_cfg quarter = { .mode = SAMPLING_RATE, .rate = 0.25 };
	struct span *s;
	uint64_t seed;

	sampling_init(&all, 1);

	/* A request with a route and a query, and its calls: PostgreSQL (failed), Redis, HTTP
	 * with a Host naming a port over TLS, HTTP without a Host, HTTP to an IPv6 peer. */
	s = &S[0];
	server(s, 1, 1, "GET", "/api/activities/42", "/api/activities/{id}", 200);
	strcpy(s->query, "limit=REDACTED&token=REDACTED"); /* as the parser leaves it */
	s->has_query = 1;
	strcpy(s->user_agent, "curl/7.88.1");
	client(&S[1], s, 2, "postgresql");
	strcpy(S[1].db_system, "postgresql");
	strcpy(S[1].db_name, "shop");
	strcpy(S[1].db_user, "app");
	strcpy(S[1].db_operation, "SELECT");
	strcpy(S[1].db_query, "SELECT * FROM items WHERE id = ?");
	S[1].is_error = 1;
	strcpy(S[1].error_type, "42P01");
	strcpy(S[1].error_message, "relation \"items\" does not exist");
	strcpy(S[1].server_addr, "10.0.0.9");
	S[1].server_port = 5432;
	client(&S[2], s, 3, "redis");
	strcpy(S[2].db_system, "redis");
	strcpy(S[2].db_operation, "GET");
	strcpy(S[2].db_query, "GET cart:?");
	strcpy(S[2].db_response, "");
	strcpy(S[2].server_addr, "10.0.0.10");
	S[2].server_port = 6379;
	client(&S[3], s, 4, "http");
	http_call(&S[3], "GET", "api.example.com:8443", "93.184.216.34", 8443, 1, "/v1/prices",
		  "sku=REDACTED", 200);
	client(&S[4], s, 5, "http");
	http_call(&S[4], "POST", "", "10.0.0.7", 8080, 0, "/submit", NULL, 503);
	client(&S[5], s, 6, "http");
	http_call(&S[5], "GET", "", "fd00::7", 9000, 0, "/inventory", "page=REDACTED", 404);
	export_span_group(&S[0], &S[1], 5);

	/* No route: a 404 with no user agent. */
	server(&S[6], 2, 7, "GET", "/nope", "", 404);
	export_span(&S[6]);

	/* Behind proxies: X-Forwarded-For, a caller's trace context, throttled. */
	s = &S[7];
	server(s, 3, 8, "POST", "/api/orders", "/api/orders", 429);
	ids(s, 3, 8, 30);
	s->sampled = 1;
	strcpy(s->x_forwarded_for, " 203.0.113.7 , 10.0.0.1");
	strcpy(s->user_agent, "python-requests/2.31");
	strcpy(s->http_version, "1.0");
	export_span(s);

	/* IPv6 client and server, a 503 without an exception; a TLS call to a Host on the default
	 * port that was throttled. */
	s = &S[8];
	server(s, 4, 9, "GET", "/v2/items", "/v2/items", 503);
	strcpy(s->client_addr, "2001:db8::5");
	s->client_port = 40001;
	strcpy(s->server_addr, "::1");
	s->server_port = 8080;
	strcpy(s->query, "");
	s->has_query = 1; /* "?" with nothing after it */
	client(&S[9], s, 10, "http");
	http_call(&S[9], "GET", "api.example.com", "93.184.216.34", 443, 1, "/v1/limits", NULL, 429);
	export_span_group(&S[8], &S[9], 1);

	/* A Unix socket: no addresses, no ports. */
	s = &S[10];
	server(s, 5, 11, "GET", "/health", "/health", 200);
	s->client_addr[0] = s->server_addr[0] = '\0';
	s->client_port = s->server_port = -1;
	export_span(s);

	/* A Python exception with a chain, read from the interpreter. */
	s = &S[11];
	server(s, 6, 12, "GET", "/api/items/7", "/api/items/{id}", 500);
	chain_context(&R[0]);
	s->exception = &R[0];
	s->exception_source = EXCEPTION_FROM_INTERPRETER;
	strcpy(s->user_agent, "Mozilla/5.0 (X11; Linux x86_64)");
	export_span(s);

	/* One parsed from traceback text: raise ... from ..., frames and a link cut. */
	s = &S[12];
	server(s, 7, 13, "GET", "/api/fail", "/api/fail", 500);
	chain_cause(&R[1]);
	s->exception = &R[1];
	s->exception_source = EXCEPTION_FROM_TEXT;
	export_span(s);

	/* What pyspan could not see whole: no response at all. */
	s = &S[13];
	server(s, 8, 14, "PUT", "/upload", "/upload", 0);
	s->headers_truncated = 1;
	s->body_unsynced = 1;
	s->incomplete = 1;
	export_span(s);

	/* Kept 1 in 4; a client port whose address was not seen. */
	s = &S[14];
	server(s, 9, 15, "GET", "/api/activities", "/api/activities", 200);
	s->client_addr[0] = '\0';
	for (seed = 1;; seed++) {
		sampling_init(&quarter, seed);
		if (sampling_keep(s, 0))
			break;
	}
	sampling_init(&quarter, seed);
	export_span(s);
	sampling_init(&all, 1);

	/* A call made outside any request (a worker's start-up), and a call that ended after its
	 * request was sent. */
	s = &S[15];
	client(s, &S[0], 16, "redis");
	memset(s->parent_id, 0, 8);
	s->has_parent = 0;
	strcpy(s->db_system, "redis");
	strcpy(s->db_operation, "PING");
	strcpy(s->db_query, "PING");
	strcpy(s->server_addr, "10.0.0.10");
	s->server_port = 6379;
	export_span(s);
	s = &S[16];
	client(s, &S[0], 17, "http");
	http_call(s, "GET", "", "10.0.0.7", 80, 0, "/late", NULL, 200);
	export_span(s);

	/* A Flask 4xx with a POST body. */
	s = &S[17];
	server(s, 10, 18, "POST", "/api/activities", "/api/activities", 400);
	export_span(s);
}

static const char *const log_texts[] = {
	"INFO:app:served /api/activities/42",
	"Traceback (most recent call last):\n  File \"/srv/app/app.py\", line 132, in fail\n"
	"ValueError: bad password=hunter2",
	"WARNING 2023-11-14 retrying upstream",
};

static void feed_logs(void)
{
	struct log_record r;

	memset(&r, 0, sizeof(r));
	r.time_unix_ns = 1700000000500000000ull;
	r.pid = PID;
	r.tid = PID + 1;
	r.stream = LOGREC_STDOUT;
	r.source = "stdout";
	r.text = log_texts[0];
	r.len = strlen(log_texts[0]);
	r.severity = 9;
	r.severity_text = "INFO";
	r.has_trace = 1;
	memcpy(r.trace_id, S[0].trace_id, 16);
	memcpy(r.span_id, S[0].span_id, 8);
	r.service_name = "shop-api";
	export_log(&r);

	r.stream = LOGREC_STDERR;
	r.source = "stderr";
	r.text = log_texts[1];
	r.len = strlen(log_texts[1]);
	r.severity = 17;
	r.severity_text = "ERROR";
	r.time_unix_ns += 1000;
	export_log(&r);

	r.stream = LOGREC_FILE;
	r.source = "/var/log/shop/app.log";
	r.text = log_texts[2];
	r.len = strlen(log_texts[2]);
	r.severity = 13;
	r.severity_text = "WARNING";
	r.has_trace = 0;
	r.time_unix_ns += 1000;
	r.service_name = NULL;
	export_log(&r);
}

/* ---- the X-Ray daemon and stdout stand-ins ---- */

static int daemon_fd = -1;

static int daemon_open(char *addr, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	daemon_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (daemon_fd < 0 || bind(daemon_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(daemon_fd, (struct sockaddr *)&sa, &sl))
		return -1;
	snprintf(addr, len, "127.0.0.1:%d", ntohs(sa.sin_port));
	return 0;
}

static void daemon_read(struct text *t)
{
	static char buf[70000];
	ssize_t n;

	while ((n = recv(daemon_fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		text_line(t, buf);
	}
}

/* Random 16-hex ids that are none of the spans' own become rand-N, by first appearance. */
static int is_hex16(const char *p)
{
	for (int i = 0; i < 16; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return p[-1] == '"' && p[16] == '"';
}

static int known_id(const char *p)
{
	char hex[17];

	for (int i = 0; i < (int)(sizeof(S) / sizeof(S[0])); i++) {
		for (int k = 0; k < 8; k++)
			snprintf(hex + 2 * k, 3, "%02x", S[i].span_id[k]);
		if (memcmp(hex, p, 16) == 0)
			return 1;
		for (int k = 0; k < 8; k++)
			snprintf(hex + 2 * k, 3, "%02x", S[i].parent_id[k]);
		if (S[i].has_parent && memcmp(hex, p, 16) == 0)
			return 1;
	}
	return 0;
}

static void name_random_ids(struct text *in)
{
	char seen[64][17];
	int nseen = 0;
	struct text out = { 0 };

	for (size_t i = 0; i < in->len;) {
		const char *p = in->p + i;
		int k;

		if (i == 0 || i + 17 > in->len || !is_hex16(p) || known_id(p)) {
			text_add(&out, p, 1);
			i++;
			continue;
		}
		for (k = 0; k < nseen && memcmp(seen[k], p, 16); k++)
			;
		if (k == nseen && nseen < 64)
			memcpy(seen[nseen++], p, 16);
		{
			char name[32];
			int n = snprintf(name, sizeof(name), "rand-%d", k + 1);

			text_add(&out, name, (size_t)n);
		}
		i += 16;
	}
	free(in->p);
	*in = out;
}

/* ---- the HTTP backends' encoders, as their exporters call them ---- */

static void honeycomb(struct text *t)
{
	static const struct otel_kv res[] = { { "deployment.environment", "prod" } };
	struct hny_event_opts o = { "1.2.3", "web-1", res, 1 };

	for (int i = 0; i < nkept; i++) {
		const struct span *s = &kept[i].s;
		int trimmed = 0;
		char *ev = hny_event_encode(s, &kept[i].v, &o, s->sample_rate ? (int)s->sample_rate : 1,
					    HNY_EVENT_MAX, &trimmed);

		text_line(t, ev);
		free(ev);
	}
}

static void otlp_one(struct text *t, enum otlp_signal sig, const char *service, uint32_t pid,
		     char *rec)
{
	static const struct otel_kv extra[] = { { "deployment.environment", "prod" } };
	struct otlp_resource_opts ro = { "1.2.3", "web-1", extra, 1 };
	char *res = otlp_resource_json(service, pid, &ro), *item, *body;
	size_t len = 0, blen = 0;

	item = res && rec ? otlp_item(res, rec, &len) : NULL;
	body = item ? otlp_envelope(sig, &item, &len, 1, "0.1.0", &blen) : NULL;
	text_line(t, body);
	free(body);
	free(item);
	free(res);
	free(rec);
}

static void otlp_traces(struct text *t)
{
	for (int i = 0; i < nkept; i++) {
		const struct span *s = &kept[i].s;

		otlp_one(t, OTLP_TRACES, s->service_name, s->pid, otlp_span_json(s, &kept[i].v));
	}
}

static void otlp_logs(struct text *t)
{
	for (int i = 0; i < nkept_logs; i++) {
		const struct log_record *r = &kept_logs[i].r;

		otlp_one(t, OTLP_LOGS, r->service_name, r->pid,
			 otlp_log_json(r, 1700000001000000000ull));
	}
}

static void rollbar(struct text *t)
{
	struct rollbar_item_opts o = {
		.environment = "production",
		.code_version = "1.2.3",
		.host = "web-1",
		.root = "/srv/app",
		.notifier_version = "0.1.0",
	};

	for (int i = 0; i < nkept; i++) {
		const struct span *s = &kept[i].s;
		char *item;
		int cut = 0;

		if (!rollbar_span_is_error(s, &kept[i].v))
			continue;
		o.framework = rollbar_framework(s);
		item = rollbar_item_encode(s, &kept[i].v, &o, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
					   i, ROLLBAR_ITEM_MAX, &cut);
		text_line(t, item);
		free(item);
	}
}

static void emf_take(void *arg, char *doc)
{
	text_line(arg, doc);
	free(doc);
}

static void cloudwatch(struct text *t, struct text *emf_text)
{
	struct emf *m = emf_new("pyspan", 7);

	for (int i = 0; i < nkept; i++) {
		const struct span *s = &kept[i].s;
		const struct span_view *v = &kept[i].v;
		char *msg;

		if (s->kind != SPAN_SERVER)
			continue;
		msg = cw_request_message(s, v);
		text_line(t, msg);
		free(msg);
		emf_add(m, s->service_name, s->route, v->http_4xx, v->fault, v->duration_ms);
	}
	for (int i = 0; i < nkept_logs; i++) {
		char *msg = cw_log_message(&kept_logs[i].r);

		text_line(t, msg);
		free(msg);
	}
	emf_flush(m, 1700000060000ull, emf_take, emf_text);
	emf_free(m);
}

/* ---- comparing with the golden files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
		p[n] = '\0';
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

static int spill(const char *path, const struct text *t)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(t->p ? t->p : "", 1, t->len, f) == t->len;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static void compare(const char *name, const struct text *t, int regen)
{
	char path[256], out[256];
	size_t len = 0;
	char *want;

	snprintf(path, sizeof(path), GOLDEN_DIR "/%s", name);
	if (regen) {
		CHECK(spill(path, t) == 0);
		printf("wrote %s (%zu bytes)\n", path, t->len);
		return;
	}
	want = slurp(path, &len);
	if (!want) {
		fprintf(stderr, "FAIL: %s is missing (PYSPAN_WIRE_REGEN=1 writes it)\n", path);
		check_failed++;
		return;
	}
	if (len == t->len && memcmp(want, t->p, len) == 0) {
		check_passed++;
	} else {
		size_t i = 0, line = 1;

		while (i < len && i < t->len && want[i] == t->p[i])
			line += want[i++] == '\n';
		mkdir("build", 0755);
		mkdir("build/tests", 0755);
		mkdir(OUT_DIR, 0755);
		snprintf(out, sizeof(out), OUT_DIR "/%s", name);
		spill(out, t);
		fprintf(stderr, "FAIL: %s differs from %s from line %zu on (diff %s %s)\n", out,
			path, line, path, out);
		check_failed++;
	}
	free(want);
}

int main(void)
{
	struct text out_stdout = { 0 }, out_xray = { 0 }, out_hny = { 0 }, out_otlp = { 0 };
	struct text out_logs = { 0 }, out_rollbar = { 0 }, out_cw = { 0 }, out_emf = { 0 };
	int regen = getenv("PYSPAN_WIRE_REGEN") && getenv("PYSPAN_WIRE_REGEN")[0] == '1';
	char addr[64], tmpl[] = "/tmp/pyspan-wire-XXXXXX";
	struct xray_opts xo = { .service_version = "1.2.3" };
	struct exporter *xr;
	int saved, fd;
	size_t n = 0;
	char *text;

	/* Where pyspan runs would name an origin: not here. */
	unsetenv("ECS_CONTAINER_METADATA_URI_V4");
	unsetenv("ECS_CONTAINER_METADATA_URI");
	unsetenv("KUBERNETES_SERVICE_HOST");
	CHECK(daemon_open(addr, sizeof(addr)) == 0);
	xo.daemon_address = addr;
	xr = export_xray_new(&xo);
	CHECK(xr != NULL);
	if (!xr)
		return check_summary("test_wire_golden");
	export_register(export_stdout_new());
	export_register(xr);
	export_register(&recorder);

	fflush(stdout);
	fd = mkstemp(tmpl);
	saved = dup(1);
	CHECK(fd >= 0 && saved >= 0 && dup2(fd, 1) == 1);
	feed();
	feed_logs();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	text = slurp(tmpl, &n);
	if (text)
		text_add(&out_stdout, text, n);
	free(text);
	close(fd);
	unlink(tmpl);

	daemon_read(&out_xray);
	name_random_ids(&out_xray);
	honeycomb(&out_hny);
	otlp_traces(&out_otlp);
	otlp_logs(&out_logs);
	rollbar(&out_rollbar);
	cloudwatch(&out_cw, &out_emf);

	CHECK_INT(nkept, 18);
	CHECK_INT(nkept_logs, 3);
	compare("stdout.jsonl", &out_stdout, regen);
	compare("xray.txt", &out_xray, regen);
	compare("honeycomb.jsonl", &out_hny, regen);
	compare("otlp_traces.jsonl", &out_otlp, regen);
	compare("otlp_logs.jsonl", &out_logs, regen);
	compare("rollbar.jsonl", &out_rollbar, regen);
	compare("cloudwatch.jsonl", &out_cw, regen);
	compare("emf.jsonl", &out_emf, regen);

	xr->close(xr);
	free(xr);
	close(daemon_fd);
	free(out_stdout.p);
	free(out_xray.p);
	free(out_hny.p);
	free(out_otlp.p);
	free(out_logs.p);
	free(out_rollbar.p);
	free(out_cw.p);
	free(out_emf.p);
	return check_summary("test_wire_golden");
}
