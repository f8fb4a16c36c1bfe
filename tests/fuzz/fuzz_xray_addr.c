// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the X-Ray daemon address parser (AWS_XRAY_DAEMON_ADDRESS). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/xray/xray_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xray_addr a;
	char *s = malloc(size + 1); /* the parser takes a C string, as getenv gives */

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (xray_addr_parse(s, &a) == 0 &&
	    (a.udp_port < 1 || a.udp_port > 65535 || !memchr(a.udp_host, 0, sizeof(a.udp_host))))
		abort();
	free(s);
	return 0;
}
