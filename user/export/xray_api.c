/* X-Ray's PutTraceSegments client: batches of 50, SigV4, retries, a bounded queue. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "export/xray_api.h"
#include "log.h"
#include "net/aws_creds.h"
#include "net/http.h"
#include "net/sigv4.h"

#define BATCH_MAX 50                     /* documents per PutTraceSegments (service limit) */
#define BATCH_WAIT_MS 1000               /* a partial batch goes after this long */
#define QUEUE_MAX_BYTES (16u << 20)      /* documents waiting or in flight */
#define MAX_INFLIGHT 4
#define MAX_ATTEMPTS 5                   /* for throttling, 5xx and transport errors */
#define BACKOFF_CAP_MS 20000
#define RETRY_AFTER_CAP_S 60
#define REQUEST_TIMEOUT_MS 10000
#define NO_CREDS_RETRY_MS 1000

struct doc {
	char *text;
	char id[17];
	int unprocessed_retried; /* UnprocessedTraceSegments gets one more try */
	struct doc *next;
};

struct batch {
	struct xray_api *c;
	struct doc *docs[BATCH_MAX];
	int n;
	int attempt;
	uint64_t not_before_ms;
	struct batch *next, *prev;
};

struct xray_api {
	struct exporter *ex;
	char region[64];
	char url[1200];  /* the full PutTraceSegments URL */
	char host[300];  /* Host as signed (and sent) */
	char path[600];  /* the path as signed */
	char base[1024]; /* for the summary */
	struct aws_creds_provider *creds;
	struct http_loop *loop;
	struct doc *qhead, *qtail;
	int qn;
	uint64_t oldest_ms;
	size_t bytes; /* every document not yet sent or dropped */
	struct batch *waiting;  /* backing off */
	struct batch *inflight; /* sent, no answer yet */
	int ninflight;
	int closing;
	double close_deadline_s;
	uint64_t requests, throttled, unprocessed;
	int logged_full, logged_nocreds, logged_rejected, logged_throttle, logged_giveup;
	uint64_t rng;
};

static uint64_t now_ms(void)
{
	return clock_mono_now_ns() / 1000000ull;
}

