// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the X-Ray segment encoder, field by field against the segment document schema. */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdlib.h>

#include "check.h"
#include "view_of.h"
#include "export/xray/xray_segment.h"
#include "lib/utf8.h"
#include "proto/pytraceback.h"

static int matches(const char *re, const char *s)
{
	regex_t r;
	int ok;

	if (!s || regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return 0;
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

static void base_span(struct span *s)
{
	static const uint8_t tid[16] = { 0x5f, 0x00, 0x00, 0x01, 0xa0, 0x06, 0x64, 0x91,
					 0x27, 0xe3, 0x71, 0x90, 0x3a, 0x2d, 0xe9, 0x79 };
	static const uint8_t sid[8] = { 0x70, 0xde, 0x5b, 0x6f, 0x19, 0xff, 0x9a, 0x0a };

	memset(s, 0, sizeof(*s));
	s->kind = SPAN_SERVER;
	memcpy(s->trace_id, tid, 16);
	memcpy(s->span_id, sid, 8);
	s->sampled = -1;
	s->start_unix_ns = 1478293361271123456ull;
	s->end_unix_ns = 1478293361449000999ull;
	strcpy(s->method, "GET");
	strcpy(s->path, "/api/activities/42");
	strcpy(s->query, "limit=REDACTED");
	s->has_query = 1;
	strcpy(s->route, "/api/activities/{id}");
	s->status = 200;
	s->response_body_size = 231;
	strcpy(s->user_agent, "curl/7.88.1");
	strcpy(s->client_addr, "10.1.2.3");
	s->client_port = 51000;
	strcpy(s->server_addr, "127.0.0.1");
	s->server_port = 8000;
	s->pid = 4242;
	s->tid = 4243;
	s->service_name = "shop-api";
}

static cJSON *encode(const struct span *s, const struct xray_segment_opts *o, size_t max,
		     int *cut, size_t *len)
{
	char *t = xray_segment_encode(s, view_of(s), o, max, cut);
	cJSON *j;

	if (!t)
		return NULL;
	if (len)
		*len = strlen(t);
	j = cJSON_Parse(t);
	free(t);
	return j;
}

static const char *str(cJSON *o, const char *path)
{
	char buf[128], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static cJSON *item(cJSON *o, const char *path)
{
	char buf[128], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

static double num(cJSON *o, const char *path)
{
	cJSON *i = item(o, path);

	return cJSON_IsNumber(i) ? i->valuedouble : -12345;
}

static void test_plain_server_span(void)
{
	struct span s;
	int cut = -1;
	cJSON *j;
	char *raw;

	base_span(&s);
	j = encode(&s, NULL, XRAY_DOC_MAX, &cut, NULL);
	CHECK(j != NULL);
	CHECK_INT(cut, 0);
	CHECK_STR(str(j, "name"), "shop-api");
	CHECK_STR(str(j, "id"), "70de5b6f19ff9a0a");
	CHECK_STR(str(j, "trace_id"), "1-5f000001-a006649127e371903a2de979");
	CHECK(matches("^1-[0-9a-f]{8}-[0-9a-f]{24}$", str(j, "trace_id")));
	CHECK(item(j, "parent_id") == NULL);
	CHECK(item(j, "origin") == NULL);
	CHECK(item(j, "service") == NULL);
	CHECK_STR(str(j, "http.request.method"), "GET");
	CHECK_STR(str(j, "http.request.url"),
		  "http://127.0.0.1:8000/api/activities/42?limit=REDACTED");
	CHECK_STR(str(j, "http.request.user_agent"), "curl/7.88.1");
	CHECK_STR(str(j, "http.request.client_ip"), "10.1.2.3");
	CHECK(item(j, "http.request.x_forwarded_for") == NULL);
	CHECK_INT(num(j, "http.response.status"), 200);
	CHECK_INT(num(j, "http.response.content_length"), 231);
	CHECK(item(j, "error") == NULL && item(j, "throttle") == NULL && item(j, "fault") == NULL);
	CHECK(item(j, "cause") == NULL);
	CHECK_STR(str(j, "annotations.route"), "/api/activities/{id}");
	CHECK_INT(num(j, "annotations.pid"), 4242);
	CHECK_INT(num(j, "metadata.pyspan.thread.id"), -12345); /* keys with dots stay whole */
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(item(j, "metadata.pyspan"), "thread.id")));
	cJSON_Delete(j);

	/* Times: epoch seconds with exactly microseconds, rounded. */
	raw = xray_segment_encode(&s, view_of(&s), NULL, XRAY_DOC_MAX, NULL);
	CHECK(raw && strstr(raw, "\"start_time\":1478293361.271123,"));
	CHECK(raw && strstr(raw, "\"end_time\":1478293361.449001,"));
	free(raw);
}

static void test_parent_origin_version_xff(void)
{
	struct span s;
	struct xray_segment_opts o = { .service_version = "1.4.2",
				       .origin = "AWS::ECS::Container" };
	cJSON *j;

	base_span(&s);
	s.has_parent = 1;
	memcpy(s.parent_id, "\x53\x99\x5c\x3f\x42\xcd\x8a\xd8", 8);
	strcpy(s.x_forwarded_for, " 203.0.113.7, 10.0.0.1");
	strcpy(s.server_addr, "::1");
	s.has_query = 0;
	s.query[0] = '\0';
	j = encode(&s, &o, XRAY_DOC_MAX, NULL, NULL);
	CHECK_STR(str(j, "parent_id"), "53995c3f42cd8ad8");
	CHECK_STR(str(j, "origin"), "AWS::ECS::Container");
	CHECK_STR(str(j, "service.version"), "1.4.2");
	CHECK_STR(str(j, "http.request.client_ip"), "203.0.113.7");
	CHECK(cJSON_IsTrue(item(j, "http.request.x_forwarded_for")));
	CHECK_STR(str(j, "http.request.url"), "http://[::1]:8000/api/activities/42");
	cJSON_Delete(j);
}

static void test_status_flags(void)
{
	static const struct {
		int status, error, throttle, fault;
	} cases[] = {
		{ 200, 0, 0, 0 }, { 302, 0, 0, 0 }, { 400, 1, 0, 0 }, { 404, 1, 0, 0 },
		{ 429, 1, 1, 0 }, { 499, 1, 0, 0 }, { 500, 0, 0, 1 }, { 503, 0, 0, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span s;
		cJSON *j;

		base_span(&s);
		s.status = cases[i].status;
		j = encode(&s, NULL, XRAY_DOC_MAX, NULL, NULL);
		CHECK_INT(cJSON_IsTrue(item(j, "error")), cases[i].error);
		CHECK_INT(cJSON_IsTrue(item(j, "throttle")), cases[i].throttle);
		CHECK_INT(cJSON_IsTrue(item(j, "fault")), cases[i].fault);
		CHECK_INT(num(j, "http.response.status"), cases[i].status);
		cJSON_Delete(j);
	}
}

static void fill_exception(struct pytb_exception *x, const char *type, const char *msg,
			   int nframes)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->type, sizeof(x->type), "%s", type);
	snprintf(x->message, sizeof(x->message), "%s", msg);
	for (int i = 0; i < nframes; i++) {
		snprintf(x->frames[i].file, PYTB_FILE_MAX, "demo/app%d.py", i);
		x->frames[i].line = 10 + i;
		snprintf(x->frames[i].function, PYTB_FUNC_MAX, "f%d", i);
	}
	x->nframes = nframes;
}

static void test_exception_cause(void)
{
	struct pytb_report r = { 0 };
	struct span s;
	cJSON *j, *ex, *e0, *e1, *st;

	fill_exception(&r.chain[0], "ConnectionRefusedError", "[Errno 111] refused", 2);
	fill_exception(&r.chain[1], "demo.errors.ActivityStoreError", "store unavailable", 3);
	r.chain[1].link = PYTB_LINK_CAUSE;
	r.chain[1].frames_omitted = 7;
	r.nchain = 2;
	base_span(&s);
	s.status = 500;
	s.exception = &r;
	j = encode(&s, NULL, XRAY_DOC_MAX, NULL, NULL);
	CHECK(cJSON_IsTrue(item(j, "fault")));
	ex = item(j, "cause.exceptions");
	CHECK_INT(cJSON_GetArraySize(ex), 2);
	e0 = cJSON_GetArrayItem(ex, 0);
	e1 = cJSON_GetArrayItem(ex, 1);
	/* The escaping exception first; it names the one that caused it. */
	CHECK_STR(str(e0, "type"), "demo.errors.ActivityStoreError");
	CHECK_STR(str(e0, "message"), "store unavailable");
	CHECK(matches("^[0-9a-f]{16}$", str(e0, "id")));
	CHECK(matches("^[0-9a-f]{16}$", str(e1, "id")));
	CHECK(str(e0, "id") && str(e1, "id") && strcmp(str(e0, "id"), str(e1, "id")) != 0);
	CHECK_STR(str(e0, "cause"), str(e1, "id"));
	CHECK(item(e1, "cause") == NULL);
	CHECK_INT(num(e0, "truncated"), 7);
	CHECK_STR(str(e1, "type"), "ConnectionRefusedError");
	/* Innermost frame first. */
	st = item(e0, "stack");
	CHECK_INT(cJSON_GetArraySize(st), 3);
	CHECK_STR(str(cJSON_GetArrayItem(st, 0), "path"), "demo/app2.py");
	CHECK_INT(num(cJSON_GetArrayItem(st, 0), "line"), 12);
	CHECK_STR(str(cJSON_GetArrayItem(st, 0), "label"), "f2");
	CHECK_STR(str(cJSON_GetArrayItem(st, 2), "label"), "f0");
	CHECK_STR(str(j, "metadata.pyspan.exception_source"), "traceback_text");
	cJSON_Delete(j);
}

static void test_names_and_lengths(void)
{
	char out[1024], in[600];

	xray_segment_name("shop api (prod)!", out, sizeof(out));
	CHECK_STR(out, "shop api prod");
	xray_segment_name("a_b.c:d/e%f&g#h=i+j\\k-l@m", out, sizeof(out));
	CHECK_STR(out, "a_b.c:d/e%f&g#h=i+j\\k-l@m");
	xray_segment_name("()", out, sizeof(out));
	CHECK_STR(out, "pyspan");
	xray_segment_name(NULL, out, sizeof(out));
	CHECK_STR(out, "pyspan");
	xray_segment_name("caf\xc3\xa9", out, sizeof(out));
	CHECK_STR(out, "caf\xc3\xa9");
	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	xray_segment_name(in, out, sizeof(out));
	CHECK_INT(strlen(out), XRAY_NAME_MAX);
	/* 300 two-byte characters cut at 250 characters, never inside one. */
	for (int i = 0; i < 300; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	in[598] = '\0';
	utf8_cut_chars(in, 250, out, sizeof(out));
	CHECK_INT(strlen(out), 500);
	utf8_cut_chars(in, 250, out, 8);
	CHECK_INT(strlen(out), 6);

	xray_annotation_key("http.route-x", out, sizeof(out));
	CHECK_STR(out, "http_route_x");
	xray_annotation_key("pid", out, sizeof(out));
	CHECK_STR(out, "pid");

	{
		struct span s;
		cJSON *j;

		base_span(&s);
		memset(s.user_agent, 'u', SPAN_UA_MAX - 1);
		s.user_agent[SPAN_UA_MAX - 1] = '\0';
		j = encode(&s, NULL, XRAY_DOC_MAX, NULL, NULL);
		CHECK_INT(strlen(str(j, "http.request.user_agent")), XRAY_STRING_MAX);
		cJSON_Delete(j);
	}
}

/* A report as big as the bounds allow, into a document budget it cannot fit whole. */
static void test_truncation(void)
{
	struct pytb_report *r = calloc(1, sizeof(*r));
	struct span s;
	size_t len = 0, full;
	int cut = 0;
	cJSON *j;
	char *t;

	for (int i = 0; i < PYTB_MAX_CHAIN; i++)
		fill_exception(&r->chain[i], "E", "m", PYTB_MAX_FRAMES);
	r->nchain = PYTB_MAX_CHAIN;
	base_span(&s);
	s.status = 500;
	s.exception = r;
	t = xray_segment_encode(&s, view_of(&s), NULL, XRAY_DOC_MAX, NULL);
	full = t ? strlen(t) : 0;
	free(t);
	CHECK(full > 4000);

	j = encode(&s, NULL, full - 1, &cut, &len);
	CHECK(j != NULL);
	CHECK_INT(cut, 1);
	CHECK(len <= full - 1);
	CHECK(item(j, "metadata") == NULL);
	cJSON_Delete(j);

	j = encode(&s, NULL, 3000, &cut, &len);
	CHECK(j != NULL);
	CHECK_INT(cut, 1);
	CHECK(len <= 3000);
	CHECK(cJSON_IsTrue(item(j, "fault")));
	{
		int frames = 0, truncated = 0;
		cJSON *e;

		cJSON_ArrayForEach(e, item(j, "cause.exceptions"))
		{
			frames += cJSON_GetArraySize(item(e, "stack"));
			if (item(e, "truncated"))
				truncated += (int)num(e, "truncated");
		}
		CHECK_INT(frames + truncated, PYTB_MAX_CHAIN * PYTB_MAX_FRAMES);
		CHECK(truncated > 0);
	}
	cJSON_Delete(j);

	/* Too small for even the bare segment. */
	CHECK(xray_segment_encode(&s, view_of(&s), NULL, 50, &cut) == NULL);
	free(r);
}

int main(void)
{
	test_plain_server_span();
	test_parent_origin_version_xff();
	test_status_flags();
	test_exception_cause();
	test_names_and_lengths();
	test_truncation();
	return check_summary("xray_segment");
}
