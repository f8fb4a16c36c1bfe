// SPDX-License-Identifier: BSD-2-Clause
/* Connection tracking: per-socket byte streams keyed by the BPF connection id, fed to parsers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/u64map.h"
#include "track/client_calls.h"
#include "track/conn.h"
#include "track/http_server.h"

/* Data events on a connection of unknown protocol before pyspan stops looking at it. A
 * keep-alive connection that existed before attach may start mid-message. */
#define SNIFF_MAX_MISSES 8

static struct u64map conns;
static struct conn_stats stats;

const struct conn_stats *conn_stats(void)
{
	return &stats;
}

int conn_init(void)
{
	return u64map_init(&conns, 1024);
}

static void conn_free(struct conn *c)
{
	http_server_free(c->http);
	client_conn_free(c->client);
	free(c);
}

static void free_each(uint64_t key, void *value, void *arg)
{
	conn_free(value);
}

void conn_fini(void)
{
	if (!conns.buckets)
		return;
	u64map_each(&conns, free_each, NULL);
	u64map_free(&conns);
}

void conn_format_addr(int family, const uint8_t addr[16], char *out, unsigned cap)
{
	if (family == AF_INET) {
		inet_ntop(AF_INET, addr, out, cap);
	} else if (family == AF_INET6) {
		/* An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d; report the
		 * IPv4 address, as the client itself knows it. */
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(addr, v4mapped, 12) == 0)
			inet_ntop(AF_INET, addr + 12, out, cap);
		else
			inet_ntop(AF_INET6, addr, out, cap);
	} else if (cap) {
		out[0] = '\0';
	}
}

static struct conn *conn_new(uint64_t id, uint32_t pid, uint32_t fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = id;
	c->pid = pid;
	c->fd = fd;
	c->local_port = -1;
	c->remote_port = -1;
	if (u64map_put(&conns, id, c)) {
		free(c);
		return NULL;
	}
	stats.opened++;
	return c;
}

void conn_on_open(const struct ev_conn *e)
{
	struct conn *c = u64map_get(&conns, e->conn_id);

	if (!c)
		c = conn_new(e->conn_id, e->h.pid, e->h.fd);
	if (!c)
		return;
	c->role = (int)e->role;
	c->family = e->family;
	conn_format_addr(e->family, e->laddr, c->local_addr, sizeof(c->local_addr));
	conn_format_addr(e->family, e->raddr, c->remote_addr, sizeof(c->remote_addr));
	if (e->family == AF_INET || e->family == AF_INET6) {
		c->local_port = e->lport;
		c->remote_port = e->rport;
	}
}

static void conn_end(struct conn *c, uint64_t ts)
{
	if (c->http)
		http_server_close(c->http, c, ts);
	if (c->client)
		client_conn_close(c->client, ts);
	u64map_del(&conns, c->id);
	conn_free(c);
	stats.closed++;
}

void conn_on_close(const struct ev_conn *e)
{
	struct conn *c = u64map_get(&conns, e->conn_id);

	if (c)
		conn_end(c, e->h.ts_ns);
}

/* Decide what a connection speaks from its first bytes: a request read on it makes it an HTTP
 * server connection, a request, query or command written on it a client one. */
static void sniff(struct conn *c, const struct ev_data *e)
{
	int ingress = e->dir == DIR_INGRESS;

	if (c->role != ROLE_SERVER && !ingress) {
		enum client_proto p = client_calls_sniff(e->data, e->cap_len, c->remote_port);

		if (p != CLIENT_NONE) {
			c->client = client_conn_new(p, c);
			c->proto = c->client ? PROTO_CLIENT : PROTO_IGNORED;
			return;
		}
	}
	if (c->role != ROLE_CLIENT && http_server_sniff(e->data, e->cap_len, ingress)) {
		c->http = http_server_new();
		c->proto = c->http ? PROTO_HTTP_SERVER : PROTO_IGNORED;
		return;
	}
	/* An accepted connection whose first bytes in are not HTTP speaks something else
	 * (TLS, say); a connection from before attach may just be mid-message. */
	if ((c->role == ROLE_SERVER && ingress) || ++c->sniff_misses >= SNIFF_MAX_MISSES)
		c->proto = PROTO_IGNORED;
}

void conn_on_data(const struct ev_data *e)
{
	struct conn *c = u64map_get(&conns, e->conn_id);
	size_t cap = e->cap_len;
	uint64_t total = e->total_len > 0 ? (uint64_t)e->total_len : 0;

	stats.data_events++;
	stats.data_bytes += total;
	if (!c) {
		/* The open event was lost (ring buffer full): the addresses are unknown, the
		 * bytes are still worth reading. */
		stats.unknown_conn++;
		c = conn_new(e->conn_id, e->h.pid, e->h.fd);
		if (!c)
			return;
	}
	if (cap > total)
		cap = (size_t)total;
	if (e->flags & EVF_TLS) {
		/* The first plaintext: what the handshake bytes led sniffing to think is void. */
		if (!c->tls && c->proto != PROTO_UNKNOWN) {
			http_server_free(c->http);
			client_conn_free(c->client);
			c->http = NULL;
			c->client = NULL;
			c->proto = PROTO_UNKNOWN;
		}
		c->tls = 1;
		c->sniff_misses = 0;
	} else if (c->tls) {
		return; /* ciphertext (handshake, alerts) of a connection read as plaintext */
	}
	if (c->proto == PROTO_UNKNOWN)
		sniff(c, e);
	if (c->proto == PROTO_CLIENT) {
		client_conn_data(c->client, e->dir == DIR_EGRESS, e->data, cap, total, e->enter_ns,
				 e->h.ts_ns, e->h.tid);
		return;
	}
	if (c->proto != PROTO_HTTP_SERVER)
		return;
	if (e->dir == DIR_INGRESS)
		http_server_ingress(c->http, c, e->data, cap, total, e->h.ts_ns, e->h.tid);
	else
		http_server_egress(c->http, c, e->data, cap, total, e->h.ts_ns, e->h.tid);
}

struct exit_walk {
	uint32_t pid;
	void (*fn)(uint32_t pid, uint32_t fd, void *arg);
	void *arg;
	uint64_t ts;
};

static void end_if_pid(uint64_t key, void *value, void *arg)
{
	struct exit_walk *w = arg;
	struct conn *c = value;

	if (c->pid != w->pid)
		return;
	if (w->fn)
		w->fn(c->pid, c->fd, w->arg);
	conn_end(c, w->ts);
}

void conn_on_process_exit(uint32_t pid, void (*fn)(uint32_t pid, uint32_t fd, void *arg),
			  void *arg)
{
	struct exit_walk w = { .pid = pid, .fn = fn, .arg = arg };

	u64map_each(&conns, end_if_pid, &w);
}

static void tick_one(uint64_t key, void *value, void *arg)
{
	struct conn *c = value;

	if (c->http)
		http_server_tick(c->http, c, *(uint64_t *)arg);
}

void conn_tick(uint64_t now_mono_ns)
{
	u64map_each(&conns, tick_one, &now_mono_ns);
}
