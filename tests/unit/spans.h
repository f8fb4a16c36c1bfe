/* SPDX-License-Identifier: BSD-2-Clause */
/* Fixed spans for exporter encoder tests: a server span, a failed one with a traceback, a
 * database call. */
#ifndef PYSPAN_TESTS_SPANS_H
#define PYSPAN_TESTS_SPANS_H

#include <string.h>

#include "proto/pytraceback.h"
#include "span/span.h"

static const uint8_t fixture_trace[16] = { 0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
					   0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c };
static const uint8_t fixture_span[8] = { 0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31 };
static const uint8_t fixture_parent[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };

static inline void fixture_server(struct span *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = SPAN_SERVER;
	memcpy(s->trace_id, fixture_trace, 16);
	memcpy(s->span_id, fixture_span, 8);
	s->sampled = -1;
	s->start_unix_ns = 1478293361271123456ull;
	s->end_unix_ns = 1478293361449000999ull; /* 177.877543 ms later */
	strcpy(s->method, "GET");
	strcpy(s->path, "/api/activities/42");
	strcpy(s->query, "limit=REDACTED");
	s->has_query = 1;
	strcpy(s->route, "/api/activities/{id}");
	s->status = 200;
	s->request_body_size = 0;
	s->response_body_size = 231;
	strcpy(s->user_agent, "curl/7.88.1");
	strcpy(s->http_version, "1.1");
	strcpy(s->client_addr, "10.1.2.3");
	s->client_port = 51000;
	strcpy(s->server_addr, "127.0.0.1");
	s->server_port = 8000;
	s->pid = 4242;
	s->tid = 4243;
	s->service_name = "shop-api";
}

/* ValueError raised while handling a KeyError, escaping a 500. */
static inline void fixture_failed(struct span *s, struct pytb_report *r)
{
	fixture_server(s);
	memcpy(s->parent_id, fixture_parent, 8);
	s->has_parent = 1;
	s->status = 500;
	memset(r, 0, sizeof(*r));
	r->nchain = 2;
	strcpy(r->chain[0].type, "KeyError");
	strcpy(r->chain[0].message, "'sku'");
	r->chain[0].nframes = 1;
	strcpy(r->chain[0].frames[0].file, "/srv/app/store.py");
	r->chain[0].frames[0].line = 12;
	strcpy(r->chain[0].frames[0].function, "lookup");
	strcpy(r->chain[1].type, "ValueError");
	strcpy(r->chain[1].message, "no such item");
	r->chain[1].link = PYTB_LINK_CONTEXT;
	r->chain[1].nframes = 2;
	strcpy(r->chain[1].frames[0].file, "/srv/app/views.py");
	r->chain[1].frames[0].line = 40;
	strcpy(r->chain[1].frames[0].function, "item");
	strcpy(r->chain[1].frames[1].file, "/srv/app/store.py");
	r->chain[1].frames[1].line = 14;
	strcpy(r->chain[1].frames[1].function, "lookup");
	s->exception = r;
}

#define FIXTURE_STACK                                                                     \
	"Traceback (most recent call last):\n"                                            \
	"  File \"/srv/app/store.py\", line 12, in lookup\n"                              \
	"KeyError: 'sku'\n"                                                               \
	"\n"                                                                              \
	"During handling of the above exception, another exception occurred:\n"          \
	"\n"                                                                              \
	"Traceback (most recent call last):\n"                                            \
	"  File \"/srv/app/views.py\", line 40, in item\n"                                \
	"  File \"/srv/app/store.py\", line 14, in lookup\n"                              \
	"ValueError: no such item"

/* A PostgreSQL query that failed, made while serving fixture_server's request. */
static inline void fixture_db(struct span *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = SPAN_CLIENT;
	memcpy(s->trace_id, fixture_trace, 16);
	memcpy(s->span_id, fixture_parent, 8);
	memcpy(s->parent_id, fixture_span, 8);
	s->has_parent = 1;
	s->start_unix_ns = 1478293361300000000ull;
	s->end_unix_ns = 1478293361302500000ull;
	strcpy(s->protocol, "postgresql");
	strcpy(s->db_system, "postgresql");
	strcpy(s->db_name, "shop");
	strcpy(s->db_user, "app");
	strcpy(s->db_operation, "SELECT");
	strcpy(s->db_query, "SELECT * FROM items WHERE id = ?");
	s->is_error = 1;
	strcpy(s->error_type, "42P01");
	strcpy(s->error_message, "relation \"items\" does not exist");
	strcpy(s->client_addr, "10.0.0.5");
	s->client_port = 40000;
	strcpy(s->server_addr, "10.0.0.9");
	s->server_port = 5432;
	s->pid = 4242;
	s->tid = 4243;
	s->service_name = "shop-api";
}

#endif
