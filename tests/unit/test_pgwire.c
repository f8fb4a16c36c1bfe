// SPDX-License-Identifier: BSD-2-Clause
/* PostgreSQL wire parser on recorded psycopg2 and extended-protocol connections: whole, byte by
 * byte, cut at every byte, every truncated prefix, then hand-built edge cases and garbage. */
#include "check.h"
#include "proto/pgwire.h"
#include "wire.h"

#include <stdint.h>
#include <stdlib.h>

#define FIXTURE_DIR "tests/unit/fixtures/pgwire/"

struct calls {
	struct pg_call *v;
	size_t n;
};

static void collect(void *arg, const struct pg_call *c)
{
	struct calls *cs = arg;

	cs->v = realloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
	cs->v[cs->n++] = *c;
}

static int feed(void *arg, char dir, const uint8_t *p, size_t n, uint64_t ts)
{
	return dir == '>' ? pg_feed_frontend(arg, p, n, ts) : pg_feed_backend(arg, p, n, ts);
}

static int call_eq(const struct pg_call *a, const struct pg_call *b)
{
	return !strcmp(a->operation, b->operation) && !strcmp(a->query, b->query) &&
	       !strcmp(a->command_tag, b->command_tag) && a->is_error == b->is_error &&
	       !strcmp(a->sqlstate, b->sqlstate) && !strcmp(a->message, b->message) &&
	       a->request_bytes == b->request_bytes && a->response_bytes == b->response_bytes &&
	       a->start_ns == b->start_ns && a->end_ns == b->end_ns;
}

/* Runs a recording one way; the calls in *out, the feed result returned. */
static int run(const struct wire *w, enum wire_mode mode, size_t at, struct calls *out)
{
	struct pg_conn *c = pg_conn_new(collect, out);
	int rc;

	out->n = 0;
	rc = wire_run(w, mode, at, feed, c);
	pg_conn_free(c);
	return rc;
}

struct want {
	const char *op, *query, *tag;
	int is_error;
	const char *sqlstate, *message;
	uint64_t req, resp, start, end;
};

static void check_want(const char *name, const struct calls *got, const struct want *w, size_t n)
{
	CHECK_INT(got->n, n);
	for (size_t i = 0; i < n && i < got->n; i++) {
		const struct pg_call *g = &got->v[i];

		if (strcmp(g->query, w[i].query))
			fprintf(stderr, "  %s call %zu\n", name, i);
		CHECK_STR(g->operation, w[i].op);
		CHECK_STR(g->query, w[i].query);
		CHECK_STR(g->command_tag, w[i].tag);
		CHECK_INT(g->is_error, w[i].is_error);
		CHECK_STR(g->sqlstate, w[i].sqlstate);
		CHECK_STR(g->message, w[i].message);
		CHECK_INT(g->request_bytes, w[i].req);
		CHECK_INT(g->response_bytes, w[i].resp);
		CHECK_INT(g->start_ns, w[i].start);
		CHECK_INT(g->end_ns, w[i].end);
	}
}

/* The same calls, however the bytes are cut: byte by byte, split at every byte. Every truncated
 * prefix gives a prefix of the calls and never an error. One CHECK per property. */
static void check_chunkings(const char *name, const struct wire *w, const struct calls *full)
{
	struct calls got = { 0 };
	size_t bad_split = 0, bad_prefix = 0, rc_fail = 0;

	CHECK_INT(run(w, WIRE_BYTES, 0, &got), 0);
	CHECK_INT(got.n, full->n);
	for (size_t i = 0; i < got.n && i < full->n; i++)
		CHECK(call_eq(&got.v[i], &full->v[i]));

	for (size_t at = 1; at < w->total; at++) {
		int ok = run(w, WIRE_SPLIT, at, &got) == 0 && got.n == full->n;

		for (size_t i = 0; ok && i < got.n; i++)
			ok = call_eq(&got.v[i], &full->v[i]);
		if (!ok && bad_split++ == 0)
			fprintf(stderr, "  %s: split at %zu differs\n", name, at);
	}
	CHECK_INT(bad_split, 0);

	for (size_t at = 0; at <= w->total; at++) {
		int ok;

		if (run(w, WIRE_PREFIX, at, &got) != 0)
			rc_fail++;
		ok = got.n <= full->n;
		for (size_t i = 0; ok && i < got.n; i++)
			ok = call_eq(&got.v[i], &full->v[i]);
		if (!ok && bad_prefix++ == 0)
			fprintf(stderr, "  %s: prefix %zu gives calls the whole does not\n", name, at);
	}
	CHECK_INT(bad_prefix, 0);
	CHECK_INT(rc_fail, 0);
	free(got.v);
}

