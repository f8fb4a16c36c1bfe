// SPDX-License-Identifier: BSD-2-Clause
/* One bounded, batching, retrying send queue per HTTP exporter, on the shared curl loop. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "net/delivery.h"

#define MAX_QUEUES 16
#define BUILD_WAIT_MS 1000    /* build said "not yet": ask again after this long */
#define LOG_EVERY_MS 60000    /* a repeated problem is logged at most this often */
#define DRAIN_STEP_MS 20

/* A problem logged once, then at most once a minute with what happened in between. */
struct logline {
	uint64_t last_ms;
	uint64_t count;   /* occurrences since the last line */
	uint64_t items;   /* items concerned since the last line */
	int logged;
};

struct batch {
	struct delivery *d;
	struct delivery_item **items;
	int n;
	uint64_t not_before_ms;
	struct batch *next, *prev;
};

struct delivery {
	char name[32];
	struct delivery_limits l;
	struct delivery_ops ops;
	void *ctx;
	struct delivery_counts *counts;
	struct http_loop *loop;
	struct delivery_item *qhead, *qtail; /* waiting to be batched */
	uint64_t qn;
	uint64_t items; /* every item not yet sent or dropped */
	size_t bytes;   /* their data bytes */
	struct batch *waiting;  /* backing off, or build said "not yet" */
	struct batch *inflight; /* sent, no answer yet */
	int ninflight;
	int draining;
	uint64_t requests, failures, last_status;
	uint64_t rng;
	struct logline full, toobig, giveup, refused, unbuildable, failing;
};

static struct delivery *queues[MAX_QUEUES];
static int nqueues;
static size_t queue_bytes_override;
/* The shutdown deadline, fixed by the first delivery_drain_all until every queue is freed. */
static uint64_t drain_until;

static uint64_t now_ms(void)
{
	return clock_mono_now_ns() / 1000000ull;
}

