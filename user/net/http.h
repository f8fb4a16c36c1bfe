/* SPDX-License-Identifier: BSD-2-Clause */
/* One libcurl multi loop for every HTTP exporter, driven without blocking from the main loop. */
#ifndef PYSPAN_NET_HTTP_H
#define PYSPAN_NET_HTTP_H

#include <stddef.h>

#define HTTP_BODY_MAX (1024 * 1024) /* response bytes kept; the rest is discarded */
#define HTTP_HEADERS_MAX (16 * 1024) /* response header bytes kept */

struct http_response {
	long status;         /* 0 when no response arrived (see error) */
	char *body;          /* NUL-terminated, possibly empty */
	size_t body_len;
	double retry_after_s; /* Retry-After in seconds, -1 when absent */
	const char *error;   /* transport failure text, NULL when a response arrived */
	const char *headers; /* the final response's raw header block ("Name: value\r\n"...),
			      * NUL-terminated, possibly empty; valid during the callback */
	size_t headers_len;
};

/* The value of response header name (case-insensitive), trimmed and copied into buf (cut to
 * len - 1 bytes). NULL when the response has no such header. */
const char *http_response_header(const struct http_response *r, const char *name, char *buf,
				 size_t len);

struct http_header {
	const char *name;
	const char *value;
};

typedef void (*http_done_fn)(void *arg, const struct http_response *r);

/* The shared loop; created on first use. NULL when libcurl cannot start. */
struct http_loop *http_loop(void);

/* Start one request; body and headers are copied. done runs from http_loop_poll (never from
 * here). Returns 0, or -1 when it could not be started (done is not called). */
int http_start(struct http_loop *l, const char *method, const char *url,
	       const struct http_header *h, int nh, const void *body, size_t len,
	       long timeout_ms, http_done_fn done, void *arg);

/* Abandon every transfer started with arg: its done callback never runs. For a caller that
 * goes away with requests still in flight. */
void http_cancel(struct http_loop *l, void *arg);

/* Drive transfers without blocking and run the callbacks of those that finished. */
void http_loop_poll(struct http_loop *l);

/* The loop if an exporter has started it, else NULL (never starts libcurl). */
struct http_loop *http_loop_started(void);

/* Wait up to ms for the transfers' sockets or fd to be readable, then drive the transfers:
 * the main loop's wait while requests are in flight, so an answered batch is followed by
 * the next one at once rather than at the next poll timeout. */
void http_loop_wait_fd(struct http_loop *l, int fd, int ms);

/* Like http_loop_poll, but first wait up to ms for socket activity (shutdown only). */
void http_loop_wait(struct http_loop *l, int ms);

/* Transfers still running. */
int http_loop_active(struct http_loop *l);

/* One blocking request outside the loop, for credential sources at startup and from the
 * refresh thread. The caller frees r->body. Returns 0 when a response arrived. */
int http_fetch(const char *method, const char *url, const struct http_header *h, int nh,
	       const void *body, size_t len, long timeout_ms, struct http_response *r);

#endif