static void check_fixture(const char *file, const struct want *want, size_t n, const char *user,
			  const char *db)
{
	char path[256];
	struct wire w;
	struct calls full = { 0 };
	struct pg_conn *c;

	snprintf(path, sizeof(path), FIXTURE_DIR "%s", file);
	w = wire_load(path);
	c = pg_conn_new(collect, &full);
	CHECK_INT(pg_conn_is_pg(c), 0);
	CHECK_INT(wire_run(&w, WIRE_WHOLE, 0, feed, c), 0);
	CHECK_INT(pg_conn_is_pg(c), 1);
	CHECK_STR(pg_conn_user(c), user);
	CHECK_STR(pg_conn_database(c), db);
	pg_conn_free(c);
	check_want(file, &full, want, n);
	check_chunkings(file, &w, &full);
	/* The client's first chunk is what a sniffer sees. */
	CHECK_INT(pg_sniff(w.c[0].p, w.c[0].n), 1);
	free(full.v);
	wire_free(&w);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* psycopg2 (libpq, sslmode=prefer): SSLRequest answered 'N', startup, SCRAM, simple queries. */
static const struct want simple[] = {
	{ "BEGIN", "BEGIN", "BEGIN", 0, "", "", 11, 17, 9000, 10000 },
	{ "CREATE", "CREATE TABLE items (id serial PRIMARY KEY, name text, price numeric)",
	  "CREATE TABLE", 0, "", "", 74, 24, 11000, 12000 },
	{ "INSERT", "INSERT INTO items (name, price) VALUES (?, ?), (?, ?)", "INSERT 0 2", 0, "", "",
	  78, 22, 13000, 14000 },
	{ "SELECT", "SELECT id, name FROM items WHERE price > ? ORDER BY id", "SELECT 2", 0, "", "",
	  60, 115, 15000, 16000 },
	{ "COMMIT", "COMMIT", "COMMIT", 0, "", "", 12, 18, 17000, 18000 },
};

/* A failing query, the rollback, and a two-statement string (one call, the first tag). */
static const struct want error[] = {
	{ "BEGIN", "BEGIN", "BEGIN", 0, "", "", 11, 17, 9000, 10000 },
	{ "SELECT", "SELECT * FROM no_such_table WHERE id = ?", "", 1, "42P01",
	  "relation \"no_such_table\" does not exist", 47, 119, 11000, 12000 },
	{ "ROLLBACK", "ROLLBACK", "ROLLBACK", 0, "", "", 14, 20, 13000, 14000 },
	{ "BEGIN", "BEGIN", "BEGIN", 0, "", "", 11, 17, 15000, 16000 },
	{ "SELECT", "SELECT ?; SELECT ?", "SELECT 1", 0, "", "", 24, 126, 17000, 18000 },
	{ "COMMIT", "COMMIT", "COMMIT", 0, "", "", 12, 18, 19000, 20000 },
};

/* COPY FROM STDIN (the client's CopyData/CopyDone count as its request) and COPY TO STDOUT. */
static const struct want copy[] = {
	{ "COPY", "COPY items (name, price) FROM STDIN", "COPY 2", 0, "", "", 64, 30, 9000, 12000 },
	{ "COPY", "COPY items TO STDOUT", "COPY 4", 0, "", "", 26, 99, 13000, 14000 },
};

/* The extended protocol against the real server: a named statement executed alone and twice in
 * one pipelined batch, the unnamed statement with Describe, a batch whose first Execute fails
 * (the second is skipped by the server: no call), a row-limited Execute (PortalSuspended) and
 * its continuation, an empty query, and Parse+Describe+Sync with no Execute (no call). */
static const struct want extended[] = {
	{ "CREATE", "CREATE TEMP TABLE t1 (id int, name text)", "CREATE TABLE", 0, "", "", 46, 24,
	  3000, 4000 },
	{ "INSERT", "INSERT INTO t1 VALUES ($1, $2)", "INSERT 0 1", 0, "", "", 85, 21, 5000, 8000 },
	{ "INSERT", "INSERT INTO t1 VALUES ($1, $2)", "INSERT 0 1", 0, "", "", 35, 21, 9000, 10000 },
	{ "INSERT", "INSERT INTO t1 VALUES ($1, $2)", "INSERT 0 1", 0, "", "", 45, 21, 9000, 10000 },
	{ "SELECT", "SELECT id, name FROM t1 WHERE id > $1 ORDER BY id", "SELECT 3", 0, "", "", 98,
	  131, 11000, 12000 },
	{ "SELECT", "SELECT ?/?", "", 1, "22012", "division by zero", 42, 71, 13000, 14000 },
	{ "SELECT", "SELECT id FROM t1", "", 0, "", "", 55, 27, 16000, 17000 },
	{ "SELECT", "SELECT id FROM t1", "SELECT 2", 0, "", "", 18, 38, 16000, 17000 },
	{ "", "", "", 0, "", "", 37, 15, 18000, 19000 },
};

static void test_fixtures(void)
{
	check_fixture("psycopg2_simple.txt", simple, N(simple), "app", "shop");
	check_fixture("psycopg2_error.txt", error, N(error), "app", "shop");
	check_fixture("psycopg2_copy.txt", copy, N(copy), "app", "shop");
	check_fixture("extended_batch.txt", extended, N(extended), "raw", "shop");
}

/* ---- hand-built streams ------------------------------------------------------------------ */

struct buf {
	uint8_t p[1 << 16];
	size_t n;
};

static void put32(struct buf *b, uint32_t v)
{
	b->p[b->n++] = v >> 24;
	b->p[b->n++] = v >> 16;
	b->p[b->n++] = v >> 8;
	b->p[b->n++] = v;
}

static void msg(struct buf *b, char type, const void *body, size_t len)
{
	b->p[b->n++] = (uint8_t)type;
	put32(b, (uint32_t)len + 4);
	memcpy(b->p + b->n, body, len);
	b->n += len;
}

/* Messages whose bodies are NUL-separated strings: "name\0query\0" written as a C literal with
 * an explicit length. */
#define MSG(b, type, lit) msg(b, type, lit, sizeof(lit) - 1)

static void startup(struct buf *b)
{
	static const char params[] = "user\0bob\0application_name\0x\0";

	put32(b, 8 + sizeof(params));
	put32(b, 196608);
	memcpy(b->p + b->n, params, sizeof(params)); /* the final NUL ends the list */
	b->n += sizeof(params);
}

static void ready(struct buf *b)
{
	MSG(b, 'Z', "I");
}

/* A connection after startup and AuthenticationOk/ReadyForQuery. */
static struct pg_conn *connected(struct calls *cs)
{
	struct pg_conn *c = pg_conn_new(collect, cs);
	struct buf fe = { .n = 0 }, be = { .n = 0 };

	startup(&fe);
	msg(&be, 'R', "\0\0\0\0", 4);
	ready(&be);
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 1), 0);
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 2), 0);
	return c;
}

