// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the OTLP/HTTP JSON exporter: spans, resources and log records against
 * the OTLP/HTTP JSON encoding, header lists, endpoints, envelopes, and partial success. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "check.h"
#include "view_of.h"
#include "export/otlp/otlp.h"
#include "export/otlp/otlp_json.h"
#include "lib/otel_kv.h"
#include "net/gzip.h"
#include "spans.h"

static cJSON *parse_free(char *t)
{
	cJSON *j = t ? cJSON_Parse(t) : NULL;

	free(t);
	return j;
}

static const char *str(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -12345;
}

/* The value object of attribute key in an attributes array. */
static cJSON *attr(cJSON *attrs, const char *key)
{
	cJSON *a;

	cJSON_ArrayForEach(a, attrs)
		if (str(a, "key") && strcmp(str(a, "key"), key) == 0)
			return cJSON_GetObjectItemCaseSensitive(a, "value");
	return NULL;
}

static void test_kv(void)
{
	struct otel_kv kv[OTEL_HEADERS_MAX];
	char err[256];

	CHECK_INT(otel_kv_parse("api-key=secret%20value, x-tenant = a=b ,,", kv, 8, 1, err,
				sizeof(err)), 2);
	CHECK_STR(kv[0].key, "api-key");
	CHECK_STR(kv[0].value, "secret value");
	CHECK_STR(kv[1].key, "x-tenant");
	CHECK_STR(kv[1].value, "a=b");
	CHECK_INT(otel_kv_parse("", kv, 8, 1, err, sizeof(err)), 0);
	CHECK_INT(otel_kv_parse("k=%2C%3d", kv, 8, 1, err, sizeof(err)), 1);
	CHECK_STR(kv[0].value, ",=");
	CHECK_INT(otel_kv_parse("novalue", kv, 8, 1, err, sizeof(err)), -1);
	CHECK_STR(err, "member 1 has no '=' (want key=value)");
	CHECK_INT(otel_kv_parse("a=1,=v", kv, 8, 1, err, sizeof(err)), -1);
	CHECK_STR(err, "member 2 has an empty key");
	CHECK_INT(otel_kv_parse("bad key=v", kv, 8, 1, err, sizeof(err)), -1);
	CHECK_INT(otel_kv_parse("bad key=v", kv, 8, 0, err, sizeof(err)), 1); /* attributes */
	CHECK_INT(otel_kv_parse("k=%zz", kv, 8, 1, err, sizeof(err)), -1);
	CHECK_STR(err, "member 1 (k): bad %XX escape in the value");
	CHECK_INT(otel_kv_parse("k=50%", kv, 8, 1, err, sizeof(err)), -1);
	/* A decoded line break would smuggle a header in; the error never quotes the value. */
	CHECK_INT(otel_kv_parse("k=x%0d%0aEvil: 1", kv, 8, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "Evil") == NULL);
	CHECK_INT(otel_kv_parse("a=1,b=2,c=3", kv, 2, 1, err, sizeof(err)), -1);
	CHECK_STR(err, "more than 2 members");
}

static void test_urls(void)
{
	char u[300];

	otlp_signal_url("http://collector:4318", NULL, OTLP_TRACES, u, sizeof(u));
	CHECK_STR(u, "http://collector:4318/v1/traces");
	otlp_signal_url("http://collector:4318/", NULL, OTLP_LOGS, u, sizeof(u));
	CHECK_STR(u, "http://collector:4318/v1/logs");
	otlp_signal_url("https://gw/otlp//", "", OTLP_TRACES, u, sizeof(u));
	CHECK_STR(u, "https://gw/otlp/v1/traces");
	otlp_signal_url("http://ignored:1", "http://x:9/custom", OTLP_TRACES, u, sizeof(u));
	CHECK_STR(u, "http://x:9/custom"); /* a signal's own URL is used as is */
	otlp_signal_url(NULL, NULL, OTLP_TRACES, u, sizeof(u));
	CHECK_STR(u, "http://localhost:4318/v1/traces");
}

