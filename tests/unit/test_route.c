// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for route.c (route templates) and redact.c (query values, secret headers). */
#include "check.h"
#include "span/redact.h"
#include "track/route.h"

#include <stdlib.h>

#define GUARD 16

static char out[256 + GUARD];

/* Inputs are exact-size heap copies with no NUL after them, so ASan reports any read past len;
 * out is pre-filled so a write past cap shows up as a changed guard byte. */
static int guard_intact(size_t cap)
{
	for (size_t i = cap; i < cap + GUARD; i++)
		if (out[i] != 'X')
			return 0;
	return 1;
}

static size_t run(size_t (*fn)(const char *, size_t, char *, size_t), const char *s, size_t len,
		  size_t cap)
{
	char *buf = malloc(len ? len : 1);
	size_t r;

	memcpy(buf, s, len);
	memset(out, 'X', sizeof(out));
	r = fn(buf, len, out, cap);
	free(buf);
	CHECK(guard_intact(cap));
	if (cap)
		CHECK_INT(r, strlen(out));
	return r;
}

static const char *route(const char *path)
{
	run(route_infer, path, strlen(path), 256);
	return out;
}

static const char *route_cap(const char *path, size_t cap)
{
	run(route_infer, path, strlen(path), cap);
	return out;
}

static const char *redact(const char *q)
{
	run(redact_query, q, strlen(q), 256);
	return out;
}

static const char *redact_cap(const char *q, size_t cap)
{
	run(redact_query, q, strlen(q), cap);
	return out;
}

static int secret(const char *name)
{
	size_t len = strlen(name);
	char *buf = malloc(len ? len : 1);
	int r;

	memcpy(buf, name, len);
	r = redact_header_is_secret(buf, len);
	free(buf);
	return r;
}

static void test_route_ids(void)
{
	CHECK_STR(route("/api/activities/42"), "/api/activities/{id}");
	CHECK_INT(run(route_infer, "/api/activities/42", 18, 256), 20);
	CHECK_STR(route("/orders/42/items/7"), "/orders/{id}/items/{id}");
	CHECK_STR(route("/0"), "/{id}");
	CHECK_STR(route("/users/123456789012345678901234567890"), "/users/{id}");
	/* UUIDs in either case. */
	CHECK_STR(route("/things/123e4567-e89b-12d3-a456-426614174000"), "/things/{id}");
	CHECK_STR(route("/things/123E4567-E89B-12D3-A456-426614174000/parts"),
		  "/things/{id}/parts");
	/* Hex of 16 or more characters. */
	CHECK_STR(route("/blobs/d41d8cd98f00b204e9800998ecf8427e"), "/blobs/{id}");
	CHECK_STR(route("/blobs/D41D8CD98F00B204E9800998ECF8427E"), "/blobs/{id}");
	CHECK_STR(route("/blobs/507f1f77bcf86cd7"), "/blobs/{id}");
	CHECK_STR(route("/blobs/abcdefabcdefabcd"), "/blobs/{id}");
	CHECK_STR(route("/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709"), "/commits/{id}");
}

static void test_route_kept(void)
{
	CHECK_STR(route("/v1/users/abc"), "/v1/users/abc");
	CHECK_STR(route("/api/v2/health"), "/api/v2/health");
	CHECK_STR(route("/users/me"), "/users/me");
	/* Short hex is often a word. */
	CHECK_STR(route("/cafe/add/feed"), "/cafe/add/feed");
	CHECK_STR(route("/blobs/507f1f77bcf86cd"), "/blobs/507f1f77bcf86cd");
	/* Not quite numbers, hex or UUIDs. */
	CHECK_STR(route("/users/-1"), "/users/-1");
	CHECK_STR(route("/users/1.5"), "/users/1.5");
	CHECK_STR(route("/users/42abc"), "/users/42abc");
	CHECK_STR(route("/blobs/d41d8cd98f00b204e9800998ecf8427g"),
		  "/blobs/d41d8cd98f00b204e9800998ecf8427g");
	CHECK_STR(route("/t/123e4567e-89b-12d3-a456-426614174000"),
		  "/t/123e4567e-89b-12d3-a456-426614174000");
	CHECK_STR(route("/t/123e4567-e89b-12d3-a456-42661417400"),
		  "/t/123e4567-e89b-12d3-a456-42661417400");
	CHECK_STR(route("/t/123e4567-e89b-12d3-a456-4266141740000"),
		  "/t/123e4567-e89b-12d3-a456-4266141740000");
	CHECK_STR(route("/t/123e4567-e89b-12d3-a456-42661417400z"),
		  "/t/123e4567-e89b-12d3-a456-42661417400z");
	/* Percent-encoded segments are not decoded. */
	CHECK_STR(route("/files/%20name/12"), "/files/%20name/{id}");
	CHECK_STR(route("/files/%31%32"), "/files/%31%32");
	CHECK_STR(route("/files/%41%42%43%44%45%46%47%48"), "/files/%41%42%43%44%45%46%47%48");
}

