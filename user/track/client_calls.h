/* SPDX-License-Identifier: BSD-2-Clause */
/* Outbound calls on connections a traced process made: HTTP/1, PostgreSQL and Redis, each call
 * a client span inside the request the calling thread was serving. */
#ifndef PYSPAN_CLIENT_CALLS_H
#define PYSPAN_CLIENT_CALLS_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct client_conn;

enum client_proto {
	CLIENT_NONE = 0,
	CLIENT_HTTP,  /* HTTP/1.x requests out, responses in */
	CLIENT_PG,    /* PostgreSQL frontend/backend protocol v3 */
	CLIENT_REDIS, /* RESP */
};

struct client_calls_opts {
	int redis_redact_keys; /* Redis keys become '?' in db.query.text */
};

struct client_calls_stats {
	uint64_t spans;
	uint64_t parented;  /* spans inside a request of the same thread */
	uint64_t lost;	    /* connections whose stream could not be followed */
	uint64_t unmatched; /* HTTP responses with no request seen */
};

void client_calls_configure(const struct client_calls_opts *o);

/* The protocol the first bytes a process sent on a connection start, CLIENT_NONE when none
 * pyspan reads. The peer's port breaks ties only (5432 PostgreSQL, 6379 Redis). */
enum client_proto client_calls_sniff(const uint8_t *data, size_t cap, int peer_port);

/* State for one client connection; c must outlive it (it is freed with the connection). */
struct client_conn *client_conn_new(enum client_proto proto, const struct conn *c);
void client_conn_free(struct client_conn *cc);

/* Bytes the process sent (egress) or received on the connection: the first cap of total,
 * between enter (the syscall's or SSL call's entry) and ts (its exit), on thread tid. */
void client_conn_data(struct client_conn *cc, int egress, const uint8_t *data, size_t cap,
		      uint64_t total, uint64_t enter, uint64_t ts, uint32_t tid);

/* The connection closed: a response framed by the close ends now. */
void client_conn_close(struct client_conn *cc, uint64_t ts);

const struct client_calls_stats *client_calls_stats(void);

#endif
