// SPDX-License-Identifier: BSD-2-Clause
/* X-Ray's PutTraceSegments client: batches of 50, SigV4, on the shared delivery queue. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/xray/xray_api.h"
#include "lib/log.h"
#include "net/aws/aws_creds.h"
#include "net/aws/aws_endpoint.h"
#include "net/aws/aws_error.h"
#include "net/aws/sigv4.h"
#include "net/delivery.h"

#define BATCH_MAX 50          /* documents per PutTraceSegments (service limit) */
#define BATCH_WAIT_MS 1000    /* a partial batch goes after this long */
#define MAX_INFLIGHT 4
#define MAX_ATTEMPTS 5        /* for throttling, 5xx and transport errors */
#define BACKOFF_CAP_MS 20000
#define RETRY_AFTER_CAP_S 60
#define REQUEST_TIMEOUT_MS 10000
/* The request envelope and the quotes and escapes around each document. */
#define BODY_BASE (sizeof("{\"TraceSegmentDocuments\":[]}") - 1)
#define DOC_OVERHEAD 3
#define UNPROCESSED_ONCE 1    /* marks: this document was already reported unprocessed */

struct xray_api {
	struct exporter *ex;
	char region[64];
	struct aws_endpoint ep; /* URL, Host and path as signed, base for the summary */
	struct aws_creds_provider *creds;
	struct delivery *q;
	uint64_t requests; /* kept from the queue at close, for the summary */
	uint64_t throttled, unprocessed;
	int logged_nocreds, logged_unprocessed;
};

static char *batch_body(struct delivery_item **items, int n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = o ? cJSON_AddArrayToObject(o, "TraceSegmentDocuments") : NULL;
	char *text = NULL;

	for (int i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(items[i]->data));
	if (arr)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Sign the batch; 1 while there are no credentials (the documents wait in the queue). */
static int build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq)
{
	struct xray_api *c = ctx;
	struct aws_creds cr;
	char date[17], auth[1024];
	int rc = 1;

	if (aws_creds_get(c->creds, &cr)) {
		if (!c->logged_nocreds++)
			log_msg("xray: no AWS credentials yet; segments wait in the queue");
		return 1;
	}
	rq->body = batch_body(items, n);
	if (rq->body) {
		struct sigv4_header h[4] = { { "Content-Type", "application/json" },
					     { "Host", c->ep.host },
					     { "X-Amz-Date", date },
					     { "X-Amz-Security-Token", cr.token } };
		int nh = cr.token[0] ? 4 : 3;
		struct sigv4_request req = { "POST", c->ep.path, NULL, h, nh, rq->body,
					     strlen(rq->body) };
		struct sigv4_scope sc = { date, c->region, "xray" };

		rq->len = strlen(rq->body);
		sigv4_amz_date((long long)time(NULL), date);
		if (sigv4_authorization(&req, &sc, cr.access_key_id, cr.secret, auth,
					sizeof(auth)) == 0) {
			snprintf(rq->url, sizeof(rq->url), "%s", c->ep.url);
			rc = 0;
			for (int i = 0; i < 3 && rc == 0; i++)
				rc = delivery_header(rq, h[i].name, h[i].value);
			if (rc == 0)
				rc = delivery_header(rq, "Authorization", auth);
			if (rc == 0 && nh == 4)
				rc = delivery_header(rq, h[3].name, h[3].value);
			rc = rc ? -1 : 0; /* cannot happen: the headers fit */
		} else {
			rc = -1;
		}
		memset(auth, 0, sizeof(auth));
	}
	aws_creds_wipe(&cr);
	return rc;
}

/* UnprocessedTraceSegments: each named document is tried once more, then dropped. */
static void result(void *ctx, struct delivery_item **items, int n, const struct http_response *r,
		   enum delivery_outcome *out, double *retry_after_s)
{
	struct xray_api *c = ctx;
	cJSON *j, *u, *e;

