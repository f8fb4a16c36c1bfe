// SPDX-License-Identifier: BSD-2-Clause
/* The Rollbar exporter: one item per failed request, through the item API. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "export/rollbar/rollbar.h"
#include "export/rollbar/rollbar_dedup.h"
#include "export/rollbar/rollbar_item.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/version.h"
#include "net/http.h"

#define QUEUE_MAX_BYTES (8u << 20)
#define REQUEST_TIMEOUT_MS 10000

struct rollbar {
	struct exporter ex;
	struct rollbar_item_opts item;
	const char *token;
	char url[1200];
	char hostname[256];
	char root[PATH_MAX];
	uint32_t root_pid;
	const char *framework; /* the last one the frames named: for items without frames */
	struct delivery *q;
	struct rollbar_dedup *dedup;
	uint64_t paused_until_ms; /* monotonic: nothing is sent before */
	uint64_t pauses;
	uint64_t refused;
	uint64_t truncated;
	uint64_t encode_failed;
	uint64_t requests_at_close;
};

static uint64_t now_ms(void)
{
	return clock_mono_now_ns() / 1000000ull;
}

/* A number from a header value; -1 when there is none. */
static double header_number(const char *v)
{
	char *end;
	double d;

	if (!v || !v[0])
		return -1;
	d = strtod(v, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	return end == v || *end || d != d ? -1 : d;
}

/* Rollbar's "message" from {"err": 1, "message": "..."}, else the start of the body. */
static void answer_message(const char *body, char *out, size_t n)
{
	cJSON *j = body && body[0] ? cJSON_Parse(body) : NULL;
	cJSON *m = cJSON_GetObjectItem(j, "message");

	if (cJSON_IsString(m))
		snprintf(out, n, "%s", m->valuestring);
	else
		snprintf(out, n, "%.160s", body ? body : "");
	for (char *p = out; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	cJSON_Delete(j);
}

void rollbar_judge(const struct rollbar_answer *a, double now_unix_s, struct rollbar_verdict *v)
{
	double secs = header_number(a->rl_remaining_seconds);
	double reset = header_number(a->rl_reset);
	double left = header_number(a->rl_remaining);

	memset(v, 0, sizeof(*v));
	v->retry_after_s = -1;
	/* How long Rollbar says the window lasts: the SDKs read Remaining-Seconds first. */
	if (secs <= 0 && reset > now_unix_s)
		secs = reset - now_unix_s;
	if (a->status >= 200 && a->status < 300) {
		v->outcome = DELIVERY_SENT;
		/* That was the window's last call: the next would be refused. */
		if (a->rl_remaining && left == 0 && secs > 0)
			v->pause_s = secs;
	} else if (a->status == 429) {
		v->outcome = DELIVERY_RETRY;
		if (secs <= 0)
			secs = a->retry_after_s > 0 ? a->retry_after_s : ROLLBAR_PAUSE_DEFAULT_S;
		v->pause_s = secs;
		v->retry_after_s = secs;
		answer_message(a->body, v->message, sizeof(v->message));
	} else if (a->status == 0 || a->status == 408 || a->status >= 500) {
		v->outcome = DELIVERY_RETRY;
		v->retry_after_s = a->retry_after_s;
	} else {
		v->outcome = DELIVERY_DROP;
		answer_message(a->body, v->message, sizeof(v->message));
	}
	if (v->pause_s > ROLLBAR_PAUSE_MAX_S)
		v->pause_s = ROLLBAR_PAUSE_MAX_S;
	if (v->retry_after_s > ROLLBAR_PAUSE_MAX_S)
		v->retry_after_s = ROLLBAR_PAUSE_MAX_S;
}

int rollbar_token_ok(const char *t)
{
	size_t n = 0;

	if (!t)
		return 0;
	for (; t[n]; n++)
		if ((unsigned char)t[n] <= 0x20 || (unsigned char)t[n] >= 0x7f)
			return 0;
	return n >= 1 && n <= 128;
}

void rollbar_scrub(char *s, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	char *p;

	if (!sl)
		return;
	while ((p = strstr(s, secret))) {
		memcpy(p, "****", sl < 4 ? sl : 4);
		if (sl > 4)
			memmove(p + 4, p + sl, strlen(p + sl) + 1);
		else if (sl < 4)
			break; /* too short to stand for a token; masked what fits */
	}
}

static int build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq)
{
	struct rollbar *r = ctx;

	/* Rollbar asked for a pause: nothing at all goes before it ends. */
	if (now_ms() < r->paused_until_ms)
		return 1;
	if (n != 1)
		return -1;
	snprintf(rq->url, sizeof(rq->url), "%s", r->url);
	if (delivery_header(rq, "Content-Type", "application/json") ||
	    delivery_header(rq, "X-Rollbar-Access-Token", r->token))
		return -1;
	rq->body = malloc(items[0]->len);
	if (!rq->body)
		return 1;
	memcpy(rq->body, items[0]->data, items[0]->len);
	rq->len = items[0]->len;
	return 0;
}

static void result(void *ctx, struct delivery_item **items, int n,
		   const struct http_response *resp, enum delivery_outcome *out,
		   double *retry_after_s)
{
	struct rollbar *r = ctx;
	char remaining[32], secs[32], reset[32];
	struct rollbar_answer a = {
		.status = resp->error ? 0 : resp->status,
		.body = resp->body,
		.retry_after_s = resp->retry_after_s,
		.rl_remaining = http_response_header(resp, "X-Rate-Limit-Remaining", remaining,
						     sizeof(remaining)),
		.rl_remaining_seconds = http_response_header(resp, "X-Rate-Limit-Remaining-Seconds",
							     secs, sizeof(secs)),
		.rl_reset = http_response_header(resp, "X-Rate-Limit-Reset", reset, sizeof(reset)),
	};
	struct rollbar_verdict v;

	rollbar_judge(&a, (double)time(NULL), &v);
	for (int i = 0; i < n; i++)
		out[i] = v.outcome;
	*retry_after_s = v.retry_after_s;
	if (v.outcome == DELIVERY_DROP)
		r->refused += (uint64_t)n;
	if (v.pause_s > 0) {
		uint64_t until = now_ms() + (uint64_t)(v.pause_s * 1000);

		if (until > r->paused_until_ms)
			r->paused_until_ms = until;
		if (!r->pauses++) {
			rollbar_scrub(v.message, r->token);
			log_msg("rollbar: Rollbar's rate limit (HTTP %ld%s%s): sending nothing for "
				"%.0f s, as its X-Rate-Limit headers ask; later pauses are counted",
				a.status, v.message[0] ? " " : "", v.message, v.pause_s);
		}
	}
}

/* The traced process's working directory, as the app's root (server.root); cached for the
 * last pid asked. */
static const char *root_of(struct rollbar *r, uint32_t pid)
{
	char link[64];
	ssize_t n;

	if (pid == r->root_pid)
		return r->root[0] ? r->root : NULL;
	r->root_pid = pid;
	snprintf(link, sizeof(link), "/proc/%u/cwd", pid);
	n = readlink(link, r->root, sizeof(r->root) - 1);
	r->root[n > 0 ? n : 0] = '\0';
	return r->root[0] ? r->root : NULL;
}

static void rollbar_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	struct rollbar *r = (struct rollbar *)ex;
	char fp[ROLLBAR_FINGERPRINT_LEN + 1], uuid[ROLLBAR_UUID_LEN + 1];
	uint8_t rnd[16];
	uint64_t repeats;
	const char *fw;
	char *item;
	int cut = 0;

	if (!rollbar_span_is_error(s, v))
		return;
	rollbar_fingerprint(s, v, fp);
	if (!rollbar_dedup_check(r->dedup, fp, now_ms(), &repeats))
		return;
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		/* No entropy yet (early boot): unique enough with the span's own random id. */
		memcpy(rnd, s->trace_id, 8);
		memcpy(rnd + 8, s->span_id, 8);
	}
	rollbar_uuid4(rnd, uuid);
	if ((fw = rollbar_framework(s)))
		r->framework = fw;
	r->item.framework = r->framework;
	r->item.root = root_of(r, s->pid);
	item = rollbar_item_encode(s, v, &r->item, uuid, repeats, ROLLBAR_ITEM_MAX, &cut);
	if (!item) {
		r->encode_failed++;
		ex->dropped++;
		return;
	}
	r->truncated += (uint64_t)cut;
	delivery_add(r->q, item, strlen(item), 0, uuid); /* takes item */
}

