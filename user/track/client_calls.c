// SPDX-License-Identifier: BSD-2-Clause
/* Outbound calls on connections a traced process made: HTTP/1, PostgreSQL and Redis, each call
 * a client span inside the request the calling thread was serving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/proc.h"
#include "export/export.h"
#include "lib/clock.h"
#include "proto/http1.h"
#include "proto/pgwire.h"
#include "proto/resp.h"
#include "span/redact.h"
#include "span/tracectx.h"
#include "track/client_calls.h"
#include "track/conn.h"
#include "track/http_server.h"

/* Who sent the last few chunks: a parser reports a call with the time of its first byte, and
 * that time finds the thread (and so the request) that made it. */
#define CTX_RING 16
/* A request or response header block larger than this cannot be followed. */
#define HDR_MAX (32 * 1024)
/* Pipelined HTTP requests waiting for their responses. */
#define HTTP_PENDING_MAX 16

#define PORT_POSTGRESQL 5432
#define PORT_REDIS	6379

/* The thread a call was made on and the request it was serving then. */
struct call_ctx {
	uint64_t ts; /* entry of the write that carried the call's first byte */
	uint32_t tid;
	int has_parent;
	int sampled;
	uint8_t trace_id[16];
	uint8_t parent_id[8];
};

/* An HTTP request sent, waiting for (or receiving) its response. */
struct http_call {
	struct span span;
	struct call_ctx ctx;
	struct http_call *next;
};

struct hdrbuf {
	uint8_t *p;
	size_t len;
	uint64_t first_enter; /* entry of the write that carried its first byte */
	uint32_t first_tid;
};

struct client_conn {
	enum client_proto proto;
	const struct conn *c;
	int lost; /* the stream cannot be followed any more: the rest is ignored */
	struct call_ctx ring[CTX_RING];
	unsigned nring; /* entries ever pushed; the newest is ring[(nring - 1) % CTX_RING] */
	struct pg_conn *pg;
	struct redis_conn *redis;
	/* HTTP: requests out, responses in, answered in order. */
	int out_body_active;
	int in_body_active;
	struct http1_body out_body;
	struct http1_body in_body;
	struct hdrbuf out;
	struct hdrbuf in;
	struct http_call *head, *tail, *sending; /* sending: whose body goes out now */
	int npending;
	uint64_t last_in_ts;
};

static struct client_calls_opts opts;
static struct client_calls_stats stats;

void client_calls_configure(const struct client_calls_opts *o)
{
	opts = *o;
}

const struct client_calls_stats *client_calls_stats(void)
{
	return &stats;
}

enum client_proto client_calls_sniff(const uint8_t *data, size_t cap, int peer_port)
{
	int http = http1_looks_like_request((const char *)data, cap) != 0;
	int pg = pg_sniff(data, cap) != 0;
	int redis = redis_sniff(data, cap) != 0;

	if (http + pg + redis > 1) {
		if (pg && peer_port == PORT_POSTGRESQL)
			return CLIENT_PG;
		if (redis && peer_port == PORT_REDIS)
			return CLIENT_REDIS;
	}
	if (http)
		return CLIENT_HTTP;
	if (pg)
		return CLIENT_PG;
	if (redis)
		return CLIENT_REDIS;
	return CLIENT_NONE;
}

/* ---- context: which request a call belongs to ---- */

static void ctx_take(struct call_ctx *x, uint32_t pid, uint32_t tid, uint64_t ts)
{
	memset(x, 0, sizeof(*x));
	x->ts = ts;
	x->tid = tid;
	x->sampled = -1;
	if (http_server_context(pid, tid, x->trace_id, x->parent_id, &x->sampled) == 0)
		x->has_parent = 1;
}

static void ctx_push(struct client_conn *cc, uint64_t ts, uint32_t tid)
{
	ctx_take(&cc->ring[cc->nring % CTX_RING], cc->c->pid, tid, ts);
	cc->nring++;
}

/* The newest chunk sent at or before the call's first byte; the oldest kept when all are
 * later (cannot happen when the parser reports the times it was given). */
