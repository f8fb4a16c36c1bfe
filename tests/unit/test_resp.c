// SPDX-License-Identifier: BSD-2-Clause
/* Redis RESP parser on recorded redis-py and hand-written RESP3 connections: whole, byte by byte,
 * cut at every byte, every truncated prefix, then every RESP3 type, limits and garbage. */
#include "check.h"
#include "proto/resp.h"
#include "wire.h"

#include <stdint.h>
#include <stdlib.h>

#define FIXTURE_DIR "tests/unit/fixtures/resp/"
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct calls {
	struct redis_call *v;
	size_t n;
};

static void collect(void *arg, const struct redis_call *c)
{
	struct calls *cs = arg;

	cs->v = realloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
	cs->v[cs->n++] = *c;
}

static int feed(void *arg, char dir, const uint8_t *p, size_t n, uint64_t ts)
{
	return dir == '>' ? redis_feed_request(arg, p, n, ts) : redis_feed_reply(arg, p, n, ts);
}

static int call_eq(const struct redis_call *a, const struct redis_call *b)
{
	return !strcmp(a->command, b->command) && !strcmp(a->key, b->key) && a->nargs == b->nargs &&
	       a->is_error == b->is_error && !strcmp(a->error_type, b->error_type) &&
	       !strcmp(a->error_message, b->error_message) && a->request_bytes == b->request_bytes &&
	       a->response_bytes == b->response_bytes && a->start_ns == b->start_ns &&
	       a->end_ns == b->end_ns;
}

static int run(const struct wire *w, enum wire_mode mode, size_t at, struct calls *out)
{
	struct redis_conn *c = redis_conn_new(collect, out);
	int rc;

	out->n = 0;
	rc = wire_run(w, mode, at, feed, c);
	redis_conn_free(c);
	return rc;
}

struct want {
	const char *command, *key;
	int nargs, is_error;
	const char *error_type, *error_message;
	uint64_t req, resp, start, end;
};

static void check_want(const char *name, const struct calls *got, const struct want *w, size_t n)
{
	CHECK_INT(got->n, n);
	for (size_t i = 0; i < n && i < got->n; i++) {
		const struct redis_call *g = &got->v[i];

		if (strcmp(g->command, w[i].command) || g->request_bytes != w[i].req ||
		    g->response_bytes != w[i].resp)
			fprintf(stderr, "  %s call %zu\n", name, i);
		CHECK_STR(g->command, w[i].command);
		CHECK_STR(g->key, w[i].key);
		CHECK_INT(g->nargs, w[i].nargs);
		CHECK_INT(g->is_error, w[i].is_error);
		CHECK_STR(g->error_type, w[i].error_type);
		CHECK_STR(g->error_message, w[i].error_message);
		CHECK_INT(g->request_bytes, w[i].req);
		CHECK_INT(g->response_bytes, w[i].resp);
		CHECK_INT(g->start_ns, w[i].start);
		CHECK_INT(g->end_ns, w[i].end);
	}
}

/* Byte by byte and split anywhere: the same calls. Any truncated prefix: a prefix of them. */
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

static void check_fixture(const char *file, const struct want *want, size_t n)
{
	char path[256];
	struct wire w;
	struct calls full = { 0 };

	snprintf(path, sizeof(path), FIXTURE_DIR "%s", file);
	w = wire_load(path);
	CHECK_INT(run(&w, WIRE_WHOLE, 0, &full), 0);
	check_want(file, &full, want, n);
	check_chunkings(file, &w, &full);
	CHECK_INT(redis_sniff(w.c[0].p, w.c[0].n), 1);
	free(full.v);
	wire_free(&w);
}

static const char WRONGTYPE[] = "WRONGTYPE Operation against a key holding the wrong kind of value";