static double uniform(struct delivery *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* 1 when this occurrence should be logged; counts it either way. */
static int logline_due(struct logline *ll, uint64_t items)
{
	uint64_t now = now_ms();

	ll->count++;
	ll->items += items;
	if (ll->logged && now - ll->last_ms < LOG_EVERY_MS)
		return 0;
	return 1;
}

static void logline_done(struct logline *ll)
{
	ll->logged = 1;
	ll->last_ms = now_ms();
	ll->count = 0;
	ll->items = 0;
}

/* "" the first time; " (and N more since the last report)" afterwards. */
static void logline_more(const struct logline *ll, char *buf, size_t len)
{
	if (ll->logged && ll->count > 1)
		snprintf(buf, len, " (%llu items in %llu more cases since the last report)",
			 (unsigned long long)(ll->items), (unsigned long long)(ll->count - 1));
	else
		buf[0] = '\0';
}

void delivery_limits_default(struct delivery_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->queue_max_bytes = 16u << 20;
	l->batch_max_items = 100;
	l->batch_max_bytes = 1u << 20;
	l->item_overhead = 1;
	l->batch_base_bytes = 64;
	l->batch_max_key_span = 0;
	l->sort_by_key = 0;
	l->batch_wait_ms = 1000;
	l->max_inflight = 4;
	l->max_attempts = 5;
	l->timeout_ms = 10000;
	l->backoff_base_ms = 100;
	l->backoff_cap_ms = 20000;
	l->retry_after_cap_s = 60;
}

void delivery_set_queue_bytes(size_t bytes)
{
	queue_bytes_override = bytes;
}

enum delivery_outcome delivery_default_outcome(const struct http_response *r)
{
	if (r->error || r->status == 0)
		return DELIVERY_RETRY;
	if (r->status >= 200 && r->status < 300)
		return DELIVERY_SENT;
	if (r->status == 408 || r->status == 429 || r->status >= 500)
		return DELIVERY_RETRY;
	return DELIVERY_DROP;
}

int delivery_header(struct delivery_request *rq, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	int i = rq->nheaders;

	if (i >= (int)(sizeof(rq->headers) / sizeof(rq->headers[0])) ||
	    rq->hused + nl + vl > sizeof(rq->hbuf))
		return -1;
	memcpy(rq->hbuf + rq->hused, name, nl);
	rq->headers[i].name = rq->hbuf + rq->hused;
	rq->hused += nl;
	memcpy(rq->hbuf + rq->hused, value, vl);
	rq->headers[i].value = rq->hbuf + rq->hused;
	rq->hused += vl;
	rq->nheaders++;
	return 0;
}

struct delivery *delivery_new(const char *name, const struct delivery_limits *l,
			      const struct delivery_ops *ops, void *ctx,
			      struct delivery_counts *counts)
{
	struct delivery *d;

	if (nqueues >= MAX_QUEUES || !ops || !ops->build)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->l = *l;
	if (queue_bytes_override)
		d->l.queue_max_bytes = queue_bytes_override;
	if (d->l.batch_max_items < 1)
		d->l.batch_max_items = 1;
	if (d->l.max_inflight < 1)
		d->l.max_inflight = 1;
	if (d->l.max_attempts < 1)
		d->l.max_attempts = 1;
	d->ops = *ops;
	d->ctx = ctx;
	d->counts = counts;
	d->rng = clock_mono_now_ns() ^ (uint64_t)(uintptr_t)d;
	d->loop = http_loop();
	if (!d->loop) {
		free(d);
		return NULL;
	}
	queues[nqueues++] = d;
	return d;
}

static void item_done(struct delivery *d, struct delivery_item *it, int sent)
{
	if (sent)
		d->counts->sent++;
	else
		d->counts->dropped++;
	d->items--;
	d->bytes -= it->len;
	free(it->data);
	free(it);
}

/* Into the waiting queue: key order when sorted (after equal keys), else at the tail, or at
 * the head for items coming back from a partly refused request. */
static void enqueue(struct delivery *d, struct delivery_item *it, int front)
{
	it->next = NULL;
	if (!d->qhead) {
		d->qhead = d->qtail = it;
	} else if (d->l.sort_by_key) {
		struct delivery_item **pp = &d->qhead;

		if (it->key >= d->qtail->key) {
			d->qtail->next = it;
			d->qtail = it;
		} else {
			while (*pp && (*pp)->key <= it->key)
				pp = &(*pp)->next;
			it->next = *pp;
			*pp = it;
		}
	} else if (front) {
		it->next = d->qhead;
		d->qhead = it;
	} else {
		d->qtail->next = it;
		d->qtail = it;
	}
	d->qn++;
}

int delivery_add(struct delivery *d, char *data, size_t len, uint64_t key, const char *id)
{
	struct delivery_item *it;
	char more[128];

	if (d->l.batch_max_bytes &&
	    len + d->l.item_overhead + d->l.batch_base_bytes > d->l.batch_max_bytes) {
		if (logline_due(&d->toobig, 1)) {
			logline_more(&d->toobig, more, sizeof(more));
			log_msg("%s: an item of %zu bytes is over the %zu-byte request limit on its "
				"own; dropped and counted%s",
				d->name, len, d->l.batch_max_bytes, more);
			logline_done(&d->toobig);
		}
		goto drop;
	}
	if (d->bytes + len > d->l.queue_max_bytes || !(it = calloc(1, sizeof(*it)))) {
		if (logline_due(&d->full, 1)) {
			logline_more(&d->full, more, sizeof(more));
			log_msg("%s: export queue full (%zu bytes waiting, bound %zu); dropping and "
				"counting%s",
				d->name, d->bytes, d->l.queue_max_bytes, more);
			logline_done(&d->full);
		}
		goto drop;
	}
	it->data = data;
	it->len = len;
	it->key = key;
	if (id)
		snprintf(it->id, sizeof(it->id), "%s", id);
	it->queued_ms = now_ms();
	d->items++;
	d->bytes += len;
	enqueue(d, it, 0);
	return 0;
drop:
	d->counts->dropped++;
	free(data);
	return -1;
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

static void batch_free(struct batch *b)
{
	free(b->items);
	free(b);
}

static void batch_drop(struct delivery *d, struct batch *b)
{
	for (int i = 0; i < b->n; i++)
		item_done(d, b->items[i], 0);
	batch_free(b);
}

/* How many items from the head make the next batch, and whether it should go now: full by
 * count, bytes or key span, or its oldest item has waited batch_wait_ms, or draining. */
static int next_batch(struct delivery *d, uint64_t now, int *due)
{
	const struct delivery_limits *l = &d->l;
	struct delivery_item *it = d->qhead;
	size_t bytes = l->batch_base_bytes;
	uint64_t kmin = 0, kmax = 0, oldest = UINT64_MAX;
	int n = 0;

	*due = d->draining;
	for (; it; it = it->next) {
		uint64_t lo = n ? (it->key < kmin ? it->key : kmin) : it->key;
		uint64_t hi = n ? (it->key > kmax ? it->key : kmax) : it->key;

		if (n == l->batch_max_items ||
		    (l->batch_max_bytes && bytes + it->len + l->item_overhead > l->batch_max_bytes) ||
		    (l->batch_max_key_span && hi - lo > l->batch_max_key_span)) {
			*due = 1;
			break;
		}
		bytes += it->len + l->item_overhead;
		kmin = lo;
		kmax = hi;
		if (it->queued_ms < oldest)
			oldest = it->queued_ms;
		n++;
	}
	if (n == l->batch_max_items)
		*due = 1;
	if (n && now - oldest >= (uint64_t)l->batch_wait_ms)
		*due = 1;
	return n;
}

static struct batch *take_batch(struct delivery *d, int n)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b)
		b->items = calloc((size_t)n, sizeof(*b->items));
	if (!b || !b->items) {
		free(b);
		return NULL;
	}
	b->d = d;
	while (b->n < n) {
		struct delivery_item *it = d->qhead;

		d->qhead = it->next;
		it->next = NULL;
		b->items[b->n++] = it;
		d->qn--;
	}
	if (!d->qhead)
		d->qtail = NULL;
	return b;
}

