/* SPDX-License-Identifier: BSD-2-Clause */
/* Synthetic capture events and a span recorder: drive the pipeline in tests without a kernel. */
#ifndef PYSPAN_TESTS_EVENTS_H
#define PYSPAN_TESTS_EVENTS_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "capture/dispatch.h"
#include "export/export.h"
#include "proto/pytraceback.h"
#include "track/conn.h"

/* Spans the code under test exported, in order. */
#define MAX_SPANS 64
static struct span got[MAX_SPANS];
static char got_exc[MAX_SPANS][PYTB_TYPE_MAX]; /* the exception's type, "" when none */
static int ngot;

static inline void record_span(struct exporter *ex, const struct span *s,
			       const struct span_view *v)
{
	if (ngot >= MAX_SPANS)
		return;
	got[ngot] = *s;
	got[ngot].exception = NULL; /* freed once exporters return */
	snprintf(got_exc[ngot], PYTB_TYPE_MAX, "%s",
		 s->exception && s->exception->nchain ?
			 s->exception->chain[s->exception->nchain - 1].type :
			 "");
	ngot++;
}

static inline void record_close(struct exporter *ex)
{
}

static struct exporter recorder __attribute__((unused)) = {
	.name = "test", .span = record_span, .close = record_close
};

static uint64_t now_ns = 1000000000ull;
static uint32_t capture_size = 4096;

static inline void reset(void)
{
	ngot = 0;
	memset(got, 0, sizeof(got));
}

static inline void open_conn(uint64_t id, uint32_t pid, uint32_t fd, int role)
{
	struct ev_conn e = { 0 };

	e.h.type = EV_CONN_OPEN;
	e.h.pid = pid;
	e.h.tid = pid;
	e.h.fd = fd;
	e.h.ts_ns = now_ns;
	e.conn_id = id;
	e.role = (uint32_t)role;
	e.family = AF_INET;
	e.lport = 8000;
	e.rport = 51000;
	inet_pton(AF_INET, "127.0.0.1", e.laddr);
	inet_pton(AF_INET, "10.1.2.3", e.raddr);
	conn_on_open(&e);
}

/* A connection the process made (connect) to addr:port, as BPF announces it. */
static inline void open_client_conn(uint64_t id, uint32_t pid, uint32_t fd, const char *addr,
				    uint16_t port)
{
	struct ev_conn e = { 0 };

	e.h.type = EV_CONN_OPEN;
	e.h.pid = pid;
	e.h.tid = pid;
	e.h.fd = fd;
	e.h.ts_ns = now_ns;
	e.conn_id = id;
	e.role = ROLE_CLIENT;
	e.family = AF_INET;
	e.lport = 40000;
	e.rport = port;
	inet_pton(AF_INET, "127.0.0.1", e.laddr);
	inet_pton(AF_INET, addr, e.raddr);
	conn_on_open(&e);
}

static inline void close_conn(uint64_t id, uint32_t pid)
{
	struct ev_conn e = { 0 };

	e.h.type = EV_CONN_CLOSE;
	e.h.pid = pid;
	e.h.ts_ns = now_ns;
	e.conn_id = id;
	conn_on_close(&e);
}

/* One syscall that moved `total` bytes of which the first min(total, capture_size) are in buf;
 * the clock advances 1 ms per call so durations are known. */
static inline void data_flags(uint64_t id, uint32_t pid, uint32_t tid, int dir, const char *buf,
			      size_t total, uint32_t flags)
{
	size_t cap = total < capture_size ? total : capture_size;
	struct ev_data *e = calloc(1, sizeof(*e) + cap + 1);

	now_ns += 1000000;
	e->h.type = EV_DATA;
	e->h.pid = pid;
	e->h.tid = tid;
	e->h.fd = id ? 5 : 2; /* connection 0: the process's stderr */
	e->h.ts_ns = now_ns;
	e->conn_id = id;
	e->enter_ns = now_ns - 1000;
	e->total_len = (int64_t)total;
	e->dir = (uint32_t)dir;
	e->cap_len = (uint32_t)cap;
	e->flags = flags;
	if (flags & EVF_TLS)
		e->syscall = dir == DIR_EGRESS ? SC_SSL_WRITE : SC_SSL_READ;
	if (buf)
		memcpy(e->data, buf, cap);
	dispatch_event(e, sizeof(*e) + cap); /* as a record from the ring buffer arrives */
	free(e);
}

static inline void data_n(uint64_t id, uint32_t pid, uint32_t tid, int dir, const char *buf,
			  size_t total)
{
	data_flags(id, pid, tid, dir, buf, total, 0);
}

/* Plaintext of a TLS connection, as the OpenSSL probes report it. */
static inline void data_tls(uint64_t id, uint32_t pid, uint32_t tid, int dir, const char *s)
{
	data_flags(id, pid, tid, dir, s, strlen(s), EVF_TLS);
}

/* A whole string moved by thread tid of process pid. */
static inline void data_t(uint64_t id, uint32_t pid, uint32_t tid, int dir, const char *s)
{
	data_n(id, pid, tid, dir, s, strlen(s));
}

/* A write to stderr by thread tid of process pid, as BPF reports it (no connection). */
static inline void write_stderr(uint32_t pid, uint32_t tid, const char *s)
{
	data_n(0, pid, tid, DIR_EGRESS, s, strlen(s));
}

#endif