static double uniform(struct xray_api *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static void list_add(struct batch **head, struct batch *b)
{
	b->prev = NULL;
	b->next = *head;
	if (*head)
		(*head)->prev = b;
	*head = b;
}

static void list_del(struct batch **head, struct batch *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		*head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->next = b->prev = NULL;
}

static void doc_done(struct xray_api *c, struct doc *d, int sent)
{
	if (sent)
		c->ex->sent++;
	else
		c->ex->dropped++;
	c->bytes -= strlen(d->text);
	free(d->text);
	free(d);
}

static void batch_drop(struct xray_api *c, struct batch *b)
{
	for (int i = 0; i < b->n; i++)
		doc_done(c, b->docs[i], 0);
	free(b);
}

/* Back to the front of the queue: it goes out in the next batch. */
static void requeue(struct xray_api *c, struct doc *d)
{
	d->next = c->qhead;
	c->qhead = d;
	if (!c->qtail)
		c->qtail = d;
	if (!c->qn++)
		c->oldest_ms = now_ms();
}

/* The service's words for a rejection: "__type: message", from the JSON error body. */
static void error_text(const char *body, char *out, size_t n)
{
	cJSON *j = cJSON_Parse(body);
	cJSON *t = cJSON_GetObjectItem(j, "__type");
	cJSON *m = cJSON_GetObjectItem(j, "message");

	if (!m)
		m = cJSON_GetObjectItem(j, "Message");
	if (cJSON_IsString(t) || cJSON_IsString(m))
		snprintf(out, n, "%s%s%s", cJSON_IsString(t) ? t->valuestring : "",
			 cJSON_IsString(t) && cJSON_IsString(m) ? ": " : "",
			 cJSON_IsString(m) ? m->valuestring : "");
	else
		snprintf(out, n, "%.200s", body);
	cJSON_Delete(j);
}

static void retry_later(struct xray_api *c, struct batch *b, double retry_after_s,
			const char *why)
{
	uint64_t delay;

	if (b->attempt + 1 >= MAX_ATTEMPTS) {
		if (!c->logged_giveup++)
			log_msg("xray: giving up on a batch of %d segments after %d attempts (%s); "
				"counted as dropped",
				b->n, MAX_ATTEMPTS, why);
		batch_drop(c, b);
		return;
	}
	b->attempt++;
	if (retry_after_s >= 0)
		delay = (uint64_t)((retry_after_s < RETRY_AFTER_CAP_S ? retry_after_s :
									RETRY_AFTER_CAP_S) *
				   1000);
	else {
		/* Full jitter: a random wait up to 2^attempt x 100 ms, capped. */
		uint64_t cap = 100ull << b->attempt;

		if (cap > BACKOFF_CAP_MS)
			cap = BACKOFF_CAP_MS;
		delay = (uint64_t)(uniform(c) * (double)cap);
	}
	b->not_before_ms = now_ms() + delay;
	c->ex->retried += (uint64_t)b->n;
	list_add(&c->waiting, b);
}

static void handle_ok(struct xray_api *c, struct batch *b, const char *body)
{
	cJSON *j = cJSON_Parse(body), *u = cJSON_GetObjectItem(j, "UnprocessedTraceSegments");
	cJSON *e;

	cJSON_ArrayForEach(e, u)
	{
		cJSON *id = cJSON_GetObjectItem(e, "Id");

		for (int i = 0; cJSON_IsString(id) && i < b->n; i++) {
			struct doc *d = b->docs[i];

			if (!d || strcmp(d->id, id->valuestring))
				continue;
			b->docs[i] = NULL;
			c->unprocessed++;
			if (!d->unprocessed_retried) {
				d->unprocessed_retried = 1;
				c->ex->retried++;
				requeue(c, d);
			} else {
				if (!c->logged_rejected++) {
					cJSON *code = cJSON_GetObjectItem(e, "ErrorCode");
					cJSON *msg = cJSON_GetObjectItem(e, "Message");

					const char *cs, *ms;

					cs = cJSON_IsString(code) ? code->valuestring : "?";
					ms = cJSON_IsString(msg) ? msg->valuestring : "";
					log_msg("xray: segment %s unprocessed twice (%s: %s); "
						"counted as dropped",
						d->id, cs, ms);
				}
				doc_done(c, d, 0);
			}
		}
	}
	cJSON_Delete(j);
	for (int i = 0; i < b->n; i++)
		if (b->docs[i])
			doc_done(c, b->docs[i], 1);
	free(b);
}

static void on_done(void *arg, const struct http_response *r)
{
	struct batch *b = arg;
	struct xray_api *c = b->c;
	char why[300];

	list_del(&c->inflight, b);
	c->ninflight--;
	if (r->error) {
		snprintf(why, sizeof(why), "%s", r->error);
		retry_later(c, b, -1, why);
	} else if (r->status >= 200 && r->status < 300) {
		handle_ok(c, b, r->body);
	} else if (r->status == 429 || r->status >= 500) {
		if (r->status == 429 && !c->logged_throttle++)
			log_msg("xray: throttled by the service (429); backing off");
		c->throttled += r->status == 429;
		snprintf(why, sizeof(why), "HTTP %ld", r->status);
		retry_later(c, b, r->retry_after_s, why);
	} else {
		/* Bad data or bad credentials: retrying would fail the same way. */
		if (!c->logged_rejected++) {
			error_text(r->body, why, sizeof(why));
			log_msg("xray: PutTraceSegments refused a batch: HTTP %ld %s", r->status,
				why);
		}
		batch_drop(c, b);
	}
}

static char *batch_body(struct batch *b)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = o ? cJSON_AddArrayToObject(o, "TraceSegmentDocuments") : NULL;
	char *text = NULL;

	for (int i = 0; arr && i < b->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(b->docs[i]->text));
	if (arr)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Sign and start; 0 when it is on the wire, -1 when it must wait (no credentials). */
static int batch_send(struct xray_api *c, struct batch *b)
{
	struct aws_creds cr;
	char date[17], auth[1024];
	char *body;
	int rc = -1;

	if (aws_creds_get(c->creds, &cr)) {
		if (!c->logged_nocreds++)
			log_msg("xray: no AWS credentials yet; segments wait in the queue");
		return -1;
	}
	body = batch_body(b);
	if (body) {
		struct sigv4_header h[4] = { { "Content-Type", "application/json" },
					     { "Host", c->host },
					     { "X-Amz-Date", date },
					     { "X-Amz-Security-Token", cr.token } };
		int nh = cr.token[0] ? 4 : 3;
		struct sigv4_request req = { "POST", c->path, NULL, h, nh, body, strlen(body) };
		struct sigv4_scope sc = { date, c->region, "xray" };

		sigv4_amz_date((long long)time(NULL), date);
		if (sigv4_authorization(&req, &sc, cr.access_key_id, cr.secret, auth,
					sizeof(auth)) == 0) {
			struct http_header hh[5] = { { h[0].name, h[0].value },
						     { h[1].name, h[1].value },
						     { h[2].name, h[2].value },
						     { "Authorization", auth },
						     { h[3].name, h[3].value } };

			b->c = c;
			if (http_start(c->loop, "POST", c->url, hh, nh + 1, body, strlen(body),
				       REQUEST_TIMEOUT_MS, on_done, b) == 0) {
				list_add(&c->inflight, b);
				c->ninflight++;
				c->requests++;
				rc = 0;
			}
		}
		free(body);
	}
	aws_creds_wipe(&cr);
	if (rc && body) {
		/* Could not even start (out of memory): treat like a transport error. */
		retry_later(c, b, -1, "could not start the request");
		return 0;
	}
	return rc;
}

static struct batch *take_batch(struct xray_api *c)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->c = c;
	while (c->qhead && b->n < BATCH_MAX) {
		struct doc *d = c->qhead;

		c->qhead = d->next;
		d->next = NULL;
		b->docs[b->n++] = d;
		c->qn--;
	}
	if (!c->qhead)
		c->qtail = NULL;
	c->oldest_ms = now_ms();
	return b;
}

