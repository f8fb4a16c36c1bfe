/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP/1.x message parser: pure functions over (buf, len); no allocation, no I/O, no globals. */
#ifndef PYSPAN_PROTO_HTTP1_H
#define PYSPAN_PROTO_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#define HTTP1_MAX_HEADERS 64

/* Negative results shared by every parse function. */
enum {
	HTTP1_ERROR = -1,     /* malformed: *err says why */
	HTTP1_NEED_MORE = -2, /* a valid prefix: call again with more bytes, nothing consumed */
};

struct http1_str {
	const char *p; /* points into the caller's buffer */
	size_t len;
};

struct http1_header {
	struct http1_str name;
	struct http1_str value;
};

/* A parsed start line and header block. Request parses fill method/target; response parses
 * fill status/reason. */
struct http1_message {
	struct http1_str method;
	struct http1_str target;
	int status;
	struct http1_str reason;
	int major_version; /* HTTP/x.y: any digit, 1 nearly always */
	int minor_version;
	size_t num_headers;
	size_t headers_dropped; /* headers beyond HTTP1_MAX_HEADERS, parsed and skipped */
	struct http1_header headers[HTTP1_MAX_HEADERS];
};

/* Parse a request line and headers. Returns the length of the whole header block (through the
 * empty line) when complete, HTTP1_NEED_MORE on a valid prefix, HTTP1_ERROR with *err set
 * (a static string) when the bytes cannot be an HTTP/1.x request. */
int http1_parse_request(const char *buf, size_t len, struct http1_message *m, const char **err);

/* The same for a status line and headers. */
int http1_parse_response(const char *buf, size_t len, struct http1_message *m, const char **err);

/* Case-insensitive header lookup: the first header with that name, or NULL. */
const struct http1_str *http1_find_header(const struct http1_message *m, const char *name);

/* Does buf start like an HTTP/1.x request ("GET /", "POST /" ...) or response ("HTTP/1.")?
 * Cheap sniffers used to pick a parser for a connection whose role is unknown; they look at
 * no more than the first 16 bytes and accept a prefix that could still become a match. */
int http1_looks_like_request(const char *buf, size_t len);
int http1_looks_like_response(const char *buf, size_t len);

/* Body framing, RFC 9112 section 6.3. */
enum http1_body_kind {
	HTTP1_BODY_NONE,        /* no body: the message ends with its headers */
	HTTP1_BODY_LENGTH,      /* Content-Length bytes */
	HTTP1_BODY_CHUNKED,     /* Transfer-Encoding: chunked (with trailers) */
	HTTP1_BODY_UNTIL_CLOSE, /* a response without length: ends when the connection closes */
};

struct http1_body {
	enum http1_body_kind kind;
	uint64_t remaining;   /* LENGTH: bytes still to come; CHUNKED: bytes left in this chunk */
	int chunk_state;      /* CHUNKED: private state of the chunk decoder */
	uint64_t payload;     /* payload bytes seen so far (chunk framing excluded) */
	uint64_t wire;        /* body bytes seen on the wire so far (framing included) */
	int done;             /* the body (and so the message) is complete */
	int lost_sync;        /* CHUNKED: framing bytes were not captured, the end is unknown */
	char line[24];        /* CHUNKED: a chunk-size line split across feeds */
	unsigned line_len;
};

/* Choose the framing for a request's body from its headers. Returns 0, or HTTP1_ERROR with *err
 * (for example a Content-Length that is not a number, or two that disagree). */
int http1_body_for_request(const struct http1_message *req, struct http1_body *b,
			   const char **err);

/* The same for a response; req_method is the method of the request it answers (HEAD has no
 * body), and 1xx, 204 and 304 responses have none either. */
int http1_body_for_response(const struct http1_message *resp, struct http1_str req_method,
			    struct http1_body *b, const char **err);

/* Feed body bytes. Returns how many of them belong to this body (all of them, or fewer when the
 * body ended inside buf: the rest is the next message), or HTTP1_ERROR with *err on bad chunk
 * framing. Sets b->done when the body is complete. */
long http1_body_feed(struct http1_body *b, const char *buf, size_t len, const char **err);

/* Account for n body bytes that were seen on the wire but not captured. Returns how many of them
 * belong to this body. Inside chunk data or a Content-Length body this is exact; anywhere else
 * in chunked framing the decoder sets lost_sync and takes all n bytes (the caller then ends the
 * message by other means: the next request, or the connection closing). */
uint64_t http1_body_skip(struct http1_body *b, uint64_t n);

#endif
