// SPDX-License-Identifier: BSD-2-Clause
/* CloudWatch Logs: request logs, the service's own output and EMF metrics, by PutLogEvents. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export/cloudwatch/cloudwatch.h"
#include "export/cloudwatch/emf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "net/aws/aws_creds.h"
#include "net/aws/aws_endpoint.h"
#include "net/aws/aws_error.h"
#include "net/aws/sigv4.h"
#include "net/http.h"
#include "proto/pytraceback.h"
#include "span/tracectx.h"

#define QUEUE_MAX_BYTES (32u << 20)
#define BATCH_WAIT_MS 1000
#define MAX_ATTEMPTS 8 /* a missing group costs one; throttling, 5xx, transport the rest */
#define REQUEST_TIMEOUT_MS 10000
#define TARGET_PREFIX "Logs_20140328."

/* Whether the log group and stream are known to exist. PutLogEvents goes first; only a
 * ResourceNotFoundException makes the exporter create them, as the CloudWatch agent does. */
enum resource_state {
	RES_READY = 0,
	RES_CREATE_GROUP,  /* next: CreateLogGroup, then CreateLogStream */
	RES_CREATE_STREAM, /* next: CreateLogStream */
	RES_CREATING,      /* a Create call is in flight */
	RES_FAILED,        /* creation was refused for good: events are dropped */
};

