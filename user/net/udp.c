// SPDX-License-Identifier: BSD-2-Clause
/* Non-blocking datagrams to one resolved address (the X-Ray daemon, later a StatsD agent). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/udp.h"

struct udp_sender {
	int fd;
};

struct udp_sender *udp_open(const char *host, int port, const char **err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct udp_sender *u;
	char service[8];
	int rc;

	hints.ai_socktype = SOCK_DGRAM;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		*err = gai_strerror(rc);
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		freeaddrinfo(res);
		*err = "out of memory";
		return NULL;
	}
	/* Connected, so an ICMP "port unreachable" (no daemon listening) comes back as
	 * ECONNREFUSED on a later send and is counted instead of vanishing. */
	u->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd >= 0 && connect(u->fd, res->ai_addr, res->ai_addrlen)) {
		close(u->fd);
		u->fd = -1;
	}
	if (u->fd < 0) {
		*err = strerror(errno);
		freeaddrinfo(res);
		free(u);
		return NULL;
	}
	freeaddrinfo(res);
	return u;
}

int udp_send(struct udp_sender *u, const void *buf, size_t len)
{
	ssize_t n = send(u->fd, buf, len, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

void udp_close(struct udp_sender *u)
{
	if (!u)
		return;
	close(u->fd);
	free(u);
}
