// SPDX-License-Identifier: BSD-2-Clause
/* The OTLP/HTTP JSON exporter: spans to /v1/traces, log records to /v1/logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/otlp/otlp.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/otel_kv.h"
#include "lib/version.h"
#include "net/gzip.h"

#define BATCH_ITEMS 512
#define BATCH_MAX_BYTES (4u << 20) /* well under the 64 MiB the spec lets a client send */
#define BATCH_WAIT_MS 1000
#define QUEUE_MAX_BYTES (16u << 20)
#define USER_AGENT "pyspan/" PYSPAN_VERSION

struct otlp;

struct signal_queue {
	struct otlp *o;
	enum otlp_signal sig;
	char url[1200];
	struct delivery *d;
	uint64_t rejected;
	int logged_partial, logged_refused;
};

struct otlp {
	struct exporter ex;
	struct signal_queue traces, logs;
	struct otel_kv headers[OTEL_HEADERS_MAX];
	int nheaders;
	int gzip;
	char hostname[256];
	struct otel_kv resource[OTEL_KV_MAX];
	struct otlp_resource_opts ro;
	/* The resource of the latest span or record: consecutive ones share it. */
	char *res_text;
	uint32_t res_pid;
	char res_service[256];
	double close_deadline_s;
	uint64_t encode_failed;
};

void otlp_signal_url(const char *base, const char *own, enum otlp_signal sig, char *out,
		     size_t len)
{
	const char *path = sig == OTLP_TRACES ? "/v1/traces" : "/v1/logs";
	size_t n;

	if (own && own[0]) {
		snprintf(out, len, "%s", own);
		return;
	}
	snprintf(out, len, "%s", base && base[0] ? base : OTLP_DEFAULT_ENDPOINT);
	n = strlen(out);
	while (n && out[n - 1] == '/')
		out[--n] = '\0';
	snprintf(out + n, len - n, "%s", path);
}

int otlp_build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq)
{
	struct signal_queue *q = ctx;
	char *texts[BATCH_ITEMS];
	size_t lens[BATCH_ITEMS], len;
	char *body;

	if (n > BATCH_ITEMS)
		n = BATCH_ITEMS;
	for (int i = 0; i < n; i++) {
		texts[i] = items[i]->data;
		lens[i] = items[i]->len;
	}
	body = otlp_envelope(q->sig, texts, lens, n, PYSPAN_VERSION, &len);
	if (!body)
		return 1;
	if (q->o->gzip) {
		size_t zl;
		char *z = gzip_compress(body, len, &zl);

		free(body);
		if (!z)
			return 1;
		body = z;
		len = zl;
		if (delivery_header(rq, "Content-Encoding", "gzip"))
			goto fail;
	}
	snprintf(rq->url, sizeof(rq->url), "%s", q->url);
	rq->body = body;
	rq->len = len;
	if (delivery_header(rq, "Content-Type", "application/json") ||
	    delivery_header(rq, "User-Agent", USER_AGENT))
		return -1;
	for (int i = 0; i < q->o->nheaders; i++)
		if (delivery_header(rq, q->o->headers[i].key, q->o->headers[i].value))
			return -1;
	return 0;
fail:
	free(body);
	rq->body = NULL;
	return -1;
}

void otlp_result(void *ctx, struct delivery_item **items, int n, const struct http_response *r,
		 enum delivery_outcome *out, double *retry_after_s)
{
	struct signal_queue *q = ctx;
	const char *what = q->sig == OTLP_TRACES ? "spans" : "log records";
	enum delivery_outcome v;
	char msg[256];

