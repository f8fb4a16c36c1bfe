// SPDX-License-Identifier: BSD-2-Clause
/* Outbound calls from synthetic capture events: client spans, their parents, TLS, redaction. */
#define _GNU_SOURCE /* memmem */
#include <cjson/cJSON.h>

#include "track/proc.h"
#include "capture/tls_libs.h"
#include "check.h"
#include "view_of.h"
#include "events.h"
#include "export/xray/xray_segment.h"
#include "lib/clock.h"
#include "span/view.h"
#include "span/tracectx.h"
#include "track/client_calls.h"
#include "track/http_server.h"

#define IN DIR_INGRESS
#define OUT DIR_EGRESS
#define PID 300

static const char req_in[] = "GET /orders/7 HTTP/1.1\r\nHost: shop\r\n\r\n";
static const char resp_out[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static void bin(uint64_t id, uint32_t tid, int dir, const void *p, size_t n)
{
	data_n(id, PID, tid, dir, p, n);
}

/* Is the text anywhere in the span's bytes? Secrets must be nowhere, not just not shown. */
static int span_holds(const struct span *s, const char *text)
{
	return memmem(s, sizeof(*s), text, strlen(text)) != NULL;
}

static void test_http_call_inside_request(void)
{
	const struct span *srv, *cli;

	reset();
	open_conn(1, PID, 5, ROLE_SERVER);
	data_t(1, PID, 11, IN, req_in);
	open_client_conn(2, PID, 6, "10.0.0.9", 8080);
	data_t(2, PID, 11, OUT,
	       "GET /v1/users?id=7&token=abc HTTP/1.1\r\nHost: api.internal:8080\r\n"
	       "Authorization: Bearer SECRET-TOKEN-1\r\nCookie: sid=SESSION-2\r\n\r\n");
	data_t(2, PID, 11, IN, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	CHECK_INT(ngot, 0); /* the call waits for its request */
	data_t(1, PID, 11, OUT, resp_out);
	CHECK_INT(ngot, 2);
	/* The call first: an exporter that nests calls has them when the request comes. */
	CHECK_INT(got[0].kind, SPAN_CLIENT);
	CHECK_INT(got[1].kind, SPAN_SERVER);
	srv = &got[1];
	cli = &got[0];
	CHECK(memcmp(cli->trace_id, srv->trace_id, 16) == 0);
	CHECK_INT(cli->has_parent, 1);
	CHECK(memcmp(cli->parent_id, srv->span_id, 8) == 0);
	CHECK(memcmp(cli->span_id, srv->span_id, 8) != 0);
	CHECK(cli->start_unix_ns >= srv->start_unix_ns);
	CHECK(cli->end_unix_ns <= srv->end_unix_ns);
	/* sent at t (entry 1 us earlier), answered 1 ms later */
	CHECK_INT(cli->end_unix_ns - cli->start_unix_ns, 1001000);
	CHECK_STR(cli->protocol, "http");
	CHECK_STR(cli->method, "GET");
	CHECK_STR(cli->path, "/v1/users");
	CHECK_STR(cli->query, "id=REDACTED&token=REDACTED");
	CHECK_STR(cli->host, "api.internal:8080");
	CHECK_INT(cli->status, 200);
	CHECK_INT(cli->is_error, 0);
	CHECK_INT(cli->response_body_size, 5);
	CHECK_STR(cli->server_addr, "10.0.0.9");
	CHECK_INT(cli->server_port, 8080);
	CHECK_INT(cli->tid, 11);
	CHECK_INT(cli->tls, 0);
	CHECK(!span_holds(cli, "SECRET-TOKEN-1"));
	CHECK(!span_holds(cli, "SESSION-2"));
	CHECK(!span_holds(cli, "token=abc"));
	CHECK_STR(view_of(cli)->url_full,
		  "http://api.internal:8080/v1/users?id=REDACTED&token=REDACTED");
	close_conn(2, PID);
	close_conn(1, PID);
	CHECK_INT(ngot, 2);
}

static void test_root_call_and_5xx(void)
{
	reset();
	/* No request in flight on thread 12: the call is a trace of its own. */
	open_client_conn(3, PID, 7, "10.0.0.8", 80);
	data_t(3, PID, 12, OUT, "POST /jobs HTTP/1.1\r\nHost: q\r\nContent-Length: 4\r\n\r\n");
	data_t(3, PID, 12, OUT, "abcd");
	data_t(3, PID, 12, IN, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(ngot, 1);
	CHECK_INT(got[0].kind, SPAN_CLIENT);
	CHECK_INT(got[0].has_parent, 0);
	CHECK_INT(got[0].sampled, -1);
	CHECK_INT(got[0].status, 503);
	CHECK_INT(got[0].is_error, 1);
	CHECK_STR(got[0].error_type, "503");
	CHECK_INT(got[0].request_body_size, 4);
	/* the trace id starts with the second it began, as X-Ray wants */
	CHECK_INT(((uint32_t)got[0].trace_id[0] << 24 | (uint32_t)got[0].trace_id[1] << 16 |
		   (uint32_t)got[0].trace_id[2] << 8 | got[0].trace_id[3]),
		  got[0].start_unix_ns / 1000000000ull);
	/* A request never answered before the close: a failed call, still a span. */
	data_t(3, PID, 12, OUT, "GET /again HTTP/1.1\r\nHost: q\r\n\r\n");
	close_conn(3, PID);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[1].path, "/again");
	CHECK_INT(got[1].is_error, 1);
	CHECK_STR(got[1].error_type, "no_response");
	CHECK_INT(got[1].incomplete, 1);
}

static void test_parent_by_thread(void)
{
	const struct span *a, *b;

	reset();
	/* A threaded server: two requests in flight at once on threads 21 and 22. */
	open_conn(10, PID, 5, ROLE_SERVER);
	open_conn(11, PID, 6, ROLE_SERVER);
	data_t(10, PID, 21, IN, "GET /a HTTP/1.1\r\nHost: s\r\n\r\n");
	data_t(11, PID, 22, IN, "GET /b HTTP/1.1\r\nHost: s\r\n\r\n");
	/* One pooled connection used by thread 22 and then 21. */
	open_client_conn(12, PID, 7, "10.0.0.7", 80);
	data_t(12, PID, 22, OUT, "GET /for-b HTTP/1.1\r\nHost: up\r\n\r\n");
	data_t(12, PID, 22, IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	data_t(12, PID, 21, OUT, "GET /for-a HTTP/1.1\r\nHost: up\r\n\r\n");
	data_t(12, PID, 21, IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	data_t(10, PID, 21, OUT, resp_out);
	data_t(11, PID, 22, OUT, resp_out);
	CHECK_INT(ngot, 4);
	CHECK_STR(got[0].path, "/for-a");
	CHECK_STR(got[1].path, "/a");
	CHECK_STR(got[2].path, "/for-b");
	CHECK_STR(got[3].path, "/b");
	a = &got[1];
	b = &got[3];
	CHECK(memcmp(got[0].parent_id, a->span_id, 8) == 0);
	CHECK(memcmp(got[0].trace_id, a->trace_id, 16) == 0);
	CHECK(memcmp(got[2].parent_id, b->span_id, 8) == 0);
	CHECK(memcmp(got[2].trace_id, b->trace_id, 16) == 0);
	CHECK(memcmp(a->trace_id, b->trace_id, 16) != 0);
	close_conn(10, PID);
	close_conn(11, PID);
	close_conn(12, PID);
}

/* The caller's trace context reaches the calls: same trace id, sampled flag carried. */
static void test_caller_context(void)
{
	reset();
	open_conn(13, PID, 5, ROLE_SERVER);
	data_t(13, PID, 31, IN,
	       "GET /c HTTP/1.1\r\ntraceparent: "
	       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n");
	open_client_conn(14, PID, 6, "10.0.0.6", 80);
	data_t(14, PID, 31, OUT, "GET /d HTTP/1.1\r\nHost: up\r\n\r\n");
	data_t(14, PID, 31, IN, "HTTP/1.1 204 No Content\r\n\r\n");
	data_t(13, PID, 31, OUT, resp_out);
	CHECK_INT(ngot, 2);
	{
		char hex[33];

		tracectx_hex(got[0].trace_id, 16, hex);
		CHECK_STR(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
	}
	CHECK_INT(got[0].sampled, 1);
	CHECK_INT(got[0].status, 204);
	CHECK(memcmp(got[0].parent_id, got[1].span_id, 8) == 0);
	close_conn(13, PID);
	close_conn(14, PID);
}

static void test_tls_plaintext(void)
{
	static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 client hello";
	static const char server_hello[] = "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03 server";

	reset();
	open_conn(20, PID, 5, ROLE_SERVER);
	data_t(20, PID, 41, IN, req_in);
	open_client_conn(21, PID, 6, "10.0.0.5", 443);
	/* The handshake is ciphertext outside any SSL_read/SSL_write: it reaches userspace. */
	for (int i = 0; i < 10; i++) {
		bin(21, 41, OUT, hello, sizeof(hello) - 1);
		bin(21, 41, IN, server_hello, sizeof(server_hello) - 1);
	}
	data_tls(21, PID, 41, OUT, "GET /secure?k=v HTTP/1.1\r\nHost: pay.example\r\n\r\n");
	/* Ciphertext that slipped through between plaintext events changes nothing. */
	bin(21, 41, IN, "\x17\x03\x03\x00\x20garbage", 12);
	data_tls(21, PID, 41, IN, "HTTP/1.1 402 Payment Required\r\nContent-Length: 3\r\n\r\nno!");
	data_t(20, PID, 41, OUT, resp_out);
	CHECK_INT(ngot, 2);
	CHECK_INT(got[0].kind, SPAN_CLIENT);
	CHECK_INT(got[0].tls, 1);
	CHECK_STR(got[0].path, "/secure");
	CHECK_STR(got[0].host, "pay.example");
	CHECK_INT(got[0].status, 402);
	CHECK_INT(got[0].is_error, 0);
	CHECK_INT(got[0].response_body_size, 3);
	CHECK(memcmp(got[0].parent_id, got[1].span_id, 8) == 0);
	CHECK_STR(view_of(&got[0])->url_full, "https://pay.example/secure?k=REDACTED");
	close_conn(20, PID);
	close_conn(21, PID);
}

/* ---- PostgreSQL wire messages ---- */

static size_t pg_msg(uint8_t *out, char type, const void *body, size_t n)
{
	uint32_t len = (uint32_t)n + 4;

	out[0] = (uint8_t)type;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	memcpy(out + 5, body, n);
	return n + 5;
}

static size_t pg_startup(uint8_t *out)
{
	static const char params[] = "user\0shopper\0database\0shop\0";
	uint32_t len = 8 + sizeof(params); /* the params and the final NUL */

	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[4] = 0;
	out[5] = 3;
	out[6] = 0;
	out[7] = 0;
	memcpy(out + 8, params, sizeof(params));
	return len;
}

static void test_postgresql(void)
{
	static const char q1[] = "SELECT id, name FROM users WHERE email = 'bob@example.com' AND "
				 "age > 42";
	static const char q2[] = "SELECT * FROM missing_table WHERE secret = 'hunter2'";
	static const char err[] = "SERROR\0VERROR\0C42P01\0Mrelation \"missing_table\" does not "
				  "exist\0\0";
	uint8_t buf[1024];
	size_t n;

	reset();
	CHECK_INT(client_calls_sniff(buf, pg_startup(buf), 5432), CLIENT_PG);
	open_conn(30, PID, 5, ROLE_SERVER);
	data_t(30, PID, 51, IN, req_in);
	open_client_conn(31, PID, 6, "10.0.0.4", 5432);
	bin(31, 51, OUT, buf, pg_startup(buf));
	n = pg_msg(buf, 'R', "\0\0\0\0", 4);
	n += pg_msg(buf + n, 'Z', "I", 1);
	bin(31, 51, IN, buf, n);
	bin(31, 51, OUT, buf, pg_msg(buf, 'Q', q1, sizeof(q1)));
	n = pg_msg(buf, 'C', "SELECT 1", 9);
	n += pg_msg(buf + n, 'Z', "I", 1);
	bin(31, 51, IN, buf, n);
	bin(31, 51, OUT, buf, pg_msg(buf, 'Q', q2, sizeof(q2)));
	n = pg_msg(buf, 'E', err, sizeof(err) - 1);
	n += pg_msg(buf + n, 'Z', "I", 1);
	bin(31, 51, IN, buf, n);
	data_t(30, PID, 51, OUT, resp_out);
	CHECK_INT(ngot, 3);
	CHECK_STR(got[0].db_system, "postgresql");
	CHECK_STR(got[0].protocol, "postgresql");
	CHECK_STR(got[0].db_operation, "SELECT");
	CHECK_STR(got[0].db_query, "SELECT id, name FROM users WHERE email = ? AND age > ?");
	CHECK_STR(got[0].db_name, "shop");
	CHECK_STR(got[0].db_user, "shopper");
	CHECK_STR(got[0].db_response, "SELECT 1");
	CHECK_INT(got[0].is_error, 0);
	CHECK(!span_holds(&got[0], "bob@example.com"));
	CHECK_STR(got[1].db_query, "SELECT * FROM missing_table WHERE secret = ?");
	CHECK_INT(got[1].is_error, 1);
	CHECK_STR(got[1].error_type, "42P01");
	CHECK_STR(got[1].error_message, "relation \"missing_table\" does not exist");
	CHECK(!span_holds(&got[1], "hunter2"));
	CHECK_INT(got[2].kind, SPAN_SERVER);
	CHECK(memcmp(got[0].parent_id, got[2].span_id, 8) == 0);
	CHECK(memcmp(got[1].parent_id, got[2].span_id, 8) == 0);
	CHECK_INT(got[0].server_port, 5432);
	close_conn(30, PID);
	close_conn(31, PID);
}

static void test_redis(void)
{
	static const char set[] = "*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$12\r\nVALUE-SECRET\r\n";
	static const char set_ok[] = "*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$4\r\nabcd\r\n";
	static const char lpush[] = "*2\r\n$4\r\nLLEN\r\n$6\r\nuser:1\r\n";

	reset();
	CHECK_INT(client_calls_sniff((const uint8_t *)set_ok, sizeof(set_ok) - 1, 6379),
		  CLIENT_REDIS);
	open_client_conn(40, PID, 6, "10.0.0.3", 6379);
	data_t(40, PID, 61, OUT, set_ok);
	data_t(40, PID, 61, IN, "+OK\r\n");
	data_t(40, PID, 61, OUT, lpush);
	data_t(40, PID, 61, IN,
	       "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
	CHECK_INT(ngot, 2);
	CHECK_STR(got[0].db_system, "redis");
	CHECK_STR(got[0].db_operation, "SET");
	CHECK_STR(got[0].db_query, "SET user:1");
	CHECK(!span_holds(&got[0], "abcd"));
	CHECK_INT(got[0].has_parent, 0);
	CHECK_STR(got[1].db_query, "LLEN user:1");
	CHECK_INT(got[1].is_error, 1);
	CHECK_STR(got[1].error_type, "WRONGTYPE");
	close_conn(40, PID);

	/* Keys withheld on request. */
	client_calls_configure(&(struct client_calls_opts){ .redis_redact_keys = 1 });
	reset();
	open_client_conn(41, PID, 6, "10.0.0.3", 6379);
	data_t(41, PID, 61, OUT, set);
	data_t(41, PID, 61, IN, "+OK\r\n");
	CHECK_INT(ngot, 1);
	CHECK_STR(got[0].db_query, "SET ?");
	CHECK(!span_holds(&got[0], "user:1"));
	CHECK(!span_holds(&got[0], "VALUE-SECRET"));
	close_conn(41, PID);
	client_calls_configure(&(struct client_calls_opts){ .redis_redact_keys = 0 });
}

static void test_sniff(void)
{
	static const uint8_t get[] = "GET / HTTP/1.1\r\n";
	static const uint8_t tls[] = "\x16\x03\x01\x00\x10";

	CHECK_INT(client_calls_sniff(get, sizeof(get) - 1, 80), CLIENT_HTTP);
	CHECK_INT(client_calls_sniff(tls, sizeof(tls) - 1, 443), CLIENT_NONE);
	/* A server connection never becomes a client one, whatever it writes. */
	reset();
	open_conn(50, PID, 5, ROLE_SERVER);
	data_t(50, PID, 71, OUT, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	data_t(50, PID, 71, IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(ngot, 0);
	close_conn(50, PID);
}

static void test_tls_lib_names(void)
{
	char path[256];

	CHECK_INT(tls_lib_is_openssl("libssl.so.3"), 1);
	CHECK_INT(tls_lib_is_openssl("libssl.so.1.1"), 1);
	CHECK_INT(tls_lib_is_openssl("libssl.so"), 1);
	CHECK_INT(tls_lib_is_openssl("libssl-1d8e3a2c.so.1.1"), 1);
	CHECK_INT(tls_lib_is_openssl("libssl3.so"), 0); /* NSS */
	CHECK_INT(tls_lib_is_openssl("libssl3.so.3"), 0);
	CHECK_INT(tls_lib_is_openssl("libsslfoo.so"), 0);
	CHECK_INT(tls_lib_is_openssl("libcrypto.so.3"), 0);
	CHECK_INT(tls_lib_from_maps_line("7f1c2a400000-7f1c2a41e000 r--p 00000000 08:01 1234   "
					 "          /usr/lib/x86_64-linux-gnu/libssl.so.3\n",
					 path, sizeof(path)),
		  1);
	CHECK_STR(path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
	CHECK_INT(tls_lib_from_maps_line("7f1c2a400000-7f1c2a41e000 r-xp 00000000 08:01 99 "
					 "/srv/venv/lib/python3.11/site-packages/"
					 "psycopg2_binary.libs/libssl-5a1f3b9c.so.1.1\n",
					 path, sizeof(path)),
		  1);
	CHECK_STR(path, "/srv/venv/lib/python3.11/site-packages/psycopg2_binary.libs/"
			"libssl-5a1f3b9c.so.1.1");
	CHECK_INT(tls_lib_from_maps_line("7f00-7f10 r-xp 0 08:01 7 /tmp/libssl.so.3 (deleted)\n",
					 path, sizeof(path)),
		  0);
	CHECK_INT(tls_lib_from_maps_line("7f00-7f10 rw-p 0 00:00 0 [heap]\n", path, sizeof(path)),
		  0);
}

/* X-Ray: the calls of a request are its subsegments; a late one goes on its own. */
static void test_xray_subsegments(void)
{
	const struct span *calls[3];
	const struct span_view *views[3];
	struct span srv, http, pg, redis;
	int embedded = -1, cut = -1;
	cJSON *doc, *subs, *s;
	char *text;

	memset(&srv, 0, sizeof(srv));
	srv.kind = SPAN_SERVER;
	memset(srv.trace_id, 0x11, 16);
	memset(srv.span_id, 0x22, 8);
	srv.start_unix_ns = 1700000000000000000ull;
	srv.end_unix_ns = srv.start_unix_ns + 9000000;
	strcpy(srv.method, "GET");
	strcpy(srv.path, "/orders");
	srv.client_port = srv.server_port = -1;
	srv.status = 200;
	srv.service_name = "shop";

	memset(&http, 0, sizeof(http));
	http.kind = SPAN_CLIENT;
	memcpy(http.trace_id, srv.trace_id, 16);
	memcpy(http.parent_id, srv.span_id, 8);
	http.has_parent = 1;
	memset(http.span_id, 0x33, 8);
	http.start_unix_ns = srv.start_unix_ns + 1000000;
	http.end_unix_ns = srv.start_unix_ns + 2000000;
	strcpy(http.method, "GET");
	strcpy(http.path, "/v1/pay");
	strcpy(http.host, "pay.example");
	http.tls = 1;
	http.status = 503;
	http.is_error = 1;
	strcpy(http.error_type, "503");
	strcpy(http.server_addr, "10.0.0.1");
	http.server_port = 443;
	http.client_port = 40000;
	http.service_name = "shop";

	pg = http;
	memset(pg.span_id, 0x44, 8);
	memset(pg.method, 0, sizeof(pg.method));
	pg.status = 0;
	strcpy(pg.db_system, "postgresql");
	strcpy(pg.db_name, "shop");
	strcpy(pg.db_user, "shopper");
	strcpy(pg.db_operation, "SELECT");
	strcpy(pg.db_query, "SELECT * FROM t WHERE a = ?");
	strcpy(pg.error_type, "42P01");
	strcpy(pg.error_message, "relation \"t\" does not exist");
	pg.server_port = 5432;

	redis = http;
	memset(redis.span_id, 0x55, 8);
	redis.status = 0;
	redis.is_error = 0;
	strcpy(redis.db_system, "redis");
	strcpy(redis.db_query, "GET k");
	redis.server_port = 6379;

	calls[0] = &http;
	calls[1] = &pg;
	calls[2] = &redis;
	for (int i = 0; i < 3; i++)
		views[i] = view_of(calls[i]);
	text = xray_segment_encode_calls(&srv, view_of(&srv), calls, views, 3, NULL, XRAY_DOC_MAX,
					 &cut, &embedded);
	CHECK(text != NULL);
	CHECK_INT(embedded, 1);
	CHECK_INT(cut, 0);
	doc = cJSON_Parse(text);
	subs = cJSON_GetObjectItem(doc, "subsegments");
	CHECK_INT(cJSON_GetArraySize(subs), 3);
	s = cJSON_GetArrayItem(subs, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "id")), "3333333333333333");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")), "pay.example");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "namespace")), "remote");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
			  cJSON_GetObjectItem(cJSON_GetObjectItem(s, "http"), "request"), "url")),
		  "https://pay.example/v1/pay");
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "http"),
							  "response"),
				      "status")
			  ->valueint,
		  503);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(s, "fault")));
	CHECK(!cJSON_HasObjectItem(s, "trace_id")); /* embedded: no trace_id, no type */
	CHECK(!cJSON_HasObjectItem(s, "type"));
	s = cJSON_GetArrayItem(subs, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")), "shop@10.0.0.1");
	{
		cJSON *sql = cJSON_GetObjectItem(s, "sql"), *exc;

		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(sql, "sanitized_query")),
			  "SELECT * FROM t WHERE a = ?");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(sql, "database_type")),
			  "PostgreSQL");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(sql, "user")), "shopper");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(sql, "url")),
			  "postgresql://10.0.0.1:5432/shop");
		exc = cJSON_GetArrayItem(
			cJSON_GetObjectItem(cJSON_GetObjectItem(s, "cause"), "exceptions"), 0);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(exc, "type")), "42P01");
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(exc, "remote")));
	}
	s = cJSON_GetArrayItem(subs, 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")), "redis@10.0.0.1");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "namespace")), "remote");
	cJSON_Delete(doc);
	free(text);

	/* Too big for one document: the segment alone, the calls sent independently. */
	for (int i = 0; i < 3; i++)
		views[i] = view_of(calls[i]);
	text = xray_segment_encode_calls(&srv, view_of(&srv), calls, views, 3, NULL, 900, &cut,
					 &embedded);
	CHECK(text != NULL);
	CHECK_INT(embedded, 0);
	CHECK(text && !strstr(text, "subsegments"));
	free(text);

	text = xray_subsegment_encode(&http, view_of(&http), XRAY_DOC_MAX);
	doc = cJSON_Parse(text);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "type")), "subsegment");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "trace_id")),
		  "1-11111111-111111111111111111111111");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "parent_id")), "2222222222222222");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "id")), "3333333333333333");
	cJSON_Delete(doc);
	free(text);

	/* A call outside any request: a segment of the service holding it. */
	http.has_parent = 0;
	text = xray_call_segment_encode(&http, view_of(&http), NULL, XRAY_DOC_MAX);
	doc = cJSON_Parse(text);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "name")), "shop");
	CHECK(!cJSON_HasObjectItem(doc, "parent_id"));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "subsegments")), 1);
	CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "id")), "3333333333333333") !=
	      0);
	cJSON_Delete(doc);
	free(text);
}

int main(void)
{
	clock_calibrate();
	proc_init("test-service");
	conn_init();
	export_register(&recorder);

	test_http_call_inside_request();
	test_root_call_and_5xx();
	test_parent_by_thread();
	test_caller_context();
	test_tls_plaintext();
	test_postgresql();
	test_redis();
	test_sniff();
	test_tls_lib_names();
	test_xray_subsegments();

	conn_fini();
	http_server_fini();
	proc_fini();
	return check_summary("client_calls");
}