/* redis-py: CLIENT SETNAME, strings, a miss, hashes, lists, a 3000-byte value, an error. */
static const struct want basic[] = {
	{ "CLIENT", "", 3, 0, "", "", 39, 5, 1000, 2000 },
	{ "SET", "user:1", 3, 0, "", "", 36, 5, 3000, 4000 },
	{ "GET", "user:1", 2, 0, "", "", 25, 11, 5000, 6000 },
	{ "GET", "missing", 2, 0, "", "", 26, 5, 7000, 8000 },
	{ "HSET", "cart:9", 6, 0, "", "", 59, 4, 9000, 10000 },
	{ "HGETALL", "cart:9", 2, 0, "", "", 29, 37, 11000, 12000 },
	{ "LPUSH", "queue", 5, 0, "", "", 47, 4, 13000, 14000 },
	{ "LRANGE", "queue", 4, 0, "", "", 42, 25, 15000, 16000 },
	{ "SET", "big", 3, 0, "", "", 3031, 5, 17000, 18000 },
	{ "GET", "big", 2, 0, "", "", 22, 3009, 19000, 20000 },
	{ "LPUSH", "user:1", 3, 1, "WRONGTYPE", WRONGTYPE, 34, 68, 21000, 22000 },
	{ "DEL", "user:1", 3, 0, "", "", 36, 4, 23000, 24000 },
};

/* A MULTI/EXEC pipeline (the queued commands are calls when EXEC answers) and a plain pipeline
 * of seven commands whose last one fails. */
static const struct want pipeline[] = {
	{ "MULTI", "", 1, 0, "", "", 15, 5, 1000, 2000 },
	{ "INCRBY", "counter", 3, 0, "", "", 36, 9, 1000, 2000 },
	{ "INCRBY", "counter", 3, 0, "", "", 36, 9, 1000, 2000 },
	{ "GET", "counter", 2, 0, "", "", 26, 9, 1000, 2000 },
	{ "EXPIRE", "counter", 3, 0, "", "", 37, 9, 1000, 2000 },
	{ "EXEC", "", 1, 0, "", "", 14, 23, 1000, 2000 },
	{ "SET", "k0", 3, 0, "", "", 28, 5, 3000, 4000 },
	{ "SET", "k1", 3, 0, "", "", 28, 5, 3000, 4000 },
	{ "SET", "k2", 3, 0, "", "", 28, 5, 3000, 4000 },
	{ "SET", "k3", 3, 0, "", "", 28, 5, 3000, 4000 },
	{ "SET", "k4", 3, 0, "", "", 28, 5, 3000, 4000 },
	{ "MGET", "k0", 4, 0, "", "", 38, 23, 3000, 4000 },
	{ "LPUSH", "k0", 3, 1, "WRONGTYPE", WRONGTYPE, 33, 68, 3000, 4000 },
};

/* RESP2 pub/sub: a two-channel SUBSCRIBE ends at its second confirmation; published messages
 * are no replies; UNSUBSCRIBE without channels ends when no channel is left (the pattern still
 * is), PUNSUBSCRIBE when no pattern is. */
static const struct want pubsub[] = {
	{ "SUBSCRIBE", "", 3, 0, "", "", 41, 68, 1000, 3000 },
	{ "PSUBSCRIBE", "", 2, 0, "", "", 32, 36, 2000, 4000 },
	{ "UNSUBSCRIBE", "", 1, 0, "", "", 22, 74, 7000, 8000 },
	{ "PUNSUBSCRIBE", "", 1, 0, "", "", 23, 38, 7000, 8000 },
};

/* HELLO 3 and a reply of every type Redis 7 sends: set, map, double, null, big number,
 * booleans, verbatim string, an attribute before its reply, a push before the reply (not one),
 * MULTI with a failing element and with a refused command (EXECABORT: nothing queued ran),
 * client tracking (the invalidation push is no reply), RESP3 SUBSCRIBE confirmed by a push. */