static struct call_ctx ctx_find(const struct client_conn *cc, uint64_t start)
{
	unsigned n = cc->nring < CTX_RING ? cc->nring : CTX_RING;
	struct call_ctx none;

	for (unsigned i = 0; i < n; i++) {
		const struct call_ctx *x = &cc->ring[(cc->nring - 1 - i) % CTX_RING];

		if (x->ts <= start || i == n - 1)
			return *x;
	}
	ctx_take(&none, cc->c->pid, cc->c->pid, start);
	return none;
}

/* ---- spans ---- */

static void span_begin(struct span *s, const struct client_conn *cc, const struct call_ctx *x,
		       uint64_t start_mono, const char *protocol)
{
	const struct conn *c = cc->c;

	memset(s, 0, sizeof(*s));
	s->kind = SPAN_CLIENT;
	s->start_unix_ns = clock_mono_to_unix_ns(start_mono);
	if (x->has_parent) {
		memcpy(s->trace_id, x->trace_id, 16);
		memcpy(s->parent_id, x->parent_id, 8);
		s->has_parent = 1;
		s->sampled = x->sampled;
	} else {
		/* A call outside any request (start-up, a background thread) is its own trace. */
		tracectx_new_trace_id(s->trace_id, (uint32_t)(s->start_unix_ns / 1000000000ull));
		s->sampled = -1;
	}
	tracectx_new_span_id(s->span_id);
	snprintf(s->protocol, sizeof(s->protocol), "%s", protocol);
	s->tls = c->tls;
	snprintf(s->server_addr, sizeof(s->server_addr), "%s", c->remote_addr);
	s->server_port = c->remote_port;
	snprintf(s->client_addr, sizeof(s->client_addr), "%s", c->local_addr);
	s->client_port = c->local_port;
	s->pid = c->pid;
	s->tid = x->tid;
	s->service_name = proc_service_name(c->pid);
}

static void span_end(struct span *s, const struct call_ctx *x, uint64_t end_mono)
{
	s->end_unix_ns = clock_mono_to_unix_ns(end_mono);
	if (s->end_unix_ns < s->start_unix_ns)
		s->end_unix_ns = s->start_unix_ns;
	stats.spans++;
	if (x->has_parent)
		stats.parented++;
	/* Inside a request still in flight: exported with it, under its sampling decision. */
	if (x->has_parent && http_server_adopt(s->pid, x->tid, x->parent_id, s) == 0)
		return;
	export_span(s);
}

/* ---- PostgreSQL and Redis: the parsers frame the calls ---- */

static void on_pg_call(void *arg, const struct pg_call *pc)
{
	struct client_conn *cc = arg;
	struct call_ctx x;
	struct span *s;

	/* Startup and authentication exchanges run no statement: no span unless they failed. */
	if (!pc->query[0] && !pc->is_error)
		return;
	s = malloc(sizeof(*s));
	if (!s)
		return;
	x = ctx_find(cc, pc->start_ns);
	span_begin(s, cc, &x, pc->start_ns, "postgresql");
	snprintf(s->db_system, sizeof(s->db_system), "postgresql");
	snprintf(s->db_name, sizeof(s->db_name), "%s", pg_conn_database(cc->pg));
	snprintf(s->db_user, sizeof(s->db_user), "%s", pg_conn_user(cc->pg));
	snprintf(s->db_operation, sizeof(s->db_operation), "%s", pc->operation);
	snprintf(s->db_query, sizeof(s->db_query), "%s", pc->query);
	snprintf(s->db_response, sizeof(s->db_response), "%s", pc->command_tag);
	if (pc->is_error) {
		s->is_error = 1;
		snprintf(s->error_type, sizeof(s->error_type), "%s", pc->sqlstate);
		snprintf(s->error_message, sizeof(s->error_message), "%s", pc->message);
	}
	s->request_body_size = pc->request_bytes;
	s->response_body_size = pc->response_bytes;
	span_end(s, &x, pc->end_ns);
	free(s);
}