	if (r->error)
		return; /* no answer: the default retries with backoff */
	if (r->status >= 200 && r->status < 300) {
		long long k = otlp_partial_rejected(q->sig, r->body, msg, sizeof(msg));

		/* The answer says how many, not which: the count is what matters. */
		if (k > n)
			k = n;
		for (int i = 0; i < n; i++)
			out[i] = i < n - k ? DELIVERY_SENT : DELIVERY_DROP;
		q->rejected += (uint64_t)k;
		if ((k || msg[0]) && !q->logged_partial++)
			log_msg("otlp: the collector rejected %lld of %d %s%s%s%s", k, n, what,
				msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
		return;
	}
	/* Only these may succeed later; 400 is bad data and the rest would fail the same way. */
	if (r->status == 429 || r->status == 502 || r->status == 503 || r->status == 504) {
		v = DELIVERY_RETRY;
		*retry_after_s = r->retry_after_s;
	} else {
		v = DELIVERY_DROP;
		if (!q->logged_refused++)
			log_msg("otlp: %s refused %d %s: HTTP %ld %.200s", q->url, n, what,
				r->status, r->body ? r->body : "");
	}
	for (int i = 0; i < n; i++)
		out[i] = v;
}

static const struct delivery_ops ops = { otlp_build, otlp_result };

static const char *resource_for(struct otlp *o, const char *service, uint32_t pid)
{
	const char *svc = service ? service : "";

	if (o->res_text && o->res_pid == pid && strcmp(o->res_service, svc) == 0)
		return o->res_text;
	free(o->res_text);
	o->res_text = otlp_resource_json(svc, pid, &o->ro);
	o->res_pid = pid;
	snprintf(o->res_service, sizeof(o->res_service), "%s", svc);
	return o->res_text;
}

static void enqueue(struct otlp *o, struct signal_queue *q, const char *resource, char *rec,
		    const uint8_t *span_id)
{
	char id[17] = "";
	size_t len;
	char *item = resource && rec ? otlp_item(resource, rec, &len) : NULL;

	free(rec);
	if (!item) {
		o->encode_failed++;
		o->ex.dropped++;
		return;
	}
	if (span_id)
		snprintf(id, sizeof(id), "%02x%02x%02x%02x%02x%02x%02x%02x", span_id[0],
			 span_id[1], span_id[2], span_id[3], span_id[4], span_id[5], span_id[6],
			 span_id[7]);
	delivery_add(q->d, item, len, 0, id);
}

static void otlp_span(struct exporter *ex, const struct span *s)
{
	struct otlp *o = (struct otlp *)ex;

	enqueue(o, &o->traces, resource_for(o, s->service_name, s->pid), otlp_span_json(s),
		s->span_id);
}

static void otlp_log(struct exporter *ex, const struct log_record *r)
{
	struct otlp *o = (struct otlp *)ex;
	uint64_t now = clock_mono_to_unix_ns(clock_mono_now_ns());

	enqueue(o, &o->logs, resource_for(o, r->service_name, r->pid), otlp_log_json(r, now),
		r->has_trace ? r->span_id : NULL);
}

static void otlp_flush(struct exporter *ex)
{
	struct otlp *o = (struct otlp *)ex;

	delivery_poll(o->traces.d);
	delivery_poll(o->logs.d);
}

static void otlp_close(struct exporter *ex)
{
	struct otlp *o = (struct otlp *)ex;

	/* export_close_all drained every queue before this, within the shared deadline. */
	delivery_free(o->traces.d);
	delivery_free(o->logs.d);
	o->traces.d = o->logs.d = NULL;
	free(o->res_text);
	o->res_text = NULL;
}

static void otlp_describe(struct exporter *ex, char *buf, size_t len)
{
	struct otlp *o = (struct otlp *)ex;

	snprintf(buf, len, "%s and %s%s, %llu spans and %llu log records rejected by the "
		 "collector",
		 o->traces.url, o->logs.url, o->gzip ? " (gzip)" : "",
		 (unsigned long long)o->traces.rejected, (unsigned long long)o->logs.rejected);
}

void *otlp_test_ctx(struct exporter *ex, enum otlp_signal sig)
{
	struct otlp *o = (struct otlp *)ex;

	return sig == OTLP_TRACES ? &o->traces : &o->logs;
}

void otlp_limits(struct delivery_limits *l)
{
	delivery_limits_default(l);
	l->queue_max_bytes = QUEUE_MAX_BYTES;
	l->batch_max_items = BATCH_ITEMS;
	l->batch_max_bytes = BATCH_MAX_BYTES;
	l->batch_wait_ms = BATCH_WAIT_MS;
}

static int is_url(const char *u)
{
	return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

struct exporter *export_otlp_new(const struct otlp_opts *opt)
{
	struct otlp *o = calloc(1, sizeof(*o));
	struct delivery_limits l;
	char err[300];
	int n;

	if (!o) {
		fprintf(stderr, "pyspan: out of memory\n");
		return NULL;
	}
	if (opt->headers) {
		n = otel_kv_parse(opt->headers, o->headers, OTEL_HEADERS_MAX, 1, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "pyspan: OTEL_EXPORTER_OTLP_HEADERS: %s\n", err);
			goto fail;
		}
		o->nheaders = n;
	}
	if (opt->resource_attributes) {
		n = otel_kv_parse(opt->resource_attributes, o->resource, OTEL_KV_MAX, 0, err,
				  sizeof(err));
		if (n < 0) {
			fprintf(stderr, "pyspan: OTEL_RESOURCE_ATTRIBUTES: %s\n", err);
			goto fail;
		}
		o->ro.extra = o->resource;
		o->ro.nextra = n;
	}
	o->traces.o = o->logs.o = o;
	o->traces.sig = OTLP_TRACES;
	o->logs.sig = OTLP_LOGS;
	otlp_signal_url(opt->endpoint, opt->traces_endpoint, OTLP_TRACES, o->traces.url,
			sizeof(o->traces.url));
	otlp_signal_url(opt->endpoint, opt->logs_endpoint, OTLP_LOGS, o->logs.url,
			sizeof(o->logs.url));
	if (!is_url(o->traces.url) || !is_url(o->logs.url)) {
		log_msg("the OTLP endpoint takes an http:// or https:// URL, not '%s'",
			is_url(o->traces.url) ? o->logs.url : o->traces.url);
		goto fail;
	}
	o->gzip = opt->gzip;
	if (gethostname(o->hostname, sizeof(o->hostname) - 1) == 0)
		o->ro.hostname = o->hostname;
	o->ro.service_version = opt->service_version;
	o->close_deadline_s = opt->close_deadline_s;
	o->ex.name = "otlp";
	o->ex.span = otlp_span;
	o->ex.log = otlp_log;
	o->ex.flush = otlp_flush;
	o->ex.close = otlp_close;
	o->ex.describe = otlp_describe;
	otlp_limits(&l);
	o->traces.d = delivery_new("otlp traces", &l, &ops, &o->traces, &o->ex.counts);
	o->logs.d = delivery_new("otlp logs", &l, &ops, &o->logs, &o->ex.counts);
	if (!o->traces.d || !o->logs.d) {
		fprintf(stderr, "pyspan: libcurl could not start\n");
		delivery_free(o->traces.d);
		delivery_free(o->logs.d);
		goto fail;
	}
	return &o->ex;
fail:
	free(o);
	return NULL;
}