static void on_done(void *arg, const struct http_response *r);

/* Back off the whole batch: Retry-After when the backend gave one, else full jitter. */
static void backoff(struct delivery *d, struct batch *b, double retry_after_s)
{
	const struct delivery_limits *l = &d->l;
	uint64_t delay;
	int attempts = 1;

	for (int i = 0; i < b->n; i++)
		if (b->items[i]->attempts > attempts)
			attempts = b->items[i]->attempts;
	if (retry_after_s >= 0) {
		double s = retry_after_s < l->retry_after_cap_s ? retry_after_s :
								  (double)l->retry_after_cap_s;

		delay = (uint64_t)(s * 1000);
	} else {
		uint64_t cap = (uint64_t)l->backoff_base_ms << (attempts < 30 ? attempts : 30);

		if (cap > (uint64_t)l->backoff_cap_ms)
			cap = (uint64_t)l->backoff_cap_ms;
		delay = (uint64_t)(uniform(d) * (double)cap);
	}
	b->not_before_ms = now_ms() + delay;
	list_add(&d->waiting, b);
}

/* The request went nowhere (out of memory): like a transport error. */
static void start_failed(struct delivery *d, struct batch *b)
{
	struct http_response r;

	memset(&r, 0, sizeof(r));
	r.error = "the request could not be started";
	r.retry_after_s = -1;
	r.body = "";
	r.headers = "";
	list_add(&d->inflight, b);
	d->ninflight++;
	on_done(b, &r);
}

/* Build and start; 1 when build said "not yet" (the batch waits), 0 otherwise. */
static int batch_send(struct delivery *d, struct batch *b)
{
	struct delivery_request *rq = calloc(1, sizeof(*rq));
	char more[128];
	int rc;

	if (!rq) {
		b->not_before_ms = now_ms() + BUILD_WAIT_MS;
		list_add(&d->waiting, b);
		return 1;
	}
	rc = d->ops.build(d->ctx, b->items, b->n, rq);
	if (rc > 0) {
		free(rq->body);
		free(rq);
		b->not_before_ms = now_ms() + BUILD_WAIT_MS;
		list_add(&d->waiting, b);
		return 1;
	}
	if (rc < 0) {
		if (logline_due(&d->unbuildable, (uint64_t)b->n)) {
			logline_more(&d->unbuildable, more, sizeof(more));
			log_msg("%s: %d items could not be made into a request; dropped and "
				"counted%s",
				d->name, b->n, more);
			logline_done(&d->unbuildable);
		}
		free(rq->body);
		free(rq);
		batch_drop(d, b);
		return 0;
	}
	for (int i = 0; i < b->n; i++)
		b->items[i]->attempts++;
	d->requests++;
	rc = http_start(d->loop, "POST", rq->url, rq->headers, rq->nheaders, rq->body, rq->len,
			d->l.timeout_ms, on_done, b);
	free(rq->body);
	/* Header values may hold a token or a signature. */
	memset(rq, 0, sizeof(*rq));
	free(rq);
	if (rc) {
		start_failed(d, b);
		return 0;
	}
	list_add(&d->inflight, b);
	d->ninflight++;
	return 0;
}

