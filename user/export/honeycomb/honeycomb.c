// SPDX-License-Identifier: BSD-2-Clause
/* The Honeycomb exporter: spans as events through the batch API, gzip-compressed. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/honeycomb/honeycomb.h"
#include "export/honeycomb/honeycomb_event.h"
#include "lib/log.h"
#include "lib/version.h"
#include "net/gzip.h"
#include "span/sampling.h"

#define MAX_DATASETS 16
#define BATCH_EVENTS 50           /* libhoney's batch size */
#define BATCH_WAIT_MS 1000
#define QUEUE_MAX_BYTES (16u << 20)
#define RETRY_AFTER_MAX_S 60      /* libhoney honours Retry-After only below a minute */
#define RETRY_AFTER_DEFAULT_S 1.0
#define USER_AGENT "pyspan/" PYSPAN_VERSION

struct hny;

/* One batch URL: classic keys have one dataset, Environment keys one per service. */
struct dataset_queue {
	struct hny *h;
	char name[HNY_DATASET_MAX];
	char url[1200];
	struct delivery *d;
};

struct hny {
	struct exporter ex;
	char key[512];
	int classic;
	char dataset[HNY_DATASET_MAX]; /* classic keys */
	char base[1024];
	char hostname[256];
	struct otel_kv resource[OTEL_KV_MAX];
	struct hny_event_opts eo;
	struct dataset_queue queues[MAX_DATASETS];
	int nqueues;
	double close_deadline_s;
	uint64_t rejected, oversize, trimmed, encode_failed, too_many_datasets;
	int logged_rejected, logged_refused, logged_datasets;
};

void honeycomb_limits(struct delivery_limits *l)
{
	delivery_limits_default(l);
	l->queue_max_bytes = QUEUE_MAX_BYTES;
	l->batch_max_items = BATCH_EVENTS;
	l->batch_max_bytes = HNY_BATCH_MAX_BYTES; /* uncompressed, as libhoney counts it */
	l->item_overhead = 1;                     /* the comma */
	l->batch_base_bytes = 2;                  /* the brackets */
	l->batch_wait_ms = BATCH_WAIT_MS;
	l->retry_after_cap_s = RETRY_AFTER_MAX_S;
}

int honeycomb_build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq)
{
	struct dataset_queue *q = ctx;
	size_t len = 2, off = 0, zlen;
	char *body, *z;

	for (int i = 0; i < n; i++)
		len += items[i]->len + 1;
	body = malloc(len);
	if (!body)
		return 1; /* out of memory now; the batch waits and is asked again */
	body[off++] = '[';
	for (int i = 0; i < n; i++) {
		if (i)
			body[off++] = ',';
		memcpy(body + off, items[i]->data, items[i]->len);
		off += items[i]->len;
	}
	body[off++] = ']';
	z = gzip_compress(body, off, &zlen);
	free(body);
	if (!z)
		return 1;
	snprintf(rq->url, sizeof(rq->url), "%s", q->url);
	rq->body = z;
	rq->len = zlen;
	if (delivery_header(rq, "Content-Type", "application/json") ||
	    delivery_header(rq, "Content-Encoding", "gzip") ||
	    delivery_header(rq, "X-Honeycomb-Team", q->h->key) ||
	    delivery_header(rq, "User-Agent", USER_AGENT))
		return -1;
	return 0;
}

/* "error" from Honeycomb's JSON error body, else the start of the body. */
static void error_text(const char *body, char *out, size_t len)
{
	cJSON *j = cJSON_Parse(body ? body : "");
	cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");

	if (cJSON_IsString(e))
		snprintf(out, len, "%s", e->valuestring);
	else
		snprintf(out, len, "%.200s", body ? body : "");
	cJSON_Delete(j);
}

/* A 200 carries one {"status": N, "error"?: "..."} per event, in request order: 202 is
 * queued, anything else is refused for good (bad data is not retried). */
