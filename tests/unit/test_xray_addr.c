// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for AWS_XRAY_DAEMON_ADDRESS parsing: both documented forms and malformed values. */
#include "check.h"
#include "export/xray/xray_addr.h"

static void test_valid(void)
{
	struct xray_addr a;

	CHECK_INT(xray_addr_parse("127.0.0.1:2000", &a), 0);
	CHECK_STR(a.udp_host, "127.0.0.1");
	CHECK_INT(a.udp_port, 2000);
	CHECK_STR(a.tcp_host, "127.0.0.1");
	CHECK_INT(a.tcp_port, 2000);

	CHECK_INT(xray_addr_parse("xray-daemon:2000", &a), 0);
	CHECK_STR(a.udp_host, "xray-daemon");

	CHECK_INT(xray_addr_parse("tcp:daemonhost:8082 udp:daemonhost:8083", &a), 0);
	CHECK_STR(a.tcp_host, "daemonhost");
	CHECK_INT(a.tcp_port, 8082);
	CHECK_STR(a.udp_host, "daemonhost");
	CHECK_INT(a.udp_port, 8083);

	/* SDKs differ on the order: both are accepted. */
	CHECK_INT(xray_addr_parse("udp:10.0.0.5:2001 tcp:10.0.0.6:2002", &a), 0);
	CHECK_STR(a.udp_host, "10.0.0.5");
	CHECK_INT(a.udp_port, 2001);
	CHECK_STR(a.tcp_host, "10.0.0.6");
	CHECK_INT(a.tcp_port, 2002);

	CHECK_INT(xray_addr_parse("[::1]:2000", &a), 0);
	CHECK_STR(a.udp_host, "::1");
	CHECK_INT(a.udp_port, 2000);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"127.0.0.1",
		"127.0.0.1:",
		":2000",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:20x0",
		"127.0.0.1:-5",
		"::1:2000",
		"[::1]2000",
		"udp:127.0.0.1:2000",
		"tcp:127.0.0.1:2000",
		"tcp:a:1 tcp:b:2",
		"tcp:a:1  udp:b:2",
		"tcp:a:1 udp:b:2 ",
		"tcp:a:1 udp:b",
		"tcp:a:1 xdp:b:2",
		"http://127.0.0.1:2000",
		"host name:2000",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xray_addr a;
		int rc = xray_addr_parse(bad[i], &a);

		if (rc != -1)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK_INT(rc, -1);
	}
	CHECK_INT(xray_addr_parse(NULL, &(struct xray_addr){ 0 }), -1);
}

int main(void)
{
	test_valid();
	test_malformed();
	return check_summary("xray_addr");
}
