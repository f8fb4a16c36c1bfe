// SPDX-License-Identifier: BSD-2-Clause
/* AWS_XRAY_DAEMON_ADDRESS: "host:port" or "tcp:host:port udp:host:port" (either order). */
#include <stdlib.h>
#include <string.h>

#include "export/xray/xray_addr.h"

/* One "host:port" (host may be "[v6]") of n bytes. */
static int parse_hostport(const char *s, size_t n, char *host, int *port)
{
	const char *colon, *hs = s, *he;
	char digits[8];
	char *end;
	long p;

	if (n == 0)
		return -1;
	if (s[0] == '[') {
		he = memchr(s, ']', n);
		if (!he || he + 1 >= s + n || he[1] != ':')
			return -1;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = NULL;
		for (const char *c = s; c < s + n; c++)
			if (*c == ':')
				colon = c;
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -1; /* an IPv6 literal needs brackets */
		he = colon;
	}
	if (he == hs || (size_t)(he - hs) >= XRAY_HOST_MAX)
		return -1;
	n -= (size_t)(colon + 1 - s);
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, colon + 1, n);
	digits[n] = '\0';
	if (digits[0] < '0' || digits[0] > '9')
		return -1;
	p = strtol(digits, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -1;
	for (const char *c = hs; c < he; c++)
		if (*c == ' ' || *c == '\t' || *c == '/' || *c == '[' || *c == ']')
			return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (int)p;
	return 0;
}

int xray_addr_parse(const char *v, struct xray_addr *out)
{
	const char *sp;
	int have_tcp = 0, have_udp = 0;

	memset(out, 0, sizeof(*out));
	if (!v || !v[0])
		return -1;
	sp = strchr(v, ' ');
	if (!sp) {
		if (strncmp(v, "tcp:", 4) == 0 || strncmp(v, "udp:", 4) == 0)
			return -1; /* the prefixed form names both */
		if (parse_hostport(v, strlen(v), out->udp_host, &out->udp_port))
			return -1;
		memcpy(out->tcp_host, out->udp_host, sizeof(out->tcp_host));
		out->tcp_port = out->udp_port;
		return 0;
	}
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " ");

		if (n > 4 && strncmp(p, "tcp:", 4) == 0 && !have_tcp) {
			if (parse_hostport(p + 4, n - 4, out->tcp_host, &out->tcp_port))
				return -1;
			have_tcp = 1;
		} else if (n > 4 && strncmp(p, "udp:", 4) == 0 && !have_udp) {
			if (parse_hostport(p + 4, n - 4, out->udp_host, &out->udp_port))
				return -1;
			have_udp = 1;
		} else {
			return -1;
		}
		p += n;
		if (*p == ' ') {
			p++;
			if (!*p || *p == ' ')
				return -1;
		}
	}
	return have_tcp && have_udp ? 0 : -1;
}
