// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the span view, and for the answers the exporters now give alike because they
 * read it: url.full with its port and IPv6 brackets, one X-Forwarded-For hop, stdout's name
 * and client.port. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "export/export.h"
#include "export/honeycomb/honeycomb_event.h"
#include "export/otlp/otlp_json.h"
#include "export/rollbar/rollbar_item.h"
#include "export/xray/xray_segment.h"
#include "span/exception.h"
#include "spans.h"
#include "view_of.h"

static void http_client(struct span *c, const char *host, const char *addr, int port, int tls)
{
	fixture_db(c);
	c->db_system[0] = c->db_name[0] = c->db_user[0] = c->db_operation[0] = '\0';
	c->db_query[0] = '\0';
	c->is_error = 0;
	strcpy(c->protocol, "http");
	strcpy(c->method, "GET");
	strcpy(c->path, "/inventory");
	snprintf(c->host, sizeof(c->host), "%s", host);
	snprintf(c->server_addr, sizeof(c->server_addr), "%s", addr);
	c->server_port = port;
	c->tls = tls;
	c->status = 200;
}

static void test_names(void)
{
	struct span s;

	fixture_server(&s);
	CHECK_STR(view_of(&s)->name, "GET /api/activities/{id}");
	CHECK_INT(view_of(&s)->name_len, strlen("GET /api/activities/{id}"));
	s.route[0] = '\0';
	CHECK_STR(view_of(&s)->name, "GET");
	s.method[0] = '\0';
	CHECK_STR(view_of(&s)->name, "HTTP");
	fixture_db(&s);
	CHECK_STR(view_of(&s)->name, "SELECT shop");
	s.db_name[0] = '\0';
	CHECK_STR(view_of(&s)->name, "SELECT");
	s.db_operation[0] = '\0';
	CHECK_STR(view_of(&s)->name, "postgresql");
	http_client(&s, "", "10.0.0.7", 8080, 0);
	strcpy(s.route, "/ignored"); /* a call has no route */
	CHECK_STR(view_of(&s)->name, "GET");
}

static void test_url_full(void)
{
	struct span s;

	http_client(&s, "api.example.com:8443", "93.184.216.34", 8443, 1);
	CHECK_STR(view_of(&s)->url_full, "https://api.example.com:8443/inventory");
	http_client(&s, "", "10.0.0.7", 8080, 0);
	CHECK_STR(view_of(&s)->url_full, "http://10.0.0.7:8080/inventory");
	CHECK_INT(view_of(&s)->url_full_len, strlen("http://10.0.0.7:8080/inventory"));
	http_client(&s, "", "10.0.0.7", 80, 0);
	CHECK_STR(view_of(&s)->url_full, "http://10.0.0.7/inventory"); /* the default port */
	http_client(&s, "", "10.0.0.7", 443, 1);
	CHECK_STR(view_of(&s)->url_full, "https://10.0.0.7/inventory");
	http_client(&s, "", "10.0.0.7", 443, 0);
	CHECK_STR(view_of(&s)->url_full, "http://10.0.0.7:443/inventory");
	http_client(&s, "", "fd00::7", 9000, 0);
	CHECK_STR(view_of(&s)->url_full, "http://[fd00::7]:9000/inventory");
	http_client(&s, "", "fd00::7", 443, 1);
	CHECK_STR(view_of(&s)->url_full, "https://[fd00::7]/inventory");
	http_client(&s, "", "", -1, 0);
	CHECK_STR(view_of(&s)->url_full, "http://localhost/inventory");
	/* A query arriving unredacted is redacted here, once for every exporter. */
	http_client(&s, "", "10.0.0.7", 8080, 0);
	strcpy(s.query, "api_key=s3cr3t&page=");
	s.has_query = 1;
	CHECK_STR(view_of(&s)->query, "api_key=REDACTED&page=REDACTED");
	CHECK_STR(view_of(&s)->url_full, "http://10.0.0.7:8080/inventory?api_key=REDACTED&page=REDACTED");
	s.query[0] = '\0'; /* "/inventory?" */
	CHECK_STR(view_of(&s)->url_full, "http://10.0.0.7:8080/inventory?");
	/* Server spans: the address the request came in on. */
	fixture_server(&s);
	CHECK_STR(view_of(&s)->url_full, "http://127.0.0.1:8000/api/activities/42?limit=REDACTED");
	strcpy(s.server_addr, "::1");
	CHECK_STR(view_of(&s)->url_full, "http://[::1]:8000/api/activities/42?limit=REDACTED");
	/* Database calls have none. */
	fixture_db(&s);
	CHECK_STR(view_of(&s)->url_full, "");
	CHECK_INT(view_of(&s)->url_full_len, 0);
}

