// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the HTTP/1.x parser: captured-looking messages, every prefix, garbage, bodies. */
#include "check.h"
#include "proto/http1.h"

#include <stdint.h>
#include <stdlib.h>

enum { REQ, RESP };

static int parse(int kind, const char *buf, size_t len, struct http1_message *m, const char **err)
{
	*err = NULL;
	return kind == REQ ? http1_parse_request(buf, len, m, err) :
			     http1_parse_response(buf, len, m, err);
}

/* A heap copy of exactly n bytes, so ASan catches any read past the prefix handed over. */
static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	memcpy(p, s, n);
	return p;
}

/* Every prefix shorter than the header block must ask for more; every longer one (header block
 * plus some body or the next message) must report exactly the header block. One CHECK each so
 * the count stays meaningful; the first bad length is printed. */
static void check_prefixes(int kind, const char *msg, size_t hdr_len, size_t total)
{
	static struct http1_message m;
	size_t bad_short = 0, bad_long = 0;
	const char *err;

	for (size_t i = 0; i <= total; i++) {
		char *p = exact(msg, i);
		int r = parse(kind, p, i, &m, &err);
		int want = i < hdr_len ? HTTP1_NEED_MORE : (int)hdr_len;

		if (r != want) {
			if (bad_short + bad_long == 0)
				fprintf(stderr, "  prefix %zu of %zu: got %d (%s), want %d\n", i,
					total, r, r == HTTP1_ERROR ? err : "-", want);
			if (i < hdr_len)
				bad_short++;
			else
				bad_long++;
		}
		free(p);
	}
	CHECK_INT(bad_short, 0);
	CHECK_INT(bad_long, 0);
}

/* For a malformed message: shorter prefixes are still plausible (NEED_MORE), and from the
 * first byte that proves it malformed on, every prefix is an ERROR, never a wait. */