static void test_startup_variants(void)
{
	struct calls cs = { 0 };
	struct pg_conn *c;
	struct buf b = { .n = 0 };
	uint8_t answer;

	/* No database parameter: the server uses the user name. */
	c = connected(&cs);
	CHECK_STR(pg_conn_user(c), "bob");
	CHECK_STR(pg_conn_database(c), "bob");
	CHECK_INT(pg_conn_is_pg(c), 1);
	pg_conn_free(c);

	/* GSSENCRequest refused, SSLRequest refused, then startup. */
	c = pg_conn_new(collect, &cs);
	put32(&b, 8);
	put32(&b, 80877104);
	CHECK_INT(pg_sniff(b.p, b.n), 1);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 1), 0);
	answer = 'N';
	CHECK_INT(pg_feed_backend(c, &answer, 1, 2), 0);
	b.n = 0;
	put32(&b, 8);
	put32(&b, 80877103);
	CHECK_INT(pg_sniff(b.p, b.n), 1);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 3), 0);
	CHECK_INT(pg_feed_backend(c, &answer, 1, 4), 0);
	b.n = 0;
	startup(&b);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 5), 0);
	CHECK_STR(pg_conn_user(c), "bob");
	pg_conn_free(c);

	/* 'S': TLS follows, nothing more can be read. */
	c = pg_conn_new(collect, &cs);
	b.n = 0;
	put32(&b, 8);
	put32(&b, 80877103);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 1), 0);
	answer = 'S';
	CHECK_INT(pg_feed_backend(c, &answer, 1, 2), -1);
	CHECK_INT(pg_feed_frontend(c, (const uint8_t *)"\x16\x03\x01", 3, 3), -1);
	pg_conn_free(c);

	/* 'G': GSSAPI encryption follows. */
	c = pg_conn_new(collect, &cs);
	b.n = 0;
	put32(&b, 8);
	put32(&b, 80877104);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 1), 0);
	answer = 'G';
	CHECK_INT(pg_feed_backend(c, &answer, 1, 2), -1);
	pg_conn_free(c);

	/* A CancelRequest connection: PostgreSQL, no calls, nothing after it. */
	c = pg_conn_new(collect, &cs);
	b.n = 0;
	put32(&b, 16);
	put32(&b, 80877102);
	put32(&b, 1234);
	put32(&b, 5678);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 1), 0);
	CHECK_INT(pg_conn_is_pg(c), 1);
	CHECK_INT(pg_feed_frontend(c, b.p, 1, 2), -1);
	pg_conn_free(c);

	/* A FATAL error instead of authentication: no call. */
	c = pg_conn_new(collect, &cs);
	b.n = 0;
	startup(&b);
	CHECK_INT(pg_feed_frontend(c, b.p, b.n, 1), 0);
	b.n = 0;
	MSG(&b, 'E', "SFATAL\0C28P01\0Mpassword authentication failed\0\0");
	CHECK_INT(pg_feed_backend(c, b.p, b.n, 2), 0);
	pg_conn_free(c);
	CHECK_INT(cs.n, 0);
	free(cs.v);
}

