// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz path-token redaction and route inference: any path, any buffer size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/path_token.h"
#include "track/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char route[256], *buf;
	size_t cap;

	if (size < 1)
		return 0;
	/* The first byte picks the buffer size, so that cutting is exercised too. */
	cap = (size_t)data[0] % 300 + 1;
	buf = malloc(cap);
	if (!buf)
		return 0;
	size--;
	data++;
	memcpy(buf, data, size < cap ? size : cap - 1);
	buf[size < cap ? size : cap - 1] = '\0';
	path_redact_tokens(buf, cap, "REDACTED");
	if (strlen(buf) >= cap)
		abort();
	route_infer((const char *)data, size, route, sizeof(route));
	if (strlen(route) >= sizeof(route))
		abort();
	free(buf);
	return 0;
}