static void check_error_from(int kind, const char *msg, size_t len, size_t first_bad_len)
{
	static struct http1_message m;
	size_t bad = 0, no_err = 0;
	const char *err;

	for (size_t i = 0; i <= len; i++) {
		char *p = exact(msg, i);
		int r = parse(kind, p, i, &m, &err);
		int want = i < first_bad_len ? HTTP1_NEED_MORE : HTTP1_ERROR;

		if (r != want) {
			if (bad == 0)
				fprintf(stderr, "  \"%.*s\" prefix %zu: got %d, want %d\n",
					(int)(len > 40 ? 40 : len), msg, i, r, want);
			bad++;
		}
		if (r == HTTP1_ERROR && err == NULL)
			no_err++;
		free(p);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(no_err, 0);
}

#define S(lit) lit, sizeof(lit) - 1

static void test_curl_get(void)
{
	static const char msg[] = "GET /api/users?id=42&sort=name HTTP/1.1\r\n"
				  "Host: localhost:8000\r\n"
				  "User-Agent: curl/8.5.0\r\n"
				  "Accept: */*\r\n"
				  "\r\n";
	struct http1_message m;
	struct http1_body b;
	const char *err;
	int r = parse(REQ, S(msg), &m, &err);

	CHECK_INT(r, sizeof(msg) - 1);
	CHECK_MEM(m.method.p, m.method.len, "GET");
	CHECK_MEM(m.target.p, m.target.len, "/api/users?id=42&sort=name");
	CHECK_INT(m.minor_version, 1);
	CHECK_INT(m.num_headers, 3);
	CHECK_INT(m.headers_dropped, 0);
	CHECK_MEM(m.headers[0].name.p, m.headers[0].name.len, "Host");
	CHECK_MEM(m.headers[0].value.p, m.headers[0].value.len, "localhost:8000");
	CHECK_MEM(m.headers[1].name.p, m.headers[1].name.len, "User-Agent");
	CHECK_MEM(m.headers[1].value.p, m.headers[1].value.len, "curl/8.5.0");
	CHECK_MEM(m.headers[2].value.p, m.headers[2].value.len, "*/*");
	/* Pointers go into the caller's buffer, not a copy. */
	CHECK(m.method.p == msg);
	CHECK(m.headers[0].name.p == msg + 41);

	const struct http1_str *h = http1_find_header(&m, "host");
	CHECK(h && h == &m.headers[0].value);
	h = http1_find_header(&m, "USER-AGENT");
	CHECK(h && h->len == 10 && memcmp(h->p, "curl/8.5.0", 10) == 0);
	CHECK(http1_find_header(&m, "Content-Length") == NULL);
	CHECK(http1_find_header(&m, "Hos") == NULL);
	CHECK(http1_find_header(&m, "Hostx") == NULL);

	CHECK_INT(http1_body_for_request(&m, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(b.done, 1);
	CHECK_INT(http1_body_feed(&b, "GET / HTTP/1.1\r\n", 16, &err), 0);

	check_prefixes(REQ, S(msg), sizeof(msg) - 1);
}

static void test_browser_get(void)
{
	static const char msg[] =
		"GET /dashboard/reports/2024?tab=summary HTTP/1.1\r\n"
		"Host: app.internal.example:8080\r\n"
		"Connection: keep-alive\r\n"
		"Cache-Control: max-age=0\r\n"
		"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", "
		"\"Not-A.Brand\";v=\"99\"\r\n"
		"sec-ch-ua-mobile: ?0\r\n"
		"sec-ch-ua-platform: \"Linux\"\r\n"
		"Upgrade-Insecure-Requests: 1\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
		"(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
		"image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
		"Sec-Fetch-Site: same-origin\r\n"
		"Sec-Fetch-Mode: navigate\r\n"
		"Sec-Fetch-User: ?1\r\n"
		"Sec-Fetch-Dest: document\r\n"
		"Referer: http://app.internal.example:8080/dashboard\r\n"
		"Accept-Encoding: gzip, deflate, br, zstd\r\n"
		"Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
		"Cookie: session=eyJ1c2VyIjoiYWxpY2UifQ.ZkN2Rw.abc123; csrftoken=Xy9TqL; "
		"theme=dark\r\n"
		"If-None-Match:W/\"5e-18f4c3\"\r\n"
		"X-Empty:\r\n"
		"X-Padded: \t spaced value \t \r\n"
		"\r\n";
	struct http1_message m;
	struct http1_body b;
	const char *err;
	const struct http1_str *h;
	int r = parse(REQ, S(msg), &m, &err);

	CHECK_INT(r, sizeof(msg) - 1);
	CHECK_INT(m.num_headers, 20);
	CHECK_MEM(m.target.p, m.target.len, "/dashboard/reports/2024?tab=summary");
	h = http1_find_header(&m, "Sec-Ch-Ua");
	CHECK(h != NULL);
	if (h)
		CHECK_MEM(h->p, h->len,
			  "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", "
			  "\"Not-A.Brand\";v=\"99\"");
	h = http1_find_header(&m, "cookie");
	CHECK(h != NULL);
	if (h)
		CHECK_MEM(h->p, h->len,
			  "session=eyJ1c2VyIjoiYWxpY2UifQ.ZkN2Rw.abc123; csrftoken=Xy9TqL; "
			  "theme=dark");
	/* No space after the colon, an empty value, OWS on both sides. */
	h = http1_find_header(&m, "if-none-match");
	CHECK(h != NULL);
	if (h)
		CHECK_MEM(h->p, h->len, "W/\"5e-18f4c3\"");
	h = http1_find_header(&m, "x-empty");
	CHECK(h != NULL && h->len == 0);
	h = http1_find_header(&m, "x-padded");
	CHECK(h != NULL);
	if (h)
		CHECK_MEM(h->p, h->len, "spaced value");
	CHECK_INT(http1_body_for_request(&m, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);

	check_prefixes(REQ, S(msg), sizeof(msg) - 1);
}

static void test_post_json(void)
{
	static const char msg[] = "POST /api/orders HTTP/1.1\r\n"
				  "Host: orders:5000\r\n"
				  "User-Agent: python-requests/2.31.0\r\n"
				  "Accept-Encoding: gzip, deflate\r\n"
				  "Accept: */*\r\n"
				  "Connection: keep-alive\r\n"
				  "Content-Type: application/json\r\n"
				  "Content-Length: 25\r\n"
				  "\r\n"
				  "{\"item\":\"widget\",\"qty\":3}"
				  "GET /api/orders/7 HTTP/1.1\r\n\r\n";
	const char *body = strchr(msg, '{');
	size_t hdr = (size_t)(body - msg), total = sizeof(msg) - 1;
	struct http1_message m;
	struct http1_body b;
	const char *err;

	CHECK_INT(parse(REQ, msg, total, &m, &err), hdr);
	CHECK_MEM(m.method.p, m.method.len, "POST");
	CHECK_INT(http1_body_for_request(&m, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_LENGTH);
	CHECK_INT(b.remaining, 25);
	CHECK_INT(b.done, 0);

	/* The body ends inside the buffer: the rest is the next request. */
	CHECK_INT(http1_body_feed(&b, body, total - hdr, &err), 25);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.remaining, 0);
	CHECK_INT(b.payload, 25);
	CHECK_INT(b.wire, 25);
	CHECK_INT(http1_body_feed(&b, body + 25, 5, &err), 0);
	CHECK_INT(parse(REQ, body + 25, strlen(body + 25), &m, &err), strlen(body + 25));
	CHECK_MEM(m.target.p, m.target.len, "/api/orders/7");

	/* One byte at a time counts down the same way. */
	CHECK_INT(parse(REQ, msg, total, &m, &err), hdr);
	CHECK_INT(http1_body_for_request(&m, &b, &err), 0);
	int ones = 0;
	for (int i = 0; i < 24; i++)
		ones += http1_body_feed(&b, body + i, 1, &err) == 1;
	CHECK_INT(ones, 24);
	CHECK_INT(b.remaining, 1);
	CHECK_INT(b.done, 0);
	CHECK_INT(http1_body_feed(&b, body + 24, 2, &err), 1);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 25);

	check_prefixes(REQ, msg, hdr, total);
}

static const char chunked_post[] = "POST /upload HTTP/1.1\r\n"
				   "Host: api:8000\r\n"
				   "User-Agent: python-requests/2.31.0\r\n"
				   "Accept-Encoding: gzip, deflate\r\n"
				   "Accept: */*\r\n"
				   "Connection: keep-alive\r\n"
				   "Transfer-Encoding: chunked\r\n"
				   "\r\n";
static const char chunked_post_body[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

static void test_chunked_post(void)
{
	char buf[512];
	size_t hdr = sizeof(chunked_post) - 1, blen = sizeof(chunked_post_body) - 1;
	struct http1_message m;
	struct http1_body b;
	const char *err;
	const char next[] = "GET /status HTTP/1.1\r\nHost: api\r\n\r\n";

	memcpy(buf, chunked_post, hdr);
	memcpy(buf + hdr, chunked_post_body, blen);
	memcpy(buf + hdr + blen, next, sizeof(next));

	CHECK_INT(parse(REQ, buf, strlen(buf), &m, &err), hdr);
	CHECK_INT(http1_body_for_request(&m, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_CHUNKED);
	CHECK_INT(b.done, 0);
	CHECK_INT(http1_body_feed(&b, buf + hdr, strlen(buf + hdr), &err), blen);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 11);
	CHECK_INT(b.wire, blen);
	CHECK_INT(parse(REQ, buf + hdr + blen, sizeof(next) - 1, &m, &err), sizeof(next) - 1);
	CHECK_MEM(m.target.p, m.target.len, "/status");

	check_prefixes(REQ, buf, hdr, hdr + blen);
}

static void test_gunicorn_response(void)
{
	static const char msg[] = "HTTP/1.1 200 OK\r\n"
				  "Server: gunicorn\r\n"
				  "Date: Tue, 14 May 2024 09:12:31 GMT\r\n"
				  "Connection: keep-alive\r\n"
				  "Content-Type: application/json\r\n"
				  "Content-Length: 27\r\n"
				  "\r\n"
				  "{\"status\":\"ok\",\"count\":42}\n";
	size_t total = sizeof(msg) - 1, hdr = total - 27;
	struct http1_message m;
	struct http1_body b;
	const char *err;

	CHECK_INT(parse(RESP, msg, total, &m, &err), hdr);
	CHECK_INT(m.status, 200);
	CHECK_MEM(m.reason.p, m.reason.len, "OK");
	CHECK_INT(m.minor_version, 1);
	CHECK_INT(m.num_headers, 5);
	CHECK(m.method.p == NULL && m.target.p == NULL);
	CHECK_MEM(m.headers[1].value.p, m.headers[1].value.len, "Tue, 14 May 2024 09:12:31 GMT");
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "GET", 3 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_LENGTH);
	CHECK_INT(b.remaining, 27);
	CHECK_INT(http1_body_feed(&b, msg + hdr, 10, &err), 10);
	CHECK_INT(b.remaining, 17);
	CHECK_INT(b.done, 0);
	CHECK_INT(http1_body_feed(&b, msg + hdr + 10, 17, &err), 17);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 27);

	check_prefixes(RESP, msg, hdr, total);
}

static void test_werkzeug_responses(void)
{
	static const char v11[] = "HTTP/1.1 200 OK\r\n"
				  "Server: Werkzeug/3.0.1 Python/3.11.6\r\n"
				  "Date: Tue, 14 May 2024 09:12:31 GMT\r\n"
				  "Content-Type: text/html; charset=utf-8\r\n"
				  "Content-Length: 13\r\n"
				  "Connection: close\r\n"
				  "\r\n"
				  "Hello, World!";
	/* The dev server's HTTP/1.0 mode streaming a generator: no length at all. */
	static const char v10[] = "HTTP/1.0 200 OK\r\n"
				  "Server: Werkzeug/2.0.3 Python/3.9.2\r\n"
				  "Date: Tue, 14 May 2024 09:12:31 GMT\r\n"
				  "Content-Type: text/plain; charset=utf-8\r\n"
				  "\r\n"
				  "line 1\nline 2\n";
	struct http1_message m;
	struct http1_body b;
	const char *err;
	size_t hdr = sizeof(v11) - 1 - 13;

	CHECK_INT(parse(RESP, S(v11), &m, &err), hdr);
	const struct http1_str *server = http1_find_header(&m, "server");
	CHECK(server != NULL);
	if (server)
		CHECK_MEM(server->p, server->len, "Werkzeug/3.0.1 Python/3.11.6");
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "POST", 4 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_LENGTH);
	CHECK_INT(http1_body_feed(&b, v11 + hdr, 13, &err), 13);
	CHECK_INT(b.done, 1);
	check_prefixes(RESP, v11, hdr, sizeof(v11) - 1);

	hdr = sizeof(v10) - 1 - 14;
	CHECK_INT(parse(RESP, S(v10), &m, &err), hdr);
	CHECK_INT(m.minor_version, 0);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "GET", 3 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_UNTIL_CLOSE);
	CHECK_INT(http1_body_feed(&b, v10 + hdr, 14, &err), 14);
	CHECK_INT(http1_body_feed(&b, "HTTP/1.1 200 OK\r\n", 17, &err), 17);
	CHECK_INT(b.done, 0);
	CHECK_INT(b.payload, 31);
	CHECK_INT(http1_body_skip(&b, 1000), 1000);
	CHECK_INT(b.wire, 1031);
	CHECK_INT(b.lost_sync, 0);
	check_prefixes(RESP, v10, hdr, sizeof(v10) - 1);
}

