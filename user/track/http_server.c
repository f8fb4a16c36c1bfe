// SPDX-License-Identifier: BSD-2-Clause
/* Server-side HTTP/1.x on one connection: requests in, responses out, a span per exchange. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/proc.h"
#include "export/export.h"
#include "lib/clock.h"
#include "lib/u64map.h"
#include "proto/http1.h"
#include "span/exception.h"
#include "span/redact.h"
#include "span/tracectx.h"
#include "track/conn.h"
#include "track/http_server.h"
#include "track/route.h"

/* A header block larger than this is kept only in part: the span says headers_truncated. */
#define HEADER_BUF_MAX (32 * 1024)
/* Pipelined requests waiting for their responses; a client that sends more is not a browser. */
#define PENDING_MAX 32
/* Outbound calls one request keeps to export with its own span; a handler that makes more has
 * the rest exported as they finish. */
#define CHILDREN_MAX 256

enum in_state {
	IN_HEADERS, /* the next ingress byte starts a request */
	IN_BODY,    /* inside a request body, framed by in_body */
	IN_LOST,    /* bytes were lost: ignore ingress until the pending response ends */
};

enum out_state {
	OUT_HEADERS, /* the next egress byte starts a response */
	OUT_BODY,    /* inside a response body, framed by out_body */
	OUT_LOST,    /* the response's end cannot be found in the bytes: it ends by other means */
	OUT_UPGRADED, /* 101 Switching Protocols: the connection no longer speaks HTTP/1 */
};

/* A request seen, waiting for (or receiving) its response. */
struct pending {
	struct span span;
	struct pending *next;
	struct span *children; /* outbound calls made while it was in flight, oldest first */
	int nchildren;
	int capchildren;
};

/* A growable byte buffer for a header block split across reads or writes. */
struct hbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	uint64_t first_ts; /* when its first byte was seen */
	uint32_t first_tid;
};

struct http_server {
	enum in_state in;
	enum out_state out;
	struct hbuf inbuf;
	struct hbuf outbuf;
	struct http1_body in_body;
	struct pending *in_req; /* whose body in_body frames; NULL once answered early */
	struct http1_body out_body;
	struct pending *head, *tail; /* oldest first: responses answer them in order */
	int npending;
	uint64_t last_egress_ts;
};

static struct http_server_stats stats;
/* (pid << 32 | tid) -> the request that thread read last and that has no response yet: where a
 * traceback the thread writes belongs. */
static struct u64map inflight;

static uint64_t thread_key(uint32_t pid, uint32_t tid)
{
	return (uint64_t)pid << 32 | tid;
}

static void inflight_forget(struct pending *p)
{
	uint64_t key = thread_key(p->span.pid, p->span.tid);

	if (inflight.buckets && u64map_get(&inflight, key) == p)
		u64map_del(&inflight, key);
}

int http_server_attach_exception(uint32_t pid, uint32_t tid, struct pytb_report *r, int source)
{
	struct pending *p = inflight.buckets ? u64map_get(&inflight, thread_key(pid, tid)) : NULL;
	struct span *s;

	if (!p)
		return -1;
	s = &p->span;
	if (s->exception && s->exception_source == EXCEPTION_FROM_INTERPRETER &&
	    source == EXCEPTION_FROM_TEXT) {
		exception_merge_text(s->exception, r);
		free(r);
		return 0;
	}
	if (s->exception && s->exception_source == EXCEPTION_FROM_TEXT &&
	    source == EXCEPTION_FROM_INTERPRETER)
		exception_merge_text(r, s->exception);
	free(s->exception);
	s->exception = r;
	s->exception_source = source;
	return 0;
}

int http_server_inflight_trace(uint32_t pid, uint32_t tid, uint8_t trace_id[16],
			       uint8_t span_id[8])
{
	int sampled;

	return http_server_context(pid, tid, trace_id, span_id, &sampled);
}

int http_server_context(uint32_t pid, uint32_t tid, uint8_t trace_id[16], uint8_t span_id[8],
			int *sampled)
{
	struct pending *p = inflight.buckets ? u64map_get(&inflight, thread_key(pid, tid)) : NULL;

	if (!p)
		return -1;
	memcpy(trace_id, p->span.trace_id, 16);
	memcpy(span_id, p->span.span_id, 8);
	*sampled = p->span.sampled;
	return 0;
}

