/* SPDX-License-Identifier: BSD-2-Clause */
/* The Rollbar exporter: one item per failed request, through the item API. */
#ifndef PYSPAN_EXPORT_ROLLBAR_H
#define PYSPAN_EXPORT_ROLLBAR_H

#include <stddef.h>
#include <stdint.h>

#include "export/export.h"
#include "net/delivery.h"

#define ROLLBAR_ENDPOINT_DEFAULT "https://api.rollbar.com/api/1/"
#define ROLLBAR_ENVIRONMENT_DEFAULT "production"
#define ROLLBAR_DEDUP_WINDOW_DEFAULT 60
#define ROLLBAR_PAUSE_DEFAULT_S 60 /* a 429 that says nothing of how long */
#define ROLLBAR_PAUSE_MAX_S 3600   /* no answer stops pyspan sending for longer than this */

struct rollbar_opts {
	const char *access_token;    /* post_server_item; required */
	const char *environment;     /* NULL: "production" */
	const char *code_version;    /* NULL: service_version */
	const char *service_version; /* --service-version; NULL: none */
	const char *endpoint;        /* the API base, "item/" is added; NULL: the default */
	uint32_t dedup_window_s;     /* identical errors within it send one item */
};

/* NULL after one line on stderr when the exporter cannot run (no access token). */
struct exporter *export_rollbar_new(const struct rollbar_opts *o);

/* One answer of the item API, as the exporter reads it. */
struct rollbar_answer {
	long status;                      /* 0: no answer arrived */
	const char *body;                 /* may be NULL */
	double retry_after_s;             /* Retry-After, -1 when absent */
	const char *rl_remaining;         /* X-Rate-Limit-Remaining, NULL when absent */
	const char *rl_remaining_seconds; /* X-Rate-Limit-Remaining-Seconds */
	const char *rl_reset;             /* X-Rate-Limit-Reset, epoch seconds */
};

struct rollbar_verdict {
	enum delivery_outcome outcome;
	double retry_after_s; /* for a retry: when, or -1 for the queue's backoff */
	double pause_s;       /* > 0: send nothing at all for this long */
	char message[256];    /* Rollbar's words for a refusal ("message" of {"err": 1, ...}) */
};

/* What to do with the item of an answer, at now_unix_s: 2xx sent; 429 retried after a pause
 * as long as the rate-limit headers say (Remaining-Seconds, else Reset - now, else
 * Retry-After, else ROLLBAR_PAUSE_DEFAULT_S; at most ROLLBAR_PAUSE_MAX_S); a 2xx that says
 * no calls remain pauses too; 408, 5xx and no answer retried with backoff (Retry-After
 * when given); anything else (400, 401, 403, 413, 422...) dropped. */
void rollbar_judge(const struct rollbar_answer *a, double now_unix_s, struct rollbar_verdict *v);

/* Could this be an access token: 1 to 128 visible ASCII characters? Anything else (a space, a
 * line break) would break, or inject into, the request's headers. */
int rollbar_token_ok(const char *token);

/* Replace every occurrence of secret in s (in place) with "****": answers are logged, and
 * a token must never be. */
void rollbar_scrub(char *s, const char *secret);

#endif