static const struct want resp3[] = {
	{ "HELLO", "", 2, 0, "", "", 22, 145, 1000, 2000 },
	{ "SADD", "tags", 4, 0, "", "", 38, 4, 3000, 4000 },
	{ "SMEMBERS", "tags", 2, 0, "", "", 28, 18, 3000, 4000 },
	{ "HSET", "h", 4, 0, "", "", 35, 4, 5000, 6000 },
	{ "HGETALL", "h", 2, 0, "", "", 24, 18, 5000, 6000 },
	{ "ZADD", "z", 4, 0, "", "", 37, 4, 7000, 8000 },
	{ "ZSCORE", "z", 3, 0, "", "", 30, 6, 7000, 8000 },
	{ "GET", "nothing", 2, 0, "", "", 26, 3, 9000, 10000 },
	{ "DEBUG", "", 3, 0, "", "", 41, 40, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 39, 4, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 40, 4, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 43, 36, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 41, 93, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 39, 3, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 41, 8, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 38, 28, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 38, 16, 11000, 12000 },
	{ "DEBUG", "", 3, 0, "", "", 39, 47, 11000, 12000 },
	{ "MULTI", "", 1, 0, "", "", 15, 5, 13000, 14000 },
	{ "SET", "a", 3, 0, "", "", 27, 9, 13000, 14000 },
	{ "LPUSH", "a", 3, 1, "WRONGTYPE", WRONGTYPE, 29, 9, 13000, 14000 },
	{ "EXEC", "", 1, 0, "", "", 14, 77, 13000, 14000 },
	{ "MULTI", "", 1, 0, "", "", 15, 5, 15000, 16000 },
	{ "NOSUCHCMD", "", 1, 1, "ERR", "ERR unknown command 'NOSUCHCMD', with args beginning with: ",
	  19, 62, 15000, 16000 },
	{ "EXEC", "", 1, 1, "EXECABORT", "EXECABORT Transaction discarded because of previous errors.",
	  14, 62, 15000, 16000 },
	{ "CLIENT", "", 3, 0, "", "", 38, 5, 17000, 18000 },
	{ "GET", "a", 2, 0, "", "", 20, 7, 17000, 18000 },
	{ "SET", "a", 3, 0, "", "", 27, 5, 19000, 20000 },
	{ "SUBSCRIBE", "", 2, 0, "", "", 27, 31, 21000, 22000 },
	{ "UNSUBSCRIBE", "", 1, 0, "", "", 22, 34, 23000, 24000 },
	{ "PING", "", 1, 0, "", "", 14, 7, 25000, 26000 },
};

/* Inline commands as telnet or redis-cli --no-raw send them, "\n" alone included. */
static const struct want inl[] = {
	{ "PING", "", 1, 0, "", "", 6, 7, 1000, 2000 },
	{ "SET", "greeting", 3, 0, "", "", 20, 5, 3000, 4000 },
	{ "GET", "greeting", 2, 0, "", "", 14, 11, 5000, 6000 },
	{ "EXISTS", "greeting", 3, 0, "", "", 24, 4, 7000, 8000 },
	{ "BADCMD", "", 1, 1, "ERR", "ERR unknown command 'BADCMD', with args beginning with: ", 8,
	  59, 9000, 10000 },
};

static void test_fixtures(void)
{
	check_fixture("redis_py_basic.txt", basic, N(basic));
	check_fixture("redis_py_pipeline.txt", pipeline, N(pipeline));
	check_fixture("redis_py_pubsub.txt", pubsub, N(pubsub));
	check_fixture("resp3_types.txt", resp3, N(resp3));
	check_fixture("inline.txt", inl, N(inl));
}

/* ---- hand-built streams ------------------------------------------------------------------ */

static int req(struct redis_conn *c, const char *s, uint64_t ts)
{
	return redis_feed_request(c, (const uint8_t *)s, strlen(s), ts);
}

static int rep(struct redis_conn *c, const char *s, uint64_t ts)
{
	return redis_feed_reply(c, (const uint8_t *)s, strlen(s), ts);
}