static void per_event(struct dataset_queue *q, int n, const char *body,
		      enum delivery_outcome *out)
{
	cJSON *arr = cJSON_Parse(body ? body : ""), *e;
	int i = 0;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return; /* the request was accepted; without statuses, every event was */
	}
	cJSON_ArrayForEach(e, arr)
	{
		cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
		int code = cJSON_IsNumber(st) ? st->valueint : 0;

		if (i >= n)
			break;
		if (code >= 200 && code < 300) {
			out[i] = DELIVERY_SENT;
		} else {
			cJSON *err = cJSON_GetObjectItemCaseSensitive(e, "error");

			out[i] = DELIVERY_DROP;
			q->h->rejected++;
			if (!q->h->logged_rejected++)
				log_msg("honeycomb: dataset %s refused an event: %d %s; counted "
					"as dropped",
					q->name, code, cJSON_IsString(err) ? err->valuestring : "");
		}
		i++;
	}
	cJSON_Delete(arr);
}

void honeycomb_result(void *ctx, struct delivery_item **items, int n,
		      const struct http_response *r, enum delivery_outcome *out,
		      double *retry_after_s)
{
	struct dataset_queue *q = ctx;
	enum delivery_outcome v;
	char why[256];

	if (r->error)
		return; /* transport: the default retries */
	if (r->status >= 200 && r->status < 300) {
		for (int i = 0; i < n; i++)
			out[i] = DELIVERY_SENT;
		per_event(q, n, r->body, out);
		return;
	}
	if (r->status == 429 || r->status == 503) {
		v = DELIVERY_RETRY;
		if (r->retry_after_s < 0 || r->retry_after_s >= RETRY_AFTER_MAX_S)
			*retry_after_s = RETRY_AFTER_DEFAULT_S;
		else
			*retry_after_s = r->retry_after_s;
	} else {
		/* 400, 401, 403, 404, 413, other 5xx: the same request would fail again. */
		v = DELIVERY_DROP;
		if (!q->h->logged_refused++) {
			error_text(r->body, why, sizeof(why));
			log_msg("honeycomb: dataset %s refused a batch of %d: HTTP %ld %s; counted "
				"as dropped",
				q->name, n, r->status, why);
		}
	}
	for (int i = 0; i < n; i++)
		out[i] = v;
}

static const struct delivery_ops ops = { .build = honeycomb_build,
					 .result = honeycomb_result };

static struct dataset_queue *queue_for(struct hny *h, const char *dataset)
{
	struct delivery_limits l;
	struct dataset_queue *q;
	char qname[HNY_DATASET_MAX + 16];
	char *esc;

	for (int i = 0; i < h->nqueues; i++)
		if (strcmp(h->queues[i].name, dataset) == 0)
			return &h->queues[i];
	if (h->nqueues == MAX_DATASETS)
		return NULL;
	q = &h->queues[h->nqueues];
	q->h = h;
	snprintf(q->name, sizeof(q->name), "%s", dataset);
	/* Dataset names may hold spaces and other characters a path must escape. */
	esc = curl_easy_escape(NULL, dataset, 0);
	if (!esc)
		return NULL;
	snprintf(q->url, sizeof(q->url), "%s/1/batch/%s", h->base, esc);
	curl_free(esc);
	snprintf(qname, sizeof(qname), h->nqueues ? "honeycomb %s" : "honeycomb", dataset);
	honeycomb_limits(&l);
	q->d = delivery_new(h->nqueues ? qname : "honeycomb", &l, &ops, q, &h->ex.counts);
	if (!q->d)
		return NULL;
	h->nqueues++;
	return q;
}

static void hny_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	struct hny *h = (struct hny *)ex;
	char ds[HNY_DATASET_MAX];
	struct dataset_queue *q;
	int trimmed = 0;
	char *ev;

	if (h->classic)
		snprintf(ds, sizeof(ds), "%s", h->dataset);
	else
		hny_service_dataset(s->service_name, ds, sizeof(ds));
	q = queue_for(h, ds);
	if (!q) {
		h->too_many_datasets++;
		ex->dropped++;
		if (!h->logged_datasets++)
			log_msg("honeycomb: more than %d datasets (service names); events for "
				"%s are dropped and counted", MAX_DATASETS, ds);
		return;
	}
	ev = hny_event_encode(s, v, &h->eo, s->sample_rate ? (int)s->sample_rate : 1,
			      HNY_EVENT_MAX, &trimmed);
	if (!ev) {
		/* Either memory ran out or the event stays over 1 MB without its stack. */
		h->encode_failed++;
		h->oversize++;
		ex->dropped++;
		return;
	}
	h->trimmed += (uint64_t)trimmed;
	delivery_add(q->d, ev, strlen(ev), 0, v->span_id); /* takes ev; counts a drop itself */
}

