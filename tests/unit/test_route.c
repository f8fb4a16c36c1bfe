// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for route.c (route templates) and redact.c (query values, secret headers). */
#include "check.h"
#include "span/redact.h"
#include "lib/path_token.h"
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

/* Secrets in paths become {token}; ids stay {id}; slugs, words and names stay as they are. */
static void test_route_tokens(void)
{
	static const struct {
		const char *path, *route, *redacted;
	} cases[] = {
		/* a 40-character base64url reset token, mixed case */
		{ "/reset/Zx9QmT3vK8pLw2RbN7cYf4HdJ6sAe1Gu5oViXqE0", "/reset/{token}",
		  "/reset/REDACTED" },
		/* Django's password reset: uidb64, then "<timestamp36>-<hash>" */
		{ "/reset/MQ/bw9xyz-3b1f0f9b6c2e7d8a4f5e6a7b8c9d0e1f/", "/reset/MQ/{token}/",
		  "/reset/MQ/REDACTED/" },
		/* a JWT as a path segment */
		{ "/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_X",
		  "/verify/{token}", "/verify/REDACTED" },
		/* API keys: Stripe-like and GitHub-like */
		{ "/hooks/sk_live_51HqJx2eZvKYlo2C1x8b4J9kQ", "/hooks/{token}", "/hooks/REDACTED" },
		{ "/t/ghp_16C7e42F292c6912E7710c838347Ae178B4a/x", "/t/{token}/x", "/t/REDACTED/x" },
		/* itsdangerous (Flask): base64 payload and signature, no digits needed */
		{ "/confirm/ImJvYkBleGFtcGxlLmNvbSI.ZxQpTg.kLmNoPqRsTuVwXyZaBcDeFgHiJk", "/confirm/{token}",
		  "/confirm/REDACTED" },
		/* a sha256-sized hex secret */
		{ "/invite/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		  "/invite/{token}", "/invite/REDACTED" },
		/* ids stay ids, in the path too */
		{ "/traces/4bf92f3577b34da6a3ce929d0e0e4736", "/traces/{id}",
		  "/traces/4bf92f3577b34da6a3ce929d0e0e4736" },
		{ "/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709", "/commits/{id}",
		  "/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "/orders/123e4567-e89b-12d3-a456-426614174000", "/orders/{id}",
		  "/orders/123e4567-e89b-12d3-a456-426614174000" },
		{ "/users/42", "/users/{id}", "/users/42" },
		/* slugs, words, CamelCase names, short codes: not secrets */
		{ "/blog/my-first-blog-post-2024", "/blog/my-first-blog-post-2024",
		  "/blog/my-first-blog-post-2024" },
		{ "/docs/internationalization-guide", "/docs/internationalization-guide",
		  "/docs/internationalization-guide" },
		{ "/api/GetProductCategoryListForUser", "/api/GetProductCategoryListForUser",
		  "/api/GetProductCategoryListForUser" },
		{ "/products/iphone15promax256gb", "/products/iphone15promax256gb",
		  "/products/iphone15promax256gb" },
		{ "/static/app.3f2a1b.min.js", "/static/app.3f2a1b.min.js",
		  "/static/app.3f2a1b.min.js" },
		{ "/a/b/c", "/a/b/c", "/a/b/c" },
	};
	char path[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_STR(route(cases[i].path), cases[i].route);
		snprintf(path, sizeof(path), "%s", cases[i].path);
		path_redact_tokens(path, sizeof(path), "REDACTED");
		CHECK_STR(path, cases[i].redacted);
	}
	/* The query is not the path; a cut buffer stays a string. */
	snprintf(path, sizeof(path), "/r/Zx9QmT3vK8pLw2RbN7cYf4HdJ6sAe1Gu?t=Zx9QmT3vK8pLw2RbN7cYf4");
	CHECK_INT(path_redact_tokens(path, sizeof(path), "REDACTED"), 1);
	CHECK_STR(path, "/r/REDACTED?t=Zx9QmT3vK8pLw2RbN7cYf4");
	/* A path filling its buffer: the replacement is shorter, the tail follows it. */
	{
		char exact[32] = "/Zx9QmT3vK8pLw2RbN7cYf4HdJ/tail";

		CHECK_INT(path_redact_tokens(exact, sizeof(exact), "REDACTED"), 1);
		CHECK_STR(exact, "/REDACTED/tail");
		CHECK_INT(path_redact_tokens(exact, 0, "REDACTED"), 0);
	}
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
	/* Not hex, but 33 letters and digits in random order: a token (see test_route_tokens). */
	CHECK_STR(route("/blobs/d41d8cd98f00b204e9800998ecf8427g"), "/blobs/{token}");
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
	test_route_tokens();
	test_route_kept();
	test_route_shape();
	test_route_cap();
	test_redact_query();
	test_redact_cap();
	test_secret_headers();
	return check_summary("route");
}