int http_server_adopt(uint32_t pid, uint32_t tid, const uint8_t parent[8],
		      const struct span *child)
{
	struct pending *p = inflight.buckets ? u64map_get(&inflight, thread_key(pid, tid)) : NULL;

	if (!p || memcmp(p->span.span_id, parent, 8) != 0)
		return -1;
	if (p->nchildren == p->capchildren) {
		int cap = p->capchildren ? p->capchildren * 2 : 4;
		struct span *grown;

		if (cap > CHILDREN_MAX)
			return -1;
		grown = realloc(p->children, (size_t)cap * sizeof(*grown));
		if (!grown)
			return -1;
		p->children = grown;
		p->capchildren = cap;
	}
	p->children[p->nchildren++] = *child;
	return 0;
}

void http_server_fini(void)
{
	if (inflight.buckets)
		u64map_free(&inflight);
}

static void pending_release(struct pending *p)
{
	/* A request that ends without its span (never answered) still had its calls made. */
	for (int i = 0; i < p->nchildren; i++)
		export_span(&p->children[i]);
	free(p->children);
	inflight_forget(p);
	free(p->span.exception);
	free(p);
}

const struct http_server_stats *http_server_stats(void)
{
	return &stats;
}

struct http_server *http_server_new(void)
{
	struct http_server *hs = calloc(1, sizeof(*hs));

	return hs;
}

static void pending_free_all(struct http_server *hs)
{
	while (hs->head) {
		struct pending *p = hs->head;

		hs->head = p->next;
		pending_release(p);
	}
	hs->tail = NULL;
	hs->npending = 0;
	hs->in_req = NULL;
}

void http_server_free(struct http_server *hs)
{
	if (!hs)
		return;
	pending_free_all(hs);
	free(hs->inbuf.p);
	free(hs->outbuf.p);
	free(hs);
}

/* Append at most what fits under HEADER_BUF_MAX; returns how many bytes were taken. */
static size_t hbuf_append(struct hbuf *b, const uint8_t *data, size_t len, uint64_t ts,
			  uint32_t tid)
{
	size_t take = len;

	if (b->len == 0) {
		b->first_ts = ts;
		b->first_tid = tid;
	}
	if (b->len + take > HEADER_BUF_MAX)
		take = HEADER_BUF_MAX - b->len;
	if (b->len + take > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + take)
			cap *= 2;
		if (cap > HEADER_BUF_MAX)
			cap = HEADER_BUF_MAX;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, take);
	b->len += take;
	return take;
}

static void copy_str(char *dst, size_t cap, struct http1_str s, int *cut)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
	if (cut && n < s.len)
		*cut = 1;
}

static void copy_header(const struct http1_message *m, const char *name, char *dst, size_t cap)
{
	const struct http1_str *v = http1_find_header(m, name);

	if (v)
		copy_str(dst, cap, *v, NULL);
}

/* The trace this request belongs to: the caller's (traceparent first, then X-Amzn-Trace-Id),
 * or a new one whose first four bytes are the start second, valid for X-Ray as well. */
static void assign_trace(struct span *s, const struct http1_message *m)
{
	const struct http1_str *tp = http1_find_header(m, "traceparent");
	const struct http1_str *xr = http1_find_header(m, "x-amzn-trace-id");
	struct trace_ctx tc;

	if ((tp && tracectx_parse_traceparent(tp->p, tp->len, &tc) == 0) ||
	    (xr && tracectx_parse_xray(xr->p, xr->len, &tc) == 0)) {
		memcpy(s->trace_id, tc.trace_id, 16);
		memcpy(s->parent_id, tc.parent_id, 8);
		s->has_parent = tc.has_parent;
		s->sampled = tc.sampled;
	} else {
		tracectx_new_trace_id(s->trace_id, (uint32_t)(s->start_unix_ns / 1000000000ull));
		s->has_parent = 0;
		s->sampled = -1;
	}
	tracectx_new_span_id(s->span_id);
}

/* Split an origin-form or absolute-form target into path and redacted query. */
static void set_target(struct span *s, struct http1_str target)
{
	const char *p = target.p, *end = target.p + target.len, *q;
	int cut = 0;

	if (target.len > 7 && (memcmp(p, "http://", 7) == 0 || memcmp(p, "https://", 8) == 0)) {
		p = memchr(p + 8, '/', (size_t)(end - p - 8));
		if (!p)
			p = end;
	}
	q = memchr(p, '?', (size_t)(end - p));
	copy_str(s->path, sizeof(s->path),
		 (struct http1_str){ .p = p, .len = (size_t)((q ? q : end) - p) }, &cut);
	if (!s->path[0])
		strcpy(s->path, "/");
	if (q) {
		s->has_query = 1;
		redact_query(q + 1, (size_t)(end - q - 1), s->query, sizeof(s->query));
	}
	route_infer(s->path, strlen(s->path), s->route, sizeof(s->route));
	if (cut)
		s->headers_truncated = 1;
}

