// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the Honeycomb exporter: events field by field against Honeycomb's events API,
 * key kinds and datasets, batch requests, limits, and per-event answers. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "check.h"
#include "view_of.h"
#include "export/honeycomb/honeycomb.h"
#include "export/honeycomb/honeycomb_event.h"
#include "net/gzip.h"
#include "spans.h"

#define ENV_KEY "hcaik_01hq2y3example4environment5key6abcdefghijklmnopqrstuvwxyz12"
#define CLASSIC_KEY "0123456789abcdef0123456789abcdef"

static cJSON *encode(const struct span *s, const struct hny_event_opts *o, int rate,
		     size_t max, int *trimmed)
{
	char *t = hny_event_encode(s, view_of(s), o, rate, max, trimmed);
	cJSON *j = t ? cJSON_Parse(t) : NULL;

	free(t);
	return j;
}

static const char *str(cJSON *d, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(d, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(cJSON *d, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(d, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -12345;
}

static int has(cJSON *d, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(d, k) != NULL;
}

static void test_keys(void)
{
	char key[65];

	CHECK_INT(hny_key_is_classic(""), 1);
	CHECK_INT(hny_key_is_classic(NULL), 1);
	CHECK_INT(hny_key_is_classic(CLASSIC_KEY), 1);
	CHECK_INT(hny_key_is_classic("0123456789ABCDEF0123456789abcdef"), 0);
	CHECK_INT(hny_key_is_classic("0123456789abcdef0123456789abcde"), 0);
	memset(key, 'a', 64);
	key[64] = 0;
	memcpy(key, "hcaic_", 6);
	CHECK_INT(hny_key_is_classic(key), 1); /* a classic ingest key */
	key[4] = 'k';
	CHECK_INT(hny_key_is_classic(key), 0); /* hcaik_: an environment ingest key */
	memcpy(key, "hcxic_", 6);
	key[63] = 'A';
	CHECK_INT(hny_key_is_classic(key), 0); /* uppercase is not in [0-9a-z] */
	CHECK_INT(hny_key_is_classic(ENV_KEY), 0);
	CHECK_INT(hny_key_is_classic("Kd8fQ2xZ9pLmN3vB7cR1sT"), 0); /* configuration key */
}

static void test_datasets(void)
{
	char ds[HNY_DATASET_MAX], ts[32];

	hny_service_dataset("  shop-api \t", ds, sizeof(ds));
	CHECK_STR(ds, "shop-api");
	hny_service_dataset(NULL, ds, sizeof(ds));
	CHECK_STR(ds, "unknown_service");
	hny_service_dataset("   ", ds, sizeof(ds));
	CHECK_STR(ds, "unknown_service");
	hny_service_dataset("unknown_service:python3", ds, sizeof(ds));
	CHECK_STR(ds, "unknown_service");
	hny_rfc3339(1478293361271123456ull, ts);
	CHECK_STR(ts, "2016-11-04T21:02:41.271123456Z");
	hny_rfc3339(0, ts);
	CHECK_STR(ts, "1970-01-01T00:00:00.000000000Z");
}

static void test_server_event(void)
{
	struct otel_kv res[1] = { { "deployment.environment", "staging" } };
	struct hny_event_opts o = { "1.4.2", "web-1", res, 1 };
	struct span s;
	cJSON *ev, *d;
	int trimmed = -1;

	fixture_server(&s);
	ev = encode(&s, &o, 1, HNY_EVENT_MAX, &trimmed);
	CHECK(ev != NULL);
	CHECK_INT(trimmed, 0);
	CHECK_STR(str(ev, "time"), "2016-11-04T21:02:41.271123456Z");
	CHECK(!has(ev, "samplerate")); /* libhoney leaves out 1 */
	d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK_STR(str(d, "trace.trace_id"), "0af7651916cd43dd8448eb211c80319c");
	CHECK_STR(str(d, "trace.span_id"), "b7ad6b7169203331");
	CHECK(!has(d, "trace.parent_id"));
	CHECK_STR(str(d, "name"), "GET /api/activities/{id}");
	CHECK_STR(str(d, "service.name"), "shop-api");
	CHECK_STR(str(d, "service_name"), "shop-api");
	CHECK_STR(str(d, "service.version"), "1.4.2");
	CHECK(num(d, "duration_ms") > 177.877542 && num(d, "duration_ms") < 177.877544);
	CHECK_STR(str(d, "meta.span_type"), "root");
	CHECK_STR(str(d, "span.kind"), "server");
	CHECK_STR(str(d, "meta.local_hostname"), "web-1");
	CHECK_INT(num(d, "process.pid"), 4242);
	CHECK_INT(num(d, "thread.id"), 4243);
	CHECK_STR(str(d, "http.request.method"), "GET");
	CHECK_STR(str(d, "url.path"), "/api/activities/42");
	CHECK_STR(str(d, "url.query"), "limit=REDACTED");
	CHECK_STR(str(d, "url.scheme"), "http");
	CHECK_STR(str(d, "http.route"), "/api/activities/{id}");
	CHECK_INT(num(d, "http.response.status_code"), 200);
	CHECK_INT(num(d, "http.response.body.size"), 231);
	CHECK_STR(str(d, "network.protocol.version"), "1.1");
	CHECK_STR(str(d, "client.address"), "10.1.2.3");
	CHECK_INT(num(d, "client.port"), 51000);
	CHECK_STR(str(d, "server.address"), "127.0.0.1");
	CHECK_INT(num(d, "server.port"), 8000);
	CHECK_STR(str(d, "user_agent.original"), "curl/7.88.1");
	CHECK_STR(str(d, "deployment.environment"), "staging");
	CHECK(!has(d, "error"));
	CHECK(!has(d, "exception.type"));
	cJSON_Delete(ev);

	/* A 404 is the client's fault: not an error span. */
	s.status = 404;
	ev = encode(&s, &o, 10, HNY_EVENT_MAX, NULL);
	CHECK_INT(num(ev, "samplerate"), 10);
	d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK(!has(d, "error"));
	CHECK(!has(d, "error.type"));
	cJSON_Delete(ev);
}

static void test_failed_event(void)
{
	struct span s;
	struct pytb_report r;
	cJSON *ev, *d;
	char *full;
	int trimmed = -1;

	fixture_failed(&s, &r);
	ev = encode(&s, NULL, 1, HNY_EVENT_MAX, &trimmed);
	d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK_STR(str(d, "trace.parent_id"), "00f067aa0ba902b7");
	CHECK_STR(str(d, "meta.span_type"), "subroot");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "error")));
	CHECK_INT(num(d, "status_code"), 2);
	CHECK_INT(num(d, "http.response.status_code"), 500);
	CHECK_STR(str(d, "error.type"), "ValueError");
	CHECK_STR(str(d, "exception.type"), "ValueError");
	CHECK_STR(str(d, "exception.message"), "no such item");
	CHECK_STR(str(d, "exception.stacktrace"), FIXTURE_STACK);
	CHECK(!has(d, "service.version"));
	cJSON_Delete(ev);

	/* Over the size limit the stack trace goes first; the event still says what failed. */
	full = hny_event_encode(&s, view_of(&s), NULL, 1, HNY_EVENT_MAX, NULL);
	ev = encode(&s, NULL, 1, strlen(full) - 1, &trimmed);
	CHECK(ev != NULL);
	CHECK_INT(trimmed, 1);
	d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK(!has(d, "exception.stacktrace"));
	CHECK_STR(str(d, "exception.type"), "ValueError");
	cJSON_Delete(ev);
	/* Still too large: refused (the exporter counts it dropped). */
	CHECK(hny_event_encode(&s, view_of(&s), NULL, 1, 200, &trimmed) == NULL);
	free(full);
}