void xray_api_poll(struct xray_api *c)
{
	uint64_t now;
	struct batch *b, *next;

	if (!c)
		return;
	http_loop_poll(c->loop);
	now = now_ms();
	for (b = c->waiting; b && c->ninflight < MAX_INFLIGHT; b = next) {
		next = b->next;
		if (b->not_before_ms > now)
			continue;
		list_del(&c->waiting, b);
		if (batch_send(c, b)) {
			b->not_before_ms = now + NO_CREDS_RETRY_MS;
			list_add(&c->waiting, b);
		}
	}
	while (c->qn && c->ninflight < MAX_INFLIGHT &&
	       (c->qn >= BATCH_MAX || c->closing || now - c->oldest_ms >= BATCH_WAIT_MS)) {
		b = take_batch(c);
		if (!b)
			break;
		if (batch_send(c, b)) {
			b->not_before_ms = now + NO_CREDS_RETRY_MS;
			list_add(&c->waiting, b);
			break;
		}
	}
	/* Starting transfers is not the same as moving bytes: give curl a turn now. */
	http_loop_poll(c->loop);
}

void xray_api_add(struct xray_api *c, char *text, const char *id)
{
	size_t len = strlen(text);
	struct doc *d;

	if (c->bytes + len > QUEUE_MAX_BYTES || !(d = calloc(1, sizeof(*d)))) {
		if (!c->logged_full++)
			log_msg("xray: export queue full (%u MiB waiting); dropping and counting",
				QUEUE_MAX_BYTES >> 20);
		c->ex->dropped++;
		free(text);
		return;
	}
	d->text = text;
	snprintf(d->id, sizeof(d->id), "%s", id);
	c->bytes += len;
	if (c->qtail)
		c->qtail->next = d;
	else
		c->qhead = d;
	c->qtail = d;
	if (!c->qn++)
		c->oldest_ms = now_ms();
}