static void test_forwarded(void)
{
	static const struct {
		const char *xff, *want;
	} cases[] = {
		{ "203.0.113.7", "203.0.113.7" },
		{ " 203.0.113.7 , 10.0.0.1", "203.0.113.7" },
		{ "\t198.51.100.2,10.0.0.1", "198.51.100.2" },
		{ "203.0.113.7:4711, 10.0.0.1", "203.0.113.7" },
		{ "[2001:db8::1]:443, 10.0.0.1", "2001:db8::1" },
		{ "[2001:db8::1]", "2001:db8::1" },
		{ "2001:db8::1, 10.0.0.1", "2001:db8::1" },
		{ ", 10.0.0.1", "" },
		{ "", "" },
		{ "[2001:db8::1", "" },
		{ "unknown", "unknown" },
	};
	char out[SPAN_XFF_MAX], tiny[4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(span_forwarded_client(cases[i].xff, out, sizeof(out)),
			  strlen(cases[i].want));
		CHECK_STR(out, cases[i].want);
	}
	CHECK_INT(span_forwarded_client("203.0.113.7", tiny, sizeof(tiny)), 3);
	CHECK_STR(tiny, "203");
}

static void test_client_and_outcome(void)
{
	struct span s, c;
	struct pytb_report r;
	const struct span_view *v;

	fixture_server(&s);
	v = view_of(&s);
	CHECK_STR(v->client_socket_addr, "10.1.2.3");
	CHECK_INT(v->client_port, 51000);
	CHECK_STR(v->client_forwarded_addr, "");
	CHECK_STR(v->server_name, "127.0.0.1");
	CHECK_STR(v->trace_id, "0af7651916cd43dd8448eb211c80319c");
	CHECK_STR(v->span_id, "b7ad6b7169203331");
	CHECK_STR(v->parent_id, "");
	CHECK(v->duration_ms > 177.877 && v->duration_ms < 177.878);
	CHECK_INT(v->is_error + v->http_4xx + v->throttle + v->fault, 0);
	CHECK_STR(v->error_type, "");
	CHECK(v->exception == NULL && v->stacktrace == NULL && v->exception_source == NULL);
	strcpy(s.x_forwarded_for, "203.0.113.7, 10.0.0.1");
	CHECK_STR(view_of(&s)->client_forwarded_addr, "203.0.113.7");
	CHECK_STR(view_of(&s)->client_socket_addr, "10.1.2.3"); /* both kept */
	s.client_addr[0] = '\0';
	CHECK_INT(view_of(&s)->client_port, -1); /* no port without its address */
	s.end_unix_ns = s.start_unix_ns - 1;
	CHECK(view_of(&s)->duration_ms == 0);

	fixture_server(&s);
	s.status = 429;
	v = view_of(&s);
	CHECK_INT(v->http_4xx, 1);
	CHECK_INT(v->throttle, 1);
	CHECK_INT(v->is_error, 0); /* the client's fault */
	CHECK_INT(v->fault, 0);
	s.status = 503;
	v = view_of(&s);
	CHECK_INT(v->is_error, 1);
	CHECK_INT(v->fault, 1);
	CHECK_INT(v->http_4xx, 0);
	CHECK_STR(v->error_type, "503");

	fixture_failed(&s, &r);
	s.exception_source = EXCEPTION_FROM_INTERPRETER;
	v = view_of(&s);
	CHECK_STR(v->parent_id, "00f067aa0ba902b7");
	CHECK(v->exception == &r.chain[1]);
	CHECK_STR(v->exception_source, "interpreter");
	CHECK_STR(v->exception_text, "ValueError: no such item");
	CHECK_INT(v->exception_text_len, strlen("ValueError: no such item"));
	CHECK_STR(v->error_type, "ValueError");
	CHECK_STR(v->stacktrace, FIXTURE_STACK);
	CHECK_INT(v->stacktrace_len, strlen(FIXTURE_STACK));
	s.status = 200; /* an exception fails the request whatever the status said */
	CHECK_INT(view_of(&s)->is_error, 1);
	CHECK_INT(view_of(&s)->fault, 0);
	r.chain[1].message[0] = '\0';
	s.exception_source = EXCEPTION_FROM_TEXT;
	CHECK_STR(view_of(&s)->exception_text, "ValueError");
	CHECK_STR(view_of(&s)->exception_source, "traceback_text");
	{
		struct span_view nostack;

		span_view_build(&nostack, &s, NULL, 0);
		CHECK(nostack.stacktrace == NULL && nostack.exception != NULL);
	}

	fixture_db(&c);
	v = view_of(&c);
	CHECK_INT(v->is_error, 1);
	CHECK_INT(v->fault, 1);
	CHECK_STR(v->error_type, "42P01");
	CHECK_INT(v->client_port, -1); /* a call's local end is not a client */
	CHECK_STR(v->server_name, "10.0.0.9");
	http_client(&c, "api.example.com:8443", "93.184.216.34", 8443, 1);
	c.status = 404;
	v = view_of(&c);
	CHECK_INT(v->is_error, 1);
	CHECK_INT(v->fault, 0); /* the call itself did not fail */
	CHECK_INT(v->http_4xx, 1);
	CHECK_STR(v->error_type, "404");
	CHECK_STR(v->server_name, "api.example.com");
	CHECK_INT(v->server_name_len, strlen("api.example.com"));
	CHECK_INT(v->error_type_len, 3);
	http_client(&c, "[::1]:8443", "::1", 8443, 1);
	CHECK_STR(view_of(&c)->server_name, "[::1]:8443");
}

