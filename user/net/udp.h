/* SPDX-License-Identifier: BSD-2-Clause */
/* Non-blocking datagrams to one resolved address (the X-Ray daemon, later a StatsD agent). */
#ifndef PYSPAN_NET_UDP_H
#define PYSPAN_NET_UDP_H

#include <stddef.h>

struct udp_sender;

/* Resolve host:port and open a socket. NULL with *err set (a static description) on failure. */
struct udp_sender *udp_open(const char *host, int port, const char **err);

/* One datagram; never blocks. Returns 0, or a negative errno (the datagram is lost):
 * -ECONNREFUSED when an earlier datagram found nobody listening. */
int udp_send(struct udp_sender *u, const void *buf, size_t len);

void udp_close(struct udp_sender *u);

#endif