struct cw {
	struct exporter ex;
	struct delivery *q;
	struct emf *emf;
	uint64_t emf_interval_ms, emf_next_ms;
	uint64_t close_deadline_ms;
	char group[520], stream[520];
	char region[64];
	struct aws_endpoint ep; /* URL, Host and path as signed, base for the summary */
	struct aws_creds_provider *creds;
	enum resource_state res;
	int create_is_group; /* what the call in flight creates */
	uint64_t too_old, too_new, split, rejected, throttled, created;
	int logged_invalid, logged_refused, logged_nocreds, logged_create, logged_throttle;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cw_limits(struct delivery_limits *l)
{
	delivery_limits_default(l);
	l->queue_max_bytes = QUEUE_MAX_BYTES;
	l->batch_max_items = CW_BATCH_MAX_EVENTS;
	l->batch_max_bytes = CW_BATCH_MAX_BYTES;
	l->item_overhead = CW_EVENT_OVERHEAD;
	l->batch_base_bytes = 0; /* the service counts messages only, not the envelope */
	/* Keys are microseconds, so lines written within one millisecond keep their order in a
	 * batch; "may not span more than 24 hours": stay a millisecond inside it. */
	l->batch_max_key_span = (CW_BATCH_MAX_SPAN_MS - 1) * 1000ull;
	l->sort_by_key = 1;
	l->batch_wait_ms = BATCH_WAIT_MS;
	l->max_inflight = 1; /* one stream, batches in order */
	l->max_attempts = MAX_ATTEMPTS;
	l->timeout_ms = REQUEST_TIMEOUT_MS;
}

enum cw_age cw_check_age(uint64_t ts_ms, uint64_t now_ms)
{
	if (ts_ms + CW_MAX_AGE_MS < now_ms)
		return CW_TOO_OLD;
	if (ts_ms > now_ms + CW_MAX_FUTURE_MS)
		return CW_TOO_NEW;
	return CW_AGE_OK;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

char *cw_utf8_clean(const char *in, size_t n, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out = malloc(n * 3 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i);

		if (k == 0 || (k == 1 && s[i] == 0)) {
			memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD; NUL too: C strings below */
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

size_t cw_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	/* back off continuation bytes so the cut falls between characters */
	while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* A string from the traced process: bytes, not necessarily UTF-8. */
static void add_clean(cJSON *o, const char *k, const char *v, size_t n)
{
	char *c = cw_utf8_clean(v, n, NULL);

	if (c)
		cJSON_AddStringToObject(o, k, c);
	free(c);
}

static void add_time(cJSON *o, const char *k, uint64_t unix_ns)
{
	time_t sec = (time_t)(unix_ns / 1000000000ull);
	struct tm tm;
	char buf[96];

	gmtime_r(&sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(unix_ns % 1000000000ull / 1000));
	cJSON_AddStringToObject(o, k, buf);
}

static char *print_free(cJSON *o)
{
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return text;
}

char *cw_request_message(const struct span *s, const struct span_view *v)
{
	cJSON *o = cJSON_CreateObject();
	const char *client = v->client_socket_addr;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "type", "request");
	add_time(o, "start", s->start_unix_ns);
	add_clean(o, "service", s->service_name ? s->service_name : "unknown",
		  strlen(s->service_name ? s->service_name : "unknown"));
	add_clean(o, "method", s->method, strlen(s->method));
	add_clean(o, "route", s->route, strlen(s->route));
	add_clean(o, "path", s->path, strlen(s->path));
	if (s->has_query)
		add_clean(o, "query", v->query, v->query_len);
	if (s->status)
		cJSON_AddNumberToObject(o, "status", s->status);
	cJSON_AddNumberToObject(o, "duration_ms", v->duration_ms);
	cJSON_AddNumberToObject(o, "request_bytes", (double)s->request_body_size);
	cJSON_AddNumberToObject(o, "response_bytes", (double)s->response_body_size);
	add_clean(o, "client", client, strlen(client));
	if (s->x_forwarded_for[0])
		add_clean(o, "x_forwarded_for", s->x_forwarded_for, strlen(s->x_forwarded_for));
	if (s->user_agent[0])
		add_clean(o, "user_agent", s->user_agent, strlen(s->user_agent));
	cJSON_AddStringToObject(o, "trace_id", v->trace_id);
	cJSON_AddStringToObject(o, "span_id", v->span_id);
	if (s->has_parent)
		cJSON_AddStringToObject(o, "parent_id", v->parent_id);
	cJSON_AddNumberToObject(o, "pid", s->pid);
	if (v->exception) {
		const struct pytb_exception *x = v->exception;

		add_clean(o, "exception_type", x->type, strlen(x->type));
		add_clean(o, "exception_message", x->message, strlen(x->message));
	}
	if (s->incomplete)
		cJSON_AddBoolToObject(o, "incomplete", 1);
	return print_free(o);
}

char *cw_log_message(const struct log_record *r)
{
	static const char *const names[] = { "", "stdout", "stderr", "file" };
	cJSON *o = cJSON_CreateObject();
	char id[33];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "type", "log");
	cJSON_AddStringToObject(o, "stream", r->stream <= LOGREC_FILE ? names[r->stream] : "");
	if (r->stream == LOGREC_FILE && r->source)
		add_clean(o, "file", r->source, strlen(r->source));
	if (r->severity_text)
		cJSON_AddStringToObject(o, "severity", r->severity_text);
	add_clean(o, "message", r->text, r->len);
	add_clean(o, "service", r->service_name ? r->service_name : "unknown",
		  strlen(r->service_name ? r->service_name : "unknown"));
	cJSON_AddNumberToObject(o, "pid", r->pid);
	cJSON_AddNumberToObject(o, "tid", r->tid);
	if (r->has_trace) {
		tracectx_hex(r->trace_id, 16, id);
		cJSON_AddStringToObject(o, "trace_id", id);
		tracectx_hex(r->span_id, 8, id);
		cJSON_AddStringToObject(o, "span_id", id);
	}
	return print_free(o);
}

char *cw_put_body(const char *group, const char *stream, struct delivery_item **items, int n)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "logGroupName", group);
	cJSON_AddStringToObject(o, "logStreamName", stream);
	arr = cJSON_AddArrayToObject(o, "logEvents");
	for (int i = 0; arr && i < n; i++) {
		cJSON *e = cJSON_CreateObject();

		/* data holds a NUL after its len bytes, and no NUL before (cw_utf8_clean) */
		cJSON_AddNumberToObject(e, "timestamp", (double)(items[i]->key / 1000));
		cJSON_AddStringToObject(e, "message", items[i]->data);
		cJSON_AddItemToArray(arr, e);
	}
	return print_free(o);
}

