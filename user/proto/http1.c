// SPDX-License-Identifier: BSD-2-Clause
/* HTTP/1.x parser: start line, header block and body framing of captured stream bytes. */
#include "proto/http1.h"

#include <limits.h>
#include <string.h>

/* Longest chunk-size line (extensions included) or trailer line the decoder will walk through:
 * the same order as servers' own header-line limits, and short enough that a stream which only
 * looked chunked is given up on quickly. */
#define CHUNK_LINE_MAX 8192

/* Longest method http1_looks_like_request accepts: it must leave room for the space and the
 * first target byte inside the 16 bytes the sniffer looks at. */
#define SNIFF_LEN 16
#define SNIFF_METHOD_MAX (SNIFF_LEN - 2)

static int fail(const char **err, const char *msg)
{
	if (err)
		*err = msg;
	return HTTP1_ERROR;
}

/* RFC 9110 tchar: what methods and field names are made of. */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values and reason phrases: HTAB, SP, visible ASCII and obs-text. Bytes >= 0x80 are
 * let through because real servers send raw UTF-8 (filenames in Content-Disposition). */
static int is_text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Request-target bytes: anything visible; raw UTF-8 paths are common enough to allow. */
static int is_target(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive (p, n) == want; locale-free so the parser does not depend on setlocale(). */
static int ieq(const char *p, size_t n, const char *want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (want[i] == '\0' || lower(p[i]) != lower(want[i]))
			return 0;
	return want[i] == '\0';
}

/* CRLF, or a bare LF as picohttpparser and most servers accept. The caller has seen CR or LF at
 * *pos. */
static int parse_eol(const char *buf, size_t len, size_t *pos, const char **err)
{
	size_t i = *pos;

	if (buf[i] == '\r') {
		if (++i >= len)
			return HTTP1_NEED_MORE;
		if (buf[i] != '\n')
			return fail(err, "CR not followed by LF");
	}
	*pos = i + 1;
	return 0;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3), any digits: a server answers a request line with an
 * unknown version (gunicorn echoes it: "HTTP/9.9 404 NOT FOUND"), so the exchange is a request
 * and a response all the same. Byte by byte, so that binary data fail at the first wrong byte.
 * The HTTP/2 connection preface ("PRI * HTTP/2.0") is not HTTP/1 and fails at its major
 * digit. */
static int parse_version(const char *buf, size_t len, size_t *pos, struct http1_message *m,
			 const char **err)
{
	static const char prefix[] = "HTTP/";
	size_t i = *pos;

	for (size_t k = 0; k < sizeof(prefix) - 1; k++, i++) {
		if (i >= len)
			return HTTP1_NEED_MORE;
		if (buf[i] != prefix[k])
			return fail(err, "bad HTTP version");
	}
	if (i >= len)
		return HTTP1_NEED_MORE;
	if (buf[i] < '0' || buf[i] > '9')
		return fail(err, "bad HTTP version");
	if (buf[i] != '1' && m->method.len == 3 && memcmp(m->method.p, "PRI", 3) == 0)
		return fail(err, "HTTP/2 connection preface");
	m->major_version = buf[i++] - '0';
	if (i >= len)
		return HTTP1_NEED_MORE;
	if (buf[i++] != '.')
		return fail(err, "bad HTTP version");
	if (i >= len)
		return HTTP1_NEED_MORE;
	if (buf[i] < '0' || buf[i] > '9')
		return fail(err, "bad HTTP version");
	m->minor_version = buf[i] - '0';
	*pos = i + 1;
	return 0;
}

static size_t skip_spaces(const char *buf, size_t len, size_t pos)
{
	while (pos < len && buf[pos] == ' ')
		pos++;
	return pos;
}

static void store_header(struct http1_message *m, const char *name, size_t name_len,
			 const char *value, size_t value_len)
{
	struct http1_header *h;

	if (m->num_headers >= HTTP1_MAX_HEADERS) {
		m->headers_dropped++;
		return;
	}
	h = &m->headers[m->num_headers++];
	h->name.p = name;
	h->name.len = name_len;
	h->value.p = value;
	h->value.len = value_len;
}

/* Field lines from pos through the empty line; returns the offset just past it. */
static int parse_headers(const char *buf, size_t len, size_t pos, struct http1_message *m,
			 const char **err)
{
	for (;;) {
		size_t name, name_end, value, value_end;
		unsigned char c;
		int r;

		if (pos >= len)
			return HTTP1_NEED_MORE;
		c = buf[pos];
		if (c == '\r' || c == '\n') {
			r = parse_eol(buf, len, &pos, err);
			return r ? r : (int)pos;
		}
		/* Folding was never used by the servers we trace, and a value continuing on the
		 * next line is a classic smuggling vector: refuse rather than guess. */
		if (is_ows(c))
			return fail(err, "obsolete header line folding");

		name = pos;
		while (pos < len && is_tchar(buf[pos]))
			pos++;
		if (pos >= len)
			return HTTP1_NEED_MORE;
		c = buf[pos];
		if (c != ':') {
			if (is_ows(c))
				return fail(err, "whitespace before colon in header");
			if (c == '\r' || c == '\n')
				return fail(err, "header line without colon");
			return fail(err, "invalid character in header name");
		}
		if (pos == name)
			return fail(err, "empty header name");
		name_end = pos++;

		while (pos < len && is_ows(buf[pos]))
			pos++;
		value = pos;
		while (pos < len && is_text(buf[pos]))
			pos++;
		if (pos >= len)
			return HTTP1_NEED_MORE;
		if (buf[pos] != '\r' && buf[pos] != '\n')
			return fail(err, "control character in header value");
		value_end = pos;
		while (value_end > value && is_ows(buf[value_end - 1]))
			value_end--;
		r = parse_eol(buf, len, &pos, err);
		if (r)
			return r;
		store_header(m, buf + name, name_end - name, buf + value, value_end - value);
	}
}

static void reset_message(struct http1_message *m)
{
	m->method = (struct http1_str){ NULL, 0 };
	m->target = (struct http1_str){ NULL, 0 };
	m->status = 0;
	m->reason = (struct http1_str){ NULL, 0 };
	m->major_version = 1;
	m->minor_version = 0;
	m->num_headers = 0;
	m->headers_dropped = 0;
}

/* The result is an int: a buffer past INT_MAX cannot hold a header block we could report, so
 * once it is that large the answer is an error, not a request for more. */
static int clamp_len(size_t *len)
{
	if (*len <= INT_MAX)
		return 0;
	*len = INT_MAX;
	return 1;
}

static int finish(int r, int clamped, const char **err)
{
	if (r == HTTP1_NEED_MORE && clamped)
		return fail(err, "header block too long");
	return r;
}

static int parse_request(const char *buf, size_t len, struct http1_message *m, const char **err)
{
	size_t pos = 0, start;
	int r;

	/* RFC 9112 2.2: clients may send a stray CRLF after a body; one is skipped, more than
	 * one is garbage. */
	if (len > 0 && (buf[0] == '\r' || buf[0] == '\n')) {
		r = parse_eol(buf, len, &pos, err);
		if (r)
			return r;
	}

	start = pos;
	while (pos < len && is_tchar(buf[pos]))
		pos++;
	if (pos >= len)
		return HTTP1_NEED_MORE;
	if (buf[pos] != ' ')
		return fail(err, "invalid character in method");
	if (pos == start)
		return fail(err, "empty method");
	m->method = (struct http1_str){ buf + start, pos - start };

	pos = skip_spaces(buf, len, pos);
	start = pos;
	while (pos < len && is_target((unsigned char)buf[pos]))
		pos++;
	if (pos >= len)
		return HTTP1_NEED_MORE;
	if (buf[pos] == '\r' || buf[pos] == '\n')
		return fail(err, pos == start ? "missing request target" : "missing HTTP version");
	if (buf[pos] != ' ')
		return fail(err, "control character in request target");
	m->target = (struct http1_str){ buf + start, pos - start };

	pos = skip_spaces(buf, len, pos);
	if (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		return fail(err, "missing HTTP version");
	r = parse_version(buf, len, &pos, m, err);
	if (r)
		return r;
	if (pos >= len)
		return HTTP1_NEED_MORE;
	if (buf[pos] != '\r' && buf[pos] != '\n')
		return fail(err, "junk after HTTP version");
	r = parse_eol(buf, len, &pos, err);
	if (r)
		return r;
	return parse_headers(buf, len, pos, m, err);
}

int http1_parse_request(const char *buf, size_t len, struct http1_message *m, const char **err)
{
	int clamped = clamp_len(&len);

	reset_message(m);
	return finish(parse_request(buf, len, m, err), clamped, err);
}

static int parse_response(const char *buf, size_t len, struct http1_message *m, const char **err)
{
	size_t pos = 0, start;
	int r, status = 0;

	r = parse_version(buf, len, &pos, m, err);
	if (r)
		return r;
	if (pos >= len)
		return HTTP1_NEED_MORE;
	if (buf[pos] != ' ')
		return fail(err, "missing status code");
	pos = skip_spaces(buf, len, pos);

	for (int k = 0; k < 3; k++, pos++) {
		if (pos >= len)
			return HTTP1_NEED_MORE;
		if (buf[pos] < '0' || buf[pos] > '9' || (k == 0 && buf[pos] == '0'))
			return fail(err, "bad status code");
		status = status * 10 + (buf[pos] - '0');
	}
	m->status = status;

	if (pos >= len)
		return HTTP1_NEED_MORE;
	/* "HTTP/1.1 200\r\n": the reason phrase is optional in practice, space included. */
	if (buf[pos] == ' ') {
		start = ++pos;
		while (pos < len && is_text(buf[pos]))
			pos++;
		if (pos >= len)
			return HTTP1_NEED_MORE;
		m->reason = (struct http1_str){ buf + start, pos - start };
	}
	if (buf[pos] != '\r' && buf[pos] != '\n')
		return fail(err, m->reason.p ? "control character in reason phrase" :
					       "bad status code");
	r = parse_eol(buf, len, &pos, err);
	if (r)
		return r;
	return parse_headers(buf, len, pos, m, err);
}

int http1_parse_response(const char *buf, size_t len, struct http1_message *m, const char **err)
{
	int clamped = clamp_len(&len);

	reset_message(m);
	return finish(parse_response(buf, len, m, err), clamped, err);
}

const struct http1_str *http1_find_header(const struct http1_message *m, const char *name)
{
	for (size_t i = 0; i < m->num_headers && i < HTTP1_MAX_HEADERS; i++)
		if (ieq(m->headers[i].name.p, m->headers[i].name.len, name))
			return &m->headers[i].value;
	return NULL;
}

/* Methods are matched as uppercase letters rather than a fixed list: frameworks accept
 * extension methods, and lowercase or digits at offset 0 already rule out TLS, postgres and
 * most binary protocols. */
int http1_looks_like_request(const char *buf, size_t len)
{
	size_t n = len < SNIFF_LEN ? len : SNIFF_LEN, i = 0, rest;
	int connect;

	while (i < n && buf[i] >= 'A' && buf[i] <= 'Z')
		i++;
	if (i == n)
		return i <= SNIFF_METHOD_MAX;
	if (i == 0 || i > SNIFF_METHOD_MAX || buf[i] != ' ')
		return 0;
	connect = i == 7 && memcmp(buf, "CONNECT", 7) == 0;
	if (++i == n)
		return 1;

	switch (buf[i]) {
	case '/': /* origin-form */
	case '*': /* asterisk-form: OPTIONS * */
		return 1;
	case 'h': /* absolute-form, as sent to proxies: "http://" or "https://" */
		rest = n - i < 4 ? n - i : 4;
		if (memcmp(buf + i, "http", rest) != 0)
			return 0;
		i += rest;
		return i == n || buf[i] == ':' || buf[i] == 's';
	default:
		/* CONNECT host:port (authority-form) */
		return connect && (buf[i] == '[' || (buf[i] >= '0' && buf[i] <= '9') ||
				   (lower(buf[i]) >= 'a' && lower(buf[i]) <= 'z'));
	}
}

int http1_looks_like_response(const char *buf, size_t len)
{
	static const char prefix[] = "HTTP/1.";
	size_t n = len < sizeof(prefix) - 1 ? len : sizeof(prefix) - 1;

	return n == 0 || memcmp(buf, prefix, n) == 0;
}

/* Content-Length may repeat, as several fields or as a list ("5, 5"); RFC 9112 6.3 lets a
 * recipient collapse identical values. Anything else leaves the body length unknowable.
 * Returns 1 when found (with *out), 0 when absent. */
static int content_length(const struct http1_message *m, uint64_t *out, const char **err)
{
	int found = 0;

	for (size_t i = 0; i < m->num_headers && i < HTTP1_MAX_HEADERS; i++) {
		const struct http1_header *h = &m->headers[i];
		const char *p = h->value.p, *end = p + h->value.len;

		if (!ieq(h->name.p, h->name.len, "content-length"))
			continue;
		for (;;) {
			const char *digits;
			uint64_t v = 0;

			while (p < end && is_ows(*p))
				p++;
			digits = p;
			for (; p < end && *p >= '0' && *p <= '9'; p++) {
				uint64_t d = (uint64_t)(*p - '0');

				if (v > (UINT64_MAX - d) / 10)
					return fail(err, "Content-Length too large");
				v = v * 10 + d;
			}
			if (p == digits)
				return fail(err, "Content-Length is not a number");
			while (p < end && is_ows(*p))
				p++;
			if (p < end && *p != ',')
				return fail(err, "Content-Length is not a number");
			if (found && v != *out)
				return fail(err, "conflicting Content-Length values");
			*out = v;
			found = 1;
			if (p == end)
				break;
			p++;
		}
	}
	return found;
}

enum te { TE_NONE, TE_CHUNKED, TE_OTHER };

/* Only the final transfer coding decides the framing (RFC 9112 6.3): "gzip, chunked" is
 * chunked, "chunked, gzip" is not. Several Transfer-Encoding fields form one list. */
static enum te transfer_encoding(const struct http1_message *m)
{
	const char *last = NULL;
	size_t last_len = 0;
	int present = 0;

	for (size_t i = 0; i < m->num_headers && i < HTTP1_MAX_HEADERS; i++) {
		const struct http1_header *h = &m->headers[i];
		const char *p = h->value.p, *end = p + h->value.len;

		if (!ieq(h->name.p, h->name.len, "transfer-encoding"))
			continue;
		present = 1;
		while (p < end) {
			const char *s, *e;

			while (p < end && (is_ows(*p) || *p == ','))
				p++;
			s = p;
			while (p < end && *p != ',')
				p++;
			e = p;
			while (e > s && is_ows(e[-1]))
				e--;
			if (e > s) {
				last = s;
				last_len = (size_t)(e - s);
			}
		}
	}
	if (!present)
		return TE_NONE;
	return last && ieq(last, last_len, "chunked") ? TE_CHUNKED : TE_OTHER;
}

enum chunk_state {
	CK_SIZE,	  /* hex digits of the chunk size */
	CK_SIZE_WS,	  /* whitespace after the size, before ';' or the line end */
	CK_EXT,		  /* chunk extensions, skipped */
	CK_SIZE_LF,	  /* CR seen at the end of the size line */
	CK_DATA,	  /* remaining bytes of chunk data */
	CK_DATA_CR,	  /* the CRLF closing the chunk data */
	CK_DATA_LF,
	CK_TRAILER_START, /* start of a trailer field line, or the final empty line */
	CK_TRAILER,	  /* inside a trailer field line, skipped */
	CK_TRAILER_LF,
	CK_FINAL_LF,	  /* CR of the final empty line seen */
};

static void body_init(struct http1_body *b, enum http1_body_kind kind, uint64_t length)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->chunk_state = CK_SIZE;
	b->done = kind == HTTP1_BODY_NONE;
	if (kind == HTTP1_BODY_LENGTH)
		b->remaining = length;
}

/* A Content-Length of 0 is reported as NONE (done from the start): to the caller there is
 * no difference, and it never has to feed an empty body. */
static int body_from_length(const struct http1_message *m, struct http1_body *b,
			    enum http1_body_kind otherwise, const char **err)
{
	uint64_t length = 0;
	int r = content_length(m, &length, err);

	if (r < 0)
		return r;
	if (r == 0)
		body_init(b, otherwise, 0);
	else
		body_init(b, length ? HTTP1_BODY_LENGTH : HTTP1_BODY_NONE, length);
	return 0;
}

int http1_body_for_request(const struct http1_message *req, struct http1_body *b,
			   const char **err)
{
	switch (transfer_encoding(req)) {
	case TE_CHUNKED:
		/* Transfer-Encoding overrides Content-Length (RFC 9112 6.3): follow what the
		 * server will do. */
		body_init(b, HTTP1_BODY_CHUNKED, 0);
		return 0;
	case TE_OTHER:
		/* A request has no "until close": the server must answer 400 and close. */
		body_init(b, HTTP1_BODY_NONE, 0);
		return fail(err, "request Transfer-Encoding does not end in chunked");
	case TE_NONE:
		break;
	}
	return body_from_length(req, b, HTTP1_BODY_NONE, err);
}

int http1_body_for_response(const struct http1_message *resp, struct http1_str req_method,
			    struct http1_body *b, const char **err)
{
	int s = resp->status;
	int head = req_method.p && ieq(req_method.p, req_method.len, "head");
	int connect = req_method.p && ieq(req_method.p, req_method.len, "connect");

	/* A 2xx to CONNECT turns the connection into a tunnel: its headers end the message. */
	if (head || (s >= 100 && s < 200) || s == 204 || s == 304 ||
	    (connect && s >= 200 && s < 300)) {
		body_init(b, HTTP1_BODY_NONE, 0);
		return 0;
	}
	switch (transfer_encoding(resp)) {
	case TE_CHUNKED:
		body_init(b, HTTP1_BODY_CHUNKED, 0);
		return 0;
	case TE_OTHER:
		body_init(b, HTTP1_BODY_UNTIL_CLOSE, 0);
		return 0;
	case TE_NONE:
		break;
	}
	return body_from_length(resp, b, HTTP1_BODY_UNTIL_CLOSE, err);
}

/* One byte of a line the decoder walks through without keeping; the cap turns a stream that
 * is not chunked framing after all into an error instead of an endless skip. */
static int line_byte(struct http1_body *b, const char **err)
{
	if (++b->line_len > CHUNK_LINE_MAX)
		return fail(err, "chunk line too long");
	return 0;
}

static void size_line_done(struct http1_body *b)
{
	b->line_len = 0;
	b->chunk_state = b->remaining ? CK_DATA : CK_TRAILER_START;
}

/* What may follow the size digits on their line: whitespace, extensions, the line end. */
static int after_size(struct http1_body *b, char c, const char **err)
{
	if (c == ';') {
		b->chunk_state = CK_EXT;
	} else if (is_ows(c)) {
		b->chunk_state = CK_SIZE_WS;
	} else if (c == '\r') {
		b->chunk_state = CK_SIZE_LF;
	} else if (c == '\n') {
		size_line_done(b);
		return 0;
	} else {
		return fail(err, "bad chunk size line");
	}
	return line_byte(b, err);
}

/* One framing byte. The decoder moves a byte at a time outside chunk data, so any split of the
 * stream across feeds leads through the same states. */
static int chunk_byte(struct http1_body *b, char c, const char **err)
{
	int d;

	switch (b->chunk_state) {
	case CK_SIZE:
		d = hex_value(c);
		if (d < 0) {
			if (b->line_len == 0)
				return fail(err, "chunk size is not hex");
			return after_size(b, c, err);
		}
		if (b->remaining > (UINT64_MAX >> 4))
			return fail(err, "chunk size too large");
		b->remaining = b->remaining << 4 | (uint64_t)d;
		return line_byte(b, err);
	case CK_SIZE_WS:
		return after_size(b, c, err);
	case CK_EXT:
		if (c == '\n') {
			size_line_done(b);
			return 0;
		}
		if (c == '\r')
			b->chunk_state = CK_SIZE_LF;
		else if (!is_text(c))
			return fail(err, "control character in chunk extension");
		return line_byte(b, err);
	case CK_SIZE_LF:
		if (c != '\n')
			return fail(err, "CR not followed by LF in chunk size line");
		size_line_done(b);
		return 0;
	case CK_DATA_CR:
		if (c == '\r')
			b->chunk_state = CK_DATA_LF;
		else if (c == '\n')
			b->chunk_state = CK_SIZE;
		else
			return fail(err, "chunk data not followed by CRLF");
		return 0;
	case CK_DATA_LF:
		if (c != '\n')
			return fail(err, "chunk data not followed by CRLF");
		b->chunk_state = CK_SIZE;
		return 0;
	case CK_TRAILER_START:
		if (c == '\r') {
			b->chunk_state = CK_FINAL_LF;
		} else if (c == '\n') {
			b->done = 1;
		} else if (is_tchar(c)) {
			b->chunk_state = CK_TRAILER;
			b->line_len = 1;
		} else {
			return fail(err, "bad trailer field");
		}
		return 0;
	case CK_TRAILER:
		if (c == '\n') {
			b->chunk_state = CK_TRAILER_START;
			b->line_len = 0;
			return 0;
		}
		if (c == '\r')
			b->chunk_state = CK_TRAILER_LF;
		else if (!is_text(c))
			return fail(err, "control character in trailer field");
		return line_byte(b, err);
	case CK_TRAILER_LF:
		if (c != '\n')
			return fail(err, "CR not followed by LF in trailer field");
		b->chunk_state = CK_TRAILER_START;
		b->line_len = 0;
		return 0;
	case CK_FINAL_LF:
		if (c != '\n')
			return fail(err, "CR not followed by LF after trailers");
		b->done = 1;
		return 0;
	}
	return fail(err, "corrupt chunk decoder state");
}

/* Returns the bytes consumed: all of buf, or up to the end of the body. */
static long chunked_feed(struct http1_body *b, const char *buf, size_t len, const char **err)
{
	size_t i = 0;

	while (i < len && !b->done) {
		if (b->chunk_state == CK_DATA) {
			uint64_t take = len - i < b->remaining ? len - i : b->remaining;

			b->remaining -= take;
			b->payload += take;
			i += take;
			if (b->remaining == 0)
				b->chunk_state = CK_DATA_CR;
			continue;
		}
		if (chunk_byte(b, buf[i], err))
			return HTTP1_ERROR;
		i++;
	}
	return (long)i;
}

long http1_body_feed(struct http1_body *b, const char *buf, size_t len, const char **err)
{
	long n;

	if (len > LONG_MAX)
		len = LONG_MAX;
	if (b->done)
		return 0;
	if (b->lost_sync || b->kind == HTTP1_BODY_UNTIL_CLOSE) {
		if (!b->lost_sync)
			b->payload += len;
		b->wire += len;
		return (long)len;
	}
	switch (b->kind) {
	case HTTP1_BODY_LENGTH:
		n = (long)(len < b->remaining ? len : b->remaining);
		b->remaining -= (uint64_t)n;
		b->payload += (uint64_t)n;
		b->done = b->remaining == 0;
		break;
	case HTTP1_BODY_CHUNKED:
		n = chunked_feed(b, buf, len, err);
		if (n < 0)
			return n;
		break;
	default:
		b->done = 1;
		return 0;
	}
	b->wire += (uint64_t)n;
	return n;
}

uint64_t http1_body_skip(struct http1_body *b, uint64_t n)
{
	uint64_t take;

	if (b->done || n == 0)
		return 0;
	if (b->lost_sync || b->kind == HTTP1_BODY_UNTIL_CLOSE) {
		if (!b->lost_sync)
			b->payload += n;
		b->wire += n;
		return n;
	}
	switch (b->kind) {
	case HTTP1_BODY_LENGTH:
		take = n < b->remaining ? n : b->remaining;
		b->remaining -= take;
		b->payload += take;
		b->wire += take;
		b->done = b->remaining == 0;
		return take;
	case HTTP1_BODY_CHUNKED:
		if (b->chunk_state == CK_DATA) {
			take = n < b->remaining ? n : b->remaining;
			b->remaining -= take;
			b->payload += take;
			if (b->remaining == 0)
				b->chunk_state = CK_DATA_CR;
			if (take == n) {
				b->wire += n;
				return n;
			}
		}
		/* The gap covers framing: where the next chunk starts is unknown from here on. */
		b->lost_sync = 1;
		b->wire += n;
		return n;
	default:
		b->done = 1;
		return 0;
	}
}