/* Pipelined extended batches built by hand, for the cases the recording does not have. */
static void test_extended_edges(void)
{
	struct calls cs = { 0 };
	struct pg_conn *c = connected(&cs);
	struct buf fe = { .n = 0 }, be = { .n = 0 };

	/* A Parse that fails with no Execute after it: reported for its own statement. */
	MSG(&fe, 'P', "bad\0SELEC 1\0\0\0");
	MSG(&fe, 'S', "");
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 10), 0);
	MSG(&be, 'E', "SERROR\0C42601\0Msyntax error at or near \"SELEC\"\0\0");
	ready(&be);
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 11), 0);
	CHECK_INT(cs.n, 1);
	CHECK_STR(cs.v[0].operation, "SELEC");
	CHECK_STR(cs.v[0].query, "SELEC ?");
	CHECK_INT(cs.v[0].is_error, 1);
	CHECK_STR(cs.v[0].sqlstate, "42601");

	/* The error arrives before the client sent its Sync: what comes until the Sync is skipped
	 * by the server, so it is no call either. */
	cs.n = fe.n = be.n = 0;
	MSG(&fe, 'P', "\0SELECT 1/0\0\0\0");
	MSG(&fe, 'B', "\0\0\0\0\0\0\0\0");
	MSG(&fe, 'E', "\0\0\0\0\0");
	MSG(&fe, 'H', "");
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 20), 0);
	be.n = 0;
	MSG(&be, '1', "");
	MSG(&be, '2', "");
	MSG(&be, 'E', "SERROR\0C22012\0Mdivision by zero\0\0");
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 21), 0);
	CHECK_INT(cs.n, 1);
	CHECK_INT(cs.v[0].is_error, 1);
	CHECK_INT(cs.v[0].end_ns, 21);
	fe.n = 0;
	MSG(&fe, 'Q', "SELECT 'ignored'\0"); /* the server skips a Query too, until Sync */
	MSG(&fe, 'P', "\0SELECT 2\0\0\0");
	MSG(&fe, 'B', "\0\0\0\0\0\0\0\0");
	MSG(&fe, 'E', "\0\0\0\0\0");
	MSG(&fe, 'S', "");
	MSG(&fe, 'Q', "SELECT 3\0");
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 22), 0);
	be.n = 0;
	ready(&be);
	MSG(&be, 'C', "SELECT 1\0");
	ready(&be);
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 23), 0);
	CHECK_INT(cs.n, 2);
	CHECK_STR(cs.v[1].query, "SELECT ?");
	CHECK_STR(cs.v[1].command_tag, "SELECT 1");
	CHECK_INT(cs.v[1].start_ns, 22);

	/* Named statements are remembered per name; Close forgets one. */
	cs.n = fe.n = be.n = 0;
	MSG(&fe, 'P', "s1\0SELECT a FROM t WHERE b = 'x'\0\0\0");
	MSG(&fe, 'P', "s2\0DELETE FROM t\0\0\0");
	MSG(&fe, 'B', "\0s2\0\0\0\0\0\0\0");
	MSG(&fe, 'E', "\0\0\0\0\0");
	MSG(&fe, 'B', "p1\0s1\0\0\0\0\0\0\0");
	MSG(&fe, 'E', "p1\0\0\0\0\0");
	MSG(&fe, 'C', "Ss1\0");
	MSG(&fe, 'B', "\0s1\0\0\0\0\0\0\0");
	MSG(&fe, 'E', "\0\0\0\0\0");
	MSG(&fe, 'S', "");
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 30), 0);
	MSG(&be, '1', "");
	MSG(&be, '1', "");
	MSG(&be, '2', "");
	MSG(&be, 'C', "DELETE 4\0");
	MSG(&be, '2', "");
	MSG(&be, 'C', "SELECT 0\0");
	MSG(&be, '3', "");
	MSG(&be, 'E', "SERROR\0C26000\0Mprepared statement \"s1\" does not exist\0\0");
	ready(&be);
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 31), 0);
	CHECK_INT(cs.n, 3);
	if (cs.n == 3) {
		CHECK_STR(cs.v[0].query, "DELETE FROM t");
		CHECK_STR(cs.v[0].command_tag, "DELETE 4");
		CHECK_STR(cs.v[1].query, "SELECT a FROM t WHERE b = ?");
		CHECK_STR(cs.v[1].operation, "SELECT");
		/* The Bind of a closed statement: the client's Execute has nothing to name. */
		CHECK_STR(cs.v[2].query, "");
		CHECK_STR(cs.v[2].sqlstate, "26000");
	}

	/* A FunctionCall: a call without a statement. */
	cs.n = fe.n = be.n = 0;
	MSG(&fe, 'F', "\0\0\x04\x00\0\0\0\0");
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 40), 0);
	MSG(&be, 'V', "\0\0\0\x01x");
	ready(&be);
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 41), 0);
	CHECK_INT(cs.n, 1);
	CHECK_STR(cs.v[0].operation, "");
	CHECK_INT(cs.v[0].request_bytes, 13);
	CHECK_INT(cs.v[0].response_bytes, 16);

	/* Terminate ends the stream. */
	fe.n = 0;
	MSG(&fe, 'X', "");
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 50), 0);
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 51), -1);
	pg_conn_free(c);
	free(cs.v);
}

