// SPDX-License-Identifier: BSD-2-Clause
/* CloudWatch Logs export: limits, timestamps, UTF-8, messages, PutLogEvents bodies, errors, EMF. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "view_of.h"
#include "export/cloudwatch/cloudwatch.h"
#include "export/cloudwatch/emf.h"
#include "proto/pytraceback.h"

static void test_limits(void)
{
	struct delivery_limits l;

	cw_limits(&l);
	CHECK_INT(l.batch_max_bytes, 1048576);
	CHECK_INT(l.item_overhead, 26);
	CHECK_INT(l.batch_base_bytes, 0);
	CHECK_INT(l.batch_max_items, 10000);
	CHECK_INT(l.sort_by_key, 1);
	CHECK_INT(l.batch_max_key_span, (24ll * 3600 * 1000 - 1) * 1000); /* microsecond keys */
	CHECK_INT(CW_EVENT_MAX + CW_EVENT_OVERHEAD, 262144);
}

static void test_age(void)
{
	uint64_t now = 1700000000000ull;

	CHECK_INT(cw_check_age(now, now), CW_AGE_OK);
	CHECK_INT(cw_check_age(now - CW_MAX_AGE_MS, now), CW_AGE_OK);
	CHECK_INT(cw_check_age(now - CW_MAX_AGE_MS - 1, now), CW_TOO_OLD);
	CHECK_INT(cw_check_age(now + CW_MAX_FUTURE_MS, now), CW_AGE_OK);
	CHECK_INT(cw_check_age(now + CW_MAX_FUTURE_MS + 1, now), CW_TOO_NEW);
}