/* ---- the exporters read the view, so they agree ---- */

static cJSON *parse_free(char *text)
{
	cJSON *j = text ? cJSON_Parse(text) : NULL;

	free(text);
	return j;
}

/* The value of an OTLP attribute, from a span's "attributes" list. */
static const char *otlp_attr(cJSON *span, const char *key)
{
	cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(span, "attributes"))
	{
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "key")), key))
			return cJSON_GetStringValue(
				cJSON_GetObjectItem(cJSON_GetObjectItem(a, "value"), "stringValue"));
	}
	return NULL;
}

/* Honeycomb and OTLP used to write "http://fd00::7/inventory": no port, no brackets. */
static void test_url_full_everywhere(void)
{
	static const char *const want[] = { "http://[fd00::7]:9000/inventory",
					    "http://10.0.0.7:8080/inventory",
					    "https://api.example.com:8443/inventory" };
	struct span c[3];
	cJSON *j;

	http_client(&c[0], "", "fd00::7", 9000, 0);
	http_client(&c[1], "", "10.0.0.7", 8080, 0);
	http_client(&c[2], "api.example.com:8443", "93.184.216.34", 8443, 1);
	for (int i = 0; i < 3; i++) {
		const struct span_view *v = view_of(&c[i]);

		j = parse_free(hny_event_encode(&c[i], v, NULL, 1, HNY_EVENT_MAX, NULL));
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"),
								   "url.full")),
			  want[i]);
		cJSON_Delete(j);
		j = parse_free(otlp_span_json(&c[i], v));
		CHECK_STR(otlp_attr(j, "url.full"), want[i]);
		cJSON_Delete(j);
		j = parse_free(xray_subsegment_encode(&c[i], v, XRAY_DOC_MAX));
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
				  cJSON_GetObjectItem(cJSON_GetObjectItem(j, "http"), "request"),
				  "url")),
			  want[i]);
		cJSON_Delete(j);
	}
}

/* X-Ray's client_ip and Rollbar's user_ip: one parse of X-Forwarded-For, one answer. An empty
 * first hop used to give X-Ray "" and Rollbar nothing at all. */
static void test_forwarded_everywhere(void)
{
	static const struct rollbar_item_opts ro = { .environment = "test" };
	static const struct {
		const char *xff, *want;
	} cases[] = {
		{ " 203.0.113.7 , 10.0.0.1", "203.0.113.7" },
		{ ", 10.0.0.1", "10.1.2.3" }, /* no first hop: the socket's peer */
		{ "[2001:db8::1]:443", "2001:db8::1" },
		{ "203.0.113.7:4711", "203.0.113.7" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span s;
		const struct span_view *v;
		cJSON *x, *r;

		fixture_server(&s);
		s.status = 500;
		strcpy(s.x_forwarded_for, cases[i].xff);
		v = view_of(&s);
		x = parse_free(xray_segment_encode(&s, v, NULL, XRAY_DOC_MAX, NULL));
		r = parse_free(rollbar_item_encode(&s, v, &ro, "u", 0, ROLLBAR_ITEM_MAX, NULL));
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
				  cJSON_GetObjectItem(cJSON_GetObjectItem(x, "http"), "request"),
				  "client_ip")),
			  cases[i].want);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
				  cJSON_GetObjectItem(cJSON_GetObjectItem(r, "data"), "request"),
				  "user_ip")),
			  cases[i].want);
		cJSON_Delete(x);
		cJSON_Delete(r);
	}
}

/* stdout, through the registry as pyspan runs it: what one span prints. */
static cJSON *stdout_line(struct span *s)
{
	char tmpl[] = "/tmp/pyspan-view-XXXXXX", buf[8192];
	int fd = mkstemp(tmpl), saved = dup(1);
	ssize_t n = -1;

	fflush(stdout);
	if (fd >= 0 && saved >= 0 && dup2(fd, 1) == 1) {
		export_span(s);
		fflush(stdout);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	}
	dup2(saved, 1);
	close(saved);
	close(fd);
	unlink(tmpl);
	buf[n > 0 ? n : 0] = '\0';
	return cJSON_Parse(buf);
}

/* stdout used to name a request without a route "GET " and to write client.port alone. */
static void test_stdout(void)
{
	struct span s;
	cJSON *j;

	fixture_server(&s);
	s.route[0] = '\0';
	j = stdout_line(&s);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")), "GET");
	CHECK_INT(cJSON_GetObjectItem(j, "client.port")->valueint, 51000);
	cJSON_Delete(j);
	fixture_server(&s);
	s.client_addr[0] = '\0';
	j = stdout_line(&s);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")), "GET /api/activities/{id}");
	CHECK(j && !cJSON_HasObjectItem(j, "client.address"));
	CHECK(j && !cJSON_HasObjectItem(j, "client.port"));
	cJSON_Delete(j);
}

int main(void)
{
	test_names();
	test_url_full();
	test_forwarded();
	test_client_and_outcome();
	test_url_full_everywhere();
	test_forwarded_everywhere();
	export_register(export_stdout_new());
	test_stdout();
	return check_summary("span_view");
}