/* Sign a JSON 1.1 call; headers go into h (values stored in store). */
struct signed_call {
	char date[17];
	char auth[1024];
	char target[64];
	char token[4096];
	struct http_header h[8];
	int nh;
};

static int sign_call(struct cw *c, const char *op, const char *body, size_t len,
		     struct signed_call *sc)
{
	struct aws_creds cr;
	struct sigv4_header sh[6];
	int nh = 0, rc;

	if (aws_creds_get(c->creds, &cr)) {
		if (!c->logged_nocreds++)
			log_msg("cloudwatch: no AWS credentials yet; log events wait in the queue");
		return -1;
	}
	sigv4_amz_date((long long)time(NULL), sc->date);
	snprintf(sc->target, sizeof(sc->target), TARGET_PREFIX "%s", op);
	snprintf(sc->token, sizeof(sc->token), "%s", cr.token);
	sh[nh++] = (struct sigv4_header){ "Content-Type", "application/x-amz-json-1.1" };
	sh[nh++] = (struct sigv4_header){ "Host", c->ep.host };
	sh[nh++] = (struct sigv4_header){ "X-Amz-Date", sc->date };
	sh[nh++] = (struct sigv4_header){ "X-Amz-Target", sc->target };
	/* Metrics are pulled out of EMF events; other events are stored as they are. */
	if (!strcmp(op, "PutLogEvents"))
		sh[nh++] = (struct sigv4_header){ "x-amzn-logs-format", "json/emf" };
	if (sc->token[0])
		sh[nh++] = (struct sigv4_header){ "X-Amz-Security-Token", sc->token };
	{
		struct sigv4_request req = { "POST", c->ep.path, NULL, sh, nh, body, len };
		struct sigv4_scope scope = { sc->date, c->region, "logs" };

		rc = sigv4_authorization(&req, &scope, cr.access_key_id, cr.secret, sc->auth,
					 sizeof(sc->auth));
	}
	aws_creds_wipe(&cr);
	if (rc)
		return -1;
	sc->nh = 0;
	for (int i = 0; i < nh; i++)
		sc->h[sc->nh++] = (struct http_header){ sh[i].name, sh[i].value };
	sc->h[sc->nh++] = (struct http_header){ "Authorization", sc->auth };
	return 0;
}

static void create_next(struct cw *c);

static void on_created(void *arg, const struct http_response *r)
{
	struct cw *c = arg;
	char code[128], msg[300];
	int group = c->create_is_group;

	aws_error_of(r->body, code, sizeof(code), msg, sizeof(msg));
	aws_error_name(code);
	if (!r->error && (r->status / 100 == 2 || !strcmp(code, "ResourceAlreadyExistsException"))) {
		c->created += r->status / 100 == 2;
		if (group) {
			c->res = RES_CREATE_STREAM;
			create_next(c);
		} else {
			c->res = RES_READY;
			log_debug("cloudwatch: log stream %s in %s ready", c->stream, c->group);
		}
		return;
	}
	if (!group && !strcmp(code, "ResourceNotFoundException")) {
		c->res = RES_CREATE_GROUP; /* deleted in between: start over */
		return;
	}
	/* Transient (throttled, 5xx, no answer): the next batch asks again. */
	if (r->error || r->status >= 500 || r->status == 429 || strstr(code, "Throttl") ||
	    !strcmp(code, "OperationAbortedException") ||
	    !strcmp(code, "ServiceUnavailableException")) {
		c->res = group ? RES_CREATE_GROUP : RES_CREATE_STREAM;
		return;
	}
	log_msg("cloudwatch: %s %s was refused: HTTP %ld %s%s%s; log events are dropped",
		group ? "CreateLogGroup" : "CreateLogStream", group ? c->group : c->stream,
		r->status, code, msg[0] ? ": " : "", msg);
	c->res = RES_FAILED;
}