/* Keys by the command table: EVAL's numkeys, ZUNION's, XREAD's STREAMS, OBJECT's subcommand. */
static void test_keys(void)
{
	static const struct {
		const char *req, *cmd, *key;
		int nargs;
	} cases[] = {
		{ "*5\r\n$4\r\nEVAL\r\n$6\r\nreturn\r\n$1\r\n1\r\n$3\r\nk:1\r\n$1\r\nx\r\n", "EVAL", "k:1", 5 },
		{ "*3\r\n$4\r\nEVAL\r\n$6\r\nreturn\r\n$1\r\n0\r\n", "EVAL", "", 3 },
		{ "*4\r\n$6\r\nZUNION\r\n$1\r\n2\r\n$2\r\nz1\r\n$2\r\nz2\r\n", "ZUNION", "z1", 4 },
		{ "*6\r\n$5\r\nxread\r\n$5\r\nCOUNT\r\n$1\r\n2\r\n$7\r\nstreams\r\n$2\r\ns1\r\n$1\r\n0\r\n",
		  "XREAD", "s1", 6 },
		{ "*3\r\n$6\r\nOBJECT\r\n$8\r\nENCODING\r\n$3\r\nobj\r\n", "OBJECT", "obj", 3 },
		{ "*4\r\n$5\r\nBITOP\r\n$3\r\nAND\r\n$4\r\ndest\r\n$3\r\nsrc\r\n", "BITOP", "dest", 4 },
		{ "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\nm\r\n", "PUBLISH", "", 3 },
		{ "*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n", "KEYS", "", 2 },
		{ "*2\r\n$16\r\nverylongcommandx\r\n$1\r\nk\r\n", "VERYLONGCOMMANDX", "", 2 },
		{ "set 'a b' \"c\\\"d\"\r\n", "SET", "a b", 3 },
		{ "  GET   spaced  \r\n", "GET", "spaced", 2 },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct calls cs = { 0 };
		struct redis_conn *c = redis_conn_new(collect, &cs);

		CHECK_INT(req(c, cases[i].req, 1), 0);
		CHECK_INT(rep(c, ":1\r\n", 2), 0);
		CHECK_INT(cs.n, 1);
		if (cs.n == 1) {
			CHECK_STR(cs.v[0].command, cases[i].cmd);
			CHECK_STR(cs.v[0].key, cases[i].key);
			CHECK_INT(cs.v[0].nargs, cases[i].nargs);
			CHECK_INT(cs.v[0].request_bytes, strlen(cases[i].req));
		}
		redis_conn_free(c);
		free(cs.v);
	}

	/* A 300-byte key is cut to the field; a 40-byte command name too. */
	struct calls cs = { 0 };
	struct redis_conn *c = redis_conn_new(collect, &cs);
	char buf[512];
	char key[301];

	memset(key, 'k', 300);
	key[300] = '\0';
	snprintf(buf, sizeof(buf), "*2\r\n$3\r\nGET\r\n$300\r\n%s\r\n", key);
	CHECK_INT(req(c, buf, 1), 0);
	CHECK_INT(req(c, "*1\r\n$40\r\nAAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDD\r\n", 1), 0);
	CHECK_INT(rep(c, "$-1\r\n-ERR unknown\r\n", 2), 0);
	CHECK_INT(cs.n, 2);
	if (cs.n == 2) {
		CHECK_INT(strlen(cs.v[0].key), 255);
		CHECK_INT(strlen(cs.v[1].command), 31);
		CHECK_STR(cs.v[1].error_type, "ERR");
	}
	redis_conn_free(c);
	free(cs.v);
}