static void test_client_event(void)
{
	struct span s;
	cJSON *ev, *d;

	fixture_db(&s);
	ev = encode(&s, NULL, 1, HNY_EVENT_MAX, NULL);
	d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK_STR(str(d, "name"), "SELECT shop");
	CHECK_STR(str(d, "span.kind"), "client");
	CHECK_STR(str(d, "meta.span_type"), "leaf");
	CHECK_STR(str(d, "trace.parent_id"), "b7ad6b7169203331");
	CHECK_STR(str(d, "db.system.name"), "postgresql");
	CHECK_STR(str(d, "db.namespace"), "shop");
	CHECK_STR(str(d, "db.user"), "app");
	CHECK_STR(str(d, "db.operation.name"), "SELECT");
	CHECK_STR(str(d, "db.query.text"), "SELECT * FROM items WHERE id = ?");
	CHECK_STR(str(d, "server.address"), "10.0.0.9");
	CHECK_INT(num(d, "server.port"), 5432);
	CHECK_STR(str(d, "network.peer.address"), "10.0.0.9");
	CHECK_INT(num(d, "network.peer.port"), 5432);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "error")));
	CHECK_STR(str(d, "error.type"), "42P01");
	CHECK_STR(str(d, "error.message"), "relation \"items\" does not exist");
	CHECK(!has(d, "url.path"));
	cJSON_Delete(ev);

	/* An outbound HTTP call: the peer by the name the request used. */
	memset(s.db_system, 0, sizeof(s.db_system));
	s.is_error = 0;
	strcpy(s.method, "POST");
	strcpy(s.path, "/charge");
	strcpy(s.host, "payments.internal:8443");
	s.tls = 1;
	s.server_port = 8443;
	s.status = 201;
	ev = encode(&s, NULL, 1, HNY_EVENT_MAX, NULL);
	d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK_STR(str(d, "name"), "POST");
	CHECK_STR(str(d, "url.full"), "https://payments.internal:8443/charge");
	CHECK_STR(str(d, "server.address"), "payments.internal");
	CHECK_INT(num(d, "server.port"), 8443);
	CHECK_INT(num(d, "http.response.status_code"), 201);
	CHECK(!has(d, "error"));
	cJSON_Delete(ev);
}