static void rollbar_flush(struct exporter *ex)
{
	delivery_poll(((struct rollbar *)ex)->q);
}

static void rollbar_describe(struct exporter *ex, char *buf, size_t len)
{
	struct rollbar *r = (struct rollbar *)ex;
	struct delivery_stats st = { 0 };

	if (r->q)
		delivery_get_stats(r->q, &st);
	else
		st.requests = r->requests_at_close;
	snprintf(buf, len,
		 "%s, %llu requests, %llu suppressed as repeats, %llu rate-limit pauses, %llu "
		 "refused, %llu truncated",
		 r->url, (unsigned long long)st.requests,
		 (unsigned long long)rollbar_dedup_suppressed(r->dedup),
		 (unsigned long long)r->pauses, (unsigned long long)r->refused,
		 (unsigned long long)r->truncated);
}

static void rollbar_close(struct exporter *ex)
{
	struct rollbar *r = (struct rollbar *)ex;
	struct delivery_stats st;

	/* The registry drained every queue within the flush deadline; what is left is counted
	 * as dropped. The request count is kept for the summary. */
	if (r->q) {
		delivery_get_stats(r->q, &st);
		delivery_free(r->q);
		r->q = NULL;
		r->requests_at_close = st.requests;
	}
}

struct exporter *export_rollbar_new(const struct rollbar_opts *o)
{
	static const struct delivery_ops ops = { .build = build, .result = result };
	struct delivery_limits l;
	struct rollbar *r;
	const char *ep = o->endpoint && o->endpoint[0] ? o->endpoint : ROLLBAR_ENDPOINT_DEFAULT;
	size_t el = strlen(ep);

