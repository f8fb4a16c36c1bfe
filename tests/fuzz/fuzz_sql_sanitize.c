// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the SQL sanitizer: output within every bound, never longer than the text, and stable
 * (sanitizing its own output changes nothing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sql_sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char op[32], op2[32], small[64];
	size_t outlen, n;
	char *out, *again;

	if (size < 1)
		return 0;
	/* The first byte picks a small output size, so cutting is exercised too. */
	outlen = data[0] % (sizeof(small) + 1);
	memset(small, 'Z', sizeof(small));
	sql_sanitize((const char *)data + 1, size - 1, small, outlen, op, data[0] % 33);
	if (outlen && !memchr(small, 0, outlen))
		abort();
	if (outlen < sizeof(small) && small[outlen] != 'Z')
		abort(); /* wrote past the bound */

	/* Large enough never to cut: the output is no longer than the text. */
	n = size - 1;
	out = malloc(n + 1);
	again = malloc(n + 1);
	sql_sanitize((const char *)data + 1, n, out, n + 1, op, sizeof(op));
	if (strlen(out) > n || !memchr(op, 0, sizeof(op)))
		abort();
	sql_sanitize(out, strlen(out), again, n + 1, op2, sizeof(op2));
	if (strcmp(out, again) != 0 || strcmp(op, op2) != 0)
		abort();
	free(out);
	free(again);
	return 0;
}