static void test_route_shape(void)
{
	CHECK_STR(route("/"), "/");
	CHECK_STR(route(""), "/");
	CHECK_STR(route("?a=1"), "/");
	CHECK_STR(route("#top"), "/");
	CHECK_STR(route("/?a=1"), "/");
	/* Trailing and repeated slashes are kept. */
	CHECK_STR(route("/api/users/42/"), "/api/users/{id}/");
	CHECK_STR(route("/api/users/"), "/api/users/");
	CHECK_STR(route("//a//42//"), "//a//{id}//");
	/* The query and fragment are not part of the route, even when they hold slashes. */
	CHECK_STR(route("/api/users/42?x=1"), "/api/users/{id}");
	CHECK_STR(route("/search?q=/users/42"), "/search");
	CHECK_STR(route("/api/users/42/?x"), "/api/users/{id}/");
	CHECK_STR(route("/a/7#x/9"), "/a/{id}");
	CHECK_STR(route("/a/b?"), "/a/b");
	/* Relative paths are templated the same way. */
	CHECK_STR(route("api/42"), "api/{id}");
	CHECK_STR(route("42"), "{id}");
	/* len, not the NUL, ends the path. */
	CHECK_INT(run(route_infer, "/a/42xyz", 5, 256), 7);
	CHECK_STR(out, "/a/{id}");
	CHECK_INT(run(route_infer, "/a/4", 0, 256), 1);
	CHECK_STR(out, "/");
}

static void test_route_cap(void)
{
	const char *p = "/api/activities/42";

	CHECK_INT(run(route_infer, p, strlen(p), 0), 0);
	CHECK_INT(out[0], 'X');
	CHECK_INT(route_infer(p, strlen(p), NULL, 0), 0);
	CHECK_STR(route_cap(p, 1), "");
	CHECK_STR(route_cap(p, 2), "/");
	CHECK_STR(route_cap(p, 5), "/api");
	CHECK_STR(route_cap(p, 18), "/api/activities/{");
	CHECK_STR(route_cap(p, 20), "/api/activities/{id");
	CHECK_STR(route_cap(p, 21), "/api/activities/{id}");
	CHECK_STR(route_cap("", 1), "");
	CHECK_STR(route_cap("", 2), "/");
	CHECK_STR(route_cap("/a/b/c/d/e/f", 4), "/a/");
	/* Every cap from 1 to past the end gives a prefix of the full template. */
	for (size_t cap = 1; cap <= 24; cap++) {
		size_t n = run(route_infer, p, strlen(p), cap);

		CHECK_INT(n, cap - 1 < 20 ? cap - 1 : 20);
		CHECK(strncmp(out, "/api/activities/{id}", n) == 0);
	}
}

static void test_redact_query(void)
{
	CHECK_STR(redact("a=1&b=&c"), "a=REDACTED&b=REDACTED&c");
	CHECK_INT(run(redact_query, "a=1&b=&c", 8, 256), 23);
	CHECK_STR(redact("token=s3cr3t"), "token=REDACTED");
	CHECK_STR(redact("token=abc;x=1"), "token=REDACTED;x=REDACTED");
	CHECK_STR(redact("a=1;b=2&c=3"), "a=REDACTED;b=REDACTED&c=REDACTED");
	CHECK_STR(redact(""), "");
	CHECK_STR(redact("flag"), "flag");
	CHECK_STR(redact("a&b&c"), "a&b&c");
	CHECK_STR(redact("&&"), "&&");
	CHECK_STR(redact("a=1&&b=2"), "a=REDACTED&&b=REDACTED");
	CHECK_STR(redact("a=1&"), "a=REDACTED&");
	CHECK_STR(redact("&a=1"), "&a=REDACTED");
	CHECK_STR(redact("=v"), "=REDACTED");
	CHECK_STR(redact("="), "=REDACTED");
	/* Everything after the first '=' is the value. */
	CHECK_STR(redact("a=b=c&d==e"), "a=REDACTED&d=REDACTED");
	/* Encoded keys and values stay encoded or disappear, never decoded. */
	CHECK_STR(redact("a%3Db=1%262&c+d=x+y"), "a%3Db=REDACTED&c+d=REDACTED");
	/* A fragment the caller left on is part of the last value and goes with it. */
	CHECK_STR(redact("a=1#secret"), "a=REDACTED");
	/* The value must not survive anywhere in the output. */
	CHECK(strstr(redact("user=bob&password=hunter2&x=hunter2"), "hunter2") == NULL);
	CHECK(strstr(redact("password=hunter2;bob"), "hunter2") == NULL);
	/* len, not the NUL, ends the query. */
	CHECK_INT(run(redact_query, "a=1&b=2", 3, 256), 10);
	CHECK_STR(out, "a=REDACTED");
	CHECK_INT(run(redact_query, "a=1&b=2", 1, 256), 1);
	CHECK_STR(out, "a");
}