/* A statement longer than the call keeps is cut with "...", and a result far larger than any
 * chunk is skipped without being kept. */
static void test_large(void)
{
	struct calls cs = { 0 };
	struct pg_conn *c = connected(&cs);
	static struct buf fe;
	size_t qlen = 20000;
	char *q = malloc(qlen + 1);

	memcpy(q, "SELECT ", 7);
	for (size_t i = 7; i < qlen; i++)
		q[i] = i % 8 == 0 ? ',' : 'c';
	q[qlen] = '\0';
	fe.n = 0;
	msg(&fe, 'Q', q, qlen + 1);
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 1), 0);

	/* One DataRow of 64 MB, in 1 MB chunks. */
	uint8_t hdr[5] = { 'D', 0x04, 0, 0, 4 };
	uint8_t *chunk = calloc(1, 1 << 20);

	CHECK_INT(pg_feed_backend(c, hdr, 5, 2), 0);
	for (int i = 0; i < 64; i++)
		CHECK_INT(pg_feed_backend(c, chunk, 1 << 20, 3), 0);
	struct buf be = { .n = 0 };

	MSG(&be, 'C', "SELECT 1\0");
	ready(&be);
	CHECK_INT(pg_feed_backend(c, be.p, be.n, 4), 0);
	CHECK_INT(cs.n, 1);
	CHECK_INT(strlen(cs.v[0].query), sizeof(cs.v[0].query) - 1);
	CHECK_STR(cs.v[0].query + sizeof(cs.v[0].query) - 4, "...");
	CHECK_INT(cs.v[0].request_bytes, qlen + 6);
	CHECK_INT(cs.v[0].response_bytes, 5 + (64u << 20) + be.n);
	free(chunk);
	free(q);
	pg_conn_free(c);
	free(cs.v);
}

