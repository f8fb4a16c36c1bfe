// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the Rollbar exporter: item encoder field by field against Rollbar's item API,
 * fingerprints and the dedup window, how answers are judged, and its settings. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "view_of.h"
#include "config/cli.h"
#include "config/config_print.h"
#include "config/options.h"
#include "export/rollbar/rollbar.h"
#include "export/rollbar/rollbar_dedup.h"
#include "export/rollbar/rollbar_item.h"
#include "proto/pytraceback.h"
#include "span/exception.h"

#define UUID "0b8f6f5e-3c1a-4c2e-9d7a-1f2e3d4c5b6a"

static const struct rollbar_item_opts opts = {
	.environment = "staging",
	.code_version = "1.4.2",
	.host = "web-4",
	.root = "/srv/app",
	.framework = NULL,
	.notifier_version = "0.1.0",
};

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
	s->start_unix_ns = 1700000000100000000ull;
	s->end_unix_ns = 1700000000350000000ull;
	strcpy(s->method, "GET");
	strcpy(s->path, "/api/items/42");
	strcpy(s->query, "limit=REDACTED&token=REDACTED");
	s->has_query = 1;
	strcpy(s->route, "/api/items/{id}");
	s->status = 500;
	strcpy(s->user_agent, "curl/7.88.1");
	strcpy(s->client_addr, "10.1.2.3");
	s->client_port = 51000;
	strcpy(s->server_addr, "127.0.0.1");
	s->server_port = 8000;
	s->pid = 4242;
	s->tid = 4243;
	s->service_name = "shop-api";
}

static void frame(struct pytb_exception *x, const char *file, int line, const char *func)
{
	struct pytb_frame *f = &x->frames[x->nframes++];

	snprintf(f->file, sizeof(f->file), "%s", file);
	f->line = line;
	snprintf(f->function, sizeof(f->function), "%s", func);
}

/* An exception from a Flask view: the outermost frame in Flask, the innermost in the app. */
static void one_exception(struct pytb_report *r)
{
	struct pytb_exception *x = &r->chain[0];

	memset(r, 0, sizeof(*r));
	r->nchain = 1;
	strcpy(x->type, "shop_errors.InventoryError");
	strcpy(x->message, "out of stock: sku-4411");
	frame(x, "/usr/lib/python3/dist-packages/flask/app.py", 1484, "full_dispatch_request");
	frame(x, "/usr/lib/python3/dist-packages/flask/app.py", 1469, "dispatch_request");
	frame(x, "/srv/app/views.py", 52, "err_custom");
}

/* raise RuntimeError(...) from ValueError(...) */
static void chained(struct pytb_report *r)
{
	memset(r, 0, sizeof(*r));
	r->nchain = 2;
	strcpy(r->chain[0].type, "ValueError");
	strcpy(r->chain[0].message, "invalid literal for int() with base 10: 'x'");
	frame(&r->chain[0], "/srv/app/views.py", 80, "err_chained");
	strcpy(r->chain[1].type, "RuntimeError");
	strcpy(r->chain[1].message, "conversion failed");
	r->chain[1].link = PYTB_LINK_CAUSE;
	frame(&r->chain[1], "/usr/lib/python3/dist-packages/flask/app.py", 1469,
	      "dispatch_request");
	frame(&r->chain[1], "/srv/app/views.py", 82, "err_chained");
}