static void test_span(void)
{
	struct span s;
	struct pytb_report r;
	cJSON *o, *a, *v, *ev, *st;

	fixture_server(&s);
	o = parse_free(otlp_span_json(&s, view_of(&s)));
	CHECK_STR(str(o, "traceId"), "0af7651916cd43dd8448eb211c80319c");
	CHECK_STR(str(o, "spanId"), "b7ad6b7169203331");
	CHECK(str(o, "parentSpanId") == NULL);
	CHECK_STR(str(o, "name"), "GET /api/activities/{id}");
	CHECK_INT(num(o, "kind"), 2);
	CHECK_INT(num(o, "flags"), 0x101);
	CHECK_STR(str(o, "startTimeUnixNano"), "1478293361271123456");
	CHECK_STR(str(o, "endTimeUnixNano"), "1478293361449000999");
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_STR(str(attr(a, "http.request.method"), "stringValue"), "GET");
	CHECK_STR(str(attr(a, "url.path"), "stringValue"), "/api/activities/42");
	CHECK_STR(str(attr(a, "url.query"), "stringValue"), "limit=REDACTED");
	CHECK_STR(str(attr(a, "url.scheme"), "stringValue"), "http");
	CHECK_STR(str(attr(a, "http.route"), "stringValue"), "/api/activities/{id}");
	CHECK_STR(str(attr(a, "http.response.status_code"), "intValue"), "200");
	CHECK_STR(str(attr(a, "server.address"), "stringValue"), "127.0.0.1");
	CHECK_STR(str(attr(a, "server.port"), "intValue"), "8000");
	CHECK_STR(str(attr(a, "client.address"), "stringValue"), "10.1.2.3");
	CHECK_STR(str(attr(a, "user_agent.original"), "stringValue"), "curl/7.88.1");
	CHECK_STR(str(attr(a, "network.protocol.version"), "stringValue"), "1.1");
	CHECK_STR(str(attr(a, "thread.id"), "intValue"), "4243");
	CHECK(attr(a, "process.pid") == NULL); /* a resource attribute */
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "status") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "events") == NULL);
	/* No snake_case anywhere. */
	{
		char *t = cJSON_PrintUnformatted(o);

		CHECK(strstr(t, "_unix_nano") == NULL && strstr(t, "span_id") == NULL);
		free(t);
	}
	cJSON_Delete(o);

	/* Server 4xx: UNSET. */
	s.status = 404;
	o = parse_free(otlp_span_json(&s, view_of(&s)));
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "status") == NULL);
	cJSON_Delete(o);

	fixture_failed(&s, &r);
	o = parse_free(otlp_span_json(&s, view_of(&s)));
	CHECK_STR(str(o, "parentSpanId"), "00f067aa0ba902b7");
	CHECK_INT(num(o, "flags"), 0x301); /* the parent is remote */
	st = cJSON_GetObjectItemCaseSensitive(o, "status");
	CHECK_INT(num(st, "code"), 2);
	CHECK_STR(str(st, "message"), "ValueError: no such item");
	ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "events"), 0);
	CHECK_STR(str(ev, "name"), "exception");
	CHECK_STR(str(ev, "timeUnixNano"), "1478293361449000999");
	a = cJSON_GetObjectItemCaseSensitive(ev, "attributes");
	CHECK_STR(str(attr(a, "exception.type"), "stringValue"), "ValueError");
	CHECK_STR(str(attr(a, "exception.message"), "stringValue"), "no such item");
	CHECK_STR(str(attr(a, "exception.stacktrace"), "stringValue"), FIXTURE_STACK);
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_STR(str(attr(a, "error.type"), "stringValue"), "ValueError");
	cJSON_Delete(o);

	fixture_db(&s);
	o = parse_free(otlp_span_json(&s, view_of(&s)));
	CHECK_INT(num(o, "kind"), 3);
	CHECK_INT(num(o, "flags"), 0x101); /* a client span's parent is in this process */
	CHECK_STR(str(o, "name"), "SELECT shop");
	st = cJSON_GetObjectItemCaseSensitive(o, "status");
	CHECK_INT(num(st, "code"), 2);
	CHECK_STR(str(st, "message"), "relation \"items\" does not exist");
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_STR(str(attr(a, "db.system.name"), "stringValue"), "postgresql");
	CHECK_STR(str(attr(a, "db.query.text"), "stringValue"),
		  "SELECT * FROM items WHERE id = ?");
	CHECK_STR(str(attr(a, "error.type"), "stringValue"), "42P01");
	CHECK_STR(str(attr(a, "server.port"), "intValue"), "5432");
	v = attr(a, "pyspan.tls");
	CHECK(v == NULL);
	cJSON_Delete(o);
}