/* A pipeline deeper than the requests kept in flight (4096) cannot be followed. */
static void test_pending_limit(void)
{
	struct calls cs = { 0 };
	struct pg_conn *c = connected(&cs);
	struct buf fe = { .n = 0 };
	int rc = 0, i;

	MSG(&fe, 'Q', "SELECT 1\0");
	for (i = 0; i < 4096 && rc == 0; i++)
		rc = pg_feed_frontend(c, fe.p, fe.n, 1);
	CHECK_INT(rc, 0);
	CHECK_INT(pg_feed_frontend(c, fe.p, fe.n, 1), -1);
	pg_conn_free(c);
	free(cs.v);
}

/* Bytes that cannot be PostgreSQL: -1, and no call, whatever comes next. */
static void check_bad(const char *what, int frontend, const uint8_t *p, size_t n)
{
	struct calls cs = { 0 };
	struct pg_conn *c = connected(&cs);
	int rc = frontend ? pg_feed_frontend(c, p, n, 5) : pg_feed_backend(c, p, n, 5);

	if (rc != -1)
		fprintf(stderr, "  %s accepted\n", what);
	CHECK_INT(rc, -1);
	CHECK_INT(pg_feed_frontend(c, (const uint8_t *)"Q\0\0\0\x05\0", 6, 6), -1);
	CHECK_INT(cs.n, 0);
	pg_conn_free(c);
	free(cs.v);
}