static void on_redis_call(void *arg, const struct redis_call *rc)
{
	struct client_conn *cc = arg;
	struct call_ctx x;
	struct span *s = malloc(sizeof(*s));

	if (!s)
		return;
	x = ctx_find(cc, rc->start_ns);
	span_begin(s, cc, &x, rc->start_ns, "redis");
	snprintf(s->db_system, sizeof(s->db_system), "redis");
	snprintf(s->db_operation, sizeof(s->db_operation), "%s", rc->command);
	/* The command and its key, never a value; the key too can be withheld. */
	if (rc->key[0])
		snprintf(s->db_query, sizeof(s->db_query), "%s %s", rc->command,
			 opts.redis_redact_keys ? "?" : rc->key);
	else
		snprintf(s->db_query, sizeof(s->db_query), "%s", rc->command);
	if (rc->is_error) {
		s->is_error = 1;
		snprintf(s->error_type, sizeof(s->error_type), "%s", rc->error_type);
		snprintf(s->error_message, sizeof(s->error_message), "%s", rc->error_message);
	}
	s->request_body_size = rc->request_bytes;
	s->response_body_size = rc->response_bytes;
	span_end(s, &x, rc->end_ns);
	free(s);
}

/* ---- HTTP/1 client: requests out, responses in ---- */

static void http_call_free_all(struct client_conn *cc)
{
	while (cc->head) {
		struct http_call *h = cc->head;

		cc->head = h->next;
		free(h);
	}
	cc->tail = cc->sending = NULL;
	cc->npending = 0;
}

static void lose(struct client_conn *cc)
{
	if (!cc->lost)
		stats.lost++;
	cc->lost = 1;
	http_call_free_all(cc);
}

static size_t hdr_append(struct hdrbuf *b, const uint8_t *data, size_t len, uint64_t enter,
			 uint32_t tid)
{
	size_t take = len;
	uint8_t *p;

	if (b->len == 0) {
		b->first_enter = enter;
		b->first_tid = tid;
	}
	if (b->len + take > HDR_MAX)
		take = HDR_MAX - b->len;
	if (!b->p) {
		b->p = malloc(HDR_MAX);
		if (!b->p)
			return 0;
	}
	p = b->p + b->len;
	memcpy(p, data, take);
	b->len += take;
	return take;
}