static const char chunked_resp[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain\r\n"
				   "Transfer-Encoding: chunked\r\n"
				   "Trailer: Expires, X-Checksum\r\n"
				   "\r\n";
static const char chunked_resp_body[] = "7;name=value\r\n"
					"Mozilla\r\n"
					"9;a;b=\"q s\" \r\n"
					"Developer\r\n"
					"1a \r\n"
					"abcdefghijklmnopqrstuvwxyz\r\n"
					"7\r\n"
					"Network\r\n"
					"0;last\r\n"
					"Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
					"X-Checksum: abc\r\n"
					"\r\n";
#define CHUNKED_RESP_PAYLOAD (7 + 9 + 26 + 7)

struct outcome {
	long consumed;
	uint64_t payload, wire, remaining;
	int done, lost_sync, error;
};

static void start_chunked(struct http1_body *b)
{
	struct http1_message m;
	const char *err;

	parse(RESP, S(chunked_resp), &m, &err);
	http1_body_for_response(&m, (struct http1_str){ "GET", 3 }, b, &err);
}

/* Feeds buf as the pieces [0,i) [i,j) [j,len) in exact heap copies. */
static struct outcome feed_split(const char *buf, size_t len, size_t i, size_t j)
{
	size_t cut[4] = { 0, i, j, len };
	struct outcome o = { 0 };
	struct http1_body b;
	const char *err;

	start_chunked(&b);
	for (int k = 0; k < 3; k++) {
		char *p = exact(buf + cut[k], cut[k + 1] - cut[k]);
		long r = http1_body_feed(&b, p, cut[k + 1] - cut[k], &err);

		free(p);
		if (r < 0) {
			o.error = 1;
			break;
		}
		if (r > (long)(cut[k + 1] - cut[k]))
			o.error = 2;
		o.consumed += r;
	}
	o.payload = b.payload;
	o.wire = b.wire;
	o.remaining = b.remaining;
	o.done = b.done;
	o.lost_sync = b.lost_sync;
	return o;
}

static int same(struct outcome a, struct outcome b)
{
	return a.consumed == b.consumed && a.payload == b.payload && a.wire == b.wire &&
	       a.remaining == b.remaining && a.done == b.done && a.lost_sync == b.lost_sync &&
	       a.error == b.error;
}

static void test_chunked_response(void)
{
	char buf[1024];
	size_t hdr = sizeof(chunked_resp) - 1, blen = sizeof(chunked_resp_body) - 1;
	static const char next[] = "HTTP/1.1 204 No Content\r\n\r\n";
	struct http1_message m;
	struct http1_body b;
	const char *err;

	memcpy(buf, chunked_resp, hdr);
	memcpy(buf + hdr, chunked_resp_body, blen);
	memcpy(buf + hdr + blen, next, sizeof(next));

	CHECK_INT(parse(RESP, buf, strlen(buf), &m, &err), hdr);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "GET", 3 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_CHUNKED);
	CHECK_INT(http1_body_feed(&b, buf + hdr, strlen(buf + hdr), &err), blen);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, CHUNKED_RESP_PAYLOAD);
	CHECK_INT(b.wire, blen);
	CHECK_INT(parse(RESP, buf + hdr + blen, sizeof(next) - 1, &m, &err), sizeof(next) - 1);
	CHECK_INT(m.status, 204);
	check_prefixes(RESP, buf, hdr, hdr + blen);

	/* Every split into two and three pieces ends in the same place as one feed; the body is
	 * followed by the next response so "consumed" also proves where the body ends. */
	size_t len = blen + sizeof(next) - 1;
	const char *body = buf + hdr;
	struct outcome whole = feed_split(body, len, len, len);
	size_t bad2 = 0, bad3 = 0;

	CHECK_INT(whole.consumed, blen);
	CHECK_INT(whole.payload, CHUNKED_RESP_PAYLOAD);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.error, 0);
	for (size_t i = 0; i <= len; i++) {
		bad2 += !same(feed_split(body, len, i, len), whole);
		for (size_t j = i; j <= len; j++)
			bad3 += !same(feed_split(body, len, i, j), whole);
	}
	CHECK_INT(bad2, 0);
	CHECK_INT(bad3, 0);

	/* Byte by byte: done exactly at the final LF, not before. */
	start_chunked(&b);
	size_t early = 0;
	for (size_t i = 0; i < blen; i++) {
		CHECK_INT(http1_body_feed(&b, body + i, 1, &err), 1);
		early += b.done && i + 1 < blen;
	}
	CHECK_INT(early, 0);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, CHUNKED_RESP_PAYLOAD);
	CHECK_INT(http1_body_feed(&b, "x", 1, &err), 0);

	/* Every proper prefix of the body leaves it open. */
	size_t closed = 0;
	for (size_t i = 0; i < blen; i++) {
		struct outcome o = feed_split(body, i, i, i);

		closed += o.done || o.error || o.consumed != (long)i;
	}
	CHECK_INT(closed, 0);
}