/* Start the Create call the state asks for. */
static void create_next(struct cw *c)
{
	struct signed_call sc;
	cJSON *o = cJSON_CreateObject();
	char *body;
	int group = c->res == RES_CREATE_GROUP;

	cJSON_AddStringToObject(o, "logGroupName", c->group);
	if (!group)
		cJSON_AddStringToObject(o, "logStreamName", c->stream);
	body = print_free(o);
	if (!body)
		return;
	if (sign_call(c, group ? "CreateLogGroup" : "CreateLogStream", body, strlen(body), &sc) ==
	    0) {
		if (!c->logged_create++)
			log_msg("cloudwatch: creating %s %s", group ? "log group" : "log stream",
				group ? c->group : c->stream);
		c->create_is_group = group;
		c->res = RES_CREATING;
		if (http_start(http_loop(), "POST", c->ep.url, sc.h, sc.nh, body, strlen(body),
			       REQUEST_TIMEOUT_MS, on_created, c))
			c->res = group ? RES_CREATE_GROUP : RES_CREATE_STREAM;
	}
	free(body);
}

static int build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq)
{
	struct cw *c = ctx;
	struct signed_call sc;

	switch (c->res) {
	case RES_READY:
		break;
	case RES_FAILED:
		return -1;
	case RES_CREATING:
		return 1;
	case RES_CREATE_GROUP:
	case RES_CREATE_STREAM:
		create_next(c);
		return 1;
	}
	rq->body = cw_put_body(c->group, c->stream, items, n);
	if (!rq->body)
		return 1;
	rq->len = strlen(rq->body);
	if (sign_call(c, "PutLogEvents", rq->body, rq->len, &sc)) {
		free(rq->body);
		rq->body = NULL;
		return 1;
	}
	snprintf(rq->url, sizeof(rq->url), "%s", c->ep.url);
	for (int i = 0; i < sc.nh; i++)
		if (delivery_header(rq, sc.h[i].name, sc.h[i].value))
			return 1; /* cannot happen: the headers fit in hbuf */
	return 0;
}

/* rejectedLogEventsInfo: indices the service refused for their timestamp (not retried). */
static void judge_accepted(struct cw *c, int n, const char *body, enum delivery_outcome *out)
{
	cJSON *j = cJSON_Parse(body), *info = cJSON_GetObjectItem(j, "rejectedLogEventsInfo");
	cJSON *too_new = cJSON_GetObjectItem(info, "tooNewLogEventStartIndex");
	cJSON *too_old = cJSON_GetObjectItem(info, "tooOldLogEventEndIndex");
	cJSON *expired = cJSON_GetObjectItem(info, "expiredLogEventEndIndex");
	int old_end = 0;

	if (cJSON_IsNumber(too_old))
		old_end = too_old->valueint;
	if (cJSON_IsNumber(expired) && expired->valueint > old_end)
		old_end = expired->valueint;
	for (int i = 0; i < n; i++) {
		if (i < old_end || (cJSON_IsNumber(too_new) && i >= too_new->valueint)) {
			out[i] = DELIVERY_DROP;
			c->rejected++;
		}
	}
	cJSON_Delete(j);
}

static void result(void *ctx, struct delivery_item **items, int n, const struct http_response *r,
		   enum delivery_outcome *out, double *retry_after_s)
{
	struct cw *c = ctx;
	enum delivery_outcome v = DELIVERY_DROP;
	char code[128], msg[400];

