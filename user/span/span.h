/* SPDX-License-Identifier: BSD-2-Clause */
/* The one span model every stage shares: server and client spans with their attributes. */
#ifndef PYSPAN_SPAN_H
#define PYSPAN_SPAN_H

#include <stdint.h>

struct pytb_report;

enum span_kind {
	SPAN_SERVER = 1,
	SPAN_CLIENT = 2,
};

/* Bounds of the text fields: longer values are cut, and the span says it was truncated. */
#define SPAN_METHOD_MAX 16
#define SPAN_PATH_MAX 1024
#define SPAN_QUERY_MAX 1024
#define SPAN_ROUTE_MAX 256
#define SPAN_UA_MAX 256
#define SPAN_XFF_MAX 256
#define SPAN_ADDR_MAX 64 /* an IPv6 address in text, or a Unix socket marker */
#define SPAN_HOST_MAX 256
#define SPAN_DB_QUERY_MAX 2048
#define SPAN_ERROR_MAX 256

struct span {
	enum span_kind kind;
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8];
	int has_parent;
	int sampled; /* 1, 0, or -1 when no caller said */
	/* Set by sampling before exporters see the span: it stands for this many requests
	 * (1 in N were kept; 1 when every such request is). Honeycomb's samplerate. */
	uint32_t sample_rate;

	uint64_t start_unix_ns;
	uint64_t end_unix_ns;

	char method[SPAN_METHOD_MAX];
	char path[SPAN_PATH_MAX];
	char query[SPAN_QUERY_MAX]; /* redacted; empty when the target had no query */
	int has_query;
	char route[SPAN_ROUTE_MAX];
	int status; /* 0 when no response was seen */
	uint64_t request_body_size;
	uint64_t response_body_size;
	char user_agent[SPAN_UA_MAX];
	char x_forwarded_for[SPAN_XFF_MAX];
	char http_version[4]; /* "1.0", "1.1"; empty when not seen */

	char client_addr[SPAN_ADDR_MAX];
	int client_port; /* -1 when unknown (Unix sockets) */
	char server_addr[SPAN_ADDR_MAX];
	int server_port;

	uint32_t pid;
	uint32_t tid;
	const char *service_name;

	/* Client spans (kind SPAN_CLIENT): an outbound call. server_addr/server_port are the
	 * peer called, client_addr/client_port the local end. */
	char protocol[16];          /* "http", "postgresql", "redis" */
	int tls;                    /* plaintext seen through OpenSSL */
	char host[SPAN_HOST_MAX];   /* HTTP Host header of an outbound call */
	char db_system[16];         /* "postgresql", "redis" */
	char db_name[64];           /* database (PostgreSQL startup "database") */
	char db_user[64];
	char db_operation[32];      /* "SELECT", "GET" */
	char db_query[SPAN_DB_QUERY_MAX]; /* literals replaced by '?'; Redis: command and key */
	char db_response[64];       /* PostgreSQL CommandComplete tag: "SELECT 3", "INSERT 0 1" */
	int is_error;               /* the call failed (SQL error, Redis error reply, 5xx) */
	char error_type[64];        /* SQLSTATE "42P01", Redis "WRONGTYPE", HTTP "503" */
	char error_message[SPAN_ERROR_MAX];

	/* The exception that failed the request, with its chain; NULL when none was seen. Owned
	 * by whoever finishes the span, valid while exporters run. */
	struct pytb_report *exception;
	int exception_source; /* enum exception_source */

	/* What pyspan could not see whole: headers over the capture size, a body whose
	 * framing bytes were not captured, a connection closed mid-response. */
	int headers_truncated;
	int body_unsynced;
	int incomplete;
};

#endif