/* The words of a JSON error body: "message", else "error" (Honeycomb's, Rollbar's, OTLP's). */
static void json_error_of(const char *body, char *code, size_t cn, char *msg, size_t mn)
{
	cJSON *j = cJSON_Parse(body);
	cJSON *m = cJSON_GetObjectItem(j, "message");

	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItem(j, "error");
	snprintf(code, cn, "%s", "");
	snprintf(msg, mn, "%s", cJSON_IsString(m) ? m->valuestring : "");
	cJSON_Delete(j);
}

/* "HTTP 400 InvalidRequestException: bad segments" from the error body as the backend reads
 * it, else the start of the body on one line. */
static void answer_text(const struct delivery *d, const struct http_response *r, char *out,
			size_t n)
{
	char code[128], msg[256];
	size_t off;

	if (r->error) {
		snprintf(out, n, "%s", r->error);
		return;
	}
	off = (size_t)snprintf(out, n, "HTTP %ld", r->status);
	if (off >= n)
		return;
	code[0] = msg[0] = '\0';
	if (r->body_len)
		(d->ops.error_of ? d->ops.error_of : json_error_of)(r->body, code, sizeof(code), msg,
								    sizeof(msg));
	if (code[0] || msg[0]) {
		snprintf(out + off, n - off, " %.60s%s%.200s", code, code[0] && msg[0] ? ": " : "",
			 msg);
	} else if (r->body_len) {
		snprintf(out + off, n - off, " %.160s", r->body);
		for (char *p = out + off; *p; p++)
			if (*p == '\r' || *p == '\n' || *p == '\t')
				*p = ' ';
	}
}

static void on_done(void *arg, const struct http_response *r)
{
	struct batch *b = arg;
	struct delivery *d = b->d;
	enum delivery_outcome stack_out[64], *out = stack_out;
	enum delivery_outcome def = delivery_default_outcome(r);
	double retry_after_s = r->retry_after_s;
	int nretry = 0, ngiveup = 0, nrefused = 0, keep = 0;
	int ok = !r->error && r->status >= 200 && r->status < 300;
	char why[300], more[128];

	list_del(&d->inflight, b);
	d->ninflight--;
	d->last_status = r->error ? 0 : (uint64_t)r->status;
	if (!ok)
		d->failures++;
	if (b->n > 64 && !(out = malloc(sizeof(*out) * (size_t)b->n))) {
		/* Cannot judge item by item: the whole batch takes the default verdict. */
		out = NULL;
	}
	for (int i = 0; out && i < b->n; i++)
		out[i] = def;
	if (out && d->ops.result)
		d->ops.result(d->ctx, b->items, b->n, r, out, &retry_after_s);
	for (int i = 0; i < b->n; i++) {
		struct delivery_item *it = b->items[i];
		enum delivery_outcome o = out ? out[i] : def;

		if (o == DELIVERY_SENT) {
			item_done(d, it, 1);
		} else if (o == DELIVERY_RETRY && it->attempts < d->l.max_attempts) {
			b->items[keep++] = it;
			nretry++;
		} else if (o == DELIVERY_RETRY) {
			ngiveup++;
			item_done(d, it, 0);
		} else {
			if (!ok)
				nrefused++;
			item_done(d, it, 0);
		}
	}
	if (out != stack_out)
		free(out);
	if (nretry || ngiveup || nrefused)
		answer_text(d, r, why, sizeof(why));
	if (nrefused && logline_due(&d->refused, (uint64_t)nrefused)) {
		logline_more(&d->refused, more, sizeof(more));
		log_msg("%s: the backend refused %d items: %s; not retried, counted as dropped%s",
			d->name, nrefused, why, more);
		logline_done(&d->refused);
	}
	if (ngiveup && logline_due(&d->giveup, (uint64_t)ngiveup)) {
		logline_more(&d->giveup, more, sizeof(more));
		log_msg("%s: giving up on %d items after %d attempts (%s); counted as dropped%s",
			d->name, ngiveup, d->l.max_attempts, why, more);
		logline_done(&d->giveup);
	}
	if (nretry && !ok && !ngiveup && logline_due(&d->failing, (uint64_t)nretry)) {
		logline_more(&d->failing, more, sizeof(more));
		log_msg("%s: a request failed (%s); retrying with backoff%s", d->name, why, more);
		logline_done(&d->failing);
	}
	d->counts->retried += (uint64_t)nretry;
	if (keep && nretry + ngiveup == b->n) {
		/* Every item asked to be retried: the request failed as a whole. */
		b->n = keep;
		backoff(d, b, retry_after_s);
		return;
	}
	/* Some went through: the rest go first in the next batch (backwards keeps order). */
	for (int i = keep - 1; i >= 0; i--) {
		b->items[i]->queued_ms = now_ms();
		enqueue(d, b->items[i], 1);
	}
	batch_free(b);
}