static void test_utf8(void)
{
	size_t n;
	char *s = cw_utf8_clean("ok \xc3\xa9 \xff x\xe2\x82", 11, &n);

	/* é kept; a stray 0xff and a cut 3-byte sequence become U+FFFD each */
	CHECK_STR(s, "ok \xc3\xa9 \xef\xbf\xbd x\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_INT(n, strlen(s));
	free(s);
	s = cw_utf8_clean("a\0b", 3, &n); /* NUL would end the C string: replaced */
	CHECK_STR(s, "a\xef\xbf\xbd"
		     "b");
	free(s);
	s = cw_utf8_clean("\xc0\xaf\xed\xa0\x80", 5, &n); /* overlong, surrogate */
	CHECK_INT(n, 15);
	free(s);
	/* cuts fall between characters */
	CHECK_INT(cw_utf8_cut("ab\xc3\xa9", 4, 3), 2);
	CHECK_INT(cw_utf8_cut("ab\xc3\xa9", 4, 4), 4);
	CHECK_INT(cw_utf8_cut("abc", 3, 10), 3);
	CHECK_INT(cw_utf8_cut("\xe2\x82\xac\xe2\x82\xac", 6, 5), 3);
}

static void test_request_message(void)
{
	static struct span s;
	static struct pytb_report r;
	cJSON *j;
	char *m;

	s.kind = SPAN_SERVER;
	for (int i = 0; i < 16; i++)
		s.trace_id[i] = (uint8_t)i;
	memset(s.span_id, 0xab, 8);
	s.start_unix_ns = 1700000000000000000ull;
	s.end_unix_ns = s.start_unix_ns + 12500000;
	strcpy(s.method, "POST");
	strcpy(s.path, "/api/cart/\xff");
	strcpy(s.route, "/api/cart/{id}");
	s.status = 500;
	s.request_body_size = 10;
	s.response_body_size = 20;
	strcpy(s.client_addr, "10.0.0.1");
	s.service_name = "shop";
	r.nchain = 1;
	strcpy(r.chain[0].type, "KeyError");
	strcpy(r.chain[0].message, "'x'");
	s.exception = &r;
	m = cw_request_message(&s, view_of(&s));
	j = cJSON_Parse(m);
	CHECK(j != NULL);
	CHECK_STR(cJSON_GetObjectItem(j, "type")->valuestring, "request");
	CHECK_STR(cJSON_GetObjectItem(j, "method")->valuestring, "POST");
	CHECK_STR(cJSON_GetObjectItem(j, "route")->valuestring, "/api/cart/{id}");
	CHECK_STR(cJSON_GetObjectItem(j, "path")->valuestring, "/api/cart/\xef\xbf\xbd");
	CHECK_INT(cJSON_GetObjectItem(j, "status")->valueint, 500);
	CHECK(cJSON_GetObjectItem(j, "duration_ms")->valuedouble == 12.5);
	CHECK_INT(cJSON_GetObjectItem(j, "request_bytes")->valueint, 10);
	CHECK_INT(cJSON_GetObjectItem(j, "response_bytes")->valueint, 20);
	CHECK_STR(cJSON_GetObjectItem(j, "client")->valuestring, "10.0.0.1");
	CHECK_STR(cJSON_GetObjectItem(j, "trace_id")->valuestring,
		  "000102030405060708090a0b0c0d0e0f");
	CHECK_STR(cJSON_GetObjectItem(j, "span_id")->valuestring, "abababababababab");
	CHECK_STR(cJSON_GetObjectItem(j, "exception_type")->valuestring, "KeyError");
	CHECK_STR(cJSON_GetObjectItem(j, "exception_message")->valuestring, "'x'");
	CHECK_STR(cJSON_GetObjectItem(j, "start")->valuestring, "2023-11-14T22:13:20.000000Z");
	cJSON_Delete(j);
	free(m);
}

static void test_log_message(void)
{
	struct log_record r = { 0 };
	cJSON *j;
	char *m;

	r.stream = LOGREC_FILE;
	r.source = "/var/log/app.log";
	r.text = "ERROR boom\nTraceback (most recent call last):";
	r.len = strlen(r.text);
	r.severity = 17;
	r.severity_text = "ERROR";
	r.pid = 42;
	r.has_trace = 1;
	r.trace_id[15] = 1;
	r.span_id[7] = 2;
	m = cw_log_message(&r);
	j = cJSON_Parse(m);
	CHECK_STR(cJSON_GetObjectItem(j, "type")->valuestring, "log");
	CHECK_STR(cJSON_GetObjectItem(j, "stream")->valuestring, "file");
	CHECK_STR(cJSON_GetObjectItem(j, "file")->valuestring, "/var/log/app.log");
	CHECK_STR(cJSON_GetObjectItem(j, "severity")->valuestring, "ERROR");
	CHECK_STR(cJSON_GetObjectItem(j, "message")->valuestring, r.text);
	CHECK_STR(cJSON_GetObjectItem(j, "trace_id")->valuestring,
		  "00000000000000000000000000000001");
	CHECK_STR(cJSON_GetObjectItem(j, "span_id")->valuestring, "0000000000000002");
	cJSON_Delete(j);
	free(m);
	r.has_trace = 0;
	r.stream = LOGREC_STDOUT;
	m = cw_log_message(&r);
	j = cJSON_Parse(m);
	CHECK(cJSON_GetObjectItem(j, "trace_id") == NULL);
	CHECK(cJSON_GetObjectItem(j, "file") == NULL);
	cJSON_Delete(j);
	free(m);
}

static void test_put_body(void)
{
	struct delivery_item a = { .data = "first \"q\"", .len = 9, .key = 1000000 };
	struct delivery_item b = { .data = "second", .len = 6, .key = 1001999 };
	struct delivery_item *items[] = { &a, &b };
	char *body = cw_put_body("/g", "s", items, 2);

	CHECK_STR(body, "{\"logGroupName\":\"/g\",\"logStreamName\":\"s\",\"logEvents\":["
			"{\"timestamp\":1000,\"message\":\"first \\\"q\\\"\"},"
			"{\"timestamp\":1001,\"message\":\"second\"}]}");
	free(body);
}

#define MAX_DOCS 16
static char *docs[MAX_DOCS];
static int ndocs;

static void take(void *arg, char *doc)
{
	if (ndocs < MAX_DOCS)
		docs[ndocs++] = doc;
	else
		free(doc);
}

static void free_docs(void)
{
	for (int i = 0; i < ndocs; i++)
		free(docs[i]);
	ndocs = 0;
}

/* The EMF structure (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html): _aws.Timestamp, one directive whose Metrics name root
 * members that are numbers or arrays of at most 100 numbers, and dimensions that are strings. */
static int emf_valid(const char *text, const char *ns)
{
	cJSON *j = cJSON_Parse(text), *aws = cJSON_GetObjectItem(j, "_aws");
	cJSON *dirs = cJSON_GetObjectItem(aws, "CloudWatchMetrics"), *d, *m, *set, *k;
	int ok = cJSON_IsNumber(cJSON_GetObjectItem(aws, "Timestamp")) && cJSON_IsArray(dirs) &&
		 cJSON_GetArraySize(dirs) == 1;

	cJSON_ArrayForEach(d, dirs)
	{
		cJSON *n = cJSON_GetObjectItem(d, "Namespace");

		ok = ok && cJSON_IsString(n) && !strcmp(n->valuestring, ns);
		ok = ok && cJSON_GetArraySize(cJSON_GetObjectItem(d, "Metrics")) <= 100;
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(d, "Metrics"))
		{
			cJSON *v = cJSON_GetObjectItem(j, cJSON_GetObjectItem(m, "Name")->valuestring);

			ok = ok && cJSON_IsString(cJSON_GetObjectItem(m, "Unit"));
			ok = ok && (cJSON_IsNumber(v) ||
				    (cJSON_IsArray(v) && cJSON_GetArraySize(v) <= 100 &&
				     cJSON_GetArraySize(v) > 0));
		}
		cJSON_ArrayForEach(set, cJSON_GetObjectItem(d, "Dimensions"))
		{
			cJSON_ArrayForEach(k, set)
			ok = ok && cJSON_IsString(cJSON_GetObjectItem(j, k->valuestring));
		}
	}
	cJSON_Delete(j);
	return ok;
}

