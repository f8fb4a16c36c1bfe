// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for redaction: built-in secret shapes, configured headers, query allow-list,
 * user patterns, and spans and log records as exporters would get them. */
#include <stdlib.h>

#include "check.h"
#include "events.h"
#include "span/redact.h"

static char buf[256];

static const char *red(const char *s)
{
	snprintf(buf, sizeof(buf), "%s", s);
	redact_text(buf, sizeof(buf));
	return buf;
}

static void test_builtin(void)
{
	redact_init(NULL);
	CHECK_STR(red("/keys/AKIAIOSFODNN7EXAMPLE/rotate"), "/keys/REDACTED/rotate");
	CHECK_STR(red("temporary ASIAY34FZKBOKMUTVV7A used"), "temporary REDACTED used");
	CHECK_STR(red("AKIA-not-a-key"), "AKIA-not-a-key");
	CHECK_STR(red("Authorization: Bearer abc.def-ghi"), "Authorization: Bearer REDACTED");
	CHECK_STR(red("basic dXNlcjpwYXNz"), "basic REDACTED");
	CHECK_STR(red("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature"), "jwt REDACTED");
	CHECK_STR(red("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
		  "aws_secret_access_key=REDACTED");
	CHECK_STR(red("login failed: password='hunter2', user=bob"),
		  "login failed: password='REDACTED', user=bob");
	CHECK_STR(red("{\"api_key\": \"k-123\", \"n\": 1}"), "{\"api_key\": \"REDACTED\", \"n\": 1}");
	CHECK_STR(red("X-Amz-Security-Token: FwoGZXIvYXdzEB"), "X-Amz-Security-Token: REDACTED");
	CHECK_STR(red("SESSION_TOKEN=a1 and secret=b2"), "SESSION_TOKEN=REDACTED and secret=REDACTED");
	/* Nothing secret: untouched, no count. */
	CHECK_STR(red("GET /api/activities/42 took 12 ms"), "GET /api/activities/42 took 12 ms");
	CHECK_INT(redact_text(buf, sizeof(buf)), 0);
	CHECK_INT(redact_text(NULL, 10), 0);
	/* Growing past the buffer cuts the text, never the buffer. */
	{
		char small[12];

		strcpy(small, "x=1 AKIAIO");
		CHECK_INT(redact_text(small, sizeof(small)), 0); /* too short for a key id */
		strcpy(small, "token=abcd");
		CHECK_INT(redact_text(small, sizeof(small)), 1);
		CHECK_STR(small, "token=REDAC");
	}
}

static void test_configured(void)
{
	struct redact_cfg c;
	char q[128];

	memset(&c, 0, sizeof(c));
	c.headers[c.nheaders++] = "X-Session";
	c.query_allow[c.nquery_allow++] = "page";
	c.query_allow[c.nquery_allow++] = "limit";
	c.patterns[c.npatterns++] = "acct-[0-9]+";
	c.patterns[c.npatterns++] = "ssn=([0-9-]+)";
	CHECK_INT(redact_init(&c), 0);

	CHECK_INT(redact_header_is_secret("x-session", 9), 1);
	CHECK_INT(redact_header_is_secret("X-SESSION", 9), 1);
	CHECK_INT(redact_header_is_secret("X-Sessions", 10), 0);
	CHECK_INT(redact_header_is_secret("Cookie", 6), 1);
	CHECK_INT(redact_header_is_secret("Set-Cookie", 10), 1);
	CHECK_INT(redact_header_is_secret("X-Api-Key", 9), 1);
	CHECK_INT(redact_header_is_secret("Authorization", 13), 1);
	CHECK_INT(redact_header_is_secret("Host", 4), 0);

	redact_query("page=2&token=abc&limit=10&pages=3", 33, q, sizeof(q));
	CHECK_STR(q, "page=2&token=REDACTED&limit=10&pages=REDACTED");
	redact_query("Page=2", 6, q, sizeof(q)); /* keys are case-sensitive, as frameworks read them */
	CHECK_STR(q, "Page=REDACTED");

	CHECK_STR(red("/accounts/acct-12345/orders"), "/accounts/REDACTED/orders");
	CHECK_STR(red("bad ssn=123-45-6789 given"), "bad ssn=REDACTED given");
	CHECK_STR(red("acct-1 acct-2"), "REDACTED REDACTED");

	redact_init(NULL);
	CHECK_INT(redact_header_is_secret("x-session", 9), 0);
	redact_query("page=2", 6, q, sizeof(q));
	CHECK_STR(q, "page=REDACTED");
}

static void test_check_pattern(void)
{
	char err[128];

	CHECK_INT(redact_check_pattern("a+b", err, sizeof(err)), 0);
	CHECK_INT(redact_check_pattern("(", err, sizeof(err)), -1);
	CHECK_STR(err, "Unmatched ( or \\(");
	CHECK_INT(redact_check_pattern("[a-", err, sizeof(err)), -1);
}

/* What an exporter gets: secrets gone from every field, exception messages included. */
static struct span seen;
/* The service's own log lines, in the formats Python web stacks write by default: names and
 * words that merely contain "secret", "token" or "password" stay; credentials go. */
static void test_log_formats(void)
{
	static const char *const kept[] = {
		/* logging.basicConfig: LEVEL:name:message */
		"WARNING:secrets_app:upstream call failed: timeout after 5.0 s",
		"INFO:token:refreshed in 12 ms",
		"INFO:auth.tokens:cache warm",
		/* Flask's default handler: [time] LEVEL in module: message */
		"[2026-12-04 18:00:00,123] WARNING in secrets_app: upstream call failed",
		"[2026-12-04 18:00:00,123] ERROR in password_reset: mail server refused",
		/* gunicorn's error log and access log */
		"[2026-12-04 18:00:00 +0000] [4242] [INFO] Booting worker with pid: 4243",
		"127.0.0.1 - - [04/Dec/2026:18:00:00 +0000] \"GET /api/tokens?page=2 HTTP/1.1\" 200 "
		"512 \"-\" \"curl/7.88.1\"",
		/* Django's runserver and its default logging */
		"[04/Dec/2026 18:00:00] \"GET /accounts/password_reset/ HTTP/1.1\" 200 3147",
		"ERROR 2026-12-04 18:00:00,123 log 4242 140 Internal Server Error: /api/secret-santa/",
		/* uvicorn */
		"INFO:     127.0.0.1:54321 - \"GET /token_usage HTTP/1.1\" 200 OK",
		"INFO:     Started server process [4242]",
		/* ordinary words and counters */
		"token_count=5 tokens: 512 used, secretary: Jane, password_hash_algo=argon2",
		"using basic authentication; the bearer of bad news",
	};
	static const struct {
		const char *in, *out;
	} redacted[] = {
		{ "WARNING:auth:login failed password=hunter2 user=bob",
		  "WARNING:auth:login failed password=REDACTED user=bob" },
		{ "[2026-12-04 18:00:00,123] ERROR in views: bad config {\"client_secret\": \"s3cr3t\"}",
		  "[2026-12-04 18:00:00,123] ERROR in views: bad config {\"client_secret\": "
		  "\"REDACTED\"}" },
		{ "127.0.0.1 - - [04/Dec/2026:18:00:00 +0000] \"GET /reset?token=abc123 HTTP/1.1\" 200 "
		  "12 \"-\" \"curl/7.88.1\"",
		  "127.0.0.1 - - [04/Dec/2026:18:00:00 +0000] \"GET /reset?token=REDACTED HTTP/1.1\" "
		  "200 12 \"-\" \"curl/7.88.1\"" },
		{ "INFO:     connecting to postgres://app:pa55w0rd@db:5432/app",
		  "INFO:     connecting to postgres://REDACTED@db:5432/app" },
		{ "DEBUG:urllib3.connectionpool:https://api.example.com:443 \"GET /v1/x?api_key=k9 "
		  "HTTP/1.1\" 200 2",
		  "DEBUG:urllib3.connectionpool:https://api.example.com:443 \"GET /v1/x?api_key=REDACTED "
		  "HTTP/1.1\" 200 2" },
		{ "ERROR 2026-12-04 18:00:00,123 views 1 2 DB_PASSWORD: 'x9y8' rejected",
		  "ERROR 2026-12-04 18:00:00,123 views 1 2 DB_PASSWORD: 'REDACTED' rejected" },
		{ "WARNING in client: {'aws_secret_access_key': 'wJalr/K7MDENG'}",
		  "WARNING in client: {'aws_secret_access_key': 'REDACTED'}" },
		{ "sent Authorization: Basic dXNlcjpwYXNz", "sent Authorization: Basic REDACTED" },
		{ "http://user:PASSWORD@host:4318/v1/traces", "http://REDACTED@host:4318/v1/traces" },
	};

	redact_init(NULL);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		CHECK_STR(red(kept[i]), kept[i]);
	for (size_t i = 0; i < sizeof(redacted) / sizeof(redacted[0]); i++)
		CHECK_STR(red(redacted[i].in), redacted[i].out);
}

static char seen_msg[PYTB_MESSAGE_MAX];
static char seen_log[512];

static void grab_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	seen = *s;
	snprintf(seen_msg, sizeof(seen_msg), "%s",
		 s->exception ? s->exception->chain[0].message : "");
}