static void test_chunked_variants(void)
{
	struct http1_body b;
	const char *err;

	/* Bare LF everywhere, uppercase hex, no trailers. */
	static const char lf[] = "A\nabcdefghij\n1F\n0123456789012345678901234567890\n0\n\n";
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S(lf), &err), sizeof(lf) - 1);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 41);

	/* A long extension is skipped, not stored: it fits no 24-byte line buffer. */
	char ext[2048];
	int n = snprintf(ext, sizeof(ext), "3;sig=");
	memset(ext + n, 'k', 1500);
	n += 1500;
	n += snprintf(ext + n, sizeof(ext) - (size_t)n, "\r\nabc\r\n0\r\n\r\n");
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, ext, (size_t)n, &err), n);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 3);
	start_chunked(&b);
	long got = 0;
	for (int i = 0; i < n; i += 7) {
		long r = http1_body_feed(&b, ext + i, (size_t)(n - i < 7 ? n - i : 7), &err);
		if (r < 0)
			break;
		got += r;
	}
	CHECK_INT(got, n);
	CHECK_INT(b.done, 1);

	/* Leading zeros are fine; a size beyond 64 bits is not. */
	static const char zeros[] = "00000000000000000000000000000002\r\nhi\r\n0\r\n\r\n";
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S(zeros), &err), sizeof(zeros) - 1);
	CHECK_INT(b.payload, 2);
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("fffffffffffffffff\r\n"), &err), HTTP1_ERROR);
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("ffffffffffffffff\r\n"), &err), 18);
	CHECK(b.remaining == UINT64_MAX);

	/* Framing errors: each is caught at the bad byte even when fed one byte at a time. */
	static const struct {
		const char *body;
		size_t bad_at;
	} bad[] = {
		{ "zz\r\n", 0 },
		{ "\r\n", 0 },
		{ ";ext\r\n", 0 },
		{ "5\r\nhelloX\r\n", 8 },
		{ "5\r\nhello\r\r\n", 9 },
		{ "5\rX", 2 },
		{ "5 x\r\n", 2 },
		{ "5;a\x01\r\n", 3 },
		{ "0\r\nX-T: a\x01\r\n\r\n", 9 },
		{ "0\r\n:x\r\n\r\n", 3 },
		{ "0\r\n\rx", 4 },
		{ "-5\r\n", 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].body), at = len;
		long r = 0;

		start_chunked(&b);
		err = NULL;
		for (size_t k = 0; k < len; k++) {
			r = http1_body_feed(&b, bad[i].body + k, 1, &err);
			if (r != 1) {
				at = k;
				break;
			}
		}
		CHECK_INT(r, HTTP1_ERROR);
		CHECK_INT(at, bad[i].bad_at);
		CHECK(err != NULL);
	}

	/* A size line that never ends is given up on instead of skipped forever. */
	static char junk[20000];
	junk[0] = '1';
	junk[1] = ';';
	memset(junk + 2, 'a', sizeof(junk) - 2);
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, junk, sizeof(junk), &err), HTTP1_ERROR);
	static char trailer[20000];
	memcpy(trailer, "0\r\nX-Long: ", 11);
	memset(trailer + 11, 'v', sizeof(trailer) - 11);
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, trailer, sizeof(trailer), &err), HTTP1_ERROR);
}