static void poll_one(struct delivery *d, uint64_t now)
{
	struct batch *b, *next;
	int n, due;

	for (b = d->waiting; b && d->ninflight < d->l.max_inflight; b = next) {
		next = b->next;
		if (b->not_before_ms > now)
			continue;
		list_del(&d->waiting, b);
		if (batch_send(d, b))
			return; /* not yet: nothing else can go either */
	}
	while (d->qn && d->ninflight < d->l.max_inflight) {
		n = next_batch(d, now, &due);
		if (!n || !due)
			break;
		b = take_batch(d, n);
		if (!b || batch_send(d, b))
			break;
	}
}

void delivery_poll(struct delivery *d)
{
	if (!d)
		return;
	http_loop_poll(d->loop);
	poll_one(d, now_ms());
	/* Starting transfers is not the same as moving bytes: give curl a turn now. */
	http_loop_poll(d->loop);
}

void delivery_get_stats(const struct delivery *d, struct delivery_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->queued_items = d->items;
	s->queued_bytes = d->bytes;
	s->requests = d->requests;
	s->failures = d->failures;
	s->inflight = (uint64_t)d->ninflight;
	s->last_status = d->last_status;
}

/* Something this queue could still do before the deadline. */
static int can_progress(const struct delivery *d, uint64_t deadline)
{
	if (d->qn || d->ninflight)
		return 1;
	for (const struct batch *b = d->waiting; b; b = b->next)
		if (b->not_before_ms < deadline)
			return 1;
	return 0;
}

void delivery_drain_all(uint64_t deadline_ms)
{
	struct http_loop *loop = http_loop();

	/* An exporter that drains again in its own close must not extend the shared deadline:
	 * every queue would wait once per exporter. */
	if (drain_until && deadline_ms > drain_until)
		deadline_ms = drain_until;
	drain_until = deadline_ms;
	for (int i = 0; i < nqueues; i++)
		queues[i]->draining = 1;
	for (;;) {
		uint64_t now = now_ms();
		int busy = 0, step;

		if (loop)
			http_loop_poll(loop);
		for (int i = 0; i < nqueues; i++) {
			poll_one(queues[i], now);
			busy |= can_progress(queues[i], deadline_ms);
		}
		if (!busy || now >= deadline_ms)
			break;
		step = deadline_ms - now < DRAIN_STEP_MS ? (int)(deadline_ms - now) : DRAIN_STEP_MS;
		if (loop && http_loop_active(loop)) {
			http_loop_wait(loop, step);
		} else {
			struct timespec ts = { 0, (long)step * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

void delivery_free(struct delivery *d)
{
	struct batch *b;
	uint64_t left;

	if (!d)
		return;
	left = d->items;
	while ((b = d->inflight)) {
		/* Abandoned: its callback must never run. */
		http_cancel(d->loop, b);
		list_del(&d->inflight, b);
		batch_drop(d, b);
	}
	d->ninflight = 0;
	while ((b = d->waiting)) {
		list_del(&d->waiting, b);
		batch_drop(d, b);
	}
	while (d->qhead) {
		struct delivery_item *it = d->qhead;

		d->qhead = it->next;
		item_done(d, it, 0);
	}
	if (left)
		log_msg("%s: %llu item%s not delivered by the deadline; counted as dropped",
			d->name, (unsigned long long)left, left == 1 ? "" : "s");
	for (int i = 0; i < nqueues; i++) {
		if (queues[i] != d)
			continue;
		memmove(&queues[i], &queues[i + 1], sizeof(queues[0]) * (size_t)(nqueues - i - 1));
		nqueues--;
		break;
	}
	if (!nqueues)
		drain_until = 0;
	free(d);
}

int delivery_count(void)
{
	return nqueues;
}

struct delivery *delivery_at(int i)
{
	return i >= 0 && i < nqueues ? queues[i] : NULL;
}

const char *delivery_name(const struct delivery *d)
{
	return d->name;
}