static void test_redact_cap(void)
{
	const char *q = "a=1&b=2";

	CHECK_INT(run(redact_query, q, strlen(q), 0), 0);
	CHECK_INT(out[0], 'X');
	CHECK_INT(redact_query(q, strlen(q), NULL, 0), 0);
	CHECK_STR(redact_cap(q, 1), "");
	CHECK_STR(redact_cap(q, 2), "a");
	CHECK_STR(redact_cap(q, 4), "a=R");
	CHECK_STR(redact_cap(q, 12), "a=REDACTED&");
	CHECK_STR(redact_cap(q, 13), "a=REDACTED&b");
	CHECK_STR(redact_cap(q, 22), "a=REDACTED&b=REDACTED");
	CHECK_STR(redact_cap(q, 23), "a=REDACTED&b=REDACTED");
	/* A cut never lets a raw value through. */
	for (size_t cap = 1; cap <= 24; cap++) {
		size_t n = run(redact_query, "k=SECRETVALUE", 13, cap);

		CHECK_INT(n, cap - 1 < 10 ? cap - 1 : 10);
		CHECK(strncmp(out, "k=REDACTED", n) == 0);
		CHECK(strstr(out, "SECRET") == NULL);
	}
}

static void test_secret_headers(void)
{
	CHECK_INT(secret("Authorization"), 1);
	CHECK_INT(secret("authorization"), 1);
	CHECK_INT(secret("AUTHORIZATION"), 1);
	CHECK_INT(secret("Proxy-Authorization"), 1);
	CHECK_INT(secret("proxy-authorization"), 1);
	CHECK_INT(secret("Cookie"), 1);
	CHECK_INT(secret("cOOKIE"), 1);
	CHECK_INT(secret("Set-Cookie"), 1);
	CHECK_INT(secret("set-cookie"), 1);
	CHECK_INT(secret("X-Api-Key"), 1);
	CHECK_INT(secret("X-API-KEY"), 1);
	CHECK_INT(secret("x-api-key"), 1);
	CHECK_INT(secret("X-Amz-Security-Token"), 1);
	CHECK_INT(secret("x-amz-security-token"), 1);

	/* Exact names only: no prefixes, suffixes or look-alikes. */
	CHECK_INT(secret(""), 0);
	CHECK_INT(secret("Authorizatio"), 0);
	CHECK_INT(secret("Authorization2"), 0);
	CHECK_INT(secret(" Authorization"), 0);
	CHECK_INT(secret("Cookies"), 0);
	CHECK_INT(secret("Cooki"), 0);
	CHECK_INT(secret("Set-Cookie2"), 0);
	CHECK_INT(secret("X_Api_Key"), 0);
	CHECK_INT(secret("X-Api-Keys"), 0);
	CHECK_INT(secret("X-Amz-Date"), 0);
	CHECK_INT(secret("X-Amz-Security-Toke"), 0);
	CHECK_INT(secret("Content-Type"), 0);
	CHECK_INT(secret("User-Agent"), 0);
	CHECK_INT(secret("Host"), 0);
	/* Folding touches letters only: a sloppy "c | 0x20" would turn '\r' into '-'. */
	CHECK_INT(secret("X\rApi\rKey"), 0);
	CHECK_INT(secret("Set\rCookie"), 0);
	CHECK_INT(secret("Cook\xc9" "e"), 0);
	CHECK_INT(redact_header_is_secret(NULL, 0), 0);

	/* The name is a slice of a header line, not a C string. */
	{
		const char *line = "Cookie: session=abc";

		CHECK_INT(redact_header_is_secret(line, 6), 1);
		CHECK_INT(redact_header_is_secret(line, 5), 0);
		CHECK_INT(redact_header_is_secret(line, 7), 0);
	}
}

int main(void)
{
	test_route_ids();
	test_route_kept();
	test_route_shape();
	test_route_cap();
	test_redact_query();
	test_redact_cap();
	test_secret_headers();
	return check_summary("route");
}