	if (r->status == 429)
		c->throttled++;
	if (r->error || r->status < 200 || r->status >= 300)
		return;
	j = cJSON_Parse(r->body);
	u = cJSON_GetObjectItem(j, "UnprocessedTraceSegments");
	cJSON_ArrayForEach(e, u)
	{
		cJSON *id = cJSON_GetObjectItem(e, "Id");

		for (int i = 0; cJSON_IsString(id) && i < n; i++) {
			struct delivery_item *it = items[i];

			if (out[i] != DELIVERY_SENT || strcmp(it->id, id->valuestring))
				continue;
			c->unprocessed++;
			if (!(it->marks & UNPROCESSED_ONCE)) {
				it->marks |= UNPROCESSED_ONCE;
				out[i] = DELIVERY_RETRY;
				continue;
			}
			out[i] = DELIVERY_DROP;
			if (!c->logged_unprocessed++) {
				cJSON *code = cJSON_GetObjectItem(e, "ErrorCode");
				cJSON *msg = cJSON_GetObjectItem(e, "Message");

				log_msg("xray: segment %s unprocessed twice (%s: %s); counted as dropped",
					it->id, cJSON_IsString(code) ? code->valuestring : "?",
					cJSON_IsString(msg) ? msg->valuestring : "");
			}
		}
	}
	cJSON_Delete(j);
}

void xray_api_poll(struct xray_api *c)
{
	if (c)
		delivery_poll(c->q);
}

void xray_api_add(struct xray_api *c, char *text, const char *id)
{
	delivery_add(c->q, text, strlen(text), 0, id);
}

void xray_api_close(struct xray_api *c)
{
	struct delivery_stats st;

	/* The registry drained every queue within the shared deadline; the rest is dropped. */
	if (c->q) {
		delivery_get_stats(c->q, &st);
		c->requests = st.requests;
	}
	delivery_free(c->q);
	c->q = NULL;
	aws_creds_provider_free(c->creds);
	c->creds = NULL;
}

int xray_api_describe(struct xray_api *c, char *buf, size_t len)
{
	struct delivery_stats st = { 0 };
	int n;

	if (c->q)
		delivery_get_stats(c->q, &st);
	else
		st.requests = c->requests;
	n = snprintf(buf, len, "api %s, %llu requests, %llu throttled, %llu unprocessed",
			 c->ep.base, (unsigned long long)st.requests,
			 (unsigned long long)c->throttled, (unsigned long long)c->unprocessed);

	return n < 0 ? 0 : (size_t)n >= len ? (int)len - 1 : n;
}

struct xray_api *xray_api_new(const struct xray_opts *o, struct exporter *ex)
{
	static const struct delivery_ops ops = { .build = build,
						 .result = result,
						 .error_of = aws_error_of };
	struct xray_api *c = calloc(1, sizeof(*c));
	struct delivery_limits l;
	const char *ep = o->endpoint;
	char def[200];

	if (!c)
		return NULL;
	c->ex = ex;
	if (aws_region(c->region)) {
		log_msg("--xray-mode api needs a region: set AWS_REGION (or "
			"AWS_DEFAULT_REGION, or region in the AWS config file)");
		free(c);
		return NULL;
	}
	if (!ep)
		ep = getenv("AWS_ENDPOINT_URL_XRAY");
	if (!ep || !ep[0])
		ep = getenv("AWS_ENDPOINT_URL");
	if (!ep || !ep[0]) {
		snprintf(def, sizeof(def), "https://xray.%s.amazonaws.com", c->region);
		ep = def;
	}
	if (aws_endpoint_parse(&c->ep, ep, "/TraceSegments")) {
		log_msg("the X-Ray endpoint '%s' is not a URL", ep);
		free(c);
		return NULL;
	}
	c->creds = aws_creds_provider_new(c->region);
	if (!c->creds) {
		log_msg("out of memory");
		free(c);
		return NULL;
	}
	delivery_limits_default(&l);
	l.batch_max_items = BATCH_MAX;
	l.batch_max_bytes = 0; /* 50 documents of at most 64 kB each: no byte limit to meet */
	l.item_overhead = DOC_OVERHEAD;
	l.batch_base_bytes = BODY_BASE;
	l.batch_wait_ms = BATCH_WAIT_MS;
	l.max_inflight = MAX_INFLIGHT;
	l.max_attempts = MAX_ATTEMPTS;
	l.timeout_ms = REQUEST_TIMEOUT_MS;
	l.backoff_cap_ms = BACKOFF_CAP_MS;
	l.retry_after_cap_s = RETRY_AFTER_CAP_S;
	c->q = delivery_new("xray", &l, &ops, c, &ex->counts);
	if (!c->q) {
		log_msg("libcurl could not start");
		aws_creds_provider_free(c->creds);
		free(c);
		return NULL;
	}
	return c;
}