static void test_malformed(void)
{
	struct calls cs = { 0 };
	struct pg_conn *c;
	uint8_t b[16];

	check_bad("length 3", 1, (const uint8_t *)"Q\0\0\0\x03", 5);
	check_bad("length 0", 1, (const uint8_t *)"Q\0\0\0\0", 5);
	check_bad("negative length", 1, (const uint8_t *)"Q\xff\xff\xff\xf0", 5);
	check_bad("length over 1 GB", 1, (const uint8_t *)"Q\x40\0\0\0", 5);
	check_bad("unknown frontend type", 1, (const uint8_t *)"z\0\0\0\x04", 5);
	check_bad("NUL frontend type", 1, (const uint8_t *)"\0\0\0\0\x04", 5);
	check_bad("HTTP", 1, (const uint8_t *)"GET / HTTP/1.1\r\n", 16);
	check_bad("unknown backend type", 0, (const uint8_t *)"y\0\0\0\x04", 5);
	check_bad("NUL backend type", 0, (const uint8_t *)"\0\0\0\0\x04", 5);
	check_bad("backend length 2", 0, (const uint8_t *)"C\0\0\0\x02", 5);
	check_bad("bad Describe kind", 1, (const uint8_t *)"D\0\0\0\x06X\0", 7);
	check_bad("Close without body", 1, (const uint8_t *)"C\0\0\0\x04", 5);
	/* A response that answers nothing the client asked. */
	check_bad("stray ParseComplete", 0, (const uint8_t *)"1\0\0\0\x04", 5);
	check_bad("stray DataRow", 0, (const uint8_t *)"D\0\0\0\x06\0\0", 7);

	/* Startup packets that are not protocol 3, or have impossible lengths. */
	static const uint8_t bad_startup[][12] = {
		{ 0, 0, 0, 8, 0, 2, 0, 0 },		  /* protocol 2 */
		{ 0, 0, 0, 4, 0, 3, 0, 0 },		  /* shorter than its own header */
		{ 0, 0, 0x27, 0x11, 0, 3, 0, 0 },	  /* 10001 bytes */
		{ 0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0 },	  /* negative */
		{ 0, 0, 0, 12, 0x04, 0xd2, 0x16, 0x2f },  /* SSLRequest with a body */
		{ 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T' },
	};
	for (size_t i = 0; i < N(bad_startup); i++) {
		c = pg_conn_new(collect, &cs);
		CHECK_INT(pg_feed_frontend(c, bad_startup[i], 12, 1), -1);
		CHECK_INT(pg_conn_is_pg(c), 0);
		CHECK_INT(pg_sniff(bad_startup[i], 8), 0);
		pg_conn_free(c);
	}
	/* An answer to SSLRequest that is neither 'N' nor 'S'. */
	c = pg_conn_new(collect, &cs);
	memcpy(b, "\0\0\0\x08\x04\xd2\x16\x2f", 8);
	CHECK_INT(pg_feed_frontend(c, b, 8, 1), 0);
	CHECK_INT(pg_feed_backend(c, (const uint8_t *)"E", 1, 2), -1);
	pg_conn_free(c);

	/* The sniffer wants the whole 8-byte header. */
	CHECK_INT(pg_sniff(b, 7), 0);
	CHECK_INT(pg_sniff(NULL, 0), 0);
	CHECK_INT(pg_sniff((const uint8_t *)"*1\r\n$4\r\nPING\r\n", 14), 0);
	CHECK_INT(cs.n, 0);
	free(cs.v);
}

/* Recordings with bytes flipped and cut at random: anything but a crash, and the same result
 * whether fed whole or byte by byte. */
static void test_mutations(void)
{
	static const char *const files[] = { "psycopg2_simple.txt", "psycopg2_error.txt",
					     "psycopg2_copy.txt", "extended_batch.txt" };
	unsigned seed = 12345;
	size_t differ = 0;

	for (size_t f = 0; f < N(files); f++) {
		char path[256];
		struct wire w;

		snprintf(path, sizeof(path), FIXTURE_DIR "%s", files[f]);
		w = wire_load(path);
		for (int round = 0; round < 300; round++) {
			struct calls a = { 0 }, bb = { 0 };
			size_t k = (seed = seed * 1103515245 + 12345) % w.n;
			struct wire_chunk *ch = &w.c[k];
			size_t at = ch->n ? (seed >> 8) % ch->n : 0;
			uint8_t old = ch->n ? ch->p[at] : 0;

			if (ch->n)
				ch->p[at] ^= (uint8_t)(1 + (seed >> 16) % 255);
			run(&w, WIRE_WHOLE, 0, &a);
			run(&w, WIRE_BYTES, 0, &bb);
			int same = a.n == bb.n;

			for (size_t i = 0; same && i < a.n; i++)
				same = call_eq(&a.v[i], &bb.v[i]);
			differ += !same;
			if (ch->n)
				ch->p[at] = old;
			free(a.v);
			free(bb.v);
		}
		wire_free(&w);
	}
	CHECK_INT(differ, 0);
}

int main(void)
{
	test_fixtures();
	test_startup_variants();
	test_extended_edges();
	test_large();
	test_pending_limit();
	test_malformed();
	test_mutations();
	return check_summary("test_pgwire");
}
