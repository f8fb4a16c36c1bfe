/* SPDX-License-Identifier: BSD-2-Clause */
/* PostgreSQL frontend/backend protocol v3, client side: byte streams in, one call per query out. */
#ifndef PYSPAN_PROTO_PGWIRE_H
#define PYSPAN_PROTO_PGWIRE_H

#include <stddef.h>
#include <stdint.h>

/* One query the client ran and how the server answered it. Strings are NUL-terminated and cut
 * at their bound. */
struct pg_call {
	char operation[32];	   /* first keyword of the statement, upper-case: "SELECT", "INSERT",
				      "BEGIN"; "" for non-query calls */
	char query[2048];	   /* statement text with literals replaced by '?' (sql_sanitize) */
	char command_tag[64];	   /* CommandComplete tag, "SELECT 3" */
	int is_error;
	char sqlstate[6];	   /* ErrorResponse 'C' field */
	char message[256];	   /* ErrorResponse 'M' field */
	uint64_t request_bytes, response_bytes;
	uint64_t start_ns, end_ns; /* time of first request byte, of the response that completed it */
};

/* Calls are emitted in request order (responses match requests FIFO): one per simple Query
 * (at its ReadyForQuery; a multi-statement string is one call named by its first statement,
 * with the first CommandComplete tag), one per Execute (at CommandComplete, EmptyQueryResponse,
 * PortalSuspended -- then command_tag is "" -- or ErrorResponse), one per FunctionCall
 * (operation and query ""). After an ErrorResponse in the extended protocol the server skips
 * every message up to the next Sync: the failing call is the first Execute of that batch (its
 * Parse or Bind may be what failed; a Parse that fails with no Execute after it is reported for
 * its own statement), and the Executes skipped after it never ran and are not calls. Request
 * bytes of Parse/Bind/Describe go to the Execute that follows them, Sync's to the Execute
 * before it, COPY data to its Query. */
typedef void (*pg_call_fn)(void *arg, const struct pg_call *c);

struct pg_conn;

struct pg_conn *pg_conn_new(pg_call_fn fn, void *arg);

/* Bytes the client sent (frontend messages; the startup packet first) / received (backend
 * messages). Either may arrive in any chunking. Returns 0, or -1 once the stream cannot be
 * followed (then it ignores the rest). */
int pg_feed_frontend(struct pg_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns);
int pg_feed_backend(struct pg_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns);

const char *pg_conn_database(const struct pg_conn *c); /* from the startup packet, "" unknown */
const char *pg_conn_user(const struct pg_conn *c);
int pg_conn_is_pg(const struct pg_conn *c); /* 1 once the startup/first messages looked like PostgreSQL */
void pg_conn_free(struct pg_conn *c);

/* Does this first client chunk look like a PostgreSQL startup, SSLRequest or GSSENCRequest? */
int pg_sniff(const uint8_t *p, size_t n);

#endif
