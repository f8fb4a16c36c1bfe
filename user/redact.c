/* Redaction of secrets before anything leaves the host. */
#include "redact.h"

#include <string.h>

#include "sink.h"

size_t redact_query(const char *q, size_t len, char *out, size_t cap)
{
	struct sink s = { out, cap, 0 };
	size_t i = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	while (i < len) {
		size_t start = i, eq;

		/* ';' is the older form-encoding separator some frameworks still split on, so a
		 * value after it is as much a secret as one after '&'. */
		while (i < len && q[i] != '&' && q[i] != ';')
			i++;
		for (eq = start; eq < i && q[eq] != '='; eq++)
			;
		if (eq < i) {
			sink_put(&s, q + start, eq - start + 1);
			/* Empty values are redacted too, so the output does not reveal which ones
			 * were set. */
			sink_put(&s, REDACTED, sizeof(REDACTED) - 1);
		} else {
			sink_put(&s, q + start, i - start);
		}
		if (i < len)
			sink_put(&s, q + i++, 1);
	}
	return s.len;
}

static const struct {
	const char *name;
	size_t len;
} secret_headers[] = {
#define H(s) { s, sizeof(s) - 1 }
	H("authorization"), H("proxy-authorization"), H("cookie"),
	H("set-cookie"),    H("x-api-key"),           H("x-amz-security-token"),
#undef H
};

/* ASCII-only folding: header names are tokens, and tolower() would depend on the locale. */
static int lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int redact_header_is_secret(const char *name, size_t len)
{
	if (!name)
		return 0;
	for (size_t h = 0; h < sizeof(secret_headers) / sizeof(secret_headers[0]); h++) {
		size_t i;

		if (secret_headers[h].len != len)
			continue;
		for (i = 0; i < len && lower(name[i]) == secret_headers[h].name[i]; i++)
			;
		if (i == len)
			return 1;
	}
	return 0;
}