static void test_no_body_responses(void)
{
	static const char r204[] = "HTTP/1.1 204 No Content\r\n"
				   "Server: gunicorn\r\n"
				   "Date: Tue, 14 May 2024 09:12:31 GMT\r\n"
				   "Connection: keep-alive\r\n"
				   "\r\n";
	/* A 304 repeats the Content-Length the 200 would have had; there is still no body. */
	static const char r304[] = "HTTP/1.1 304 NOT MODIFIED\r\n"
				   "Server: Werkzeug/3.0.1 Python/3.11.6\r\n"
				   "ETag: \"5e-18f4c3\"\r\n"
				   "Content-Length: 94\r\n"
				   "\r\n";
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Server: gunicorn\r\n"
				   "Content-Type: application/octet-stream\r\n"
				   "Content-Length: 5120\r\n"
				   "\r\n";
	struct http1_message m;
	struct http1_body b;
	const char *err;
	const struct http1_str get = { "GET", 3 };

	CHECK_INT(parse(RESP, S(r204), &m, &err), sizeof(r204) - 1);
	CHECK_INT(m.status, 204);
	CHECK_MEM(m.reason.p, m.reason.len, "No Content");
	CHECK_INT(http1_body_for_response(&m, get, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(b.done, 1);
	check_prefixes(RESP, S(r204), sizeof(r204) - 1);

	CHECK_INT(parse(RESP, S(r304), &m, &err), sizeof(r304) - 1);
	CHECK_INT(m.status, 304);
	CHECK_INT(http1_body_for_response(&m, get, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(b.done, 1);
	CHECK_INT(http1_body_feed(&b, "HTTP/1.1", 8, &err), 0);
	check_prefixes(RESP, S(r304), sizeof(r304) - 1);

	/* The same bytes answer a HEAD (no body) and a GET (5120 bytes). */
	CHECK_INT(parse(RESP, S(head), &m, &err), sizeof(head) - 1);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "HEAD", 4 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(b.done, 1);
	CHECK_INT(http1_body_skip(&b, 100), 0);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "head", 4 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(http1_body_for_response(&m, get, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_LENGTH);
	CHECK_INT(b.remaining, 5120);
	/* An unknown request method is not HEAD. */
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ NULL, 0 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_LENGTH);

	/* A HEAD request itself. */
	static const char hreq[] = "HEAD /files/report.pdf HTTP/1.1\r\nHost: files\r\n\r\n";
	CHECK_INT(parse(REQ, S(hreq), &m, &err), sizeof(hreq) - 1);
	CHECK_MEM(m.method.p, m.method.len, "HEAD");
	check_prefixes(REQ, S(hreq), sizeof(hreq) - 1);

	/* A 2xx to CONNECT starts a tunnel, not a body. */
	static const char conn[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	CHECK_INT(parse(RESP, S(conn), &m, &err), sizeof(conn) - 1);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "CONNECT", 7 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(http1_body_for_response(&m, get, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_UNTIL_CLOSE);
}

static void test_continue(void)
{
	static const char req[] = "PUT /objects/42 HTTP/1.1\r\n"
				  "Host: store\r\n"
				  "Content-Length: 4\r\n"
				  "Expect: 100-continue\r\n"
				  "\r\n";
	static const char resp[] = "HTTP/1.1 100 Continue\r\n"
				   "\r\n"
				   "HTTP/1.1 201 Created\r\n"
				   "Content-Length: 0\r\n"
				   "\r\n";
	struct http1_message m;
	struct http1_body b;
	const char *err;
	int r;

	CHECK_INT(parse(REQ, S(req), &m, &err), sizeof(req) - 1);
	CHECK_INT(http1_body_for_request(&m, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_LENGTH);
	CHECK_INT(b.remaining, 4);

	r = parse(RESP, S(resp), &m, &err);
	CHECK_INT(r, 25);
	CHECK_INT(m.status, 100);
	CHECK_MEM(m.reason.p, m.reason.len, "Continue");
	CHECK_INT(m.num_headers, 0);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "PUT", 3 }, &b, &err), 0);
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(b.done, 1);
	check_prefixes(RESP, resp, 25, 25);

	CHECK_INT(parse(RESP, resp + r, sizeof(resp) - 1 - (size_t)r, &m, &err),
		  sizeof(resp) - 1 - (size_t)r);
	CHECK_INT(m.status, 201);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "PUT", 3 }, &b, &err), 0);
	/* Content-Length: 0 is reported as no body at all. */
	CHECK_INT(b.kind, HTTP1_BODY_NONE);
	CHECK_INT(b.done, 1);
}

static void test_pipelined(void)
{
	static const char buf[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /b?c=d HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n";
	struct http1_message m;
	const char *err;
	int first, second;

	first = parse(REQ, S(buf), &m, &err);
	CHECK_INT(first, 28);
	CHECK_MEM(m.target.p, m.target.len, "/a");
	CHECK_INT(m.num_headers, 1);
	second = parse(REQ, buf + first, sizeof(buf) - 1 - (size_t)first, &m, &err);
	CHECK_INT(second, sizeof(buf) - 1 - (size_t)first);
	CHECK_MEM(m.target.p, m.target.len, "/b?c=d");
	CHECK_INT(m.num_headers, 2);
	CHECK_MEM(m.headers[1].value.p, m.headers[1].value.len, "text/plain");
	check_prefixes(REQ, buf + first, (size_t)second, (size_t)second);

	/* A client's stray CRLF after a body: one empty line is skipped, two are garbage. */
	static const char crlf[] = "\r\nGET /c HTTP/1.1\r\n\r\n";
	CHECK_INT(parse(REQ, S(crlf), &m, &err), sizeof(crlf) - 1);
	CHECK_MEM(m.target.p, m.target.len, "/c");
	check_prefixes(REQ, S(crlf), sizeof(crlf) - 1);
	check_error_from(REQ, S("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 3);
	check_error_from(REQ, S("\n\nGET / HTTP/1.1\r\n\r\n"), 2);
}

static void test_forms(void)
{
	struct http1_message m;
	const char *err;

	/* Bare LF line endings, mixed with CRLF. */
	static const char lf[] = "GET /lf HTTP/1.0\nHost: a\r\nX: y\n\n";
	CHECK_INT(parse(REQ, S(lf), &m, &err), sizeof(lf) - 1);
	CHECK_INT(m.minor_version, 0);
	CHECK_INT(m.num_headers, 2);
	CHECK_MEM(m.headers[1].value.p, m.headers[1].value.len, "y");
	check_prefixes(REQ, S(lf), sizeof(lf) - 1);
	static const char rlf[] = "HTTP/1.1 404 Not Found\nContent-Length: 0\n\n";
	CHECK_INT(parse(RESP, S(rlf), &m, &err), sizeof(rlf) - 1);
	CHECK_INT(m.status, 404);

	static const char opts[] = "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n";
	CHECK_INT(parse(REQ, S(opts), &m, &err), sizeof(opts) - 1);
	CHECK_MEM(m.target.p, m.target.len, "*");
	static const char absf[] = "GET http://example.com:8080/p?q HTTP/1.1\r\n\r\n";
	CHECK_INT(parse(REQ, S(absf), &m, &err), sizeof(absf) - 1);
	CHECK_MEM(m.target.p, m.target.len, "http://example.com:8080/p?q");
	CHECK_INT(m.num_headers, 0);
	/* Extension methods and raw UTF-8 in the target and in values. */
	static const char ext[] = "PROPFIND /caf\xc3\xa9 HTTP/1.1\r\nX-Name: Jos\xc3\xa9\r\n\r\n";
	CHECK_INT(parse(REQ, S(ext), &m, &err), sizeof(ext) - 1);
	CHECK_MEM(m.method.p, m.method.len, "PROPFIND");
	CHECK_MEM(m.target.p, m.target.len, "/caf\xc3\xa9");
	check_prefixes(REQ, S(ext), sizeof(ext) - 1);

	/* Status lines without a reason, with an empty one, with spaces inside. */
	CHECK_INT(parse(RESP, S("HTTP/1.1 200\r\n\r\n"), &m, &err), 16);
	CHECK_INT(m.status, 200);
	CHECK_INT(m.reason.len, 0);
	check_prefixes(RESP, S("HTTP/1.1 200\r\n\r\n"), 16);
	CHECK_INT(parse(RESP, S("HTTP/1.1 200 \r\n\r\n"), &m, &err), 17);
	CHECK_INT(m.reason.len, 0);
	CHECK_INT(parse(RESP, S("HTTP/1.0 503 Service Unavailable\r\n\r\n"), &m, &err), 36);
	CHECK_INT(m.status, 503);
	CHECK_MEM(m.reason.p, m.reason.len, "Service Unavailable");

	/* A reused message struct is reset, not appended to. */
	CHECK_INT(parse(REQ, S("GET / HTTP/1.1\r\n\r\n"), &m, &err), 18);
	CHECK_INT(m.num_headers, 0);
	CHECK_INT(m.status, 0);
	CHECK(m.reason.p == NULL);
}

static void test_many_headers(void)
{
	static char buf[8192];
	struct http1_message m;
	const char *err;
	int n = snprintf(buf, sizeof(buf), "GET /many HTTP/1.1\r\n");

	for (int i = 0; i < HTTP1_MAX_HEADERS + 6; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "X-H%d: v%d\r\n", i, i);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\r\n");

	CHECK_INT(parse(REQ, buf, (size_t)n, &m, &err), n);
	CHECK_INT(m.num_headers, HTTP1_MAX_HEADERS);
	CHECK_INT(m.headers_dropped, 6);
	CHECK_MEM(m.headers[HTTP1_MAX_HEADERS - 1].name.p,
		  m.headers[HTTP1_MAX_HEADERS - 1].name.len, "X-H63");
	CHECK(http1_find_header(&m, "x-h63") != NULL);
	CHECK(http1_find_header(&m, "x-h64") == NULL);
	check_prefixes(REQ, buf, (size_t)n, (size_t)n);

	/* A malformed header past the cap is still an error: dropped means not stored. */
	n -= 2;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "Bad Header: x\r\n\r\n");
	CHECK_INT(parse(REQ, buf, (size_t)n, &m, &err), HTTP1_ERROR);

	/* The first of repeated headers is the one found. */
	static const char rep[] = "GET / HTTP/1.1\r\nAccept: a\r\naccept: b\r\n\r\n";
	CHECK_INT(parse(REQ, S(rep), &m, &err), sizeof(rep) - 1);
	const struct http1_str *accept = http1_find_header(&m, "ACCEPT");
	CHECK(accept != NULL);
	if (accept)
		CHECK_MEM(accept->p, accept->len, "a");
}

static const unsigned char tls_hello[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5b, 0x9e, 0x21, 0x4c,
	0xd0, 0x7a, 0x11, 0x3f, 0x88, 0x02, 0xc6, 0xe4, 0x19, 0x73, 0xaa, 0x40, 0x0e, 0x9d, 0x52,
	0x6f, 0x31, 0x08, 0xbb, 0xc3, 0x27, 0x5e, 0x90, 0x14, 0xf2, 0x66, 0x0a, 0x20, 0x7c, 0x4d,
	0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc,
	0xa8, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09, 'l',  'o',	'c',  'a',  'l',
	'h',  'o',  's',  't',
};

/* StartupMessage: length, protocol 3.0, then user/database pairs. */
static const char pg_startup[] = "\x00\x00\x00\x24\x00\x03\x00\x00"
				 "user\0postgres\0database\0app\0";
/* SSLRequest, what libpq sends first by default. */
static const unsigned char pg_ssl[] = { 0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f };

/* Offsets are where each message first stops being a possible HTTP message. */
static void test_malformed(void)
{
	struct http1_message m;
	const char *err;

	/* Header trouble. */
	check_error_from(REQ, S("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n"), 28);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 21);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n"), 21);
	check_error_from(REQ, S("GET / HTTP/1.1\r\n: x\r\n\r\n"), 17);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nX-A: a\r\n  folded\r\n\r\n"), 25);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nX-A: a\x01" "b\r\n\r\n"), 23);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"), 24);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"), 23);
	check_error_from(REQ, S("GET / HTTP/1.1\r\nX(A): a\r\n\r\n"), 18);
	check_error_from(REQ, S("GET / HTTP/1.1\r\n\rX"), 18);
	check_error_from(RESP, S("HTTP/1.1 200 OK\r\nServer gunicorn\r\n\r\n"), 24);

	/* Start line trouble. */
	check_error_from(REQ, S(" / HTTP/1.1\r\n\r\n"), 1);
	check_error_from(REQ, S("GET\t/ HTTP/1.1\r\n\r\n"), 4);
	check_error_from(REQ, S("G@T / HTTP/1.1\r\n\r\n"), 2);
	check_error_from(REQ, S("GET /a\x01" "b HTTP/1.1\r\n\r\n"), 7);
	check_error_from(REQ, S("GET /a\x7f HTTP/1.1\r\n\r\n"), 7);
	check_error_from(REQ, "GET /a\0b HTTP/1.1\r\n\r\n", 21, 7);
	check_error_from(REQ, S("GET /\r\n\r\n"), 6);
	check_error_from(REQ, S("GET / \r\n\r\n"), 7);
	check_error_from(REQ, S("GET \r\n\r\n"), 5);
	check_error_from(REQ, S("GET / HTTP/x.0\r\n\r\n"), 12);
	check_error_from(REQ, S("GET / HTTP/1,1\r\n\r\n"), 13);
	check_error_from(REQ, S("GET / HTTP/1.x\r\n\r\n"), 14);
	check_error_from(REQ, S("GET / HTTP/1.12\r\n\r\n"), 15);
	check_error_from(REQ, S("GET / http/1.1\r\n\r\n"), 7);
	check_error_from(REQ, S("GET / HTTP/1.1 \r\n\r\n"), 15);
	check_error_from(REQ, S("GET / HTTP/1.1\rX\n\r\n"), 16);
	/* The HTTP/2 connection preface is not an HTTP/1 request. */
	check_error_from(REQ, S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 12);
	check_error_from(RESP, S("HTTP/2 200 OK\r\n\r\n"), 7);
	check_error_from(RESP, S("HTTP/1.1 abc OK\r\n\r\n"), 10);
	check_error_from(RESP, S("HTTP/1.1 20 OK\r\n\r\n"), 12);
	check_error_from(RESP, S("HTTP/1.1 2000 OK\r\n\r\n"), 13);
	check_error_from(RESP, S("HTTP/1.1 020 OK\r\n\r\n"), 10);
	check_error_from(RESP, S("HTTP/1.1\r\n\r\n"), 9);
	check_error_from(RESP, S("HTTP/1.1 200 O\x01K\r\n\r\n"), 15);
	check_error_from(RESP, S("http/1.1 200 OK\r\n\r\n"), 1);
	/* A request is not a response and the other way round. */
	check_error_from(RESP, S("GET / HTTP/1.1\r\n\r\n"), 1);
	check_error_from(REQ, S("HTTP/1.1 200 OK\r\n\r\n"), 5);

	/* Redis: '*' is a token byte, but a method cannot end in CR. */
	check_error_from(REQ, S("*1\r\n$4\r\nPING\r\n"), 3);

	/* Errors carry a message. */
	CHECK_INT(parse(REQ, S("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "header line without colon");
	CHECK_INT(parse(REQ, S("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "whitespace before colon in header");
	CHECK_INT(parse(REQ, S(" / HTTP/1.1\r\n\r\n"), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "empty method");
	CHECK_INT(parse(REQ, S("GET /\r\n\r\n"), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "missing HTTP version");
	CHECK_INT(parse(REQ, S("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n"), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "obsolete header line folding");
	CHECK_INT(parse(REQ, (const char *)tls_hello, sizeof(tls_hello), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "invalid character in method");
	CHECK_INT(parse(RESP, S("HTTP/1.1 200 OK\r\n\x16\x03"), &m, &err), HTTP1_ERROR);
	CHECK_STR(err, "invalid character in header name");
}

static void test_binary_protocols(void)
{
	check_error_from(REQ, (const char *)tls_hello, sizeof(tls_hello), 1);
	check_error_from(RESP, (const char *)tls_hello, sizeof(tls_hello), 1);
	check_error_from(REQ, pg_startup, sizeof(pg_startup), 1);
	check_error_from(RESP, pg_startup, sizeof(pg_startup), 1);
	check_error_from(REQ, (const char *)pg_ssl, sizeof(pg_ssl), 1);
	CHECK_INT(http1_looks_like_request((const char *)tls_hello, sizeof(tls_hello)), 0);
	CHECK_INT(http1_looks_like_response((const char *)tls_hello, sizeof(tls_hello)), 0);
	CHECK_INT(http1_looks_like_request(pg_startup, sizeof(pg_startup)), 0);
	CHECK_INT(http1_looks_like_response(pg_startup, sizeof(pg_startup)), 0);
	CHECK_INT(http1_looks_like_request((const char *)pg_ssl, 1), 0);
}

static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static int sane(int r, size_t len, const char *err)
{
	if (r == HTTP1_ERROR)
		return err != NULL;
	return r == HTTP1_NEED_MORE || (r > 0 && (size_t)r <= len);
}

/* Random bytes never crash the parsers or the decoder and never claim more than they got; and
 * junk is turned down at once rather than waited on. */
static void test_random(void)
{
	static const char alphabet[] = "GET /HTP1.0\r\n:abcx-;=\t 0123456789aAfF";
	static const char *samples[] = {
		"GET /api/users?id=42 HTTP/1.1\r\nHost: localhost:8000\r\nAccept: */*\r\n\r\n",
		"HTTP/1.1 200 OK\r\nServer: gunicorn\r\nContent-Length: 27\r\n\r\n",
		"5;x=y\r\nhello\r\n0\r\nX-T: v\r\n\r\n",
	};
	struct http1_message m;
	struct http1_body b;
	const char *err;
	size_t insane = 0, rejected = 0, long_bufs = 0, sniff_bad = 0;

	for (int iter = 0; iter < 4000; iter++) {
		size_t len = rng() % 96, mode = (size_t)iter % 3;
		char *p = malloc(len ? len : 1);

		for (size_t i = 0; i < len; i++) {
			if (mode == 0) {
				p[i] = (char)rng();
			} else if (mode == 1) {
				p[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
			} else {
				/* A real message with a few bytes flipped. */
				const char *s = samples[(size_t)iter / 3 % 3];

				p[i] = i < strlen(s) ? s[i] : (char)rng();
			}
		}
		if (mode == 2 && len)
			for (int k = 0; k < 3; k++)
				p[rng() % len] = (char)rng();

		for (int kind = REQ; kind <= RESP; kind++) {
			int r = parse(kind, p, len, &m, &err);

			insane += !sane(r, len, err);
			if (r > 0 && (m.num_headers > HTTP1_MAX_HEADERS ||
				      (kind == REQ && m.method.len == 0)))
				insane++;
			if (mode == 0 && len >= 8) {
				long_bufs++;
				rejected += r == HTTP1_ERROR;
			}
		}
		sniff_bad += (unsigned)http1_looks_like_request(p, len) > 1;
		sniff_bad += (unsigned)http1_looks_like_response(p, len) > 1;

		/* The chunk decoder, in random-sized pieces. */
		start_chunked(&b);
		for (size_t off = 0; off < len;) {
			size_t piece = 1 + rng() % 8;
			long r;

			if (piece > len - off)
				piece = len - off;
			r = http1_body_feed(&b, p + off, piece, &err);
			if (r == HTTP1_ERROR)
				break;
			if (r < 0 || (size_t)r > piece) {
				insane++;
				break;
			}
			if (b.done)
				break;
			if ((size_t)r != piece)
				insane++;
			off += piece;
		}
		free(p);
	}
	CHECK_INT(insane, 0);
	CHECK_INT(sniff_bad, 0);
	/* Of random buffers of 8+ bytes, at least 98% must be refused outright. */
	CHECK(long_bufs > 1000);
	CHECK(rejected * 100 >= long_bufs * 98);
}

static void test_sniffers(void)
{
	static const char *yes_req[] = {
		"GET / HTTP/1.1\r\n",
		"POST /api/orders HTTP/1.1\r\n",
		"PUT /x",
		"DELETE /items/1 HTTP/1.1",
		"PATCH /p",
		"HEAD /",
		"OPTIONS * HTTP/1.1\r\n",
		"TRACE / HTTP/1.1",
		"GET http://example.com/ HTTP/1.1\r\n",
		"GET https://example.com/ HTTP/1.1\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\n",
		"CONNECT 10.0.0.1:443 HTTP/1.1\r\n",
		"PROPFIND /dav HTTP/1.1\r\n",
		"MKCALENDAR /c HTTP/1.1\r\n",
		"GET /\x16\x03\x01 junk after the sixteen bytes \x01\x02",
	};
	static const char *no_req[] = {
		"HTTP/1.1 200 OK\r\n",
		"get / HTTP/1.1\r\n",
		"GET  / HTTP/1.1\r\n",
		"GET example.com HTTP/1.1\r\n",
		"GET hxxp://a",
		"GET httpx",
		" GET / HTTP/1.1",
		"GET\t/ HTTP/1.1",
		"G3T / HTTP/1.1",
		"ABCDEFGHIJKLMNOP / HTTP/1.1",
		"ABCDEFGHIJKLMNO /",
		"*1\r\n$4\r\nPING\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
	};
	size_t bad = 0;

	for (size_t i = 0; i < sizeof(yes_req) / sizeof(yes_req[0]); i++) {
		size_t len = strlen(yes_req[i]);

		/* Each prefix could still become the match, down to the empty buffer. */
		for (size_t n = 0; n <= len; n++) {
			char *p = exact(yes_req[i], n);

			if (http1_looks_like_request(p, n) != 1) {
				fprintf(stderr, "  request sniff: \"%.*s\"\n", (int)n, p);
				bad++;
			}
			free(p);
		}
	}
	CHECK_INT(bad, 0);
	for (size_t i = 0; i < sizeof(no_req) / sizeof(no_req[0]); i++) {
		int r = http1_looks_like_request(no_req[i], strlen(no_req[i]));

		if (r != 0)
			fprintf(stderr, "  request sniff accepted \"%s\"\n", no_req[i]);
		CHECK_INT(r, 0);
	}
	/* 14 letters still leave room for " /" within 16 bytes. */
	CHECK_INT(http1_looks_like_request(S("ABCDEFGHIJKLMN /")), 1);
	CHECK_INT(http1_looks_like_request(S("GET h")), 1);
	CHECK_INT(http1_looks_like_request(S("GET hello")), 0);

	bad = 0;
	static const char resp[] = "HTTP/1.1 200 OK\r\n";
	for (size_t n = 0; n <= sizeof(resp) - 1; n++) {
		char *p = exact(resp, n);

		bad += http1_looks_like_response(p, n) != 1;
		free(p);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(http1_looks_like_response(S("HTTP/1.0 404 Not Found")), 1);
	CHECK_INT(http1_looks_like_response(S("HTTP/2 200")), 0);
	CHECK_INT(http1_looks_like_response(S("HTTP/2.0 200")), 0);
	CHECK_INT(http1_looks_like_response(S("http/1.1 200")), 0);
	CHECK_INT(http1_looks_like_response(S("GET / HTTP/1.1")), 0);
	CHECK_INT(http1_looks_like_response(S("HTTX")), 0);
	/* Nothing seen yet could still become either; a NULL empty buffer is not dereferenced. */
	CHECK_INT(http1_looks_like_request(NULL, 0), 1);
	CHECK_INT(http1_looks_like_response(NULL, 0), 1);
}

/* Parses a request's headers and picks its body framing. */
static int frame_req(const char *msg, struct http1_body *b, const char **err)
{
	struct http1_message m;
	int r = parse(REQ, msg, strlen(msg), &m, err);

	if (r != (int)strlen(msg)) {
		fprintf(stderr, "  setup parse failed: %d for %s\n", r, msg);
		return -100;
	}
	return http1_body_for_request(&m, b, err);
}

#define POST "POST / HTTP/1.1\r\n"
#define OK200 "HTTP/1.1 200 OK\r\n"
#define FRAMED(kind, msg, body, remaining) { kind, msg, 0, body, remaining }
#define REJECTED(kind, msg) { kind, msg, HTTP1_ERROR, HTTP1_BODY_NONE, 0 }

static void test_framing(void)
{
	static const struct {
		int kind;
		const char *msg;
		int ret;
		enum http1_body_kind body;
		uint64_t remaining;
	} cases[] = {
		/* Content-Length forms: any case, OWS, repeats and lists of one value. */
		FRAMED(REQ, POST "content-length: 12\r\n\r\n", HTTP1_BODY_LENGTH, 12),
		FRAMED(REQ, POST "Content-Length:  7 \r\nContent-Length: 7\r\n\r\n",
		       HTTP1_BODY_LENGTH, 7),
		FRAMED(REQ, POST "Content-Length: 7, 7 ,7\r\n\r\n", HTTP1_BODY_LENGTH, 7),
		FRAMED(REQ, POST "Content-Length: 18446744073709551615\r\n\r\n", HTTP1_BODY_LENGTH,
		       UINT64_MAX),
		/* Zero length is reported as no body. */
		FRAMED(REQ, POST "Content-Length: 0\r\n\r\n", HTTP1_BODY_NONE, 0),
		FRAMED(REQ, POST "Host: x\r\n\r\n", HTTP1_BODY_NONE, 0),
		/* Lengths that leave the body's end unknowable. */
		REJECTED(REQ, POST "Content-Length: 10\r\nContent-Length: 12\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: 10, 12\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: abc\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: -1\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: +5\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: 0x10\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: 1 2\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length:\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: 5,\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: 18446744073709551616\r\n\r\n"),
		REJECTED(REQ, POST "Content-Length: 99999999999999999999999\r\n\r\n"),
		REJECTED(RESP, OK200 "Content-Length: 3\r\nContent-Length: 4\r\n\r\n"),
		/* Transfer-Encoding: only the last coding counts, and it beats Content-Length. */
		FRAMED(REQ, POST "Transfer-Encoding: gzip, chunked\r\n\r\n", HTTP1_BODY_CHUNKED, 0),
		FRAMED(REQ, POST "transfer-encoding: CHUNKED\r\n\r\n", HTTP1_BODY_CHUNKED, 0),
		FRAMED(REQ, POST "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
		       HTTP1_BODY_CHUNKED, 0),
		FRAMED(REQ, POST "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		       HTTP1_BODY_CHUNKED, 0),
		REJECTED(REQ, POST "Transfer-Encoding: chunked, gzip\r\n\r\n"),
		REJECTED(REQ, POST "Transfer-Encoding: chunkedx\r\n\r\n"),
		FRAMED(RESP, OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n",
		       HTTP1_BODY_UNTIL_CLOSE, 0),
		FRAMED(RESP, OK200 "Transfer-Encoding: gzip,chunked\r\n\r\n",
		       HTTP1_BODY_CHUNKED, 0),
		FRAMED(RESP, OK200 "Content-Type: text/plain\r\n\r\n", HTTP1_BODY_UNTIL_CLOSE, 0),
		/* Interim and no-content responses never have a body, whatever they say. */
		FRAMED(RESP, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
		       HTTP1_BODY_NONE, 0),
		FRAMED(RESP, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
		       HTTP1_BODY_NONE, 0),
		FRAMED(RESP, "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
		       HTTP1_BODY_NONE, 0),
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg = cases[i].msg;
		struct http1_message m;
		struct http1_body b;
		const char *err = NULL;
		int r = parse(cases[i].kind, msg, strlen(msg), &m, &err);

		if (r != (int)strlen(msg)) {
			fprintf(stderr, "  case %zu: setup parse gave %d\n", i, r);
			CHECK(0);
			continue;
		}
		if (cases[i].kind == REQ)
			r = http1_body_for_request(&m, &b, &err);
		else
			r = http1_body_for_response(&m, (struct http1_str){ "GET", 3 }, &b, &err);
		if (r != cases[i].ret)
			fprintf(stderr, "  case %zu: %s\n", i, msg);
		CHECK_INT(r, cases[i].ret);
		if (r == HTTP1_ERROR) {
			CHECK(err != NULL);
			continue;
		}
		CHECK_INT(b.kind, cases[i].body);
		CHECK(b.remaining == cases[i].remaining);
		CHECK_INT(b.done, cases[i].body == HTTP1_BODY_NONE);
		CHECK_INT(b.payload + b.wire + (uint64_t)b.lost_sync, 0);
	}

	struct http1_message m;
	struct http1_body b;
	const char *err;
	static const char conflict[] = OK200 "Content-Length: 3\r\nContent-Length: 4\r\n\r\n";
	CHECK_INT(parse(RESP, S(conflict), &m, &err), sizeof(conflict) - 1);
	CHECK_INT(http1_body_for_response(&m, (struct http1_str){ "GET", 3 }, &b, &err),
		  HTTP1_ERROR);
	CHECK_STR(err, "conflicting Content-Length values");
}

static void test_skip(void)
{
	struct http1_body b;
	const char *err;

	/* Content-Length: exact, never past the end. */
	frame_req("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", &b, &err);
	CHECK_INT(http1_body_skip(&b, 40), 40);
	CHECK_INT(b.remaining, 60);
	CHECK_INT(b.done, 0);
	CHECK_INT(http1_body_feed(&b, "0123456789", 10, &err), 10);
	CHECK_INT(http1_body_skip(&b, 80), 50);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 100);
	CHECK_INT(b.wire, 100);
	CHECK_INT(b.lost_sync, 0);
	CHECK_INT(http1_body_skip(&b, 5), 0);

	/* Inside chunk data: exact, and the decoder stays in step. */
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("10;x=1\r\n0123"), &err), 12);
	CHECK_INT(b.remaining, 12);
	CHECK_INT(http1_body_skip(&b, 8), 8);
	CHECK_INT(b.lost_sync, 0);
	CHECK_INT(b.remaining, 4);
	CHECK_INT(http1_body_feed(&b, S("cdef\r\n3\r\nxyz\r\n0\r\n\r\nGET"), &err), 19);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 19);
	CHECK_INT(b.wire, 39);

	/* Skipping exactly to the end of a chunk's data keeps sync too. */
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("5\r\n"), &err), 3);
	CHECK_INT(http1_body_skip(&b, 5), 5);
	CHECK_INT(b.lost_sync, 0);
	CHECK_INT(http1_body_feed(&b, S("\r\n0\r\n\r\n"), &err), 7);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.payload, 5);

	/* Past the chunk's data into framing: sync is lost, everything is taken from then on. */
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("5\r\nab"), &err), 5);
	CHECK_INT(http1_body_skip(&b, 10), 10);
	CHECK_INT(b.lost_sync, 1);
	CHECK_INT(b.payload, 5);
	CHECK_INT(b.wire, 15);
	CHECK_INT(http1_body_feed(&b, S("zz not framing\r\n0\r\n\r\n"), &err), 21);
	CHECK_INT(b.done, 0);
	CHECK_INT(http1_body_skip(&b, 3), 3);

	/* Inside a size line or after the data: framing, so sync is lost at once. */
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("1"), &err), 1);
	CHECK_INT(http1_body_skip(&b, 1), 1);
	CHECK_INT(b.lost_sync, 1);
	start_chunked(&b);
	CHECK_INT(http1_body_feed(&b, S("2\r\nab"), &err), 5);
	CHECK_INT(http1_body_skip(&b, 1), 1);
	CHECK_INT(b.lost_sync, 1);
	CHECK_INT(b.payload, 2);
	start_chunked(&b);
	CHECK_INT(http1_body_skip(&b, 4), 4);
	CHECK_INT(b.lost_sync, 1);
	CHECK_INT(b.done, 0);

	/* A skip of nothing changes nothing. */
	start_chunked(&b);
	CHECK_INT(http1_body_skip(&b, 0), 0);
	CHECK_INT(b.lost_sync, 0);
}

/* A server answers any HTTP/x.y request line (gunicorn with 505 or 400): it is a request. */
static void test_other_versions(void)
{
	static const char *const lines[] = { "GET /x HTTP/9.9\r\nHost: a\r\n\r\n",
					     "GET /x HTTP/2.0\r\nHost: a\r\n\r\n",
					     "GET /x HTTP/0.9\r\n\r\n" };
	static const int want[][2] = { { 9, 9 }, { 2, 0 }, { 0, 9 } };
	struct http1_message m;
	const char *err;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK_INT(http1_parse_request(lines[i], strlen(lines[i]), &m, &err),
			  (int)strlen(lines[i]));
		CHECK_INT(m.major_version, want[i][0]);
		CHECK_INT(m.minor_version, want[i][1]);
		CHECK_MEM(m.target.p, m.target.len, "/x");
	}
	CHECK_INT(http1_parse_request(S("GET / HTTP/1.1\r\n\r\n"), &m, &err), 18);
	CHECK_INT(m.major_version, 1);
	/* gunicorn's answer echoes the version. */
	CHECK_INT(http1_parse_response(S("HTTP/9.9 404 NOT FOUND\r\nContent-Length: 0\r\n\r\n"),
				       &m, &err),
		  45);
	CHECK_INT(m.status, 404);
	CHECK_INT(m.major_version, 9);
}

int main(void)
{
	test_curl_get();
	test_other_versions();
	test_browser_get();
	test_post_json();
	test_chunked_post();
	test_gunicorn_response();
	test_werkzeug_responses();
	test_chunked_response();
	test_chunked_variants();
	test_no_body_responses();
	test_continue();
	test_pipelined();
	test_forms();
	test_many_headers();
	test_malformed();
	test_binary_protocols();
	test_random();
	test_sniffers();
	test_framing();
	test_skip();
	return check_summary("http1");
}
