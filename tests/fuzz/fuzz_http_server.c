// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the server-side HTTP state machine through connection tracking, as capture events. */
#include <arpa/inet.h>
// fuzz-corpus: tests/fuzz/seeds/http_server
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "track/conn.h"
#include "track/http_server.h"

/* The input is a run of records: a control byte (bit 0 direction, bit 1 "more bytes moved
 * than captured", bit 2 close and reopen), a 16-bit little-endian length (cut at 4096 and at
 * the input's end), then the bytes one syscall moved. */
static uint64_t now = 1000000000ull;

static void open_conn(uint64_t id)
{
	struct ev_conn e = { 0 };

	e.h.type = EV_CONN_OPEN;
	e.h.pid = 100;
	e.h.tid = 100;
	e.h.fd = 5;
	e.h.ts_ns = now;
	e.conn_id = id;
	e.role = ROLE_SERVER;
	e.family = AF_INET;
	e.lport = 8000;
	e.rport = 51000;
	inet_pton(AF_INET, "127.0.0.1", e.laddr);
	inet_pton(AF_INET, "10.1.2.3", e.raddr);
	conn_on_open(&e);
}

static void close_conn(uint64_t id)
{
	struct ev_conn e = { 0 };

	e.h.type = EV_CONN_CLOSE;
	e.h.pid = 100;
	e.h.ts_ns = now;
	e.conn_id = id;
	conn_on_close(&e);
}

static uint8_t evbuf[sizeof(struct ev_data) + 4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint64_t id = 1;
	size_t pos = 0;

	if (!ready) {
		conn_init();
		ready = 1;
	}
	open_conn(id);
	while (pos < size) {
		struct ev_data *e = (struct ev_data *)evbuf;
		uint8_t ctl;
		size_t n;

		if (size - pos < 3)
			break;
		ctl = data[pos];
		n = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
		pos += 3;
		if (n > 4096)
			n = 4096;
		if (n > size - pos)
			n = size - pos;

		if (ctl & 4) {
			close_conn(id);
			open_conn(++id);
		}
		memset(e, 0, sizeof(*e));
		now += 1000000;
		e->h.type = EV_DATA;
		e->h.pid = 100;
		e->h.tid = 101;
		e->h.fd = 5;
		e->h.ts_ns = now;
		e->conn_id = id;
		e->enter_ns = now - 1000;
		e->dir = ctl & 1 ? DIR_EGRESS : DIR_INGRESS;
		e->cap_len = (uint32_t)n;
		e->total_len = (int64_t)n + (ctl & 2 ? 5000 : 0);
		memcpy(e->data, data + pos, n);
		conn_on_data(e);
		pos += n;
	}
	conn_tick(now + 60ull * 1000000000ull);
	close_conn(id);
	return 0;
}