static void grab_log(struct exporter *ex, const struct log_record *r)
{
	snprintf(seen_log, sizeof(seen_log), "%.*s", (int)r->len, r->text);
}

static void test_exported(void)
{
	static struct exporter ex = { .name = "grab", .span = grab_span, .log = grab_log,
				      .close = record_close };
	struct pytb_report *rep = calloc(1, sizeof(*rep));
	struct span s;
	struct log_record lr = { 0 };
	const char *line = "ERROR login for bob with password=hunter2 key AKIAIOSFODNN7EXAMPLE";

	redact_init(NULL);
	export_register(&ex);
	memset(&s, 0, sizeof(s));
	s.status = 500;
	strcpy(s.path, "/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln");
	strcpy(s.user_agent, "bot token=zzz");
	strcpy(s.error_message, "auth failed for Bearer abc123");
	rep->nchain = 1;
	strcpy(rep->chain[0].type, "ValueError");
	strcpy(rep->chain[0].message, "bad secret_key=s3cr3t for AKIAIOSFODNN7EXAMPLE");
	s.exception = rep;
	export_span(&s);
	CHECK_STR(seen.path, "/reset/REDACTED");
	CHECK_STR(seen.user_agent, "bot token=REDACTED");
	CHECK_STR(seen.error_message, "auth failed for Bearer REDACTED");
	CHECK_STR(seen_msg, "bad secret_key=REDACTED for REDACTED");
	CHECK_INT(seen.sample_rate, 1);

	lr.text = line;
	lr.len = strlen(line);
	export_log(&lr);
	CHECK_STR(seen_log, "ERROR login for bob with password=REDACTED key REDACTED");
	CHECK(strstr(line, "hunter2") != NULL); /* the caller's text is not changed */
	export_close_all();
	free(rep);
}

int main(void)
{
	test_builtin();
	test_log_formats();
	test_configured();
	test_check_pattern();
	test_exported();
	redact_fini();
	return check_summary("redact");
}