static void copy_str(char *dst, size_t cap, const char *p, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* Path and redacted query of an origin-form or absolute-form target; an absolute form (a
 * request through a proxy) also names the host. */
static void set_target(struct span *s, struct http1_str t)
{
	const char *p = t.p, *end = t.p + t.len, *q;

	if (t.len > 8 && (memcmp(p, "http://", 7) == 0 || memcmp(p, "https://", 8) == 0)) {
		const char *host = memchr(p, ':', t.len) + 3, *slash;

		slash = memchr(host, '/', (size_t)(end - host));
		if (!slash)
			slash = end;
		copy_str(s->host, sizeof(s->host), host, (size_t)(slash - host));
		p = slash;
	}
	q = memchr(p, '?', (size_t)(end - p));
	copy_str(s->path, sizeof(s->path), p, (size_t)((q ? q : end) - p));
	if (!s->path[0])
		strcpy(s->path, "/");
	if (q) {
		s->has_query = 1;
		redact_query(q + 1, (size_t)(end - q - 1), s->query, sizeof(s->query));
	}
}

static int request_new(struct client_conn *cc, const struct http1_message *m)
{
	struct http_call *h;
	const struct http1_str *host;

	if (cc->npending >= HTTP_PENDING_MAX)
		return -1;
	h = malloc(sizeof(*h));
	if (!h)
		return -1;
	h->next = NULL;
	ctx_take(&h->ctx, cc->c->pid, cc->out.first_tid, cc->out.first_enter);
	span_begin(&h->span, cc, &h->ctx, cc->out.first_enter, "http");
	copy_str(h->span.method, sizeof(h->span.method), m->method.p, m->method.len);
	set_target(&h->span, m->target);
	/* Only Host is read from the headers: Authorization, cookies and keys are never kept. */
	host = http1_find_header(m, "host");
	if (host && !h->span.host[0])
		copy_str(h->span.host, sizeof(h->span.host), host->p, host->len);
	if (cc->tail)
		cc->tail->next = h;
	else
		cc->head = h;
	cc->tail = h;
	cc->sending = h;
	cc->npending++;
	return 0;
}

static void http_finish_head(struct client_conn *cc, uint64_t end)
{
	struct http_call *h = cc->head;

	if (!h)
		return;
	h->span.response_body_size = cc->in_body.lost_sync ? cc->in_body.wire : cc->in_body.payload;
	if (h->span.status >= 500) {
		h->span.is_error = 1;
		snprintf(h->span.error_type, sizeof(h->span.error_type), "%d", h->span.status);
	}
	span_end(&h->span, &h->ctx, end);
	cc->head = h->next;
	if (!cc->head)
		cc->tail = NULL;
	if (cc->sending == h)
		cc->sending = NULL;
	cc->npending--;
	free(h);
	cc->in_body_active = 0;
	memset(&cc->in_body, 0, sizeof(cc->in_body));
}

static void http_out(struct client_conn *cc, const uint8_t *data, size_t cap, uint64_t total,
		     uint64_t enter, uint32_t tid)
{
	uint64_t gap = total > cap ? total - cap : 0;
	size_t pos = 0;
	const char *err;

	while (pos < cap && !cc->lost) {
		struct http1_message m;
		size_t before, took;
		int r;

		if (cc->out_body_active) {
			long n = http1_body_feed(&cc->out_body, (const char *)data + pos, cap - pos,
						 &err);

			if (n < 0) {
				lose(cc);
				return;
			}
			pos += (size_t)n;
			if (cc->sending)
				cc->sending->span.request_body_size = cc->out_body.payload;
			if (cc->out_body.done)
				cc->out_body_active = 0;
			continue;
		}
		before = cc->out.len;
		took = hdr_append(&cc->out, data + pos, cap - pos, enter, tid);
		r = http1_parse_request((const char *)cc->out.p, cc->out.len, &m, &err);
		if (r == HTTP1_NEED_MORE) {
			pos += took;
			if (cc->out.len >= HDR_MAX || took == 0) {
				lose(cc);
				return;
			}
			continue;
		}
		if (r < 0 || request_new(cc, &m) < 0 ||
		    http1_body_for_request(&m, &cc->out_body, &err) < 0) {
			lose(cc);
			return;
		}
		pos += (size_t)r - before;
		cc->out.len = 0;
		cc->out_body_active = !cc->out_body.done;
	}
	if (gap == 0 || cc->lost)
		return;
	/* Body bytes beyond the capture are counted; anything else lost cannot be skipped. */
	if (cc->out_body_active && http1_body_skip(&cc->out_body, gap) == gap &&
	    !cc->out_body.lost_sync) {
		if (cc->sending)
			cc->sending->span.request_body_size = cc->out_body.payload;
		if (cc->out_body.done)
			cc->out_body_active = 0;
		return;
	}
	lose(cc);
}

static void http_in(struct client_conn *cc, const uint8_t *data, size_t cap, uint64_t total,
		    uint64_t ts)
{
	uint64_t gap = total > cap ? total - cap : 0;
	size_t pos = 0;
	const char *err;

	cc->last_in_ts = ts;
	while (pos < cap && !cc->lost) {
		struct http1_message m;
		size_t before, took;
		struct http1_str method;
		int r;

		if (!cc->head) {
			/* A response to a request sent before pyspan attached. */
			stats.unmatched++;
			cc->in.len = 0;
			return;
		}
		if (cc->in_body_active) {
			long n = http1_body_feed(&cc->in_body, (const char *)data + pos, cap - pos,
						 &err);

			if (n < 0) {
				lose(cc);
				return;
			}
			pos += (size_t)n;
			if (cc->in_body.done)
				http_finish_head(cc, ts);
			continue;
		}
		before = cc->in.len;
		took = hdr_append(&cc->in, data + pos, cap - pos, ts, 0);
		r = http1_parse_response((const char *)cc->in.p, cc->in.len, &m, &err);
		if (r == HTTP1_NEED_MORE) {
			pos += took;
			if (cc->in.len >= HDR_MAX || took == 0) {
				lose(cc);
				return;
			}
			continue;
		}
		if (r < 0) {
			lose(cc);
			return;
		}
		pos += (size_t)r - before;
		cc->in.len = 0;
		/* 100 Continue and other interim responses precede the real one. */
		if (m.status >= 100 && m.status < 200 && m.status != 101)
			continue;
		cc->head->span.status = m.status;
		if (m.status == 101) {
			/* Switching protocols: the connection no longer speaks HTTP/1. */
			http_finish_head(cc, ts);
			{
				lose(cc);
				return;
			}
		}
		method.p = cc->head->span.method;
		method.len = strlen(cc->head->span.method);
		if (http1_body_for_response(&m, method, &cc->in_body, &err) < 0) {
			lose(cc);
			return;
		}
		if (cc->in_body.done)
			http_finish_head(cc, ts);
		else
			cc->in_body_active = 1;
	}
	if (gap == 0 || cc->lost || !cc->head)
		return;
	if (cc->in_body_active) {
		uint64_t took = http1_body_skip(&cc->in_body, gap);

		if (cc->in_body.done)
			http_finish_head(cc, ts);
		if (cc->in_body.lost_sync || (cc->in_body.done && took != gap))
			lose(cc);
		return;
	}
	lose(cc);
}

/* ---- one connection ---- */

struct client_conn *client_conn_new(enum client_proto proto, const struct conn *c)
{
	struct client_conn *cc = calloc(1, sizeof(*cc));

	if (!cc)
		return NULL;
	cc->proto = proto;
	cc->c = c;
	if (proto == CLIENT_PG)
		cc->pg = pg_conn_new(on_pg_call, cc);
	else if (proto == CLIENT_REDIS)
		cc->redis = redis_conn_new(on_redis_call, cc);
	if ((proto == CLIENT_PG && !cc->pg) || (proto == CLIENT_REDIS && !cc->redis)) {
		free(cc);
		return NULL;
	}
	return cc;
}

void client_conn_free(struct client_conn *cc)
{
	if (!cc)
		return;
	if (cc->pg)
		pg_conn_free(cc->pg);
	if (cc->redis)
		redis_conn_free(cc->redis);
	http_call_free_all(cc);
	free(cc->out.p);
	free(cc->in.p);
	free(cc);
}

void client_conn_data(struct client_conn *cc, int egress, const uint8_t *data, size_t cap,
		      uint64_t total, uint64_t enter, uint64_t ts, uint32_t tid)
{
	int rc = 0;

	if (cc->lost)
		return;
	if (cc->proto == CLIENT_HTTP) {
		if (egress)
			http_out(cc, data, cap, total, enter, tid);
		else
			http_in(cc, data, cap, total, ts);
		return;
	}
	if (egress)
		ctx_push(cc, enter, tid);
	if (cc->proto == CLIENT_PG)
		rc = egress ? pg_feed_frontend(cc->pg, data, cap, enter)
			    : pg_feed_backend(cc->pg, data, cap, ts);
	else if (cc->proto == CLIENT_REDIS)
		rc = egress ? redis_feed_request(cc->redis, data, cap, enter)
			    : redis_feed_reply(cc->redis, data, cap, ts);
	/* These parsers follow every byte: bytes past the capture leave them nowhere. */
	if (rc < 0 || total > cap)
		lose(cc);
}

void client_conn_close(struct client_conn *cc, uint64_t ts)
{
	if (cc->proto != CLIENT_HTTP || cc->lost)
		return;
	/* A body framed by the close, or whose end was not captured, ends with the last read. */
	if (cc->head && cc->in_body_active &&
	    (cc->in_body.kind == HTTP1_BODY_UNTIL_CLOSE || cc->in_body.lost_sync))
		http_finish_head(cc, cc->last_in_ts);
	/* Requests the peer never answered: the call failed, and that is worth a span. */
	while (cc->head) {
		struct http_call *h = cc->head;

		h->span.incomplete = 1;
		h->span.is_error = 1;
		snprintf(h->span.error_type, sizeof(h->span.error_type), "%s",
			 h->span.status ? "incomplete_response" : "no_response");
		cc->head = h->next;
		cc->npending--;
		span_end(&h->span, &h->ctx, ts);
		free(h);
	}
	cc->tail = cc->sending = NULL;
}