static void test_resource_and_logs(void)
{
	struct otel_kv extra[2] = { { "deployment.environment", "prod" },
				    { "service.name", "ignored" } };
	struct otlp_resource_opts ro = { "2.0.1", "web-1", extra, 2 };
	struct log_record r = { 0 };
	cJSON *o, *a;

	o = parse_free(otlp_resource_json("shop-api", 4242, &ro));
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_INT(cJSON_GetArraySize(a), 5);
	CHECK_STR(str(attr(a, "service.name"), "stringValue"), "shop-api");
	CHECK_STR(str(attr(a, "service.version"), "stringValue"), "2.0.1");
	CHECK_STR(str(attr(a, "process.pid"), "intValue"), "4242");
	CHECK_STR(str(attr(a, "host.name"), "stringValue"), "web-1");
	CHECK_STR(str(attr(a, "deployment.environment"), "stringValue"), "prod");
	cJSON_Delete(o);
	o = parse_free(otlp_resource_json(NULL, 1, NULL));
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_STR(str(attr(a, "service.name"), "stringValue"), "unknown_service");
	cJSON_Delete(o);

	r.time_unix_ns = 1700000000123456789ull;
	r.pid = 4242;
	r.tid = 4243;
	r.stream = LOGREC_STDERR;
	r.source = "stderr";
	r.text = "ERROR:app:payment failed\nsecond line";
	r.len = 24; /* only the first line */
	r.severity = 17;
	r.severity_text = "ERROR";
	r.has_trace = 1;
	memcpy(r.trace_id, fixture_trace, 16);
	memcpy(r.span_id, fixture_span, 8);
	o = parse_free(otlp_log_json(&r, 1700000000200000000ull));
	CHECK_STR(str(o, "timeUnixNano"), "1700000000123456789");
	CHECK_STR(str(o, "observedTimeUnixNano"), "1700000000200000000");
	CHECK_INT(num(o, "severityNumber"), 17);
	CHECK_STR(str(o, "severityText"), "ERROR");
	CHECK_STR(str(cJSON_GetObjectItemCaseSensitive(o, "body"), "stringValue"),
		  "ERROR:app:payment failed");
	CHECK_STR(str(o, "traceId"), "0af7651916cd43dd8448eb211c80319c");
	CHECK_STR(str(o, "spanId"), "b7ad6b7169203331");
	CHECK_INT(num(o, "flags"), 1);
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_STR(str(attr(a, "log.iostream"), "stringValue"), "stderr");
	CHECK_STR(str(attr(a, "thread.id"), "intValue"), "4243");
	cJSON_Delete(o);
	r.has_trace = 0;
	r.severity = 0;
	r.severity_text = NULL;
	r.stream = LOGREC_FILE;
	r.source = "/var/log/app.log";
	o = parse_free(otlp_log_json(&r, 1));
	CHECK(str(o, "traceId") == NULL && str(o, "spanId") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "severityNumber") == NULL);
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	CHECK_STR(str(attr(a, "log.file.path"), "stringValue"), "/var/log/app.log");
	cJSON_Delete(o);
}

static struct delivery_item *item(const char *res, const char *rec)
{
	struct delivery_item *it = calloc(1, sizeof(*it));

	it->data = otlp_item(res, rec, &it->len);
	return it;
}

static void free_items(struct delivery_item **items, int n)
{
	for (int i = 0; i < n; i++) {
		free(items[i]->data);
		free(items[i]);
	}
}