/* Every RESP3 type, nested, in one pipelined reply stream; errors of both kinds. */
static void test_resp3_types(void)
{
	struct calls cs = { 0 };
	struct redis_conn *c = redis_conn_new(collect, &cs);
	static const char *const replies[] = {
		"_\r\n",
		"#t\r\n",
		",-inf\r\n",
		"(-3492890328409238509324850943850943825024385\r\n",
		"=15\r\ntxt:Some string\r\n",
		"%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n~1\r\n#f\r\n",
		"~2\r\n*2\r\n>1\r\n:1\r\n|1\r\n+k\r\n+v\r\n:2\r\n%0\r\n",
		"|1\r\n+ttl\r\n:3600\r\n*0\r\n",
		"!21\r\nSYNTAX invalid syntax\r\n",
		"*-1\r\n",
		"$0\r\n\r\n",
		"-ERR\r\n",
	};
	size_t total = 0;

	for (size_t i = 0; i < N(replies); i++)
		CHECK_INT(req(c, "*1\r\n$4\r\nPING\r\n", 1), 0);
	for (size_t i = 0; i < N(replies); i++) {
		/* A push in front of each reply: out of band, never a reply. */
		CHECK_INT(rep(c, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", 2), 0);
		CHECK_INT(rep(c, replies[i], 3 + i), 0);
		total += strlen(replies[i]);
	}
	CHECK_INT(cs.n, N(replies));
	for (size_t i = 0; i < cs.n && i < N(replies); i++) {
		CHECK_INT(cs.v[i].response_bytes, strlen(replies[i]));
		CHECK_INT(cs.v[i].end_ns, 3 + i);
		CHECK_INT(cs.v[i].is_error, i == 8 || i == 11);
	}
	if (cs.n == N(replies)) {
		CHECK_STR(cs.v[8].error_type, "SYNTAX");
		CHECK_STR(cs.v[8].error_message, "SYNTAX invalid syntax");
		CHECK_STR(cs.v[11].error_type, "ERR");
		CHECK_STR(cs.v[11].error_message, "ERR");
	}
	CHECK(total > 0);
	redis_conn_free(c);
	free(cs.v);
}

/* Nesting is bounded (64), not recursive: 64 levels are followed, 65 end the stream. */
static void test_depth(void)
{
	for (int depth = 63; depth <= 65; depth++) {
		struct calls cs = { 0 };
		struct redis_conn *c = redis_conn_new(collect, &cs);
		char buf[1024];
		size_t n = 0;

		for (int i = 0; i < depth; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "*1\r\n");
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ":1\r\n");
		CHECK_INT(req(c, "*1\r\n$4\r\nPING\r\n", 1), 0);
		CHECK_INT(redis_feed_reply(c, (const uint8_t *)buf, n, 2), depth <= 64 ? 0 : -1);
		CHECK_INT(cs.n, depth <= 64 ? 1 : 0);
		redis_conn_free(c);
		free(cs.v);
	}
	/* A million levels: refused at 65 without using the stack. */
	struct redis_conn *c = redis_conn_new(NULL, NULL);
	size_t n = 4 << 20;
	uint8_t *deep = malloc(n);

	for (size_t i = 0; i < n; i += 4)
		memcpy(deep + i, "*1\r\n", 4);
	CHECK_INT(req(c, "PING\r\n", 1), 0);
	CHECK_INT(redis_feed_reply(c, deep, n, 2), -1);
	free(deep);
	redis_conn_free(c);
}

/* Values far larger than any chunk, both ways, are skipped as they pass. */
static void test_large_values(void)
{
	struct calls cs = { 0 };
	struct redis_conn *c = redis_conn_new(collect, &cs);
	size_t big = 64u << 20, chunk = 1 << 20;
	uint8_t *zeros = calloc(1, chunk);
	char hdr[64];

	snprintf(hdr, sizeof(hdr), "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n", big);
	CHECK_INT(req(c, hdr, 1), 0);
	for (size_t i = 0; i < big; i += chunk)
		CHECK_INT(redis_feed_request(c, zeros, chunk, 2), 0);
	CHECK_INT(req(c, "\r\n", 3), 0);
	CHECK_INT(req(c, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", 4), 0);
	CHECK_INT(rep(c, "+OK\r\n", 5), 0);
	snprintf(hdr, sizeof(hdr), "$%zu\r\n", big);
	CHECK_INT(rep(c, hdr, 6), 0);
	for (size_t i = 0; i < big; i += chunk)
		CHECK_INT(redis_feed_reply(c, zeros, chunk, 7), 0);
	CHECK_INT(rep(c, "\r\n", 8), 0);
	CHECK_INT(cs.n, 2);
	if (cs.n == 2) {
		CHECK_STR(cs.v[0].key, "big");
		CHECK_INT(cs.v[0].request_bytes, strlen("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$67108864\r\n") + big + 2);
		CHECK_INT(cs.v[0].start_ns, 1);
		CHECK_INT(cs.v[1].response_bytes, strlen("$67108864\r\n") + big + 2);
		CHECK_INT(cs.v[1].end_ns, 8);
	}
	free(zeros);
	redis_conn_free(c);
	free(cs.v);
}

/* Transactions that do not run, subscriptions edge cases, RESET, pushes that look like
 * replies, replies with nothing asked. */
static void test_sessions(void)
{
	struct calls cs = { 0 };
	struct redis_conn *c = redis_conn_new(collect, &cs);

	/* DISCARD: the queued SET never ran. */
	CHECK_INT(req(c, "MULTI\r\nSET a 1\r\nDISCARD\r\n", 1), 0);
	CHECK_INT(rep(c, "+OK\r\n+QUEUED\r\n+OK\r\n", 2), 0);
	CHECK_INT(cs.n, 2);
	if (cs.n == 2) {
		CHECK_STR(cs.v[0].command, "MULTI");
		CHECK_STR(cs.v[1].command, "DISCARD");
	}
	/* A WATCH abort: EXEC answers nil, nothing ran. */
	cs.n = 0;
	CHECK_INT(req(c, "WATCH a\r\nMULTI\r\nINCR a\r\nEXEC\r\n", 3), 0);
	CHECK_INT(rep(c, "+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n", 4), 0);
	CHECK_INT(cs.n, 3);
	if (cs.n == 3)
		CHECK_STR(cs.v[2].command, "EXEC");
	/* "QUEUED" outside MULTI is just a reply. */
	cs.n = 0;
	CHECK_INT(req(c, "ECHO QUEUED\r\n", 5), 0);
	CHECK_INT(rep(c, "+QUEUED\r\n", 6), 0);
	CHECK_INT(cs.n, 1);

	/* UNSUBSCRIBE with nothing subscribed: one confirmation with a nil channel. */
	cs.n = 0;
	CHECK_INT(req(c, "UNSUBSCRIBE\r\n", 7), 0);
	CHECK_INT(rep(c, "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", 8), 0);
	CHECK_INT(cs.n, 1);
	/* Subscribed in RESP2, a "message" array is not the PING's reply; the pong array is. */
	cs.n = 0;
	CHECK_INT(req(c, "SUBSCRIBE news\r\nPING\r\n", 9), 0);
	CHECK_INT(rep(c, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", 10), 0);
	CHECK_INT(rep(c, "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n", 11), 0);
	CHECK_INT(rep(c, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", 12), 0);
	CHECK_INT(cs.n, 2);
	if (cs.n == 2) {
		CHECK_STR(cs.v[1].command, "PING");
		CHECK_INT(cs.v[1].end_ns, 12);
	}
	/* RESET leaves pub/sub: the same array is now an LRANGE reply. */
	cs.n = 0;
	CHECK_INT(req(c, "RESET\r\nLRANGE l 0 -1\r\n", 13), 0);
	CHECK_INT(rep(c, "+RESET\r\n*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n", 14), 0);
	CHECK_INT(cs.n, 2);
	/* SUBSCRIBE with no channel is an error reply, not a wait for confirmations. */
	cs.n = 0;
	CHECK_INT(req(c, "SUBSCRIBE\r\nPING\r\n", 15), 0);
	CHECK_INT(rep(c, "-ERR wrong number of arguments for 'subscribe' command\r\n+PONG\r\n", 16), 0);
	CHECK_INT(cs.n, 2);
	/* Replies to nothing (MONITOR output after its call, say) are ignored. */
	cs.n = 0;
	CHECK_INT(rep(c, "+1700000000.0 [0 127.0.0.1:1] \"GET\"\r\n", 17), 0);
	CHECK_INT(cs.n, 0);
	/* *0 and blank inline lines are no commands: the next reply is GET's. */
	CHECK_INT(req(c, "*0\r\n\r\n  \r\n*-1\r\nGET k\r\n", 18), 0);
	CHECK_INT(rep(c, "$1\r\nv\r\n", 19), 0);
	CHECK_INT(cs.n, 1);
	if (cs.n == 1)
		CHECK_STR(cs.v[0].command, "GET");
	redis_conn_free(c);
	free(cs.v);
}

/* Bytes that cannot be RESP: -1, and everything after ignored. */
static void check_bad(const char *what, int request, const char *bytes)
{
	struct calls cs = { 0 };
	struct redis_conn *c = redis_conn_new(collect, &cs);
	int rc;

	if (!request)
		CHECK_INT(req(c, "PING\r\n", 1), 0);
	rc = request ? req(c, bytes, 2) : rep(c, bytes, 2);
	if (rc != -1)
		fprintf(stderr, "  %s accepted\n", what);
	CHECK_INT(rc, -1);
	CHECK_INT(req(c, "PING\r\n", 3), -1);
	CHECK_INT(rep(c, "+PONG\r\n", 4), -1);
	CHECK_INT(cs.n, 0);
	redis_conn_free(c);
	free(cs.v);
}

static void test_malformed(void)
{
	check_bad("unknown reply type", 0, "?x\r\n");
	check_bad("streamed string", 0, "$?\r\n;4\r\nabcd\r\n;0\r\n");
	check_bad("bulk length -2", 0, "$-2\r\n");
	check_bad("bulk length not a number", 0, "$abc\r\n");
	check_bad("bulk length empty", 0, "$\r\n");
	check_bad("bulk length huge", 0, "$99999999999999999999\r\n");
	check_bad("bulk length over the bound", 0, "$1099511627777\r\n");
	check_bad("array count -5", 0, "*-5\r\n");
	check_bad("map count huge", 0, "%1234567890123456789\r\n");
	check_bad("bulk without CRLF", 0, "$1\r\nab\r\n");
	check_bad("integer junk", 0, ":12a\r\n");
	check_bad("long integer line", 0, ":0000000000000000000000000000000000000000000000000000000000000000001\r\n");
	check_bad("null with data", 0, "_x\r\n");
	check_bad("boolean x", 0, "#x\r\n");
	check_bad("request array count junk", 1, "*x\r\n");
	check_bad("request negative bulk", 1, "*1\r\n$-1\r\n");
	check_bad("request integer argument", 1, "*1\r\n:5\r\n");
	check_bad("request bulk without CRLF", 1, "*1\r\n$4\r\nPINGxx");
	check_bad("request array count huge", 1, "*99999999999\r\n");

	/* A NUL where a type byte belongs. */
	struct redis_conn *c = redis_conn_new(NULL, NULL);

	CHECK_INT(req(c, "PING\r\n", 1), 0);
	CHECK_INT(redis_feed_reply(c, (const uint8_t *)"\0", 1, 2), -1);
	redis_conn_free(c);

	/* An inline line longer than Redis accepts. */
	c = redis_conn_new(NULL, NULL);
	char *line = malloc(70000);

	memset(line, 'a', 70000);
	CHECK_INT(redis_feed_request(c, (const uint8_t *)line, 70000, 1), -1);
	free(line);
	redis_conn_free(c);
}

static void test_sniff(void)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "*1\r\n$4\r\nPING\r\n", 1 },
		{ "*3\r\n$3\r\nSET\r\n", 1 },
		{ "*", 1 },
		{ "*12", 1 },
		{ "*0\r\n", 0 },
		{ "*1\r\n:1\r\n", 0 },
		{ "*x", 0 },
		{ "PING\r\n", 1 },
		{ "get k\r\n", 1 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n", 0 },
		{ "POST /x HTTP/1.1\r\n", 0 },
		{ "HELLO 3\r\n", 1 },
		{ "NOTACOMMAND x\r\n", 0 },
		{ "PIN", 0 },
		{ "", 0 },
		{ "\0\0\0\x08\x04\xd2\x16\x2f", 0 },
	};
	for (size_t i = 0; i < N(cases); i++) {
		int got = redis_sniff((const uint8_t *)cases[i].s, i == N(cases) - 1 ? 8 : strlen(cases[i].s));

		if (got != cases[i].want)
			fprintf(stderr, "  sniff \"%s\"\n", cases[i].s);
		CHECK_INT(got, cases[i].want);
	}
}

/* Recordings with bytes flipped: anything but a crash, and the same whole or byte by byte. */
static void test_mutations(void)
{
	static const char *const files[] = { "redis_py_basic.txt", "redis_py_pipeline.txt",
					     "redis_py_pubsub.txt", "resp3_types.txt", "inline.txt" };
	unsigned seed = 777;
	size_t differ = 0;

	for (size_t f = 0; f < N(files); f++) {
		char path[256];
		struct wire w;

		snprintf(path, sizeof(path), FIXTURE_DIR "%s", files[f]);
		w = wire_load(path);
		for (int round = 0; round < 300; round++) {
			struct calls a = { 0 }, b = { 0 };
			size_t k = (seed = seed * 1103515245 + 12345) % w.n;
			struct wire_chunk *ch = &w.c[k];
			size_t at = ch->n ? (seed >> 8) % ch->n : 0;
			uint8_t old = ch->n ? ch->p[at] : 0;

			if (ch->n)
				ch->p[at] ^= (uint8_t)(1 + (seed >> 16) % 255);
			run(&w, WIRE_WHOLE, 0, &a);
			run(&w, WIRE_BYTES, 0, &b);
			int same = a.n == b.n;

			for (size_t i = 0; same && i < a.n; i++)
				same = call_eq(&a.v[i], &b.v[i]);
			differ += !same;
			if (ch->n)
				ch->p[at] = old;
			free(a.v);
			free(b.v);
		}
		wire_free(&w);
	}
	CHECK_INT(differ, 0);
}

/* A pipeline longer than the requests kept: the first 4096 are calls, the replies of the rest
 * are read past, and the command after them is matched to its own reply again. */
static void test_long_pipeline(void)
{
	struct calls cs = { 0 };
	struct redis_conn *c = redis_conn_new(collect, &cs);

	int bad = 0;

	for (int i = 0; i < 5000; i++)
		bad += req(c, "INCR n\r\n", 1) != 0;
	for (int i = 0; i < 5000; i++)
		bad += rep(c, ":1\r\n", 2) != 0;
	CHECK_INT(bad, 0);
	CHECK_INT(cs.n, 4096);
	CHECK_INT(req(c, "GET after\r\n", 3), 0);
	CHECK_INT(rep(c, "$1\r\n1\r\n", 4), 0);
	CHECK_INT(cs.n, 4097);
	if (cs.n == 4097) {
		CHECK_STR(cs.v[4096].command, "GET");
		CHECK_INT(cs.v[4096].response_bytes, 7);
	}
	redis_conn_free(c);
	free(cs.v);
}

int main(void)
{
	test_fixtures();
	test_keys();
	test_resp3_types();
	test_depth();
	test_large_values();
	test_sessions();
	test_long_pipeline();
	test_malformed();
	test_sniff();
	test_mutations();
	return check_summary("test_resp");
}