void xray_api_close(struct xray_api *c)
{
	uint64_t deadline = now_ms() + (uint64_t)(c->close_deadline_s * 1000);
	struct batch *b;

	c->closing = 1;
	while (now_ms() < deadline && (c->qn || c->waiting || c->ninflight)) {
		xray_api_poll(c);
		http_loop_wait(c->loop, 20);
	}
	/* Out of time: what is left is counted, not lost silently. */
	while (c->qn) {
		b = take_batch(c);
		if (!b)
			break;
		batch_drop(c, b);
	}
	while ((b = c->waiting)) {
		list_del(&c->waiting, b);
		batch_drop(c, b);
	}
	while ((b = c->inflight)) {
		/* The transfer is abandoned with the process; its callback never runs. */
		list_del(&c->inflight, b);
		for (int i = 0; i < b->n; i++)
			doc_done(c, b->docs[i], 0);
		b->n = 0;
	}
	aws_creds_provider_free(c->creds);
	c->creds = NULL;
}

int xray_api_describe(struct xray_api *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "api %s, %llu requests, %llu throttled, %llu unprocessed",
			 c->base, (unsigned long long)c->requests,
			 (unsigned long long)c->throttled, (unsigned long long)c->unprocessed);

	return n < 0 ? 0 : (size_t)n >= len ? (int)len - 1 : n;
}

/* URL, Host and path to sign from the endpoint: curl's parser, so both agree. */
static int set_endpoint(struct xray_api *c, const char *endpoint)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	size_t pl;
	int rc = -1;

	snprintf(c->base, sizeof(c->base), "%s", endpoint);
	pl = strlen(c->base);
	while (pl && c->base[pl - 1] == '/')
		c->base[--pl] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, c->base, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
		snprintf(c->host, sizeof(c->host), "%s%s%s", host, port ? ":" : "",
			 port ? port : "");
		pl = strlen(path);
		while (pl && path[pl - 1] == '/')
			path[--pl] = '\0';
		snprintf(c->path, sizeof(c->path), "%s/TraceSegments", path);
		snprintf(c->url, sizeof(c->url), "%s/TraceSegments", c->base);
		rc = 0;
	}
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

struct xray_api *xray_api_new(const struct xray_opts *o, struct exporter *ex)
{
	struct xray_api *c = calloc(1, sizeof(*c));
	const char *ep = o->endpoint;
	char def[200];

	if (!c)
		return NULL;
	c->ex = ex;
	c->close_deadline_s = o->close_deadline_s;
	c->rng = clock_mono_now_ns();
	if (aws_region(c->region)) {
		fprintf(stderr, "pyspan: --xray-mode api needs a region: set AWS_REGION (or "
				"AWS_DEFAULT_REGION, or region in the AWS config file)\n");
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
	if (set_endpoint(c, ep)) {
		fprintf(stderr, "pyspan: the X-Ray endpoint '%s' is not a URL\n", ep);
		free(c);
		return NULL;
	}
	c->loop = http_loop();
	if (!c->loop) {
		fprintf(stderr, "pyspan: libcurl could not start\n");
		free(c);
		return NULL;
	}
	c->creds = aws_creds_provider_new(c->region);
	if (!c->creds) {
		fprintf(stderr, "pyspan: out of memory\n");
		free(c);
		return NULL;
	}
	return c;
}