static const char *header(const struct delivery_request *rq, const char *name)
{
	for (int i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

static void test_requests(void)
{
	struct otlp_opts oo = { .endpoint = "http://127.0.0.1:9",
				.headers = "x-api-key=abc%3D%3D,X-Tenant=t1", .gzip = 1 };
	struct exporter *ex = export_otlp_new(&oo);
	void *ctx = ex ? otlp_test_ctx(ex, OTLP_TRACES) : NULL;
	void *lctx = ex ? otlp_test_ctx(ex, OTLP_LOGS) : NULL;
	struct delivery_item *items[3] = { item("{\"attributes\":[1]}", "{\"spanId\":\"a\"}"),
					   item("{\"attributes\":[2]}", "{\"spanId\":\"b\"}"),
					   item("{\"attributes\":[1]}", "{\"spanId\":\"c\"}") };
	struct delivery_request rq;
	enum delivery_outcome out[3];
	struct http_response r = { 0 };
	double ra = -1;
	size_t bl;
	char *body;

	CHECK(ctx != NULL);
	if (!ctx)
		return;
	memset(&rq, 0, sizeof(rq));
	CHECK_INT(otlp_build(ctx, items, 3, &rq), 0);
	CHECK_STR(rq.url, "http://127.0.0.1:9/v1/traces");
	CHECK_STR(header(&rq, "Content-Type"), "application/json");
	CHECK_STR(header(&rq, "Content-Encoding"), "gzip");
	CHECK_STR(header(&rq, "x-api-key"), "abc==");
	CHECK_STR(header(&rq, "X-Tenant"), "t1");
	body = gzip_decompress(rq.body, rq.len, 1 << 20, &bl);
	/* One entry per resource, first seen first; records keep queue order within it. */
	CHECK_STR(body, "{\"resourceSpans\":["
			"{\"resource\":{\"attributes\":[1]},\"scopeSpans\":[{\"scope\":"
			"{\"name\":\"pyspan\",\"version\":\"" PYSPAN_VERSION "\"},\"spans\":["
			"{\"spanId\":\"a\"},{\"spanId\":\"c\"}]}]},"
			"{\"resource\":{\"attributes\":[2]},\"scopeSpans\":[{\"scope\":"
			"{\"name\":\"pyspan\",\"version\":\"" PYSPAN_VERSION "\"},\"spans\":["
			"{\"spanId\":\"b\"}]}]}]}");
	free(body);
	free(rq.body);
	memset(&rq, 0, sizeof(rq));
	CHECK_INT(otlp_build(lctx, items, 1, &rq), 0);
	CHECK_STR(rq.url, "http://127.0.0.1:9/v1/logs");
	body = gzip_decompress(rq.body, rq.len, 1 << 20, &bl);
	CHECK(body && strstr(body, "{\"resourceLogs\":[{\"resource\":") == body);
	CHECK(body && strstr(body, "\"scopeLogs\":[{\"scope\":") != NULL);
	CHECK(body && strstr(body, "\"logRecords\":[{\"spanId\":\"a\"}]") != NULL);
	free(body);
	free(rq.body);

	/* Partial success: that many are dropped, the rest sent, nothing retried. */
	r.status = 200;
	r.retry_after_s = -1;
	r.body = "{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"bad span\"}}";
	otlp_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0], DELIVERY_SENT);
	CHECK_INT(out[1], DELIVERY_DROP);
	CHECK_INT(out[2], DELIVERY_DROP);
	r.body = "{\"partialSuccess\":{\"rejectedSpans\":9}}";
	otlp_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_DROP);
	r.body = "{\"partialSuccess\":{\"rejectedLogRecords\":\"1\"}}";
	otlp_result(ctx, items, 3, &r, out, &ra); /* a logs field on a traces answer */
	CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_SENT);
	otlp_result(lctx, items, 3, &r, out, &ra);
	CHECK_INT(out[2], DELIVERY_DROP);
	CHECK_INT(out[0] + out[1], 2 * DELIVERY_SENT);
	r.body = "{}";
	otlp_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_SENT);
	{
		char desc[512];

		ex->describe(ex, desc, sizeof(desc));
		CHECK(strstr(desc, "5 spans and 1 log records rejected") != NULL);
	}
	/* Only 429, 502, 503, 504 are retried, with the server's Retry-After. */
	long retry[] = { 429, 502, 503, 504 }, drop[] = { 400, 401, 403, 404, 408, 413, 500 };
	r.body = "{\"message\":\"slow down\"}";
	for (size_t k = 0; k < 4; k++) {
		r.status = retry[k];
		r.retry_after_s = 7;
		otlp_result(ctx, items, 3, &r, out, &ra);
		CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_RETRY);
		CHECK(ra == 7);
	}
	for (size_t k = 0; k < sizeof(drop) / sizeof(drop[0]); k++) {
		r.status = drop[k];
		otlp_result(ctx, items, 3, &r, out, &ra);
		CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_DROP);
	}
	free_items(items, 3);
	ex->close(ex);
	free(ex);
}

static void test_settings_and_logs(void)
{
	struct otlp_opts oo = { .headers = "novalue" };
	struct delivery_limits l;
	struct delivery_stats st;
	struct log_record r = { 0 };
	struct exporter *ex;

	CHECK(export_otlp_new(&oo) == NULL);
	oo.headers = NULL;
	oo.traces_endpoint = "collector:4318/v1/traces";
	CHECK(export_otlp_new(&oo) == NULL);
	oo.traces_endpoint = NULL;
	oo.resource_attributes = "a=%G1";
	CHECK(export_otlp_new(&oo) == NULL);
	oo.resource_attributes = "team=payments";
	oo.endpoint = "http://127.0.0.1:9";
	ex = export_otlp_new(&oo);
	CHECK(ex != NULL && ex->log != NULL);
	if (ex) {
		/* A synthetic record reaches the logs queue, not the traces one. */
		r.text = "hello";
		r.len = 5;
		r.stream = LOGREC_STDOUT;
		ex->log(ex, &r);
		for (int i = 0; i < delivery_count(); i++) {
			if (strcmp(delivery_name(delivery_at(i)), "otlp logs") == 0) {
				delivery_get_stats(delivery_at(i), &st);
				CHECK_INT(st.queued_items, 1);
			} else if (strcmp(delivery_name(delivery_at(i)), "otlp traces") == 0) {
				delivery_get_stats(delivery_at(i), &st);
				CHECK_INT(st.queued_items, 0);
			}
		}
		ex->close(ex);
		CHECK_INT(ex->dropped, 1); /* nobody listens on port 9 and the deadline is 0 */
		free(ex);
	}
	otlp_limits(&l);
	CHECK_INT(l.batch_max_items, 512);
	CHECK_INT(l.batch_max_bytes, 4u << 20);
}

int main(void)
{
	test_kv();
	test_urls();
	test_span();
	test_resource_and_logs();
	test_requests();
	test_settings_and_logs();
	return check_summary("test_otlp");
}