static struct pending *pending_new(struct http_server *hs, const struct conn *c,
				   const struct http1_message *m, uint64_t ts, uint32_t tid)
{
	struct pending *p;
	struct span *s;

	if (hs->npending >= PENDING_MAX) {
		stats.pipeline_overflow++;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	s = &p->span;
	s->kind = SPAN_SERVER;
	s->start_unix_ns = clock_mono_to_unix_ns(ts);
	copy_str(s->method, sizeof(s->method), m->method, NULL);
	snprintf(s->http_version, sizeof(s->http_version), "%d.%d", m->major_version,
		 m->minor_version);
	set_target(s, m->target);
	copy_header(m, "user-agent", s->user_agent, sizeof(s->user_agent));
	copy_header(m, "x-forwarded-for", s->x_forwarded_for, sizeof(s->x_forwarded_for));
	assign_trace(s, m);
	snprintf(s->client_addr, sizeof(s->client_addr), "%s", c->remote_addr);
	s->client_port = c->remote_port;
	snprintf(s->server_addr, sizeof(s->server_addr), "%s", c->local_addr);
	s->server_port = c->local_port;
	s->pid = c->pid;
	s->tid = tid;
	s->service_name = proc_service_name(c->pid);

	if (hs->tail)
		hs->tail->next = p;
	else
		hs->head = p;
	hs->tail = p;
	hs->npending++;
	if (!inflight.buckets)
		u64map_init(&inflight, 256);
	u64map_put(&inflight, thread_key(s->pid, s->tid), p);
	return p;
}

/* The oldest request ends with its response: export its span and forget it. */
static void finish_head(struct http_server *hs, uint64_t end_ts)
{
	struct pending *p = hs->head;

	if (!p)
		return;
	/* An exception the application caught and logged, then answered without a server
	 * error, did not fail the request: it stays out of the span. */
	if (p->span.exception && p->span.status < 500) {
		free(p->span.exception);
		p->span.exception = NULL;
		p->span.exception_source = EXCEPTION_NONE;
	}
	p->span.end_unix_ns = clock_mono_to_unix_ns(end_ts);
	if (p->span.end_unix_ns < p->span.start_unix_ns)
		p->span.end_unix_ns = p->span.start_unix_ns;
	if (hs->out_body.lost_sync || hs->out == OUT_LOST)
		p->span.body_unsynced = 1;
	p->span.response_body_size =
		hs->out_body.lost_sync ? hs->out_body.wire : hs->out_body.payload;
	/* Its outbound calls go first, under the same sampling decision: an exporter that nests
	 * them (X-Ray subsegments) has them when the request's span arrives. */
	export_span_group(&p->span, p->children, p->nchildren);
	p->nchildren = 0;
	stats.spans++;

	hs->head = p->next;
	if (!hs->head)
		hs->tail = NULL;
	hs->npending--;
	if (hs->in_req == p)
		hs->in_req = NULL;
	pending_release(p);
	memset(&hs->out_body, 0, sizeof(hs->out_body));
	hs->outbuf.len = 0;
	if (hs->out != OUT_UPGRADED)
		hs->out = OUT_HEADERS;
	/* Ingress that lost its place picks up again at the next request. */
	if (hs->in == IN_LOST && !hs->head) {
		hs->in = IN_HEADERS;
		hs->inbuf.len = 0;
	}
}

/* A response whose end was not seen ends at the last byte written before the next request. */
static void finish_unsynced(struct http_server *hs)
{
	if (hs->head && (hs->out == OUT_LOST || (hs->out == OUT_BODY && hs->out_body.lost_sync) ||
			 (hs->out == OUT_BODY && hs->out_body.kind == HTTP1_BODY_UNTIL_CLOSE)))
		finish_head(hs, hs->last_egress_ts);
}

/* Headers cut off by the capture limit: parse the complete lines there are, as if the block
 * ended there, so the request line and the first headers still make a span. */
static int parse_partial(const struct hbuf *b, int request, struct http1_message *m,
			 uint8_t *tmp, size_t tmpcap)
{
	const char *err;
	size_t end = b->len;

	while (end > 0 && b->p[end - 1] != '\n')
		end--;
	if (end == 0 || end + 2 > tmpcap)
		return -1;
	memcpy(tmp, b->p, end);
	memcpy(tmp + end, "\r\n", 2);
	if (request)
		return http1_parse_request((const char *)tmp, end + 2, m, &err) > 0 ? 0 : -1;
	return http1_parse_response((const char *)tmp, end + 2, m, &err) > 0 ? 0 : -1;
}

static void request_headers_truncated(struct http_server *hs, const struct conn *c)
{
	static uint8_t tmp[HEADER_BUF_MAX + 2];
	struct http1_message m;
	struct pending *p;

	if (parse_partial(&hs->inbuf, 1, &m, tmp, sizeof(tmp)) == 0) {
		p = pending_new(hs, c, &m, hs->inbuf.first_ts, hs->inbuf.first_tid);
		if (p)
			p->span.headers_truncated = 1;
	} else {
		stats.parse_errors++;
	}
	hs->inbuf.len = 0;
	hs->in = IN_LOST;
}

void http_server_ingress(struct http_server *hs, const struct conn *c, const uint8_t *data,
			 size_t cap, uint64_t total, uint64_t ts, uint32_t tid)
{
	uint64_t gap = total > cap ? total - cap : 0;
	size_t pos = 0;
	const char *err;

	/* A new request while a response's end is unknown means that response is over. */
	if (hs->out != OUT_HEADERS && hs->out != OUT_UPGRADED && hs->in != IN_BODY)
		finish_unsynced(hs);
	if (hs->out == OUT_UPGRADED)
		return;

	while (pos < cap) {
		if (hs->in == IN_LOST)
			return;
		if (hs->in == IN_BODY) {
			long n = http1_body_feed(&hs->in_body, (const char *)data + pos, cap - pos,
						 &err);

			if (n < 0) {
				stats.parse_errors++;
				hs->in = IN_LOST;
				return;
			}
			pos += (size_t)n;
			if (hs->in_req)
				hs->in_req->span.request_body_size = hs->in_body.payload;
			if (hs->in_body.done)
				hs->in = IN_HEADERS;
			continue;
		}

		/* IN_HEADERS */
		{
			struct http1_message m;
			size_t before = hs->inbuf.len;
			size_t took = hbuf_append(&hs->inbuf, data + pos, cap - pos, ts, tid);
			int r = http1_parse_request((const char *)hs->inbuf.p, hs->inbuf.len, &m,
						    &err);
			struct pending *p;

			if (r == HTTP1_NEED_MORE) {
				pos += took;
				if (hs->inbuf.len >= HEADER_BUF_MAX) {
					request_headers_truncated(hs, c);
					return;
				}
				continue;
			}
			if (r < 0) {
				/* Not HTTP here (attached mid-body, or another protocol): drop
				 * what is buffered and try again at the next read. */
				stats.parse_errors++;
				hs->inbuf.len = 0;
				return;
			}
			p = pending_new(hs, c, &m, hs->inbuf.first_ts, hs->inbuf.first_tid);
			pos += (size_t)r - before;
			hs->inbuf.len = 0;
			if (http1_body_for_request(&m, &hs->in_body, &err) < 0) {
				stats.parse_errors++;
				hs->in = IN_LOST;
				hs->in_req = p;
				return;
			}
			hs->in_req = p;
			hs->in = hs->in_body.done ? IN_HEADERS : IN_BODY;
		}
	}

	if (gap == 0)
		return;
	if (hs->in == IN_BODY) {
		uint64_t took = http1_body_skip(&hs->in_body, gap);

		if (hs->in_req)
			hs->in_req->span.request_body_size =
				hs->in_body.lost_sync ? hs->in_body.wire : hs->in_body.payload;
		if (hs->in_body.lost_sync)
			hs->in = IN_LOST;
		else if (hs->in_body.done)
			hs->in = took == gap ? IN_HEADERS : IN_LOST;
	} else if (hs->in == IN_HEADERS && hs->inbuf.len > 0) {
		request_headers_truncated(hs, c);
	} else if (hs->in == IN_HEADERS) {
		/* The lost bytes start the next request. */
		hs->in = IN_LOST;
	}
}

static void response_headers(struct http_server *hs, const struct http1_message *m)
{
	const char *err;
	struct http1_str method = { .p = hs->head->span.method,
				    .len = strlen(hs->head->span.method) };

	hs->head->span.status = m->status;
	if (m->status == 101) {
		hs->out = OUT_UPGRADED;
		return;
	}
	if (http1_body_for_response(m, method, &hs->out_body, &err) < 0) {
		stats.parse_errors++;
		hs->out = OUT_LOST;
		return;
	}
	hs->out = OUT_BODY;
}

void http_server_egress(struct http_server *hs, const struct conn *c, const uint8_t *data,
			size_t cap, uint64_t total, uint64_t ts, uint32_t tid)
{
	uint64_t gap = total > cap ? total - cap : 0;
	size_t pos = 0;
	const char *err;

	hs->last_egress_ts = ts;
	while (pos < cap) {
		if (hs->out == OUT_LOST || hs->out == OUT_UPGRADED)
			return;
		if (!hs->head) {
			/* Attached mid-exchange: a response to a request pyspan never saw. */
			stats.unmatched_responses++;
			hs->outbuf.len = 0;
			return;
		}
		if (hs->out == OUT_BODY) {
			long n = http1_body_feed(&hs->out_body, (const char *)data + pos, cap - pos,
						 &err);

			if (n < 0) {
				stats.parse_errors++;
				hs->out = OUT_LOST;
				return;
			}
			pos += (size_t)n;
			if (hs->out_body.done)
				finish_head(hs, ts);
			continue;
		}

		/* OUT_HEADERS */
		{
			struct http1_message m;
			size_t before = hs->outbuf.len;
			size_t took = hbuf_append(&hs->outbuf, data + pos, cap - pos, ts, tid);
			int r = http1_parse_response((const char *)hs->outbuf.p, hs->outbuf.len,
						     &m, &err);

			if (r == HTTP1_NEED_MORE) {
				pos += took;
				if (hs->outbuf.len >= HEADER_BUF_MAX) {
					hs->out = OUT_LOST;
					return;
				}
				continue;
			}
			if (r < 0) {
				stats.parse_errors++;
				hs->outbuf.len = 0;
				hs->out = OUT_LOST;
				return;
			}
			pos += (size_t)r - before;
			hs->outbuf.len = 0;
			/* 100 Continue and other interim responses precede the real one. */
			if (m.status >= 100 && m.status < 200 && m.status != 101)
				continue;
			response_headers(hs, &m);
			if (hs->out == OUT_UPGRADED) {
				finish_head(hs, ts);
				return;
			}
			if (hs->out == OUT_BODY && hs->out_body.done)
				finish_head(hs, ts);
		}
	}

	if (gap == 0 || !hs->head)
		return;
	if (hs->out == OUT_BODY) {
		http1_body_skip(&hs->out_body, gap);
		if (hs->out_body.done)
			finish_head(hs, ts);
	} else if (hs->out == OUT_HEADERS && hs->outbuf.len > 0) {
		static uint8_t tmp[HEADER_BUF_MAX + 2];
		struct http1_message m;

		/* Response headers over the capture size: keep the status, lose the end. */
		if (parse_partial(&hs->outbuf, 0, &m, tmp, sizeof(tmp)) == 0)
			hs->head->span.status = m.status;
		hs->head->span.headers_truncated = 1;
		hs->outbuf.len = 0;
		hs->out = OUT_LOST;
	}
}

void http_server_close(struct http_server *hs, const struct conn *c, uint64_t ts)
{
	/* A response framed by the connection's end, or one whose end was not captured, ends
	 * with the last byte written. Requests never answered are dropped: they have no status
	 * and no end, and a span for them would be a guess. */
	if (hs->head && hs->out != OUT_HEADERS && hs->out != OUT_UPGRADED) {
		/* A framed body cut short by the close: the client did not get it all. */
		if (hs->out == OUT_BODY && hs->out_body.kind != HTTP1_BODY_UNTIL_CLOSE &&
		    !hs->out_body.lost_sync)
			hs->head->span.incomplete = 1;
		finish_head(hs, hs->last_egress_ts);
	}
	pending_free_all(hs);
}

void http_server_tick(struct http_server *hs, const struct conn *c, uint64_t now)
{
	if (hs->head && hs->out != OUT_HEADERS && hs->out != OUT_UPGRADED &&
	    now - hs->last_egress_ts > HTTP_SERVER_QUIET_NS &&
	    (hs->out == OUT_LOST || hs->out_body.lost_sync))
		finish_head(hs, hs->last_egress_ts);
}

int http_server_sniff(const uint8_t *data, size_t cap, int ingress)
{
	return ingress && http1_looks_like_request((const char *)data, cap);
}