static void test_emf(void)
{
	struct emf *m = emf_new("shop-metrics", 7);
	cJSON *j;

	emf_add(m, "shop", "/a", 0, 0, 1.5);
	emf_add(m, "shop", "/a", 1, 0, 2.25);
	emf_add(m, "shop", "/a", 0, 1, 10);
	emf_add(m, NULL, "/b", 0, 0, 3);
	CHECK_INT(emf_pending(m), 4);
	CHECK_INT(emf_flush(m, 1700000000123ull, take, NULL), 2);
	CHECK_INT(ndocs, 2);
	/* newest key first: /b, then /a */
	CHECK_STR(docs[1],
		  "{\"_aws\":{\"Timestamp\":1700000000123,\"CloudWatchMetrics\":[{\"Namespace\":"
		  "\"shop-metrics\",\"Dimensions\":[[\"Service\",\"Route\"],[\"Service\"]],"
		  "\"Metrics\":[{\"Name\":\"Requests\",\"Unit\":\"Count\"},{\"Name\":\"Errors\","
		  "\"Unit\":\"Count\"},{\"Name\":\"Faults\",\"Unit\":\"Count\"},{\"Name\":"
		  "\"Latency\",\"Unit\":\"Milliseconds\"}]}]},\"Service\":\"shop\",\"Route\":"
		  "\"/a\",\"Requests\":3,\"Errors\":1,\"Faults\":1,\"Latency\":[1.5,2.25,10]}");
	CHECK(emf_valid(docs[0], "shop-metrics"));
	CHECK(emf_valid(docs[1], "shop-metrics"));
	j = cJSON_Parse(docs[0]);
	CHECK_STR(cJSON_GetObjectItem(j, "Service")->valuestring, "unknown");
	cJSON_Delete(j);
	free_docs();
	/* the interval starts over */
	CHECK_INT(emf_pending(m), 0);
	CHECK_INT(emf_flush(m, 1, take, NULL), 0);

	/* 250 requests: the counts in the first document, latencies 100 per document */
	for (int i = 0; i < 250; i++)
		emf_add(m, "shop", "/c", 0, 0, i);
	CHECK_INT(emf_flush(m, 5, take, NULL), 3);
	for (int i = 0; i < 3; i++)
		CHECK(emf_valid(docs[i], "shop-metrics"));
	j = cJSON_Parse(docs[0]);
	CHECK_INT(cJSON_GetObjectItem(j, "Requests")->valueint, 250);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "Latency")), 100);
	cJSON_Delete(j);
	j = cJSON_Parse(docs[2]);
	CHECK(cJSON_GetObjectItem(j, "Requests") == NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "Latency")), 50);
	cJSON_Delete(j);
	free_docs();

	/* past EMF_MAX_SAMPLES the latencies are a sample; the count stays exact */
	for (int i = 0; i < EMF_MAX_SAMPLES * 3; i++)
		emf_add(m, "shop", "/d", 0, 0, 1);
	CHECK_INT(emf_flush(m, 5, take, NULL), EMF_MAX_SAMPLES / EMF_MAX_VALUES);
	j = cJSON_Parse(docs[0]);
	CHECK_INT(cJSON_GetObjectItem(j, "Requests")->valueint, EMF_MAX_SAMPLES * 3);
	cJSON_Delete(j);
	free_docs();
	emf_add(m, "shop", "/e", 0, 0, 1); /* freed unflushed */
	emf_free(m);
}

int main(void)
{
	test_limits();
	test_age();
	test_utf8();
	test_request_message();
	test_log_message();
	test_put_body();
	test_emf();
	return check_summary("cloudwatch");
}
