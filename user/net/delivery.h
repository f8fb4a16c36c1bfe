/* SPDX-License-Identifier: BSD-2-Clause */
/* One bounded, batching, retrying send queue per HTTP exporter, on the shared curl loop. */
#ifndef PYSPAN_NET_DELIVERY_H
#define PYSPAN_NET_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "net/http.h"

/* What a queue counts for its owner: items delivered, retries, and items given up on. The owner
 * (an exporter) holds them; the queue only adds. */
struct delivery_counts {
	uint64_t sent;
	uint64_t retried;
	uint64_t dropped;
};

/* One encoded record (a span document, an event, a log line) waiting to be sent. The queue
 * owns data from delivery_add until the item is sent or dropped. */
struct delivery_item {
	char *data;
	size_t len;
	uint64_t key;     /* the exporter's own: a timestamp in ms when limits.sort_by_key */
	char id[40];      /* the exporter's own: matches per-item answers (X-Ray segment id) */
	int attempts;     /* requests this item has been in */
	int marks;        /* the exporter's own per-item state (X-Ray: already unprocessed once) */
	uint64_t queued_ms; /* the queue's: when it (re)entered the queue, for batch_wait_ms */
	struct delivery_item *next;
};

/* What the exporter decides about each item of an answered request. */
enum delivery_outcome {
	DELIVERY_SENT = 0,    /* accepted: counted as sent */
	DELIVERY_RETRY = 1,   /* try again later (counted as retried), until max_attempts */
	DELIVERY_DROP = 2,    /* refused for good: counted as dropped */
};

/* The HTTP request for one batch, filled by ops.build. */
struct delivery_request {
	char url[1200];
	struct http_header headers[12];
	int nheaders;
	char *body;    /* malloc'd by build; the queue frees it */
	size_t len;
	char hbuf[4096]; /* storage for header names and values (delivery_header copies here) */
	size_t hused;
};

/* Copy name and value into rq's own storage and add the header. -1 when out of room. */
int delivery_header(struct delivery_request *rq, const char *name, const char *value);

struct delivery_ops {
	/* Build the request for items[0..n), in queue order (key order when sort_by_key).
	 * Return 0 to send; 1 when it cannot go yet (no credentials, a log stream being
	 * created): the batch waits 1 s and build is asked again; -1 when these items can
	 * never be sent (they are dropped). */
	int (*build)(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq);
	/* Judge the answer. out[0..n) and *retry_after_s arrive filled with the default verdict
	 * (below); change them to apply the backend's own rules (per-event statuses, partial
	 * success, unprocessed ids). May be NULL to take the default. */
	void (*result)(void *ctx, struct delivery_item **items, int n,
		       const struct http_response *r, enum delivery_outcome *out,
		       double *retry_after_s);
	/* The backend's error code and message in a failed answer's body, for the queue's log
	 * lines ("HTTP 400 CODE: message"); empty strings for what it lacks. May be NULL to take
	 * a JSON body's "message", else its "error". */
	void (*error_of)(const char *body, char *code, size_t cn, char *msg, size_t mn);
};

/* The default verdict: 2xx sent; transport errors, 408, 429 and 5xx retried (honouring
 * Retry-After); anything else dropped. */
enum delivery_outcome delivery_default_outcome(const struct http_response *r);

struct delivery_limits {
	size_t queue_max_bytes;     /* item bytes waiting or in flight; over it, adds drop */
	int batch_max_items;        /* per request */
	size_t batch_max_bytes;     /* sum of (len + item_overhead) + batch_base_bytes */
	size_t item_overhead;       /* bytes the backend counts per item (CloudWatch: 26) */
	size_t batch_base_bytes;    /* the envelope around the items */
	uint64_t batch_max_key_span; /* keys within one batch differ by at most this; 0: any */
	int sort_by_key;            /* the queue is kept in key order (chronological batches) */
	int batch_wait_ms;          /* a partial batch goes after this long */
	int max_inflight;           /* concurrent requests */
	int max_attempts;           /* per item, including the first */
	long timeout_ms;            /* per request: a backend that never answers times out */
	int backoff_base_ms;        /* full jitter: random wait up to base * 2^attempt ... */
	int backoff_cap_ms;         /* ... capped here */
	int retry_after_cap_s;      /* Retry-After beyond this is cut to it */
};

/* Sensible limits for a JSON batch API; exporters start from these and change what differs. */
void delivery_limits_default(struct delivery_limits *l);

struct delivery_stats {
	uint64_t queued_items;  /* waiting, backing off or in flight */
	uint64_t queued_bytes;
	uint64_t requests;      /* HTTP requests started */
	uint64_t failures;      /* requests answered with an error or not answered */
	uint64_t inflight;
	uint64_t last_status;   /* of the latest answer, 0 for a transport error */
};

/* name is used in log lines ("honeycomb: ..."); the queue adds to *counts, which the caller
 * owns and keeps alive as long as the queue. NULL when out of memory or libcurl could not
 * start. */
struct delivery *delivery_new(const char *name, const struct delivery_limits *l,
			      const struct delivery_ops *ops, void *ctx,
			      struct delivery_counts *counts);

/* Queue one item (data is taken, malloc'd, len bytes). Over the byte bound or over the
 * batch byte limit on its own, it is dropped, counted and logged once. Returns 0 when
 * queued, -1 when dropped. */
int delivery_add(struct delivery *d, char *data, size_t len, uint64_t key, const char *id);

/* Start what is due and handle answers; never blocks. Call often (exporter flush). */
void delivery_poll(struct delivery *d);

/* Items waiting, backing off or in flight. */
void delivery_get_stats(const struct delivery *d, struct delivery_stats *s);

/* Shutdown, all queues together: send everything now (partial batches too) and wait until
 * every queue is empty or the monotonic deadline (ms, clock_mono_now_ns()/1e6) passes. The
 * first call fixes the deadline until every queue is freed: later calls (an exporter's own
 * close) never wait past it. */
void delivery_drain_all(uint64_t deadline_ms);

/* Count whatever is still queued or in flight as dropped, and free. */
void delivery_free(struct delivery *d);

/* --export-queue-mb: when non-zero, the byte bound of every queue made after this call,
 * whatever its exporter asked for. */
void delivery_set_queue_bytes(size_t bytes);

/* Every live queue, for --stats and the Prometheus endpoint. */
int delivery_count(void);
struct delivery *delivery_at(int i);
const char *delivery_name(const struct delivery *d);

#endif