static struct delivery_item *item(const char *text)
{
	struct delivery_item *it = calloc(1, sizeof(*it));

	it->data = strdup(text);
	it->len = strlen(text);
	return it;
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
	struct honeycomb_opts o = { .api_key = ENV_KEY, .endpoint = "http://127.0.0.1:9/",
				    .close_deadline_s = 0 };
	struct delivery_item *items[3] = { item("{\"data\":{\"a\":1}}"),
					   item("{\"data\":{\"b\":2}}"),
					   item("{\"data\":{\"c\":3}}") };
	struct delivery_request rq;
	struct exporter *ex = export_honeycomb_new(&o);
	void *ctx = ex ? honeycomb_test_ctx(ex, "shop api") : NULL;
	enum delivery_outcome out[3];
	struct http_response r = { 0 };
	double ra;
	size_t bl = 0;
	char *body, desc[256];

	CHECK(ex != NULL && ctx != NULL);
	if (!ctx)
		return;
	memset(&rq, 0, sizeof(rq));
	CHECK_INT(honeycomb_build(ctx, items, 3, &rq), 0);
	CHECK_STR(rq.url, "http://127.0.0.1:9/1/batch/shop%20api");
	CHECK_STR(header(&rq, "X-Honeycomb-Team"), ENV_KEY);
	CHECK_STR(header(&rq, "Content-Encoding"), "gzip");
	CHECK_STR(header(&rq, "Content-Type"), "application/json");
	body = gzip_decompress(rq.body, rq.len, 1 << 20, &bl);
	CHECK_STR(body, "[{\"data\":{\"a\":1}},{\"data\":{\"b\":2}},{\"data\":{\"c\":3}}]");
	free(body);
	free(rq.body);

