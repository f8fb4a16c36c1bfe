// SPDX-License-Identifier: BSD-2-Clause
/* The --metrics-port listener: GET /metrics answered from the main loop, never starved. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "metrics.h"

/* Clients held at once. Connections beyond it are still accepted: the one that has waited
 * longest for its request is closed to make room, so idle or slow clients, however many,
 * cannot keep a scraper out. Well under the usual 1024 descriptors. */
#define CLIENTS_MAX 128
#define REQUEST_MAX 2048 /* a GET line and a few headers; anything longer is refused */
/* A request must be complete this long after the connection was accepted. */
#define READ_DEADLINE_NS (2ull * 1000000000ull)
/* Connections the kernel queues while pyspan is busy elsewhere (capped by somaxconn). */
#define BACKLOG 4096
#define LISTENER UINT32_MAX

struct client {
	int fd;
	size_t len;
	uint64_t since; /* accepted at (monotonic ns): the deadline and the eviction order */
	char req[REQUEST_MAX];
};

struct metrics_server {
	int fd, epfd;
	int port;
	int nclients;
	struct client clients[CLIENTS_MAX];
};

struct metrics_server *metrics_server_open(const char *address, int port)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTENER };
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	if (!s)
		return NULL;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, address, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, address, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		log_msg("metrics: '%s' is not an IP address", address);
		free(s);
		return NULL;
	}
	for (int i = 0; i < CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || s->epfd < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&ss, sl) || listen(s->fd, BACKLOG) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->fd, &ev)) {
		log_msg("metrics: cannot listen on %s port %d: %s", address, port, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		if (s->epfd >= 0)
			close(s->epfd);
		free(s);
		return NULL;
	}
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
							  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return s;
}

int metrics_server_port(const struct metrics_server *s)
{
	return s ? s->port : 0;
}

static void drop_client(struct metrics_server *s, struct client *c)
{
	close(c->fd); /* leaves the epoll set with it */
	c->fd = -1;
	c->len = 0;
	s->nclients--;
}

/* Best effort: the answer is small and the socket buffer empty, so one send takes it all;
 * a client that does not read it loses it. */
static void respond(struct metrics_server *s, struct client *c, const char *status,
		    const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	if (send(c->fd, head, (size_t)n, MSG_NOSIGNAL) == n && len)
		if (send(c->fd, body, len, MSG_NOSIGNAL) < 0)
			log_debug("metrics: answering a scrape failed: %s", strerror(errno));
	drop_client(s, c);
}

static void serve(struct metrics_server *s, struct client *c,
		  void (*fill)(struct metrics_snapshot *m, void *arg), void *arg)
{
	static const char nf[] = "not found; pyspan serves GET /metrics\n";
	size_t sp;

	if (strncmp(c->req, "GET ", 4) && strncmp(c->req, "HEAD ", 5)) {
		respond(s, c, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	sp = c->req[0] == 'G' ? 4 : 5;
	if (strncmp(c->req + sp, "/metrics", 8) == 0 &&
	    (c->req[sp + 8] == ' ' || c->req[sp + 8] == '?')) {
		struct metrics_snapshot m;
		size_t cap = 16384, len = 0;
		char *body = NULL;

		memset(&m, 0, sizeof(m));
		fill(&m, arg);
		/* Grown until the text fits; a few KiB in practice. */
		for (;;) {
			char *bigger = realloc(body, cap);

			if (!bigger) {
				free(body);
				body = NULL;
				break;
			}
			body = bigger;
			len = metrics_prometheus(&m, body, cap);
			if (len < cap - 1 || cap >= (1u << 22))
				break;
			cap *= 2;
		}
		if (!body) {
			respond(s, c, "503 Service Unavailable", "text/plain", "", 0);
			return;
		}
		respond(s, c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
			c->req[0] == 'G' ? len : 0);
		free(body);
		return;
	}
	respond(s, c, "404 Not Found", "text/plain", nf, sizeof(nf) - 1);
}

/* A free slot, making one from the client that has waited longest when all are taken. */
static struct client *slot(struct metrics_server *s)
{
	struct client *oldest = NULL;

	for (int i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &s->clients[i];

		if (c->fd < 0)
			return c;
		if (!oldest || c->since < oldest->since)
			oldest = c;
	}
	drop_client(s, oldest);
	return oldest;
}

static void accept_all(struct metrics_server *s, uint64_t now)
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

		if (fd < 0)
			return; /* EAGAIN, or out of descriptors: the kernel keeps it queued */
		c = slot(s);
		ev.data.u32 = (uint32_t)(c - s->clients);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->len = 0;
		c->since = now;
		s->nclients++;
	}
}

static void read_client(struct metrics_server *s, struct client *c,
			void (*fill)(struct metrics_snapshot *m, void *arg), void *arg)
{
	ssize_t n = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		drop_client(s, c);
		return;
	}
	if (n > 0) {
		c->len += (size_t)n;
		c->req[c->len] = '\0';
	}
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		serve(s, c, fill, arg);
	else if (c->len >= sizeof(c->req) - 1)
		respond(s, c, "431 Request Header Fields Too Large", "text/plain", "", 0);
}

void metrics_server_poll(struct metrics_server *s,
			 void (*fill)(struct metrics_snapshot *m, void *arg), void *arg)
{
	struct epoll_event evs[64];
	uint64_t now;
	int n;

	if (!s)
		return;
	now = clock_mono_now_ns();
	/* Only what is ready: a thousand idle connections cost nothing per turn. Bounded, so a
	 * flood of clients cannot keep the main loop here. */
	for (int round = 0; round < 16; round++) {
		n = epoll_wait(s->epfd, evs, 64, 0);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == LISTENER)
				accept_all(s, now);
			else if (s->clients[evs[i].data.u32].fd >= 0)
				read_client(s, &s->clients[evs[i].data.u32], fill, arg);
		}
	}
	/* A slow or idle client does not hold a slot past its deadline. */
	for (int i = 0; s->nclients && i < CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0 && now - s->clients[i].since > READ_DEADLINE_NS)
			drop_client(s, &s->clients[i]);
}

void metrics_server_close(struct metrics_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0)
			close(s->clients[i].fd);
	close(s->epfd);
	close(s->fd);
	free(s);
}