/* Follow "a.b.0.c" through objects and arrays. */
static cJSON *get(cJSON *o, const char *path)
{
	char buf[256], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = isdigit((unsigned char)k[0]) ? cJSON_GetArrayItem(o, atoi(k)) :
						   cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

static const char *str(cJSON *o, const char *path)
{
	cJSON *v = get(o, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(cJSON *o, const char *path)
{
	cJSON *v = get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : -12345;
}

static int count(cJSON *o)
{
	int n = 0;
	cJSON *e;

	cJSON_ArrayForEach(e, o)
		n++;
	return n;
}

static cJSON *encode(const struct span *s, const struct rollbar_item_opts *o, uint64_t repeats,
		     size_t max, int *cut, char **text)
{
	char *t = rollbar_item_encode(s, view_of(s), o, UUID, repeats, max, cut);
	cJSON *j = t ? cJSON_Parse(t) : NULL;

	if (text)
		*text = t;
	else
		free(t);
	return j;
}

static void test_is_error(void)
{
	struct span s;
	struct pytb_report r;

	base_span(&s);
	CHECK_INT(rollbar_span_is_error(&s, view_of(&s)), 1);
	s.status = 503;
	CHECK_INT(rollbar_span_is_error(&s, view_of(&s)), 1);
	s.status = 499;
	CHECK_INT(rollbar_span_is_error(&s, view_of(&s)), 0);
	s.status = 0;
	CHECK_INT(rollbar_span_is_error(&s, view_of(&s)), 0);
	one_exception(&r);
	s.exception = &r; /* escaped, whatever the status said */
	s.status = 200;
	CHECK_INT(rollbar_span_is_error(&s, view_of(&s)), 1);
	s.exception = NULL;
	s.status = 500;
	s.kind = SPAN_CLIENT; /* an outbound call that failed is not this service's error */
	CHECK_INT(rollbar_span_is_error(&s, view_of(&s)), 0);
}

static void test_exception_item(void)
{
	struct span s;
	struct pytb_report r;
	char *text = NULL, hex[41];
	int cut = -1;
	cJSON *j, *d, *frames;

	base_span(&s);
	one_exception(&r);
	s.exception = &r;
	s.exception_source = EXCEPTION_FROM_INTERPRETER;
	strcpy(s.x_forwarded_for, "203.0.113.9, 10.0.0.1");
	j = encode(&s, &opts, 0, ROLLBAR_ITEM_MAX, &cut, &text);
	CHECK(j != NULL);
	CHECK_INT(cut, 0);
	d = get(j, "data");
	CHECK_INT(count(j), 1); /* only "data": the token travels in a header, never here */
	CHECK(strstr(text, "access_token") == NULL);
	CHECK_STR(str(d, "environment"), "staging");
	CHECK_STR(str(d, "level"), "error");
	CHECK_INT(num(d, "timestamp"), 1700000000);
	CHECK_STR(str(d, "code_version"), "1.4.2");
	CHECK_STR(str(d, "platform"), "linux");
	CHECK_STR(str(d, "language"), "python");
	CHECK_STR(str(d, "framework"), "flask");
	CHECK_STR(str(d, "context"), "GET /api/items/{id}");
	/* Exactly one of the body forms. */
	CHECK_INT(count(get(d, "body")), 1);
	CHECK(get(d, "body.trace_chain") == NULL);
	CHECK(get(d, "body.message") == NULL);
	CHECK_STR(str(d, "body.trace.exception.class"), "shop_errors.InventoryError");
	CHECK_STR(str(d, "body.trace.exception.message"), "out of stock: sku-4411");
	CHECK(get(d, "body.trace.exception.description") == NULL);
	/* Oldest first, the most recent call last. */
	frames = get(d, "body.trace.frames");
	CHECK_INT(count(frames), 3);
	CHECK_STR(str(frames, "0.filename"), "/usr/lib/python3/dist-packages/flask/app.py");
	CHECK_INT(num(frames, "0.lineno"), 1484);
	CHECK_STR(str(frames, "0.method"), "full_dispatch_request");
	CHECK_STR(str(frames, "2.filename"), "/srv/app/views.py");
	CHECK_INT(num(frames, "2.lineno"), 52);
	CHECK_STR(str(frames, "2.method"), "err_custom");
	CHECK_INT(count(get(frames, "2")), 3);
	/* Request: redacted query, the headers pyspan keeps, the original client. */
	CHECK_STR(str(d, "request.url"),
		  "http://127.0.0.1:8000/api/items/42?limit=REDACTED&token=REDACTED");
	CHECK_STR(str(d, "request.method"), "GET");
	CHECK_STR(str(d, "request.query_string"), "limit=REDACTED&token=REDACTED");
	CHECK_INT(count(get(d, "request.headers")), 2);
	CHECK_STR(str(d, "request.headers.User-Agent"), "curl/7.88.1");
	CHECK_STR(str(d, "request.headers.X-Forwarded-For"), "203.0.113.9, 10.0.0.1");
	CHECK_STR(str(d, "request.user_ip"), "203.0.113.9");
	CHECK_STR(str(d, "server.host"), "web-4");
	CHECK_INT(num(d, "server.pid"), 4242);
	CHECK_STR(str(d, "server.root"), "/srv/app");
	CHECK_STR(str(d, "server.code_version"), "1.4.2");
	CHECK_STR(str(d, "custom.trace_id"), "5f000001a006649127e371903a2de979");
	CHECK_STR(str(d, "custom.span_id"), "70de5b6f19ff9a0a");
	CHECK_STR(str(d, "custom.service"), "shop-api");
	CHECK_STR(str(d, "custom.route"), "/api/items/{id}");
	CHECK_INT(num(d, "custom.status"), 500);
	CHECK_INT(num(d, "custom.duration_ms"), 250);
	CHECK_STR(str(d, "custom.exception_source"), "interpreter");
	CHECK(get(d, "custom.repeats_suppressed") == NULL);
	rollbar_fingerprint(&s, view_of(&s), hex);
	CHECK_STR(str(d, "fingerprint"), hex);
	CHECK_STR(hex, "e79e06189d5dcaa72c2f2fdd65882f6642da122c");
	CHECK_STR(str(d, "title"), "shop_errors.InventoryError: out of stock: sku-4411");
	CHECK_STR(str(d, "uuid"), UUID);
	CHECK_STR(str(d, "notifier.name"), "pyspan");
	CHECK_STR(str(d, "notifier.version"), "0.1.0");
	cJSON_Delete(j);
	free(text);

	/* Repeats suppressed before this one are told; a missing line number is left out. */
	r.chain[0].frames[2].line = 0;
	j = encode(&s, &opts, 7, ROLLBAR_ITEM_MAX, NULL, NULL);
	CHECK_INT(num(j, "data.custom.repeats_suppressed"), 7);
	CHECK(get(j, "data.body.trace.frames.2.lineno") == NULL);
	cJSON_Delete(j);
}

static void test_chained_item(void)
{
	struct span s;
	struct pytb_report r;
	cJSON *j, *chain;

	base_span(&s);
	chained(&r);
	s.exception = &r;
	s.exception_source = EXCEPTION_FROM_TEXT;
	j = encode(&s, &opts, 0, ROLLBAR_ITEM_MAX, NULL, NULL);
	CHECK(get(j, "data.body.trace") == NULL);
	chain = get(j, "data.body.trace_chain");
	CHECK_INT(count(chain), 2);
	/* The escaping exception first, then the one it was raised from. */
	CHECK_STR(str(chain, "0.exception.class"), "RuntimeError");
	CHECK_STR(str(chain, "0.exception.message"), "conversion failed");
	CHECK_INT(count(get(chain, "0.frames")), 2);
	CHECK_STR(str(chain, "0.frames.1.method"), "err_chained");
	CHECK_INT(num(chain, "0.frames.1.lineno"), 82);
	CHECK_STR(str(chain, "1.exception.class"), "ValueError");
	CHECK_STR(str(chain, "1.exception.message"),
		  "invalid literal for int() with base 10: 'x'");
	CHECK_INT(num(chain, "1.frames.0.lineno"), 80);
	CHECK_STR(str(j, "data.title"), "RuntimeError: conversion failed");
	CHECK_STR(str(j, "data.custom.exception_source"), "traceback_text");
	cJSON_Delete(j);
}

static void test_status_item(void)
{
	struct span s;
	struct rollbar_item_opts o = opts;
	cJSON *j;
	char hex[41];

	base_span(&s);
	s.status = 503;
	s.has_query = 0;
	s.query[0] = '\0';
	o.code_version = NULL;
	o.root = NULL;
	o.framework = "django"; /* what earlier frames showed */
	j = encode(&s, &o, 0, ROLLBAR_ITEM_MAX, NULL, NULL);
	CHECK_INT(count(get(j, "data.body")), 1);
	CHECK_STR(str(j, "data.body.message.body"), "HTTP 503 on GET /api/items/42");
	CHECK_STR(str(j, "data.title"), "HTTP 503 on GET /api/items/42");
	CHECK_STR(str(j, "data.framework"), "django");
	CHECK(get(j, "data.code_version") == NULL);
	CHECK(get(j, "data.server.code_version") == NULL);
	CHECK(get(j, "data.server.root") == NULL);
	CHECK(get(j, "data.request.query_string") == NULL);
	CHECK_STR(str(j, "data.request.url"), "http://127.0.0.1:8000/api/items/42");
	CHECK_STR(str(j, "data.request.user_ip"), "10.1.2.3");
	CHECK(get(j, "data.custom.exception_source") == NULL);
	rollbar_fingerprint(&s, view_of(&s), hex);
	CHECK_STR(hex, "106093032c3e7b234fd255c8951daf91742a0d1b");
	CHECK_STR(str(j, "data.fingerprint"), hex);
	cJSON_Delete(j);
}

static void test_redaction(void)
{
	struct span s;
	char *text = NULL;
	cJSON *j;

	/* Should a query ever arrive unredacted, the encoder redacts it itself. */
	base_span(&s);
	strcpy(s.query, "api_key=s3cr3t-value&page=2;session=abcdef");
	j = encode(&s, &opts, 0, ROLLBAR_ITEM_MAX, NULL, &text);
	CHECK_STR(str(j, "data.request.query_string"),
		  "api_key=REDACTED&page=REDACTED;session=REDACTED");
	CHECK(text && strstr(text, "s3cr3t") == NULL);
	CHECK(text && strstr(text, "abcdef") == NULL);
	CHECK(text && strstr(text, "Authorization") == NULL);
	CHECK(text && strstr(text, "Cookie") == NULL);
	free(text);
	cJSON_Delete(j);

	/* A Unix socket peer is no user IP. */
	base_span(&s);
	strcpy(s.client_addr, "unix");
	s.client_port = -1;
	j = encode(&s, &opts, 0, ROLLBAR_ITEM_MAX, NULL, NULL);
	CHECK(get(j, "data.request.user_ip") == NULL);
	cJSON_Delete(j);
}

static void test_limits(void)
{
	struct span s;
	struct pytb_report r;
	struct rollbar_item_opts o = opts;
	char longv[200], *text = NULL;
	size_t full;
	int cut = 0;
	cJSON *j;

	/* code_version is cut to 40 characters, the environment to 255, titles to 255. */
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	o.code_version = longv;
	base_span(&s);
	one_exception(&r);
	memset(r.chain[0].message, 'm', 400);
	r.chain[0].message[400] = '\0';
	s.exception = &r;
	j = encode(&s, &o, 0, ROLLBAR_ITEM_MAX, NULL, NULL);
	CHECK_INT(strlen(str(j, "data.code_version")), 40);
	CHECK_INT(strlen(str(j, "data.title")), 255);
	cJSON_Delete(j);

	/* A long chain with many frames: shed until it fits, the innermost frame stays. */
	memset(&r, 0, sizeof(r));
	r.nchain = PYTB_MAX_CHAIN;
	for (int i = 0; i < r.nchain; i++) {
		snprintf(r.chain[i].type, sizeof(r.chain[i].type), "Error%d", i);
		memset(r.chain[i].message, 'x', 500);
		for (int k = 0; k < PYTB_MAX_FRAMES; k++)
			frame(&r.chain[i], "/srv/app/a/very/long/path/to/some/module/file.py",
			      k + 1, "function_with_a_long_name");
	}
	s.exception = &r;
	text = rollbar_item_encode(&s, view_of(&s), &opts, UUID, 0, ROLLBAR_ITEM_MAX, &cut);
	CHECK(text != NULL);
	full = text ? strlen(text) : 0;
	CHECK_INT(cut, 0);
	free(text);
	j = encode(&s, &opts, 0, full / 3, &cut, &text);
	CHECK_INT(cut, 1);
	CHECK(text && strlen(text) <= full / 3);
	CHECK_STR(str(j, "data.custom.trace_id"), "5f000001a006649127e371903a2de979");
	CHECK_STR(str(j, "data.uuid"), UUID);
	{
		/* Whatever form is left, its first trace is the escaping exception with its
		 * innermost frame last. */
		cJSON *t = get(j, "data.body.trace") ? get(j, "data.body.trace") :
						       get(j, "data.body.trace_chain.0");
		int n = count(get(t, "frames"));

		CHECK_STR(str(t, "exception.class"), "Error3");
		CHECK(n > 0);
		CHECK_INT(num(cJSON_GetArrayItem(get(t, "frames"), n - 1), "lineno"), 32);
	}
	free(text);
	cJSON_Delete(j);
	/* Room for little more than a message: the body becomes one. */
	j = encode(&s, &opts, 0, 1540, &cut, &text);
	CHECK_INT(cut, 1);
	CHECK(text && strlen(text) <= 1540);
	CHECK(str(j, "data.body.message.body") && strncmp(str(j, "data.body.message.body"),
							   "Error3: xxx", 11) == 0);
	free(text);
	cJSON_Delete(j);
	/* Not even that fits. */
	CHECK(rollbar_item_encode(&s, view_of(&s), &opts, UUID, 0, 200, &cut) == NULL);
}

static void test_fingerprint(void)
{
	struct span a, b;
	struct pytb_report ra, rb;
	char fa[41], fb[41];

	/* Same type and innermost frame, other message, other request: one group. */
	base_span(&a);
	base_span(&b);
	one_exception(&ra);
	one_exception(&rb);
	strcpy(rb.chain[0].message, "out of stock: sku-9");
	strcpy(b.path, "/api/items/43");
	a.exception = &ra;
	b.exception = &rb;
	rollbar_fingerprint(&a, view_of(&a), fa);
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK_STR(fa, fb);
	CHECK_INT(strlen(fa), 40);
	/* Another line of the innermost frame, another type: other groups. */
	rb.chain[0].frames[2].line = 53;
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK(strcmp(fa, fb) != 0);
	rb.chain[0].frames[2].line = 52;
	strcpy(rb.chain[0].type, "ValueError");
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK(strcmp(fa, fb) != 0);
	/* Status only: status, method and route; the path does not matter. */
	base_span(&a);
	base_span(&b);
	strcpy(b.path, "/api/items/77");
	rollbar_fingerprint(&a, view_of(&a), fa);
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK_STR(fa, fb);
	b.status = 502;
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK(strcmp(fa, fb) != 0);
	b.status = 500;
	strcpy(b.method, "POST");
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK(strcmp(fa, fb) != 0);
	/* No route known: the path stands in. */
	a.route[0] = b.route[0] = '\0';
	strcpy(b.method, "GET");
	rollbar_fingerprint(&a, view_of(&a), fa);
	rollbar_fingerprint(&b, view_of(&b), fb);
	CHECK(strcmp(fa, fb) != 0);
}

static void test_uuid(void)
{
	static const uint8_t rnd[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0xff, 0x77,
					 0xff, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	char u[37];

	rollbar_uuid4(rnd, u);
	CHECK_STR(u, "00112233-4455-4f77-bf99-aabbccddeeff");
}

static void test_dedup(void)
{
	struct rollbar_dedup *d = rollbar_dedup_new(60);
	const char *fa = "e79e06189d5dcaa72c2f2fdd65882f6642da122c";
	const char *fb = "106093032c3e7b234fd255c8951daf91742a0d1b";
	/* Same map key (first 16 digits), another fingerprint. */
	const char *fc = "e79e06189d5dcaa7ffffffffffffffffffffffff";
	uint64_t rep = 99;
	char fp[41];
	int sent = 0;

	CHECK(d != NULL);
	CHECK_INT(rollbar_dedup_check(d, fa, 1000, &rep), 1);
	CHECK_INT(rep, 0);
	CHECK_INT(rollbar_dedup_check(d, fa, 2000, &rep), 0);
	CHECK_INT(rollbar_dedup_check(d, fb, 2000, &rep), 1);
	CHECK_INT(rollbar_dedup_check(d, fa, 60999, &rep), 0); /* 59.999 s after the first */
	CHECK_INT(rollbar_dedup_suppressed(d), 2);
	CHECK_INT(rollbar_dedup_check(d, fa, 61000, &rep), 1); /* the window ended */
	CHECK_INT(rep, 2);
	CHECK_INT(rollbar_dedup_check(d, fa, 61001, &rep), 0);
	CHECK_INT(rollbar_dedup_check(d, fb, 61001, &rep), 0); /* its own window: from 2000 */
	CHECK_INT(rollbar_dedup_check(d, fb, 62000, &rep), 1);
	CHECK_INT(rep, 1);
	CHECK_INT(rollbar_dedup_check(d, fc, 62001, &rep), 1); /* a collision is not a repeat */
	CHECK_INT(rep, 0);
	CHECK_INT(rollbar_dedup_suppressed(d), 4);
	rollbar_dedup_free(d);

	/* Window 0: everything is sent. */
	d = rollbar_dedup_new(0);
	CHECK_INT(rollbar_dedup_check(d, fa, 1, &rep), 1);
	CHECK_INT(rollbar_dedup_check(d, fa, 1, &rep), 1);
	CHECK_INT(rollbar_dedup_suppressed(d), 0);
	rollbar_dedup_free(d);

	/* Full: a new fingerprint is sent untracked until windows end and free their slots. */
	d = rollbar_dedup_new(10);
	for (int i = 0; i < ROLLBAR_DEDUP_MAX; i++) {
		snprintf(fp, sizeof(fp), "%016x%024d", i, 0);
		sent += rollbar_dedup_check(d, fp, 0, NULL);
	}
	CHECK_INT(sent, ROLLBAR_DEDUP_MAX);
	CHECK_INT(rollbar_dedup_check(d, fa, 5000, NULL), 1);
	CHECK_INT(rollbar_dedup_check(d, fa, 5001, NULL), 1); /* not remembered */
	CHECK_INT(rollbar_dedup_check(d, fa, 10000, NULL), 1); /* the old windows ended */
	CHECK_INT(rollbar_dedup_check(d, fa, 10001, NULL), 0); /* remembered now */
	rollbar_dedup_free(d);
}

static void judge(long status, const char *body, double retry_after, const char *remaining,
		  const char *secs, const char *reset, struct rollbar_verdict *v)
{
	struct rollbar_answer a = { status, body, retry_after, remaining, secs, reset };

	rollbar_judge(&a, 1700000000.0, v);
}

static void test_judge(void)
{
	struct rollbar_verdict v;
	static const long refused[] = { 400, 401, 403, 404, 413, 422 };

	judge(200, "{\"err\": 0, \"result\": {\"id\": null, \"uuid\": \"" UUID "\"}}", -1, "4999",
	      "60", NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_SENT);
	CHECK(v.pause_s == 0);
	/* The window's last call went through: the next would be refused. */
	judge(200, "{\"err\": 0}", -1, "0", "30", NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_SENT);
	CHECK(v.pause_s == 30);

	judge(429, "{\"err\": 1, \"message\": \"rate limit exceeded\"}", -1, "0", "7",
	      "1700000040", &v);
	CHECK_INT(v.outcome, DELIVERY_RETRY);
	CHECK(v.pause_s == 7); /* Remaining-Seconds first */
	CHECK(v.retry_after_s == 7);
	CHECK_STR(v.message, "rate limit exceeded");
	judge(429, "", -1, "0", NULL, "1700000012", &v);
	CHECK(v.pause_s == 12); /* else Reset - now */
	judge(429, "", -1, "0", "0", "1699999000", &v);
	CHECK(v.pause_s == ROLLBAR_PAUSE_DEFAULT_S); /* a reset in the past says nothing */
	judge(429, "", 3, NULL, NULL, NULL, &v);
	CHECK(v.pause_s == 3); /* else Retry-After */
	judge(429, "", -1, NULL, NULL, NULL, &v);
	CHECK(v.pause_s == ROLLBAR_PAUSE_DEFAULT_S);
	judge(429, "", -1, "0", "999999", NULL, &v);
	CHECK(v.pause_s == ROLLBAR_PAUSE_MAX_S);
	CHECK(v.retry_after_s == ROLLBAR_PAUSE_MAX_S);
	judge(429, "", -1, "0", "soon", NULL, &v);
	CHECK(v.pause_s == ROLLBAR_PAUSE_DEFAULT_S); /* not a number */

	judge(500, "{\"err\": 1, \"message\": \"internal\"}", -1, NULL, NULL, NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_RETRY);
	CHECK(v.retry_after_s == -1);
	CHECK(v.pause_s == 0);
	judge(503, "", 5, NULL, NULL, NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_RETRY);
	CHECK(v.retry_after_s == 5);
	judge(0, NULL, -1, NULL, NULL, NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_RETRY);
	judge(408, "", -1, NULL, NULL, NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_RETRY);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		judge(refused[i], "{\"err\": 1, \"message\": \"invalid access token\"}", -1, NULL,
		      NULL, NULL, &v);
		CHECK_INT(v.outcome, DELIVERY_DROP);
		CHECK_STR(v.message, "invalid access token");
		CHECK(v.pause_s == 0);
	}
	judge(413, "<html>\r\nRequest Entity Too Large</html>", -1, NULL, NULL, NULL, &v);
	CHECK_INT(v.outcome, DELIVERY_DROP);
	CHECK_STR(v.message, "<html>  Request Entity Too Large</html>");
}

static void test_token(void)
{
	char s[128];

	CHECK_INT(rollbar_token_ok("0123456789abcdef0123456789abcdef"), 1);
	CHECK_INT(rollbar_token_ok(""), 0);
	CHECK_INT(rollbar_token_ok("abc def"), 0);
	CHECK_INT(rollbar_token_ok("abc\r\nX-Injected: 1"), 0);
	CHECK_INT(rollbar_token_ok(NULL), 0);
	strcpy(s, "token 0123456789abcdef is not valid (0123456789abcdef)");
	rollbar_scrub(s, "0123456789abcdef");
	CHECK_STR(s, "token **** is not valid (****)");
	strcpy(s, "nothing here");
	rollbar_scrub(s, "0123456789abcdef");
	CHECK_STR(s, "nothing here");
}

static struct config cfg;

/* The Rollbar backend's settings as the file, the environment and the flags left them. */
static const struct rollbar_opts *rb(void)
{
	return config_backend_get(&cfg, backend_find("rollbar"));
}

#define PARSE(...)                                                                       \
	({                                                                               \
		char *argv_[] = { "pyspan", "--pid", "1", __VA_ARGS__, NULL };            \
		cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &cfg);      \
	})

static void test_settings(void)
{
	char path[] = "/tmp/pyspan-test-rollbar-XXXXXX";
	int fd = mkstemp(path);
	static const char file[] = "{\"export\": [\"rollbar\"], \"rollbar_access_token\": "
				   "\"file-token-0123\", \"rollbar_environment\": \"staging\", "
				   "\"rollbar_code_version\": \"abc123\", \"rollbar_endpoint\": "
				   "\"http://127.0.0.1:9/api/1/\", \"rollbar_dedup_window\": 5}";
	char *json;

	unsetenv("ROLLBAR_ACCESS_TOKEN");
	CHECK_INT(PARSE("--export", "stdout,rollbar"), CLI_OK);
	CHECK_INT(cfg.nexports, 2);
	CHECK_STR(cfg.exports[1], "rollbar");
	CHECK_STR(rb()->environment, "production");
	CHECK_STR(rb()->endpoint, "https://api.rollbar.com/api/1/");
	CHECK_INT(rb()->dedup_window_s, 60);
	CHECK(rb()->access_token == NULL);
	CHECK(rb()->code_version == NULL);
	CHECK_INT(PARSE("--rollbar-environment", "qa", "--rollbar-code-version", "v9",
			"--rollbar-endpoint", "http://127.0.0.1:5/", "--rollbar-dedup-window", "0"),
		  CLI_OK);
	CHECK_STR(rb()->environment, "qa");
	CHECK_STR(rb()->code_version, "v9");
	CHECK_STR(rb()->endpoint, "http://127.0.0.1:5/");
	CHECK_INT(rb()->dedup_window_s, 0);
	CHECK_INT(PARSE("--rollbar-dedup-window", "86401"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--rollbar-dedup-window", "-1"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--rollbar-endpoint", "api.rollbar.com"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--rollbar-environment", ""), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--rollbar-code-version", "0123456789012345678901234567890123456789x"),
		  CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--rollbar-code-version", "0123456789012345678901234567890123456789"),
		  CLI_OK);
	/* No flag carries the token: a command line is readable by every user. */
	CHECK_INT(PARSE("--rollbar-access-token", "x"), CLI_USAGE_ERROR);

	CHECK(fd >= 0);
	CHECK_INT(write(fd, file, sizeof(file) - 1), (long)(sizeof(file) - 1));
	close(fd);
	CHECK_INT(PARSE("--config", path), CLI_OK);
	CHECK_STR(rb()->access_token, "file-token-0123");
	CHECK_STR(rb()->environment, "staging");
	CHECK_STR(rb()->code_version, "abc123");
	CHECK_STR(rb()->endpoint, "http://127.0.0.1:9/api/1/");
	CHECK_INT(rb()->dedup_window_s, 5);
	json = config_to_json(&cfg);
	CHECK(json && strstr(json, "file-token-0123") == NULL);
	CHECK(json && strstr(json, "\"rollbar_access_token\":\t\"****\""));
	CHECK(json && strstr(json, "\"rollbar_dedup_window\":\t5"));
	free(json);
	/* The environment outranks the file; a flag outranks both. */
	setenv("ROLLBAR_ACCESS_TOKEN", "env-token-4567", 1);
	CHECK_INT(PARSE("--config", path, "--rollbar-environment", "flag-env"), CLI_OK);
	CHECK_STR(rb()->access_token, "env-token-4567");
	CHECK_STR(rb()->environment, "flag-env");
	unsetenv("ROLLBAR_ACCESS_TOKEN");
	unlink(path);
}

int main(void)
{
	test_is_error();
	test_exception_item();
	test_chained_item();
	test_status_item();
	test_redaction();
	test_limits();
	test_fingerprint();
	test_uuid();
	test_dedup();
	test_judge();
	test_token();
	test_settings();
	return check_summary("rollbar");
}
