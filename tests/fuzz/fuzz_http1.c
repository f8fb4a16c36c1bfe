// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the HTTP/1 parser both ways: start lines, headers, body framing, chunk decoding. */
// fuzz-corpus: tests/fuzz/seeds/http
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"

/* Feed a body in pieces the input chooses, then account for a gap, as captures do. */
static void body(struct http1_body *b, const char *p, size_t len)
{
	const char *err;
	size_t pos = 0, step = len % 7 + 1;

	while (pos < len && !b->done) {
		size_t n = len - pos < step ? len - pos : step;
		long took = http1_body_feed(b, p + pos, n, &err);

		if (took < 0)
			return; /* bad framing, said and stopped */
		if ((size_t)took > n)
			abort(); /* a feed never takes more than it was given */
		if (took == 0 && !b->done)
			break;
		pos += (size_t)took;
	}
	if (!b->done)
		http1_body_skip(b, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *err;
	struct http1_message req, resp;
	struct http1_body b;
	int r;

	http1_looks_like_request(buf, size);
	http1_looks_like_response(buf, size);

	r = http1_parse_request(buf, size, &req, &err);
	if (r > (int)size)
		abort();
	if (r > 0) {
		http1_find_header(&req, "host");
		http1_find_header(&req, "traceparent");
		if (http1_body_for_request(&req, &b, &err) == 0)
			body(&b, buf + r, size - (size_t)r);
		/* The request's tail as the response it got. */
		if (http1_parse_response(buf + r, size - (size_t)r, &resp, &err) > 0 &&
		    http1_body_for_response(&resp, req.method, &b, &err) == 0)
			body(&b, buf + r, size - (size_t)r);
	}

	r = http1_parse_response(buf, size, &resp, &err);
	if (r > (int)size)
		abort();
	if (r > 0) {
		struct http1_str head = { .p = "HEAD", .len = 4 }, get = { .p = "GET", .len = 3 };

		http1_find_header(&resp, "content-length");
		if (http1_body_for_response(&resp, size & 1 ? head : get, &b, &err) == 0)
			body(&b, buf + r, size - (size_t)r);
	}

	/* The whole input as a chunked body. */
	memset(&b, 0, sizeof(b));
	b.kind = HTTP1_BODY_CHUNKED;
	body(&b, buf, size);
	return 0;
}