	if (r->error)
		return; /* the default: retried */
	if (r->status / 100 == 2) {
		judge_accepted(c, n, r->body, out);
		return;
	}
	aws_error_of(r->body, code, sizeof(code), msg, sizeof(msg));
	aws_error_name(code);
	if (!strcmp(code, "ResourceNotFoundException")) {
		if (c->res == RES_READY)
			c->res = RES_CREATE_GROUP;
		v = DELIVERY_RETRY;
		*retry_after_s = 0; /* build waits for the Create calls */
	} else if (strstr(code, "Throttl") || !strcmp(code, "ServiceUnavailableException") ||
		   !strcmp(code, "InvalidSequenceTokenException") || r->status >= 500 ||
		   r->status == 429 || r->status == 408) {
		if (strstr(code, "Throttl")) {
			c->throttled++;
			if (!c->logged_throttle++)
				log_msg("cloudwatch: throttled by the service; backing off");
		}
		v = DELIVERY_RETRY; /* backoff with full jitter, or Retry-After */
	} else if (!strcmp(code, "DataAlreadyAcceptedException")) {
		v = DELIVERY_SENT;
	} else if (!strcmp(code, "InvalidParameterException")) {
		if (!c->logged_invalid++)
			log_msg("cloudwatch: PutLogEvents refused a batch of %d events: %s; "
				"counted as dropped",
				n, msg[0] ? msg : code);
	} else if (!c->logged_refused++) {
		log_msg("cloudwatch: PutLogEvents refused a batch: HTTP %ld %s%s%s; counted as "
			"dropped",
			r->status, code[0] ? code : "", msg[0] ? ": " : "", msg);
	}
	for (int i = 0; i < n; i++)
		out[i] = v;
}

/* One message into the queue: timestamps the service would refuse are dropped and counted;
 * a message over the event size goes as several events. Takes msg. */
static void add_event(struct cw *c, uint64_t ts_us, char *msg, size_t len)
{
	enum cw_age age = cw_check_age(ts_us / 1000, wall_ms());
	size_t off = 0;

	if (age != CW_AGE_OK || len == 0) {
		if (age == CW_TOO_OLD)
			c->too_old++;
		else if (age == CW_TOO_NEW)
			c->too_new++;
		c->ex.dropped++;
		free(msg);
		return;
	}
	if (len <= CW_EVENT_MAX) {
		delivery_add(c->q, msg, len, ts_us, "");
		return;
	}
	c->split++;
	while (off < len) {
		size_t n = cw_utf8_cut(msg + off, len - off, CW_EVENT_MAX);
		char *piece = malloc(n + 1);

		if (!piece || n == 0) {
			free(piece);
			c->ex.dropped++;
			break;
		}
		memcpy(piece, msg + off, n);
		piece[n] = '\0';
		delivery_add(c->q, piece, n, ts_us, "");
		off += n;
	}
	free(msg);
}

static void add_text(struct cw *c, uint64_t ts_us, char *json)
{
	if (!json) {
		c->ex.dropped++;
		return;
	}
	add_event(c, ts_us, json, strlen(json));
}

static void on_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	struct cw *c = (struct cw *)ex;

	if (s->kind != SPAN_SERVER)
		return;
	add_text(c, s->end_unix_ns / 1000ull, cw_request_message(s, v));
	if (c->emf)
		emf_add(c->emf, s->service_name, s->route, v->http_4xx, v->fault, v->duration_ms);
}

static void on_log(struct exporter *ex, const struct log_record *r)
{
	struct cw *c = (struct cw *)ex;

	add_text(c, r->time_unix_ns / 1000ull, cw_log_message(r));
}

struct emf_out {
	struct cw *c;
	uint64_t ts;
};

static void emf_doc(void *arg, char *doc)
{
	struct emf_out *o = arg;

	add_text(o->c, o->ts * 1000ull, doc); /* ms to the queue's microseconds */
}

static void emf_emit(struct cw *c, uint64_t now)
{
	struct emf_out o = { c, now };

	if (emf_pending(c->emf))
		emf_flush(c->emf, now, emf_doc, &o);
}

static void on_flush(struct exporter *ex)
{
	struct cw *c = (struct cw *)ex;

	if (c->emf) {
		uint64_t now = wall_ms();

		if (now >= c->emf_next_ms) {
			emf_emit(c, now);
			c->emf_next_ms = now + c->emf_interval_ms;
		}
	}
	delivery_poll(c->q);
}

