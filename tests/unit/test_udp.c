// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the UDP sender: delivery on loopback, refusals counted, bad hosts reported. */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net/udp.h"

static int bound_socket(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

int main(void)
{
	const char *err = NULL;
	struct udp_sender *u;
	char buf[64];
	int port, fd = bound_socket(&port), refused = 0;

	CHECK(fd >= 0);
	u = udp_open("127.0.0.1", port, &err);
	CHECK(u != NULL);
	CHECK_INT(udp_send(u, "hello", 5), 0);
	CHECK_INT(recv(fd, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);

	/* Nobody listens any more: the kernel's ICMP answer turns into a counted refusal. */
	close(fd);
	for (int i = 0; i < 5 && !refused; i++) {
		int rc = udp_send(u, "x", 1);

		refused = rc == -ECONNREFUSED;
		usleep(20 * 1000);
	}
	CHECK(refused);
	udp_close(u);

	CHECK(udp_open("no-such-host.invalid", 2000, &err) == NULL);
	CHECK(err != NULL && err[0]);
	udp_close(NULL);
	return check_summary("udp");
}
