/* SPDX-License-Identifier: BSD-2-Clause */
/* AWS_XRAY_DAEMON_ADDRESS: "host:port" or "tcp:host:port udp:host:port" (either order). */
#ifndef PYSPAN_EXPORT_XRAY_ADDR_H
#define PYSPAN_EXPORT_XRAY_ADDR_H

#define XRAY_DAEMON_DEFAULT "127.0.0.1:2000"
#define XRAY_HOST_MAX 256

struct xray_addr {
	char udp_host[XRAY_HOST_MAX]; /* IPv6 without its brackets */
	int udp_port;
	char tcp_host[XRAY_HOST_MAX]; /* the daemon's sampling proxy */
	int tcp_port;
};

/* Returns 0 and fills *out, or -1 for a malformed value. */
int xray_addr_parse(const char *v, struct xray_addr *out);

#endif