static void on_close(struct exporter *ex)
{
	struct cw *c = (struct cw *)ex;

	/* The interval in progress counts too. */
	if (c->emf) {
		emf_emit(c, wall_ms());
		emf_free(c->emf);
		c->emf = NULL;
	}
	/* The last EMF events were queued after export_close_all's drain: one more, which
	 * cannot pass the deadline that drain fixed. */
	delivery_drain_all(clock_mono_now_ns() / 1000000ull + c->close_deadline_ms);
	delivery_free(c->q);
	c->q = NULL;
	aws_creds_provider_free(c->creds);
	c->creds = NULL;
}

static void describe(struct exporter *ex, char *buf, size_t len)
{
	struct cw *c = (struct cw *)ex;

	snprintf(buf, len,
		 "%s %s/%s, %llu rejected by the service, %llu too old, %llu too far ahead, "
		 "%llu split, %llu throttled",
		 c->ep.base, c->group, c->stream, (unsigned long long)c->rejected,
		 (unsigned long long)c->too_old, (unsigned long long)c->too_new,
		 (unsigned long long)c->split, (unsigned long long)c->throttled);
}

struct exporter *export_cloudwatch_new(const struct cloudwatch_opts *o)
{
	static const struct delivery_ops ops = { .build = build,
						 .result = result,
						 .error_of = aws_error_of };
	struct cw *c = calloc(1, sizeof(*c));
	struct delivery_limits l;
	const char *ep = o->endpoint;
	char def[200], hostname[256];

	if (!c)
		return NULL;
	c->ex.name = "cloudwatch";
	c->ex.span = on_span;
	c->ex.log = on_log;
	c->ex.flush = on_flush;
	c->ex.close = on_close;
	c->ex.describe = describe;
	c->close_deadline_ms = (uint64_t)(o->close_deadline_s * 1000);
	snprintf(c->group, sizeof(c->group), "%s", o->log_group);
	if (o->log_stream) {
		snprintf(c->stream, sizeof(c->stream), "%s", o->log_stream);
	} else {
		if (gethostname(hostname, sizeof(hostname)))
			strcpy(hostname, "localhost");
		hostname[sizeof(hostname) - 1] = '\0';
		snprintf(c->stream, sizeof(c->stream), "%s-%d", hostname, (int)getpid());
	}
	if (aws_region(c->region)) {
		log_msg("--export cloudwatch needs a region: set AWS_REGION (or "
			"AWS_DEFAULT_REGION, or region in the AWS config file)");
		goto fail;
	}
	if (!ep || !ep[0])
		ep = getenv("AWS_ENDPOINT_URL_LOGS");
	if (!ep || !ep[0])
		ep = getenv("AWS_ENDPOINT_URL");
	if (!ep || !ep[0]) {
		snprintf(def, sizeof(def), "https://logs.%s.amazonaws.com", c->region);
		ep = def;
	}
	if (aws_endpoint_parse(&c->ep, ep, "/")) {
		log_msg("the CloudWatch Logs endpoint '%s' is not a URL", ep);
		goto fail;
	}
	if (o->emf_interval_s) {
		c->emf = emf_new(o->ns ? o->ns : "pyspan", clock_mono_now_ns());
		c->emf_interval_ms = (uint64_t)o->emf_interval_s * 1000;
		c->emf_next_ms = wall_ms() + c->emf_interval_ms;
		if (!c->emf)
			goto oom;
	}
	c->creds = aws_creds_provider_new(c->region);
	if (!c->creds)
		goto oom;
	cw_limits(&l);
	c->q = delivery_new("cloudwatch", &l, &ops, c, &c->ex.counts);
	if (!c->q) {
		log_msg("libcurl could not start");
		goto fail;
	}
	return &c->ex;
oom:
	log_msg("out of memory");
fail:
	aws_creds_provider_free(c->creds);
	emf_free(c->emf);
	free(c);
	return NULL;
}