	/* Per-event statuses, in request order: only the refused one is dropped. */
	r.status = 200;
	r.retry_after_s = -1;
	r.body = "[{\"status\":202},{\"status\":400,\"error\":\"Event has too many columns.\"},"
		 "{\"status\":202}]";
	for (int i = 0; i < 3; i++)
		out[i] = DELIVERY_SENT;
	ra = -1;
	honeycomb_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0], DELIVERY_SENT);
	CHECK_INT(out[1], DELIVERY_DROP);
	CHECK_INT(out[2], DELIVERY_SENT);
	ex->describe(ex, desc, sizeof(desc));
	CHECK(strstr(desc, "1 refused per event") != NULL);
	CHECK(strstr(desc, "environment key") != NULL);

	/* 429 and 503 are retried after Retry-After (under a minute), else 1 s. */
	r.status = 429;
	r.body = "{\"error\":\"Request dropped due to rate limiting.\"}";
	r.retry_after_s = 5;
	honeycomb_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0], DELIVERY_RETRY);
	CHECK_INT(out[2], DELIVERY_RETRY);
	CHECK(ra == 5);
	r.status = 503;
	r.retry_after_s = 120;
	honeycomb_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[1], DELIVERY_RETRY);
	CHECK(ra == 1.0);
	r.retry_after_s = -1;
	ra = -1;
	r.status = 429;
	honeycomb_result(ctx, items, 3, &r, out, &ra);
	CHECK(ra == 1.0);
	/* Everything else fails the whole batch for good. */
	long refuse[] = { 400, 401, 403, 404, 413, 500, 502 };
	for (size_t k = 0; k < sizeof(refuse) / sizeof(refuse[0]); k++) {
		r.status = refuse[k];
		r.body = "{\"error\":\"unknown API key - check your credentials\"}";
		honeycomb_result(ctx, items, 3, &r, out, &ra);
		CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_DROP);
	}
	/* No answer at all: the queue's default verdict (retry) stands. */
	r.status = 0;
	r.error = "Connection refused";
	out[0] = out[1] = out[2] = DELIVERY_RETRY;
	honeycomb_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_RETRY);
	/* A 200 without statuses: the request was taken, so were its events. */
	r.error = NULL;
	r.status = 200;
	r.body = "";
	honeycomb_result(ctx, items, 3, &r, out, &ra);
	CHECK_INT(out[0] + out[1] + out[2], 3 * DELIVERY_SENT);
	for (int i = 0; i < 3; i++) {
		free(items[i]->data);
		free(items[i]);
	}
	ex->close(ex);
	free(ex); /* exporters live until exit: the summary reads them after close */
}

static void test_settings(void)
{
	struct honeycomb_opts o = { 0 };
	struct delivery_limits l;
	struct exporter *ex;

	CHECK(export_honeycomb_new(&o) == NULL); /* no key */
	o.api_key = CLASSIC_KEY;
	CHECK(export_honeycomb_new(&o) == NULL); /* a classic key needs a dataset */
	o.dataset = "prod";
	o.endpoint = "api.honeycomb.io";
	CHECK(export_honeycomb_new(&o) == NULL); /* not a URL */
	o.endpoint = NULL;
	ex = export_honeycomb_new(&o);
	CHECK(ex != NULL);
	/* Classic: every service writes to the configured dataset. */
	CHECK(ex && honeycomb_test_ctx(ex, "prod") != NULL);
	if (ex)
		ex->close(ex);
	free(ex);

	honeycomb_limits(&l);
	CHECK_INT(l.batch_max_items, 50);
	CHECK_INT(l.batch_max_bytes, 5000000);
	CHECK_INT(l.item_overhead, 1);
	CHECK_INT(l.batch_base_bytes, 2);
	CHECK_INT(l.retry_after_cap_s, 60);
	CHECK_INT(HNY_EVENT_MAX, 1000000);
}

int main(void)
{
	test_keys();
	test_datasets();
	test_server_event();
	test_failed_event();
	test_client_event();
	test_requests();
	test_settings();
	return check_summary("test_honeycomb");
}