static void hny_flush(struct exporter *ex)
{
	struct hny *h = (struct hny *)ex;

	for (int i = 0; i < h->nqueues; i++)
		delivery_poll(h->queues[i].d);
}

static void hny_close(struct exporter *ex)
{
	struct hny *h = (struct hny *)ex;

	/* export_close_all drained every queue before this, within the shared deadline. */
	for (int i = 0; i < h->nqueues; i++)
		delivery_free(h->queues[i].d);
	h->nqueues = 0;
	/* The registry prints the summary after close: the struct lives until exit. */
}

static void hny_describe(struct exporter *ex, char *buf, size_t len)
{
	struct hny *h = (struct hny *)ex;

	snprintf(buf, len, "%s, %s key, %llu refused per event, %llu over 1 MB, %llu stack "
		 "traces cut to fit",
		 h->base, h->classic ? "classic" : "environment", (unsigned long long)h->rejected,
		 (unsigned long long)h->oversize, (unsigned long long)h->trimmed);
}

void *honeycomb_test_ctx(struct exporter *ex, const char *dataset)
{
	return queue_for((struct hny *)ex, dataset);
}

struct exporter *export_honeycomb_new(const struct honeycomb_opts *o)
{
	struct hny *h;
	const char *ep = o->endpoint && o->endpoint[0] ? o->endpoint : HONEYCOMB_DEFAULT_ENDPOINT;
	char err[256];
	size_t n;
	int nres = 0;

	if (!o->api_key || !o->api_key[0]) {
		log_msg("--export honeycomb needs an API key: set "
			"HONEYCOMB_API_KEY (or honeycomb.api_key in the config file)");
		return NULL;
	}
	if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)) {
		log_msg("the Honeycomb endpoint (HONEYCOMB_API_ENDPOINT) takes an "
			"http:// or https:// URL, not '%s'", ep);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		log_msg("out of memory");
		return NULL;
	}
	if (o->resource_attributes) {
		nres = otel_kv_parse(o->resource_attributes, h->resource, OTEL_KV_MAX, 0, err,
				     sizeof(err));
		if (nres < 0) {
			log_msg("OTEL_RESOURCE_ATTRIBUTES: %s", err);
			free(h);
			return NULL;
		}
	}
	if (strlen(o->api_key) >= sizeof(h->key) || strpbrk(o->api_key, "\r\n")) {
		log_msg("the Honeycomb API key is not a key (too long, or holds a "
			"line break)");
		free(h);
		return NULL;
	}
	snprintf(h->key, sizeof(h->key), "%s", o->api_key);
	h->classic = hny_key_is_classic(h->key);
	if (h->classic) {
		if (!o->dataset || !o->dataset[0]) {
			log_msg("a Honeycomb classic API key needs a dataset: set "
				"--honeycomb-dataset, HONEYCOMB_DATASET or "
				"honeycomb.dataset in the config file");
			free(h);
			return NULL;
		}
		snprintf(h->dataset, sizeof(h->dataset), "%s", o->dataset);
	} else if (o->dataset && o->dataset[0]) {
		log_debug("honeycomb: environment key: events go to one dataset per service "
			  "name; the dataset setting is not used");
	}
	snprintf(h->base, sizeof(h->base), "%s", ep);
	n = strlen(h->base);
	while (n && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	if (gethostname(h->hostname, sizeof(h->hostname) - 1) == 0)
		h->eo.hostname = h->hostname;
	h->eo.service_version = o->service_version;
	h->eo.resource = h->resource;
	h->eo.nresource = nres;
	h->close_deadline_s = o->close_deadline_s;
	h->ex.name = "honeycomb";
	h->ex.span = hny_span;
	h->ex.flush = hny_flush;
	h->ex.close = hny_close;
	h->ex.describe = hny_describe;
	/* A classic key's one queue exists from the start, so libcurl problems show now. */
	if (h->classic && !queue_for(h, h->dataset)) {
		log_msg("libcurl could not start");
		free(h);
		return NULL;
	}
	return &h->ex;
}
