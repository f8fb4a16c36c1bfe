/* SPDX-License-Identifier: BSD-2-Clause */
/* Connection tracking: per-socket byte streams keyed by the BPF connection id, fed to parsers. */
#ifndef PYSPAN_CONN_H
#define PYSPAN_CONN_H

#include <stdint.h>

#include "pyspan_events.h"
#include "span/span.h"

enum conn_proto {
	PROTO_UNKNOWN = 0, /* not sniffed yet */
	PROTO_HTTP_SERVER, /* the process serves HTTP/1.x on it */
	PROTO_CLIENT,      /* the process calls out on it: HTTP, PostgreSQL or Redis */
	PROTO_IGNORED,     /* not a protocol pyspan reads */
};

struct http_server;
struct client_conn;

/* One socket fd of one traced process, from its first sight to its close. The conn_id from BPF
 * changes whenever the fd number is reused, so (pid, fd, generation) is one id. */
struct conn {
	uint64_t id;
	uint32_t pid;
	uint32_t fd;
	int role;   /* enum conn_role */
	int family; /* AF_INET, AF_INET6, AF_UNIX, or 0 when the open event was lost */
	char local_addr[SPAN_ADDR_MAX];
	int local_port; /* -1 when there is none (Unix sockets) */
	char remote_addr[SPAN_ADDR_MAX];
	int remote_port;
	enum conn_proto proto;
	int sniff_misses; /* data events that looked like no known protocol */
	int tls;          /* plaintext arrives through the OpenSSL probes; ciphertext is ignored */
	struct http_server *http;
	struct client_conn *client;
};

struct conn_stats {
	uint64_t opened;
	uint64_t closed;
	uint64_t data_events;
	uint64_t data_bytes;
	uint64_t unknown_conn; /* data for a connection whose open event was lost */
};

int conn_init(void);
void conn_fini(void);

void conn_on_open(const struct ev_conn *e);
void conn_on_close(const struct ev_conn *e);
/* Bytes moved on a socket (conn_id != 0): the connection's protocol reads them. */
void conn_on_data(const struct ev_data *e);
/* Forget every connection of a process that exited; calls fn for each so the caller can
 * clear BPF-side state too. */
void conn_on_process_exit(uint32_t pid, void (*fn)(uint32_t pid, uint32_t fd, void *arg),
			  void *arg);
/* End exchanges that can only end by time (a response whose end was not captured). */
void conn_tick(uint64_t now_mono_ns);

const struct conn_stats *conn_stats(void);

/* Format an address from an EV_CONN_OPEN record as text. */
void conn_format_addr(int family, const uint8_t addr[16], char *out, unsigned cap);

#endif