	if (!o->access_token || !o->access_token[0]) {
		log_msg("--export rollbar needs an access token: set "
			"ROLLBAR_ACCESS_TOKEN or \"rollbar_access_token\" in the config "
			"file");
		return NULL;
	}
	/* The environment is checked here, where it is used; the token is never printed. */
	if (!rollbar_token_ok(o->access_token)) {
		log_msg("ROLLBAR_ACCESS_TOKEN must be a Rollbar access token "
			"(visible ASCII, no spaces, at most 128 characters)");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_msg("out of memory");
		return NULL;
	}
	r->ex.name = "rollbar";
	r->ex.span = rollbar_span;
	r->ex.flush = rollbar_flush;
	r->ex.close = rollbar_close;
	r->ex.describe = rollbar_describe;
	r->token = o->access_token;
	/* The endpoint is the API base, as Rollbar's SDKs take it; the item API is under it. */
	snprintf(r->url, sizeof(r->url), "%.*s/item/", (int)(el && ep[el - 1] == '/' ? el - 1 : el),
		 ep);
	if (gethostname(r->hostname, sizeof(r->hostname) - 1) == 0)
		r->item.host = r->hostname;
	r->item.environment = o->environment && o->environment[0] ? o->environment :
								   ROLLBAR_ENVIRONMENT_DEFAULT;
	r->item.code_version = o->code_version && o->code_version[0] ? o->code_version :
									o->service_version;
	r->item.notifier_version = PYSPAN_VERSION;
	r->root_pid = 0;

	delivery_limits_default(&l);
	/* The item API takes one item per request. */
	l.batch_max_items = 1;
	l.batch_max_bytes = ROLLBAR_ITEM_MAX;
	l.item_overhead = 0;
	l.batch_base_bytes = 0;
	l.batch_wait_ms = 0;
	/* One request at a time: when a 429 arrives, nothing else is already on its way. */
	l.max_inflight = 1;
	l.timeout_ms = REQUEST_TIMEOUT_MS;
	l.queue_max_bytes = QUEUE_MAX_BYTES;
	l.retry_after_cap_s = ROLLBAR_PAUSE_MAX_S;
	r->dedup = rollbar_dedup_new(o->dedup_window_s);
	r->q = r->dedup ? delivery_new("rollbar", &l, &ops, r, &r->ex.counts) : NULL;
	if (!r->q) {
		log_msg("rollbar: out of memory, or libcurl could not start");
		rollbar_dedup_free(r->dedup);
		free(r);
		return NULL;
	}
	return &r->ex;
}
